#include "bench/loadgen/recorder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/str_cat.h"

namespace rectifier::bench {
namespace {

constexpr double kNsPerUs = 1e3;

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                       "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                                       "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  return index >= 0 && index < 17 ? kNames[index] : StrCat("CODE_", index);
}

}  // namespace

double Measurement::LatencyPercentileUs(double q) const {
  if (latencies_ns.empty()) return 0;
  // The smallest rank with at least q% of the samples at or below it; the epsilon keeps 99.9% of 1000
  // samples at rank 999 despite 99.9 / 100 * 1000 computing as 999.0000000000001.
  constexpr double kRankEpsilon = 1e-9;
  const size_t rank = static_cast<size_t>(std::ceil(q / 100.0 * latencies_ns.size() - kRankEpsilon));
  return latencies_ns[std::clamp<size_t>(rank, 1, latencies_ns.size()) - 1] / kNsPerUs;
}

double Measurement::MeanLatencyUs() const {
  if (latencies_ns.empty()) return 0;
  return std::accumulate(latencies_ns.begin(), latencies_ns.end(), 0.0) / latencies_ns.size() / kNsPerUs;
}

void Recorder::Record(Clock::time_point start, Clock::time_point end, const grpc::Status& status,
                      const grpc::ByteBuffer* response, size_t request_bytes) {
  // Verification runs outside the lock: it parses and compares megabytes.
  absl::Status verified = absl::OkStatus();
  const bool check = status.ok() && verifier_ && end < window_start_ && response != nullptr;
  if (check) verified = verifier_(*response);

  std::lock_guard<std::mutex> lock(mutex_);
  if (!status.ok()) {
    ++result_.errors_by_code[CodeName(status.error_code())];
    if (result_.first_failure.empty()) {
      result_.first_failure = StrCat(CodeName(status.error_code()), ": ", status.error_message());
    }
    return;
  }
  if (check) {
    ++result_.verified;
    if (!verified.ok()) {
      ++result_.verify_failures;
      if (result_.first_failure.empty()) result_.first_failure = StrCat("verification: ", std::string(verified.message()));
    }
  }
  if (end < window_start_ || end > window_end_) return;
  ++result_.completed;
  result_.bytes_sent += request_bytes;
  result_.bytes_received += response != nullptr ? response->Length() : 0;
  result_.latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
}

void Recorder::RecordDropped() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++result_.dropped;
}

Measurement Recorder::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  Measurement out = result_;
  out.window_s = std::chrono::duration<double>(window_end_ - window_start_).count();
  std::sort(out.latencies_ns.begin(), out.latencies_ns.end());
  return out;
}

}  // namespace rectifier::bench
