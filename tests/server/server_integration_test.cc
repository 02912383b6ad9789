// Integration tests of RectifierServer over a real loopback port and a real channel: round trips of every
// catalogue activation (inline and by model) compared bitwise with the kernel library, a few against the
// independent reference, every error of the API with its status code and the field it names, the size
// limits, ListActivations and ListModels, health, reflection, bearer-token auth, deadlines and cancellation.
#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/catalogue.h"
#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kModelsYaml = R"yaml(models:
  - name: stem_prelu
    activation: "prelu(weight=[0.25, 0.1, 0.3])"
  - name: gelu_fast
    activation: gelu(approximate=tanh)
  - name: clip.6-sym
    activation: "hardtanh(min_val=-6, max_val=6)"
)yaml";

// The 19 catalogue names, as in the Activation oneof of the proto.
const std::vector<std::string>& CatalogueNames() {
  static const std::vector<std::string> names = {
      "relu", "leaky_relu", "prelu", "elu", "selu", "celu", "crelu", "relu6", "hardtanh", "gelu",
      "silu", "mish", "sigmoid", "tanh", "softplus", "hardswish", "hardsigmoid", "logsigmoid", "threshold"};
  return names;
}

// The API's data-type contract: every activation takes the four floating-point types; these also take
// integers.
std::vector<DataType> IntegerTypesOf(std::string_view name) {
  const std::vector<DataType> all = {DataType::kInt8, DataType::kUInt8, DataType::kInt16, DataType::kInt32,
                                     DataType::kInt64};
  const std::vector<DataType> signed_only = {DataType::kInt8, DataType::kInt16, DataType::kInt32, DataType::kInt64};
  if (name == "relu" || name == "relu6" || name == "sigmoid" || name == "tanh") return all;
  if (name == "crelu" || name == "hardtanh" || name == "threshold") return signed_only;
  return {};
}

bool Accepts(std::string_view name, DataType dtype) {
  if (IsFloatingPoint(dtype)) return true;
  auto types = IntegerTypesOf(name);
  return std::find(types.begin(), types.end(), dtype) != types.end();
}

std::string KindName(const v1::Activation& activation) {
  const auto* field = activation.GetDescriptor()->FindFieldByNumber(activation.kind_case());
  return field == nullptr ? "" : field->name();
}

::testing::AssertionResult IsError(const grpc::Status& status, grpc::StatusCode code,
                                   const std::vector<std::string>& substrings) {
  if (status.error_code() != code) {
    return ::testing::AssertionFailure() << "code " << status.error_code() << " (" << status.error_message()
                                         << "), want " << code;
  }
  for (const std::string& s : substrings) {
    if (status.error_message().find(s) == std::string::npos) {
      return ::testing::AssertionFailure() << "message \"" << status.error_message() << "\" lacks \"" << s << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

grpc::Status CallApply(v1::ActivationService::Stub& stub, const v1::ApplyRequest& request,
                       v1::ApplyResponse* response, std::chrono::milliseconds timeout = 30000ms) {
  grpc::ClientContext context;
  context.set_deadline(In(timeout));
  return stub.Apply(&context, request, response);
}

// ---------------------------------------------------------------------------------------------------------
// One server for the functional tests: built-in models plus a models file.

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir();
    ModelRepositoryOptions repository_options;
    repository_options.models_file = dir_->Write("models.yaml", kModelsYaml);
    auto models = ModelRepository::Create(repository_options);
    ASSERT_TRUE(models.ok()) << models.status();
    models_ = new ModelRepository(std::move(*models));
    server_ = StartServer(LoopbackOptions(models_)).release();
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Shutdown(std::chrono::seconds(5)), 0);
    }
    delete server_;
    delete models_;
    delete dir_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    channel_ = MakeChannel(server_->port());
    stub_ = v1::ActivationService::NewStub(channel_);
  }
  void TearDown() override {
    // No call of this test may be left in the server's gate (a leak would also hang a graceful shutdown).
    EXPECT_TRUE(WaitFor([] { return server_->gate().in_flight() == 0; }, 10000ms))
        << server_->gate().in_flight() << " calls still in flight";
  }

  grpc::Status Call(const v1::ApplyRequest& request, v1::ApplyResponse* response,
                    std::chrono::milliseconds timeout = 30000ms) {
    return CallApply(*stub_, request, response, timeout);
  }

  static ScratchDir* dir_;
  static ModelRepository* models_;
  static RectifierServer* server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
};
ScratchDir* ServerTest::dir_ = nullptr;
ModelRepository* ServerTest::models_ = nullptr;
RectifierServer* ServerTest::server_ = nullptr;

// ---------------------------------------------------------------------------------------------------------
// Round trips: inline activations.

class RoundTripTest : public ServerTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(RoundTripTest, EveryDataTypeIsBitwiseTheKernelsResult) {
  const ActivationCase c = CatalogueCases()[GetParam()];
  const Activation activation = ParseOrDie(c.text);
  v1::Activation proto;
  c.fill(&proto);
  const std::string name = KindName(proto);
  uint32_t seed = 1000 * static_cast<uint32_t>(GetParam());
  for (DataType dtype : kAllDataTypes) {
    for (const auto* shape : {&c.small_shape, &c.large_shape}) {
      SCOPED_TRACE(::testing::Message() << c.text << " on " << DataTypeName(dtype) << " of " << Product(*shape)
                                        << " elements");
      const std::string id = c.name + "/" + std::string(DataTypeName(dtype)) + "/" + std::to_string(Product(*shape));
      v1::ApplyRequest request = MakeRequest(c, dtype, *shape, ++seed, id);
      v1::ApplyResponse response;
      grpc::Status status = Call(request, &response);
      if (!Accepts(name, dtype)) {
        EXPECT_TRUE(IsError(status, grpc::StatusCode::INVALID_ARGUMENT,
                            {"input.dtype", std::string(DataTypeName(dtype)), name}));
        break;  // One size is enough for a refusal.
      }
      ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
      EXPECT_EQ(response.request_id(), id);
      EXPECT_FALSE(response.has_error());
      EXPECT_TRUE(SameAsKernel(response.output(), KernelApply(activation, dtype, *shape, request.input().data())));
      // The API's result types: float32 for sigmoid and tanh of integers, else the input's.
      const bool float_result = !IsFloatingPoint(dtype) && (name == "sigmoid" || name == "tanh");
      EXPECT_EQ(response.output().dtype(), float_result ? v1::DATA_TYPE_FLOAT32 : ProtoType(dtype));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, RoundTripTest, ::testing::Range<size_t>(0, CatalogueCases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return CatalogueCases()[info.param].name; });

TEST_F(ServerTest, CreluDoublesItsAxis) {
  const std::vector<int64_t> shape = {2, 3, 4};
  for (int64_t axis : {0, 1, 2, -1, -3}) {
    v1::ApplyRequest request;
    request.mutable_activation()->mutable_crelu()->set_axis(axis);
    SetTensor(request.mutable_input(), DataType::kFloat32, shape, RandomData(DataType::kFloat32, 24, 7));
    v1::ApplyResponse response;
    ASSERT_TRUE(Call(request, &response).ok());
    std::vector<int64_t> want = shape;
    want[axis < 0 ? axis + 3 : axis] *= 2;
    EXPECT_EQ(std::vector<int64_t>(response.output().shape().begin(), response.output().shape().end()), want)
        << "axis " << axis;
    EXPECT_TRUE(SameAsKernel(response.output(),
                             KernelApply(act::Crelu{axis}, DataType::kFloat32, shape, request.input().data())));
  }
}

TEST_F(ServerTest, ScalarsAndEmptyTensors) {
  const std::vector<ActivationCase> cases = CatalogueCases();
  for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{{}, {1}, {0}, {4, 0}, {0, 3, 5}}) {
    for (const ActivationCase& c : cases) {
      if (c.name == "prelu" || c.name == "crelu") continue;  // Need a dim 1 of 3 / an axis 1.
      if (c.name == "crelu_default" && shape.empty()) continue;  // A scalar has no axis (see ErrorTest).
      SCOPED_TRACE(::testing::Message() << c.text << " on a shape of rank " << shape.size() << " with "
                                        << Product(shape) << " elements");
      v1::ApplyRequest request = MakeRequest(c, DataType::kFloat32, shape, 3);
      v1::ApplyResponse response;
      grpc::Status status = Call(request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_TRUE(SameAsKernel(response.output(),
                               KernelApply(ParseOrDie(c.text), DataType::kFloat32, shape, request.input().data())));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Round trips: models.

Activation BuiltInActivation(const std::string& name) {
  // One default-constructed alternative per catalogue kind, in kind order.
  static const auto defaults = []<size_t... I>(std::index_sequence<I...>) {
    return std::array<Activation, sizeof...(I)>{Activation(std::in_place_index<I>)...};
  }(std::make_index_sequence<kNumActivationKinds>{});
  auto it = std::find(CatalogueNames().begin(), CatalogueNames().end(), name);
  EXPECT_NE(it, CatalogueNames().end()) << name;
  if (it == CatalogueNames().end()) return act::Relu{};
  // The built-in threshold model is threshold(threshold=0, value=0) (server/model_repository.h).
  return defaults[it - CatalogueNames().begin()];
}

TEST_F(ServerTest, EveryBuiltInModelIsBitwiseTheKernelsResult) {
  uint32_t seed = 77;
  for (const std::string& name : CatalogueNames()) {
    const Activation activation = BuiltInActivation(name);
    for (DataType dtype : {DataType::kFloat32, DataType::kBFloat16, DataType::kFloat64}) {
      for (const std::vector<int64_t>& shape : {std::vector<int64_t>{2, 1, 7}, std::vector<int64_t>{4, 1, 9000}}) {
        SCOPED_TRACE(::testing::Message() << "model " << name << " on " << DataTypeName(dtype) << " of "
                                          << Product(shape) << " elements");
        v1::ApplyRequest request;
        request.set_request_id("m-" + name);
        request.set_model(name);
        SetTensor(request.mutable_input(), dtype, shape, RandomData(dtype, Product(shape), ++seed));
        v1::ApplyResponse response;
        grpc::Status status = Call(request, &response);
        ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
        EXPECT_EQ(response.request_id(), "m-" + name);
        EXPECT_TRUE(SameAsKernel(response.output(), KernelApply(activation, dtype, shape, request.input().data())));
      }
    }
  }
}

TEST_F(ServerTest, ModelsFromTheModelsFileAreBitwiseTheKernelsResult) {
  const std::map<std::string, std::string> models = {{"stem_prelu", "prelu(weight=[0.25, 0.1, 0.3])"},
                                                     {"gelu_fast", "gelu(approximate=tanh)"},
                                                     {"clip.6-sym", "hardtanh(min_val=-6, max_val=6)"}};
  uint32_t seed = 5;
  for (const auto& [name, text] : models) {
    const Activation activation = ParseOrDie(text);
    for (DataType dtype : {DataType::kFloat32, DataType::kFloat16, DataType::kFloat64}) {
      for (const std::vector<int64_t>& shape : {std::vector<int64_t>{2, 3, 4, 5}, std::vector<int64_t>{1, 3, 100, 90}}) {
        SCOPED_TRACE(::testing::Message() << "model " << name << " on " << DataTypeName(dtype));
        v1::ApplyRequest request;
        request.set_model(name);
        SetTensor(request.mutable_input(), dtype, shape, RandomData(dtype, Product(shape), ++seed));
        v1::ApplyResponse response;
        grpc::Status status = Call(request, &response);
        ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
        EXPECT_TRUE(SameAsKernel(response.output(), KernelApply(activation, dtype, shape, request.input().data())));
      }
    }
  }
  // The hardtanh model also serves signed integers.
  v1::ApplyRequest request;
  request.set_model("clip.6-sym");
  const std::vector<int64_t> shape = {100};
  SetTensor(request.mutable_input(), DataType::kInt16, shape, RandomData(DataType::kInt16, 100, 9));
  v1::ApplyResponse response;
  ASSERT_TRUE(Call(request, &response).ok());
  EXPECT_TRUE(SameAsKernel(response.output(), KernelApply(ParseOrDie("hardtanh(min_val=-6, max_val=6)"),
                                                          DataType::kInt16, shape, request.input().data())));
}

// ---------------------------------------------------------------------------------------------------------
// A few results against the independent float64 reference of the kernel tests (not only "the same as the
// kernel": the server's result is also the right one).

TEST_F(ServerTest, ResultsMatchTheIndependentReference) {
  // Smooth activations in float64: within a few ulp of the long-double reference.
  for (const char* text : {"gelu", "elu(alpha=0.7)", "silu", "softplus(beta=2, threshold=10)", "tanh", "mish",
                           "logsigmoid", "celu(alpha=1.5)", "selu", "sigmoid", "gelu(approximate=tanh)"}) {
    SCOPED_TRACE(text);
    const Activation activation = ParseOrDie(text);
    const std::string name = std::string(text).substr(0, std::string(text).find('('));
    const ActivationCase* c = nullptr;
    static const std::vector<ActivationCase> cases = CatalogueCases();
    for (const ActivationCase& candidate : cases) {
      if (candidate.text == text) c = &candidate;
    }
    ASSERT_NE(c, nullptr) << text;
    const std::vector<int64_t> shape = {4096};
    v1::ApplyRequest request = MakeRequest(*c, DataType::kFloat64, shape, 99);
    v1::ApplyResponse response;
    ASSERT_TRUE(Call(request, &response).ok());
    ASSERT_EQ(response.output().data().size(), request.input().data().size());
    int bad = 0;
    for (size_t i = 0; i < 4096; ++i) {
      double x, got;
      std::memcpy(&x, request.input().data().data() + 8 * i, 8);
      std::memcpy(&got, response.output().data().data() + 8 * i, 8);
      const long double want = ref::SmoothElementwise(activation, x, ref::Precision::kFloat64);
      bool ok;
      if (std::isnan(want)) {
        ok = std::isnan(got);
      } else if (std::isinf(want)) {
        ok = got == static_cast<double>(want);
      } else {
        const long double err = std::fabs(static_cast<long double>(got) - want);
        ok = err <= 16 * 0x1p-52L * std::fabs(want) || err <= 16 * 0x1p-52L || err <= 1e-300L;
      }
      if (!ok && ++bad <= 3) {
        ADD_FAILURE() << text << "(" << x << ") = " << got << ", reference " << (double)want;
      }
    }
    EXPECT_EQ(bad, 0);
  }
  // Piecewise-linear activations in float32: bit-exact.
  for (const char* text : {"leaky_relu(negative_slope=0.2)", "hardswish", "hardsigmoid", "relu6",
                           "hardtanh(min_val=-0.5, max_val=2)", "threshold(threshold=0.5, value=-2)",
                           "prelu(weight=[0.25, -0.5, 2])"}) {
    SCOPED_TRACE(text);
    const Activation activation = ParseOrDie(text);
    const ActivationCase* c = nullptr;
    static const std::vector<ActivationCase> cases = CatalogueCases();
    for (const ActivationCase& candidate : cases) {
      if (candidate.text == text) c = &candidate;
    }
    ASSERT_NE(c, nullptr) << text;
    const std::vector<int64_t> shape = {4, 3, 100};
    v1::ApplyRequest request = MakeRequest(*c, DataType::kFloat32, shape, 123);
    v1::ApplyResponse response;
    ASSERT_TRUE(Call(request, &response).ok());
    ASSERT_EQ(response.output().data().size(), request.input().data().size());
    int bad = 0;
    for (size_t i = 0; i < 1200; ++i) {
      float x, got;
      std::memcpy(&x, request.input().data().data() + 4 * i, 4);
      std::memcpy(&got, response.output().data().data() + 4 * i, 4);
      const auto* prelu = std::get_if<act::Prelu>(&activation);
      const float want = prelu != nullptr ? ref::ExactPrelu(x, prelu->weight[(i / 100) % 3])
                                          : ref::ExactElementwise(activation, x);
      const bool ok = std::isnan(want) ? std::isnan(got) : std::bit_cast<uint32_t>(got) == std::bit_cast<uint32_t>(want);
      if (!ok && ++bad <= 3) {
        ADD_FAILURE() << text << "(" << x << ") = " << got << ", reference " << want;
      }
    }
    EXPECT_EQ(bad, 0);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Errors: status code and the field the message names.

v1::ApplyRequest ReluRequest(DataType dtype = DataType::kFloat32, std::vector<int64_t> shape = {2, 3}) {
  v1::ApplyRequest request;
  request.mutable_activation()->mutable_relu();
  SetTensor(request.mutable_input(), dtype, shape, RandomData(dtype, Product(shape), 1));
  return request;
}

struct ErrorCase {
  std::string name;
  std::function<v1::ApplyRequest()> request;
  grpc::StatusCode code;
  std::vector<std::string> substrings;
};

std::vector<ErrorCase> ErrorCases() {
  using C = grpc::StatusCode;
  auto with_activation = [](std::function<void(v1::Activation*)> fill, DataType dtype = DataType::kFloat32,
                            std::vector<int64_t> shape = {2, 3}) {
    return [fill, dtype, shape] {
      v1::ApplyRequest request = ReluRequest(dtype, shape);
      request.clear_activation();
      fill(request.mutable_activation());
      return request;
    };
  };
  return {
      {"NeitherActivationNorModel",
       [] {
         auto r = ReluRequest();
         r.clear_activation();
         return r;
       },
       C::INVALID_ARGUMENT, {"activation", "model"}},
      {"BothActivationAndModel",
       [] {
         auto r = ReluRequest();
         r.set_model("relu");
         return r;
       },
       C::INVALID_ARGUMENT, {"activation", "model"}},
      {"ActivationWithoutKind", with_activation([](v1::Activation*) {}), C::INVALID_ARGUMENT, {"activation"}},
      {"MissingInput",
       [] {
         auto r = ReluRequest();
         r.clear_input();
         return r;
       },
       C::INVALID_ARGUMENT, {"input must be set"}},
      {"UnspecifiedDataType",
       [] {
         auto r = ReluRequest();
         r.mutable_input()->set_dtype(v1::DATA_TYPE_UNSPECIFIED);
         return r;
       },
       C::INVALID_ARGUMENT, {"input.dtype"}},
      {"UnknownDataType",
       [] {
         auto r = ReluRequest();
         r.mutable_input()->set_dtype(static_cast<v1::DataType>(99));
         return r;
       },
       C::INVALID_ARGUMENT, {"input.dtype", "99"}},
      {"DataTooShort",
       [] {
         auto r = ReluRequest();
         r.mutable_input()->mutable_data()->resize(20);
         return r;
       },
       C::INVALID_ARGUMENT, {"input.data", "20", "24"}},
      {"DataTooLong",
       [] {
         auto r = ReluRequest();
         r.mutable_input()->mutable_data()->append("x");
         return r;
       },
       C::INVALID_ARGUMENT, {"input.data", "25"}},
      {"DataSizedForAnotherType",
       [] {
         auto r = ReluRequest(DataType::kFloat64);
         r.mutable_input()->mutable_data()->resize(24);  // 6 float32s, not 6 float64s.
         return r;
       },
       C::INVALID_ARGUMENT, {"input.data", "float64"}},
      {"NegativeDimension",
       [] {
         auto r = ReluRequest();
         r.mutable_input()->set_shape(1, -3);
         return r;
       },
       C::INVALID_ARGUMENT, {"input.shape[1]"}},
      {"ElementCountOverflow",
       [] {
         auto r = ReluRequest();
         r.mutable_input()->clear_shape();
         r.mutable_input()->add_shape(int64_t{1} << 40);
         r.mutable_input()->add_shape(int64_t{1} << 40);
         return r;
       },
       C::INVALID_ARGUMENT, {"input.shape"}},
      {"ElementCountOverflowInt64Max",
       [] {
         auto r = ReluRequest();
         r.mutable_input()->clear_shape();
         r.mutable_input()->add_shape(INT64_MAX);
         r.mutable_input()->add_shape(2);
         return r;
       },
       C::INVALID_ARGUMENT, {"input.shape"}},
      {"DataTypeNotSupportedByTheActivation",
       with_activation([](v1::Activation* a) { a->mutable_gelu(); }, DataType::kInt32), C::INVALID_ARGUMENT,
       {"input.dtype", "int32", "gelu"}},
      {"UnsignedNotSupportedByCrelu", with_activation([](v1::Activation* a) { a->mutable_crelu(); }, DataType::kUInt8),
       C::INVALID_ARGUMENT, {"input.dtype", "uint8"}},
      {"CeluAlphaZero", with_activation([](v1::Activation* a) { a->mutable_celu()->set_alpha(0); }),
       C::INVALID_ARGUMENT, {"activation.celu.alpha"}},
      {"SoftplusBetaZero", with_activation([](v1::Activation* a) { a->mutable_softplus()->set_beta(0); }),
       C::INVALID_ARGUMENT, {"activation.softplus.beta"}},
      {"SoftplusThresholdInfinite",
       with_activation([](v1::Activation* a) { a->mutable_softplus()->set_threshold(-INFINITY); }),
       C::INVALID_ARGUMENT, {"activation.softplus.threshold"}},
      {"LeakyReluSlopeNaN",
       with_activation([](v1::Activation* a) { a->mutable_leaky_relu()->set_negative_slope(NAN); }),
       C::INVALID_ARGUMENT, {"activation.leaky_relu.negative_slope"}},
      {"EluAlphaInfinite", with_activation([](v1::Activation* a) { a->mutable_elu()->set_alpha(INFINITY); }),
       C::INVALID_ARGUMENT, {"activation.elu.alpha"}},
      {"HardtanhMinAboveMax",
       with_activation([](v1::Activation* a) {
         a->mutable_hardtanh()->set_min_val(2);
         a->mutable_hardtanh()->set_max_val(1);
       }),
       C::INVALID_ARGUMENT, {"activation.hardtanh.min_val"}},
      {"GeluUnknownApproximation",
       with_activation([](v1::Activation* a) { a->mutable_gelu()->set_approximate("fast"); }),
       C::INVALID_ARGUMENT, {"activation.gelu.approximate"}},
      {"ThresholdWithoutThreshold",
       with_activation([](v1::Activation* a) { a->mutable_threshold()->set_value(1); }), C::INVALID_ARGUMENT,
       {"activation.threshold.threshold"}},
      {"ThresholdWithoutValue",
       with_activation([](v1::Activation* a) { a->mutable_threshold()->set_threshold(1); }), C::INVALID_ARGUMENT,
       {"activation.threshold.value"}},
      {"PreluWeightNaN",
       with_activation([](v1::Activation* a) {
         a->mutable_prelu()->add_weight(1);
         a->mutable_prelu()->add_weight(NAN);
         a->mutable_prelu()->add_weight(1);
       }),
       C::INVALID_ARGUMENT, {"activation.prelu.weight[1]"}},
      // Parameters that are wrong only for this input: the message still names the API field.
      {"PreluWeightCountMismatch",
       with_activation([](v1::Activation* a) {
         a->mutable_prelu()->add_weight(1);
         a->mutable_prelu()->add_weight(2);
       }, DataType::kFloat32, {2, 3, 4}),
       C::INVALID_ARGUMENT, {"activation.prelu.weight", "input.shape[1]"}},
      {"CreluAxisOutOfRange",
       with_activation([](v1::Activation* a) { a->mutable_crelu()->set_axis(3); }, DataType::kFloat32, {2, 3, 4}),
       C::INVALID_ARGUMENT, {"activation.crelu.axis"}},
      {"CreluOfAScalar", with_activation([](v1::Activation* a) { a->mutable_crelu(); }, DataType::kFloat32, {}),
       C::INVALID_ARGUMENT, {"input"}},
      {"HardtanhBoundDoesNotFitInt8",
       with_activation([](v1::Activation* a) { a->mutable_hardtanh()->set_min_val(-200); }, DataType::kInt8),
       C::INVALID_ARGUMENT, {"activation.hardtanh.min_val", "input.dtype"}},
      {"ThresholdValueDoesNotFitInt16",
       with_activation([](v1::Activation* a) {
         a->mutable_threshold()->set_threshold(0);
         a->mutable_threshold()->set_value(40000);
       }, DataType::kInt16),
       C::INVALID_ARGUMENT, {"activation.threshold.value", "input.dtype"}},
      {"UnknownModel",
       [] {
         auto r = ReluRequest();
         r.clear_activation();
         r.set_model("no_such_model");
         return r;
       },
       C::NOT_FOUND, {"model", "no_such_model"}},
      {"ModelDoesNotFitTheInput",
       [] {
         auto r = ReluRequest(DataType::kFloat32, {2, 4, 5});
         r.clear_activation();
         r.set_model("stem_prelu");
         return r;
       },
       C::INVALID_ARGUMENT, {"model 'stem_prelu'", "prelu.weight", "input.shape[1]"}},
      {"ModelDoesNotTakeTheDataType",
       [] {
         auto r = ReluRequest(DataType::kInt32);
         r.clear_activation();
         r.set_model("gelu_fast");
         return r;
       },
       C::INVALID_ARGUMENT, {"model 'gelu_fast'", "input.dtype", "int32"}},
  };
}

class ErrorTest : public ServerTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(ErrorTest, CodeAndField) {
  const ErrorCase c = ErrorCases()[GetParam()];
  v1::ApplyRequest request = c.request();
  request.set_request_id("err-" + c.name);
  v1::ApplyResponse response;
  grpc::Status status = Call(request, &response);
  EXPECT_TRUE(IsError(status, c.code, c.substrings));
  // The server goes on serving on the same channel.
  v1::ApplyResponse ok_response;
  EXPECT_TRUE(Call(ReluRequest(), &ok_response).ok());
}

INSTANTIATE_TEST_SUITE_P(Api, ErrorTest, ::testing::Range<size_t>(0, ErrorCases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return ErrorCases()[info.param].name; });

TEST_F(ServerTest, ErrorMessagesDoNotEchoData) {
  // A bad request carrying a recognisable payload: the message is about sizes, not contents.
  v1::ApplyRequest request = ReluRequest();
  request.mutable_input()->set_data("SECRET-PAYLOAD-BYTES");
  v1::ApplyResponse response;
  grpc::Status status = Call(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr("SECRET")));
}

// ---------------------------------------------------------------------------------------------------------
// ListActivations and ListModels.

TEST_F(ServerTest, ListActivationsDescribesTheWholeCatalogue) {
  grpc::ClientContext context;
  context.set_deadline(In(10000ms));
  v1::ListActivationsResponse response;
  grpc::Status status = stub_->ListActivations(&context, v1::ListActivationsRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.activations_size(), 19);

  struct Param {
    std::string type, default_value;
    std::vector<std::string> allowed;
  };
  // Defaults as the proto documents them (PyTorch's), in the text form.
  const std::map<std::string, Param> params = {
      {"leaky_relu.negative_slope", {"double", "0.01", {}}},
      {"prelu.weight", {"double_list", "[0.25]", {}}},
      {"elu.alpha", {"double", "1", {}}},
      {"celu.alpha", {"double", "1", {}}},
      {"crelu.axis", {"int", "-1", {}}},
      {"hardtanh.min_val", {"double", "-1", {}}},
      {"hardtanh.max_val", {"double", "1", {}}},
      {"gelu.approximate", {"enum", "none", {"none", "tanh"}}},
      {"softplus.beta", {"double", "1", {}}},
      {"softplus.threshold", {"double", "20", {}}},
      {"threshold.threshold", {"double", "", {}}},
      {"threshold.value", {"double", "", {}}},
  };
  const google::protobuf::OneofDescriptor* kinds = v1::Activation::descriptor()->FindOneofByName("kind");
  ASSERT_NE(kinds, nullptr);
  std::set<std::string> seen;
  for (const v1::ActivationInfo& info : response.activations()) {
    SCOPED_TRACE(info.name());
    EXPECT_TRUE(seen.insert(info.name()).second) << "listed twice";
    EXPECT_NE(std::find(CatalogueNames().begin(), CatalogueNames().end(), info.name()), CatalogueNames().end());
    EXPECT_FALSE(info.formula().empty());
    // The parameters are exactly the fields of the activation's message in the proto, in order.
    const google::protobuf::FieldDescriptor* field = v1::Activation::descriptor()->FindFieldByName(info.name());
    ASSERT_NE(field, nullptr) << "not in the Activation oneof";
    EXPECT_EQ(field->containing_oneof(), kinds);
    const google::protobuf::Descriptor* message = field->message_type();
    ASSERT_EQ(info.parameters_size(), message->field_count());
    for (int i = 0; i < info.parameters_size(); ++i) {
      const v1::ParameterInfo& p = info.parameters(i);
      EXPECT_EQ(p.name(), message->field(i)->name());
      auto it = params.find(info.name() + "." + p.name());
      ASSERT_NE(it, params.end()) << p.name();
      EXPECT_EQ(p.type(), it->second.type) << p.name();
      EXPECT_EQ(p.default_value(), it->second.default_value) << p.name();
      EXPECT_EQ(std::vector<std::string>(p.allowed_values().begin(), p.allowed_values().end()), it->second.allowed)
          << p.name();
      EXPECT_FALSE(p.description().empty()) << p.name();
    }
    // Data types: the four floating-point types, plus integers where the activation takes them.
    std::set<int> want = {v1::DATA_TYPE_FLOAT32, v1::DATA_TYPE_FLOAT64, v1::DATA_TYPE_FLOAT16,
                          v1::DATA_TYPE_BFLOAT16};
    for (DataType t : IntegerTypesOf(info.name())) want.insert(ProtoType(t));
    EXPECT_EQ(std::set<int>(info.dtypes().begin(), info.dtypes().end()), want);
    EXPECT_EQ(info.dtypes_size(), static_cast<int>(want.size())) << "duplicate data types";
  }
  EXPECT_EQ(seen.size(), 19u);
  EXPECT_EQ(kinds->field_count(), 19);
}

TEST_F(ServerTest, ListModelsListsTheRepository) {
  grpc::ClientContext context;
  context.set_deadline(In(10000ms));
  v1::ListModelsResponse response;
  grpc::Status status = stub_->ListModels(&context, v1::ListModelsRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  std::map<std::string, v1::ModelInfo> by_name;
  for (const v1::ModelInfo& model : response.models()) {
    names.push_back(model.name());
    by_name[model.name()] = model;
  }
  std::vector<std::string> want = CatalogueNames();
  want.insert(want.end(), {"stem_prelu", "gelu_fast", "clip.6-sym"});
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want) << "every built-in and file model, sorted by name";
  for (const auto& [name, model] : by_name) {
    SCOPED_TRACE(name);
    auto parsed = ParseActivation(model.activation());
    ASSERT_TRUE(parsed.ok()) << model.activation() << ": " << parsed.status();
    if (std::find(CatalogueNames().begin(), CatalogueNames().end(), name) != CatalogueNames().end()) {
      EXPECT_EQ(*parsed, BuiltInActivation(name)) << model.activation();
      EXPECT_EQ(KindName(model.spec()), name);
    }
  }
  EXPECT_EQ(by_name["relu"].activation(), "relu");
  EXPECT_EQ(by_name["threshold"].activation(), "threshold(threshold=0, value=0)");
  EXPECT_TRUE(by_name["threshold"].spec().threshold().has_threshold());
  EXPECT_TRUE(by_name["threshold"].spec().threshold().has_value());
  EXPECT_EQ(by_name["stem_prelu"].activation(), "prelu(weight=[0.25, 0.1, 0.3])");
  EXPECT_THAT(std::vector<double>(by_name["stem_prelu"].spec().prelu().weight().begin(),
                                  by_name["stem_prelu"].spec().prelu().weight().end()),
              ::testing::ElementsAre(0.25, 0.1, 0.3));
  EXPECT_EQ(by_name["gelu_fast"].activation(), "gelu(approximate=tanh)");
  EXPECT_EQ(by_name["gelu_fast"].spec().gelu().approximate(), "tanh");
  EXPECT_EQ(by_name["clip.6-sym"].spec().hardtanh().min_val(), -6);
  EXPECT_EQ(by_name["clip.6-sym"].spec().hardtanh().max_val(), 6);
  // A spec from ListModels, sent back inline, gives the same bytes as the model by name.
  const std::vector<int64_t> shape = {2, 3, 7};
  v1::ApplyRequest by_model;
  by_model.set_model("stem_prelu");
  SetTensor(by_model.mutable_input(), DataType::kFloat32, shape, RandomData(DataType::kFloat32, 42, 8));
  v1::ApplyRequest inline_spec = by_model;
  inline_spec.clear_model();
  *inline_spec.mutable_activation() = by_name["stem_prelu"].spec();
  v1::ApplyResponse a, b;
  ASSERT_TRUE(Call(by_model, &a).ok());
  ASSERT_TRUE(Call(inline_spec, &b).ok());
  EXPECT_EQ(a.output().data(), b.output().data());
}

// ---------------------------------------------------------------------------------------------------------
// Health and reflection.

TEST_F(ServerTest, HealthIsServingForTheServerAndTheService) {
  for (const std::string service : {"", "rectifier.v1.ActivationService"}) {
    HealthResult health = CheckHealth(channel_, service);
    ASSERT_TRUE(health.status.ok()) << "'" << service << "': " << health.status.error_message();
    EXPECT_EQ(health.serving, Serving::kServing) << "'" << service << "': " << ServingName(health.serving);
  }
  HealthResult unknown = CheckHealth(channel_, "no.such.Service");
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, ReflectionListsTheService) {
  grpc::Status status;
  std::vector<std::string> services = ReflectionListServices(channel_, &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(services, ::testing::Contains("rectifier.v1.ActivationService"));
  EXPECT_THAT(services, ::testing::Contains("grpc.health.v1.Health"));

  // The service's descriptor, as a client like grpcurl would fetch it.
  grpc::Status file_status;
  std::vector<std::string> files =
      ReflectionFileContainingSymbol(channel_, "rectifier.v1.ActivationService", &file_status);
  EXPECT_TRUE(file_status.ok()) << file_status.error_message();
  bool found = false;
  for (const std::string& bytes : files) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    for (const auto& service : file.service()) {
      if (file.package() != "rectifier.v1" || service.name() != "ActivationService") continue;
      found = true;
      std::vector<std::string> methods;
      for (const auto& method : service.method()) methods.push_back(method.name());
      EXPECT_THAT(methods, ::testing::UnorderedElementsAre("Apply", "ApplyStream", "ListActivations", "ListModels",
                                                            "GetModelStats"));
    }
  }
  EXPECT_TRUE(found) << "no FileDescriptorProto with rectifier.v1.ActivationService among " << files.size();
}

// ---------------------------------------------------------------------------------------------------------
// Deadlines and cancellation.

TEST_F(ServerTest, TinyDeadlineOnALargeRequestIsDeadlineExceeded) {
  const v1::ApplyRequest request = LargeRequest(int64_t{4} << 20);  // 16 MiB of float32.
  v1::ApplyResponse response;
  grpc::Status status = Call(request, &response, 1ms);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  // The server keeps serving, large requests included.
  v1::ApplyResponse next;
  ASSERT_TRUE(Call(request, &next).ok());
  EXPECT_TRUE(SameAsKernel(next.output(), ExpectedFor(request, act::Gelu{})));
}

TEST_F(ServerTest, CancelledCallIsCancelled) {
  const v1::ApplyRequest request = LargeRequest(int64_t{4} << 20);  // 16 MiB of float32.
  const KernelResult want = ExpectedFor(request, act::Gelu{});
  // Cancelled at once: the 16 MiB response cannot have arrived.
  {
    grpc::ClientContext context;
    context.set_deadline(In(30000ms));
    v1::ApplyResponse response;
    std::promise<grpc::Status> done;
    stub_->async()->Apply(&context, &request, &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
    context.TryCancel();
    grpc::Status status = done.get_future().get();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  }
  // Cancelled once the server has admitted it (while it is computed or its response is being sent). The
  // cancel may come too late on a loaded machine; then the result must be complete and right.
  {
    grpc::ClientContext context;
    context.set_deadline(In(30000ms));
    v1::ApplyResponse response;
    std::promise<grpc::Status> done;
    stub_->async()->Apply(&context, &request, &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
    std::future<grpc::Status> result = done.get_future();
    WaitFor([&] { return server_->gate().in_flight() > 0 ||
                         result.wait_for(0s) == std::future_status::ready; }, 30000ms);
    context.TryCancel();
    grpc::Status status = result.get();
    if (status.ok()) {
      EXPECT_TRUE(SameAsKernel(response.output(), want));
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
    }
  }
  // A cancelled stream.
  {
    grpc::ClientContext context;
    auto stream = stub_->ApplyStream(&context);
    v1::ApplyRequest small = ReluRequest();
    small.set_request_id("s1");
    ASSERT_TRUE(stream->Write(small));
    v1::ApplyResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_EQ(response.request_id(), "s1");
    ASSERT_TRUE(stream->Write(request));  // A large one in progress.
    context.TryCancel();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The server goes on (and TearDown checks that no cancelled call is left in its gate).
  v1::ApplyResponse next;
  ASSERT_TRUE(Call(request, &next).ok());
  EXPECT_TRUE(SameAsKernel(next.output(), want));
}

// ---------------------------------------------------------------------------------------------------------
// Size limits: message bytes, tensor elements, rank.

class LimitsTest : public ::testing::Test {
 protected:
  static constexpr size_t kMaxMessageBytes = size_t{1} << 20;
  static constexpr int64_t kMaxElements = 200000;
  static constexpr int kMaxRank = 4;

  static void SetUpTestSuite() {
    models_ = BuiltInModels().release();
    RectifierServerOptions options = LoopbackOptions(models_);
    options.max_message_bytes = kMaxMessageBytes;
    options.limits = {.max_elements = kMaxElements, .max_rank = kMaxRank};
    server_ = StartServer(options).release();
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Shutdown(std::chrono::seconds(5)), 0);
    }
    delete server_;
    delete models_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    channel_ = MakeChannel(server_->port());
    stub_ = v1::ActivationService::NewStub(channel_);
  }
  grpc::Status Call(const v1::ApplyRequest& request, v1::ApplyResponse* response) {
    return CallApply(*stub_, request, response);
  }
  void ExpectStillServing() {
    v1::ApplyRequest request = ReluRequest(DataType::kFloat32, {1000});
    v1::ApplyResponse response;
    grpc::Status status = Call(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(SameAsKernel(response.output(), ExpectedFor(request, act::Relu{})));
  }

  static ModelRepository* models_;
  static RectifierServer* server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
};
ModelRepository* LimitsTest::models_ = nullptr;
RectifierServer* LimitsTest::server_ = nullptr;

TEST_F(LimitsTest, MessageOverTheLimitIsResourceExhaustedAndTheServerGoesOn) {
  // 150000 float64 elements: within the element limit, 1.2 MB on the wire (limit 1 MiB).
  v1::ApplyRequest request = ReluRequest(DataType::kFloat64, {150000});
  ASSERT_GT(request.ByteSizeLong(), kMaxMessageBytes);
  v1::ApplyResponse response;
  grpc::Status status = Call(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  ExpectStillServing();
  // Just under the limit is fine.
  v1::ApplyRequest under = ReluRequest(DataType::kFloat64, {130000});
  ASSERT_LT(under.ByteSizeLong(), kMaxMessageBytes);
  status = Call(under, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(SameAsKernel(response.output(), ExpectedFor(under, act::Relu{})));
  // An oversized message on a stream fails the stream, not the server.
  {
    grpc::ClientContext context;
    context.set_deadline(In(10000ms));
    auto stream = stub_->ApplyStream(&context);
    stream->Write(request);
    stream->WritesDone();
    v1::ApplyResponse ignored;
    while (stream->Read(&ignored)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  ExpectStillServing();
}

TEST_F(LimitsTest, TensorOverTheElementLimitIsResourceExhausted) {
  // int8: 200001 elements is only 195 KiB, well within the message limit.
  v1::ApplyRequest request = ReluRequest(DataType::kInt8, {kMaxElements + 1});
  v1::ApplyResponse response;
  EXPECT_TRUE(IsError(Call(request, &response), grpc::StatusCode::RESOURCE_EXHAUSTED,
                      {"input", std::to_string(kMaxElements + 1), std::to_string(kMaxElements)}));
  // The element count is checked from the shape alone, before the data.
  request.mutable_input()->clear_shape();
  request.mutable_input()->add_shape(1000);
  request.mutable_input()->add_shape(1000);
  request.mutable_input()->clear_data();
  EXPECT_TRUE(IsError(Call(request, &response), grpc::StatusCode::RESOURCE_EXHAUSTED, {"input"}));
  // At the limit is fine.
  v1::ApplyRequest at_limit = ReluRequest(DataType::kInt8, {kMaxElements});
  grpc::Status status = Call(at_limit, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(SameAsKernel(response.output(), ExpectedFor(at_limit, act::Relu{})));
  ExpectStillServing();
}

TEST_F(LimitsTest, OutputOverTheElementLimitIsResourceExhausted) {
  // --max-tensor-elements bounds "a request's input or the output it would produce" (server_options.h):
  // crelu doubles its input, so 150000 elements in make 300000 out, over the 200000 limit.
  v1::ApplyRequest request = ReluRequest(DataType::kInt8, {150000});
  request.mutable_activation()->mutable_crelu();
  v1::ApplyResponse response;
  EXPECT_TRUE(IsError(Call(request, &response), grpc::StatusCode::RESOURCE_EXHAUSTED, {"output"}));
  ExpectStillServing();
}

TEST_F(LimitsTest, RankOverTheLimitIsResourceExhausted) {
  v1::ApplyRequest request = ReluRequest(DataType::kFloat32, {1, 2, 1, 3, 1});
  v1::ApplyResponse response;
  EXPECT_TRUE(IsError(Call(request, &response), grpc::StatusCode::RESOURCE_EXHAUSTED, {"input.shape", "5", "4"}));
  v1::ApplyRequest at_limit = ReluRequest(DataType::kFloat32, {1, 2, 3, 4});
  grpc::Status status = Call(at_limit, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(SameAsKernel(response.output(), ExpectedFor(at_limit, act::Relu{})));
  ExpectStillServing();
}

// ---------------------------------------------------------------------------------------------------------
// Bearer-token authentication.

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_ = BuiltInModels().release();
    RectifierServerOptions options = LoopbackOptions(models_);
    options.auth_tokens = {"s3cret-token-one", "another-token"};
    options.health_address = "127.0.0.1:0";
    server_ = StartServer(options).release();
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Shutdown(std::chrono::seconds(5)), 0);
    }
    delete server_;
    delete models_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    channel_ = MakeChannel(server_->port());
    stub_ = v1::ActivationService::NewStub(channel_);
  }
  grpc::Status ApplyWith(const std::optional<std::string>& authorization, v1::ApplyResponse* response = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(In(10000ms));
    if (authorization) context.AddMetadata("authorization", *authorization);
    v1::ApplyResponse ignored;
    return stub_->Apply(&context, ReluRequest(), response != nullptr ? response : &ignored);
  }

  static ModelRepository* models_;
  static RectifierServer* server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
};
ModelRepository* AuthTest::models_ = nullptr;
RectifierServer* AuthTest::server_ = nullptr;

TEST_F(AuthTest, MissingWrongOrMalformedTokensAreUnauthenticated) {
  struct Case {
    std::string name;
    std::optional<std::string> header;
  };
  const std::vector<Case> cases = {
      {"missing", std::nullopt},
      {"wrong token", "Bearer wrong-token-value"},
      {"a prefix of a token", "Bearer s3cret"},
      {"a token with a suffix", "Bearer s3cret-token-one-and-more"},
      {"empty token", "Bearer "},
      {"no scheme", "s3cret-token-one"},
      {"other scheme", "Basic czNjcmV0LXRva2VuLW9uZQ=="},
      {"scheme only", "Bearer"},
      {"empty header", ""},
  };
  for (const Case& c : cases) {
    grpc::Status status = ApplyWith(c.header);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << c.name << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr("wrong-token-value"))) << "echoes the header";
  }
  // Every RPC of the service is guarded.
  {
    grpc::ClientContext context;
    v1::ListActivationsResponse response;
    EXPECT_EQ(stub_->ListActivations(&context, {}, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext context;
    v1::ListModelsResponse response;
    EXPECT_EQ(stub_->ListModels(&context, {}, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer nope");
    auto stream = stub_->ApplyStream(&context);
    stream->Write(ReluRequest());
    stream->WritesDone();
    v1::ApplyResponse response;
    EXPECT_FALSE(stream->Read(&response));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_TRUE(WaitFor([] { return server_->gate().in_flight() == 0; }, 10000ms));
}

TEST_F(AuthTest, AcceptedTokensAreServed) {
  for (const std::string token : {"s3cret-token-one", "another-token"}) {
    v1::ApplyResponse response;
    grpc::Status status = ApplyWith("Bearer " + token, &response);
    ASSERT_TRUE(status.ok()) << token << ": " << status.error_message();
    EXPECT_EQ(response.output().data().size(), 24u);
  }
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer another-token");
  v1::ListModelsResponse models;
  EXPECT_TRUE(stub_->ListModels(&context, {}, &models).ok());
  // Streams too.
  grpc::ClientContext stream_context;
  stream_context.AddMetadata("authorization", "Bearer s3cret-token-one");
  auto stream = stub_->ApplyStream(&stream_context);
  v1::ApplyRequest request = ReluRequest();
  request.set_request_id("authorized");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  v1::ApplyResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.request_id(), "authorized");
  EXPECT_FALSE(response.has_error());
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(AuthTest, HealthNeedsNoToken) {
  HealthResult health = CheckHealth(channel_, "rectifier.v1.ActivationService");
  ASSERT_TRUE(health.status.ok()) << health.status.error_message();
  EXPECT_EQ(health.serving, Serving::kServing);
  health = CheckHealth(channel_, "");
  ASSERT_TRUE(health.status.ok()) << health.status.error_message();
  EXPECT_EQ(health.serving, Serving::kServing);
}

// The separate health port (server options' health_address) serves grpc.health.v1 and nothing else.
TEST_F(AuthTest, HealthPortServesHealthOnly) {
  ASSERT_GT(server_->health_port(), 0);
  ASSERT_NE(server_->health_port(), server_->port());
  auto health_channel = MakeChannel(server_->health_port());
  for (const std::string service : {"", "rectifier.v1.ActivationService"}) {
    HealthResult health = CheckHealth(health_channel, service);
    ASSERT_TRUE(health.status.ok()) << "'" << service << "': " << health.status.error_message();
    EXPECT_EQ(health.serving, Serving::kServing) << "'" << service << "'";
  }
  auto stub = v1::ActivationService::NewStub(health_channel);
  grpc::ClientContext context;
  context.set_deadline(In(10000ms));
  context.AddMetadata("authorization", "Bearer s3cret-token-one");
  v1::ApplyResponse response;
  EXPECT_EQ(stub->Apply(&context, ReluRequest(), &response).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // Nor does it describe the service to anonymous callers.
  grpc::Status reflection_status;
  std::vector<std::string> services = ReflectionListServices(health_channel, &reflection_status);
  EXPECT_THAT(services, ::testing::Not(::testing::Contains("rectifier.v1.ActivationService")));
}

// ---------------------------------------------------------------------------------------------------------
// The comparison the round trips rely on catches what it must.

TEST(FixtureSelfTest, SameAsKernelCatchesAnyDifference) {
  const std::vector<int64_t> shape = {3, 5};
  const std::string data = RandomData(DataType::kFloat32, 15, 1);
  const KernelResult want = KernelApply(act::Gelu{}, DataType::kFloat32, shape, data);
  v1::Tensor output;
  SetTensor(&output, DataType::kFloat32, shape, want.data);
  EXPECT_TRUE(SameAsKernel(output, want));
  v1::Tensor flipped = output;
  (*flipped.mutable_data())[37] ^= 1;  // One bit of element 9.
  ::testing::AssertionResult result = SameAsKernel(flipped, want);
  EXPECT_FALSE(result);
  EXPECT_THAT(result.message(), HasSubstr("first differing element 9"));
  v1::Tensor reshaped = output;
  reshaped.set_shape(0, 5);
  reshaped.set_shape(1, 3);
  EXPECT_FALSE(SameAsKernel(reshaped, want));
  v1::Tensor retyped = output;
  retyped.set_dtype(v1::DATA_TYPE_INT32);
  EXPECT_FALSE(SameAsKernel(retyped, want));
}

// ---------------------------------------------------------------------------------------------------------
// Start-up.

TEST(ServerStartTest, BadOptionsAreInvalidArgument) {
  auto models = BuiltInModels();
  ASSERT_NE(models, nullptr);
  RectifierServerOptions options = LoopbackOptions(nullptr);
  EXPECT_EQ(RectifierServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument) << "no models";
  options = LoopbackOptions(models.get());
  options.max_message_bytes = 0;
  EXPECT_EQ(RectifierServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = LoopbackOptions(models.get());
  options.limits.max_rank = 0;
  EXPECT_EQ(RectifierServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = LoopbackOptions(models.get());
  options.auth_tokens = {""};
  EXPECT_EQ(RectifierServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

// A port another server already listens on cannot be bound: Start says UNAVAILABLE rather than silently
// sharing the port with it (gRPC sets SO_REUSEPORT unless told not to).
TEST(ServerStartTest, AddressInUseIsUnavailable) {
  auto models = BuiltInModels();
  ASSERT_NE(models, nullptr);
  auto first = StartServer(LoopbackOptions(models.get()));
  ASSERT_NE(first, nullptr);
  RectifierServerOptions options = LoopbackOptions(models.get());
  options.address = LoopbackTarget(first->port());
  auto second = RectifierServer::Start(options);
  EXPECT_FALSE(second.ok()) << "a second server started on port " << first->port() << ", already in use";
  if (!second.ok()) {
    EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
    EXPECT_THAT(std::string(second.status().message()), HasSubstr(std::to_string(first->port())));
  }
  // Same for the health port.
  options = LoopbackOptions(models.get());
  options.health_address = LoopbackTarget(first->port());
  auto third = RectifierServer::Start(options);
  EXPECT_FALSE(third.ok()) << "a health port started on port " << first->port() << ", already in use";
  if (!third.ok()) {
    EXPECT_EQ(third.status().code(), absl::StatusCode::kUnavailable) << third.status();
  }
}

}  // namespace
}  // namespace rectifier::server::itest
