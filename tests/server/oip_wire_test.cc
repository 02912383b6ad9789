// The Open Inference Protocol on the wire, without the project's inference .proto: requests are encoded
// by hand from the specification's field numbers and types (kserve/open-inference-protocol
// grpc_predict_v2.proto; Triton's grpc_service.proto for double_param, uint64_param), sent as raw bytes
// through grpc::GenericStub to "/inference.GRPCInferenceService/<Method>", and responses are decoded the
// same way. A wrong field number, wire type or method name in proto/inference/grpc_service.proto fails
// here even though the C++ stubs (tests/server/oip_test.cc) would still agree with themselves.
#include <cstring>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

using ::testing::ElementsAre;

// ---------------------------------------------------------------------------------------------------------
// A protobuf encoder: wire types 0 (varint), 1 (64-bit), 2 (length-delimited), 5 (32-bit).

class Message {
 public:
  Message& Varint(int field, uint64_t value) {
    Tag(field, 0);
    AppendVarint(&bytes_, value);
    return *this;
  }
  // int32 and int64 fields carry negative values as 10-byte two's-complement varints.
  Message& Int(int field, int64_t value) { return Varint(field, static_cast<uint64_t>(value)); }
  Message& Double(int field, double value) {
    Tag(field, 1);
    AppendRaw(&bytes_, value);
    return *this;
  }
  Message& Bytes(int field, std::string_view value) {
    Tag(field, 2);
    AppendVarint(&bytes_, value.size());
    bytes_.append(value);
    return *this;
  }
  Message& Sub(int field, const Message& message) { return Bytes(field, message.bytes()); }
  // Packed repeated scalars (proto3's default encoding).
  Message& PackedInts(int field, const std::vector<int64_t>& values) {
    std::string packed;
    for (int64_t v : values) AppendVarint(&packed, static_cast<uint64_t>(v));
    return Bytes(field, packed);
  }
  template <typename T>
  Message& PackedFixed(int field, const std::vector<T>& values) {
    std::string packed;
    for (T v : values) AppendRaw(&packed, v);
    return Bytes(field, packed);
  }
  // One entry of a map<string, Message> field.
  Message& MapEntry(int field, std::string_view key, const Message& value) {
    return Sub(field, Message().Bytes(1, key).Sub(2, value));
  }
  const std::string& bytes() const { return bytes_; }

 private:
  void Tag(int field, int wire_type) { AppendVarint(&bytes_, (static_cast<uint64_t>(field) << 3) | wire_type); }
  std::string bytes_;
};

// ---------------------------------------------------------------------------------------------------------
// A protobuf decoder.

struct Field {
  int number = 0;
  int wire_type = 0;
  uint64_t value = 0;  // Wire types 0, 1, 5.
  std::string bytes;   // Wire type 2.
};

bool ReadVarint(std::string_view& in, uint64_t* out) {
  *out = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    *out |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

class Decoded {
 public:
  explicit Decoded(std::string_view in) { ok_ = Parse(in); }
  bool ok() const { return ok_; }
  // Every occurrence of `number`, checking its wire type.
  std::vector<const Field*> All(int number, int wire_type) const {
    std::vector<const Field*> out;
    for (const Field& f : fields_) {
      if (f.number != number) continue;
      EXPECT_EQ(f.wire_type, wire_type) << "field " << number;
      out.push_back(&f);
    }
    return out;
  }
  std::string String(int number) const {
    auto all = All(number, 2);
    return all.empty() ? "" : all.back()->bytes;
  }
  std::vector<std::string> Strings(int number) const {
    std::vector<std::string> out;
    for (const Field* f : All(number, 2)) out.push_back(f->bytes);
    return out;
  }
  uint64_t Varint(int number) const {
    auto all = All(number, 0);
    return all.empty() ? 0 : all.back()->value;
  }
  Decoded Sub(int number) const { return Decoded(String(number)); }
  std::vector<Decoded> Subs(int number) const {
    std::vector<Decoded> out;
    for (const std::string& s : Strings(number)) out.emplace_back(s);
    return out;
  }
  // A repeated varint field, packed or not.
  std::vector<int64_t> Ints(int number) const {
    std::vector<int64_t> out;
    for (const Field& f : fields_) {
      if (f.number != number) continue;
      if (f.wire_type == 0) {
        out.push_back(static_cast<int64_t>(f.value));
      } else {
        EXPECT_EQ(f.wire_type, 2) << "field " << number;
        std::string_view packed = f.bytes;
        uint64_t v;
        while (!packed.empty() && ReadVarint(packed, &v)) out.push_back(static_cast<int64_t>(v));
      }
    }
    return out;
  }
  // A packed repeated fixed-size field (float, double) as raw bytes.
  std::string PackedBytes(int number) const {
    std::string out;
    for (const Field* f : All(number, 2)) out += f->bytes;
    return out;
  }

 private:
  bool Parse(std::string_view in) {
    while (!in.empty()) {
      uint64_t tag;
      if (!ReadVarint(in, &tag)) return false;
      Field f;
      f.number = static_cast<int>(tag >> 3);
      f.wire_type = static_cast<int>(tag & 7);
      if (f.wire_type == 0) {
        if (!ReadVarint(in, &f.value)) return false;
      } else if (f.wire_type == 1 || f.wire_type == 5) {
        const size_t n = f.wire_type == 1 ? 8 : 4;
        if (in.size() < n) return false;
        std::memcpy(&f.value, in.data(), n);
        in.remove_prefix(n);
      } else if (f.wire_type == 2) {
        uint64_t size;
        if (!ReadVarint(in, &size) || size > in.size()) return false;
        f.bytes.assign(in.data(), size);
        in.remove_prefix(size);
      } else {
        return false;
      }
      fields_.push_back(std::move(f));
    }
    return true;
  }
  std::vector<Field> fields_;
  bool ok_ = true;
};

// ---------------------------------------------------------------------------------------------------------

class OipWireTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_ = BuiltInModels().release();
    server_ = StartServer(LoopbackOptions(models_)).release();
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
  }

  // Calls /inference.GRPCInferenceService/<method> with `request`; returns the status and the response.
  grpc::Status Call(const std::string& method, const Message& request, std::string* response) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    context.set_deadline(In(10000ms));
    grpc::ByteBuffer request_buffer = ToByteBuffer(request.bytes());
    grpc::ByteBuffer response_buffer;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/inference.GRPCInferenceService/" + method, grpc::StubOptions(), &request_buffer,
                   &response_buffer, [&done](grpc::Status status) { done.set_value(std::move(status)); });
    grpc::Status status = done.get_future().get();
    if (status.ok()) *response = FromByteBuffer(response_buffer);
    return status;
  }
  Decoded CallOk(const std::string& method, const Message& request) {
    std::string response;
    grpc::Status status = Call(method, request, &response);
    EXPECT_TRUE(status.ok()) << method << ": " << status.error_message();
    Decoded decoded(response);
    EXPECT_TRUE(decoded.ok()) << method << " returned bytes that are not a protobuf message";
    return decoded;
  }

  static ModelRepository* models_;
  static RectifierServer* server_;
  std::shared_ptr<grpc::Channel> channel_;
};
ModelRepository* OipWireTest::models_ = nullptr;
RectifierServer* OipWireTest::server_ = nullptr;

// ServerLiveResponse { bool live = 1; }, ServerReadyResponse { bool ready = 1; }.
TEST_F(OipWireTest, ServerLiveAndReady) {
  EXPECT_EQ(CallOk("ServerLive", Message()).Varint(1), 1u);
  EXPECT_EQ(CallOk("ServerReady", Message()).Varint(1), 1u);
}

// ModelReadyRequest { string name = 1; string version = 2; } -> ModelReadyResponse { bool ready = 1; }.
TEST_F(OipWireTest, ModelReady) {
  EXPECT_EQ(CallOk("ModelReady", Message().Bytes(1, "relu")).Varint(1), 1u);
  EXPECT_EQ(CallOk("ModelReady", Message().Bytes(1, "gelu").Bytes(2, "1")).Varint(1), 1u);
  std::string ignored;
  EXPECT_EQ(Call("ModelReady", Message().Bytes(1, "relu").Bytes(2, "9"), &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "version is field 2";
  EXPECT_EQ(Call("ModelReady", Message().Bytes(1, "nope"), &ignored).error_code(), grpc::StatusCode::NOT_FOUND);
}

// ServerMetadataResponse { string name = 1; string version = 2; repeated string extensions = 3; }.
TEST_F(OipWireTest, ServerMetadata) {
  Decoded metadata = CallOk("ServerMetadata", Message());
  EXPECT_EQ(metadata.String(1), "rectifier");
  EXPECT_FALSE(metadata.String(2).empty());
  EXPECT_THAT(metadata.Strings(3), ElementsAre("parameters"));
}

// ModelMetadataRequest { string name = 1; string version = 2; } -> ModelMetadataResponse { string name = 1;
// repeated string versions = 2; string platform = 3; repeated TensorMetadata inputs = 4, outputs = 5; }
// with TensorMetadata { string name = 1; string datatype = 2; repeated int64 shape = 3; }.
TEST_F(OipWireTest, ModelMetadata) {
  Decoded metadata = CallOk("ModelMetadata", Message().Bytes(1, "gelu").Bytes(2, "1"));
  EXPECT_EQ(metadata.String(1), "gelu");
  EXPECT_THAT(metadata.Strings(2), ElementsAre("1"));
  EXPECT_EQ(metadata.String(3), "rectifier");
  std::vector<Decoded> inputs = metadata.Subs(4);
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].String(1), "input");
  EXPECT_EQ(inputs[0].String(2), "FP32");
  EXPECT_THAT(inputs[0].Ints(3), ElementsAre(-1));
  std::vector<Decoded> outputs = metadata.Subs(5);
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].String(1), "output");
  EXPECT_THAT(outputs[0].Ints(3), ElementsAre(-1));
}

// InferParameter oneof { bool bool_param = 1; int64 int64_param = 2; string string_param = 3;
// double double_param = 4; uint64 uint64_param = 5; }.
Message DoubleParam(double v) { return Message().Double(4, v); }
Message Int64Param(int64_t v) { return Message().Int(2, v); }
Message Uint64Param(uint64_t v) { return Message().Varint(5, v); }
Message StringParam(std::string_view v) { return Message().Bytes(3, v); }
Message BoolParam(bool v) { return Message().Varint(1, v ? 1 : 0); }

// InferInputTensor { string name = 1; string datatype = 2; repeated int64 shape = 3;
// map<string, InferParameter> parameters = 4; InferTensorContents contents = 5; }.
Message InputTensor(std::string_view name, std::string_view datatype, const std::vector<int64_t>& shape) {
  return Message().Bytes(1, name).Bytes(2, datatype).PackedInts(3, shape);
}

std::string Floats(const std::vector<float>& values) {
  std::string out;
  for (float v : values) AppendRaw(&out, v);
  return out;
}

// ModelInferRequest { string model_name = 1; string model_version = 2; string id = 3;
// map<string, InferParameter> parameters = 4; repeated InferInputTensor inputs = 5;
// repeated InferRequestedOutputTensor outputs = 6; repeated bytes raw_input_contents = 7; }
// -> ModelInferResponse { string model_name = 1; string model_version = 2; string id = 3;
// map parameters = 4; repeated InferOutputTensor outputs = 5; repeated bytes raw_output_contents = 6; }
// with InferOutputTensor { name = 1; datatype = 2; shape = 3; parameters = 4; contents = 5; }.
TEST_F(OipWireTest, ModelInferRawWithEveryParameterKind) {
  const std::vector<float> x = {-2.0f, -0.5f, -0.0f, 0.0f, 0.5f, 3.0f};
  struct Case {
    std::string model;
    std::string key;
    Message param;
    std::string text;
    std::vector<int64_t> out_shape;
  };
  const std::vector<Case> cases = {
      {"leaky_relu", "negative_slope", DoubleParam(0.2), "leaky_relu(negative_slope=0.2)", {2, 3}},
      {"leaky_relu", "negative_slope", Int64Param(-3), "leaky_relu(negative_slope=-3)", {2, 3}},
      {"crelu", "axis", Int64Param(0), "crelu(axis=0)", {4, 3}},
      {"crelu", "axis", Uint64Param(1), "crelu(axis=1)", {2, 6}},
      {"gelu", "approximate", StringParam("tanh"), "gelu(approximate=tanh)", {2, 3}},
      {"gelu", "approximate", BoolParam(true), "gelu(approximate=tanh)", {2, 3}},
      {"gelu", "approximate", BoolParam(false), "gelu", {2, 3}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Message request;
    request.Bytes(1, c.model).Bytes(2, "1").Bytes(3, "wire-id").MapEntry(4, c.key, c.param);
    request.Sub(5, InputTensor("x", "FP32", {2, 3}));
    request.Sub(6, Message().Bytes(1, "output"));
    request.Bytes(7, Floats(x));
    Decoded response = CallOk("ModelInfer", request);
    EXPECT_EQ(response.String(1), c.model);
    EXPECT_EQ(response.String(2), "1");
    EXPECT_EQ(response.String(3), "wire-id");
    std::vector<Decoded> outputs = response.Subs(5);
    ASSERT_EQ(outputs.size(), 1u);
    EXPECT_EQ(outputs[0].String(1), "output");
    EXPECT_EQ(outputs[0].String(2), "FP32");
    EXPECT_EQ(outputs[0].Ints(3), c.out_shape);
    const std::vector<int64_t> shape = {2, 3};
    EXPECT_THAT(response.Strings(6), ElementsAre(KernelApply(ParseOrDie(c.text), DataType::kFloat32, shape, Floats(x)).data));
  }
  // A known value, independent of the kernel library: leaky_relu(-2, 0.2) = -0.4f.
  Message request;
  request.Bytes(1, "leaky_relu").MapEntry(4, "negative_slope", DoubleParam(0.2));
  request.Sub(5, InputTensor("x", "FP32", {1})).Bytes(7, Floats({-2.0f}));
  EXPECT_THAT(CallOk("ModelInfer", request).Strings(6), ElementsAre(Floats({-0.4f})));
}

// InferTensorContents { repeated bool bool_contents = 1; repeated int32 int_contents = 2;
// repeated int64 int64_contents = 3; repeated uint32 uint_contents = 4; repeated uint64 uint64_contents = 5;
// repeated float fp32_contents = 6; repeated double fp64_contents = 7; repeated bytes bytes_contents = 8; }.
TEST_F(OipWireTest, ModelInferTypedContents) {
  {  // FP32 in fp32_contents (packed fixed32): relu.
    Message request;
    request.Bytes(1, "relu").Sub(5, InputTensor("x", "FP32", {3}).Sub(5, Message().PackedFixed<float>(6, {-1.5f, 0.25f, 2.0f})));
    Decoded response = CallOk("ModelInfer", request);
    EXPECT_TRUE(response.Strings(6).empty()) << "typed in, typed out";
    Decoded contents = response.Subs(5).at(0).Sub(5);
    EXPECT_EQ(contents.PackedBytes(6), Floats({0.0f, 0.25f, 2.0f}));
  }
  {  // FP64 in fp64_contents (packed fixed64): hardtanh.
    Message request;
    request.Bytes(1, "hardtanh").Sub(5, InputTensor("x", "FP64", {3}).Sub(5, Message().PackedFixed<double>(7, {-4.0, 0.5, 9.0})));
    Decoded contents = CallOk("ModelInfer", request).Subs(5).at(0).Sub(5);
    std::string want;
    for (double v : {-1.0, 0.5, 1.0}) AppendRaw(&want, v);
    EXPECT_EQ(contents.PackedBytes(7), want);
  }
  {  // INT8 in int_contents (int32 varints, negative ones sign-extended): relu6.
    Message request;
    request.Bytes(1, "relu6").Sub(5, InputTensor("x", "INT8", {4}).Sub(5, Message().PackedInts(2, {-128, -1, 5, 127})));
    Decoded response = CallOk("ModelInfer", request);
    std::vector<Decoded> outputs = response.Subs(5);
    ASSERT_EQ(outputs.size(), 1u);
    EXPECT_EQ(outputs[0].String(2), "INT8");
    EXPECT_THAT(outputs[0].Sub(5).Ints(2), ElementsAre(0, 0, 5, 6));
  }
  {  // INT64 in int64_contents: threshold(threshold=0, value=0) is relu except at -0 and NaN.
    Message request;
    request.Bytes(1, "threshold").MapEntry(4, "value", Int64Param(-7));
    request.Sub(5, InputTensor("x", "INT64", {3}).Sub(5, Message().PackedInts(3, {-5, 0, int64_t{1} << 40})));
    EXPECT_THAT(CallOk("ModelInfer", request).Subs(5).at(0).Sub(5).Ints(3), ElementsAre(-7, -7, int64_t{1} << 40));
  }
  {  // UINT8 in uint_contents.
    Message request;
    request.Bytes(1, "relu").Sub(5, InputTensor("x", "UINT8", {2}).Sub(5, Message().PackedInts(4, {0, 255})));
    EXPECT_THAT(CallOk("ModelInfer", request).Subs(5).at(0).Sub(5).Ints(4), ElementsAre(0, 255));
  }
  {  // sigmoid of INT32 answers FP32: sigmoid(0) = 0.5.
    Message request;
    request.Bytes(1, "sigmoid").Sub(5, InputTensor("x", "INT32", {1}).Sub(5, Message().PackedInts(2, {0})));
    Decoded output = CallOk("ModelInfer", request).Subs(5).at(0);
    EXPECT_EQ(output.String(2), "FP32");
    EXPECT_EQ(output.Sub(5).PackedBytes(6), Floats({0.5f}));
  }
}

// PReLU weights as a second input named "weight", both raw.
TEST_F(OipWireTest, PreluWeightInput) {
  Message request;
  request.Bytes(1, "prelu");
  request.Sub(5, InputTensor("x", "FP32", {1, 2, 2}));
  request.Sub(5, InputTensor("weight", "FP32", {2}));
  request.Bytes(7, Floats({-1.0f, 1.0f, -2.0f, 2.0f}));
  request.Bytes(7, Floats({0.5f, 0.25f}));
  EXPECT_THAT(CallOk("ModelInfer", request).Strings(6), ElementsAre(Floats({-0.5f, 1.0f, -0.5f, 2.0f})));
}

TEST_F(OipWireTest, ErrorsCarryCanonicalCodes) {
  std::string ignored;
  Message unknown;
  unknown.Bytes(1, "no_such_model").Sub(5, InputTensor("x", "FP32", {1})).Bytes(7, Floats({1.0f}));
  EXPECT_EQ(Call("ModelInfer", unknown, &ignored).error_code(), grpc::StatusCode::NOT_FOUND);
  Message bad_param;
  bad_param.Bytes(1, "relu").MapEntry(4, "alpha", DoubleParam(1)).Sub(5, InputTensor("x", "FP32", {1})).Bytes(7, Floats({1.0f}));
  grpc::Status status = Call("ModelInfer", bad_param, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("parameters['alpha']"));
}

}  // namespace
}  // namespace rectifier::server::itest
