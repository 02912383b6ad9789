// Validation (ValidateActivation, ValidateForInput), output types and shapes, Apply's argument checks, the
// catalogue, data types and NumElements.
#include "kernels/validation.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "kernels/activation.h"
#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "kernels/catalogue.h"
#include "kernels/data_type.h"
#include "kernels/tensor.h"

namespace rectifier {
namespace {

using Shape = std::vector<int64_t>;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Every activation with its default parameters (threshold with its required ones set to 0).
std::vector<Activation> DefaultActivations() {
  std::vector<Activation> all;
  [&]<size_t... I>(std::index_sequence<I...>) {
    (all.push_back(Activation{std::in_place_index<I>}), ...);
  }(std::make_index_sequence<kNumActivationKinds>{});
  return all;
}

// The data types each activation accepts (PyTorch 1.13, measured): the four floating-point types, and
// integers for relu/relu6/sigmoid/tanh (all five) and hardtanh/threshold (signed only). crelu (not in
// PyTorch; tf.nn.crelu) takes the signed integers too.
bool ExpectedToAccept(ActivationKind kind, DataType dtype) {
  if (IsFloatingPoint(dtype)) return true;
  switch (kind) {
    case ActivationKind::kRelu:
    case ActivationKind::kRelu6:
    case ActivationKind::kSigmoid:
    case ActivationKind::kTanh:
      return true;
    case ActivationKind::kHardtanh:
    case ActivationKind::kThreshold:
    case ActivationKind::kCrelu:
      return dtype != DataType::kUInt8;
    default:
      return false;
  }
}

void ExpectInvalid(const absl::Status& status, const std::string& named, const std::string& what) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << what << ": " << status;
  if (!named.empty()) {
    EXPECT_NE(status.message().find(named), std::string::npos)
        << what << ": message does not name '" << named << "': " << status.message();
  }
}

// ---------------------------------------------------------------------------------------------------------
// ValidateActivation.

TEST(ValidateActivationTest, DefaultsAreValid) {
  for (const Activation& activation : DefaultActivations()) {
    EXPECT_TRUE(ValidateActivation(activation).ok()) << FormatActivation(activation);
  }
  EXPECT_TRUE(ValidateActivation(act::Hardtanh{2.0, 2.0}).ok()) << "min_val == max_val is fine";
  EXPECT_TRUE(ValidateActivation(act::Softplus{-1.0, 20.0}).ok()) << "negative beta is fine";
  EXPECT_TRUE(ValidateActivation(act::Celu{-0.5}).ok()) << "negative alpha is fine";
  EXPECT_TRUE(ValidateActivation(act::Crelu{-100}).ok()) << "the axis is checked against an input";
  EXPECT_TRUE(ValidateActivation(act::Prelu{{0.1, -2.0, 0.0}}).ok());
}

TEST(ValidateActivationTest, InvalidParameters) {
  const std::vector<std::pair<Activation, std::string>> cases = {
      {act::LeakyRelu{kNaN}, "negative_slope"},
      {act::LeakyRelu{kInf}, "negative_slope"},
      {act::Prelu{{}}, "weight"},
      {act::Prelu{{0.1, kNaN}}, "weight"},
      {act::Prelu{{-kInf}}, "weight"},
      {act::Elu{kInf}, "alpha"},
      {act::Celu{0.0}, "alpha"},
      {act::Celu{-0.0}, "alpha"},
      {act::Celu{kNaN}, "alpha"},
      {act::Hardtanh{2.0, 1.0}, "min_val"},
      {act::Hardtanh{-kInf, 1.0}, "min_val"},
      {act::Hardtanh{-1.0, kInf}, "max_val"},
      {act::Hardtanh{kNaN, 1.0}, "min_val"},
      {act::Softplus{0.0, 20.0}, "beta"},
      {act::Softplus{kNaN, 20.0}, "beta"},
      {act::Softplus{1.0, kInf}, "threshold"},
      {act::Threshold{kNaN, 0.0}, "threshold"},
      {act::Threshold{0.0, -kInf}, "value"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    ExpectInvalid(ValidateActivation(cases[i].first), cases[i].second, "ValidateActivation case #" + std::to_string(i));
  }
}

// ---------------------------------------------------------------------------------------------------------
// ValidateForInput.

TEST(ValidateForInputTest, DataTypes) {
  const Shape shape = {2, 3, 5};
  for (const Activation& activation : DefaultActivations()) {
    const ActivationKind kind = KindOf(activation);
    for (DataType dtype : kAllDataTypes) {
      const absl::Status status = ValidateForInput(activation, dtype, shape, "request.input");
      const std::string what = FormatActivation(activation) + " on " + std::string(DataTypeName(dtype));
      if (ExpectedToAccept(kind, dtype)) {
        EXPECT_TRUE(status.ok()) << what << ": " << status;
      } else {
        ExpectInvalid(status, "request.input", what);
      }
    }
  }
}

TEST(ValidateForInputTest, NamedUnsupportedTypes) {
  const Shape shape = {4};
  ExpectInvalid(ValidateForInput(act::Gelu{}, DataType::kInt8, shape), "input", "gelu on int8");
  ExpectInvalid(ValidateForInput(act::Hardtanh{}, DataType::kUInt8, shape), "input", "hardtanh on uint8");
  ExpectInvalid(ValidateForInput(act::Threshold{0, 0}, DataType::kUInt8, shape), "input", "threshold on uint8");
  ExpectInvalid(ValidateForInput(act::LeakyRelu{}, DataType::kInt32, shape), "input", "leaky_relu on int32");
  ExpectInvalid(ValidateForInput(act::Prelu{}, DataType::kInt16, shape), "input", "prelu on int16");
  ExpectInvalid(ValidateForInput(act::Mish{}, DataType::kInt64, shape), "input", "mish on int64");
  // The message says which type was refused.
  const absl::Status status = ValidateForInput(act::Gelu{}, DataType::kInt8, shape);
  EXPECT_NE(status.message().find("int8"), std::string::npos) << status;
}

TEST(ValidateForInputTest, PreluWeightCount) {
  const act::Prelu one{{0.1}};
  const act::Prelu three{{0.1, 0.2, 0.3}};
  const act::Prelu two{{0.1, 0.2}};
  for (const Shape& shape : {Shape{}, Shape{3}, Shape{2, 3}, Shape{2, 3, 5}, Shape{0, 3, 0}, Shape{2, 3, 4, 5}}) {
    EXPECT_TRUE(ValidateForInput(one, DataType::kFloat32, shape).ok()) << "one weight, rank " << shape.size();
  }
  for (const Shape& shape : {Shape{2, 3}, Shape{2, 3, 5}, Shape{1, 3, 1, 1}}) {
    EXPECT_TRUE(ValidateForInput(three, DataType::kFloat32, shape).ok()) << "three weights, rank " << shape.size();
  }
  // Not 1 and not C = shape[1]; inputs with fewer than two dimensions have one channel.
  for (const Shape& shape : {Shape{2, 3, 5}, Shape{2, 4}}) {
    ExpectInvalid(ValidateForInput(two, DataType::kFloat32, shape), "weight", "two weights");
  }
  for (const Shape& shape : {Shape{}, Shape{3}, Shape{2, 2}, Shape{3, 2, 3}}) {
    ExpectInvalid(ValidateForInput(three, DataType::kFloat32, shape), "weight", "three weights, rank " +
                                                                            std::to_string(shape.size()));
  }
}

TEST(ValidateForInputTest, CreluAxis) {
  const Shape shape = {2, 3, 5};
  for (int64_t axis : {-3, -2, -1, 0, 1, 2}) {
    EXPECT_TRUE(ValidateForInput(act::Crelu{axis}, DataType::kFloat32, shape).ok()) << axis;
  }
  for (int64_t axis : std::vector<int64_t>{-4, 3, 100, -100, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    ExpectInvalid(ValidateForInput(act::Crelu{axis}, DataType::kFloat32, shape), "axis", "axis " + std::to_string(axis));
  }
  // Rank 0: no axis at all.
  for (int64_t axis : {-1, 0, 1}) {
    ExpectInvalid(ValidateForInput(act::Crelu{axis}, DataType::kFloat32, Shape{}), "crelu",
                  "rank-0 axis " + std::to_string(axis));
  }
  EXPECT_TRUE(ValidateForInput(act::Crelu{0}, DataType::kFloat32, Shape{7}).ok());
  EXPECT_TRUE(ValidateForInput(act::Crelu{-1}, DataType::kFloat32, Shape{7}).ok());
  ExpectInvalid(ValidateForInput(act::Crelu{1}, DataType::kFloat32, Shape{7}), "axis", "rank-1 axis 1");
}

TEST(ValidateForInputTest, IntegerParametersMustFitTheElementType) {
  const Shape shape = {4};
  ExpectInvalid(ValidateForInput(act::Hardtanh{-200.0, 3.0}, DataType::kInt8, shape), "min_val", "hardtanh int8");
  EXPECT_TRUE(ValidateForInput(act::Hardtanh{-200.0, 3.0}, DataType::kInt16, shape).ok());
  ExpectInvalid(ValidateForInput(act::Hardtanh{-1.0, 40000.0}, DataType::kInt16, shape), "max_val", "hardtanh int16");
  EXPECT_TRUE(ValidateForInput(act::Hardtanh{-1.0, 40000.0}, DataType::kInt32, shape).ok());
  ExpectInvalid(ValidateForInput(act::Threshold{0.0, 300.0}, DataType::kInt8, shape), "value", "threshold int8");
  ExpectInvalid(ValidateForInput(act::Threshold{-129.0, 0.0}, DataType::kInt8, shape), "threshold", "threshold int8");
  EXPECT_TRUE(ValidateForInput(act::Threshold{-128.0, 127.0}, DataType::kInt8, shape).ok()) << "the extremes fit";
  ExpectInvalid(ValidateForInput(act::Threshold{1e10, 0.0}, DataType::kInt32, shape), "threshold", "threshold int32");
  EXPECT_TRUE(ValidateForInput(act::Threshold{1e10, 0.0}, DataType::kInt64, shape).ok());
  ExpectInvalid(ValidateForInput(act::Threshold{0.0, 1e19}, DataType::kInt64, shape), "value", "threshold int64");
  ExpectInvalid(ValidateForInput(act::Threshold{-1e19, 0.0}, DataType::kInt64, shape), "threshold", "threshold int64");
  // Floating-point inputs take any finite parameter.
  EXPECT_TRUE(ValidateForInput(act::Threshold{1e30, -1e30}, DataType::kFloat16, shape).ok());
  EXPECT_TRUE(ValidateForInput(act::Hardtanh{-1e30, 1e30}, DataType::kBFloat16, shape).ok());
  // relu6's bounds fit every integer type.
  for (DataType dtype : {DataType::kInt8, DataType::kUInt8, DataType::kInt16, DataType::kInt32, DataType::kInt64}) {
    EXPECT_TRUE(ValidateForInput(act::Relu6{}, dtype, shape).ok()) << DataTypeName(dtype);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Output data type and shape.

TEST(OutputTest, DataType) {
  for (const Activation& activation : DefaultActivations()) {
    const ActivationKind kind = KindOf(activation);
    for (DataType dtype : kAllDataTypes) {
      if (!ExpectedToAccept(kind, dtype)) continue;
      const bool to_float = !IsFloatingPoint(dtype) && (kind == ActivationKind::kSigmoid || kind == ActivationKind::kTanh);
      EXPECT_EQ(OutputDataType(activation, dtype), to_float ? DataType::kFloat32 : dtype)
          << FormatActivation(activation) << " on " << DataTypeName(dtype);
    }
  }
}

TEST(OutputTest, Shape) {
  const Shape shape = {2, 3, 5};
  EXPECT_EQ(OutputShape(act::Relu{}, shape), shape);
  EXPECT_EQ(OutputShape(act::Prelu{{1, 2, 3}}, shape), shape);
  EXPECT_EQ(OutputShape(act::Gelu{}, Shape{}), Shape{});
  EXPECT_EQ(OutputShape(act::Crelu{}, shape), (Shape{2, 3, 10}));
  EXPECT_EQ(OutputShape(act::Crelu{-1}, shape), (Shape{2, 3, 10}));
  EXPECT_EQ(OutputShape(act::Crelu{2}, shape), (Shape{2, 3, 10}));
  EXPECT_EQ(OutputShape(act::Crelu{0}, shape), (Shape{4, 3, 5}));
  EXPECT_EQ(OutputShape(act::Crelu{-3}, shape), (Shape{4, 3, 5}));
  EXPECT_EQ(OutputShape(act::Crelu{1}, shape), (Shape{2, 6, 5}));
  EXPECT_EQ(OutputShape(act::Crelu{-2}, shape), (Shape{2, 6, 5}));
  EXPECT_EQ(OutputShape(act::Crelu{0}, Shape{7}), (Shape{14}));
  EXPECT_EQ(OutputShape(act::Crelu{-1}, Shape{0, 4}), (Shape{0, 8}));
}

// ---------------------------------------------------------------------------------------------------------
// Apply's argument checks: INVALID_ARGUMENT, and the output is left alone.

struct ApplyCall {
  std::string what;
  Activation activation;
  DataType in_dtype;
  Shape in_shape;
  DataType out_dtype;
  Shape out_shape;
  std::string named;  // Must appear in the message (empty: anything).
};

TEST(ApplyValidationTest, MismatchedOrInvalidArguments) {
  using enum DataType;
  const std::vector<ApplyCall> calls = {
      {"output dtype", act::Relu{}, kFloat32, {2, 3, 5}, kFloat64, {2, 3, 5}, "output"},
      {"output dtype half", act::Gelu{}, kFloat16, {8}, kBFloat16, {8}, "output"},
      {"sigmoid(int8) is float32", act::Sigmoid{}, kInt8, {8}, kInt8, {8}, "output"},
      {"tanh(int32) is float32", act::Tanh{}, kInt32, {8}, kFloat64, {8}, "output"},
      {"relu(int8) is int8", act::Relu{}, kInt8, {8}, kFloat32, {8}, "output"},
      {"output shape", act::Relu{}, kFloat32, {2, 3, 5}, kFloat32, {2, 3, 4}, "output"},
      {"output rank", act::Relu{}, kFloat32, {2, 3, 5}, kFloat32, {30}, "output"},
      {"output rank 0", act::Relu{}, kFloat32, {1}, kFloat32, {}, "output"},
      {"crelu not doubled", act::Crelu{}, kFloat32, {2, 3, 5}, kFloat32, {2, 3, 5}, "output"},
      {"crelu wrong axis doubled", act::Crelu{1}, kFloat32, {2, 3, 5}, kFloat32, {2, 3, 10}, "output"},
      {"crelu axis out of range", act::Crelu{3}, kFloat32, {2, 3, 5}, kFloat32, {2, 3, 5}, "axis"},
      {"crelu rank 0", act::Crelu{}, kFloat32, {}, kFloat32, {}, "crelu"},
      {"invalid spec", act::Hardtanh{2, 1}, kFloat32, {4}, kFloat32, {4}, "min_val"},
      {"invalid spec celu", act::Celu{0}, kFloat32, {4}, kFloat32, {4}, "alpha"},
      {"unsupported dtype", act::Gelu{}, kInt8, {4}, kInt8, {4}, ""},
      {"unsupported uint8", act::Hardtanh{}, kUInt8, {4}, kUInt8, {4}, ""},
      {"prelu weights", act::Prelu{{0.1, 0.2}}, kFloat32, {2, 3, 5}, kFloat32, {2, 3, 5}, "weight"},
      {"integer parameter range", act::Threshold{0, 1000}, kInt8, {4}, kInt8, {4}, "value"},
      {"negative dimension", act::Relu{}, kFloat32, {2, -3}, kFloat32, {2, -3}, "-3"},
  };
  for (const ApplyCall& call : calls) {
    std::vector<double> in(64, 1.0);
    std::vector<double> out(64, 7.0);
    const absl::Status status =
        Apply(call.activation, TensorView{call.in_dtype, call.in_shape, in.data()},
              MutableTensorView{call.out_dtype, call.out_shape, out.data()});
    ExpectInvalid(status, call.named, call.what);
    EXPECT_EQ(out, std::vector<double>(64, 7.0)) << call.what << ": output written despite the error";
  }
}

TEST(ApplyValidationTest, EveryBackendValidates) {
  std::vector<float> in(8, 1.0f), out(8, 7.0f);
  const Shape shape = {8}, wrong = {4};
  for (Backend backend : {Backend::kAuto, Backend::kSimd, Backend::kOnednn}) {
    const ApplyOptions options{.backend = backend};
    ExpectInvalid(Apply(act::Relu{}, TensorView{DataType::kFloat32, shape, in.data()},
                        MutableTensorView{DataType::kFloat32, wrong, out.data()}, options),
                  "", "shape mismatch");
    ExpectInvalid(Apply(act::Softplus{0, 1}, TensorView{DataType::kFloat32, shape, in.data()},
                        MutableTensorView{DataType::kFloat32, shape, out.data()}, options),
                  "beta", "softplus beta = 0");
    EXPECT_EQ(out, std::vector<float>(8, 7.0f));
  }
}

TEST(ApplyValidationTest, CreluCannotRunInPlace) {
  std::vector<float> buffer(20, -1.0f);
  const absl::Status status = Apply(act::Crelu{}, TensorView{DataType::kFloat32, Shape{10}, buffer.data()},
                                    MutableTensorView{DataType::kFloat32, Shape{20}, buffer.data()});
  ExpectInvalid(status, "crelu", "crelu in place");
  EXPECT_EQ(buffer, std::vector<float>(20, -1.0f));
}

TEST(ApplyValidationTest, NullDataWithElements) {
  std::vector<float> buffer(4, 1.0f);
  ExpectInvalid(Apply(act::Relu{}, TensorView{DataType::kFloat32, Shape{4}, nullptr},
                      MutableTensorView{DataType::kFloat32, Shape{4}, buffer.data()}),
                "", "null input");
  ExpectInvalid(Apply(act::Relu{}, TensorView{DataType::kFloat32, Shape{4}, buffer.data()},
                      MutableTensorView{DataType::kFloat32, Shape{4}, nullptr}),
                "", "null output");
  // No elements: null is fine.
  EXPECT_TRUE(Apply(act::Relu{}, TensorView{DataType::kFloat32, Shape{0}, nullptr},
                    MutableTensorView{DataType::kFloat32, Shape{0}, nullptr})
                  .ok());
}

TEST(ApplyValidationTest, ValidCallsSucceed) {
  std::vector<float> in(60, -1.0f), out(60, 7.0f);
  EXPECT_TRUE(Apply(act::Crelu{1}, TensorView{DataType::kFloat32, Shape{2, 3, 5}, in.data()},
                    MutableTensorView{DataType::kFloat32, Shape{2, 6, 5}, out.data()})
                  .ok());
  EXPECT_TRUE(Apply(act::Crelu{-3}, TensorView{DataType::kFloat32, Shape{2, 3, 5}, in.data()},
                    MutableTensorView{DataType::kFloat32, Shape{4, 3, 5}, out.data()})
                  .ok());
  std::vector<int8_t> in8(8, -3);
  EXPECT_TRUE(Apply(act::Sigmoid{}, TensorView{DataType::kInt8, Shape{8}, in8.data()},
                    MutableTensorView{DataType::kFloat32, Shape{8}, out.data()})
                  .ok());
  EXPECT_NEAR(out[0], 1.0 / (1.0 + std::exp(3.0)), 1e-7);
}

// ---------------------------------------------------------------------------------------------------------
// The catalogue.

TEST(CatalogueTest, EveryKindInOrder) {
  const auto catalogue = Catalogue();
  ASSERT_EQ(static_cast<int>(catalogue.size()), kNumActivationKinds);
  const std::vector<std::string> names = {"relu",     "leaky_relu", "prelu",   "elu",        "selu",
                                          "celu",     "crelu",      "relu6",   "hardtanh",   "gelu",
                                          "silu",     "mish",       "sigmoid", "tanh",       "softplus",
                                          "hardswish", "hardsigmoid", "logsigmoid", "threshold"};
  for (int k = 0; k < kNumActivationKinds; ++k) {
    const ActivationKind kind = static_cast<ActivationKind>(k);
    EXPECT_EQ(catalogue[k].kind, kind) << k;
    EXPECT_EQ(&InfoFor(kind), &catalogue[k]) << k;
    EXPECT_EQ(catalogue[k].name, names[k]);
    EXPECT_EQ(FindActivation(names[k]), kind) << names[k];
    EXPECT_FALSE(catalogue[k].formula.empty()) << names[k];
    EXPECT_EQ(catalogue[k].integer_output_is_float32,
              kind == ActivationKind::kSigmoid || kind == ActivationKind::kTanh)
        << names[k];
  }
  EXPECT_EQ(FindActivation("nope"), std::nullopt);
  EXPECT_EQ(FindActivation(""), std::nullopt);
  EXPECT_EQ(FindActivation("Relu"), std::nullopt);
}

TEST(CatalogueTest, Parameters) {
  const std::vector<std::pair<ActivationKind, std::vector<std::string>>> expected = {
      {ActivationKind::kRelu, {}},
      {ActivationKind::kLeakyRelu, {"negative_slope"}},
      {ActivationKind::kPrelu, {"weight"}},
      {ActivationKind::kElu, {"alpha"}},
      {ActivationKind::kSelu, {}},
      {ActivationKind::kCelu, {"alpha"}},
      {ActivationKind::kCrelu, {"axis"}},
      {ActivationKind::kRelu6, {}},
      {ActivationKind::kHardtanh, {"min_val", "max_val"}},
      {ActivationKind::kGelu, {"approximate"}},
      {ActivationKind::kSilu, {}},
      {ActivationKind::kMish, {}},
      {ActivationKind::kSigmoid, {}},
      {ActivationKind::kTanh, {}},
      {ActivationKind::kSoftplus, {"beta", "threshold"}},
      {ActivationKind::kHardswish, {}},
      {ActivationKind::kHardsigmoid, {}},
      {ActivationKind::kLogsigmoid, {}},
      {ActivationKind::kThreshold, {"threshold", "value"}},
  };
  for (const auto& [kind, params] : expected) {
    const ActivationInfo& info = InfoFor(kind);
    ASSERT_EQ(info.params.size(), params.size()) << info.name;
    for (size_t i = 0; i < params.size(); ++i) {
      const ParamInfo& param = info.params[i];
      EXPECT_EQ(param.name, params[i]) << info.name;
      EXPECT_FALSE(param.description.empty()) << info.name << "." << param.name;
      if (kind == ActivationKind::kThreshold) {
        EXPECT_TRUE(param.default_text.empty()) << "threshold." << param.name << " is required";
        continue;
      }
      ASSERT_FALSE(param.default_text.empty()) << info.name << "." << param.name;
      // The default text parses to the default value.
      const std::string text =
          std::string(info.name) + "(" + std::string(param.name) + "=" + std::string(param.default_text) + ")";
      const auto parsed = ParseActivation(text);
      ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
      EXPECT_TRUE((*parsed == DefaultActivations()[static_cast<int>(kind)])) << text;
    }
  }
  EXPECT_EQ(InfoFor(ActivationKind::kPrelu).params[0].type, ParamType::kDoubleList);
  EXPECT_EQ(InfoFor(ActivationKind::kCrelu).params[0].type, ParamType::kInt);
  EXPECT_EQ(InfoFor(ActivationKind::kGelu).params[0].type, ParamType::kEnum);
  EXPECT_EQ(InfoFor(ActivationKind::kElu).params[0].type, ParamType::kDouble);
  std::set<std::string_view> values(InfoFor(ActivationKind::kGelu).params[0].enum_values.begin(),
                                    InfoFor(ActivationKind::kGelu).params[0].enum_values.end());
  EXPECT_EQ(values, (std::set<std::string_view>{"none", "tanh"}));
}

TEST(CatalogueTest, AcceptedDataTypes) {
  for (int k = 0; k < kNumActivationKinds; ++k) {
    const ActivationKind kind = static_cast<ActivationKind>(k);
    for (DataType dtype : kAllDataTypes) {
      EXPECT_EQ(AcceptsDataType(kind, dtype), ExpectedToAccept(kind, dtype))
          << InfoFor(kind).name << " on " << DataTypeName(dtype);
    }
    for (DataType dtype : InfoFor(kind).integer_types) {
      EXPECT_FALSE(IsFloatingPoint(dtype)) << InfoFor(kind).name;
      EXPECT_TRUE(ExpectedToAccept(kind, dtype)) << InfoFor(kind).name << " lists " << DataTypeName(dtype);
    }
  }
}

// tf.nn.crelu accepts integer tensors; Rectifier takes the signed ones (relu(-x) of a uint8 would be the
// wrapped negation, which no one wants), so crelu(int8) = cat([relu(x), relu(-x)]) as in PyTorch.
TEST(CatalogueTest, CreluTakesFloatsAndSignedIntegers) {
  for (DataType dtype : kAllDataTypes) {
    EXPECT_EQ(AcceptsDataType(ActivationKind::kCrelu, dtype), dtype != DataType::kUInt8)
        << "crelu on " << DataTypeName(dtype);
  }
  EXPECT_TRUE(ValidateForInput(act::Crelu{}, DataType::kInt8, Shape{4}).ok());
  EXPECT_EQ(ValidateForInput(act::Crelu{}, DataType::kUInt8, Shape{4}).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------------------
// Data types and element counts.

TEST(DataTypeTest, NamesSizesAndKinds) {
  const std::vector<std::tuple<DataType, std::string, size_t, bool>> expected = {
      {DataType::kFloat32, "float32", 4, true},   {DataType::kFloat64, "float64", 8, true},
      {DataType::kFloat16, "float16", 2, true},   {DataType::kBFloat16, "bfloat16", 2, true},
      {DataType::kInt8, "int8", 1, false},        {DataType::kUInt8, "uint8", 1, false},
      {DataType::kInt16, "int16", 2, false},      {DataType::kInt32, "int32", 4, false},
      {DataType::kInt64, "int64", 8, false},
  };
  for (const auto& [dtype, name, size, floating] : expected) {
    EXPECT_EQ(DataTypeName(dtype), name);
    EXPECT_EQ(ParseDataType(name), dtype);
    EXPECT_EQ(ElementSizeBytes(dtype), size) << name;
    EXPECT_EQ(IsFloatingPoint(dtype), floating) << name;
  }
  EXPECT_EQ(ParseDataType("float"), std::nullopt);
  EXPECT_EQ(ParseDataType("Float32"), std::nullopt);
  EXPECT_EQ(ParseDataType(""), std::nullopt);
}

TEST(NumElementsTest, CountsAndErrors) {
  EXPECT_EQ(NumElements(Shape{}).value(), 1);
  EXPECT_EQ(NumElements(Shape{2, 3, 5}).value(), 30);
  EXPECT_EQ(NumElements(Shape{2, 0, 5}).value(), 0);
  const auto negative = NumElements(Shape{2, -3}, "input.shape");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(negative.status().message(), "input.shape[1] must be non-negative; was -3");
  const auto overflow = NumElements(Shape{int64_t{1} << 40, int64_t{1} << 40}, "input.shape");
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(overflow.status().message().find("input.shape"), std::string::npos);
}

}  // namespace
}  // namespace rectifier
