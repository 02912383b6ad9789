// Batching under concurrency: an in-process server with batching on takes thousands of random requests
// (every catalogue activation, with parameters; every data type the activation accepts; assorted shapes)
// from many client threads at once, some over ApplyStream, some cancelled by their client and some with
// deadlines short enough to expire while queued. Every successful response must be byte for byte what the
// kernel library computes for that request alone; cancelled and expired calls may only fail with their own
// status; nothing may be lost or mixed up.
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

constexpr int kUnaryThreads = 16;
constexpr int kUnaryRequestsPerThread = 250;
constexpr int kStreams = 2;
constexpr int kRequestsPerStream = 300;

struct RandomRequest {
  v1::ApplyRequest request;
  KernelResult expected;
};

// A valid random request: activation, data type and shape drawn until the kernel library accepts them.
RandomRequest MakeRandomRequest(std::mt19937& rng, const std::vector<ActivationCase>& cases) {
  static const std::vector<std::vector<int64_t>> kShapes = {
      {1}, {7}, {64}, {256}, {1000}, {2, 3}, {5, 3}, {4, 3, 8}, {1, 3, 16}, {3, 3, 3, 3}, {}, {0}, {2, 5}, {8, 4}};
  while (true) {
    const ActivationCase& c = cases[rng() % cases.size()];
    const DataType dtype = kAllDataTypes[rng() % std::size(kAllDataTypes)];
    const std::vector<int64_t>& shape = kShapes[rng() % kShapes.size()];
    const Activation activation = ParseOrDie(c.text);
    if (!ValidateForInput(activation, dtype, shape).ok()) continue;
    RandomRequest out;
    out.request = MakeRequest(c, dtype, shape, static_cast<uint32_t>(rng()));
    out.expected = ExpectedFor(out.request, activation);
    return out;
  }
}

class BatchingConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = BuiltInModels();
    ASSERT_NE(models_, nullptr);
    RectifierServerOptions options = LoopbackOptions(models_.get());
    options.batching = BatcherOptions{
        .max_batch_requests = 16,
        .max_queue_delay = std::chrono::microseconds(300),
        .max_queue_requests = 100000,
        .batch_threads = 2,
        .on_batch =
            [this](int requests, int64_t) {
              batches_.fetch_add(1);
              batched_requests_.fetch_add(requests);
            },
    };
    server_ = StartServer(options);
    ASSERT_NE(server_, nullptr);
  }

  std::unique_ptr<ModelRepository> models_;
  std::unique_ptr<RectifierServer> server_;
  std::atomic<int64_t> batches_{0};
  std::atomic<int64_t> batched_requests_{0};
};

TEST_F(BatchingConcurrencyTest, ThousandsOfRandomRequestsAllGetTheirOwnExactResult) {
  const std::vector<ActivationCase> cases = CatalogueCases();
  std::atomic<int> ok{0}, cancelled{0}, expired{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kUnaryThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      auto channel = MakeChannel(server_->port());
      // Sixteen channels connect at once; on a loaded machine one may fail its first attempt, and calls
      // without wait_for_ready would then fail fast. Connected first, the calls test the server.
      ASSERT_TRUE(channel->WaitForConnected(In(20000ms))) << "client " << t << " could not connect";
      auto stub = v1::ActivationService::NewStub(channel);
      for (int i = 0; i < kUnaryRequestsPerThread; ++i) {
        RandomRequest r = MakeRandomRequest(rng, cases);
        const int fate = static_cast<int>(rng() % 20);  // 0: cancelled, 1-2: short deadline, else plain.
        grpc::ClientContext context;
        context.set_deadline(fate == 1 || fate == 2 ? In(std::chrono::milliseconds(0)) +
                                                          std::chrono::microseconds(rng() % 400)
                                                    : In(30000ms));
        v1::ApplyResponse response;
        std::promise<grpc::Status> done;
        stub->async()->Apply(&context, &r.request, &response,
                             [&done](grpc::Status status) { done.set_value(std::move(status)); });
        if (fate == 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
          context.TryCancel();
        }
        const grpc::Status status = done.get_future().get();
        if (status.ok()) {
          ++ok;
          if (!SameAsKernel(response.output(), r.expected)) {
            ++wrong;
            ADD_FAILURE() << "request " << t << "/" << i << ": " << SameAsKernel(response.output(), r.expected).message();
          }
        } else if (fate == 0 && status.error_code() == grpc::StatusCode::CANCELLED) {
          ++cancelled;
        } else if ((fate == 1 || fate == 2) && status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
          ++expired;
        } else {
          ++wrong;
          ADD_FAILURE() << "request " << t << "/" << i << " (fate " << fate << "): " << status.error_code() << " "
                        << status.error_message();
        }
      }
    });
  }
  for (int s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] {
      std::mt19937 rng(5000 + s);
      auto channel = MakeChannel(server_->port());
      ASSERT_TRUE(channel->WaitForConnected(In(20000ms))) << "stream " << s << " could not connect";
      auto stub = v1::ActivationService::NewStub(channel);
      grpc::ClientContext context;
      context.set_deadline(In(60000ms));
      auto stream = stub->ApplyStream(&context);
      std::map<std::string, KernelResult> expected;
      std::vector<v1::ApplyRequest> requests;
      for (int i = 0; i < kRequestsPerStream; ++i) {
        RandomRequest r = MakeRandomRequest(rng, cases);
        r.request.set_request_id("s" + std::to_string(s) + "-" + std::to_string(i));
        expected[r.request.request_id()] = std::move(r.expected);
        requests.push_back(std::move(r.request));
      }
      std::thread writer([&] {
        for (const v1::ApplyRequest& request : requests) {
          if (!stream->Write(request)) break;
        }
        stream->WritesDone();
      });
      std::set<std::string> seen;
      v1::ApplyResponse response;
      while (stream->Read(&response)) {
        const auto it = expected.find(response.request_id());
        if (it == expected.end() || !seen.insert(response.request_id()).second) {
          ++wrong;
          ADD_FAILURE() << "unknown or repeated request_id '" << response.request_id() << "'";
          continue;
        }
        if (response.has_error()) {
          ++wrong;
          ADD_FAILURE() << response.request_id() << ": " << response.error().message();
        } else if (!SameAsKernel(response.output(), it->second)) {
          ++wrong;
          ADD_FAILURE() << response.request_id() << ": " << SameAsKernel(response.output(), it->second).message();
        } else {
          ++ok;
        }
      }
      writer.join();
      EXPECT_TRUE(stream->Finish().ok());
      EXPECT_EQ(seen.size(), expected.size()) << "stream " << s << " lost responses";
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(ok + cancelled + expired, kUnaryThreads * kUnaryRequestsPerThread + kStreams * kRequestsPerStream);
  EXPECT_GT(ok.load(), kUnaryThreads * kUnaryRequestsPerThread / 2);
  EXPECT_GT(cancelled.load(), 0) << "no call was cancelled: the test did not exercise cancellation";
  EXPECT_GT(expired.load(), 0) << "no deadline expired: the test did not exercise deadlines";
  // Batching happened: fewer kernel calls than computed requests.
  EXPECT_GT(batches_.load(), 0);
  EXPECT_LT(batches_.load(), batched_requests_.load());
  EXPECT_EQ(server_->batcher()->queue_depth(), 0);
  std::printf("ok %d, cancelled %d, expired %d; %lld requests in %lld batched kernel calls\n", ok.load(),
              cancelled.load(), expired.load(), static_cast<long long>(batched_requests_.load()),
              static_cast<long long>(batches_.load()));
}

}  // namespace
}  // namespace rectifier::server::itest
