#include "kernels/tensor.h"

#include <limits>
#include <string>

#include "kernels/str_cat.h"

namespace rectifier {

absl::StatusOr<int64_t> NumElements(std::span<const int64_t> shape, std::string_view field) {
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return absl::InvalidArgumentError(
          StrCat(field, "[", i, "] must be non-negative; was ", shape[i]));
    }
    if (shape[i] != 0 && count > std::numeric_limits<int64_t>::max() / shape[i]) {
      return absl::InvalidArgumentError(StrCat(field, " has more elements than fit in int64"));
    }
    count *= shape[i];
  }
  return count;
}

}  // namespace rectifier
