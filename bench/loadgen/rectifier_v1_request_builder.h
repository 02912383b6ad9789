// The rectifier.v1 request builder: ActivationService.Apply / ApplyStream with an inline activation spec
// and a random input tensor; the reference output comes from the kernel library, run locally.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "bench/loadgen/request_builder.h"

namespace rectifier::bench {

absl::StatusOr<std::unique_ptr<RequestBuilder>> CreateRectifierV1RequestBuilder(const RequestSpec& spec);

}  // namespace rectifier::bench
