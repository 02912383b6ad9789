// The raw wire form of rectifier.v1 Apply (server/apply_wire.h). Oracle: protobuf's own serialization of
// the same ApplyResponse must be byte-for-byte what ApplyResponseWire sends, and protobuf's parser must
// read it back; malformed request bytes must be refused with INVALID_ARGUMENT on both Apply RPCs.
#include "server/apply_wire.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

// A response as protobuf would build it: request_id, output {dtype, shape, data}.
v1::ApplyResponse ExpectedResponse(const std::string& request_id, const std::vector<int64_t>& shape,
                                   const std::string& data) {
  v1::ApplyResponse response;
  response.set_request_id(request_id);
  response.mutable_output()->set_dtype(v1::DATA_TYPE_FLOAT32);
  response.mutable_output()->mutable_shape()->Assign(shape.begin(), shape.end());
  response.mutable_output()->set_data(data);
  return response;
}

// The same response through ApplyResponseWire: header without data, data written into the slice.
std::string EncodeThroughWire(const v1::ApplyResponse& expected, bool* aligned) {
  ApplyResponseWire wire;
  v1::ApplyResponse head = expected;
  head.mutable_output()->clear_data();
  const std::string& data = expected.output().data();
  void* out = wire.AllocateOutput(data.size());
  *aligned = reinterpret_cast<uintptr_t>(out) % 64 == 0;
  if (!data.empty()) std::memcpy(out, data.data(), data.size());
  return FromByteBuffer(std::move(wire).Encode(head));
}

TEST(ApplyWireTest, EncodesExactlyWhatProtobufSerializes) {
  // Sizes around every varint length boundary of the data and of the enclosing output message.
  for (size_t bytes : {0u, 1u, 4u, 100u, 120u, 127u, 128u, 16383u, 16384u, 70000u, 2097152u, 4194304u}) {
    std::string data(bytes, '\0');
    for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>(i * 131 + 7);
    const v1::ApplyResponse expected = ExpectedResponse("req-" + std::to_string(bytes), {static_cast<int64_t>(bytes)}, data);
    bool aligned = false;
    const std::string wire = EncodeThroughWire(expected, &aligned);
    EXPECT_TRUE(aligned) << bytes << " bytes";
    EXPECT_EQ(wire, expected.SerializeAsString()) << bytes << " bytes";
    v1::ApplyResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire)) << bytes << " bytes";
    EXPECT_EQ(parsed.request_id(), expected.request_id());
    EXPECT_EQ(parsed.output().data(), data);
  }
}

TEST(ApplyWireTest, AdoptedInputIsSentFromItsOwnBuffer) {
  for (size_t bytes : {0u, 3u, 15u, 16u, 1000u, 1048576u}) {
    std::string input(bytes, '\0');
    for (size_t i = 0; i < bytes; ++i) input[i] = static_cast<char>(i * 7 + 1);
    const char* const before = input.data();
    const v1::ApplyResponse expected = ExpectedResponse("in-place", {static_cast<int64_t>(bytes)}, input);
    ApplyResponseWire wire;
    void* out = wire.AdoptAsOutput(std::move(input));
    // A heap buffer moves with the string (short strings live inside it and are copied).
    if (bytes > 15) EXPECT_EQ(out, before) << bytes << " bytes";
    v1::ApplyResponse head = expected;
    head.mutable_output()->clear_data();
    EXPECT_EQ(FromByteBuffer(std::move(wire).Encode(head)), expected.SerializeAsString()) << bytes << " bytes";
  }
}

TEST(ApplyWireTest, EmptyRequestIdAndScalarShape) {
  const v1::ApplyResponse expected = ExpectedResponse("", {}, std::string("\x01\x02\x03\x04", 4));
  bool aligned = false;
  EXPECT_EQ(EncodeThroughWire(expected, &aligned), expected.SerializeAsString());
}

TEST(ApplyWireTest, ResponseWithoutOutputIsSerializedAsItIs) {
  v1::ApplyResponse error;
  error.set_request_id("r");
  error.mutable_error()->set_code(3);
  error.mutable_error()->set_message("bad");
  EXPECT_EQ(FromByteBuffer(ApplyResponseWire().Encode(error)), error.SerializeAsString());
}

TEST(ApplyWireTest, ParsesARequestSpreadOverManySlices) {
  v1::ApplyRequest request;
  request.set_request_id("multi");
  request.mutable_activation()->mutable_relu();
  request.mutable_input()->set_dtype(v1::DATA_TYPE_FLOAT32);
  request.mutable_input()->add_shape(1000);
  request.mutable_input()->set_data(std::string(4000, '\x7f'));
  const std::string bytes = request.SerializeAsString();
  std::vector<grpc::Slice> slices;
  for (size_t at = 0; at < bytes.size(); at += 333) slices.emplace_back(bytes.substr(at, 333));
  grpc::ByteBuffer buffer(slices.data(), slices.size());
  v1::ApplyRequest parsed;
  ASSERT_TRUE(ParseApplyRequest(buffer, &parsed).ok());
  EXPECT_EQ(parsed.SerializeAsString(), bytes);
}

TEST(ApplyWireTest, RefusesBytesThatAreNotAnApplyRequest) {
  v1::ApplyRequest parsed;
  const absl::Status status = ParseApplyRequest(ToByteBuffer(std::string("\xff\xff\xff\xff", 4)), &parsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("ApplyRequest"), std::string::npos) << status.message();
}

// A served call with malformed bytes: INVALID_ARGUMENT naming the message, and the server keeps serving.
TEST(ApplyWireTest, ServerRefusesMalformedUnaryAndStreamRequests) {
  auto models = BuiltInModels();
  auto server = StartServer(LoopbackOptions(models.get()));
  ASSERT_NE(server, nullptr);
  auto channel = MakeChannel(server->port());
  grpc::GenericStub stub(channel);
  {
    grpc::ClientContext context;
    context.set_deadline(In(10000ms));
    grpc::ByteBuffer request = ToByteBuffer(std::string("\x0a\xff\xff\xff\xff\x0f", 6));  // Length past the end.
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/rectifier.v1.ActivationService/Apply", grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(std::move(status)); });
    const grpc::Status status = done.get_future().get();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("ApplyRequest"), std::string::npos) << status.error_message();
  }
  {
    // In a stream the error is the answer to that request; the stream goes on.
    grpc::ClientContext context;
    context.set_deadline(In(10000ms));
    grpc::CompletionQueue cq;
    auto call = stub.PrepareCall(&context, "/rectifier.v1.ActivationService/ApplyStream", &cq);
    void* tag = nullptr;
    bool ok = false;
    auto tag_of = [](int n) { return reinterpret_cast<void*>(static_cast<intptr_t>(n)); };
    call->StartCall(tag_of(1));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    call->Write(ToByteBuffer(std::string("\x0a\xff\xff\xff\xff\x0f", 6)), tag_of(2));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    v1::ApplyRequest good;
    good.set_request_id("good");
    good.mutable_activation()->mutable_relu();
    good.mutable_input()->set_dtype(v1::DATA_TYPE_FLOAT32);
    good.mutable_input()->add_shape(2);
    const float values[2] = {-1.0f, 2.0f};
    good.mutable_input()->set_data(std::string(reinterpret_cast<const char*>(values), sizeof(values)));
    call->Write(ToByteBuffer(good.SerializeAsString()), tag_of(3));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    std::vector<v1::ApplyResponse> answers;
    for (int i = 0; i < 2; ++i) {
      grpc::ByteBuffer bytes;
      call->Read(&bytes, tag_of(4));
      ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
      ASSERT_TRUE(answers.emplace_back().ParseFromString(FromByteBuffer(bytes)));
    }
    call->WritesDone(tag_of(5));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    grpc::Status status;
    call->Finish(&status, tag_of(6));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    EXPECT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(answers.size(), 2u);
    // Answers come as they finish; find each by request id.
    const v1::ApplyResponse& bad = answers[0].request_id().empty() ? answers[0] : answers[1];
    const v1::ApplyResponse& fine = answers[0].request_id().empty() ? answers[1] : answers[0];
    EXPECT_EQ(bad.error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
    EXPECT_NE(bad.error().message().find("ApplyRequest"), std::string::npos);
    EXPECT_EQ(fine.request_id(), "good");
    ASSERT_EQ(fine.output().data().size(), sizeof(values));
    float out[2];
    std::memcpy(out, fine.output().data().data(), sizeof(out));
    EXPECT_EQ(out[0], 0.0f);
    EXPECT_EQ(out[1], 2.0f);
  }
}

}  // namespace
}  // namespace rectifier::server::itest
