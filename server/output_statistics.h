// Statistics of request tensors for monitoring: the share of zero outputs (sparsity) and which channels of
// an input reached the active region (x > 0) of a ReLU-family activation (dead units).
//
// Both run on the request path after the kernel, so they are bounded:
// - ZeroRatio counts exactly up to kZeroRatioExactMaxElements elements and samples above (64 evenly
//   spaced blocks of 256 contiguous elements): at most 16Ki compares per request (vectorised; about a
//   microsecond), whatever the tensor size. Sampling 16Ki elements keeps the estimate's standard error
//   below 0.4 percentage points for zeros that are not aligned with the block pattern; the histogram's
//   buckets are 5-10 points wide.
// - ChannelActivity scans the input in memory order and stops as soon as every channel has been seen
//   active: a healthy layer costs a few rows; only dead (or all-negative) channels cost a full pass.
// Stateless, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <span>

#include "kernels/byte_runs.h"
#include "kernels/data_type.h"
#include "kernels/tensor.h"

namespace rectifier::server {

inline constexpr int64_t kZeroRatioExactMaxElements = int64_t{1} << 14;
inline constexpr int64_t kZeroRatioSampleBlocks = 64;
inline constexpr int64_t kZeroRatioSampleBlockElements = 256;
inline constexpr int64_t kZeroRatioSampleElements = kZeroRatioSampleBlocks * kZeroRatioSampleBlockElements;

// The share of elements of `tensor` equal to zero (-0.0 counts; NaN does not), exact or sampled (see
// above); nullopt for an empty tensor. `elements` is prod(tensor.shape).
std::optional<double> ZeroRatio(const TensorView& tensor, int64_t elements);

// As above for a tensor of `dtype` held in runs (kernels/byte_runs.h: a request computed where gRPC received
// it); counts or samples the same elements. Copies each block of elements out first (at most 2 KiB at a
// time, so the total is at most the contiguous count's bytes), as the runs' elements may be misaligned.
std::optional<double> ZeroRatio(DataType dtype, std::span<const ByteRun> runs, int64_t elements);

// Which channels (dim 1; a tensor of rank < 2 has one channel) held at least one element > 0.
struct ChannelActivity {
  int64_t channels = 0;          // Channels recorded: min(the tensor's, max_channels).
  std::vector<uint64_t> active;  // Bit c (word c / 64, bit c % 64) set: channel c had an element > 0.

  bool IsActive(int64_t channel) const { return (active[channel / 64] >> (channel % 64)) & 1; }
};

// The ChannelActivity of `tensor` (prod(shape) = `elements`), recording at most `max_channels` channels
// (the first ones). NaN is not > 0.
ChannelActivity ComputeChannelActivity(const TensorView& tensor, int64_t elements, int64_t max_channels);

}  // namespace rectifier::server
