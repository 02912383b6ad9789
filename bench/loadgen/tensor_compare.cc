#include "bench/loadgen/tensor_compare.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/str_cat.h"

namespace rectifier::bench {
namespace {

template <typename T>
T Load(std::string_view bytes, size_t index) {
  T value;
  std::memcpy(&value, bytes.data() + index * sizeof(T), sizeof(T));
  return value;
}

double HalfToDouble(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  double magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(mantissa, -24);
  } else if (exponent == 31) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else {
    magnitude = std::ldexp(mantissa + 1024, exponent - 25);
  }
  return (bits & 0x8000) ? -magnitude : magnitude;
}

double ElementAsDouble(DataType dtype, std::string_view bytes, size_t i) {
  switch (dtype) {
    case DataType::kFloat32: return Load<float>(bytes, i);
    case DataType::kFloat64: return Load<double>(bytes, i);
    case DataType::kFloat16: return HalfToDouble(Load<uint16_t>(bytes, i));
    case DataType::kBFloat16: return std::bit_cast<float>(static_cast<uint32_t>(Load<uint16_t>(bytes, i)) << 16);
    case DataType::kInt8: return Load<int8_t>(bytes, i);
    case DataType::kUInt8: return Load<uint8_t>(bytes, i);
    case DataType::kInt16: return Load<int16_t>(bytes, i);
    case DataType::kInt32: return Load<int32_t>(bytes, i);
    case DataType::kInt64: return static_cast<double>(Load<int64_t>(bytes, i));
  }
  return 0;
}

double RelativeTolerance(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return 1e-5;
    case DataType::kFloat64: return 1e-12;
    case DataType::kFloat16:
    case DataType::kBFloat16: return 1e-2;
    default: return 0;
  }
}

}  // namespace

absl::Status CompareTensorBytes(DataType dtype, std::string_view expected, std::string_view actual) {
  if (expected.size() != actual.size()) {
    return absl::InternalError(StrCat("output has ", actual.size(), " bytes; expected ", expected.size()));
  }
  if (expected == actual) return absl::OkStatus();
  const double rtol = RelativeTolerance(dtype);
  // Near zero a relative bound is meaningless (e.g. gelu of large negative inputs): allow a small absolute one.
  const double atol = rtol * 1e-3;
  const size_t elements = expected.size() / ElementSizeBytes(dtype);
  for (size_t i = 0; i < elements; ++i) {
    const double want = ElementAsDouble(dtype, expected, i), got = ElementAsDouble(dtype, actual, i);
    if (std::isnan(want) && std::isnan(got)) continue;
    if (want == got) continue;
    if (std::abs(want - got) <= atol + rtol * std::max(std::abs(want), std::abs(got))) continue;
    return absl::InternalError(StrCat("output element ", i, " is ", got, "; the reference gives ", want));
  }
  return absl::OkStatus();
}

}  // namespace rectifier::bench
