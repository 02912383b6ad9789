#include "client/cli/npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "kernels/str_cat.h"
#include "rectifier/client/tensor.h"

namespace rectifier::cli {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
constexpr size_t kHeaderAlignmentBytes = 64;  // NumPy pads the header so that data starts aligned.

struct NpyType {
  const char* descr;
  v1::DataType dtype;
};
constexpr NpyType kNpyTypes[] = {
    {"<f4", v1::DATA_TYPE_FLOAT32}, {"<f8", v1::DATA_TYPE_FLOAT64}, {"<f2", v1::DATA_TYPE_FLOAT16},
    {"|i1", v1::DATA_TYPE_INT8},    {"|u1", v1::DATA_TYPE_UINT8},   {"<i2", v1::DATA_TYPE_INT16},
    {"<i4", v1::DATA_TYPE_INT32},   {"<i8", v1::DATA_TYPE_INT64},
};

uint32_t ReadLittleEndian(const std::string& bytes, size_t offset, size_t size) {
  uint32_t value = 0;
  for (size_t i = 0; i < size; ++i) value |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return value;
}

absl::Status CheckDataSize(const HostTensor& tensor, size_t data_bytes, std::string_view what) {
  absl::StatusOr<int64_t> count = client::ElementCount(tensor.shape);
  if (!count.ok()) return absl::InvalidArgumentError(StrCat(what, ": ", std::string(count.status().message())));
  const uint64_t want = static_cast<uint64_t>(*count) * client::ElementSizeBytes(tensor.dtype);
  if (want != data_bytes) {
    return absl::InvalidArgumentError(StrCat(what, ": shape [", StrJoin(tensor.shape, ", "), "] of ",
                                             client::DataTypeName(tensor.dtype), " needs ", want, " bytes; there are ",
                                             data_bytes));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostTensor> ParseNpy(std::string bytes) {
  if (bytes.size() < kMagicBytes + 4 || bytes.compare(0, kMagicBytes, kMagic, kMagicBytes) != 0) {
    return absl::InvalidArgumentError("not a .npy file (no \\x93NUMPY magic)");
  }
  const int major = static_cast<unsigned char>(bytes[kMagicBytes]);
  if (major < 1 || major > 3) return absl::InvalidArgumentError(StrCat(".npy format version ", major, " is unknown"));
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t header_start = kMagicBytes + 2 + length_bytes;
  if (bytes.size() < header_start) return absl::InvalidArgumentError(".npy header is truncated");
  const size_t header_length = ReadLittleEndian(bytes, kMagicBytes + 2, length_bytes);
  if (bytes.size() < header_start + header_length) return absl::InvalidArgumentError(".npy header is truncated");
  const std::string header = bytes.substr(header_start, header_length);

  std::smatch match;
  static const std::regex kDescr(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex kFortran(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex kShape(R"('shape'\s*:\s*\(([^)]*)\))");
  if (!std::regex_search(header, match, kDescr)) return absl::InvalidArgumentError(".npy header has no 'descr'");
  const std::string descr = match[1];
  HostTensor tensor;
  for (const NpyType& type : kNpyTypes) {
    if (descr == type.descr) tensor.dtype = type.dtype;
  }
  if (descr == "<u1" || descr == "<i1") tensor.dtype = descr == "<u1" ? v1::DATA_TYPE_UINT8 : v1::DATA_TYPE_INT8;
  if (tensor.dtype == v1::DATA_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError(StrCat(".npy dtype '", descr,
                                             "' is not supported (little-endian float32, float64, float16, int8, "
                                             "uint8, int16, int32, int64 are)"));
  }
  if (!std::regex_search(header, match, kFortran)) return absl::InvalidArgumentError(".npy header has no 'fortran_order'");
  if (match[1] == "True") {
    return absl::InvalidArgumentError(".npy array is in Fortran order; save it with np.ascontiguousarray first");
  }
  if (!std::regex_search(header, match, kShape)) return absl::InvalidArgumentError(".npy header has no 'shape'");
  std::stringstream dims(match[1]);
  std::string dim;
  while (std::getline(dims, dim, ',')) {
    const size_t first = dim.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    char* end = nullptr;
    const long long value = std::strtoll(dim.c_str() + first, &end, 10);
    if (end == dim.c_str() + first || value < 0) {
      return absl::InvalidArgumentError(StrCat(".npy shape has a bad dimension '", dim, "'"));
    }
    tensor.shape.push_back(value);
  }
  const size_t data_start = header_start + header_length;
  if (absl::Status size = CheckDataSize(tensor, bytes.size() - data_start, ".npy data"); !size.ok()) return size;
  bytes.erase(0, data_start);
  tensor.data = std::move(bytes);
  return tensor;
}

absl::StatusOr<std::string> SerializeNpy(const HostTensor& tensor) {
  const char* descr = nullptr;
  for (const NpyType& type : kNpyTypes) {
    if (type.dtype == tensor.dtype) descr = type.descr;
  }
  if (descr == nullptr) {
    return absl::InvalidArgumentError(StrCat("NumPy has no ", client::DataTypeName(tensor.dtype),
                                             "; write it raw (an output file name not ending in .npy)"));
  }
  if (absl::Status size = CheckDataSize(tensor, tensor.data.size(), "tensor"); !size.ok()) return size;
  std::string shape = StrJoin(tensor.shape, ", ");
  if (tensor.shape.size() == 1) shape += ",";
  std::string header = StrCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': (", shape, "), }");
  // Version 1.0 has a 2-byte header length; larger headers (thousands of dimensions) need 2.0.
  const bool version2 = header.size() + kMagicBytes + 2 + 2 + 1 > 65535;
  const size_t prefix = kMagicBytes + 2 + (version2 ? 4 : 2);
  const size_t padded = ((prefix + header.size() + 1 + kHeaderAlignmentBytes - 1) / kHeaderAlignmentBytes) *
                        kHeaderAlignmentBytes;
  header.append(padded - prefix - header.size() - 1, ' ');
  header += '\n';
  std::string out(kMagic, kMagicBytes);
  out += static_cast<char>(version2 ? 2 : 1);
  out += '\0';
  const uint32_t length = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < (version2 ? 4u : 2u); ++i) out += static_cast<char>((length >> (8 * i)) & 0xff);
  out += header;
  out += tensor.data;
  return out;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot open ", path, ": ", std::strerror(errno)));
  std::string bytes;
  in.seekg(0, std::ios::end);
  bytes.resize(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) return absl::InternalError(StrCat("cannot read ", path));
  return bytes;
}

absl::Status WriteFileBytes(const std::string& path, const std::string& bytes) {
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return absl::PermissionDeniedError(StrCat("cannot create ", temporary, ": ", std::strerror(errno)));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return absl::InternalError(StrCat("cannot write ", temporary, ": ", std::strerror(errno)));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InternalError(StrCat("cannot rename ", temporary, " to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<HostTensor> ReadNpy(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<HostTensor> tensor = ParseNpy(*std::move(bytes));
  if (!tensor.ok()) return absl::InvalidArgumentError(StrCat(path, ": ", std::string(tensor.status().message())));
  return tensor;
}

absl::Status WriteNpy(const std::string& path, const HostTensor& tensor) {
  absl::StatusOr<std::string> bytes = SerializeNpy(tensor);
  if (!bytes.ok()) return bytes.status();
  return WriteFileBytes(path, *bytes);
}

absl::StatusOr<HostTensor> ReadRaw(const std::string& path, v1::DataType dtype, std::vector<int64_t> shape) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  HostTensor tensor{dtype, std::move(shape), *std::move(bytes)};
  if (absl::Status size = CheckDataSize(tensor, tensor.data.size(), path); !size.ok()) return size;
  return tensor;
}

}  // namespace rectifier::cli
