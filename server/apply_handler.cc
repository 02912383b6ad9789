#include "server/apply_handler.h"

#include "kernels/apply_in_runs.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "kernels/validation.h"
#include "server/server_metrics.h"

namespace rectifier::server {

absl::StatusOr<std::unique_ptr<ApplyHandler>> ApplyHandler::Create(const ApplyHandlerOptions& options) {
  if (options.models == nullptr) return absl::InvalidArgumentError("models must be set; was null");
  if (options.limits.max_elements <= 0) {
    return absl::InvalidArgumentError(StrCat("limits.max_elements must be positive; was ", options.limits.max_elements));
  }
  if (options.limits.max_rank <= 0) {
    return absl::InvalidArgumentError(StrCat("limits.max_rank must be positive; was ", options.limits.max_rank));
  }
  return std::unique_ptr<ApplyHandler>(new ApplyHandler(options));
}

absl::StatusOr<PreparedRequest> ApplyHandler::Prepare(const v1::ApplyRequest& request, v1::ApplyResponse* response,
                                                      ApplyResponseWire* wire) const {
  return PrepareImpl(request, response, wire, nullptr, nullptr);
}

absl::StatusOr<PreparedRequest> ApplyHandler::Prepare(v1::ApplyRequest* request, v1::ApplyResponse* response,
                                                      ApplyResponseWire* wire) const {
  return PrepareImpl(*request, response, wire, request, nullptr);
}

absl::StatusOr<PreparedRequest> ApplyHandler::Prepare(SlicedApplyRequest* request, v1::ApplyResponse* response,
                                                      ApplyResponseWire* wire) const {
  // Parsed whole (ReceiveApplyRequest keeps no slices then): the data is in the message.
  if (request->slices.empty()) return Prepare(&request->request, response, wire);
  return PrepareImpl(request->request, response, wire, &request->request, request);
}

absl::StatusOr<PreparedRequest> ApplyHandler::PrepareImpl(const v1::ApplyRequest& request,
                                                          v1::ApplyResponse* response, ApplyResponseWire* wire,
                                                          v1::ApplyRequest* reusable,
                                                          SlicedApplyRequest* sliced) const {
  response->set_request_id(request.request_id());
  PreparedRequest prepared;
  const bool has_activation = request.has_activation();
  const bool has_model = !request.model().empty();
  if (has_activation == has_model) {
    return absl::InvalidArgumentError(has_activation
                                          ? "set either activation or model, not both"
                                          : "set activation (an inline spec) or model (a repository name)");
  }
  if (has_model) {
    const Model* model = options_.models->Find(request.model());
    if (model == nullptr) {
      return absl::NotFoundError(StrCat("model '", request.model(), "' is not in the repository; ListModels lists them"));
    }
    prepared.activation = model->activation;
    prepared.model = model->name;
  } else {
    RECTIFIER_ASSIGN_OR_RETURN(prepared.activation, ActivationFromProto(request.activation()));
  }
  if (!request.has_input()) return absl::InvalidArgumentError("input must be set");
  // Only now: mutable_input() would create the input the check above looks for.
  std::string* reusable_input = reusable != nullptr ? reusable->mutable_input()->mutable_data() : nullptr;
  // Received in slices, the data is not in the message (an empty `data` there).
  const size_t data_bytes = sliced != nullptr ? sliced->data_bytes : request.input().data().size();
  RECTIFIER_ASSIGN_OR_RETURN(prepared.input,
                             TensorViewFromProto(request.input(), data_bytes, options_.limits, "input"));
  absl::Status fits = ValidateForInput(prepared.activation, prepared.input.dtype, prepared.input.shape, "input",
                                       has_model ? "" : "activation.");
  if (!fits.ok()) {
    return absl::Status(fits.code(), has_model ? StrCat("model '", request.model(), "': ", std::string(fits.message()))
                                               : std::string(fits.message()));
  }
  const std::vector<int64_t> out_shape = OutputShape(prepared.activation, prepared.input.shape);
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t out_elements, NumElements(out_shape, "output.shape"));
  RECTIFIER_RETURN_IF_ERROR(CheckOutputElements(out_elements, options_.limits));
  const DataType out_dtype = OutputDataType(prepared.activation, prepared.input.dtype);
  prepared.input_bytes = data_bytes;
  prepared.output_bytes = static_cast<size_t>(out_elements) * ElementSizeBytes(out_dtype);
  prepared.piecewise_linear = IsPiecewiseLinear(prepared.activation);
  const bool output_may_overwrite_input = out_dtype == prepared.input.dtype &&
                                          prepared.output_bytes == prepared.input_bytes &&
                                          !(has_model && IsReluFamily(KindOf(prepared.activation)));
  if (sliced != nullptr && sliced->data_bytes > 0) {
    if (wire != nullptr && output_may_overwrite_input && AppliesInRuns(prepared.activation, prepared.input.dtype)) {
      prepared.output = DescribeOutputTensor(out_dtype, out_shape, response->mutable_output());
      prepared.in_place_runs.reserve(sliced->data.size());
      for (const DataSegment& segment : sliced->data) {
        prepared.in_place_runs.push_back({sliced->SegmentStart(segment), segment.bytes});
      }
      wire->AdoptReceivedData(std::move(sliced->slices), std::move(sliced->data));
      return prepared;
    }
    // The kernel needs the input in one piece: the copy a whole parse would have made.
    CopyDataIntoRequest(sliced);
  }
  prepared.input.data = request.input().data().data();
  if (wire != nullptr) {
    prepared.output = DescribeOutputTensor(out_dtype, out_shape, response->mutable_output());
    const bool in_place = reusable_input != nullptr && output_may_overwrite_input;
    if (in_place) {
      // The bytes move with their buffer (or, for a short string, are copied with it): the view follows.
      prepared.output.data = wire->AdoptAsOutput(std::move(*reusable_input));
      prepared.input.data = prepared.output.data;
    } else {
      prepared.output.data = wire->AllocateOutput(prepared.output_bytes);
    }
  } else {
    prepared.output = PrepareOutputTensor(out_dtype, out_shape, static_cast<size_t>(out_elements),
                                          response->mutable_output());
  }
  return prepared;
}

}  // namespace rectifier::server
