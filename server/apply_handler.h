// ApplyHandler: turns one rectifier.v1.ApplyRequest into its ApplyResponse. Shared by the unary and the
// streaming RPC (and any later API) so that every path validates and computes the same way.
//
// Prepare() validates and sizes the output (cheap, any thread) and returns a PreparedRequest; the
// RequestRunner decides where its kernel runs. Thread-safe; holds no per-request state.
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "kernels/activation.h"
#include "kernels/tensor.h"
#include "rectifier/v1/rectifier.pb.h"
#include "server/apply_request_slices.h"
#include "server/apply_wire.h"
#include "server/model_repository.h"
#include "server/prepared_request.h"
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

  // Validates `request` and shapes `response` (request_id, output dtype/shape, data sized). Errors:
  // INVALID_ARGUMENT (bad activation, model/activation both or neither, bad tensor), NOT_FOUND (unknown
  // model), RESOURCE_EXHAUSTED (over a tensor limit).
  // The result borrows `request` and `response`. With `wire`, the output bytes are allocated there,
  // uninitialised, and response->output gets only its dtype and shape (see apply_wire.h);
  // without it they go to response->output().data. The result then borrows `wire` as well.
  absl::StatusOr<PreparedRequest> Prepare(const v1::ApplyRequest& request, v1::ApplyResponse* response,
                                          ApplyResponseWire* wire = nullptr) const;

  // As above, and computes in place when it can: when the output has the input's data type and size
  // (every activation but CReLU and sigmoid/tanh of integers), the input bytes move from `request` to
  // `wire` (ApplyResponseWire::AdoptAsOutput) and the kernel overwrites them. Not for requests naming a
  // ReLU-family repository model: the dead-unit tracker reads their input after the kernel ran.
  absl::StatusOr<PreparedRequest> Prepare(v1::ApplyRequest* request, v1::ApplyResponse* response,
                                          ApplyResponseWire* wire) const;

  // As above for a request whose input.data is still in its receive slices (ParseApplyRequestInSlices).
  // When AppliesInRuns (kernels/apply_in_runs.h) and the output has the input's type and size, and the
  // request does not name a ReLU-family model (whose input the dead-unit tracker reads afterwards), the
  // kernel computes in place there (PreparedRequest::in_place_runs) and `wire` takes the slices: the
  // response is sent from them. Otherwise the data is copied out into request->request first, as a whole
  // parse would have, and the slices released.
  absl::StatusOr<PreparedRequest> Prepare(SlicedApplyRequest* request, v1::ApplyResponse* response,
                                          ApplyResponseWire* wire) const;

 private:
  absl::StatusOr<PreparedRequest> PrepareImpl(const v1::ApplyRequest& request, v1::ApplyResponse* response,
                                              ApplyResponseWire* wire, v1::ApplyRequest* reusable,
                                              SlicedApplyRequest* sliced) const;

  explicit ApplyHandler(const ApplyHandlerOptions& options) : options_(options) {}
  const ApplyHandlerOptions options_;
};

}  // namespace rectifier::server
