// oneDNN eltwise backend: the activations oneDNN 2.6 computes the way PyTorch does, behind a cache of
// primitives so that no request pays for primitive creation after warm-up.
//
// Thread-safe. The cache is guarded by an internal mutex; primitives are shared read-only between
// threads (oneDNN primitives are safe to execute concurrently). Execution uses the calling thread's
// OpenMP team of `threads` threads.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "kernels/data_type.h"
#include "kernels/elementwise_op.h"

namespace rectifier::onednn {

// True when this backend can compute `op` on `dtype` on this CPU with PyTorch's results (see the
// divergence notes in onednn_eltwise.cc). False for float64 and float16 (oneDNN has no such eltwise on CPU)
// and for bfloat16 without avx512_core.
bool Supports(const ElementwiseOp& op, DataType dtype);

// out[i] = op(in[i]) for i < count using `threads` OpenMP threads. UNIMPLEMENTED when !Supports(op, dtype).
absl::Status Eltwise(const ElementwiseOp& op, DataType dtype, const void* in, void* out, size_t count,
                     int threads);

// Version string of the oneDNN library loaded at run time, e.g. "2.6.3".
const char* LibraryVersion();

}  // namespace rectifier::onednn
