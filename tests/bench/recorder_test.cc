// Recorder: which calls count, exact nearest-rank percentiles, errors by code, verification of warm-up
// responses only. Times are synthetic time points: no sleeping, no network.
#include "bench/loadgen/recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rectifier::bench {
namespace {

using std::chrono::microseconds;

const Clock::time_point kT0{};
const Clock::time_point kWindowStart = kT0 + std::chrono::seconds(1);
const Clock::time_point kWindowEnd = kT0 + std::chrono::seconds(3);

grpc::ByteBuffer Bytes(const std::string& text) {
  grpc::Slice slice(text);
  return grpc::ByteBuffer(&slice, 1);
}

TEST(RecorderTest, CountsCallsEndingInsideTheWindowOnly) {
  Recorder recorder(kWindowStart, kWindowEnd, {});
  const grpc::ByteBuffer response = Bytes("12345");
  // Ends in the warm-up: not counted. Starts in the warm-up, ends inside: counted. Ends after: not counted.
  recorder.Record(kT0, kT0 + microseconds(500), grpc::Status::OK, &response, 10);
  recorder.Record(kWindowStart - microseconds(100), kWindowStart + microseconds(100), grpc::Status::OK, &response, 10);
  recorder.Record(kWindowStart + microseconds(10), kWindowStart + microseconds(40), grpc::Status::OK, &response, 10);
  recorder.Record(kWindowEnd - microseconds(10), kWindowEnd + microseconds(10), grpc::Status::OK, &response, 10);
  Measurement m = recorder.Finish();
  EXPECT_EQ(m.completed, 2);
  EXPECT_DOUBLE_EQ(m.window_s, 2.0);
  EXPECT_DOUBLE_EQ(m.requests_per_s(), 1.0);
  EXPECT_EQ(m.bytes_sent, 20u);
  EXPECT_EQ(m.bytes_received, 10u);
  EXPECT_THAT(m.latencies_ns, testing::ElementsAre(30'000, 200'000));  // sorted
}

TEST(RecorderTest, NearestRankPercentiles) {
  Measurement m;
  for (int i = 1; i <= 1000; ++i) m.latencies_ns.push_back(i * 1000);  // 1..1000 us
  EXPECT_DOUBLE_EQ(m.LatencyPercentileUs(50), 500);
  EXPECT_DOUBLE_EQ(m.LatencyPercentileUs(90), 900);
  EXPECT_DOUBLE_EQ(m.LatencyPercentileUs(99), 990);
  EXPECT_DOUBLE_EQ(m.LatencyPercentileUs(99.9), 999);
  EXPECT_DOUBLE_EQ(m.LatencyPercentileUs(100), 1000);
  EXPECT_DOUBLE_EQ(m.MeanLatencyUs(), 500.5);
  EXPECT_DOUBLE_EQ(Measurement{}.LatencyPercentileUs(99), 0);
}

TEST(RecorderTest, CountsErrorsByCodeEvenDuringWarmup) {
  Recorder recorder(kWindowStart, kWindowEnd, {});
  recorder.Record(kT0, kT0 + microseconds(1), grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"), nullptr, 0);
  recorder.Record(kWindowStart, kWindowStart + microseconds(1), grpc::Status(grpc::StatusCode::UNAVAILABLE, "x"),
                  nullptr, 0);
  recorder.Record(kWindowStart, kWindowStart + microseconds(1),
                  grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "big"), nullptr, 0);
  Measurement m = recorder.Finish();
  EXPECT_EQ(m.completed, 0);
  EXPECT_THAT(m.errors_by_code,
              testing::UnorderedElementsAre(testing::Pair("UNAVAILABLE", 2), testing::Pair("RESOURCE_EXHAUSTED", 1)));
  EXPECT_EQ(m.first_failure, "UNAVAILABLE: down");
}

TEST(RecorderTest, VerifiesWarmupResponsesOnly) {
  int calls = 0;
  Recorder recorder(kWindowStart, kWindowEnd, [&calls](const grpc::ByteBuffer& response) {
    ++calls;
    return response.Length() == 2 ? absl::OkStatus() : absl::InternalError("wrong length");
  });
  const grpc::ByteBuffer good = Bytes("ok"), bad = Bytes("bad");
  recorder.Record(kT0, kT0 + microseconds(1), grpc::Status::OK, &good, 1);
  recorder.Record(kT0, kT0 + microseconds(2), grpc::Status::OK, &bad, 1);
  recorder.Record(kWindowStart, kWindowStart + microseconds(1), grpc::Status::OK, &bad, 1);  // timed: unchecked
  Measurement m = recorder.Finish();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(m.verified, 2);
  EXPECT_EQ(m.verify_failures, 1);
  EXPECT_EQ(m.first_failure, "verification: wrong length");
  EXPECT_EQ(m.completed, 1);
}

TEST(RecorderTest, CountsDroppedRequests) {
  Recorder recorder(kWindowStart, kWindowEnd, {});
  recorder.RecordDropped();
  recorder.RecordDropped();
  EXPECT_EQ(recorder.Finish().dropped, 2);
}

}  // namespace
}  // namespace rectifier::bench
