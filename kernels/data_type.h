// Element data types of tensors, their sizes and names.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace rectifier {

enum class DataType {
  kFloat32,
  kFloat64,
  kFloat16,
  kBFloat16,
  kInt8,
  kUInt8,
  kInt16,
  kInt32,
  kInt64,
};

inline constexpr DataType kAllDataTypes[] = {
    DataType::kFloat32, DataType::kFloat64, DataType::kFloat16, DataType::kBFloat16, DataType::kInt8,
    DataType::kUInt8,   DataType::kInt16,   DataType::kInt32,   DataType::kInt64,
};

// Size of one element in bytes.
size_t ElementSizeBytes(DataType dtype);
// Lower-case name as NumPy/PyTorch spell it: "float32", "bfloat16", "int8", ...
std::string_view DataTypeName(DataType dtype);
// Inverse of DataTypeName; nullopt for an unknown name.
std::optional<DataType> ParseDataType(std::string_view name);
bool IsFloatingPoint(DataType dtype);

}  // namespace rectifier
