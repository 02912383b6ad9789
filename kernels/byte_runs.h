// ByteRuns: a tensor whose bytes are not contiguous in memory but lie in several runs, one after another
// (the server's case: a request's data as gRPC received it, in its receive slices). An element may straddle
// two or more runs, and a run may start at any address.
//
// ForEachElementStretch walks such a tensor as stretches of whole elements, so that code written for
// contiguous tensors (the kernels, the statistics) runs on it unchanged; ByteRunsCursor copies ranges out.
// Neither owns or allocates anything: the runs' memory belongs to the caller.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "absl/status/status.h"
#include "kernels/str_cat.h"

namespace rectifier {

struct ByteRun {
  uint8_t* data = nullptr;
  size_t bytes = 0;
};

// Widest element of any DataType, in bytes.
inline constexpr size_t kMaxElementBytes = 8;

// Total bytes in `runs`.
inline size_t TotalBytes(std::span<const ByteRun> runs) {
  size_t total = 0;
  for (const ByteRun& run : runs) total += run.bytes;
  return total;
}

// INVALID_ARGUMENT for runs of `total_bytes` bytes that are not whole `element_bytes`-byte elements.
inline absl::Status NotWholeElementsError(size_t total_bytes, size_t element_bytes) {
  return absl::InvalidArgumentError(
      StrCat("the runs hold ", total_bytes, " bytes, not a whole number of ", element_bytes, "-byte elements"));
}

// Calls `visit(uint8_t* data, size_t elements)` -> absl::Status over the concatenation of `runs`, in order,
// in stretches of whole `element_bytes`-byte elements: the elements lying inside one run in place, and
// every element that straddles runs on its own, through an aligned scratch copy that is written back after
// `visit` returns (so `visit` may rewrite elements in place). `data` is element-aligned only for the
// scratch copies: whoever reads it through a typed pointer must allow for any alignment.
// Returns the first non-OK status of `visit`, or INVALID_ARGUMENT when the runs do not hold whole elements.
template <typename Visit>
absl::Status ForEachElementStretch(std::span<const ByteRun> runs, size_t element_bytes, Visit&& visit) {
  if (element_bytes == 0 || element_bytes > kMaxElementBytes) {
    return absl::InvalidArgumentError(StrCat("element_bytes must be 1 to ", kMaxElementBytes, "; was ", element_bytes));
  }
  alignas(kMaxElementBytes) uint8_t straddler[kMaxElementBytes];
  std::array<uint8_t*, kMaxElementBytes> straddler_home{};  // Where each of its bytes lives.
  size_t straddler_bytes = 0;
  for (const ByteRun& run : runs) {
    uint8_t* p = run.data;
    size_t left = run.bytes;
    if (straddler_bytes > 0) {
      const size_t take = std::min(element_bytes - straddler_bytes, left);
      for (size_t k = 0; k < take; ++k) {
        straddler_home[straddler_bytes] = p + k;
        straddler[straddler_bytes++] = p[k];
      }
      p += take;
      left -= take;
      if (straddler_bytes < element_bytes) continue;
      absl::Status status = visit(straddler, size_t{1});
      for (size_t k = 0; k < element_bytes; ++k) *straddler_home[k] = straddler[k];
      straddler_bytes = 0;
      if (!status.ok()) return status;
    }
    const size_t elements = left / element_bytes;
    if (elements > 0) {
      absl::Status status = visit(p, elements);
      if (!status.ok()) return status;
    }
    p += elements * element_bytes;
    left -= elements * element_bytes;
    for (size_t k = 0; k < left; ++k) {
      straddler_home[straddler_bytes] = p + k;
      straddler[straddler_bytes++] = p[k];
    }
  }
  if (straddler_bytes != 0) return NotWholeElementsError(TotalBytes(runs), element_bytes);
  return absl::OkStatus();
}

// Copies ranges of the runs' concatenation out. Offsets must not decrease from one Copy to the next
// (it keeps its place, so a pass over the tensor costs one walk of the runs). Borrows `runs`.
class ByteRunsCursor {
 public:
  explicit ByteRunsCursor(std::span<const ByteRun> runs) : runs_(runs) {}

  // Copies bytes [offset, offset + bytes) to `out`; false (having copied what there was) when the runs end
  // first, or when `offset` is below the previous call's.
  bool Copy(size_t offset, size_t bytes, void* out) {
    if (offset < run_start_) return false;
    auto* dst = static_cast<uint8_t*>(out);
    while (bytes > 0) {
      if (run_ == runs_.size()) return false;
      const ByteRun& run = runs_[run_];
      if (offset >= run_start_ + run.bytes) {
        run_start_ += run.bytes;
        ++run_;
        continue;
      }
      const size_t skip = offset - run_start_;
      const size_t take = std::min(bytes, run.bytes - skip);
      std::memcpy(dst, run.data + skip, take);
      dst += take;
      offset += take;
      bytes -= take;
    }
    return true;
  }

 private:
  std::span<const ByteRun> runs_;
  size_t run_ = 0;        // The run holding the next offset (or the first one after it).
  size_t run_start_ = 0;  // Offset of runs_[run_] in the concatenation.
};

}  // namespace rectifier
