#include "server/output_statistics.h"

#include <algorithm>
#include <cstring>

namespace rectifier::server {
namespace {

// Zero and "> 0" tests on raw elements. float16 and bfloat16 are tested on their bits: zero is any sign
// with all other bits clear; > 0 is a clear sign bit, not zero, and not above +inf (NaN).
struct Half {
  uint16_t bits;
};
struct BFloat {
  uint16_t bits;
};

template <typename T>
bool IsZero(T x) {
  return x == T(0);
}
template <>
bool IsZero(Half x) {
  return (x.bits & 0x7fff) == 0;
}
template <>
bool IsZero(BFloat x) {
  return (x.bits & 0x7fff) == 0;
}

template <typename T>
bool IsPositive(T x) {
  return x > T(0);
}
template <>
bool IsPositive(Half x) {
  return x.bits != 0 && x.bits <= 0x7c00;
}
template <>
bool IsPositive(BFloat x) {
  return x.bits != 0 && x.bits <= 0x7f80;
}

// Calls `f` with a typed pointer to the data of `tensor` (a null T* selects the type).
template <typename F>
auto VisitTyped(const TensorView& tensor, F&& f) {
  switch (tensor.dtype) {
    case DataType::kFloat32: return f(static_cast<const float*>(tensor.data));
    case DataType::kFloat64: return f(static_cast<const double*>(tensor.data));
    case DataType::kFloat16: return f(static_cast<const Half*>(tensor.data));
    case DataType::kBFloat16: return f(static_cast<const BFloat*>(tensor.data));
    case DataType::kInt8: return f(static_cast<const int8_t*>(tensor.data));
    case DataType::kUInt8: return f(static_cast<const uint8_t*>(tensor.data));
    case DataType::kInt16: return f(static_cast<const int16_t*>(tensor.data));
    case DataType::kInt32: return f(static_cast<const int32_t*>(tensor.data));
    case DataType::kInt64: return f(static_cast<const int64_t*>(tensor.data));
  }
  return f(static_cast<const float*>(tensor.data));
}

// Counts in blocks of a fixed size: GCC's -O2 vectorises loops of a constant trip count (it leaves
// variable-length reductions scalar).
template <typename T>
int64_t CountZeros(const T* data, int64_t count) {
  constexpr int64_t kBlock = 64;
  const int64_t blocks = count / kBlock;
  int64_t zeros = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const T* block = data + b * kBlock;
    uint32_t block_zeros = 0;
    for (int j = 0; j < kBlock; ++j) block_zeros += IsZero(block[j]) ? 1u : 0u;
    zeros += block_zeros;
  }
  for (int64_t i = blocks * kBlock; i < count; ++i) zeros += IsZero(data[i]) ? 1 : 0;
  return zeros;
}

}  // namespace

std::optional<double> ZeroRatio(const TensorView& tensor, int64_t elements) {
  if (elements <= 0 || tensor.data == nullptr) return std::nullopt;
  return VisitTyped(tensor, [&](const auto* data) -> double {
    if (elements <= kZeroRatioExactMaxElements) {
      return static_cast<double>(CountZeros(data, elements)) / static_cast<double>(elements);
    }
    // Evenly spaced, non-overlapping blocks from the first element to the last.
    const int64_t span = elements - kZeroRatioSampleBlockElements;
    int64_t zeros = 0;
    for (int64_t block = 0; block < kZeroRatioSampleBlocks; ++block) {
      const int64_t start = block * span / (kZeroRatioSampleBlocks - 1);
      zeros += CountZeros(data + start, kZeroRatioSampleBlockElements);
    }
    return static_cast<double>(zeros) / static_cast<double>(kZeroRatioSampleElements);
  });
}

std::optional<double> ZeroRatio(DataType dtype, std::span<const ByteRun> runs, int64_t elements) {
  if (elements <= 0) return std::nullopt;
  const size_t element_bytes = ElementSizeBytes(dtype);
  alignas(kMaxElementBytes) uint8_t block[kZeroRatioSampleBlockElements * kMaxElementBytes];
  ByteRunsCursor cursor(runs);
  const TensorView typed{dtype, {}, block};
  return VisitTyped(typed, [&](const auto* data) -> std::optional<double> {
    // Counts the zeros of elements [start, start + count), count <= kZeroRatioSampleBlockElements.
    int64_t zeros = 0;
    auto count_block = [&](int64_t start, int64_t count) {
      if (!cursor.Copy(static_cast<size_t>(start) * element_bytes, static_cast<size_t>(count) * element_bytes, block)) {
        return false;
      }
      zeros += CountZeros(data, count);
      return true;
    };
    if (elements <= kZeroRatioExactMaxElements) {
      for (int64_t start = 0; start < elements; start += kZeroRatioSampleBlockElements) {
        if (!count_block(start, std::min(kZeroRatioSampleBlockElements, elements - start))) return std::nullopt;
      }
      return static_cast<double>(zeros) / static_cast<double>(elements);
    }
    const int64_t span = elements - kZeroRatioSampleBlockElements;
    for (int64_t b = 0; b < kZeroRatioSampleBlocks; ++b) {
      if (!count_block(b * span / (kZeroRatioSampleBlocks - 1), kZeroRatioSampleBlockElements)) return std::nullopt;
    }
    return static_cast<double>(zeros) / static_cast<double>(kZeroRatioSampleElements);
  });
}

ChannelActivity ComputeChannelActivity(const TensorView& tensor, int64_t elements, int64_t max_channels) {
  ChannelActivity activity;
  const int64_t channels = tensor.shape.size() < 2 ? 1 : tensor.shape[1];
  activity.channels = std::min(channels, max_channels);
  activity.active.assign(static_cast<size_t>((activity.channels + 63) / 64), 0);
  if (elements <= 0 || channels <= 0 || activity.channels <= 0 || tensor.data == nullptr) return activity;
  const int64_t outer = tensor.shape.size() < 2 ? 1 : tensor.shape[0];
  const int64_t inner = elements / std::max<int64_t>(1, outer * channels);
  if (inner == 1) {
    // [N, C] (a dense layer): OR whole rows into per-channel flags (vectorised), stopping once every
    // channel has been active.
    std::vector<uint8_t> flags(static_cast<size_t>(activity.channels), 0);
    VisitTyped(tensor, [&](const auto* data) {
      for (int64_t n = 0; n < outer; ++n) {
        const auto* row = data + n * channels;
        uint32_t active = 0;
        for (int64_t c = 0; c < activity.channels; ++c) {
          flags[c] |= IsPositive(row[c]) ? 1 : 0;
          active += flags[c];
        }
        if (static_cast<int64_t>(active) == activity.channels) break;
      }
      return 0;
    });
    for (int64_t c = 0; c < activity.channels; ++c) {
      if (flags[c]) activity.active[c / 64] |= uint64_t{1} << (c % 64);
    }
    return activity;
  }
  VisitTyped(tensor, [&](const auto* data) {
    int64_t inactive = activity.channels;
    for (int64_t n = 0; n < outer && inactive > 0; ++n) {
      for (int64_t c = 0; c < activity.channels; ++c) {
        if (activity.IsActive(c)) continue;
        const auto* block = data + (n * channels + c) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          if (IsPositive(block[i])) {
            activity.active[c / 64] |= uint64_t{1} << (c % 64);
            --inactive;
            break;
          }
        }
      }
    }
    return 0;
  });
  return activity;
}

}  // namespace rectifier::server
