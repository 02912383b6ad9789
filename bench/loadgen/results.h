// Results of a sweep: one RunResult per measured window, summarised per (size, load level, target) as
// medians over the alternations, each figure also as a ratio to the echo baseline of the same point.
// Printed as a text table, written as JSON and as a Markdown table (bench/README.md's result block).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/loadgen/bench_options.h"
#include "bench/loadgen/recorder.h"
#include "nlohmann/json.hpp"

namespace rectifier::bench {

struct RunResult {
  std::string target;
  TargetKind kind = TargetKind::kRectifier;
  uint64_t input_bytes = 0;
  std::string shape;        // "[1024, 1024]"
  bool open_loop = false;   // level is requests/s when set, else calls in flight
  double level = 0;
  int alternation = 0;
  Measurement measurement;
};

struct SummaryRow {
  std::string target;
  uint64_t input_bytes = 0;
  std::string shape;
  bool open_loop = false;
  double level = 0;
  int runs = 0;
  // Medians over the runs.
  double requests_per_s = 0, gigabytes_per_s = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, mean_us = 0;
  int64_t errors = 0, verify_failures = 0, verified = 0, dropped = 0;
  // Against the echo row of the same point; unset for the echo itself or without an echo target.
  std::optional<double> throughput_ratio, p50_ratio, p99_ratio;
  // The targets of bench/README.md: throughput >= 90% of the echo's; at concurrency 1 also
  // p99 <= 1.1 x echo p99 + 20 us. Unset where they do not apply.
  std::optional<bool> meets_throughput_target, meets_latency_target;
};

std::vector<SummaryRow> Summarize(const std::vector<RunResult>& runs);
std::string TextTable(const std::vector<SummaryRow>& rows);
std::string MarkdownTable(const std::vector<SummaryRow>& rows);
nlohmann::json ResultsJson(const BenchOptions& options, const nlohmann::json& machine, const std::vector<RunResult>& runs,
                           const std::vector<SummaryRow>& rows);

}  // namespace rectifier::bench
