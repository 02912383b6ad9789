#include "server/process_collector.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

namespace rectifier::server {
namespace {

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

prometheus::MetricFamily Single(std::string name, std::string help, prometheus::MetricType type, double value) {
  prometheus::MetricFamily family{std::move(name), std::move(help), type, {}};
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

// Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses, so parsing
// starts after the last ')'): fields[0] is field 3 of proc(5), "state".
std::optional<std::vector<std::string>> StatFields(const std::string& stat) {
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat.substr(close + 1));
  std::vector<std::string> fields;
  std::string field;
  while (in >> field) fields.push_back(field);
  if (fields.size() < 22) return std::nullopt;  // Up to field 24, rss.
  return fields;
}

// proc(5) field number (1-based) to an index into StatFields.
double StatField(const std::vector<std::string>& fields, int number) {
  return std::stod(fields[static_cast<size_t>(number - 3)]);
}

}  // namespace

ProcessCollector::ProcessCollector(ProcessCollectorOptions options) : options_(std::move(options)) {
  if (options_.ticks_per_second <= 0) options_.ticks_per_second = sysconf(_SC_CLK_TCK);
  if (options_.page_size_bytes <= 0) options_.page_size_bytes = sysconf(_SC_PAGESIZE);
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  const std::string process = options_.proc_root + "/" + options_.process_dir;
  try {
    std::optional<std::string> stat = ReadSmallFile(process + "/stat");
    std::optional<std::vector<std::string>> fields = stat ? StatFields(*stat) : std::nullopt;
    if (fields) {
      const double ticks = static_cast<double>(options_.ticks_per_second);
      families.push_back(Single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                                MetricType::Counter, (StatField(*fields, 14) + StatField(*fields, 15)) / ticks));
      families.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
                                StatField(*fields, 23)));
      families.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
                                StatField(*fields, 24) * static_cast<double>(options_.page_size_bytes)));
      if (std::optional<std::string> system_stat = ReadSmallFile(options_.proc_root + "/stat")) {
        const size_t at = system_stat->find("\nbtime ");
        if (at != std::string::npos) {
          const double boot_time = std::stod(system_stat->substr(at + 7));
          families.push_back(Single("process_start_time_seconds",
                                    "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                                    boot_time + StatField(*fields, 22) / ticks));
        }
      }
    }
    std::error_code error;
    std::filesystem::directory_iterator fds(process + "/fd", error);
    if (!error) {
      double open = 0;
      for (auto it = fds; it != std::filesystem::directory_iterator(); it.increment(error)) {
        if (error) break;
        ++open;
      }
      if (!error) families.push_back(Single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, open));
    }
    if (std::optional<std::string> limits = ReadSmallFile(process + "/limits")) {
      const size_t at = limits->find("Max open files");
      if (at != std::string::npos) {
        std::istringstream in(limits->substr(at + std::string_view("Max open files").size()));
        std::string soft;
        if (in >> soft && soft != "unlimited") {
          families.push_back(Single("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
                                    std::stod(soft)));
        }
      }
    }
  } catch (const std::exception&) {
    // A malformed /proc file (std::stod): report what was read before it.
  }
  return families;
}

}  // namespace rectifier::server
