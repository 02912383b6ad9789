#include "rectifier/client/tensor.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/data_type.h"
#include "kernels/str_cat.h"
#include "kernels/tensor.h"
#include "server/proto_convert.h"

namespace rectifier::client {

Float16 ToFloat16(float value) {
  const uint32_t f = std::bit_cast<uint32_t>(value);
  const uint32_t sign = (f >> 16) & 0x8000u;
  const uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // Inf or NaN (kept quiet, payload's top bits kept).
    return {static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x0200u | ((abs >> 13) & 0x3ffu) : 0u))};
  }
  if (abs >= 0x477ff000u) return {static_cast<uint16_t>(sign | 0x7c00u)};  // Rounds to >= 65520: inf.
  if (abs < 0x38800000u) {  // Below the smallest normal half: a subnormal or zero, rounded by the FPU.
    const float scaled = std::bit_cast<float>(abs) * 16777216.0f;  // 2^24: units of the subnormal step.
    return {static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(scaled)))};
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits to nearest even.
  const uint32_t rebased = abs - 0x38000000u;
  const uint32_t rounded = rebased + 0x0fffu + ((rebased >> 13) & 1u);
  return {static_cast<uint16_t>(sign | (rounded >> 13))};
}

float FromFloat16(Float16 value) {
  const uint32_t sign = static_cast<uint32_t>(value.bits & 0x8000u) << 16;
  const uint32_t exponent = (value.bits >> 10) & 0x1fu;
  const uint32_t mantissa = value.bits & 0x3ffu;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) / 16777216.0f;  // mantissa * 2^-24.
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

BFloat16 ToBFloat16(float value) {
  const uint32_t f = std::bit_cast<uint32_t>(value);
  if ((f & 0x7fffffffu) > 0x7f800000u) return {static_cast<uint16_t>((f >> 16) | 0x0040u)};  // Quiet NaN.
  return {static_cast<uint16_t>((f + 0x7fffu + ((f >> 16) & 1u)) >> 16)};
}

float FromBFloat16(BFloat16 value) { return std::bit_cast<float>(static_cast<uint32_t>(value.bits) << 16); }

size_t ElementSizeBytes(v1::DataType dtype) {
  std::optional<DataType> core = server::DataTypeFromProto(dtype);
  return core.has_value() ? rectifier::ElementSizeBytes(*core) : 0;
}

std::string_view DataTypeName(v1::DataType dtype) {
  std::optional<DataType> core = server::DataTypeFromProto(dtype);
  return core.has_value() ? rectifier::DataTypeName(*core) : std::string_view("unspecified");
}

std::optional<v1::DataType> ParseDataTypeName(std::string_view name) {
  std::optional<DataType> core = rectifier::ParseDataType(name);
  if (!core.has_value()) return std::nullopt;
  return server::DataTypeToProto(*core);
}

absl::StatusOr<int64_t> ElementCount(std::span<const int64_t> shape) { return NumElements(shape, "shape"); }

absl::StatusOr<v1::Tensor> MakeTensorFromBytes(v1::DataType dtype, std::span<const int64_t> shape,
                                               std::span<const std::byte> bytes) {
  const size_t element_size = ElementSizeBytes(dtype);
  if (element_size == 0) return absl::InvalidArgumentError(StrCat("unknown data type ", static_cast<int>(dtype)));
  absl::StatusOr<int64_t> count = ElementCount(shape);
  if (!count.ok()) return count.status();
  if (static_cast<uint64_t>(*count) > std::numeric_limits<uint64_t>::max() / element_size ||
      static_cast<uint64_t>(*count) * element_size != bytes.size()) {
    return absl::InvalidArgumentError(StrCat("shape [", StrJoin(shape, ", "), "] holds ", *count, " elements of ",
                                             DataTypeName(dtype), "; the data has ", bytes.size(), " bytes"));
  }
  v1::Tensor tensor;
  tensor.set_dtype(dtype);
  tensor.mutable_shape()->Add(shape.begin(), shape.end());
  tensor.mutable_data()->assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return tensor;
}

absl::StatusOr<int64_t> CheckTensor(const v1::Tensor& tensor, v1::DataType expected_dtype) {
  if (tensor.dtype() != expected_dtype) {
    return absl::InvalidArgumentError(StrCat("tensor holds ", DataTypeName(tensor.dtype()), ", not ",
                                             DataTypeName(expected_dtype)));
  }
  absl::StatusOr<int64_t> count = ElementCount(std::span<const int64_t>(tensor.shape().data(), tensor.shape().size()));
  if (!count.ok()) return count.status();
  const size_t element_size = ElementSizeBytes(expected_dtype);
  if (static_cast<uint64_t>(*count) * element_size != tensor.data().size()) {
    return absl::InvalidArgumentError(StrCat("tensor shape holds ", *count, " elements; its data has ",
                                             tensor.data().size(), " bytes of ", DataTypeName(expected_dtype)));
  }
  return *count;
}

}  // namespace rectifier::client
