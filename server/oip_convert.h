// Translation between Open Inference Protocol (inference.GRPCInferenceService) messages and the kernel
// library's types: the OIP counterpart of server/apply_handler.h + server/proto_convert.h. Every error
// names the request field, e.g. "inputs[0].shape[1] must be non-negative; was -3".
//
// How a ModelInferRequest is read:
// - model_name: a repository model (every catalogue activation is one, with PyTorch's defaults);
//   model_version "" or "1" (anything else: NOT_FOUND).
// - parameters: override the model's activation parameters by name (negative_slope, alpha, axis, ...).
//   Numbers as double_param, int64_param or uint64_param (integers where the parameter is one); gelu's
//   approximate as string_param ("none"/"tanh") or bool_param (true: tanh). Unknown names are
//   INVALID_ARGUMENT naming them.
// - inputs: one tensor of any name (the activation's input); PReLU weights may come as a second tensor
//   named "weight" (a floating-point type, any shape, 1 or C elements). Tensor data in raw_input_contents
//   or in typed contents (int_contents for INT8/INT16/INT32, uint_contents for UINT8, int64_contents,
//   fp32_contents, fp64_contents; FP16 and BF16 only raw, as the protocol says), not mixed.
// - outputs: empty, or the single output "output".
// The response holds one output "output" (CReLU doubles its axis) of PyTorch's result type (sigmoid of
// INT8 is FP32), in raw_output_contents, or in typed contents when the request sent typed contents.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/map.h"
#include "inference/grpc_service.pb.h"
#include "kernels/activation.h"
#include "kernels/data_type.h"
#include "server/model_repository.h"
#include "server/prepared_request.h"
#include "server/proto_convert.h"

namespace rectifier::server {

// The model's single input and output, as metadata names them.
inline constexpr std::string_view kOipInputName = "input";
inline constexpr std::string_view kOipWeightInputName = "weight";
inline constexpr std::string_view kOipOutputName = "output";
// Every model has this one version.
inline constexpr std::string_view kOipModelVersion = "1";

// "FP32", "BF16", "INT8", ... <-> DataType. nullopt for names Rectifier does not serve (BOOL, UINT16,
// UINT32, UINT64, BYTES) and unknown ones.
std::optional<DataType> DataTypeFromOip(std::string_view name);
std::string_view OipDataTypeName(DataType dtype);

// The model `name` at `version` ("" or "1"); NOT_FOUND naming what is missing.
absl::StatusOr<const Model*> FindOipModel(const ModelRepository& models, std::string_view name,
                                          std::string_view version);

// `base` with `parameters` applied and validated (INVALID_ARGUMENT naming the parameter).
absl::StatusOr<Activation> ApplyOipParameters(
    Activation base, const google::protobuf::Map<std::string, inference::InferParameter>& parameters);

// One ModelInfer request made ready to compute, with the buffers its computation borrows. Keep it (at a
// stable address: it is handed out as a unique_ptr) until the computation is done and FinishOipInfer ran.
struct OipInfer {
  // Moved to the RequestRunner. Points into the request, the response and the buffers below.
  PreparedRequest prepared;
  std::vector<char> typed_input;   // The input's elements, when the request sent typed contents.
  std::vector<char> typed_output;  // Where the kernel writes when the answer goes in typed contents.
  DataType output_dtype = DataType::kFloat32;
  bool answer_typed = false;
};

// Validates `request` and shapes `response` (model name and version, id, the output tensor with its
// raw_output_contents sized). Errors: NOT_FOUND (unknown model or version), INVALID_ARGUMENT (bad tensor,
// parameter or requested output), RESOURCE_EXHAUSTED (over a limit).
absl::StatusOr<std::unique_ptr<OipInfer>> PrepareOipInfer(const inference::ModelInferRequest& request,
                                                          const ModelRepository& models,
                                                          const TensorLimits& limits,
                                                          inference::ModelInferResponse* response);

// After a successful computation: moves a typed answer into the response's typed contents (a raw answer
// is already in place).
void FinishOipInfer(const OipInfer& infer, inference::ModelInferResponse* response);

}  // namespace rectifier::server
