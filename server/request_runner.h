// RequestRunner: decides where and when a PreparedRequest's kernel runs. Shared by every API, so that
// scheduling and batching behave the same for rectifier.v1 and the Open Inference Protocol.
// Transport-free: the caller describes its call with CallControl.
//
// With a Batcher, requests small enough to batch go to it. Otherwise small requests are computed on the
// calling thread (cheaper than a thread hop: see bench/handoff_bench.cc), larger ones on the Executor. A
// request whose call was cancelled or whose deadline passed while it waited is never computed. Thread-safe; borrows everything in its options.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/call_gate.h"
#include "server/executor.h"
#include "server/prepared_request.h"

namespace rectifier::server {

class Batcher;

// What the runner may ask of the call a request belongs to. Both members may be called from any thread
// until `done` has run.
struct CallControl {
  std::function<bool()> cancelled;  // Optional: null means never cancelled.
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
};

struct RequestRunnerOptions {
  Executor* executor = nullptr;    // Required; borrowed.
  const CallGate* gate = nullptr;  // Required; borrowed: tells "stopping" from "overloaded".
  // Requests of piecewise-linear activations with at most this many input bytes are computed on the
  // calling thread; transcendental ones up to an eighth of it (they cost ~8x more per element). 128 KiB:
  // below it the kernel costs less than handing it to an executor thread (~3.5 us of CPU, measured by
  // bench/handoff_bench.cc; see bench/README.md).
  size_t inline_compute_max_bytes = 128 * 1024;
  // Optional; borrowed. When set, every request it Accepts() is computed in a batch by it (server/batcher.h)
  // instead of inline or on the executor; larger requests take the path above.
  Batcher* batcher = nullptr;
};

// How a request was run; handed to `done` (for metrics).
struct RunReport {
  // The request, valid only during the callback; null when it was refused before it was queued (the
  // executor dropped it).
  const PreparedRequest* request = nullptr;
  std::chrono::nanoseconds queued{0};    // From Run() to the start of its kernel call (0 when inline).
  std::chrono::nanoseconds computed{0};  // The kernel call that computed it (0 when not computed).
  int batch_requests = 1;                // Requests computed by that kernel call.
  bool computed_inline = false;          // On the calling thread.
  // Went through the Batcher, which reports its kernel calls to BatcherOptions::on_batch itself.
  bool batched = false;
};

class RequestRunner {
 public:
  using Done = std::function<void(const absl::Status&, const RunReport&)>;

  static absl::StatusOr<std::unique_ptr<RequestRunner>> Create(const RequestRunnerOptions& options);

  // Computes `request` and calls `done` exactly once with the result and a RunReport: OK (the output is written),
  // CANCELLED or DEADLINE_EXCEEDED (not computed), UNAVAILABLE (stopping or overloaded), or a kernel
  // error. `done` runs on the calling thread (before Run returns) or on an executor thread. Never blocks.
  void Run(PreparedRequest request, CallControl call, Done done) const;

  const RequestRunnerOptions& options() const { return options_; }

 private:
  explicit RequestRunner(const RequestRunnerOptions& options) : options_(options) {}
  const RequestRunnerOptions options_;
};

}  // namespace rectifier::server
