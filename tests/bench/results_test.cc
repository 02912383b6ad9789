// Summarize: medians over alternations, ratios to the echo row of the same point, the README's targets.
#include "bench/loadgen/results.h"

#include <gtest/gtest.h>

namespace rectifier::bench {
namespace {

// A window with `completed` calls in 1 s, every latency `latency_us`.
RunResult Window(const std::string& target, double level, int completed, int64_t latency_us) {
  RunResult run;
  run.target = target;
  run.kind = target == "echo" ? TargetKind::kEcho : TargetKind::kRectifier;
  run.input_bytes = 1024;
  run.level = level;
  run.measurement.window_s = 1;
  run.measurement.completed = completed;
  run.measurement.latencies_ns.assign(completed, latency_us * 1000);
  return run;
}

TEST(ResultsTest, MediansOverAlternationsAndRatiosToTheEcho) {
  std::vector<RunResult> runs = {Window("rectifier", 16, 900, 100), Window("echo", 16, 1000, 80),
                                 Window("echo", 16, 2000, 50),      Window("rectifier", 16, 300, 400),
                                 Window("rectifier", 16, 950, 90),  Window("echo", 16, 1100, 70)};
  auto rows = Summarize(runs);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].target, "rectifier");
  EXPECT_EQ(rows[0].runs, 3);
  EXPECT_DOUBLE_EQ(rows[0].requests_per_s, 900);  // median of 900, 300, 950
  EXPECT_DOUBLE_EQ(rows[1].requests_per_s, 1100);  // median of 1000, 2000, 1100
  EXPECT_DOUBLE_EQ(rows[0].p99_us, 100);
  EXPECT_DOUBLE_EQ(rows[1].p99_us, 70);
  ASSERT_TRUE(rows[0].throughput_ratio.has_value());
  EXPECT_DOUBLE_EQ(*rows[0].throughput_ratio, 900.0 / 1100.0);
  EXPECT_DOUBLE_EQ(*rows[0].p99_ratio, 100.0 / 70.0);
  EXPECT_FALSE(rows[1].throughput_ratio.has_value());  // the echo is the baseline
  EXPECT_EQ(rows[0].meets_throughput_target, false);  // 0.82 < 0.9
  EXPECT_FALSE(rows[0].meets_latency_target.has_value());  // only at concurrency 1
}

TEST(ResultsTest, LatencyTargetAtConcurrencyOneAllowsTenPercentPlusTwentyMicroseconds) {
  // Echo p99 100 us: the bound is 130 us.
  auto within = Summarize({Window("rectifier", 1, 950, 130), Window("echo", 1, 1000, 100)});
  EXPECT_EQ(within[0].meets_throughput_target, true);
  EXPECT_EQ(within[0].meets_latency_target, true);
  auto beyond = Summarize({Window("rectifier", 1, 950, 131), Window("echo", 1, 1000, 100)});
  EXPECT_EQ(beyond[0].meets_latency_target, false);
}

TEST(ResultsTest, NoRatiosWithoutAnEchoTarget) {
  auto rows = Summarize({Window("rectifier", 1, 10, 5)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].throughput_ratio.has_value());
  EXPECT_FALSE(rows[0].meets_throughput_target.has_value());
  EXPECT_NE(MarkdownTable(rows).find("| rectifier | 1KiB | c=1 | 1 | 10 |"), std::string::npos) << MarkdownTable(rows);
}

}  // namespace
}  // namespace rectifier::bench
