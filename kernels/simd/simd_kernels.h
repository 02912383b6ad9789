// Rectifier's own vectorised kernels (Google Highway, dispatched at run time to the best instruction set the
// CPU has: AVX-512, AVX2, SSE4 or a portable fallback).
//
// Every function here is single-threaded and does no validation: Apply() checks dtypes, sizes and
// parameters and splits large tensors across threads before calling in. `in` and `out` may be the same
// buffer (in place) but must not otherwise overlap. Half types (float16, bfloat16) are widened to float32,
// computed in float32 and rounded to nearest even; float64 is computed in float64.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/data_type.h"
#include "kernels/elementwise_op.h"

namespace rectifier::simd {

// out[i] = op(in[i]) for i < count. dtype: any floating-point type; the output has the same dtype.
void Elementwise(const ElementwiseOp& op, DataType dtype, const void* in, void* out, size_t count);

// Integer inputs, exactly where PyTorch accepts them: kRelu (any integer type), kHardtanh and kThreshold
// (signed integer types; parameters are truncated toward zero to the element type, as PyTorch does, and the
// caller has checked they fit), with the output in the input's dtype; kSigmoid and kTanh (any integer
// type) with float32 output.
void ElementwiseInteger(const ElementwiseOp& op, DataType dtype, const void* in, void* out, size_t count);

// PReLU over a tensor viewed as [outer, channels, inner]: out = x >= 0 ? x : weights[c] * x, where c is the
// channel index. `weights` holds `channels` entries (the caller expands a single shared weight).
// PyTorch's formula is x > 0 ? x : w * x, so -0.0 maps to w * -0.0.
void Prelu(DataType dtype, const void* in, void* out, size_t outer, size_t channels, size_t inner,
           const double* weights);

// CReLU in one pass over a tensor viewed as [outer, block]: for every row o the output row (2 * block
// elements) is relu(in[o, :]) followed by relu(-in[o, :]); each input element is read once.
// Works for every floating-point dtype and, where relu does, integer dtypes.
void Crelu(DataType dtype, const void* in, void* out, size_t outer, size_t block);

// One piece of a CReLU row, for splitting a long row between threads: out_positive[i] = relu(in[i]) and
// out_negative[i] = relu(-in[i]) for i < count.
void CreluChunk(DataType dtype, const void* in, void* out_positive, void* out_negative, size_t count);

// Name of the instruction set the dispatcher chose on this CPU ("AVX2", "AVX3", ...), for logs and metrics.
const char* TargetName();

}  // namespace rectifier::simd
