// A real RectifierServer with its /metrics endpoint on a loopback port: rectifier.v1 traffic shows in the
// scraped metrics, and GetModelStats reports the dead channels of a repository model.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "tests/server/metrics_test_util.h"
#include "tests/server/server_fixture.h"

namespace rectifier::server::itest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::SampleValue;

// GET http://127.0.0.1:<port><path> with a plain socket; returns the whole response (headers and body).
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[8192];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return response;
}

class MetricsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string file = dir_.Write("models.yaml", "models:\n  - name: stem\n    activation: relu\n");
    auto models = ModelRepository::Create({.models_file = file});
    ASSERT_TRUE(models.ok()) << models.status();
    models_ = std::make_unique<ModelRepository>(std::move(*models));
    RectifierServerOptions options = LoopbackOptions(models_.get());
    options.metrics_address = "127.0.0.1:0";
    options.dead_unit_window_requests = 5;
    server_ = StartServer(options);
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(server_->metrics_port(), 0);
    stub_ = v1::ActivationService::NewStub(MakeChannel(server_->port()));
  }

  grpc::Status Apply(const v1::ApplyRequest& request) {
    grpc::ClientContext context;
    v1::ApplyResponse response;
    return stub_->Apply(&context, request, &response);
  }

  ScratchDir dir_;
  std::unique_ptr<ModelRepository> models_;
  std::unique_ptr<RectifierServer> server_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
};

TEST_F(MetricsIntegrationTest, TrafficShowsOnTheMetricsEndpoint) {
  // 3 relu requests of 1000 float32 elements (one computed on the executor), 1 with a bad shape, 1
  // naming an unknown model.
  for (int64_t elements : {1000, 1000, 1 << 16}) {
    ASSERT_TRUE(Apply(LargeRequest(elements, "relu")).ok());
  }
  v1::ApplyRequest bad = LargeRequest(1000, "gelu");
  bad.mutable_input()->add_shape(7);
  EXPECT_EQ(Apply(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ApplyRequest unknown = LargeRequest(10, "relu");
  unknown.clear_activation();
  unknown.set_model("client-chosen-name");
  EXPECT_EQ(Apply(unknown).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string response = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_THAT(response, HasSubstr("200 OK"));
  const std::string body = response.substr(response.find("\r\n\r\n") + 4);
  EXPECT_EQ(SampleValue(body, R"(rectifier_requests_total{activation="relu",api="native",code="OK"})"), 3);
  EXPECT_EQ(SampleValue(body, R"(rectifier_requests_total{activation="gelu",api="native",code="INVALID_ARGUMENT"})"), 1);
  EXPECT_EQ(SampleValue(body, R"(rectifier_requests_total{activation="unknown",api="native",code="NOT_FOUND"})"), 1);
  EXPECT_THAT(body, ::testing::Not(HasSubstr("client-chosen-name")));
  EXPECT_EQ(SampleValue(body, R"(rectifier_request_duration_seconds_count{activation="relu",api="native"})"), 3);
  EXPECT_EQ(SampleValue(body, R"(rectifier_elements_total{activation="relu",dtype="float32"})"), 2000 + (1 << 16));
  EXPECT_EQ(SampleValue(body, R"(rectifier_received_bytes_total{api="native"})"), 4 * (2000 + (1 << 16)));
  EXPECT_EQ(SampleValue(body, R"(rectifier_sent_bytes_total{api="native"})"), 4 * (2000 + (1 << 16)));
  EXPECT_EQ(SampleValue(body, R"(rectifier_output_zero_ratio_count{activation="relu"})"), 3);
  EXPECT_EQ(SampleValue(body, R"(rectifier_inflight_requests{api="native"})"), 0);
  EXPECT_EQ(SampleValue(body, "rectifier_batch_requests_count"), 3);
  EXPECT_EQ(SampleValue(body, "rectifier_queue_depth"), 0);
  EXPECT_EQ(SampleValue(body, "rectifier_queue_capacity"), 4096);
  EXPECT_THAT(body, HasSubstr("process_cpu_seconds_total"));
  EXPECT_THAT(body, HasSubstr("rectifier_build_info{"));
}

TEST_F(MetricsIntegrationTest, GetModelStatsReportsDeadChannels) {
  // Shape [2, 3]: channel 1 is never > 0.
  v1::ApplyRequest request;
  request.set_model("stem");
  const std::vector<int64_t> shape = {2, 3};
  std::string data;
  for (float v : {1.0f, -1.0f, -2.0f, -3.0f, -0.0f, 4.0f}) AppendRaw(&data, v);
  SetTensor(request.mutable_input(), DataType::kFloat32, shape, data);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Apply(request).ok());

  grpc::ClientContext context;
  v1::GetModelStatsRequest stats_request;
  stats_request.set_model("stem");
  v1::GetModelStatsResponse stats;
  grpc::Status status = stub_->GetModelStats(&context, stats_request, &stats);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stats.model(), "stem");
  EXPECT_EQ(stats.window_requests(), 5);
  EXPECT_EQ(stats.requests_in_window(), 3);
  ASSERT_EQ(stats.channels_size(), 3);
  EXPECT_EQ(stats.channels(0).requests(), 3);
  EXPECT_EQ(stats.channels(0).active_requests(), 3);
  EXPECT_EQ(stats.channels(1).active_requests(), 0);
  EXPECT_EQ(stats.channels(2).active_requests(), 3);
  EXPECT_THAT(stats.dead_channels(), ElementsAre(1));
  EXPECT_DOUBLE_EQ(stats.dead_channels_ratio(), 1.0 / 3);

  const std::string body = HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(body, HasSubstr("rectifier_dead_channels_ratio{model=\"stem\"} 0.33333"));

  auto call = [&](const std::string& model) {
    grpc::ClientContext c;
    v1::GetModelStatsRequest r;
    r.set_model(model);
    v1::GetModelStatsResponse ignored;
    return stub_->GetModelStats(&c, r, &ignored);
  };
  EXPECT_EQ(call("nope").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(call("gelu").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(MetricsEndpointTest, BusyPortIsUnavailable) {
  auto models = BuiltInModels();
  RectifierServerOptions options = LoopbackOptions(models.get());
  options.metrics_address = "127.0.0.1:0";
  auto first = StartServer(options);
  ASSERT_NE(first, nullptr);
  options.metrics_address = "127.0.0.1:" + std::to_string(first->metrics_port());
  auto second = RectifierServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("--metrics-address"));
}

}  // namespace
}  // namespace rectifier::server::itest
