// ServerMetrics: every metric's value after known traffic, read back from the text exposition.
#include "server/server_metrics.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/activation_text.h"
#include "tests/server/metrics_test_util.h"
#include "tests/server/test_util.h"

namespace rectifier::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::SampleValue;
using ::testing::HasSubstr;

// A clock the test moves by hand.
struct ManualClock {
  steady_clock::time_point now{};
  std::function<steady_clock::time_point()> Function() {
    return [this] { return now; };
  }
};

// A float32 request of `model` (empty: inline spec) with its input and a caller-chosen "output".
struct FakeRequest {
  std::vector<int64_t> shape;
  std::vector<float> input;
  std::vector<float> output;
  PreparedRequest prepared;

  FakeRequest(std::string_view activation_text, std::vector<int64_t> shape_in, std::vector<float> input_in,
              std::vector<float> output_in, std::string model = "")
      : shape(std::move(shape_in)), input(std::move(input_in)), output(std::move(output_in)) {
    prepared.activation = *ParseActivation(activation_text);
    prepared.input = TensorView{DataType::kFloat32, shape, input.data()};
    prepared.output = MutableTensorView{DataType::kFloat32, shape, output.data()};
    prepared.input_bytes = input.size() * sizeof(float);
    prepared.output_bytes = output.size() * sizeof(float);
    prepared.model = std::move(model);
  }
};

class ServerMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string file = dir_.Write("models.yaml",
                                        "models:\n"
                                        "  - name: stem\n"
                                        "    activation: relu\n"
                                        "  - name: smooth\n"
                                        "    activation: gelu\n");
    auto models = ModelRepository::Create({.models_file = file});
    ASSERT_TRUE(models.ok()) << models.status();
    models_ = std::make_unique<ModelRepository>(std::move(*models));
    auto metrics = ServerMetrics::Create(
        {.models = models_.get(), .dead_unit_window_requests = 3, .now = clock_.Function()});
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    metrics_ = std::move(*metrics);
  }

  double Value(std::string_view series) {
    std::optional<double> value = SampleValue(metrics_->Scrape(), series);
    EXPECT_TRUE(value.has_value()) << "no sample " << series << " in\n" << metrics_->Scrape();
    return value.value_or(std::nan(""));
  }

  // Answers a request of `activation` with `code` after `duration`.
  void Answer(Api api, std::optional<ActivationKind> activation, absl::StatusCode code, milliseconds duration) {
    ServerMetrics::Arrival arrival = metrics_->RequestArrived(api);
    clock_.now += duration;
    metrics_->RequestAnswered(arrival, activation, code);
  }

  rectifier::server::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<ModelRepository> models_;
  std::unique_ptr<ServerMetrics> metrics_;
};

TEST_F(ServerMetricsTest, CountsRequestsByApiActivationAndCode) {
  Answer(Api::kNative, ActivationKind::kRelu, absl::StatusCode::kOk, milliseconds(1));
  Answer(Api::kNative, ActivationKind::kRelu, absl::StatusCode::kOk, milliseconds(1));
  Answer(Api::kOip, ActivationKind::kGelu, absl::StatusCode::kResourceExhausted, milliseconds(1));
  Answer(Api::kNative, std::nullopt, absl::StatusCode::kInvalidArgument, milliseconds(1));
  EXPECT_EQ(Value(R"(rectifier_requests_total{activation="relu",api="native",code="OK"})"), 2);
  EXPECT_EQ(Value(R"(rectifier_requests_total{activation="gelu",api="oip",code="RESOURCE_EXHAUSTED"})"), 1);
  EXPECT_EQ(Value(R"(rectifier_requests_total{activation="unknown",api="native",code="INVALID_ARGUMENT"})"), 1);
  // Only series that happened are exported.
  EXPECT_FALSE(SampleValue(metrics_->Scrape(), R"(rectifier_requests_total{activation="relu",api="oip",code="OK"})"));
}

TEST_F(ServerMetricsTest, RequestDurationHistogramUsesTheInjectedClock) {
  Answer(Api::kNative, ActivationKind::kRelu, absl::StatusCode::kOk, milliseconds(3));
  Answer(Api::kNative, ActivationKind::kRelu, absl::StatusCode::kOk, milliseconds(30));
  const std::string h = R"(rectifier_request_duration_seconds)";
  EXPECT_EQ(Value(h + R"(_count{activation="relu",api="native"})"), 2);
  EXPECT_DOUBLE_EQ(Value(h + R"(_sum{activation="relu",api="native"})"), 0.033);
  EXPECT_EQ(Value(h + R"(_bucket{activation="relu",api="native",le="0.0025"})"), 0);
  EXPECT_EQ(Value(h + R"(_bucket{activation="relu",api="native",le="0.005"})"), 1);
  EXPECT_EQ(Value(h + R"(_bucket{activation="relu",api="native",le="0.025"})"), 1);
  EXPECT_EQ(Value(h + R"(_bucket{activation="relu",api="native",le="0.05"})"), 2);
  EXPECT_EQ(Value(h + R"(_bucket{activation="relu",api="native",le="+Inf"})"), 2);
}

TEST_F(ServerMetricsTest, InflightCountsArrivedUnansweredRequests) {
  ServerMetrics::Arrival a = metrics_->RequestArrived(Api::kNative);
  ServerMetrics::Arrival b = metrics_->RequestArrived(Api::kNative);
  ServerMetrics::Arrival c = metrics_->RequestArrived(Api::kOip);
  EXPECT_EQ(Value(R"(rectifier_inflight_requests{api="native"})"), 2);
  EXPECT_EQ(Value(R"(rectifier_inflight_requests{api="oip"})"), 1);
  metrics_->RequestAnswered(a, ActivationKind::kRelu, absl::StatusCode::kOk);
  metrics_->RequestAnswered(c, ActivationKind::kRelu, absl::StatusCode::kOk);
  EXPECT_EQ(Value(R"(rectifier_inflight_requests{api="native"})"), 1);
  EXPECT_EQ(Value(R"(rectifier_inflight_requests{api="oip"})"), 0);
  metrics_->RequestAnswered(b, ActivationKind::kRelu, absl::StatusCode::kCancelled);
  EXPECT_EQ(Value(R"(rectifier_inflight_requests{api="native"})"), 0);
}

TEST_F(ServerMetricsTest, SuccessfulRunRecordsDurationsElementsBytesAndZeroRatio) {
  // relu of [-1, -0, 2, NaN, -3, 4]: outputs 0, -0, 2, NaN, 0, 4: three zeros (one negative) of six.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  FakeRequest request("relu", {2, 3}, {-1, -0.0f, 2, nan, -3, 4}, {0, -0.0f, 2, nan, 0, 4});
  metrics_->RequestRan(Api::kNative, absl::OkStatus(),
                       RunReport{.request = &request.prepared,
                                 .queued = milliseconds(2),
                                 .computed = std::chrono::microseconds(700)});
  EXPECT_EQ(Value(R"(rectifier_queue_duration_seconds_count{activation="relu",api="native"})"), 1);
  EXPECT_DOUBLE_EQ(Value(R"(rectifier_queue_duration_seconds_sum{activation="relu",api="native"})"), 0.002);
  EXPECT_EQ(Value(R"(rectifier_compute_duration_seconds_bucket{activation="relu",api="native",le="0.0005"})"), 0);
  EXPECT_EQ(Value(R"(rectifier_compute_duration_seconds_bucket{activation="relu",api="native",le="0.001"})"), 1);
  EXPECT_DOUBLE_EQ(Value(R"(rectifier_compute_duration_seconds_sum{activation="relu",api="native"})"), 0.0007);
  EXPECT_EQ(Value(R"(rectifier_elements_total{activation="relu",dtype="float32"})"), 6);
  EXPECT_EQ(Value(R"(rectifier_received_bytes_total{api="native"})"), 24);
  EXPECT_EQ(Value(R"(rectifier_sent_bytes_total{api="native"})"), 24);
  EXPECT_EQ(Value(R"(rectifier_received_bytes_total{api="oip"})"), 0);
  EXPECT_EQ(Value(R"(rectifier_output_zero_ratio_count{activation="relu"})"), 1);
  EXPECT_DOUBLE_EQ(Value(R"(rectifier_output_zero_ratio_sum{activation="relu"})"), 0.5);
  EXPECT_EQ(Value(R"(rectifier_output_zero_ratio_bucket{activation="relu",le="0.4"})"), 0);
  EXPECT_EQ(Value(R"(rectifier_output_zero_ratio_bucket{activation="relu",le="0.5"})"), 1);
  // Without a batcher, the request was a kernel call of its own.
  EXPECT_EQ(Value("rectifier_batch_requests_count"), 1);
  EXPECT_EQ(Value("rectifier_batch_requests_sum"), 1);
  EXPECT_EQ(Value("rectifier_batch_elements_sum"), 6);
}

TEST_F(ServerMetricsTest, FailedRunCountsReceivedBytesAndQueueTimeOnly) {
  FakeRequest request("gelu", {4}, {1, 2, 3, 4}, {0, 0, 0, 0});
  metrics_->RequestRan(Api::kOip, absl::DeadlineExceededError("late"),
                       RunReport{.request = &request.prepared, .queued = milliseconds(5)});
  EXPECT_EQ(Value(R"(rectifier_queue_duration_seconds_count{activation="gelu",api="oip"})"), 1);
  EXPECT_EQ(Value(R"(rectifier_received_bytes_total{api="oip"})"), 16);
  EXPECT_EQ(Value(R"(rectifier_sent_bytes_total{api="oip"})"), 0);
  const std::string text = metrics_->Scrape();
  EXPECT_FALSE(SampleValue(text, R"(rectifier_compute_duration_seconds_count{activation="gelu",api="oip"})"));
  EXPECT_FALSE(SampleValue(text, R"(rectifier_elements_total{activation="gelu",dtype="float32"})"));
  EXPECT_FALSE(SampleValue(text, R"(rectifier_output_zero_ratio_count{activation="gelu"})"));
  EXPECT_EQ(Value("rectifier_batch_requests_count"), 0);
  // A request the runner refused before queueing it has no report to record.
  metrics_->RequestRan(Api::kOip, absl::UnavailableError("full"), RunReport{});
  EXPECT_EQ(Value(R"(rectifier_received_bytes_total{api="oip"})"), 16);
}

TEST_F(ServerMetricsTest, BatchHistogramsAndQueueGauges) {
  metrics_->BatchComputed(3, 3000);
  metrics_->BatchComputed(40, 70000);
  EXPECT_EQ(Value(R"(rectifier_batch_requests_bucket{le="2"})"), 0);
  EXPECT_EQ(Value(R"(rectifier_batch_requests_bucket{le="4"})"), 1);
  EXPECT_EQ(Value(R"(rectifier_batch_requests_bucket{le="64"})"), 2);
  EXPECT_EQ(Value("rectifier_batch_requests_sum"), 43);
  EXPECT_EQ(Value(R"(rectifier_batch_elements_bucket{le="4096"})"), 1);
  EXPECT_EQ(Value(R"(rectifier_batch_elements_bucket{le="65536"})"), 1);
  EXPECT_EQ(Value(R"(rectifier_batch_elements_bucket{le="262144"})"), 2);
  EXPECT_EQ(Value("rectifier_batch_elements_sum"), 73000);

  metrics_->SetQueueState({.depth = 7, .capacity = 64});
  EXPECT_EQ(Value("rectifier_queue_depth"), 7);
  EXPECT_EQ(Value("rectifier_queue_capacity"), 64);
  int64_t depth = 11;
  metrics_->SetQueueProbe([&depth] { return QueueState{.depth = depth, .capacity = 128}; });
  EXPECT_EQ(Value("rectifier_queue_depth"), 11);
  depth = 12;  // Read at every scrape.
  EXPECT_EQ(Value("rectifier_queue_depth"), 12);
  EXPECT_EQ(Value("rectifier_queue_capacity"), 128);
}

TEST(ServerMetricsBatchTest, BatcherReportsReplaceRunReports) {
  auto models = ModelRepository::Create({});
  ASSERT_TRUE(models.ok());
  auto metrics = ServerMetrics::Create({.models = &*models, .batches_from_run_reports = false});
  ASSERT_TRUE(metrics.ok());
  FakeRequest request("relu", {2}, {1, 2}, {1, 2});
  (*metrics)->RequestRan(Api::kNative, absl::OkStatus(), RunReport{.request = &request.prepared, .batch_requests = 4});
  EXPECT_EQ(SampleValue((*metrics)->Scrape(), "rectifier_batch_requests_count"), 0);
  (*metrics)->BatchComputed(4, 8);
  EXPECT_EQ(SampleValue((*metrics)->Scrape(), "rectifier_batch_requests_sum"), 4);
}

TEST_F(ServerMetricsTest, DeadChannelsOfRepositoryModelsOverTheWindow) {
  // Shape [2, 4]: channel c holds elements c and 4 + c. Channel 2 gets -1, -0, NaN: never > 0.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto run = [&](std::vector<float> input, std::string model) {
    FakeRequest request("relu", {2, 4}, input, input, std::move(model));
    metrics_->RequestRan(Api::kNative, absl::OkStatus(), RunReport{.request = &request.prepared});
  };
  EXPECT_FALSE(SampleValue(metrics_->Scrape(), R"(rectifier_dead_channels_ratio{model="stem"})"));
  run({1, -1, -1, 0, -1, 2, -0.0f, 0}, "stem");
  run({-1, -1, nan, 3, 5, 1, -2, -1}, "stem");
  EXPECT_EQ(Value(R"(rectifier_dead_channels_ratio{model="stem"})"), 0.25);
  absl::StatusOr<DeadUnitStats> stats = metrics_->ModelStats("stem");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->window_requests, 3);
  EXPECT_EQ(stats->requests_in_window, 2);
  EXPECT_THAT(stats->channel_requests, ::testing::ElementsAre(2, 2, 2, 2));
  EXPECT_THAT(stats->channel_active_requests, ::testing::ElementsAre(2, 2, 0, 1));
  EXPECT_THAT(stats->dead_channels, ::testing::ElementsAre(2));
  // Inline specs (no model) are not tracked; so the window still holds 2 requests.
  run({-1, -1, 9, -1, -1, -1, -1, -1}, "");
  EXPECT_EQ(metrics_->ModelStats("stem")->requests_in_window, 2);
  // Three requests in which channel 2 is active push the dead ones out of the window (size 3), and
  // channels 0, 1 and 3 die.
  for (int i = 0; i < 3; ++i) run({-1, -1, 1, -1, -1, -1, -1, -1}, "stem");
  stats = metrics_->ModelStats("stem");
  EXPECT_THAT(stats->channel_active_requests, ::testing::ElementsAre(0, 0, 3, 0));
  EXPECT_THAT(stats->dead_channels, ::testing::ElementsAre(0, 1, 3));
  EXPECT_EQ(Value(R"(rectifier_dead_channels_ratio{model="stem"})"), 0.75);
}

TEST_F(ServerMetricsTest, ModelStatsErrors) {
  EXPECT_EQ(metrics_->ModelStats("nope").status().code(), absl::StatusCode::kNotFound);
  absl::Status smooth = metrics_->ModelStats("smooth").status();
  EXPECT_EQ(smooth.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(smooth.message()), HasSubstr("gelu"));
  // Built-in ReLU-family models are tracked too.
  EXPECT_TRUE(metrics_->ModelStats("leaky_relu").ok());
  EXPECT_FALSE(metrics_->ModelStats("hardtanh").ok());
}

TEST_F(ServerMetricsTest, BuildInfoAndProcessMetrics) {
  const std::string text = metrics_->Scrape();
  EXPECT_THAT(text, HasSubstr("rectifier_build_info{isa=\""));
  EXPECT_THAT(text, HasSubstr("version=\"0.1.0\"} 1"));
  EXPECT_THAT(text, ::testing::ContainsRegex("onednn_version=\"[0-9]+\\.[0-9]+\\.[0-9]+\""));
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
    EXPECT_TRUE(SampleValue(text, name).has_value()) << name;
  }
}

TEST_F(ServerMetricsTest, ExpositionPassesPromtool) {
  Answer(Api::kNative, ActivationKind::kRelu, absl::StatusCode::kOk, milliseconds(1));
  Answer(Api::kOip, std::nullopt, absl::StatusCode::kNotFound, milliseconds(1));
  FakeRequest request("relu", {2, 2}, {1, -1, 1, -1}, {1, 0, 1, 0}, "stem");
  metrics_->RequestRan(Api::kNative, absl::OkStatus(), RunReport{.request = &request.prepared});
  const std::string file = dir_.Write("metrics.txt", metrics_->Scrape());
  const std::string command = "promtool check metrics < '" + file + "' > '" + dir_.Path("promtool.log") + "' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream log(dir_.Path("promtool.log"));
  std::string output((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(status, 0) << "promtool check metrics:\n" << output << "\non:\n" << metrics_->Scrape();
}

TEST(ServerMetricsOptionsTest, RejectsBadOptions) {
  auto models = ModelRepository::Create({});
  ASSERT_TRUE(models.ok());
  EXPECT_EQ(ServerMetrics::Create({}).status().message(), "models must be set; was null");
  EXPECT_EQ(ServerMetrics::Create({.models = &*models, .dead_unit_window_requests = 0}).status().message(),
            "dead_unit_window_requests must be positive; was 0");
  EXPECT_EQ(ServerMetrics::Create({.models = &*models, .dead_unit_max_channels = -1}).status().message(),
            "dead_unit_max_channels must be positive; was -1");
}

TEST(ApiNameTest, LabelValues) {
  EXPECT_EQ(ApiName(Api::kNative), "native");
  EXPECT_EQ(ApiName(Api::kOip), "oip");
  int family = 0;
  for (int k = 0; k < kNumActivationKinds; ++k) family += IsReluFamily(static_cast<ActivationKind>(k)) ? 1 : 0;
  EXPECT_EQ(family, 8);
}

}  // namespace
}  // namespace rectifier::server
