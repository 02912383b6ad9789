// Apply(): the kernel library's entry point. Validates, chooses a backend and a thread count, and computes
// an activation into a caller-provided output buffer.
//
// Thread-safe: any number of threads may call Apply() at once. The library never runs more kernel threads
// in total than the process has cores (see CoreBudget): a call that finds the cores busy runs on fewer
// threads, down to its own calling thread. Blocks the caller until the result is written.
#pragma once

#include "absl/status/status.h"
#include "kernels/activation.h"
#include "kernels/tensor.h"

namespace rectifier {

enum class Backend {
  kAuto,    // The fastest correct backend for the case, as chosen from the kernel benchmark.
  kOnednn,  // oneDNN eltwise; UNIMPLEMENTED where it is missing or diverges from PyTorch.
  kSimd,    // Rectifier's own Highway kernels; support every case.
};

struct ApplyOptions {
  Backend backend = Backend::kAuto;
  // Upper bound on the threads this call may use; 0 means the library decides from the size.
  int max_threads = 0;
};

// Computes `activation` of `input` into `output`. `output` must have OutputDataType() and OutputShape() and
// not overlap `input` unless it is exactly the same buffer (in place; not for CReLU).
// INVALID_ARGUMENT for an invalid spec, an unsupported input, or a mismatched output.
absl::Status Apply(const Activation& activation, const TensorView& input, const MutableTensorView& output,
                   const ApplyOptions& options = {});

// The threads Apply() asks the CoreBudget for when it computes an element-wise `activation` of `elements`
// elements of `dtype` (the budget then grants what is free), for callers that split one tensor between
// threads themselves (ApplyInRuns) and must decide as Apply() would.
int KernelThreadsWanted(const Activation& activation, DataType dtype, size_t elements,
                        const ApplyOptions& options = {});

}  // namespace rectifier
