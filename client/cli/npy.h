// NumPy .npy files (format versions 1, 2 and 3; C order, little-endian) and raw little-endian tensors, as
// the CLI reads and writes them. NumPy has no bfloat16: bfloat16 tensors are raw only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rectifier/v1/rectifier.pb.h"

namespace rectifier::cli {

// A tensor as read from or written to a file; `data` is prod(shape) elements, row-major, little-endian.
struct HostTensor {
  v1::DataType dtype = v1::DATA_TYPE_UNSPECIFIED;
  std::vector<int64_t> shape;
  std::string data;
};

// Parses a .npy file's bytes. INVALID_ARGUMENT for a bad magic or header, Fortran order, big-endian or an
// unsupported dtype (supported: <f4 <f8 <f2 |i1 |u1 <i2 <i4 <i8), or a data size that disagrees with the
// shape.
absl::StatusOr<HostTensor> ParseNpy(std::string bytes);
// A .npy (version 1.0, or 2.0 when the header needs it) holding `tensor`. INVALID_ARGUMENT for bfloat16.
absl::StatusOr<std::string> SerializeNpy(const HostTensor& tensor);

// Reads a whole file; NOT_FOUND / INTERNAL naming the path.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);
// Writes a whole file (through a temporary next to it, renamed into place).
absl::Status WriteFileBytes(const std::string& path, const std::string& bytes);

absl::StatusOr<HostTensor> ReadNpy(const std::string& path);
absl::Status WriteNpy(const std::string& path, const HostTensor& tensor);
// A raw file of `dtype` elements; its size must be prod(shape) elements.
absl::StatusOr<HostTensor> ReadRaw(const std::string& path, v1::DataType dtype, std::vector<int64_t> shape);

}  // namespace rectifier::cli
