#include "bench/loadgen/results.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "kernels/str_cat.h"
#include "server/units.h"

namespace rectifier::bench {
namespace {

constexpr double kMinThroughputRatio = 0.9;
constexpr double kMaxP99Ratio = 1.1;
constexpr double kP99SlackUs = 20;

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

std::string Level(const SummaryRow& row) {
  return row.open_loop ? StrCat(Fixed(row.level, 0), "/s") : StrCat("c=", Fixed(row.level, 0));
}

std::string Ratio(const std::optional<double>& ratio) { return ratio ? Fixed(*ratio, 2) : "-"; }

std::string Verdict(const SummaryRow& row) {
  if (!row.meets_throughput_target) return "";
  bool met = *row.meets_throughput_target && row.meets_latency_target.value_or(true);
  return met ? "met" : "MISSED";
}

}  // namespace

std::vector<SummaryRow> Summarize(const std::vector<RunResult>& runs) {
  // Points in the order they were first measured; targets in their order within a point.
  using Key = std::tuple<uint64_t, bool, double, std::string>;
  std::vector<Key> order;
  std::map<Key, std::vector<const RunResult*>> groups;
  for (const RunResult& run : runs) {
    Key key{run.input_bytes, run.open_loop, run.level, run.target};
    if (groups[key].empty()) order.push_back(key);
    groups[key].push_back(&run);
  }
  std::vector<SummaryRow> rows;
  for (const Key& key : order) {
    const auto& group = groups[key];
    SummaryRow row;
    row.target = group.front()->target;
    row.input_bytes = group.front()->input_bytes;
    row.shape = group.front()->shape;
    row.open_loop = group.front()->open_loop;
    row.level = group.front()->level;
    row.runs = static_cast<int>(group.size());
    std::vector<double> rps, gbps, p50, p90, p99, p999, mean;
    for (const RunResult* run : group) {
      const Measurement& m = run->measurement;
      rps.push_back(m.requests_per_s());
      gbps.push_back(m.gigabytes_per_s());
      p50.push_back(m.LatencyPercentileUs(50));
      p90.push_back(m.LatencyPercentileUs(90));
      p99.push_back(m.LatencyPercentileUs(99));
      p999.push_back(m.LatencyPercentileUs(99.9));
      mean.push_back(m.MeanLatencyUs());
      for (const auto& [code, count] : m.errors_by_code) row.errors += count;
      row.verify_failures += m.verify_failures;
      row.verified += m.verified;
      row.dropped += m.dropped;
    }
    row.requests_per_s = Median(rps);
    row.gigabytes_per_s = Median(gbps);
    row.p50_us = Median(p50);
    row.p90_us = Median(p90);
    row.p99_us = Median(p99);
    row.p999_us = Median(p999);
    row.mean_us = Median(mean);
    rows.push_back(row);
  }
  for (SummaryRow& row : rows) {
    if (row.target == "echo") continue;
    auto echo = std::find_if(rows.begin(), rows.end(), [&](const SummaryRow& other) {
      return other.target == "echo" && other.input_bytes == row.input_bytes && other.open_loop == row.open_loop &&
             other.level == row.level;
    });
    if (echo == rows.end() || echo->requests_per_s <= 0) continue;
    row.throughput_ratio = row.requests_per_s / echo->requests_per_s;
    if (echo->p50_us > 0) row.p50_ratio = row.p50_us / echo->p50_us;
    if (echo->p99_us > 0) row.p99_ratio = row.p99_us / echo->p99_us;
    if (!row.open_loop) {
      row.meets_throughput_target = *row.throughput_ratio >= kMinThroughputRatio;
      if (row.level == 1) row.meets_latency_target = row.p99_us <= kMaxP99Ratio * echo->p99_us + kP99SlackUs;
    }
  }
  return rows;
}

std::string TextTable(const std::vector<SummaryRow>& rows) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-10s %-8s %-8s %4s %10s %8s %9s %9s %9s %9s %6s %6s %6s %6s %s\n", "target",
                "size", "load", "runs", "req/s", "GB/s", "p50 us", "p90 us", "p99 us", "p99.9 us", "errors",
                "x rps", "x p50", "x p99", "target");
  out += line;
  for (const SummaryRow& row : rows) {
    std::snprintf(line, sizeof(line), "%-10s %-8s %-8s %4d %10.1f %8.3f %9.1f %9.1f %9.1f %9.1f %6lld %6s %6s %6s %s\n",
                  row.target.c_str(), server::FormatByteSize(row.input_bytes).c_str(), Level(row).c_str(), row.runs,
                  row.requests_per_s, row.gigabytes_per_s, row.p50_us, row.p90_us, row.p99_us, row.p999_us,
                  static_cast<long long>(row.errors), Ratio(row.throughput_ratio).c_str(),
                  Ratio(row.p50_ratio).c_str(), Ratio(row.p99_ratio).c_str(), Verdict(row).c_str());
    out += line;
  }
  return out;
}

std::string MarkdownTable(const std::vector<SummaryRow>& rows) {
  std::string out =
      "| target | size | load | runs | req/s | GB/s | p50 us | p90 us | p99 us | p99.9 us | errors | "
      "rps / echo | p50 / echo | p99 / echo | target |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const SummaryRow& row : rows) {
    out += StrCat("| ", row.target, " | ", server::FormatByteSize(row.input_bytes), " | ", Level(row), " | ", row.runs,
                  " | ", Fixed(row.requests_per_s, 0), " | ", Fixed(row.gigabytes_per_s, 3), " | ",
                  Fixed(row.p50_us, 0), " | ", Fixed(row.p90_us, 0), " | ", Fixed(row.p99_us, 0), " | ",
                  Fixed(row.p999_us, 0), " | ", row.errors, " | ", Ratio(row.throughput_ratio), " | ",
                  Ratio(row.p50_ratio), " | ", Ratio(row.p99_ratio), " | ", Verdict(row), " |\n");
  }
  return out;
}

nlohmann::json ResultsJson(const BenchOptions& o, const nlohmann::json& machine, const std::vector<RunResult>& runs,
                           const std::vector<SummaryRow>& rows) {
  using nlohmann::json;
  auto optional = [](const auto& value) { return value ? json(*value) : json(nullptr); };
  json targets = json::array();
  for (const Target& t : o.targets) targets.push_back({{"name", t.name}, {"address", t.address}});
  json config = {{"api", o.api},
                 {"activation", o.activation},
                 {"dtype", o.dtype},
                 {"streaming", o.streaming},
                 {"concurrency", o.concurrency},
                 {"request_rates_per_s", o.request_rates_per_s},
                 {"arrivals", o.poisson_arrivals ? "poisson" : "constant"},
                 {"max_channels", o.max_channels},
                 {"warmup_s", o.warmup.count() / 1e6},
                 {"window_s", o.window.count() / 1e6},
                 {"alternations", o.alternations},
                 {"verify", o.verify},
                 {"seed", o.seed},
                 {"targets", targets}};
  json run_list = json::array();
  for (const RunResult& run : runs) {
    const Measurement& m = run.measurement;
    run_list.push_back({{"target", run.target},
                        {"input_bytes", run.input_bytes},
                        {"shape", run.shape},
                        {"mode", run.open_loop ? "rate" : "concurrency"},
                        {"level", run.level},
                        {"alternation", run.alternation},
                        {"window_s", m.window_s},
                        {"completed", m.completed},
                        {"requests_per_s", m.requests_per_s()},
                        {"gigabytes_per_s", m.gigabytes_per_s()},
                        {"p50_us", m.LatencyPercentileUs(50)},
                        {"p90_us", m.LatencyPercentileUs(90)},
                        {"p99_us", m.LatencyPercentileUs(99)},
                        {"p999_us", m.LatencyPercentileUs(99.9)},
                        {"mean_us", m.MeanLatencyUs()},
                        {"errors_by_code", m.errors_by_code},
                        {"verified", m.verified},
                        {"verify_failures", m.verify_failures},
                        {"dropped", m.dropped},
                        {"first_failure", m.first_failure}});
  }
  json summary = json::array();
  for (const SummaryRow& row : rows) {
    summary.push_back({{"target", row.target},
                       {"input_bytes", row.input_bytes},
                       {"shape", row.shape},
                       {"mode", row.open_loop ? "rate" : "concurrency"},
                       {"level", row.level},
                       {"runs", row.runs},
                       {"requests_per_s", row.requests_per_s},
                       {"gigabytes_per_s", row.gigabytes_per_s},
                       {"p50_us", row.p50_us},
                       {"p90_us", row.p90_us},
                       {"p99_us", row.p99_us},
                       {"p999_us", row.p999_us},
                       {"mean_us", row.mean_us},
                       {"errors", row.errors},
                       {"verified", row.verified},
                       {"verify_failures", row.verify_failures},
                       {"dropped", row.dropped},
                       {"throughput_ratio", optional(row.throughput_ratio)},
                       {"p50_ratio", optional(row.p50_ratio)},
                       {"p99_ratio", optional(row.p99_ratio)},
                       {"meets_throughput_target", optional(row.meets_throughput_target)},
                       {"meets_latency_target", optional(row.meets_latency_target)}});
  }
  return {{"tool", "rectifier-bench"}, {"note", o.note}, {"config", config}, {"machine", machine},
          {"runs", run_list}, {"summary", summary}};
}

}  // namespace rectifier::bench
