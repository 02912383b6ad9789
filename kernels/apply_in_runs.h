// ApplyInRuns(): Apply() in place on a tensor whose bytes lie in several runs of memory (kernels/byte_runs.h),
// for the server's zero-copy path: the request's data is computed where gRPC received it and sent back from
// there (issue 7), instead of being copied into one contiguous buffer first.
//
// Only for element-wise activations whose output has the input's data type and size (AppliesInRuns): each
// element's result then depends on that element alone, so any split of the tensor gives Apply()'s result
// bit for bit. Thread-safe as Apply() is; blocks until every run is rewritten.
#pragma once

#include <span>

#include "absl/status/status.h"
#include "kernels/activation.h"
#include "kernels/apply.h"
#include "kernels/byte_runs.h"
#include "kernels/data_type.h"

namespace rectifier {

// Whether ApplyInRuns computes `activation` of `dtype`: not CReLU (its output is twice its input), not
// PReLU (an element's weight depends on its channel, which a run does not know), and only when the output
// data type is the input's (sigmoid of an integer tensor is float32, for one).
bool AppliesInRuns(const Activation& activation, DataType dtype);

// Rewrites every element of the tensor held in `runs` (whole `dtype` elements in all) with `activation` of
// it, as Apply() would. INVALID_ARGUMENT when !AppliesInRuns, or when the runs do not hold whole elements.
absl::Status ApplyInRuns(const Activation& activation, DataType dtype, std::span<const ByteRun> runs,
                         const ApplyOptions& options = {});

}  // namespace rectifier
