#include "server/request_runner.h"

#include <utility>

#include "kernels/apply.h"
#include "kernels/apply_in_runs.h"
#include "kernels/str_cat.h"
#include "server/batcher.h"

namespace rectifier::server {
namespace {

// Transcendental activations cost about this many times more per element than piecewise-linear ones.
constexpr size_t kTranscendentalCostFactor = 8;

using SteadyClock = std::chrono::steady_clock;

// Computes `request`, recording the kernel's duration in `report`.
absl::Status Compute(const PreparedRequest& request, RunReport& report) {
  const SteadyClock::time_point start = SteadyClock::now();
  absl::Status status = request.in_place_runs.empty()
                            ? Apply(request.activation, request.input, request.output)
                            : ApplyInRuns(request.activation, request.input.dtype, request.in_place_runs);
  report.computed = SteadyClock::now() - start;
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RequestRunner>> RequestRunner::Create(const RequestRunnerOptions& options) {
  if (options.executor == nullptr) return absl::InvalidArgumentError("executor must be set; was null");
  if (options.gate == nullptr) return absl::InvalidArgumentError("gate must be set; was null");
  return std::unique_ptr<RequestRunner>(new RequestRunner(options));
}

void RequestRunner::Run(PreparedRequest request, CallControl call, Done done) const {
  const size_t inline_max_bytes = request.piecewise_linear
                                      ? options_.inline_compute_max_bytes
                                      : options_.inline_compute_max_bytes / kTranscendentalCostFactor;
  if (options_.batcher != nullptr && options_.batcher->Accepts(request)) {
    const bool may_run_on_caller = request.input_bytes <= inline_max_bytes;
    options_.batcher->Submit(std::move(request), std::move(call), std::move(done), may_run_on_caller);
    return;
  }
  if (request.input_bytes <= inline_max_bytes) {
    RunReport report{.request = &request, .computed_inline = true};
    absl::Status status = Compute(request, report);
    done(status, report);
    return;
  }
  auto task = [request = std::move(request), call, done, queued_at = SteadyClock::now()]() {
    RunReport report{.request = &request, .queued = SteadyClock::now() - queued_at};
    if (call.cancelled && call.cancelled()) {
      done(absl::CancelledError("the call was cancelled before it was computed"), report);
      return;
    }
    if (call.deadline < std::chrono::system_clock::now()) {
      done(absl::DeadlineExceededError("the deadline passed before the request was computed"), report);
      return;
    }
    absl::Status status = Compute(request, report);
    done(status, report);
  };
  if (!options_.executor->Schedule(std::move(task))) {
    done(options_.gate->stopping()
             ? StoppingError()
             : absl::UnavailableError("the server is overloaded (executor queue full); retry later"),
         RunReport{});
  }
}

}  // namespace rectifier::server
