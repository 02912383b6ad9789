// Non-owning views of dense, contiguous, row-major tensors.
//
// A view borrows its shape and data: the caller keeps both alive while the view is used. Kernels read
// `TensorView` and write `MutableTensorView`; neither allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "kernels/data_type.h"

namespace rectifier {

struct TensorView {
  DataType dtype = DataType::kFloat32;
  std::span<const int64_t> shape;  // Empty: a scalar (one element).
  const void* data = nullptr;      // prod(shape) * ElementSizeBytes(dtype) bytes, little-endian.
};

struct MutableTensorView {
  DataType dtype = DataType::kFloat32;
  std::span<const int64_t> shape;
  void* data = nullptr;
};

// prod(shape), or INVALID_ARGUMENT naming `field` when a dimension is negative or the product overflows
// int64. Example message: "input.shape[1] must be non-negative; was -3".
absl::StatusOr<int64_t> NumElements(std::span<const int64_t> shape, std::string_view field = "shape");

}  // namespace rectifier
