// Graceful shutdown with calls in flight: health goes NOT_SERVING, new calls get UNAVAILABLE, calls
// accepted before finish with the right bytes within the grace period, and what is still running when the
// grace expires is cancelled without a crash or a hang.
#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

struct UnaryOutcome {
  grpc::Status status;
  v1::ApplyResponse response;
};

// Starts `requests` as concurrent unary calls on `stub`, each on its own thread.
class ConcurrentCalls {
 public:
  ConcurrentCalls(v1::ActivationService::Stub* stub, const std::vector<v1::ApplyRequest>* requests)
      : outcomes_(requests->size()) {
    for (size_t i = 0; i < requests->size(); ++i) {
      threads_.emplace_back([this, stub, requests, i] {
        grpc::ClientContext context;
        context.set_deadline(In(60000ms));
        outcomes_[i].status = stub->Apply(&context, (*requests)[i], &outcomes_[i].response);
        ++finished_;
      });
    }
  }
  ~ConcurrentCalls() { Join(); }
  bool all_finished() const { return finished_.load() == static_cast<int>(outcomes_.size()); }
  const std::vector<UnaryOutcome>& Join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    return outcomes_;
  }

 private:
  std::vector<UnaryOutcome> outcomes_;
  std::atomic<int> finished_{0};
  std::vector<std::thread> threads_;
};

// An ApplyStream whose responses are read on a thread of its own.
class ReadingStream {
 public:
  explicit ReadingStream(v1::ActivationService::Stub* stub) {
    context_.set_deadline(In(60000ms));
    stream_ = stub->ApplyStream(&context_);
    reader_ = std::thread([this] {
      v1::ApplyResponse response;
      while (stream_->Read(&response)) {
        std::lock_guard<std::mutex> lock(mutex_);
        responses_.push_back(response);
      }
    });
  }
  ~ReadingStream() {
    if (reader_.joinable()) {
      context_.TryCancel();
      reader_.join();
    }
  }
  bool Write(const v1::ApplyRequest& request) { return stream_->Write(request); }
  void WritesDone() { stream_->WritesDone(); }
  size_t received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return responses_.size();
  }
  // Waits for the end of the stream; returns its status.
  grpc::Status Finish() {
    reader_.join();
    return stream_->Finish();
  }
  const std::vector<v1::ApplyResponse>& responses() const { return responses_; }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ApplyRequest, v1::ApplyResponse>> stream_;
  std::thread reader_;
  std::mutex mutex_;
  std::vector<v1::ApplyResponse> responses_;
};

class ShutdownTest : public ::testing::Test {
 protected:
  void SetUp() override { models_ = BuiltInModels(); }
  std::unique_ptr<ModelRepository> models_;
};

// Large mish requests (slow per byte) with ids, and their kernel results.
void LargeMishRequests(int count, int64_t elements, std::vector<v1::ApplyRequest>* requests,
                       std::vector<KernelResult>* expected) {
  for (int i = 0; i < count; ++i) {
    v1::ApplyRequest request = LargeRequest(elements, "mish", 100 + i);
    request.set_request_id("large-" + std::to_string(i));
    expected->push_back(ExpectedFor(request, act::Mish{}));
    requests->push_back(std::move(request));
  }
}

TEST_F(ShutdownTest, GraceLetsAcceptedCallsFinishAndRefusesNewOnes) {
  RectifierServerOptions options = LoopbackOptions(models_.get());
  options.threads = 1;  // A queue forms on the executor: unary calls stay in flight for a while.
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  auto channel = MakeChannel(server->port());
  auto stub = v1::ActivationService::NewStub(channel);

  // A stream that holds the drain open until the test lets it go.
  StalledStream held(server->port(), 8);
  ASSERT_TRUE(held.Stall());
  ASSERT_EQ(server->gate().in_flight(), 1);

  // Unary calls; shutdown begins the moment one of them is in the server. (A batch that runs entirely
  // between two looks is tried again.)
  std::vector<v1::ApplyRequest> requests;
  std::vector<KernelResult> expected;
  LargeMishRequests(10, int64_t{1} << 20, &requests, &expected);
  std::unique_ptr<ConcurrentCalls> calls;
  int64_t in_flight_at_shutdown = 0;
  for (int attempt = 0; attempt < 5 && in_flight_at_shutdown < 2; ++attempt) {
    if (calls != nullptr) {
      for (const UnaryOutcome& outcome : calls->Join()) EXPECT_TRUE(outcome.status.ok());
    }
    calls = std::make_unique<ConcurrentCalls>(stub.get(), &requests);
    WaitFor([&] { return (in_flight_at_shutdown = server->gate().in_flight()) >= 2 || calls->all_finished(); },
            30000ms);
  }
  ASSERT_GE(in_flight_at_shutdown, 2) << "no unary call was ever seen in flight";
  const auto started = std::chrono::steady_clock::now();
  std::future<int64_t> cancelled = std::async(std::launch::async, [&] { return server->Shutdown(20s); });
  ASSERT_TRUE(WaitFor([&] { return server->gate().stopping(); }, 10000ms));

  // While the held stream keeps the drain open: health is NOT_SERVING and new calls are refused.
  {
    EXPECT_EQ(CheckHealth(channel, "rectifier.v1.ActivationService").serving, Serving::kNotServing);
    auto late_channel = MakeChannel(server->port());
    auto late_stub = v1::ActivationService::NewStub(late_channel);
    for (int i = 0; i < 3; ++i) {
      grpc::ClientContext context;
      context.set_deadline(In(10000ms));
      v1::ApplyResponse response;
      grpc::Status status = late_stub->Apply(&context, i == 0 ? requests[0] : LargeRequest(64, "relu"), &response);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    }
    grpc::ClientContext context;
    context.set_deadline(In(10000ms));
    auto late_stream = late_stub->ApplyStream(&context);
    late_stream->Write(LargeRequest(64, "relu"));
    late_stream->WritesDone();
    v1::ApplyResponse response;
    EXPECT_FALSE(late_stream->Read(&response));
    EXPECT_EQ(late_stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  }

  // Every unary call finished with the right bytes, or was refused (it arrived after shutdown began).
  int ok = 0;
  const auto& outcomes = calls->Join();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    SCOPED_TRACE(requests[i].request_id());
    if (outcomes[i].status.ok()) {
      ++ok;
      EXPECT_TRUE(SameAsKernel(outcomes[i].response.output(), expected[i]));
    } else {
      EXPECT_EQ(outcomes[i].status.error_code(), grpc::StatusCode::UNAVAILABLE) << outcomes[i].status.error_message();
    }
  }
  EXPECT_GE(ok, in_flight_at_shutdown - 1) << "calls in flight when shutdown began must complete";
  EXPECT_EQ(server->gate().in_flight(), 1) << "only the held stream is left";

  // Let the held stream go: what the server read is answered, then the stream ends (UNAVAILABLE: the
  // server is going away; or OK) and the drain completes with nothing cancelled.
  grpc::Status held_status = held.ReadToEnd();
  EXPECT_TRUE(held_status.ok() || held_status.error_code() == grpc::StatusCode::UNAVAILABLE)
      << held_status.error_code() << ": " << held_status.error_message();
  EXPECT_GE(held.CheckResponses(), 2);
  EXPECT_EQ(cancelled.get(), 0) << "every accepted call should finish within a 20 s grace";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
}

// A stream whose client does not read holds the drain for the whole grace period: meanwhile health says
// NOT_SERVING on both ports and new calls are refused; when the grace expires the call is cancelled.
TEST_F(ShutdownTest, NotServingDuringTheDrainAndCancelledAfterTheGrace) {
  RectifierServerOptions options = LoopbackOptions(models_.get());
  options.health_address = "127.0.0.1:0";
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  auto channel = MakeChannel(server->port());
  auto health_channel = MakeChannel(server->health_port());
  ASSERT_EQ(CheckHealth(channel, "rectifier.v1.ActivationService").serving, Serving::kServing);
  ASSERT_EQ(CheckHealth(health_channel, "").serving, Serving::kServing);

  // A client that stops reading holds the drain open.
  StalledStream stalled(server->port(), 8);
  ASSERT_TRUE(stalled.Stall());
  ASSERT_EQ(server->gate().in_flight(), 1);

  constexpr auto kGrace = 2000ms;
  const auto started = std::chrono::steady_clock::now();
  std::future<int64_t> cancelled = std::async(std::launch::async, [&] { return server->Shutdown(kGrace); });
  ASSERT_TRUE(WaitFor([&] { return server->gate().stopping(); }, 5000ms));

  // During the drain.
  auto stub = v1::ActivationService::NewStub(channel);
  bool saw_not_serving = false, saw_health_port_not_serving = false;
  for (int attempt = 0; attempt < 50 && !(saw_not_serving && saw_health_port_not_serving); ++attempt) {
    if (std::chrono::steady_clock::now() - started > kGrace - 300ms) break;
    HealthResult main_health = CheckHealth(channel, "rectifier.v1.ActivationService", 500ms);
    HealthResult port_health = CheckHealth(health_channel, "", 500ms);
    saw_not_serving |= main_health.status.ok() && main_health.serving == Serving::kNotServing;
    saw_health_port_not_serving |= port_health.status.ok() && port_health.serving == Serving::kNotServing;
    // Only NOT_SERVING (or, once the ports close, an error) may be seen after shutdown began.
    EXPECT_NE(main_health.serving, Serving::kServing);
    EXPECT_NE(port_health.serving, Serving::kServing);
  }
  EXPECT_TRUE(saw_not_serving) << "health on the main port never reported NOT_SERVING during the drain";
  EXPECT_TRUE(saw_health_port_not_serving) << "health on the health port never reported NOT_SERVING during the drain";
  if (std::chrono::steady_clock::now() - started < kGrace - 300ms) {
    grpc::ClientContext context;
    context.set_deadline(In(1000ms));
    v1::ApplyResponse response;
    grpc::Status status = stub->Apply(&context, LargeRequest(16, "relu"), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    grpc::ClientContext list_context;
    list_context.set_deadline(In(1000ms));
    v1::ListModelsResponse models;
    EXPECT_EQ(stub->ListModels(&list_context, {}, &models).error_code(), grpc::StatusCode::UNAVAILABLE);
  }

  EXPECT_EQ(cancelled.get(), 1) << "the stalled stream is cancelled when the grace expires";
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, kGrace - 50ms);
  EXPECT_LT(took, kGrace + 10s);
  EXPECT_FALSE(stalled.ReadToEnd().ok()) << "the stalled stream was cancelled";
}

// grace = 0 with a slow workload: whatever is running is cancelled at once; every call ends (right bytes,
// CANCELLED or UNAVAILABLE), nothing crashes or hangs. A stalled stream guarantees one call in flight
// whatever the kernels' speed (under ThreadSanitizer the uninstrumented kernels can finish the large calls
// before the shutdown); the large calls add whatever else is running at that moment.
TEST_F(ShutdownTest, ZeroGraceCancelsCleanly) {
  RectifierServerOptions options = LoopbackOptions(models_.get());
  options.threads = 1;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  auto channel = MakeChannel(server->port());
  auto stub = v1::ActivationService::NewStub(channel);

  StalledStream stalled(server->port(), 8);
  ASSERT_TRUE(stalled.Stall());
  ASSERT_EQ(server->gate().in_flight(), 1);

  std::vector<v1::ApplyRequest> requests;
  std::vector<KernelResult> expected;
  LargeMishRequests(16, int64_t{1} << 20, &requests, &expected);
  ReadingStream stream(stub.get());
  ConcurrentCalls calls(stub.get(), &requests);
  std::thread stream_writer([&] {
    for (const auto& request : requests) {
      if (!stream.Write(request)) break;
    }
    stream.WritesDone();
  });
  // Not asserted (no ASSERT may return past the writer thread): more calls in flight make a better test,
  // but only the stalled stream is certain.
  WaitFor([&] { return server->gate().in_flight() >= 3 || calls.all_finished(); }, 30000ms);

  const auto started = std::chrono::steady_clock::now();
  const int64_t cancelled = server->Shutdown(0us);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_GE(cancelled, 1) << "the stalled stream was in flight";
  EXPECT_LE(cancelled, static_cast<int64_t>(requests.size()) + 2);

  auto acceptable = [](const grpc::Status& status) {
    return status.ok() || status.error_code() == grpc::StatusCode::CANCELLED ||
           status.error_code() == grpc::StatusCode::UNAVAILABLE;
  };
  const auto& outcomes = calls.Join();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_TRUE(acceptable(outcomes[i].status)) << i << ": " << outcomes[i].status.error_code() << " "
                                                << outcomes[i].status.error_message();
    if (outcomes[i].status.ok()) {
      EXPECT_TRUE(SameAsKernel(outcomes[i].response.output(), expected[i]));
    }
  }
  stream_writer.join();
  grpc::Status stream_status = stream.Finish();
  EXPECT_TRUE(acceptable(stream_status)) << stream_status.error_code() << " " << stream_status.error_message();
  for (const v1::ApplyResponse& response : stream.responses()) {
    if (response.has_error()) continue;
    const int i = std::stoi(response.request_id().substr(std::string("large-").size()));
    EXPECT_TRUE(SameAsKernel(response.output(), expected[i]));
  }
  EXPECT_FALSE(stalled.ReadToEnd().ok()) << "the stalled stream was cancelled";
  // The server object is done: a second Shutdown is a no-op.
  EXPECT_EQ(server->Shutdown(1s), 0);
}

TEST_F(ShutdownTest, IdleServerShutsDownAtOnceAndTheDestructorToo) {
  {
    auto server = StartServer(LoopbackOptions(models_.get()));
    ASSERT_NE(server, nullptr);
    auto channel = MakeChannel(server->port());
    ASSERT_EQ(CheckHealth(channel, "").serving, Serving::kServing);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(server->Shutdown(30s), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "an idle server must not wait for the grace";
    EXPECT_EQ(server->Shutdown(30s), 0) << "idempotent";
    // The port is closed.
    EXPECT_FALSE(CheckHealth(channel, "", 1000ms).status.ok());
  }
  {
    // Destroyed without Shutdown, with a stream open: no hang, no crash.
    auto server = StartServer(LoopbackOptions(models_.get()));
    ASSERT_NE(server, nullptr);
    auto stub = v1::ActivationService::NewStub(MakeChannel(server->port()));
    ReadingStream stream(stub.get());
    v1::ApplyRequest request = LargeRequest(1000, "relu");
    request.set_request_id("x");
    ASSERT_TRUE(stream.Write(request));
    ASSERT_TRUE(WaitFor([&] { return stream.received() >= 1; }, 10000ms));
    server.reset();
    EXPECT_FALSE(stream.Finish().ok());
  }
}

}  // namespace
}  // namespace rectifier::server::itest
