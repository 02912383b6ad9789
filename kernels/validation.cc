#include "kernels/validation.h"

#include <cmath>
#include <limits>
#include <string>

#include "kernels/str_cat.h"
#include "kernels/catalogue.h"
#include "kernels/status.h"

namespace rectifier {
namespace {

std::string FieldName(ActivationKind kind, std::string_view param) {
  return StrCat(InfoFor(kind).name, ".", param);
}

absl::Status CheckFinite(ActivationKind kind, std::string_view param, double value) {
  if (std::isfinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat(FieldName(kind, param), " must be finite; was ", std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf")));
}

absl::Status CheckNonZero(ActivationKind kind, std::string_view param, double value) {
  if (value != 0.0) return absl::OkStatus();
  return absl::InvalidArgumentError(StrCat(FieldName(kind, param), " must be non-zero; was 0"));
}

struct SpecChecker {
  absl::Status operator()(const act::LeakyRelu& a) const {
    return CheckFinite(ActivationKind::kLeakyRelu, "negative_slope", a.negative_slope);
  }
  absl::Status operator()(const act::Prelu& a) const {
    if (a.weight.empty()) {
      return absl::InvalidArgumentError("prelu.weight must have 1 entry or one per channel; was empty");
    }
    for (size_t i = 0; i < a.weight.size(); ++i) {
      // The field name is formatted only for the error: this runs on every request.
      if (!std::isfinite(a.weight[i])) {
        return CheckFinite(ActivationKind::kPrelu, StrCat("weight[", i, "]"), a.weight[i]);
      }
    }
    return absl::OkStatus();
  }
  absl::Status operator()(const act::Elu& a) const { return CheckFinite(ActivationKind::kElu, "alpha", a.alpha); }
  absl::Status operator()(const act::Celu& a) const {
    RECTIFIER_RETURN_IF_ERROR(CheckFinite(ActivationKind::kCelu, "alpha", a.alpha));
    return CheckNonZero(ActivationKind::kCelu, "alpha", a.alpha);
  }
  absl::Status operator()(const act::Hardtanh& a) const {
    RECTIFIER_RETURN_IF_ERROR(CheckFinite(ActivationKind::kHardtanh, "min_val", a.min_val));
    RECTIFIER_RETURN_IF_ERROR(CheckFinite(ActivationKind::kHardtanh, "max_val", a.max_val));
    if (a.min_val > a.max_val) {
      return absl::InvalidArgumentError(StrCat("hardtanh.min_val must not exceed hardtanh.max_val; was ",
                                                     a.min_val, " > ", a.max_val));
    }
    return absl::OkStatus();
  }
  absl::Status operator()(const act::Softplus& a) const {
    RECTIFIER_RETURN_IF_ERROR(CheckFinite(ActivationKind::kSoftplus, "beta", a.beta));
    RECTIFIER_RETURN_IF_ERROR(CheckNonZero(ActivationKind::kSoftplus, "beta", a.beta));
    return CheckFinite(ActivationKind::kSoftplus, "threshold", a.threshold);
  }
  absl::Status operator()(const act::Threshold& a) const {
    RECTIFIER_RETURN_IF_ERROR(CheckFinite(ActivationKind::kThreshold, "threshold", a.threshold));
    return CheckFinite(ActivationKind::kThreshold, "value", a.value);
  }
  // Activations without parameters, and those whose parameters are checked against the input (crelu axis).
  template <typename Spec>
  absl::Status operator()(const Spec&) const {
    return absl::OkStatus();
  }
};

// PyTorch converts scalar parameters to the integer element type (truncating toward zero) and refuses
// values that do not fit.
absl::Status CheckFitsInteger(ActivationKind kind, std::string_view param, double value, DataType dtype,
                              std::string_view field, std::string_view param_prefix) {
  double lo = 0, hi = 0;
  switch (dtype) {
    case DataType::kInt8: lo = -128; hi = 127; break;
    case DataType::kUInt8: lo = 0; hi = 255; break;
    case DataType::kInt16: lo = -32768; hi = 32767; break;
    case DataType::kInt32: lo = -2147483648.0; hi = 2147483647.0; break;
    // Doubles beyond ±2^63 do not convert; 2^63 itself is the first that does not fit.
    case DataType::kInt64: lo = -9223372036854775808.0; hi = 9223372036854774784.0; break;
    default: return absl::OkStatus();
  }
  double truncated = std::trunc(value);
  if (truncated >= lo && truncated <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(StrCat(param_prefix, FieldName(kind, param), " = ", value, " does not fit ",
                                                 field, ".dtype ", DataTypeName(dtype)));
}

std::string SupportedTypes(ActivationKind kind) {
  std::vector<std::string_view> names;
  for (DataType dtype : kAllDataTypes) {
    if (AcceptsDataType(kind, dtype)) names.push_back(DataTypeName(dtype));
  }
  return StrJoin(names, ", ");
}

// Normalises a possibly negative axis; nullopt when out of range.
std::optional<size_t> NormaliseAxis(int64_t axis, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return std::nullopt;
  return static_cast<size_t>(axis < 0 ? axis + r : axis);
}

}  // namespace

absl::Status ValidateActivation(const Activation& activation) { return std::visit(SpecChecker{}, activation); }

absl::Status ValidateForInput(const Activation& activation, DataType dtype, std::span<const int64_t> shape,
                              std::string_view field, std::string_view param_prefix) {
  const ActivationKind kind = KindOf(activation);
  if (!AcceptsDataType(kind, dtype)) {
    return absl::InvalidArgumentError(StrCat(field, ".dtype ", DataTypeName(dtype), " is not supported by ",
                                                   InfoFor(kind).name, "; it accepts ", SupportedTypes(kind)));
  }
  if (const auto* prelu = std::get_if<act::Prelu>(&activation)) {
    const int64_t channels = shape.size() >= 2 ? shape[1] : 1;
    const auto count = static_cast<int64_t>(prelu->weight.size());
    if (count != 1 && count != channels) {
      return absl::InvalidArgumentError(StrCat(param_prefix, "prelu.weight has ", count,
                                                     " entries; it needs 1 or one per channel (", field,
                                                     ".shape[1] = ", channels, ")"));
    }
  }
  if (const auto* crelu = std::get_if<act::Crelu>(&activation)) {
    if (!NormaliseAxis(crelu->axis, shape.size())) {
      const auto rank = static_cast<int64_t>(shape.size());
      return absl::InvalidArgumentError(
          rank == 0 ? StrCat("crelu needs an input of rank >= 1; ", field, " is a scalar")
                    : StrCat(param_prefix, "crelu.axis must be in [", -rank, ", ", rank, ") for a rank-", rank, " ",
                                   field, "; was ", crelu->axis));
    }
  }
  if (!IsFloatingPoint(dtype)) {
    if (const auto* h = std::get_if<act::Hardtanh>(&activation)) {
      RECTIFIER_RETURN_IF_ERROR(CheckFitsInteger(kind, "min_val", h->min_val, dtype, field, param_prefix));
      RECTIFIER_RETURN_IF_ERROR(CheckFitsInteger(kind, "max_val", h->max_val, dtype, field, param_prefix));
    }
    if (const auto* t = std::get_if<act::Threshold>(&activation)) {
      RECTIFIER_RETURN_IF_ERROR(CheckFitsInteger(kind, "threshold", t->threshold, dtype, field, param_prefix));
      RECTIFIER_RETURN_IF_ERROR(CheckFitsInteger(kind, "value", t->value, dtype, field, param_prefix));
    }
  }
  return absl::OkStatus();
}

DataType OutputDataType(const Activation& activation, DataType input_dtype) {
  if (!IsFloatingPoint(input_dtype) && InfoFor(KindOf(activation)).integer_output_is_float32) {
    return DataType::kFloat32;
  }
  return input_dtype;
}

std::vector<int64_t> OutputShape(const Activation& activation, std::span<const int64_t> input_shape) {
  std::vector<int64_t> shape(input_shape.begin(), input_shape.end());
  if (const auto* crelu = std::get_if<act::Crelu>(&activation)) {
    if (auto axis = NormaliseAxis(crelu->axis, shape.size())) shape[*axis] *= 2;
  }
  return shape;
}

}  // namespace rectifier
