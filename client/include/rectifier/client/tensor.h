// Tensor helpers: rectifier.v1.Tensor messages from spans of C++ values and views of their elements back.
//
// Copies: a request tensor's bytes are copied once into the message (protobuf messages own their bytes);
// a response tensor is read in place through TensorValues(), without a copy. Data is little-endian, as the
// API requires (checked at compile time: this library builds only on little-endian machines).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rectifier/v1/rectifier.pb.h"

namespace rectifier::client {

static_assert(std::endian::native == std::endian::little, "rectifier.v1 tensors are little-endian");

// 16-bit floating-point elements, held as their bit patterns: IEEE 754 binary16 and bfloat16 (the upper
// half of a float32). Convert with the functions below (round to nearest even).
struct Float16 {
  uint16_t bits = 0;
};
struct BFloat16 {
  uint16_t bits = 0;
};
Float16 ToFloat16(float value);
float FromFloat16(Float16 value);
BFloat16 ToBFloat16(float value);
float FromBFloat16(BFloat16 value);

// The rectifier.v1 data type of a C++ element type.
template <class T>
inline constexpr v1::DataType kDataTypeOf = v1::DATA_TYPE_UNSPECIFIED;
template <> inline constexpr v1::DataType kDataTypeOf<float> = v1::DATA_TYPE_FLOAT32;
template <> inline constexpr v1::DataType kDataTypeOf<double> = v1::DATA_TYPE_FLOAT64;
template <> inline constexpr v1::DataType kDataTypeOf<Float16> = v1::DATA_TYPE_FLOAT16;
template <> inline constexpr v1::DataType kDataTypeOf<BFloat16> = v1::DATA_TYPE_BFLOAT16;
template <> inline constexpr v1::DataType kDataTypeOf<int8_t> = v1::DATA_TYPE_INT8;
template <> inline constexpr v1::DataType kDataTypeOf<uint8_t> = v1::DATA_TYPE_UINT8;
template <> inline constexpr v1::DataType kDataTypeOf<int16_t> = v1::DATA_TYPE_INT16;
template <> inline constexpr v1::DataType kDataTypeOf<int32_t> = v1::DATA_TYPE_INT32;
template <> inline constexpr v1::DataType kDataTypeOf<int64_t> = v1::DATA_TYPE_INT64;

// Bytes per element; 0 for DATA_TYPE_UNSPECIFIED and unknown values.
size_t ElementSizeBytes(v1::DataType dtype);
// NumPy's name: "float32", "float64", "float16", "bfloat16", "int8", ...; "unspecified" otherwise.
std::string_view DataTypeName(v1::DataType dtype);
// Inverse of DataTypeName; nullopt for an unknown name.
std::optional<v1::DataType> ParseDataTypeName(std::string_view name);

// prod(shape), or INVALID_ARGUMENT for a negative dimension or an overflow.
absl::StatusOr<int64_t> ElementCount(std::span<const int64_t> shape);

// A tensor of `dtype` and `shape` holding a copy of `bytes`; INVALID_ARGUMENT when the sizes disagree.
absl::StatusOr<v1::Tensor> MakeTensorFromBytes(v1::DataType dtype, std::span<const int64_t> shape,
                                               std::span<const std::byte> bytes);

// A tensor of `shape` holding a copy of `values`; INVALID_ARGUMENT when values.size() != prod(shape).
// An empty shape is a scalar (one value).
template <class T>
absl::StatusOr<v1::Tensor> MakeTensor(std::span<const T> values, std::span<const int64_t> shape) {
  static_assert(kDataTypeOf<T> != v1::DATA_TYPE_UNSPECIFIED, "not a rectifier.v1 element type");
  return MakeTensorFromBytes(kDataTypeOf<T>, shape, std::as_bytes(values));
}
// A rank-1 tensor of `values`.
template <class T>
v1::Tensor MakeTensor(std::span<const T> values) {
  const int64_t shape[] = {static_cast<int64_t>(values.size())};
  return *MakeTensor(values, std::span<const int64_t>(shape));
}
template <class T>
v1::Tensor MakeTensor(const std::vector<T>& values) {
  return MakeTensor(std::span<const T>(values));
}

// The elements of `tensor` in place (valid while `tensor` lives and is unchanged). INVALID_ARGUMENT when
// its data type is not T's or its data size disagrees with its shape.
template <class T>
absl::StatusOr<std::span<const T>> TensorValues(const v1::Tensor& tensor);

// Checks that `tensor` holds a valid data type and exactly prod(shape) elements of it; returns the count.
absl::StatusOr<int64_t> CheckTensor(const v1::Tensor& tensor, v1::DataType expected_dtype);

// Copies the elements of `tensor` into `out`; INVALID_ARGUMENT when the data type is not T's or out.size()
// is not the element count.
template <class T>
absl::Status CopyTensorValues(const v1::Tensor& tensor, std::span<T> out) {
  absl::StatusOr<int64_t> count = CheckTensor(tensor, kDataTypeOf<T>);
  if (!count.ok()) return count.status();
  if (static_cast<size_t>(*count) != out.size()) {
    return absl::InvalidArgumentError("output span has " + std::to_string(out.size()) + " elements; the tensor " +
                                      std::to_string(*count));
  }
  if (!out.empty()) std::memcpy(out.data(), tensor.data().data(), out.size_bytes());
  return absl::OkStatus();
}

template <class T>
absl::StatusOr<std::span<const T>> TensorValues(const v1::Tensor& tensor) {
  static_assert(kDataTypeOf<T> != v1::DATA_TYPE_UNSPECIFIED, "not a rectifier.v1 element type");
  absl::StatusOr<int64_t> count = CheckTensor(tensor, kDataTypeOf<T>);
  if (!count.ok()) return count.status();
  const std::string& data = tensor.data();
  // std::string storage comes from operator new (aligned for any scalar) or, for up to 15 bytes, from the
  // string's own buffer, aligned for pointers: any element type fits. Checked anyway: never read misaligned.
  if (reinterpret_cast<uintptr_t>(data.data()) % alignof(T) != 0) {
    return absl::FailedPreconditionError("tensor data is not aligned for its element type; use CopyTensorValues");
  }
  return std::span<const T>(reinterpret_cast<const T*>(data.data()), static_cast<size_t>(*count));
}

}  // namespace rectifier::client
