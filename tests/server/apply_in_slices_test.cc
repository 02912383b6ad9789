// Requests computed where gRPC received them (ApplyHandler::Prepare of a SlicedApplyRequest, ApplyInRuns,
// ApplyResponseWire::AdoptReceivedData): the request is cut into slices at odd places, as a socket would
// deliver it, and the response the server would send must be byte for byte what protobuf serializes for
// the kernel library's own result on the same input, computed contiguously. Also which requests take the
// path (element-wise activations of the input's type) and which are copied out first (CReLU, PReLU,
// integer sigmoid, ReLU-family models), and that validation says the same as for a whole parse.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/apply_in_runs.h"
#include "kernels/catalogue.h"
#include "server/apply_handler.h"
#include "server/apply_wire.h"
#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

// `bytes` as gRPC might hand them over: slices of 1 to `max_slice_bytes` bytes (a cheap LCG picks them).
grpc::ByteBuffer Sliced(const std::string& bytes, size_t max_slice_bytes, uint32_t seed) {
  std::vector<grpc::Slice> slices;
  uint32_t state = seed;
  for (size_t start = 0; start < bytes.size();) {
    state = state * 1664525u + 1013904223u;
    const size_t size = std::min<size_t>(bytes.size() - start, 1 + (state >> 8) % max_slice_bytes);
    slices.emplace_back(bytes.data() + start, size);
    start += size;
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

class ApplyInSlicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = BuiltInModels();
    ASSERT_NE(models_, nullptr);
    auto handler = ApplyHandler::Create({.limits = {}, .models = models_.get()});
    ASSERT_TRUE(handler.ok()) << handler.status();
    handler_ = std::move(*handler);
  }

  struct Outcome {
    absl::Status status;
    bool in_runs = false;         // Computed in the receive slices.
    v1::ApplyResponse response;   // As the client would parse it (when OK).
  };

  // Receives `request` cut into slices, prepares, computes and encodes it as the service does.
  Outcome Serve(const v1::ApplyRequest& request, size_t max_slice_bytes, uint32_t seed = 1) {
    Outcome outcome;
    const grpc::ByteBuffer bytes = Sliced(request.SerializeAsString(), max_slice_bytes, seed);
    SlicedApplyRequest received;
    outcome.status = ReceiveApplyRequest(bytes, /*zero_copy_min_bytes=*/0, &received);
    if (!outcome.status.ok()) return outcome;
    EXPECT_TRUE(received.request.input().data().empty());  // Still in the slices.
    v1::ApplyResponse response;
    ApplyResponseWire wire;
    absl::StatusOr<PreparedRequest> prepared = handler_->Prepare(&received, &response, &wire);
    outcome.status = prepared.status();
    if (!prepared.ok()) return outcome;
    outcome.in_runs = !prepared->in_place_runs.empty();
    if (outcome.in_runs) {
      EXPECT_EQ(prepared->input.data, nullptr);
      EXPECT_EQ(TotalBytes(prepared->in_place_runs), prepared->input_bytes);
      outcome.status = ApplyInRuns(prepared->activation, prepared->input.dtype, prepared->in_place_runs);
    } else {
      outcome.status = Apply(prepared->activation, prepared->input, prepared->output);
    }
    if (!outcome.status.ok()) return outcome;
    const std::string wire_bytes = FromByteBuffer(std::move(wire).Encode(response));
    EXPECT_TRUE(outcome.response.ParseFromString(wire_bytes));
    return outcome;
  }

  std::unique_ptr<ModelRepository> models_;
  std::unique_ptr<ApplyHandler> handler_;
};

TEST_F(ApplyInSlicesTest, EveryActivationAndDataTypeIsBitwiseTheKernelsResult) {
  int in_runs = 0;
  int copied = 0;
  uint32_t seed = 1;
  for (const ActivationCase& c : CatalogueCases()) {
    const Activation activation = ParseOrDie(c.text);
    for (DataType dtype : kAllDataTypes) {
      if (!AcceptsDataType(KindOf(activation), dtype)) continue;
      SCOPED_TRACE(c.text + " on " + std::string(DataTypeName(dtype)));
      const v1::ApplyRequest request = MakeRequest(c, dtype, c.large_shape, ++seed, "id-" + c.name);
      const Outcome outcome = Serve(request, /*max_slice_bytes=*/9000, seed);
      ASSERT_TRUE(outcome.status.ok()) << outcome.status;
      EXPECT_EQ(outcome.in_runs, AppliesInRuns(activation, dtype));
      (outcome.in_runs ? in_runs : copied) += 1;
      EXPECT_EQ(outcome.response.request_id(), "id-" + c.name);
      EXPECT_TRUE(SameAsKernel(outcome.response.output(), ExpectedFor(request, activation)));
    }
  }
  EXPECT_GT(in_runs, 50);
  EXPECT_GT(copied, 5);  // CReLU, PReLU, sigmoid and tanh of integers.
}

TEST_F(ApplyInSlicesTest, OneByteSlicesAndFourMebibytes) {
  v1::ApplyRequest small = LargeRequest(257, "mish", 3);
  Outcome outcome = Serve(small, /*max_slice_bytes=*/1);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_TRUE(outcome.in_runs);
  EXPECT_TRUE(SameAsKernel(outcome.response.output(), ExpectedFor(small, act::Mish{})));

  v1::ApplyRequest large = LargeRequest(int64_t{1} << 20, "relu", 4);
  outcome = Serve(large, /*max_slice_bytes=*/300000);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_TRUE(outcome.in_runs);
  EXPECT_TRUE(SameAsKernel(outcome.response.output(), ExpectedFor(large, act::Relu{})));
}

TEST_F(ApplyInSlicesTest, ModelsComputeInRunsExceptTheReluFamily) {
  v1::ApplyRequest request = LargeRequest(5000, "gelu", 5);
  request.clear_activation();
  request.set_model("gelu");
  Outcome outcome = Serve(request, 1000);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_TRUE(outcome.in_runs);
  EXPECT_TRUE(SameAsKernel(outcome.response.output(), ExpectedFor(request, act::Gelu{})));

  // The dead-unit tracker reads a ReLU-family model's input after the kernel: it must stay intact.
  request.set_model("leaky_relu");
  outcome = Serve(request, 1000);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_FALSE(outcome.in_runs);
  EXPECT_TRUE(SameAsKernel(outcome.response.output(), ExpectedFor(request, act::LeakyRelu{})));
}

TEST_F(ApplyInSlicesTest, ValidationSaysWhatAWholeParseSays) {
  v1::ApplyRequest request = LargeRequest(1000, "relu");
  request.mutable_input()->mutable_data()->resize(3998);
  const Outcome sliced = Serve(request, 700);
  EXPECT_EQ(sliced.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sliced.status.message(), "input.data has 3998 bytes; shape [1000] of float32 needs 4000");
  v1::ApplyResponse response;
  ApplyResponseWire wire;
  EXPECT_EQ(handler_->Prepare(&request, &response, &wire).status(), sliced.status);

  // No input at all, with a field protobuf keeps as unknown (found by v1_request_fuzz: preparing a request
  // in place once created the missing input before the check for it).
  request = LargeRequest(1000, "relu");
  request.clear_input();
  ASSERT_TRUE(request.ParseFromString(request.SerializeAsString() + std::string("\x08\x3f", 2)));
  EXPECT_EQ(Serve(request, 7).status, absl::InvalidArgumentError("input must be set"));
  EXPECT_EQ(handler_->Prepare(&request, &response, &wire).status(), absl::InvalidArgumentError("input must be set"));
  request = LargeRequest(1000, "relu");
  request.mutable_input()->set_dtype(v1::DATA_TYPE_UNSPECIFIED);
  EXPECT_EQ(Serve(request, 700).status.code(), absl::StatusCode::kInvalidArgument);
  request = LargeRequest(1000, "relu");
  request.mutable_input()->clear_shape();
  request.mutable_input()->add_shape(-1000);
  EXPECT_EQ(Serve(request, 700).status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ApplyInSlicesTest, SmallMessagesAreParsedWhole) {
  const v1::ApplyRequest request = LargeRequest(100, "relu");
  const std::string bytes = request.SerializeAsString();
  SlicedApplyRequest received;
  ASSERT_TRUE(ReceiveApplyRequest(Sliced(bytes, 50, 1), bytes.size() + 1, &received).ok());
  EXPECT_TRUE(received.slices.empty());
  EXPECT_EQ(received.request.input().data(), request.input().data());
  ASSERT_TRUE(ReceiveApplyRequest(Sliced(bytes, 50, 1), bytes.size(), &received).ok());
  EXPECT_FALSE(received.slices.empty());
  EXPECT_EQ(received.data_bytes, request.input().data().size());
  // Not an ApplyRequest at all: the whole parse's error.
  EXPECT_EQ(ReceiveApplyRequest(ToByteBuffer(std::string("\xff\xff\xff", 3)), 0, &received).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rectifier::server::itest
