#include "bench/loadgen/reference_output.h"

#include "kernels/apply.h"
#include "kernels/status.h"
#include "kernels/tensor.h"
#include "kernels/validation.h"

namespace rectifier::bench {

absl::StatusOr<ReferenceOutput> ComputeReference(const Activation& activation, DataType input_dtype,
                                                 const std::vector<int64_t>& input_shape, const std::string& input) {
  RECTIFIER_RETURN_IF_ERROR(ValidateForInput(activation, input_dtype, input_shape, "input", "activation."));
  ReferenceOutput out;
  out.dtype = OutputDataType(activation, input_dtype);
  out.shape = OutputShape(activation, input_shape);
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t elements, NumElements(out.shape, "output shape"));
  out.data.assign(static_cast<size_t>(elements) * ElementSizeBytes(out.dtype), '\0');
  RECTIFIER_RETURN_IF_ERROR(Apply(activation, TensorView{input_dtype, input_shape, input.data()},
                                  MutableTensorView{out.dtype, out.shape, out.data.data()}));
  return out;
}

}  // namespace rectifier::bench
