// Helpers for the metrics tests: reading one sample out of the Prometheus text exposition format.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace rectifier::server::testing {

// The value of the sample whose name and labels are exactly `series` (labels sorted by name, as
// prometheus-cpp writes them), e.g. `rectifier_requests_total{activation="relu",api="native",code="OK"}`;
// nullopt when the exposition has no such line.
inline std::optional<double> SampleValue(const std::string& exposition, std::string_view series) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace rectifier::server::testing
