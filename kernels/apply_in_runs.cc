#include "kernels/apply_in_runs.h"

#include <cstdint>

#include "kernels/catalogue.h"
#include "kernels/str_cat.h"
#include "kernels/validation.h"

namespace rectifier {

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
  return ForEachElementStretch(runs, ElementSizeBytes(dtype), [&](uint8_t* data, size_t elements) {
    const int64_t shape[1] = {static_cast<int64_t>(elements)};
    return Apply(activation, TensorView{dtype, shape, data}, MutableTensorView{dtype, shape, data}, options);
  });
}

}  // namespace rectifier
