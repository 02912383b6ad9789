#include "bench/loadgen/open_loop.h"

#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "grpcpp/client_context.h"

namespace rectifier::bench {
namespace {

// Counts calls in flight; Wait() returns when none is left. mutex_ guards outstanding_.
class InFlight {
 public:
  bool TryAdd(int limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (outstanding_ >= limit) return false;
    ++outstanding_;
    return true;
  }
  void Remove() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--outstanding_ == 0) idle_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return outstanding_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  int outstanding_ = 0;
};

struct OpenCall {
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  Clock::time_point due;
};

}  // namespace

void RunOpenLoop(const LoadSpec& spec, const RateSpec& rate, Clock::time_point start, Recorder& recorder) {
  std::mt19937_64 rng(rate.seed);
  std::exponential_distribution<double> poisson_gap_s(rate.requests_per_s);
  const double fixed_gap_s = 1.0 / rate.requests_per_s;
  InFlight in_flight;
  const auto& stubs = *spec.stubs;
  size_t next_stub = 0;
  Clock::time_point due = start;
  while (due < recorder.window_end()) {
    std::this_thread::sleep_until(due);
    if (!in_flight.TryAdd(rate.max_outstanding)) {
      recorder.RecordDropped();
    } else {
      auto* call = new OpenCall;
      call->due = due;
      call->context.set_deadline(std::chrono::system_clock::now() + spec.call_timeout);
      stubs[next_stub++ % stubs.size()]->UnaryCall(
          &call->context, *spec.method, {}, spec.request, &call->response,
          [call, &recorder, &in_flight, &spec](grpc::Status status) {
            recorder.Record(call->due, Clock::now(), status, status.ok() ? &call->response : nullptr,
                            spec.request->Length());
            delete call;
            in_flight.Remove();
          });
    }
    const double gap_s = rate.poisson ? poisson_gap_s(rng) : fixed_gap_s;
    due += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap_s));
  }
  in_flight.Wait();
}

}  // namespace rectifier::bench
