// Translation between rectifier.v1 protobuf messages and the kernel library's types. The only place that
// knows both; everything it returns is validated, with INVALID_ARGUMENT messages naming the proto field
// (e.g. "activation.celu.alpha must be non-zero; was 0").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "kernels/activation.h"
#include "kernels/data_type.h"
#include "kernels/tensor.h"
#include "rectifier/v1/rectifier.pb.h"

namespace rectifier::server {

std::optional<DataType> DataTypeFromProto(v1::DataType dtype);
v1::DataType DataTypeToProto(DataType dtype);

// A validated activation from its proto form; unset parameters take PyTorch's defaults.
absl::StatusOr<Activation> ActivationFromProto(const v1::Activation& proto);
void ActivationToProto(const Activation& activation, v1::Activation* proto);

// Limits applied to every request tensor; exceeding one is RESOURCE_EXHAUSTED.
struct TensorLimits {
  int64_t max_elements = int64_t{1} << 28;
  int max_rank = 16;
};

// prod(shape) of a request tensor within `limits`: RESOURCE_EXHAUSTED over max_rank or max_elements,
// INVALID_ARGUMENT for a negative dimension or an overflowing product. `field` names the tensor ("input").
absl::StatusOr<int64_t> LimitedElements(std::span<const int64_t> shape, const TensorLimits& limits,
                                        std::string_view field);

// OK when an output of `elements` elements is within limits.max_elements (CReLU doubles its input), else
// RESOURCE_EXHAUSTED.
absl::Status CheckOutputElements(int64_t elements, const TensorLimits& limits);

// A view of a request tensor: checks the data type, the rank and element count against `limits`, negative
// dimensions, overflow, and that data holds exactly prod(shape) * element size bytes. The view borrows
// `proto`'s shape and data. `field` names the tensor in messages ("input").
absl::StatusOr<TensorView> TensorViewFromProto(const v1::Tensor& proto, const TensorLimits& limits,
                                               std::string_view field);

// As above for a tensor whose data, `data_bytes` bytes, is not in `proto` but elsewhere (received in runs:
// server/apply_request_slices.h): the same checks and messages. The view's data is null.
absl::StatusOr<TensorView> TensorViewFromProto(const v1::Tensor& proto, size_t data_bytes, const TensorLimits& limits,
                                               std::string_view field);

// Shapes `proto` as a tensor of `dtype` and `shape`, sizes its data (uninitialised content) and returns a
// view to write the result into. The view borrows `proto`.
MutableTensorView PrepareOutputTensor(DataType dtype, std::span<const int64_t> shape, size_t elements,
                                      v1::Tensor* proto);

// Sets only `proto`'s dtype and shape; the returned view's data is null, for the caller to point at the
// bytes it allocated elsewhere. The view borrows `proto`'s shape.
MutableTensorView DescribeOutputTensor(DataType dtype, std::span<const int64_t> shape, v1::Tensor* proto);

}  // namespace rectifier::server
