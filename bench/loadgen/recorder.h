// Recorder: collects the outcome of every call of one measured point (one target, size and load level) and
// turns them into a Measurement. Every latency of the window is kept and sorted (exact percentiles; a few
// hundred thousand samples at most).
//
// A call counts when it ends inside [window_start, window_end] (as perf_analyzer counts: no bias against
// slow calls straddling the window's start); calls ending during the warm-up are only checked (errors, and the response against the reference when a verifier is given). Thread-safe:
// workers call Record() from gRPC's callback threads; mutex_ guards everything mutable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace rectifier::bench {

using Clock = std::chrono::steady_clock;

struct Measurement {
  double window_s = 0;
  int64_t completed = 0;          // OK calls inside the window
  uint64_t bytes_sent = 0;        // request + response message bytes of those calls
  uint64_t bytes_received = 0;
  std::vector<int64_t> latencies_ns;          // sorted
  std::map<std::string, int64_t> errors_by_code;  // every failed call, warm-up included
  int64_t verified = 0;           // warm-up responses checked
  int64_t verify_failures = 0;
  std::string first_failure;      // the first error or verification message, for the log
  int64_t dropped = 0;            // open loop: requests not sent because too many were in flight

  double requests_per_s() const { return window_s > 0 ? completed / window_s : 0; }
  double gigabytes_per_s() const { return window_s > 0 ? (bytes_sent + bytes_received) / window_s / 1e9 : 0; }
  // Nearest-rank percentile in microseconds (q in [0, 100]); 0 without samples.
  double LatencyPercentileUs(double q) const;
  double MeanLatencyUs() const;
};

// Checks a successful response; OK when it is right.
using ResponseVerifier = std::function<absl::Status(const grpc::ByteBuffer& response)>;

class Recorder {
 public:
  // `verifier` may be empty (no checking).
  Recorder(Clock::time_point window_start, Clock::time_point window_end, ResponseVerifier verifier)
      : window_start_(window_start), window_end_(window_end), verifier_(std::move(verifier)) {}

  // One finished call. `response` may be null for calls that failed.
  void Record(Clock::time_point start, Clock::time_point end, const grpc::Status& status,
              const grpc::ByteBuffer* response, size_t request_bytes);
  void RecordDropped();

  Clock::time_point window_start() const { return window_start_; }
  Clock::time_point window_end() const { return window_end_; }

  // The measurement so far (sorts the latencies).
  Measurement Finish();

 private:
  const Clock::time_point window_start_, window_end_;
  const ResponseVerifier verifier_;
  std::mutex mutex_;
  Measurement result_;  // Guarded by mutex_.
};

}  // namespace rectifier::bench
