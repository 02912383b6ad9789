// The Open Inference Protocol endpoint through the generated C++ stubs, on an in-process server: every RPC,
// every catalogue activation on every data type it accepts (raw contents, bitwise against the kernel
// library), typed contents, parameters, PReLU weights as a second input, every error, limits, auth,
// health and reflection, and readiness during a drain.
#include <future>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/grpc_service.grpc.pb.h"
#include "kernels/catalogue.h"
#include "tests/server/server_fixture.h"

#ifndef RECTIFIER_VERSION
#error "RECTIFIER_VERSION must be the project's version"
#endif

namespace rectifier::server::itest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using inference::GRPCInferenceService;
using inference::InferParameter;
using inference::ModelInferRequest;
using inference::ModelInferResponse;

const char* OipName(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return "FP32";
    case DataType::kFloat64: return "FP64";
    case DataType::kFloat16: return "FP16";
    case DataType::kBFloat16: return "BF16";
    case DataType::kInt8: return "INT8";
    case DataType::kUInt8: return "UINT8";
    case DataType::kInt16: return "INT16";
    case DataType::kInt32: return "INT32";
    case DataType::kInt64: return "INT64";
  }
  return "?";
}

InferParameter Double(double v) {
  InferParameter p;
  p.set_double_param(v);
  return p;
}
InferParameter Int(int64_t v) {
  InferParameter p;
  p.set_int64_param(v);
  return p;
}
InferParameter String(std::string v) {
  InferParameter p;
  p.set_string_param(std::move(v));
  return p;
}

// An OIP request for a built-in model with parameters, and the same activation in the kernel's text form.
struct OipCase {
  std::string model;
  std::map<std::string, InferParameter> parameters;
  std::string text;
  std::vector<double> weight = {};  // PReLU weights sent as a second input (FP64), if any.
};

std::vector<OipCase> OipCases() {
  return {
      {"relu", {}, "relu"},
      {"leaky_relu", {{"negative_slope", Double(0.2)}}, "leaky_relu(negative_slope=0.2)"},
      {"leaky_relu", {}, "leaky_relu"},
      {"prelu", {}, "prelu(weight=[0.25, -0.5, 2])", {0.25, -0.5, 2}},
      {"prelu", {}, "prelu"},
      {"elu", {{"alpha", Double(0.7)}}, "elu(alpha=0.7)"},
      {"selu", {}, "selu"},
      {"celu", {{"alpha", Double(1.5)}}, "celu(alpha=1.5)"},
      {"crelu", {{"axis", Int(1)}}, "crelu(axis=1)"},
      {"crelu", {}, "crelu"},
      {"relu6", {}, "relu6"},
      {"hardtanh", {{"min_val", Double(-0.5)}, {"max_val", Int(2)}}, "hardtanh(min_val=-0.5, max_val=2)"},
      {"gelu", {}, "gelu"},
      {"gelu", {{"approximate", String("tanh")}}, "gelu(approximate=tanh)"},
      {"silu", {}, "silu"},
      {"mish", {}, "mish"},
      {"sigmoid", {}, "sigmoid"},
      {"tanh", {}, "tanh"},
      {"softplus", {{"beta", Double(2)}, {"threshold", Double(10)}}, "softplus(beta=2, threshold=10)"},
      {"hardswish", {}, "hardswish"},
      {"hardsigmoid", {}, "hardsigmoid"},
      {"logsigmoid", {}, "logsigmoid"},
      {"threshold", {{"threshold", Double(0.5)}, {"value", Double(-2)}}, "threshold(threshold=0.5, value=-2)"},
      {"threshold", {}, "threshold(threshold=0, value=0)"},
  };
}

void AddRawInput(ModelInferRequest* request, std::string name, DataType dtype, std::vector<int64_t> shape,
                 std::string data) {
  auto* input = request->add_inputs();
  input->set_name(std::move(name));
  input->set_datatype(OipName(dtype));
  input->mutable_shape()->Assign(shape.begin(), shape.end());
  request->add_raw_input_contents(std::move(data));
}

ModelInferRequest MakeInfer(const OipCase& c, DataType dtype, const std::vector<int64_t>& shape, uint32_t seed) {
  ModelInferRequest request;
  request.set_model_name(c.model);
  request.set_id("req-" + std::to_string(seed));
  for (const auto& [name, value] : c.parameters) (*request.mutable_parameters())[name] = value;
  AddRawInput(&request, "x", dtype, shape, RandomData(dtype, Product(shape), seed));
  if (!c.weight.empty()) {
    std::string bytes;
    for (double w : c.weight) AppendRaw(&bytes, w);
    AddRawInput(&request, "weight", DataType::kFloat64, {static_cast<int64_t>(c.weight.size())}, bytes);
  }
  return request;
}

class OipTest : public ::testing::Test {
 protected:
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
    stub_ = GRPCInferenceService::NewStub(channel_);
  }

  grpc::Status Infer(const ModelInferRequest& request, ModelInferResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(In(30000ms));
    return stub_->ModelInfer(&context, request, response);
  }
  // The call's status, which must not be OK; its message must contain `substring`.
  void ExpectError(const ModelInferRequest& request, grpc::StatusCode code, std::string_view substring) {
    ModelInferResponse response;
    grpc::Status status = Infer(request, &response);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(std::string(substring)));
  }

  static constexpr size_t kMaxMessageBytes = 8 << 20;
  static constexpr int64_t kMaxElements = 1 << 20;
  static constexpr int kMaxRank = 6;
  static ModelRepository* models_;
  static RectifierServer* server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<GRPCInferenceService::Stub> stub_;
};
ModelRepository* OipTest::models_ = nullptr;
RectifierServer* OipTest::server_ = nullptr;

ModelInferRequest ReluInfer(std::vector<int64_t> shape = {2, 3}) {
  return MakeInfer(OipCases()[0], DataType::kFloat32, shape, 7);
}

// ---------------------------------------------------------------------------------------------------------
// Server and model metadata.

TEST_F(OipTest, ServerLiveAndReady) {
  grpc::ClientContext live_context;
  inference::ServerLiveResponse live;
  ASSERT_TRUE(stub_->ServerLive(&live_context, {}, &live).ok());
  EXPECT_TRUE(live.live());
  grpc::ClientContext ready_context;
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(stub_->ServerReady(&ready_context, {}, &ready).ok());
  EXPECT_TRUE(ready.ready());
}

TEST_F(OipTest, ServerMetadata) {
  grpc::ClientContext context;
  inference::ServerMetadataResponse metadata;
  ASSERT_TRUE(stub_->ServerMetadata(&context, {}, &metadata).ok());
  EXPECT_EQ(metadata.name(), "rectifier");
  EXPECT_EQ(metadata.version(), RECTIFIER_VERSION);
  EXPECT_THAT(metadata.extensions(), ElementsAre("parameters"));
}

TEST_F(OipTest, EveryRepositoryModelIsReadyWithMetadata) {
  ASSERT_EQ(models_->size(), Catalogue().size());
  for (const Model& model : models_->models()) {
    for (const char* version : {"", "1"}) {
      SCOPED_TRACE(model.name + " version '" + version + "'");
      inference::ModelReadyRequest ready_request;
      ready_request.set_name(model.name);
      ready_request.set_version(version);
      grpc::ClientContext ready_context;
      inference::ModelReadyResponse ready;
      ASSERT_TRUE(stub_->ModelReady(&ready_context, ready_request, &ready).ok());
      EXPECT_TRUE(ready.ready());

      inference::ModelMetadataRequest request;
      request.set_name(model.name);
      request.set_version(version);
      grpc::ClientContext context;
      inference::ModelMetadataResponse metadata;
      grpc::Status status = stub_->ModelMetadata(&context, request, &metadata);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(metadata.name(), model.name);
      EXPECT_THAT(metadata.versions(), ElementsAre("1"));
      EXPECT_EQ(metadata.platform(), "rectifier");
      ASSERT_EQ(metadata.inputs_size(), 1);
      EXPECT_EQ(metadata.inputs(0).name(), "input");
      EXPECT_EQ(metadata.inputs(0).datatype(), "FP32");
      EXPECT_THAT(metadata.inputs(0).shape(), ElementsAre(-1));
      ASSERT_EQ(metadata.outputs_size(), 1);
      EXPECT_EQ(metadata.outputs(0).name(), "output");
      EXPECT_THAT(metadata.outputs(0).shape(), ElementsAre(-1));
    }
  }
}

TEST_F(OipTest, UnknownModelsAndVersionsAreNotFound) {
  for (const auto& [name, version] : std::vector<std::pair<std::string, std::string>>{
           {"no_such_model", ""}, {"relu", "2"}, {"relu", "latest"}, {"", ""}}) {
    SCOPED_TRACE(name + "/" + version);
    inference::ModelReadyRequest ready_request;
    ready_request.set_name(name);
    ready_request.set_version(version);
    grpc::ClientContext ready_context;
    inference::ModelReadyResponse ready;
    EXPECT_EQ(stub_->ModelReady(&ready_context, ready_request, &ready).error_code(), grpc::StatusCode::NOT_FOUND);

    inference::ModelMetadataRequest request;
    request.set_name(name);
    request.set_version(version);
    grpc::ClientContext context;
    inference::ModelMetadataResponse metadata;
    grpc::Status status = stub_->ModelMetadata(&context, request, &metadata);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(status.error_message(), HasSubstr("'" + name + "'"));

    ModelInferRequest infer = ReluInfer();
    infer.set_model_name(name);
    infer.set_model_version(version);
    ExpectError(infer, grpc::StatusCode::NOT_FOUND, name);
  }
}

// ---------------------------------------------------------------------------------------------------------
// ModelInfer results.

TEST_F(OipTest, EveryActivationOnEveryDataTypeMatchesTheKernel) {
  uint32_t seed = 100;
  for (const OipCase& c : OipCases()) {
    const Activation activation = ParseOrDie(c.text);
    for (DataType dtype : kAllDataTypes) {
      if (!AcceptsDataType(KindOf(activation), dtype)) continue;
      for (const std::vector<int64_t>& shape : {std::vector<int64_t>{2, 3, 5}, std::vector<int64_t>{2, 3, 12000}}) {
        SCOPED_TRACE(c.text + " on " + OipName(dtype) + " of " + std::to_string(Product(shape)) + " elements");
        ModelInferRequest request = MakeInfer(c, dtype, shape, ++seed);
        ModelInferResponse response;
        grpc::Status status = Infer(request, &response);
        ASSERT_TRUE(status.ok()) << status.error_message();
        const KernelResult want = KernelApply(activation, dtype, shape, request.raw_input_contents(0));
        EXPECT_EQ(response.model_name(), c.model);
        EXPECT_EQ(response.model_version(), "1");
        EXPECT_EQ(response.id(), request.id());
        ASSERT_EQ(response.outputs_size(), 1);
        EXPECT_EQ(response.outputs(0).name(), "output");
        EXPECT_EQ(response.outputs(0).datatype(), OipName(want.dtype));
        EXPECT_EQ(std::vector<int64_t>(response.outputs(0).shape().begin(), response.outputs(0).shape().end()),
                  want.shape);
        EXPECT_FALSE(response.outputs(0).has_contents());
        ASSERT_EQ(response.raw_output_contents_size(), 1);
        EXPECT_EQ(FirstDifference(response.raw_output_contents(0), want.data, ElementSizeBytes(want.dtype)), -1);
      }
    }
  }
}

TEST_F(OipTest, CreluDoublesItsAxisAndSigmoidOfIntegersIsFp32) {
  ModelInferRequest request = MakeInfer({"crelu", {{"axis", Int(0)}}, ""}, DataType::kInt16, {2, 3}, 3);
  ModelInferResponse response;
  ASSERT_TRUE(Infer(request, &response).ok());
  EXPECT_THAT(response.outputs(0).shape(), ElementsAre(4, 3));
  EXPECT_EQ(response.outputs(0).datatype(), "INT16");

  request = MakeInfer({"sigmoid", {}, ""}, DataType::kInt8, {5}, 4);
  ASSERT_TRUE(Infer(request, &response).ok());
  EXPECT_EQ(response.outputs(0).datatype(), "FP32");
  EXPECT_EQ(response.raw_output_contents(0).size(), 5 * sizeof(float));
}

TEST_F(OipTest, RequestingTheOutputByNameAndEmptyTensors) {
  ModelInferRequest request = ReluInfer({2, 0, 3});
  request.add_outputs()->set_name("output");
  ModelInferResponse response;
  ASSERT_TRUE(Infer(request, &response).ok());
  EXPECT_THAT(response.outputs(0).shape(), ElementsAre(2, 0, 3));
  EXPECT_EQ(response.raw_output_contents(0), "");
}

// Typed contents in, typed contents out, for every data type that has a typed field.
TEST_F(OipTest, TypedContentsAreAnsweredInTypedContents) {
  const std::vector<int64_t> shape = {2, 4};
  struct TypedCase {
    std::string model;
    DataType dtype;
    std::function<void(inference::InferTensorContents*, const std::string&)> fill;
  };
  auto fill_from = [](DataType dtype) {
    return [dtype](inference::InferTensorContents* c, const std::string& raw) {
      const size_t n = raw.size() / ElementSizeBytes(dtype);
      for (size_t i = 0; i < n; ++i) {
        const char* p = raw.data() + i * ElementSizeBytes(dtype);
        switch (dtype) {
          case DataType::kFloat32: { float v; std::memcpy(&v, p, 4); c->add_fp32_contents(v); break; }
          case DataType::kFloat64: { double v; std::memcpy(&v, p, 8); c->add_fp64_contents(v); break; }
          case DataType::kInt8: c->add_int_contents(static_cast<int8_t>(*p)); break;
          case DataType::kInt16: { int16_t v; std::memcpy(&v, p, 2); c->add_int_contents(v); break; }
          case DataType::kInt32: { int32_t v; std::memcpy(&v, p, 4); c->add_int_contents(v); break; }
          case DataType::kInt64: { int64_t v; std::memcpy(&v, p, 8); c->add_int64_contents(v); break; }
          case DataType::kUInt8: c->add_uint_contents(static_cast<uint8_t>(*p)); break;
          default: break;
        }
      }
    };
  };
  // The typed field of an output, as raw little-endian bytes of `dtype`.
  auto raw_of = [](const inference::InferTensorContents& c, DataType dtype) {
    std::string out;
    switch (dtype) {
      case DataType::kFloat32: for (float v : c.fp32_contents()) AppendRaw(&out, v); break;
      case DataType::kFloat64: for (double v : c.fp64_contents()) AppendRaw(&out, v); break;
      case DataType::kInt8: for (int32_t v : c.int_contents()) AppendRaw(&out, static_cast<int8_t>(v)); break;
      case DataType::kInt16: for (int32_t v : c.int_contents()) AppendRaw(&out, static_cast<int16_t>(v)); break;
      case DataType::kInt32: for (int32_t v : c.int_contents()) AppendRaw(&out, v); break;
      case DataType::kInt64: for (int64_t v : c.int64_contents()) AppendRaw(&out, v); break;
      case DataType::kUInt8: for (uint32_t v : c.uint_contents()) AppendRaw(&out, static_cast<uint8_t>(v)); break;
      default: break;
    }
    return out;
  };
  for (const auto& [model, dtype] : std::vector<std::pair<std::string, DataType>>{
           {"relu", DataType::kFloat32}, {"gelu", DataType::kFloat64}, {"relu6", DataType::kInt8},
           {"hardtanh", DataType::kInt16}, {"relu", DataType::kInt32}, {"relu", DataType::kInt64},
           {"relu", DataType::kUInt8}, {"sigmoid", DataType::kInt8}, {"tanh", DataType::kInt64}}) {
    SCOPED_TRACE(model + " on " + OipName(dtype));
    const std::string raw = RandomData(dtype, Product(shape), 11);
    ModelInferRequest request;
    request.set_model_name(model);
    auto* input = request.add_inputs();
    input->set_name("input");
    input->set_datatype(OipName(dtype));
    input->mutable_shape()->Assign(shape.begin(), shape.end());
    fill_from(dtype)(input->mutable_contents(), raw);
    ModelInferResponse response;
    grpc::Status status = Infer(request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const KernelResult want = KernelApply(ParseOrDie(model), dtype, shape, raw);
    EXPECT_EQ(response.raw_output_contents_size(), 0);
    ASSERT_EQ(response.outputs_size(), 1);
    EXPECT_EQ(response.outputs(0).datatype(), OipName(want.dtype));
    EXPECT_EQ(FirstDifference(raw_of(response.outputs(0).contents(), want.dtype), want.data,
                              ElementSizeBytes(want.dtype)),
              -1);
  }
}

TEST_F(OipTest, ParametersOverrideDefaultsInAnyNumericForm) {
  const std::vector<int64_t> shape = {64};
  for (const InferParameter& slope : {Double(0.5), Int(2)}) {
    ModelInferRequest request = MakeInfer({"leaky_relu", {{"negative_slope", slope}}, ""}, DataType::kFloat32, shape, 5);
    ModelInferResponse response;
    ASSERT_TRUE(Infer(request, &response).ok());
    act::LeakyRelu want_activation;
    want_activation.negative_slope = slope.has_double_param() ? slope.double_param() : slope.int64_param();
    EXPECT_EQ(response.raw_output_contents(0),
              KernelApply(want_activation, DataType::kFloat32, shape, request.raw_input_contents(0)).data);
  }
  // An integral double is an integer; gelu's approximate also takes a bool.
  InferParameter axis = Double(0);
  ModelInferRequest request = MakeInfer({"crelu", {{"axis", axis}}, ""}, DataType::kFloat32, {2, 3}, 6);
  ModelInferResponse response;
  ASSERT_TRUE(Infer(request, &response).ok());
  EXPECT_THAT(response.outputs(0).shape(), ElementsAre(4, 3));
  InferParameter tanh;
  tanh.set_bool_param(true);
  request = MakeInfer({"gelu", {{"approximate", tanh}}, ""}, DataType::kFloat32, shape, 8);
  ASSERT_TRUE(Infer(request, &response).ok());
  EXPECT_EQ(response.raw_output_contents(0),
            KernelApply(ParseOrDie("gelu(approximate=tanh)"), DataType::kFloat32, shape, request.raw_input_contents(0))
                .data);
}

TEST_F(OipTest, PreluWeightsMayComeFirstAndAsFp32) {
  ModelInferRequest request;
  request.set_model_name("prelu");
  std::string weights;
  for (float w : {0.5f, -1.0f}) AppendRaw(&weights, w);
  AddRawInput(&request, "weight", DataType::kFloat32, {2}, weights);
  AddRawInput(&request, "input", DataType::kBFloat16, {3, 2, 4}, RandomData(DataType::kBFloat16, 24, 9));
  ModelInferResponse response;
  grpc::Status status = Infer(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.raw_output_contents(0),
            KernelApply(ParseOrDie("prelu(weight=[0.5, -1])"), DataType::kBFloat16, std::vector<int64_t>{3, 2, 4},
                        request.raw_input_contents(1))
                .data);
}

// ---------------------------------------------------------------------------------------------------------
// Errors.

TEST_F(OipTest, BadParametersAreInvalidArgumentNamingThem) {
  struct Bad {
    OipCase c;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {{"relu", {{"negative_slope", Double(0.1)}}, ""}, "parameters['negative_slope'] is not a parameter of relu"},
      {{"leaky_relu", {{"slope", Double(0.1)}}, ""}, "parameters['slope'] is not a parameter of leaky_relu; it takes negative_slope"},
      {{"leaky_relu", {{"negative_slope", String("0.1")}}, ""}, "parameters['negative_slope'] must be a number"},
      {{"crelu", {{"axis", Double(0.5)}}, ""}, "parameters['axis'] must be an integer"},
      {{"crelu", {{"axis", String("1")}}, ""}, "parameters['axis'] must be an integer"},
      {{"gelu", {{"approximate", String("erf")}}, ""}, "parameters['approximate'] must be \"none\" or \"tanh\""},
      {{"celu", {{"alpha", Double(0)}}, ""}, "celu.alpha must be non-zero"},
      {{"hardtanh", {{"min_val", Double(2)}}, ""}, "hardtanh"},
      {{"leaky_relu", {{"negative_slope", Double(std::numeric_limits<double>::infinity())}}, ""}, "negative_slope"},
      {{"prelu", {{"weight", Double(0.1)}}, ""}, "second input tensor named 'weight'"},
      {{"crelu", {{"axis", Int(5)}}, ""}, "axis"},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.message);
    ExpectError(MakeInfer(bad.c, DataType::kFloat32, {2, 3}, 1), grpc::StatusCode::INVALID_ARGUMENT, bad.message);
  }
}

TEST_F(OipTest, BadTensorsAreInvalidArgumentNamingTheField) {
  auto with = [](const std::function<void(ModelInferRequest&)>& change) {
    ModelInferRequest request = ReluInfer();
    change(request);
    return request;
  };
  struct Bad {
    ModelInferRequest request;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {with([](auto& r) { r.clear_inputs(); r.clear_raw_input_contents(); }), "inputs must hold one tensor"},
      {with([](auto& r) { r.mutable_inputs(0)->set_datatype("BOOL"); }), "inputs[0].datatype must be one of"},
      {with([](auto& r) { r.mutable_inputs(0)->set_datatype("fp32"); }), "inputs[0].datatype"},
      {with([](auto& r) { r.mutable_inputs(0)->set_shape(1, -3); }), "inputs[0].shape[1] must be non-negative; was -3"},
      {with([](auto& r) { r.mutable_raw_input_contents(0)->pop_back(); }), "raw_input_contents[0] has 23 bytes"},
      {with([](auto& r) { r.add_raw_input_contents("x"); }), "raw_input_contents has 2 entries; inputs has 1"},
      {with([](auto& r) { r.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1); }),
       "inputs[0].contents must be empty when the request uses raw_input_contents"},
      {with([](auto& r) { r.clear_raw_input_contents(); }), "inputs[0] has no data"},
      {with([](auto& r) {
         r.clear_raw_input_contents();
         for (int i = 0; i < 6; ++i) r.mutable_inputs(0)->mutable_contents()->add_fp64_contents(1);
       }),
       "inputs[0].contents: a FP32 tensor takes only fp32_contents"},
      {with([](auto& r) {
         r.clear_raw_input_contents();
         for (int i = 0; i < 5; ++i) r.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1);
       }),
       "inputs[0].contents.fp32_contents has 5 values; shape [2, 3] needs 6"},
      {with([](auto& r) {
         r.clear_raw_input_contents();
         r.mutable_inputs(0)->set_datatype("INT8");
         for (int i = 0; i < 6; ++i) r.mutable_inputs(0)->mutable_contents()->add_int_contents(i == 4 ? 128 : 1);
       }),
       "inputs[0].contents.int_contents[4] is 128, outside the element type's range [-128, 127]"},
      {with([](auto& r) {
         r.clear_raw_input_contents();
         r.mutable_inputs(0)->set_datatype("FP16");
         for (int i = 0; i < 6; ++i) r.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1);
       }),
       "inputs[0] is FP16, which travels only in raw_input_contents"},
      {with([](auto& r) { (*r.mutable_inputs(0)->mutable_parameters())["shared_memory_region"] = String("r"); }),
       "inputs[0].parameters['shared_memory_region'] is not supported"},
      {with([](auto& r) { r.add_outputs()->set_name("probabilities"); }),
       "outputs[0].name is 'probabilities'; the model's only output is 'output'"},
      {with([](auto& r) { r.add_outputs()->set_name("output"); r.add_outputs()->set_name("output"); }),
       "outputs requests 2 tensors"},
      {with([](auto& r) {
         auto* out = r.add_outputs();
         out->set_name("output");
         (*out->mutable_parameters())["classification"] = Int(3);
       }),
       "outputs[0].parameters['classification'] is not supported"},
      {with([](auto& r) { AddRawInput(&r, "y", DataType::kFloat32, {1}, std::string(4, '\0')); }),
       "exactly one of them must be named 'weight'"},
      {with([](auto& r) { AddRawInput(&r, "weight", DataType::kFloat32, {1}, std::string(4, '\0')); }),
       "'weight' is only for prelu; model 'relu' is relu"},
      {with([](auto& r) {
         r.set_model_name("leaky_relu");
         r.mutable_inputs(0)->set_datatype("INT32");
       }),
       "model 'leaky_relu': "},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.message);
    ExpectError(bad.request, grpc::StatusCode::INVALID_ARGUMENT, bad.message);
  }
  // PReLU weight count against the channels; weights of an integer type.
  ModelInferRequest prelu = MakeInfer({"prelu", {}, "", {0.1, 0.2}}, DataType::kFloat32, {2, 3}, 2);
  ExpectError(prelu, grpc::StatusCode::INVALID_ARGUMENT, "weight");
  prelu = MakeInfer({"prelu", {}, ""}, DataType::kFloat32, {2, 3}, 2);
  AddRawInput(&prelu, "weight", DataType::kInt32, {1}, std::string(4, '\0'));
  ExpectError(prelu, grpc::StatusCode::INVALID_ARGUMENT, "inputs[1] ('weight').datatype must be FP32 or FP64; was INT32");
  prelu = MakeInfer({"prelu", {}, "", {std::numeric_limits<double>::quiet_NaN()}}, DataType::kFloat32, {2, 3}, 2);
  ExpectError(prelu, grpc::StatusCode::INVALID_ARGUMENT, "inputs[1] ('weight'): prelu.weight");
}

TEST_F(OipTest, LimitsAreResourceExhausted) {
  ExpectError(ReluInfer({1, 1, 1, 1, 1, 1, 1}), grpc::StatusCode::RESOURCE_EXHAUSTED,
              "inputs[0].shape has rank 7; the server's limit (--max-rank) is 6");
  ModelInferRequest big = ReluInfer({1});
  big.mutable_inputs(0)->set_shape(0, kMaxElements + 1);
  ExpectError(big, grpc::StatusCode::RESOURCE_EXHAUSTED, "--max-tensor-elements");
  // CReLU doubles: an input within the limit whose output is not.
  ModelInferRequest crelu = MakeInfer({"crelu", {}, ""}, DataType::kInt8, {kMaxElements}, 3);
  ExpectError(crelu, grpc::StatusCode::RESOURCE_EXHAUSTED, "the output would have");
  ModelInferRequest huge = ReluInfer({1});
  huge.mutable_inputs(0)->set_shape(0, (kMaxMessageBytes + 4) / 4);
  huge.set_raw_input_contents(0, std::string(kMaxMessageBytes + 4, '\0'));
  ModelInferResponse response;
  EXPECT_EQ(Infer(huge, &response).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(OipTest, HealthAndReflectionKnowTheService) {
  EXPECT_EQ(CheckHealth(channel_, "inference.GRPCInferenceService").serving, Serving::kServing);
  grpc::Status status;
  EXPECT_THAT(ReflectionListServices(channel_, &status), ::testing::Contains("inference.GRPCInferenceService"));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// ---------------------------------------------------------------------------------------------------------
// Auth and shutdown: servers of their own.

TEST(OipAuthTest, EveryRpcNeedsTheToken) {
  auto models = BuiltInModels();
  RectifierServerOptions options = LoopbackOptions(models.get());
  options.auth_tokens = {"oip-token"};
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  auto stub = GRPCInferenceService::NewStub(MakeChannel(server->port()));
  for (const std::optional<std::string>& header :
       std::vector<std::optional<std::string>>{std::nullopt, "Bearer wrong", "Bearer oip-token"}) {
    const grpc::StatusCode want = header == "Bearer oip-token" ? grpc::StatusCode::OK : grpc::StatusCode::UNAUTHENTICATED;
    auto context = [&] {
      auto c = std::make_unique<grpc::ClientContext>();
      if (header) c->AddMetadata("authorization", *header);
      c->set_deadline(In(10000ms));
      return c;
    };
    inference::ServerLiveResponse live;
    EXPECT_EQ(stub->ServerLive(context().get(), {}, &live).error_code(), want);
    inference::ServerReadyResponse ready;
    EXPECT_EQ(stub->ServerReady(context().get(), {}, &ready).error_code(), want);
    inference::ModelReadyRequest model_ready;
    model_ready.set_name("relu");
    inference::ModelReadyResponse model_ready_response;
    EXPECT_EQ(stub->ModelReady(context().get(), model_ready, &model_ready_response).error_code(), want);
    inference::ServerMetadataResponse server_metadata;
    EXPECT_EQ(stub->ServerMetadata(context().get(), {}, &server_metadata).error_code(), want);
    inference::ModelMetadataRequest model_metadata;
    model_metadata.set_name("relu");
    inference::ModelMetadataResponse model_metadata_response;
    EXPECT_EQ(stub->ModelMetadata(context().get(), model_metadata, &model_metadata_response).error_code(), want);
    ModelInferResponse response;
    EXPECT_EQ(stub->ModelInfer(context().get(), ReluInfer(), &response).error_code(), want);
  }
  EXPECT_EQ(server->Shutdown(5s), 0);
}

// While the server drains, ServerReady and ModelReady say false and ModelInfer is UNAVAILABLE.
TEST(OipShutdownTest, NotReadyWhileDraining) {
  auto models = BuiltInModels();
  auto server = StartServer(LoopbackOptions(models.get()));
  ASSERT_NE(server, nullptr);
  auto stub = GRPCInferenceService::NewStub(MakeChannel(server->port()));
  StalledStream stalled(server->port(), 8);  // Holds the drain open.
  ASSERT_TRUE(stalled.Stall());
  constexpr auto kGrace = 3000ms;
  std::future<int64_t> cancelled = std::async(std::launch::async, [&] { return server->Shutdown(kGrace); });
  ASSERT_TRUE(WaitFor([&] { return server->gate().stopping(); }, 5000ms));
  grpc::ClientContext ready_context;
  ready_context.set_deadline(In(1000ms));
  inference::ServerReadyResponse ready;
  grpc::Status status = stub->ServerReady(&ready_context, {}, &ready);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(ready.ready());
  grpc::ClientContext live_context;
  live_context.set_deadline(In(1000ms));
  inference::ServerLiveResponse live;
  ASSERT_TRUE(stub->ServerLive(&live_context, {}, &live).ok());
  EXPECT_TRUE(live.live());
  grpc::ClientContext model_context;
  model_context.set_deadline(In(1000ms));
  inference::ModelReadyRequest model_ready;
  model_ready.set_name("relu");
  inference::ModelReadyResponse model_ready_response;
  ASSERT_TRUE(stub->ModelReady(&model_context, model_ready, &model_ready_response).ok());
  EXPECT_FALSE(model_ready_response.ready());
  grpc::ClientContext infer_context;
  infer_context.set_deadline(In(1000ms));
  ModelInferResponse response;
  EXPECT_EQ(stub->ModelInfer(&infer_context, ReluInfer(), &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(cancelled.get(), 1);
  EXPECT_FALSE(stalled.ReadToEnd().ok());
}

}  // namespace
}  // namespace rectifier::server::itest
