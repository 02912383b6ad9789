// Batcher on a fake clock: batch forming (by count, by elements, by key), the queue delay, the queue
// limit, deadlines and cancellation in the queue and during the computation, the concatenated and the
// per-request kernel paths, and the drain on destruction. Time moves only through FakeClock::Advance;
// WaitForParked makes each observation deterministic. Every result is compared bitwise with Apply() on the
// request alone.
#include "server/batcher.h"

#include <atomic>
#include <cstring>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "kernels/validation.h"
#include "server/clock.h"

namespace rectifier::server {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr std::byte kUntouched{0xA5};

// One request with its own buffers, its expected result and the outcome the batcher reported.
struct TestRequest {
  TestRequest(std::string_view spec, DataType dtype, std::vector<int64_t> shape_in, uint32_t seed)
      : activation(*ParseActivation(spec)), dtype(dtype), shape(std::move(shape_in)),
        output_shape(OutputShape(activation, shape)), output_dtype(OutputDataType(activation, dtype)) {
    int64_t elements = 1;
    for (int64_t d : shape) elements *= d;
    int64_t output_elements = 1;
    for (int64_t d : output_shape) output_elements *= d;
    input.resize(static_cast<size_t>(elements) * ElementSizeBytes(dtype));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    if (IsFloatingPoint(dtype)) {
      // Finite values in [-8, 8) of the element type: random bytes would be mostly huge or NaN.
      std::uniform_real_distribution<float> value(-8.0f, 8.0f);
      for (int64_t i = 0; i < elements; ++i) {
        const float v = value(rng);
        if (dtype == DataType::kFloat32) {
          std::memcpy(input.data() + i * 4, &v, 4);
        } else if (dtype == DataType::kFloat64) {
          const double d = v;
          std::memcpy(input.data() + i * 8, &d, 8);
        } else if (dtype == DataType::kFloat16) {
          // A finite float16 of about v's magnitude: sign, exponent 2^-14..2^2, random mantissa.
          const uint16_t sign = v < 0 ? 0x8000 : 0;
          const uint16_t exponent = static_cast<uint16_t>(1 + byte(rng) % 17);
          const uint16_t half = static_cast<uint16_t>(sign | (exponent << 10) | ((byte(rng) << 2) & 0x3ff));
          std::memcpy(input.data() + i * 2, &half, 2);
        } else {  // bfloat16: the upper half of the float32.
          uint32_t bits = 0;
          std::memcpy(&bits, &v, 4);
          const uint16_t upper = static_cast<uint16_t>(bits >> 16);
          std::memcpy(input.data() + i * 2, &upper, 2);
        }
      }
    } else {
      for (std::byte& b : input) b = static_cast<std::byte>(byte(rng));
    }
    output.assign(static_cast<size_t>(output_elements) * ElementSizeBytes(output_dtype), kUntouched);
    expected.assign(output.size(), std::byte{0});
    EXPECT_TRUE(Apply(activation, {dtype, shape, input.data()}, {output_dtype, output_shape, expected.data()}).ok());
  }

  PreparedRequest Prepared() const {
    return PreparedRequest{.activation = activation,
                           .input = {dtype, shape, input.data()},
                           .output = {output_dtype, output_shape, const_cast<std::byte*>(output.data())},
                           .input_bytes = input.size(),
                           .output_bytes = output.size(),
                           .piecewise_linear = IsPiecewiseLinear(activation)};
  }

  bool Untouched() const {
    for (std::byte b : output) {
      if (b != kUntouched) return false;
    }
    return true;
  }

  Activation activation;
  DataType dtype;
  std::vector<int64_t> shape;
  std::vector<int64_t> output_shape;
  DataType output_dtype;
  std::vector<std::byte> input;
  std::vector<std::byte> output;
  std::vector<std::byte> expected;
};

struct Outcome {
  absl::Status status;
  RunReport report;  // `request` is cleared: it is valid only during the callback.
};

class BatcherTest : public ::testing::Test {
 protected:
  void Start(BatcherOptions options) {
    options.clock = &clock_;
    options.on_batch = [this](int requests, int64_t elements) {
      std::lock_guard<std::mutex> lock(batches_mutex_);
      batches_.push_back({requests, elements});
    };
    batcher_ = *Batcher::Create(options);
    threads_ = options.batch_threads;
    Settle();
  }

  // Queues `request`; the returned future holds its outcome.
  std::shared_future<Outcome> Submit(const TestRequest& request, CallControl call = {}, bool may_run_on_caller = false) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    std::shared_future<Outcome> future = promise->get_future().share();
    batcher_->Submit(request.Prepared(), std::move(call), [promise](const absl::Status& status, const RunReport& report) {
      RunReport copy = report;
      copy.request = nullptr;
      promise->set_value({status, copy});
    }, may_run_on_caller);
    return future;
  }

  // Lets the batch threads look at the queues at the current time and wait again.
  void Settle() { AdvanceAndSettle(0us); }
  void AdvanceAndSettle(std::chrono::microseconds step) {
    clock_.Advance(step);
    ASSERT_TRUE(clock_.WaitForParked(threads_)) << "batch threads did not settle";
  }

  static bool Ready(const std::shared_future<Outcome>& future) { return future.wait_for(0s) == std::future_status::ready; }
  static Outcome Get(const std::shared_future<Outcome>& future) {
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    return future.get();
  }

  std::vector<std::pair<int, int64_t>> Batches() {
    std::lock_guard<std::mutex> lock(batches_mutex_);
    return batches_;
  }

  FakeClock clock_;
  std::unique_ptr<Batcher> batcher_;
  int threads_ = 1;
  std::mutex batches_mutex_;
  std::vector<std::pair<int, int64_t>> batches_;
};

TEST(BatcherCreate, RejectsBadOptions) {
  auto error = [](BatcherOptions options) { return std::string(Batcher::Create(options).status().message()); };
  EXPECT_EQ(error({.max_batch_requests = 0}), "max_batch_requests must be positive; was 0");
  EXPECT_EQ(error({.max_batch_elements = -1}), "max_batch_elements must be positive; was -1");
  EXPECT_EQ(error({.max_queue_delay = -5us}), "max_queue_delay must not be negative; was -5us");
  EXPECT_EQ(error({.max_queue_requests = 0}), "max_queue_requests must be positive; was 0");
  EXPECT_EQ(error({.batch_threads = 0}), "batch_threads must be positive; was 0");
  EXPECT_EQ(Batcher::Create({.max_batch_requests = 0}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BatcherTest, SendsABatchWhenItsOldestRequestHasWaitedTheDelay) {
  Start({.max_batch_requests = 8, .max_queue_delay = 100us});
  const TestRequest a("relu", DataType::kFloat32, {2, 5}, 1);
  const TestRequest b("relu", DataType::kFloat32, {7}, 2);
  const TestRequest c("relu", DataType::kFloat32, {3, 1, 4}, 3);
  auto fa = Submit(a);
  AdvanceAndSettle(40us);
  auto fb = Submit(b);
  auto fc = Submit(c);
  Settle();
  EXPECT_EQ(batcher_->queue_depth(), 3);
  AdvanceAndSettle(59us);  // a has waited 99us.
  EXPECT_FALSE(Ready(fa));
  EXPECT_FALSE(Ready(fb));
  EXPECT_TRUE(a.Untouched());
  AdvanceAndSettle(1us);
  for (const auto* f : {&fa, &fb, &fc}) {
    const Outcome outcome = Get(*f);
    EXPECT_TRUE(outcome.status.ok()) << outcome.status;
    EXPECT_EQ(outcome.report.batch_requests, 3);
  }
  EXPECT_EQ(Get(fa).report.queued, 100us);
  EXPECT_EQ(Get(fb).report.queued, 60us);
  EXPECT_EQ(a.output, a.expected);
  EXPECT_EQ(b.output, b.expected);
  EXPECT_EQ(c.output, c.expected);
  EXPECT_EQ(Batches(), (std::vector<std::pair<int, int64_t>>{{3, 10 + 7 + 12}}));
  EXPECT_EQ(batcher_->queue_depth(), 0);
}

TEST_F(BatcherTest, ZeroDelaySendsALoneRequestAtOnce) {
  Start({.max_queue_delay = 0us});
  const TestRequest a("gelu", DataType::kFloat32, {100}, 4);
  auto fa = Submit(a);
  EXPECT_TRUE(Get(fa).status.ok());  // No Advance: it did not wait for company.
  EXPECT_EQ(Get(fa).report.batch_requests, 1);
  EXPECT_EQ(a.output, a.expected);
}

TEST_F(BatcherTest, ALoneRequestTheCallerMayComputeRunsOnTheCaller) {
  Start({.max_queue_delay = 0us, .batch_threads = 1});
  const TestRequest a("relu", DataType::kFloat32, {10}, 5);
  auto fa = Submit(a, {}, /*may_run_on_caller=*/true);
  ASSERT_TRUE(Ready(fa));  // Computed before Submit returned.
  EXPECT_TRUE(Get(fa).status.ok());
  EXPECT_TRUE(Get(fa).report.computed_inline);
  EXPECT_EQ(a.output, a.expected);

  // With the only batch slot taken (a request whose cancellation check blocks), the next one queues.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto entered = std::make_shared<std::promise<void>>();
  const TestRequest blocker("relu", DataType::kFloat32, {10}, 6);
  auto fblocker = Submit(blocker, {.cancelled = [released, entered, first = std::make_shared<std::atomic<bool>>(true)] {
                           if (first->exchange(false)) {
                             entered->set_value();
                             released.wait();
                           }
                           return false;
                         }});
  entered->get_future().wait();
  const TestRequest b("relu", DataType::kFloat32, {10}, 7);
  auto fb = Submit(b, {}, /*may_run_on_caller=*/true);
  EXPECT_FALSE(Ready(fb));
  EXPECT_EQ(batcher_->queue_depth(), 1);
  release.set_value();
  EXPECT_TRUE(Get(fblocker).status.ok());
  EXPECT_TRUE(Get(fb).status.ok());
  EXPECT_FALSE(Get(fb).report.computed_inline);
  EXPECT_EQ(b.output, b.expected);
}

TEST_F(BatcherTest, WithADelayTheCallerNeverComputes) {
  Start({.max_queue_delay = 10us});
  const TestRequest a("relu", DataType::kFloat32, {10}, 8);
  auto fa = Submit(a, {}, /*may_run_on_caller=*/true);
  Settle();
  EXPECT_FALSE(Ready(fa));
  AdvanceAndSettle(10us);
  EXPECT_TRUE(Get(fa).status.ok());
  EXPECT_FALSE(Get(fa).report.computed_inline);
}

TEST_F(BatcherTest, SendsAFullBatchWithoutWaiting) {
  Start({.max_batch_requests = 3, .max_queue_delay = 1s});
  std::vector<std::unique_ptr<TestRequest>> requests;
  std::vector<std::shared_future<Outcome>> futures;
  for (int i = 0; i < 4; ++i) {
    requests.push_back(std::make_unique<TestRequest>("leaky_relu(negative_slope=0.2)", DataType::kFloat64,
                                                     std::vector<int64_t>{i + 1, 3}, 10 + i));
    futures.push_back(Submit(*requests.back()));
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Get(futures[i]).status.ok());
    EXPECT_EQ(Get(futures[i]).report.batch_requests, 3);
    EXPECT_EQ(requests[i]->output, requests[i]->expected);
  }
  Settle();
  EXPECT_FALSE(Ready(futures[3]));  // The fourth starts the next batch, which waits.
  AdvanceAndSettle(1s);
  EXPECT_EQ(Get(futures[3]).report.batch_requests, 1);
  EXPECT_EQ(requests[3]->output, requests[3]->expected);
}

TEST_F(BatcherTest, ABatchHoldsAtMostMaxBatchElements) {
  Start({.max_batch_elements = 100, .max_queue_delay = 1s});
  const TestRequest a("relu", DataType::kInt32, {60}, 20);
  const TestRequest b("relu", DataType::kInt32, {60}, 21);
  auto fa = Submit(a);
  auto fb = Submit(b);  // 120 queued elements: full, but b does not fit with a.
  EXPECT_EQ(Get(fa).report.batch_requests, 1);
  Settle();
  EXPECT_FALSE(Ready(fb));
  AdvanceAndSettle(1s);
  EXPECT_TRUE(Get(fb).status.ok());
  EXPECT_EQ(a.output, a.expected);
  EXPECT_EQ(b.output, b.expected);
  EXPECT_TRUE(batcher_->Accepts(a.Prepared()));
  const TestRequest large("relu", DataType::kInt32, {101}, 22);
  EXPECT_FALSE(batcher_->Accepts(large.Prepared()));
}

TEST_F(BatcherTest, AFullQueueAnswersUnavailable) {
  Start({.max_queue_delay = 1s, .max_queue_requests = 2});
  const TestRequest a("relu", DataType::kFloat32, {4}, 30);
  const TestRequest b("relu", DataType::kFloat32, {4}, 31);
  const TestRequest c("relu", DataType::kFloat32, {4}, 32);
  auto fa = Submit(a);
  auto fb = Submit(b);
  auto fc = Submit(c);
  ASSERT_TRUE(Ready(fc));  // Answered before Submit returned.
  EXPECT_EQ(Get(fc).status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Get(fc).status.message(), "batch queue is full (2 requests); retry later");
  EXPECT_TRUE(c.Untouched());
  EXPECT_EQ(batcher_->queue_depth(), 2);
  EXPECT_EQ(batcher_->queue_capacity(), 2);
  AdvanceAndSettle(1s);
  EXPECT_TRUE(Get(fa).status.ok());
  EXPECT_TRUE(Get(fb).status.ok());
}

TEST_F(BatcherTest, ARequestWhoseDeadlinePassesInTheQueueIsNeverComputed) {
  Start({.max_queue_delay = 100us});
  const TestRequest a("silu", DataType::kFloat32, {16}, 40);
  const TestRequest b("silu", DataType::kFloat32, {16}, 41);
  auto fa = Submit(a, {.deadline = clock_.SystemNow() + 50us});
  auto fb = Submit(b, {.deadline = clock_.SystemNow() + 1s});
  AdvanceAndSettle(100us);
  EXPECT_EQ(Get(fa).status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(a.Untouched());
  EXPECT_TRUE(Get(fb).status.ok());
  EXPECT_EQ(Get(fb).report.batch_requests, 1);
  EXPECT_EQ(b.output, b.expected);
  EXPECT_EQ(Batches(), (std::vector<std::pair<int, int64_t>>{{1, 16}}));
}

TEST_F(BatcherTest, ARequestCancelledInTheQueueIsNeverComputed) {
  Start({.max_queue_delay = 100us});
  const TestRequest a("mish", DataType::kFloat32, {16}, 50);
  const TestRequest b("mish", DataType::kFloat32, {16}, 51);
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  auto fa = Submit(a, {.cancelled = [cancelled] { return cancelled->load(); }});
  auto fb = Submit(b);
  AdvanceAndSettle(50us);
  cancelled->store(true);
  AdvanceAndSettle(50us);
  EXPECT_EQ(Get(fa).status.code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(std::string(Get(fa).status.message()), HasSubstr("before it was computed"));
  EXPECT_TRUE(a.Untouched());
  EXPECT_TRUE(Get(fb).status.ok());
  EXPECT_EQ(b.output, b.expected);
}

TEST_F(BatcherTest, ARequestCancelledDuringTheComputationIsAnsweredCancelled) {
  Start({.max_queue_delay = 0us});
  const TestRequest a("relu", DataType::kFloat32, {16}, 60);
  // Not cancelled when the batch forms, cancelled when the kernel has returned.
  auto checks = std::make_shared<std::atomic<int>>(0);
  auto fa = Submit(a, {.cancelled = [checks] { return checks->fetch_add(1) > 0; }});
  EXPECT_EQ(Get(fa).status.code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(std::string(Get(fa).status.message()), HasSubstr("while its batch was computed"));
  EXPECT_EQ(Batches().size(), 1u);  // It was computed; its result was dropped.
}

TEST_F(BatcherTest, RequestsOfDifferentKeysNeverShareABatch) {
  Start({.max_queue_delay = 100us});
  std::vector<std::unique_ptr<TestRequest>> requests;
  const char* specs[] = {"relu", "leaky_relu(negative_slope=0.2)", "leaky_relu(negative_slope=0.3)", "relu"};
  const DataType dtypes[] = {DataType::kFloat32, DataType::kFloat32, DataType::kFloat32, DataType::kInt8};
  std::vector<std::shared_future<Outcome>> futures;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 4; ++i) {
      requests.push_back(std::make_unique<TestRequest>(specs[i], dtypes[i], std::vector<int64_t>{5 + i}, 70 + i));
      futures.push_back(Submit(*requests.back()));
    }
  }
  AdvanceAndSettle(100us);
  for (size_t i = 0; i < futures.size(); ++i) {
    EXPECT_TRUE(Get(futures[i]).status.ok());
    EXPECT_EQ(Get(futures[i]).report.batch_requests, 2) << i;
    EXPECT_EQ(requests[i]->output, requests[i]->expected) << i;
  }
  EXPECT_EQ(Batches().size(), 4u);
}

// PReLU per channel and CReLU concatenate along dim 0 only when their dims after it agree; CReLU along
// dim 0 is computed request by request. Both kernel paths give every request exactly its own result.
class BatcherLayoutTest : public BatcherTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(BatcherLayoutTest, EveryLayoutGetsItsOwnResult) {
  Start({.max_queue_delay = 100us, .max_concat_bytes = GetParam()});
  struct Case {
    const char* spec;
    DataType dtype;
    std::vector<int64_t> shape;
  };
  const std::vector<Case> cases = {
      {"prelu(weight=[0.1, 0.2, 0.3])", DataType::kFloat32, {2, 3, 4}},
      {"prelu(weight=[0.1, 0.2, 0.3])", DataType::kFloat32, {5, 3, 4}},
      {"prelu(weight=[0.1, 0.2, 0.3])", DataType::kFloat32, {1, 3, 7}},
      {"prelu(weight=[0.1, 0.2, 0.3])", DataType::kFloat32, {4, 3}},
      {"prelu", DataType::kBFloat16, {9}},
      {"prelu", DataType::kBFloat16, {2, 4}},
      {"crelu(axis=1)", DataType::kInt16, {2, 3}},
      {"crelu(axis=1)", DataType::kInt16, {4, 3}},
      {"crelu(axis=1)", DataType::kInt16, {4, 5}},
      {"crelu", DataType::kFloat32, {6}},
      {"crelu", DataType::kFloat32, {3}},
      {"crelu", DataType::kFloat32, {2, 2, 3}},
      {"crelu(axis=0)", DataType::kFloat64, {3, 2}},
      {"crelu(axis=0)", DataType::kFloat64, {1, 2}},
      {"sigmoid", DataType::kInt8, {7}},
      {"sigmoid", DataType::kInt8, {2, 2}},
      {"hardtanh(min_val=-2, max_val=3)", DataType::kInt64, {3, 3}},
      {"threshold(threshold=0.5, value=-1)", DataType::kFloat16, {11}},
      {"gelu(approximate=tanh)", DataType::kFloat16, {5}},
      {"gelu(approximate=tanh)", DataType::kFloat16, {0}},
      {"gelu(approximate=tanh)", DataType::kFloat16, {}},
  };
  std::vector<std::unique_ptr<TestRequest>> requests;
  std::vector<std::shared_future<Outcome>> futures;
  for (size_t i = 0; i < cases.size(); ++i) {
    requests.push_back(std::make_unique<TestRequest>(cases[i].spec, cases[i].dtype, cases[i].shape, 100 + i));
    futures.push_back(Submit(*requests.back()));
  }
  AdvanceAndSettle(100us);
  for (size_t i = 0; i < futures.size(); ++i) {
    EXPECT_TRUE(Get(futures[i]).status.ok()) << cases[i].spec << " " << Get(futures[i]).status;
    EXPECT_EQ(requests[i]->output, requests[i]->expected) << i << ": " << cases[i].spec;
  }
  // prelu [*,3,4] x2 | [1,3,7] | [4,3] | prelu bf16 x2 | crelu(1) [*,3] x2 | [4,5] | crelu rank 1 x2 |
  // [2,2,3] | crelu(0) x2 | sigmoid x2 | hardtanh | threshold | gelu x3.
  EXPECT_EQ(Batches().size(), 13u);
}

INSTANTIATE_TEST_SUITE_P(ConcatAndPerRequest, BatcherLayoutTest, ::testing::Values(size_t{0}, size_t{1} << 20));

TEST_F(BatcherTest, DestructionAnswersEverythingQueued) {
  Start({.max_queue_delay = 1s});
  const TestRequest a("tanh", DataType::kFloat32, {8}, 80);
  const TestRequest b("tanh", DataType::kFloat32, {8}, 81);
  auto fa = Submit(a);
  auto fb = Submit(b, {.deadline = clock_.SystemNow() - 1us});
  Settle();
  EXPECT_FALSE(Ready(fa));
  batcher_.reset();  // No Advance: the drain sends what is queued.
  EXPECT_TRUE(Get(fa).status.ok());
  EXPECT_EQ(a.output, a.expected);
  EXPECT_EQ(Get(fb).status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(b.Untouched());
}

TEST_F(BatcherTest, SeveralBatchThreadsComputeEveryRequestOnce) {
  Start({.max_batch_requests = 4, .max_queue_delay = 10us, .batch_threads = 3});
  std::vector<std::unique_ptr<TestRequest>> requests;
  std::vector<std::shared_future<Outcome>> futures;
  for (int i = 0; i < 50; ++i) {
    requests.push_back(std::make_unique<TestRequest>(i % 2 ? "elu(alpha=0.5)" : "hardswish", DataType::kFloat32,
                                                     std::vector<int64_t>{1 + i % 7, 2}, 200 + i));
    futures.push_back(Submit(*requests.back()));
  }
  AdvanceAndSettle(10us);
  int computed = 0;
  for (size_t i = 0; i < futures.size(); ++i) {
    EXPECT_TRUE(Get(futures[i]).status.ok());
    EXPECT_EQ(requests[i]->output, requests[i]->expected) << i;
  }
  for (const auto& [requests_in_batch, elements] : Batches()) {
    EXPECT_LE(requests_in_batch, 4);
    computed += requests_in_batch;
  }
  EXPECT_EQ(computed, 50);
}

}  // namespace
}  // namespace rectifier::server
