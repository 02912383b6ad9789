// The Open Inference Protocol request builder: inference.GRPCInferenceService/ModelInfer with the model
// named after the activation, its parameters in the request's `parameters` map (PReLU weights as a second
// FP64 tensor `weight`) and the input in raw_input_contents; the reference output comes from the kernel
// library, run locally. The protocol's streaming method is not served by rectifier-server, so
// stream_method() is empty.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "bench/loadgen/request_builder.h"

namespace rectifier::bench {

absl::StatusOr<std::unique_ptr<RequestBuilder>> CreateOipRequestBuilder(const RequestSpec& spec);

}  // namespace rectifier::bench
