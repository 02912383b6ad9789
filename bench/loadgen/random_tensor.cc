#include "bench/loadgen/random_tensor.h"

#include <cstring>
#include <random>

namespace rectifier::bench {
namespace {

constexpr double kFloatRange = 8.0;
constexpr int kIntRange = 100;

template <typename T>
void Put(std::string& out, int64_t index, T value) {
  std::memcpy(out.data() + index * sizeof(T), &value, sizeof(T));
}

}  // namespace

std::string RandomTensorBytes(DataType dtype, int64_t elements, uint64_t seed) {
  std::string out(static_cast<size_t>(elements) * ElementSizeBytes(dtype), '\0');
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> real(-kFloatRange, kFloatRange);
  std::uniform_int_distribution<int> integer(-kIntRange, kIntRange);
  // Half types: exponent fields giving magnitudes in [2^-6, 8) (float16 bias 15, bfloat16 bias 127).
  std::uniform_int_distribution<uint32_t> half_exponent(15 - 6, 15 + 2), bf16_exponent(127 - 6, 127 + 2);
  std::uniform_int_distribution<uint32_t> bits(0, 0xffff);
  for (int64_t i = 0; i < elements; ++i) {
    switch (dtype) {
      case DataType::kFloat32: Put(out, i, static_cast<float>(real(rng))); break;
      case DataType::kFloat64: Put(out, i, real(rng)); break;
      case DataType::kFloat16: {
        const uint32_t random = bits(rng);
        Put(out, i, static_cast<uint16_t>((random & 0x8000) | (half_exponent(rng) << 10) | (random & 0x3ff)));
        break;
      }
      case DataType::kBFloat16: {
        const uint32_t random = bits(rng);
        Put(out, i, static_cast<uint16_t>((random & 0x8000) | (bf16_exponent(rng) << 7) | (random & 0x7f)));
        break;
      }
      case DataType::kInt8: Put(out, i, static_cast<int8_t>(integer(rng))); break;
      case DataType::kUInt8: Put(out, i, static_cast<uint8_t>(integer(rng) + kIntRange)); break;
      case DataType::kInt16: Put(out, i, static_cast<int16_t>(integer(rng))); break;
      case DataType::kInt32: Put(out, i, static_cast<int32_t>(integer(rng))); break;
      case DataType::kInt64: Put(out, i, static_cast<int64_t>(integer(rng))); break;
    }
  }
  return out;
}

}  // namespace rectifier::bench
