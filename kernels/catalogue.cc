#include "kernels/catalogue.h"

#include <algorithm>
#include <array>

namespace rectifier {
namespace {

constexpr std::array<DataType, 5> kAllIntegers = {DataType::kInt8, DataType::kUInt8, DataType::kInt16,
                                                 DataType::kInt32, DataType::kInt64};
constexpr std::array<DataType, 4> kSignedIntegers = {DataType::kInt8, DataType::kInt16, DataType::kInt32,
                                                    DataType::kInt64};
constexpr std::array<std::string_view, 2> kGeluApproximations = {"none", "tanh"};

constexpr ParamInfo kLeakyReluParams[] = {
    {"negative_slope", ParamType::kDouble, "0.01", "slope for x < 0"}};
constexpr ParamInfo kPreluParams[] = {
    {"weight", ParamType::kDoubleList, "[0.25]", "one shared weight or one per channel (dim 1)"}};
constexpr ParamInfo kEluParams[] = {{"alpha", ParamType::kDouble, "1", "value approached as x -> -inf"}};
constexpr ParamInfo kCeluParams[] = {{"alpha", ParamType::kDouble, "1", "non-zero; alpha of alpha*(exp(x/alpha)-1)"}};
constexpr ParamInfo kCreluParams[] = {
    {"axis", ParamType::kInt, "-1", "axis along which relu(x) and relu(-x) are concatenated"}};
constexpr ParamInfo kHardtanhParams[] = {{"min_val", ParamType::kDouble, "-1", "lower bound"},
                                         {"max_val", ParamType::kDouble, "1", "upper bound, >= min_val"}};
constexpr ParamInfo kGeluParams[] = {{"approximate", ParamType::kEnum, "none", "none (erf) or tanh",
                                      kGeluApproximations}};
constexpr ParamInfo kSoftplusParams[] = {
    {"beta", ParamType::kDouble, "1", "non-zero sharpness"},
    {"threshold", ParamType::kDouble, "20", "above beta*x > threshold the result is x"}};
constexpr ParamInfo kThresholdParams[] = {{"threshold", ParamType::kDouble, "", "required"},
                                          {"value", ParamType::kDouble, "", "required; replaces x <= threshold"}};

using K = ActivationKind;
constexpr ActivationInfo kCatalogue[] = {
    {K::kRelu, "relu", {}, "max(0, x)", kAllIntegers, false},
    {K::kLeakyRelu, "leaky_relu", kLeakyReluParams, "x if x > 0 else negative_slope * x", {}, false},
    {K::kPrelu, "prelu", kPreluParams, "x if x > 0 else weight[c] * x (c = index along dim 1)", {}, false},
    {K::kElu, "elu", kEluParams, "x if x > 0 else alpha * (exp(x) - 1)", {}, false},
    {K::kSelu, "selu", {}, "scale * (max(0, x) + min(0, alpha * (exp(x) - 1))), alpha = 1.6732632423543772, scale = 1.0507009873554805", {}, false},
    {K::kCelu, "celu", kCeluParams, "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))", {}, false},
    {K::kCrelu, "crelu", kCreluParams, "concat([relu(x), relu(-x)], axis)", kSignedIntegers, false},
    {K::kRelu6, "relu6", {}, "min(max(0, x), 6)", kAllIntegers, false},
    {K::kHardtanh, "hardtanh", kHardtanhParams, "min(max(min_val, x), max_val)", kSignedIntegers, false},
    {K::kGelu, "gelu", kGeluParams, "x * Phi(x); tanh: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))", {}, false},
    {K::kSilu, "silu", {}, "x * sigmoid(x)", {}, false},
    {K::kMish, "mish", {}, "x * tanh(softplus(x))", {}, false},
    {K::kSigmoid, "sigmoid", {}, "1 / (1 + exp(-x))", kAllIntegers, true},
    {K::kTanh, "tanh", {}, "tanh(x)", kAllIntegers, true},
    {K::kSoftplus, "softplus", kSoftplusParams, "log(1 + exp(beta * x)) / beta; x where beta * x > threshold", {}, false},
    {K::kHardswish, "hardswish", {}, "x * min(max(x + 3, 0), 6) / 6", {}, false},
    {K::kHardsigmoid, "hardsigmoid", {}, "min(max(x + 3, 0), 6) / 6", {}, false},
    {K::kLogsigmoid, "logsigmoid", {}, "log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))", {}, false},
    {K::kThreshold, "threshold", kThresholdParams, "x if x > threshold else value", kSignedIntegers, false},
};
static_assert(std::size(kCatalogue) == kNumActivationKinds);

constexpr bool CatalogueIsInKindOrder() {
  for (int i = 0; i < kNumActivationKinds; ++i) {
    if (static_cast<int>(kCatalogue[i].kind) != i) return false;
  }
  return true;
}
static_assert(CatalogueIsInKindOrder());

}  // namespace

std::span<const ActivationInfo> Catalogue() { return kCatalogue; }

const ActivationInfo& InfoFor(ActivationKind kind) { return kCatalogue[static_cast<int>(kind)]; }

std::optional<ActivationKind> FindActivation(std::string_view name) {
  for (const ActivationInfo& info : kCatalogue) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

bool AcceptsDataType(ActivationKind kind, DataType dtype) {
  if (IsFloatingPoint(dtype)) return true;
  const auto& types = InfoFor(kind).integer_types;
  return std::find(types.begin(), types.end(), dtype) != types.end();
}

}  // namespace rectifier
