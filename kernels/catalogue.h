// The catalogue: every activation Rectifier serves, its parameters with defaults, its formula and the data
// types it accepts. The single source of truth for the text parser, validation, ListActivations and the
// README table.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "kernels/activation.h"
#include "kernels/data_type.h"

namespace rectifier {

enum class ParamType {
  kDouble,      // a finite number
  kDoubleList,  // a non-empty list of finite numbers (PReLU weight)
  kInt,         // an integer (CReLU axis)
  kEnum,        // one of `enum_values` (GELU approximate)
};

struct ParamInfo {
  std::string_view name;           // PyTorch's argument name, e.g. "negative_slope".
  ParamType type;
  std::string_view default_text;   // Default in text form; empty when the parameter is required.
  std::string_view description;
  std::span<const std::string_view> enum_values = {};
};

struct ActivationInfo {
  ActivationKind kind;
  std::string_view name;         // e.g. "leaky_relu"
  std::span<const ParamInfo> params;
  std::string_view formula;      // Human-readable definition, as in the README.
  // Integer input types accepted (floating-point types are accepted by every activation).
  std::span<const DataType> integer_types;
  bool integer_output_is_float32;  // sigmoid and tanh of integers return float32, as PyTorch does.
};

std::span<const ActivationInfo> Catalogue();
const ActivationInfo& InfoFor(ActivationKind kind);
std::optional<ActivationKind> FindActivation(std::string_view name);

// Every data type `kind` accepts: the four floating-point types, then its integer types.
bool AcceptsDataType(ActivationKind kind, DataType dtype);

}  // namespace rectifier
