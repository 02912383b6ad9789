// The reference a request builder checks responses against: the activation applied to the input by the
// kernel library in this process. Shared by every API's builder (the computation does not depend on the API).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/activation.h"
#include "kernels/data_type.h"

namespace rectifier::bench {

struct ReferenceOutput {
  DataType dtype = DataType::kFloat32;
  std::vector<int64_t> shape;
  std::string data;
};

// INVALID_ARGUMENT when the activation does not accept the input.
absl::StatusOr<ReferenceOutput> ComputeReference(const Activation& activation, DataType input_dtype,
                                                 const std::vector<int64_t>& input_shape, const std::string& input);

}  // namespace rectifier::bench
