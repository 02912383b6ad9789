// The per-connection limit on concurrent calls (RectifierServerOptions::max_concurrent_streams, the HTTP/2
// setting SETTINGS_MAX_CONCURRENT_STREAMS): a connection with that many calls open cannot start another
// until one ends, while other connections are unaffected; and the option is validated.
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_options.h"
#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

v1::ApplyRequest SmallRequest() {
  v1::ApplyRequest request;
  request.mutable_activation()->mutable_relu();
  const std::vector<int64_t> shape = {2, 3};
  SetTensor(request.mutable_input(), DataType::kFloat32, shape, RandomData(DataType::kFloat32, 6, 1));
  return request;
}

// A streaming call held open after one round trip (so the stream is surely established on the connection).
struct OpenStream {
  explicit OpenStream(v1::ActivationService::Stub* stub) {
    context.set_deadline(In(60000ms));
    stream = stub->ApplyStream(&context);
    v1::ApplyResponse response;
    established = stream->Write(SmallRequest()) && stream->Read(&response) && !response.has_error();
  }
  grpc::Status Close() {
    stream->WritesDone();
    v1::ApplyResponse ignored;
    while (stream->Read(&ignored)) {
    }
    return stream->Finish();
  }
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ApplyRequest, v1::ApplyResponse>> stream;
  bool established = false;
};

grpc::Status ApplyOnce(v1::ActivationService::Stub* stub, std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(In(timeout));
  v1::ApplyResponse response;
  return stub->Apply(&context, SmallRequest(), &response);
}

TEST(ConnectionLimitsTest, AConnectionAtItsStreamLimitWaitsWhileOthersAreServed) {
  auto models = BuiltInModels();
  ASSERT_NE(models, nullptr);
  RectifierServerOptions options = LoopbackOptions(models.get());
  options.max_concurrent_streams = 2;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);

  auto channel = MakeChannel(server->port());
  auto stub = v1::ActivationService::NewStub(channel);
  ASSERT_TRUE(ApplyOnce(stub.get(), 10000ms).ok()) << "the connection works";
  std::vector<std::unique_ptr<OpenStream>> streams;
  for (int i = 0; i < 2; ++i) {
    streams.push_back(std::make_unique<OpenStream>(stub.get()));
    ASSERT_TRUE(streams.back()->established) << "stream " << i;
  }
  // The third call on this connection waits for a free stream until its deadline.
  EXPECT_EQ(ApplyOnce(stub.get(), 500ms).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // Another connection is not affected.
  auto other = v1::ActivationService::NewStub(MakeChannel(server->port()));
  EXPECT_TRUE(ApplyOnce(other.get(), 10000ms).ok());
  // Once a stream ends, the connection takes calls again.
  ASSERT_TRUE(streams.front()->Close().ok());
  EXPECT_TRUE(ApplyOnce(stub.get(), 10000ms).ok());
  ASSERT_TRUE(streams.back()->Close().ok());
}

TEST(ConnectionLimitsTest, TheDefaultAllowsAHundredStreams) {
  EXPECT_EQ(RectifierServerOptions().max_concurrent_streams, 100);
  auto models = BuiltInModels();
  ASSERT_NE(models, nullptr);
  RectifierServerOptions options = LoopbackOptions(models.get());
  options.max_concurrent_streams = 0;
  auto refused = RectifierServer::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "max_concurrent_streams must be positive; was 0");
}

TEST(ConnectionLimitsTest, TheFlagSetsTheLimitAndIsValidated) {
  auto parse = [](std::vector<const char*> args) {
    args.insert(args.begin(), "rectifier-server");
    return ParseServerOptions(static_cast<int>(args.size()), args.data());
  };
  auto defaults = parse({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->max_concurrent_streams, kDefaultMaxConcurrentStreams);
  auto seven = parse({"--max-concurrent-streams=7"});
  ASSERT_TRUE(seven.ok()) << seven.status();
  EXPECT_EQ(seven->max_concurrent_streams, 7);
  auto zero = parse({"--max-concurrent-streams", "0"});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(), "max_concurrent_streams must be positive; was 0");
  EXPECT_THAT(ServerOptionsHelp(), ::testing::HasSubstr("--max-concurrent-streams"));
}

}  // namespace
}  // namespace rectifier::server::itest
