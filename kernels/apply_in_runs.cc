#include "kernels/apply_in_runs.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/catalogue.h"
#include "kernels/core_budget.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "kernels/validation.h"

namespace rectifier {
namespace {

// Thread chunks start on multiples of this many elements, as Apply()'s do: no shared cache lines.
constexpr size_t kChunkAlignmentElements = 64;

// Bytes [begin, end) of the runs' concatenation, as runs.
std::vector<ByteRun> RunsWithin(std::span<const ByteRun> runs, size_t begin, size_t end) {
  std::vector<ByteRun> within;
  size_t run_start = 0;
  for (const ByteRun& run : runs) {
    const size_t run_end = run_start + run.bytes;
    const size_t from = std::max(begin, run_start);
    const size_t to = std::min(end, run_end);
    if (from < to) within.push_back({run.data + (from - run_start), to - from});
    run_start = run_end;
    if (run_start >= end) break;
  }
  return within;
}

// One thread's share: every element in `runs`, each stretch by Apply() on the calling thread.
absl::Status ApplyOnThisThread(const Activation& activation, DataType dtype, std::span<const ByteRun> runs,
                               const ApplyOptions& options) {
  ApplyOptions one_thread = options;
  one_thread.max_threads = 1;
  return ForEachElementStretch(runs, ElementSizeBytes(dtype), [&](uint8_t* data, size_t elements) {
    const int64_t shape[1] = {static_cast<int64_t>(elements)};
    return Apply(activation, TensorView{dtype, shape, data}, MutableTensorView{dtype, shape, data}, one_thread);
  });
}

}  // namespace

bool AppliesInRuns(const Activation& activation, DataType dtype) {
  const ActivationKind kind = KindOf(activation);
  return kind != ActivationKind::kCrelu && kind != ActivationKind::kPrelu &&
         OutputDataType(activation, dtype) == dtype;
}

absl::Status ApplyInRuns(const Activation& activation, DataType dtype, std::span<const ByteRun> runs,
                         const ApplyOptions& options) {
  if (!AppliesInRuns(activation, dtype)) {
    return absl::InvalidArgumentError(StrCat(InfoFor(KindOf(activation)).name, " of ", DataTypeName(dtype),
                                             " is not computed in place element by element"));
  }
  const size_t element_bytes = ElementSizeBytes(dtype);
  const size_t total_bytes = TotalBytes(runs);
  if (total_bytes % element_bytes != 0) return NotWholeElementsError(total_bytes, element_bytes);
  // Threads as Apply() would take them for the whole tensor: the runs (gRPC's 64 KiB receive slices) are each
  // too small to earn a second thread, the tensor is not.
  const size_t elements = total_bytes / element_bytes;
  CoreBudget::Lease lease = CoreBudget::Global().Acquire(KernelThreadsWanted(activation, dtype, elements, options));
  const int threads = lease.threads();
  if (threads == 1) return ApplyOnThisThread(activation, dtype, runs, options);
  size_t chunk_elements = (elements + threads - 1) / threads;
  chunk_elements = (chunk_elements + kChunkAlignmentElements - 1) / kChunkAlignmentElements * kChunkAlignmentElements;
  const size_t chunk_bytes = chunk_elements * element_bytes;
  std::vector<absl::Status> statuses(threads);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int t = 0; t < threads; ++t) {
    const size_t begin = std::min(total_bytes, static_cast<size_t>(t) * chunk_bytes);
    const size_t end = std::min(total_bytes, begin + chunk_bytes);
    if (begin < end) statuses[t] = ApplyOnThisThread(activation, dtype, RunsWithin(runs, begin, end), options);
  }
  for (const absl::Status& status : statuses) RECTIFIER_RETURN_IF_ERROR(status);
  return absl::OkStatus();
}

}  // namespace rectifier
