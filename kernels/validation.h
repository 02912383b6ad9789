// Validation of activation specs on their own and against an input tensor, and the output each produces.
//
// Rectifier is deliberately stricter than torch.nn.functional where the functional forms accept nonsense:
// non-finite parameters, hardtanh min_val > max_val (nn.Hardtanh refuses it too), softplus beta = 0 and
// celu alpha = 0 are rejected. Every error is INVALID_ARGUMENT and names the parameter, e.g.
// "celu.alpha must be non-zero; was 0".
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/activation.h"
#include "kernels/data_type.h"

namespace rectifier {

// Checks the parameters alone (no input needed).
absl::Status ValidateActivation(const Activation& activation);

// Checks that `activation` (already valid on its own) applies to an input of `dtype` and `shape`: the data
// type is accepted, PReLU has 1 or shape[1] weights, the CReLU axis is within the rank, integer parameters
// fit the integer element type. `field` names the input in messages ("input.dtype"); `param_prefix` is put
// before parameter names ("activation." gives "activation.prelu.weight", as the API spells it).
absl::Status ValidateForInput(const Activation& activation, DataType dtype, std::span<const int64_t> shape,
                              std::string_view field = "input", std::string_view param_prefix = "");

// PyTorch's result type: float32 for sigmoid and tanh of integers, else the input's type.
DataType OutputDataType(const Activation& activation, DataType input_dtype);

// The input's shape, except CReLU, which doubles its axis.
std::vector<int64_t> OutputShape(const Activation& activation, std::span<const int64_t> input_shape);

}  // namespace rectifier
