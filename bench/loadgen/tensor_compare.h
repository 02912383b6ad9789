// Element-wise comparison of two tensors' bytes with a tolerance per data type, for checking responses.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "kernels/data_type.h"

namespace rectifier::bench {

// OK when `actual` and `expected` have the same size and every element agrees: integers exactly, floating
// types within a relative tolerance of about one unit in the last place (float32 1e-5, float64 1e-12,
// float16 / bfloat16 1e-2; NaN matches NaN). Kernel backends and thread counts may differ between the server
// and the local reference, so bitwise equality is not required. INTERNAL naming the first mismatch.
absl::Status CompareTensorBytes(DataType dtype, std::string_view expected, std::string_view actual);

}  // namespace rectifier::bench
