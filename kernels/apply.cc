#include "kernels/apply.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/str_cat.h"
#include "kernels/backend_choice.h"
#include "kernels/core_budget.h"
#include "kernels/elementwise_op.h"
#include "kernels/onednn/onednn_eltwise.h"
#include "kernels/simd/simd_kernels.h"
#include "kernels/status.h"
#include "kernels/validation.h"

namespace rectifier {
namespace {

// The per-element lowering of every activation but PReLU and CReLU (see elementwise_op.h).
struct Lowering {
  ElementwiseOp operator()(const act::Relu&) const { return {ElementwiseFn::kRelu}; }
  ElementwiseOp operator()(const act::LeakyRelu& a) const { return {ElementwiseFn::kLeakyRelu, a.negative_slope}; }
  ElementwiseOp operator()(const act::Elu& a) const { return {ElementwiseFn::kElu, a.alpha}; }
  ElementwiseOp operator()(const act::Selu&) const {
    return {ElementwiseFn::kElu, kSeluAlpha, 0.0, /*scale=*/kSeluScale};
  }
  ElementwiseOp operator()(const act::Celu& a) const {
    return {ElementwiseFn::kElu, a.alpha, 0.0, /*scale=*/1.0, /*input_scale=*/1.0 / a.alpha};
  }
  ElementwiseOp operator()(const act::Relu6&) const { return {ElementwiseFn::kHardtanh, 0.0, 6.0}; }
  ElementwiseOp operator()(const act::Hardtanh& a) const { return {ElementwiseFn::kHardtanh, a.min_val, a.max_val}; }
  ElementwiseOp operator()(const act::Gelu& a) const {
    return {a.approximate == GeluApproximate::kTanh ? ElementwiseFn::kGeluTanh : ElementwiseFn::kGeluErf};
  }
  ElementwiseOp operator()(const act::Silu&) const { return {ElementwiseFn::kSilu}; }
  ElementwiseOp operator()(const act::Mish&) const { return {ElementwiseFn::kMish}; }
  ElementwiseOp operator()(const act::Sigmoid&) const { return {ElementwiseFn::kSigmoid}; }
  ElementwiseOp operator()(const act::Tanh&) const { return {ElementwiseFn::kTanh}; }
  ElementwiseOp operator()(const act::Softplus& a) const { return {ElementwiseFn::kSoftplus, a.beta, a.threshold}; }
  ElementwiseOp operator()(const act::Hardswish&) const { return {ElementwiseFn::kHardswish}; }
  ElementwiseOp operator()(const act::Hardsigmoid&) const { return {ElementwiseFn::kHardsigmoid}; }
  ElementwiseOp operator()(const act::Logsigmoid&) const { return {ElementwiseFn::kLogsigmoid}; }
  ElementwiseOp operator()(const act::Threshold& a) const { return {ElementwiseFn::kThreshold, a.threshold, a.value}; }
  // PReLU and CReLU have kernels of their own and never reach here.
  ElementwiseOp operator()(const act::Prelu&) const { return {}; }
  ElementwiseOp operator()(const act::Crelu&) const { return {}; }
};

// Work per thread below which a second thread costs more (fork and join, about 1-2 us) than it saves.
// Piecewise-linear functions on f32/f64/integers are memory-bound: 512 KiB read plus written take ~7 us
// at the ~70 GB/s one core reaches in L2 (64Ki float32, 32Ki float64 elements). On the 16-bit types they
// convert to float32 and back, ~0.2 ns per element; transcendental ones spend ~1 ns per element.
constexpr size_t kMinBytesPerThreadPiecewise = 512 * 1024;
constexpr size_t kMinElementsPerThreadPiecewiseHalf = 16 * 1024;
constexpr size_t kMinElementsPerThreadTranscendental = 8 * 1024;

bool IsHalf(DataType dtype) { return dtype == DataType::kFloat16 || dtype == DataType::kBFloat16; }

size_t MinElementsPerThread(bool piecewise_linear, DataType in, DataType out) {
  if (!piecewise_linear) return kMinElementsPerThreadTranscendental;
  if (IsHalf(in)) return kMinElementsPerThreadPiecewiseHalf;
  return kMinBytesPerThreadPiecewise / (ElementSizeBytes(in) + ElementSizeBytes(out));
}
// Chunk boundaries fall on multiples of this many elements, so threads never share a cache line.
constexpr size_t kChunkAlignmentElements = 64;
// Splits of whole rows or channels (each already many elements) need no alignment.
constexpr size_t kWholeRows = 1;

int WantedThreads(size_t count, size_t min_elements_per_thread, const ApplyOptions& options) {
  size_t wanted = std::max<size_t>(1, count / min_elements_per_thread);
  if (options.max_threads > 0) wanted = std::min<size_t>(wanted, options.max_threads);
  return static_cast<int>(std::min<size_t>(wanted, 1024));
}

// Runs body(begin, end) over [0, count) split into `threads` chunks, one per OpenMP thread, with chunk
// boundaries on multiples of `alignment` (kChunkAlignmentElements for elements; 1 for whole rows, which
// must not be rounded up to 64 rows: that handed every row of a 16-row tensor to one thread).
template <typename Body>
void ParallelChunks(size_t count, int threads, size_t alignment, const Body& body) {
  if (threads <= 1) {
    body(size_t{0}, count);
    return;
  }
  size_t chunk = (count + threads - 1) / threads;
  chunk = (chunk + alignment - 1) / alignment * alignment;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int t = 0; t < threads; ++t) {
    size_t begin = std::min(count, static_cast<size_t>(t) * chunk);
    size_t end = std::min(count, begin + chunk);
    if (begin < end) body(begin, end);
  }
}

const char* Offset(const void* base, size_t elements, size_t element_bytes) {
  return static_cast<const char*>(base) + elements * element_bytes;
}
char* Offset(void* base, size_t elements, size_t element_bytes) {
  return static_cast<char*>(base) + elements * element_bytes;
}

absl::Status ApplyElementwise(const ElementwiseOp& op, const TensorView& input, const MutableTensorView& output,
                              size_t count, const ApplyOptions& options) {
  const size_t in_bytes = ElementSizeBytes(input.dtype);
  const size_t out_bytes = ElementSizeBytes(output.dtype);
  const bool integer = !IsFloatingPoint(input.dtype);
  const size_t grain = MinElementsPerThread(IsPiecewiseLinear(op.fn), input.dtype, output.dtype);
  CoreBudget::Lease lease = CoreBudget::Global().Acquire(WantedThreads(count, grain, options));

  Backend backend = options.backend;
  if (backend == Backend::kAuto) {
    backend = !integer && PreferOnednn(op.fn, input.dtype, count) && onednn::Supports(op, input.dtype)
                  ? Backend::kOnednn
                  : Backend::kSimd;
  }
  if (backend == Backend::kOnednn) {
    if (integer) {
      return absl::UnimplementedError(
          StrCat("the oneDNN backend has no ", DataTypeName(input.dtype), " kernel for this activation"));
    }
    return onednn::Eltwise(op, input.dtype, input.data, output.data, count, lease.threads());
  }
  ParallelChunks(count, lease.threads(), kChunkAlignmentElements, [&](size_t begin, size_t end) {
    const void* in = Offset(input.data, begin, in_bytes);
    void* out = Offset(output.data, begin, out_bytes);
    if (integer) {
      simd::ElementwiseInteger(op, input.dtype, in, out, end - begin);
    } else {
      simd::Elementwise(op, input.dtype, in, out, end - begin);
    }
  });
  return absl::OkStatus();
}

size_t Product(std::span<const int64_t> dims) {
  size_t product = 1;
  for (int64_t d : dims) product *= static_cast<size_t>(d);
  return product;
}

absl::Status ApplyPrelu(const act::Prelu& prelu, const TensorView& input, const MutableTensorView& output,
                        size_t count, const ApplyOptions& options) {
  const size_t channels = input.shape.size() >= 2 ? static_cast<size_t>(input.shape[1]) : 1;
  const size_t inner = input.shape.size() >= 2 ? Product(input.shape.subspan(2)) : count;
  const size_t outer = input.shape.size() >= 2 ? static_cast<size_t>(input.shape[0]) : 1;
  std::vector<double> weights = prelu.weight.size() == channels
                                    ? prelu.weight
                                    : std::vector<double>(channels, prelu.weight.front());
  const size_t element_bytes = ElementSizeBytes(input.dtype);
  CoreBudget::Lease lease = CoreBudget::Global().Acquire(
      WantedThreads(count, MinElementsPerThread(true, input.dtype, output.dtype), options));
  if (outer >= static_cast<size_t>(lease.threads()) || lease.threads() == 1) {
    // Split whole rows of [channels, inner] between threads.
    ParallelChunks(outer, std::min<int>(lease.threads(), static_cast<int>(outer)), kWholeRows,
                   [&](size_t begin, size_t end) {
      simd::Prelu(input.dtype, Offset(input.data, begin * channels * inner, element_bytes),
                  Offset(output.data, begin * channels * inner, element_bytes), end - begin, channels, inner,
                  weights.data());
    });
  } else {
    // Few rows (often one): split each row's channels between threads instead.
    for (size_t row = 0; row < outer; ++row) {
      const size_t row_offset = row * channels * inner;
      ParallelChunks(channels, std::min<int>(lease.threads(), static_cast<int>(channels)), kWholeRows,
                     [&](size_t begin, size_t end) {
                       simd::Prelu(input.dtype, Offset(input.data, row_offset + begin * inner, element_bytes),
                                   Offset(output.data, row_offset + begin * inner, element_bytes), 1, end - begin,
                                   inner, weights.data() + begin);
                     });
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyCrelu(const act::Crelu& crelu, const TensorView& input, const MutableTensorView& output,
                        size_t count, const ApplyOptions& options) {
  const auto rank = static_cast<int64_t>(input.shape.size());
  const size_t axis = static_cast<size_t>(crelu.axis < 0 ? crelu.axis + rank : crelu.axis);
  const size_t outer = Product(input.shape.first(axis));
  const size_t block = outer == 0 ? 0 : count / outer;
  const size_t element_bytes = ElementSizeBytes(input.dtype);
  // CReLU writes twice what it reads.
  CoreBudget::Lease lease = CoreBudget::Global().Acquire(
      WantedThreads(2 * count, MinElementsPerThread(true, input.dtype, output.dtype), options));
  if (outer >= static_cast<size_t>(lease.threads())) {
    ParallelChunks(outer, lease.threads(), kWholeRows, [&](size_t begin, size_t end) {
      simd::Crelu(input.dtype, Offset(input.data, begin * block, element_bytes),
                  Offset(output.data, 2 * begin * block, element_bytes), end - begin, block);
    });
  } else {
    // Fewer rows than threads (e.g. a 1-D input): split each row between threads, each chunk writing its
    // relu(x) part and, `block` elements later, its relu(-x) part.
    for (size_t row = 0; row < outer; ++row) {
      const char* in_row = Offset(input.data, row * block, element_bytes);
      char* out_row = Offset(output.data, 2 * row * block, element_bytes);
      ParallelChunks(block, lease.threads(), kChunkAlignmentElements, [&](size_t begin, size_t end) {
        simd::CreluChunk(input.dtype, in_row + begin * element_bytes, out_row + begin * element_bytes,
                         out_row + (block + begin) * element_bytes, end - begin);
      });
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Apply(const Activation& activation, const TensorView& input, const MutableTensorView& output,
                   const ApplyOptions& options) {
  RECTIFIER_RETURN_IF_ERROR(ValidateActivation(activation));
  RECTIFIER_RETURN_IF_ERROR(ValidateForInput(activation, input.dtype, input.shape));
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t count, NumElements(input.shape, "input.shape"));
  const DataType want_dtype = OutputDataType(activation, input.dtype);
  if (output.dtype != want_dtype) {
    return absl::InvalidArgumentError(StrCat("output.dtype must be ", DataTypeName(want_dtype), "; was ",
                                                   DataTypeName(output.dtype)));
  }
  const std::vector<int64_t> want_shape = OutputShape(activation, input.shape);
  if (!std::equal(want_shape.begin(), want_shape.end(), output.shape.begin(), output.shape.end())) {
    return absl::InvalidArgumentError(StrCat("output.shape must be [", StrJoin(want_shape, ", "),
                                                   "]; was [", StrJoin(output.shape, ", "), "]"));
  }
  RECTIFIER_RETURN_IF_ERROR(NumElements(output.shape, "output.shape").status());
  if (count == 0) return absl::OkStatus();
  if (input.data == nullptr || output.data == nullptr) {
    return absl::InvalidArgumentError("input.data and output.data must not be null");
  }
  const auto n = static_cast<size_t>(count);
  if (const auto* prelu = std::get_if<act::Prelu>(&activation)) return ApplyPrelu(*prelu, input, output, n, options);
  if (const auto* crelu = std::get_if<act::Crelu>(&activation)) {
    if (input.data == output.data) return absl::InvalidArgumentError("crelu cannot run in place");
    return ApplyCrelu(*crelu, input, output, n, options);
  }
  return ApplyElementwise(std::visit(Lowering{}, activation), input, output, n, options);
}

int KernelThreadsWanted(const Activation& activation, DataType dtype, size_t elements, const ApplyOptions& options) {
  const ElementwiseOp op = std::visit(Lowering{}, activation);
  return WantedThreads(elements, MinElementsPerThread(IsPiecewiseLinear(op.fn), dtype, OutputDataType(activation, dtype)),
                       options);
}

}  // namespace rectifier
