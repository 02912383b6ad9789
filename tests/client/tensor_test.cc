// Tensor helpers: construction from spans, views in place, copies out, size and type checks, and the 16-bit
// float conversions against the compiler's own _Float16 arithmetic or the CPU's F16C instructions (every
// float16 value, and a sweep of float32 values through the rounding paths).
#include "rectifier/client/tensor.h"

#include <immintrin.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rectifier::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TensorTest, MakeTensorCopiesValuesWithShapeAndType) {
  const std::vector<double> values = {1.5, -2.0, 3.25, 0.0, -0.0, 7.0};
  const int64_t shape[] = {2, 3};
  absl::StatusOr<v1::Tensor> tensor = MakeTensor(std::span<const double>(values), std::span<const int64_t>(shape));
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_EQ(tensor->dtype(), v1::DATA_TYPE_FLOAT64);
  EXPECT_THAT(tensor->shape(), ElementsAre(2, 3));
  ASSERT_EQ(tensor->data().size(), values.size() * sizeof(double));
  EXPECT_EQ(std::memcmp(tensor->data().data(), values.data(), tensor->data().size()), 0);
}

TEST(TensorTest, ValuesAreViewedInPlaceAndCopiedOut) {
  const v1::Tensor tensor = MakeTensor(std::vector<int16_t>{-3, 0, 7});
  absl::StatusOr<std::span<const int16_t>> view = TensorValues<int16_t>(tensor);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(static_cast<const void*>(view->data()), static_cast<const void*>(tensor.data().data()));
  EXPECT_THAT(*view, ElementsAre(-3, 0, 7));
  std::vector<int16_t> out(3);
  EXPECT_TRUE(CopyTensorValues(tensor, std::span<int16_t>(out)).ok());
  EXPECT_THAT(out, ElementsAre(-3, 0, 7));
  std::vector<int16_t> too_small(2);
  EXPECT_THAT(CopyTensorValues(tensor, std::span<int16_t>(too_small)).message(), HasSubstr("2 elements"));
}

TEST(TensorTest, WrongTypeOrSizeIsInvalidArgument) {
  const v1::Tensor tensor = MakeTensor(std::vector<float>{1, 2});
  absl::StatusOr<std::span<const double>> wrong_type = TensorValues<double>(tensor);
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().message(), "tensor holds float32, not float64");

  const std::vector<float> values = {1, 2, 3};
  const int64_t shape[] = {2, 2};
  absl::StatusOr<v1::Tensor> mismatch = MakeTensor(std::span<const float>(values), std::span<const int64_t>(shape));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatch.status().message(), HasSubstr("shape [2, 2] holds 4 elements of float32; the data has 12 bytes"));

  v1::Tensor truncated = tensor;
  truncated.mutable_data()->pop_back();
  EXPECT_FALSE(TensorValues<float>(truncated).ok());
  const int64_t negative[] = {-1};
  EXPECT_FALSE(ElementCount(negative).ok());
}

TEST(TensorTest, ScalarHasOneElement) {
  const float value = 4.0f;
  absl::StatusOr<v1::Tensor> scalar = MakeTensor(std::span<const float>(&value, 1), std::span<const int64_t>());
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_THAT(*TensorValues<float>(*scalar), ElementsAre(4.0f));
}

TEST(TensorTest, DataTypeNamesRoundTrip) {
  for (v1::DataType dtype : {v1::DATA_TYPE_FLOAT32, v1::DATA_TYPE_FLOAT64, v1::DATA_TYPE_FLOAT16, v1::DATA_TYPE_BFLOAT16,
                             v1::DATA_TYPE_INT8, v1::DATA_TYPE_UINT8, v1::DATA_TYPE_INT16, v1::DATA_TYPE_INT32,
                             v1::DATA_TYPE_INT64}) {
    EXPECT_EQ(ParseDataTypeName(DataTypeName(dtype)), dtype);
  }
  EXPECT_EQ(DataTypeName(v1::DATA_TYPE_FLOAT16), "float16");
  EXPECT_EQ(ElementSizeBytes(v1::DATA_TYPE_BFLOAT16), 2u);
  EXPECT_EQ(ElementSizeBytes(v1::DATA_TYPE_UNSPECIFIED), 0u);
  EXPECT_FALSE(ParseDataTypeName("complex64").has_value());
}

// The oracle: the compiler's _Float16, or where the compiler has none on x86 (clang 14, the sanitizer
// build) the CPU's F16C conversions, the same IEEE round-to-nearest-even.
#if defined(__FLT16_MAX__)
uint16_t OracleHalfBits(float value) { return std::bit_cast<uint16_t>(static_cast<_Float16>(value)); }
float OracleHalfToFloat(uint16_t bits) { return static_cast<float>(std::bit_cast<_Float16>(bits)); }
#else
__attribute__((target("f16c"))) uint16_t OracleHalfBits(float value) {
  return static_cast<uint16_t>(_cvtss_sh(value, _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("f16c"))) float OracleHalfToFloat(uint16_t bits) { return _cvtsh_ss(bits); }
#endif

bool SameFloat(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b) || (std::isnan(a) && std::isnan(b)); }

TEST(Float16Test, EveryHalfValueMatchesTheCompilersFloat16) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float want = OracleHalfToFloat(static_cast<uint16_t>(bits));
    ASSERT_TRUE(SameFloat(FromFloat16(Float16{static_cast<uint16_t>(bits)}), want)) << std::hex << bits;
    if (!std::isnan(want)) {
      ASSERT_EQ(ToFloat16(want).bits, bits) << std::hex << bits;
    }
  }
}

TEST(Float16Test, RoundingToNearestEvenMatchesTheCompiler) {
  std::mt19937 random(7);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 2000000; ++i) {
    // Mostly values in and around the float16 range (exponents 100-150), plus arbitrary bit patterns.
    uint32_t bits = any_bits(random);
    if (i % 4 != 0) bits = (bits & 0x807fffffu) | ((100u + bits % 51u) << 23);
    const float value = std::bit_cast<float>(bits);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(FromFloat16(ToFloat16(value))));
      continue;
    }
    const uint16_t want = OracleHalfBits(value);
    ASSERT_EQ(ToFloat16(value).bits, want) << value;
  }
}

TEST(BFloat16Test, RoundsToNearestEvenAndKeepsNaN) {
  EXPECT_EQ(ToBFloat16(1.0f).bits, 0x3f80);
  EXPECT_EQ(ToBFloat16(std::bit_cast<float>(0x3f808000u)).bits, 0x3f80);  // Tie: to even.
  EXPECT_EQ(ToBFloat16(std::bit_cast<float>(0x3f818000u)).bits, 0x3f82);  // Tie: to even (up).
  EXPECT_EQ(ToBFloat16(std::bit_cast<float>(0x3f808001u)).bits, 0x3f81);
  EXPECT_TRUE(std::isnan(FromBFloat16(ToBFloat16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(FromBFloat16(ToBFloat16(-2.5f)), -2.5f);
}

}  // namespace
}  // namespace rectifier::client
