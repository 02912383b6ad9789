// CompareTensorBytes: per-dtype tolerances, NaN, sizes; and the random inputs it is used on.
#include "bench/loadgen/tensor_compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "bench/loadgen/random_tensor.h"

namespace rectifier::bench {
namespace {

template <typename T>
std::string BytesOf(const std::vector<T>& values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

TEST(TensorCompareTest, Float32WithinAndBeyondTolerance) {
  const std::string want = BytesOf<float>({1.0f, -2.0f, 0.0f, NAN});
  EXPECT_TRUE(CompareTensorBytes(DataType::kFloat32, want, want).ok());
  EXPECT_TRUE(CompareTensorBytes(DataType::kFloat32, want, BytesOf<float>({1.000005f, -2.0f, 0.0f, NAN})).ok());
  absl::Status off = CompareTensorBytes(DataType::kFloat32, want, BytesOf<float>({1.0f, -2.001f, 0.0f, NAN}));
  EXPECT_EQ(off.code(), absl::StatusCode::kInternal);
  EXPECT_NE(off.message().find("element 1"), std::string_view::npos) << off.message();
  EXPECT_FALSE(CompareTensorBytes(DataType::kFloat32, want, BytesOf<float>({1.0f, -2.0f, 0.0f, 0.0f})).ok());
}

TEST(TensorCompareTest, IntegersMustMatchExactly) {
  EXPECT_TRUE(CompareTensorBytes(DataType::kInt32, BytesOf<int32_t>({5, -7}), BytesOf<int32_t>({5, -7})).ok());
  EXPECT_FALSE(CompareTensorBytes(DataType::kInt32, BytesOf<int32_t>({5, -7}), BytesOf<int32_t>({5, -6})).ok());
}

TEST(TensorCompareTest, HalfTypesAllowAboutOneUnitInTheLastPlace) {
  // float16 1.0 = 0x3c00, next up 0x3c01 (1 + 2^-10), and 0x3c20 (1 + 2^-5).
  EXPECT_TRUE(CompareTensorBytes(DataType::kFloat16, BytesOf<uint16_t>({0x3c00}), BytesOf<uint16_t>({0x3c01})).ok());
  EXPECT_FALSE(CompareTensorBytes(DataType::kFloat16, BytesOf<uint16_t>({0x3c00}), BytesOf<uint16_t>({0x3c20})).ok());
}

TEST(TensorCompareTest, SizeMismatchIsAnError) {
  EXPECT_FALSE(CompareTensorBytes(DataType::kFloat32, BytesOf<float>({1.0f}), BytesOf<float>({1.0f, 2.0f})).ok());
}

TEST(RandomTensorTest, SameSeedSameBytesAndValuesInRange) {
  const std::string a = RandomTensorBytes(DataType::kFloat16, 4096, 7);
  EXPECT_EQ(a, RandomTensorBytes(DataType::kFloat16, 4096, 7));
  EXPECT_NE(a, RandomTensorBytes(DataType::kFloat16, 4096, 8));
  const std::string f = RandomTensorBytes(DataType::kFloat32, 4096, 7);
  ASSERT_EQ(f.size(), 4096 * sizeof(float));
  for (size_t i = 0; i < 4096; ++i) {
    float value;
    std::memcpy(&value, f.data() + i * sizeof(float), sizeof(float));
    ASSERT_TRUE(value >= -8.0f && value < 8.0f) << value;
  }
}

}  // namespace
}  // namespace rectifier::bench
