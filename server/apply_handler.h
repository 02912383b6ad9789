// ApplyHandler: turns one rectifier.v1.ApplyRequest into its ApplyResponse. Shared by the unary and the
// streaming RPC (and any later API) so that every path validates and computes the same way.
//
// Work is split in two so the caller decides where the kernel runs: Prepare() validates and sizes the
// output (cheap, any thread); Compute() runs the kernel (may take milliseconds: gRPC's callback threads
// hand large requests to the Executor). Thread-safe; holds no per-request state.
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "kernels/activation.h"
#include "kernels/tensor.h"
#include "rectifier/v1/rectifier.pb.h"
#include "server/model_repository.h"
#include "server/proto_convert.h"

namespace rectifier::server {

struct ApplyHandlerOptions {
  TensorLimits limits;
  // Borrowed; must outlive the handler. Required.
  const ModelRepository* models = nullptr;
};

class ApplyHandler {
 public:
  static absl::StatusOr<std::unique_ptr<ApplyHandler>> Create(const ApplyHandlerOptions& options);

  // A validated request, ready to compute. Borrows the request and the response it was prepared with.
  struct Prepared {
    Activation activation;
    TensorView input;
    MutableTensorView output;
    size_t input_bytes = 0;
    // A few compares and multiplies per element (relu family, hard* functions): about 8x cheaper per
    // element than the transcendental ones, which matters for where the server computes it.
    bool piecewise_linear = false;
  };

  // Validates `request` and shapes `response` (request_id, output dtype/shape, data sized). Errors:
  // INVALID_ARGUMENT (bad activation, model/activation both or neither, bad tensor), NOT_FOUND (unknown
  // model), RESOURCE_EXHAUSTED (over a tensor limit).
  absl::StatusOr<Prepared> Prepare(const v1::ApplyRequest& request, v1::ApplyResponse* response) const;

  // Runs the kernel into the response's output buffer.
  static absl::Status Compute(const Prepared& prepared);

 private:
  explicit ApplyHandler(const ApplyHandlerOptions& options) : options_(options) {}
  const ApplyHandlerOptions options_;
};

}  // namespace rectifier::server
