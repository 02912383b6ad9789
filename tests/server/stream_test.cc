// ApplyStream over a real loopback port: 1000 interleaved requests of mixed activations, data types and
// sizes (some large enough to go to the executor), some invalid. Every valid response must be the kernel's
// bytes, every invalid one must carry `error` with the right code and its request_id, and the stream must
// go on and end OK. Responses are matched by request_id (the server may answer out of order).
#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/catalogue.h"
#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

struct Expected {
  bool valid = true;
  KernelResult result;            // When valid.
  grpc::StatusCode code = grpc::StatusCode::OK;  // When not.
  std::string field;              // When not: the field the message must name.
};

class StreamTest : public ::testing::Test {
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
    stub_ = v1::ActivationService::NewStub(channel_);
  }
  void TearDown() override {
    EXPECT_TRUE(WaitFor([] { return server_->gate().in_flight() == 0; }, 10000ms))
        << server_->gate().in_flight() << " calls still in flight";
  }

  static ModelRepository* models_;
  static RectifierServer* server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
};
ModelRepository* StreamTest::models_ = nullptr;
RectifierServer* StreamTest::server_ = nullptr;

// Builds request `i` of the mixed workload and what its response must be.
std::pair<v1::ApplyRequest, Expected> MixedRequest(int i, const std::vector<ActivationCase>& cases) {
  const std::string id = "req-" + std::to_string(i);
  v1::ApplyRequest request;
  request.set_request_id(id);
  Expected expected;
  const ActivationCase& c = cases[static_cast<size_t>(i) % cases.size()];
  const Activation activation = ParseOrDie(c.text);
  const std::string name = FormatActivation(activation).substr(0, FormatActivation(activation).find('('));
  static constexpr DataType kTypes[] = {DataType::kFloat32, DataType::kFloat64, DataType::kFloat16,
                                        DataType::kBFloat16, DataType::kInt8, DataType::kInt32, DataType::kFloat32};
  DataType dtype = kTypes[(i / 3) % std::size(kTypes)];
  if (!IsFloatingPoint(dtype) && !AcceptsDataType(KindOf(activation), dtype)) dtype = DataType::kFloat32;
  // Sizes: mostly small; every 10th large (72-288 KB of input: beyond the inline limit, so computed on the
  // executor for transcendental activations and float64).
  std::vector<int64_t> shape = c.small_shape;
  if (i % 10 == 7) {
    shape = {2, 3, 6000};  // 36000 elements: 72 KB of float16 up to 288 KB of float64.
    if (ElementSizeBytes(dtype) == 1) shape = {2, 3, 12000};
  } else {
    shape[2] = 1 + (i * 37) % 300;
  }
  const uint32_t seed = static_cast<uint32_t>(i) + 1;
  switch (i % 13) {
    case 3: {  // Invalid parameter.
      request.mutable_activation()->mutable_celu()->set_alpha(0);
      SetTensor(request.mutable_input(), dtype, shape, RandomData(dtype, Product(shape), seed));
      return {request, {false, {}, grpc::StatusCode::INVALID_ARGUMENT, "activation.celu.alpha"}};
    }
    case 6: {  // Unknown model.
      request.set_model("no_such_model_" + std::to_string(i));
      SetTensor(request.mutable_input(), dtype, shape, RandomData(dtype, Product(shape), seed));
      return {request, {false, {}, grpc::StatusCode::NOT_FOUND, "no_such_model_" + std::to_string(i)}};
    }
    case 9: {  // Data of the wrong size.
      c.fill(request.mutable_activation());
      SetTensor(request.mutable_input(), dtype, shape, RandomData(dtype, Product(shape), seed));
      request.mutable_input()->mutable_data()->push_back('\0');
      return {request, {false, {}, grpc::StatusCode::INVALID_ARGUMENT, "input.data"}};
    }
    case 12: {  // Over the element limit (the default, 2^28), from the shape alone.
      c.fill(request.mutable_activation());
      SetTensor(request.mutable_input(), DataType::kFloat32, std::vector<int64_t>{int64_t{1} << 15, int64_t{1} << 14},
                std::string());
      return {request, {false, {}, grpc::StatusCode::RESOURCE_EXHAUSTED, "input"}};
    }
    default:
      break;
  }
  // Valid: inline, or every 4th by built-in model of the same name when the case has the defaults.
  if (i % 4 == 0 && c.text == name) {
    request.set_model(name);
  } else {
    c.fill(request.mutable_activation());
  }
  SetTensor(request.mutable_input(), dtype, shape, RandomData(dtype, Product(shape), seed));
  expected.result = KernelApply(activation, dtype, shape, request.input().data());
  return {request, expected};
}

TEST_F(StreamTest, ThousandMixedRequestsAreAnsweredByRequestId) {
  constexpr int kRequests = 1000;
  const std::vector<ActivationCase> cases = CatalogueCases();
  std::vector<v1::ApplyRequest> requests;
  std::map<std::string, Expected> expected;
  int invalid = 0, large = 0;
  for (int i = 0; i < kRequests; ++i) {
    auto [request, want] = MixedRequest(i, cases);
    if (!want.valid) ++invalid;
    if (request.input().data().size() > 64 * 1024) ++large;
    expected[request.request_id()] = std::move(want);
    requests.push_back(std::move(request));
  }
  ASSERT_GT(invalid, 100);
  ASSERT_GT(large, 50);

  grpc::ClientContext context;
  context.set_deadline(In(60000ms));
  auto stream = stub_->ApplyStream(&context);
  // Write from another thread while reading here: the server pauses reading when too many responses are
  // waiting to be written, so a client must read while it writes.
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (const v1::ApplyRequest& request : requests) {
      if (!stream->Write(request)) break;
      ++written;
    }
    stream->WritesDone();
  });
  std::map<std::string, int> answered;
  int errors = 0;
  v1::ApplyResponse response;
  while (stream->Read(&response)) {
    SCOPED_TRACE(response.request_id());
    auto it = expected.find(response.request_id());
    if (it == expected.end()) {
      ADD_FAILURE() << "response for an unknown request_id";
      continue;
    }
    if (++answered[response.request_id()] > 1) {
      ADD_FAILURE() << "answered twice";
    }
    const Expected& want = it->second;
    if (want.valid) {
      EXPECT_FALSE(response.has_error()) << response.error().code() << ": " << response.error().message();
      EXPECT_TRUE(SameAsKernel(response.output(), want.result));
    } else {
      ++errors;
      ASSERT_TRUE(response.has_error());
      EXPECT_EQ(response.error().code(), static_cast<int>(want.code)) << response.error().message();
      EXPECT_NE(response.error().message().find(want.field), std::string::npos)
          << "\"" << response.error().message() << "\" lacks \"" << want.field << "\"";
      EXPECT_FALSE(response.has_output()) << "output must be unset when error is set";
    }
  }
  writer.join();
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(written.load(), kRequests);
  EXPECT_EQ(answered.size(), static_cast<size_t>(kRequests)) << "every request answered";
  EXPECT_EQ(errors, invalid);
}

// A client that reads late: the server stops reading while too many of its responses wait to be written
// (max_stream_outstanding) and resumes once the client reads; nothing is lost or duplicated.
TEST_F(StreamTest, LateReaderGetsEveryResponse) {
  constexpr int kRequests = 300;
  grpc::ClientContext context;
  context.set_deadline(In(60000ms));
  auto stream = stub_->ApplyStream(&context);
  std::vector<v1::ApplyRequest> requests;
  for (int i = 0; i < kRequests; ++i) {
    v1::ApplyRequest request;
    request.set_request_id(std::to_string(i));
    request.mutable_activation()->mutable_silu();
    const std::vector<int64_t> shape = {16, 64};
    SetTensor(request.mutable_input(), DataType::kFloat32, shape, RandomData(DataType::kFloat32, 1024, i));
    requests.push_back(std::move(request));
  }
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (const auto& request : requests) {
      if (!stream->Write(request)) break;
      ++written;
    }
    stream->WritesDone();
  });
  // Start reading only once the writer is well ahead (or has blocked on flow control for a while).
  WaitFor([&] { return written.load() >= 150; }, 3000ms);
  std::vector<int> seen(kRequests, 0);
  v1::ApplyResponse response;
  while (stream->Read(&response)) {
    const int i = std::stoi(response.request_id());
    ASSERT_GE(i, 0);
    ASSERT_LT(i, kRequests);
    ++seen[i];
    EXPECT_TRUE(SameAsKernel(response.output(), ExpectedFor(requests[i], act::Silu{})));
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(written.load(), kRequests);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), kRequests) << "each request answered exactly once";
}

TEST_F(StreamTest, EmptyStreamEndsOk) {
  grpc::ClientContext context;
  context.set_deadline(In(10000ms));
  auto stream = stub_->ApplyStream(&context);
  stream->WritesDone();
  v1::ApplyResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
}

// Many streams at once, each with its own ids, plus unary calls in between.
TEST_F(StreamTest, ConcurrentStreamsDoNotMixResponses) {
  constexpr int kStreams = 6, kPerStream = 60;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] {
      auto stub = v1::ActivationService::NewStub(channel_);
      grpc::ClientContext context;
      context.set_deadline(In(60000ms));
      auto stream = stub->ApplyStream(&context);
      std::map<std::string, KernelResult> want;
      std::vector<v1::ApplyRequest> requests;
      for (int i = 0; i < kPerStream; ++i) {
        v1::ApplyRequest request;
        request.set_request_id(std::to_string(s) + ":" + std::to_string(i));
        request.mutable_activation()->mutable_leaky_relu()->set_negative_slope(0.01 * (s + 1));
        const std::vector<int64_t> shape = {1 + (i % 3 == 0 ? 20000 : i)};
        SetTensor(request.mutable_input(), DataType::kFloat32, shape,
                  RandomData(DataType::kFloat32, shape[0], s * 1000 + i));
        want[request.request_id()] = ExpectedFor(request, act::LeakyRelu{0.01 * (s + 1)});
        requests.push_back(std::move(request));
      }
      std::thread writer([&] {
        for (const auto& request : requests) stream->Write(request);
        stream->WritesDone();
      });
      int count = 0;
      v1::ApplyResponse response;
      while (stream->Read(&response)) {
        auto it = want.find(response.request_id());
        if (it == want.end() || !SameAsKernel(response.output(), it->second)) ++failures;
        ++count;
      }
      writer.join();
      if (!stream->Finish().ok() || count != kPerStream) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace rectifier::server::itest
