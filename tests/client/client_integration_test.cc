// The client library against real servers: an in-process RectifierServer (results compared bitwise with
// the kernel library, server errors passed through, async, streaming, listing, health, deadlines, bearer
// tokens, TLS and mutual TLS, NOT_SERVING during a drain, and the CLI's health exit codes), counting fake
// services (gRPC's retries of UNAVAILABLE as configured, round robin across addresses), and the
// rectifier-server binary stopped and restarted on the same port while a client keeps calling.
#include <atomic>
#include <future>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rectifier/client/activation_spec.h"
#include "rectifier/client/client.h"
#include "rectifier/client/tensor.h"
#include "tests/server/server_fixture.h"
#include "tests/server/server_process.h"

#ifndef RECTIFIER_CLI_BINARY
#error "RECTIFIER_CLI_BINARY must name the rectifier CLI binary"
#endif

namespace rectifier::server::itest {
namespace {

namespace rc = ::rectifier::client;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<rc::Client> ClientFor(const std::string& target,
                                      const std::function<void(rc::ClientOptions&)>& customize = nullptr) {
  rc::ClientOptions options;
  options.target = target;
  options.default_deadline = 10000ms;
  if (customize) customize(options);
  absl::StatusOr<std::unique_ptr<rc::Client>> client = rc::Client::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = BuiltInModels();
    ASSERT_NE(models_, nullptr);
  }
  std::unique_ptr<RectifierServer> Start(const std::function<void(RectifierServerOptions&)>& customize = nullptr) {
    RectifierServerOptions options = LoopbackOptions(models_.get());
    if (customize) customize(options);
    return StartServer(options);
  }
  std::unique_ptr<ModelRepository> models_;
};

TEST_F(ClientTest, ApplyReturnsTheKernelResultForSpansOfEveryFloatType) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(LoopbackTarget(server->port()));
  ASSERT_NE(client, nullptr);
  absl::StatusOr<v1::Activation> spec = rc::ParseActivationSpec("leaky_relu(negative_slope=0.2)");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const Activation activation = ParseOrDie("leaky_relu(negative_slope=0.2)");
  const std::vector<int64_t> shape = {3, 5};
  for (DataType dtype : {DataType::kFloat32, DataType::kFloat64, DataType::kFloat16, DataType::kBFloat16}) {
    const std::string data = RandomData(dtype, 15, 3);
    absl::StatusOr<v1::Tensor> input = rc::MakeTensorFromBytes(
        ProtoType(dtype), shape, std::as_bytes(std::span<const char>(data.data(), data.size())));
    ASSERT_TRUE(input.ok()) << input.status();
    absl::StatusOr<v1::Tensor> output = client->Apply(*spec, *std::move(input));
    ASSERT_TRUE(output.ok()) << output.status();
    EXPECT_TRUE(SameAsKernel(*output, KernelApply(activation, dtype, shape, data))) << DataTypeName(dtype);
  }
  // Typed helpers: float values in, a view of the float results out.
  const std::vector<float> x = {-2.0f, -0.5f, 0.0f, 0.5f, 2.0f};
  absl::StatusOr<v1::Tensor> y = client->Apply(*spec, rc::MakeTensor(x));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(*rc::TensorValues<float>(*y), ElementsAre(-0.4f, -0.1f, 0.0f, 0.5f, 2.0f));
  const std::vector<rc::Float16> halves = {rc::ToFloat16(-1.0f), rc::ToFloat16(3.0f)};
  absl::StatusOr<v1::Tensor> half_output = client->ApplyModel("relu", rc::MakeTensor(halves));
  ASSERT_TRUE(half_output.ok()) << half_output.status();
  std::span<const rc::Float16> half_values = *rc::TensorValues<rc::Float16>(*half_output);
  EXPECT_EQ(rc::FromFloat16(half_values[0]), 0.0f);
  EXPECT_EQ(rc::FromFloat16(half_values[1]), 3.0f);
}

TEST_F(ClientTest, ServerErrorsKeepTheirCodeAndMessage) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(LoopbackTarget(server->port()));
  v1::Activation bad;
  bad.mutable_celu()->set_alpha(0);
  absl::StatusOr<v1::Tensor> output = client->Apply(bad, rc::MakeTensor(std::vector<float>{1.0f}));
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(output.status().message(), "activation.celu.alpha must be non-zero; was 0");

  output = client->ApplyModel("no_such_model", rc::MakeTensor(std::vector<float>{1.0f}));
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(output.status().message(), HasSubstr("no_such_model"));
}

TEST_F(ClientTest, AsyncCallbacksAndFuturesComplete) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(LoopbackTarget(server->port()));
  constexpr int kCalls = 32;
  std::atomic<int> ok{0}, done{0};
  for (int i = 0; i < kCalls; ++i) {
    v1::ApplyRequest request;
    request.set_model("relu");
    *request.mutable_input() = rc::MakeTensor(std::vector<float>{-1.0f, static_cast<float>(i)});
    client->ApplyAsync(std::move(request), [&, i](absl::StatusOr<v1::ApplyResponse> response) {
      if (response.ok()) {
        std::span<const float> values = *rc::TensorValues<float>(response->output());
        if (values.size() == 2 && values[0] == 0.0f && values[1] == static_cast<float>(i)) ++ok;
      }
      ++done;
    });
  }
  v1::ApplyRequest request;
  request.set_model("relu6");
  *request.mutable_input() = rc::MakeTensor(std::vector<double>{7.0});
  absl::StatusOr<v1::ApplyResponse> response = client->ApplyAsync(std::move(request)).get();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(*rc::TensorValues<double>(response->output()), ElementsAre(6.0));
  ASSERT_TRUE(WaitFor([&] { return done.load() == kCalls; }, 20000ms));
  EXPECT_EQ(ok.load(), kCalls);
}

TEST_F(ClientTest, StreamAnswersEveryRequestInOrderAndABadOneFailsAlone) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(LoopbackTarget(server->port()));
  constexpr int kRequests = 64;
  std::vector<v1::ApplyRequest> requests(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    requests[i].mutable_activation()->mutable_hardtanh()->set_max_val(i);
    if (i == 17) requests[i].mutable_activation()->mutable_hardtanh()->set_max_val(-5);  // Below min_val.
    *requests[i].mutable_input() = rc::MakeTensor(std::vector<float>{-3.0f, 1000.0f});
  }
  std::vector<size_t> progress;
  absl::StatusOr<std::vector<v1::ApplyResponse>> responses =
      client->ApplyStream(requests, {}, [&](size_t done, size_t total) {
        EXPECT_EQ(total, static_cast<size_t>(kRequests));
        progress.push_back(done);
      });
  ASSERT_TRUE(responses.ok()) << responses.status();
  ASSERT_EQ(responses->size(), static_cast<size_t>(kRequests));
  EXPECT_EQ(progress.size(), static_cast<size_t>(kRequests));
  for (int i = 0; i < kRequests; ++i) {
    const v1::ApplyResponse& response = (*responses)[i];
    EXPECT_EQ(response.request_id(), std::to_string(i));
    if (i == 17) {
      EXPECT_EQ(rc::StatusOf(response).code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(rc::StatusOf(response).message(), HasSubstr("max_val"));
      continue;
    }
    ASSERT_TRUE(rc::StatusOf(response).ok()) << rc::StatusOf(response);
    EXPECT_THAT(*rc::TensorValues<float>(response.output()), ElementsAre(-1.0f, static_cast<float>(i)));
  }
  requests[1].set_request_id("0");
  absl::StatusOr<std::vector<v1::ApplyResponse>> duplicate = client->ApplyStream(requests);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, ListsTheCatalogueAndTheModels) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(LoopbackTarget(server->port()));
  absl::StatusOr<v1::ListActivationsResponse> activations = client->ListActivations();
  ASSERT_TRUE(activations.ok()) << activations.status();
  EXPECT_EQ(activations->activations_size(), kNumActivationKinds);
  absl::StatusOr<v1::ListModelsResponse> models = client->ListModels();
  ASSERT_TRUE(models.ok()) << models.status();
  std::vector<std::string> names;
  for (const auto& model : models->models()) names.push_back(model.name());
  EXPECT_THAT(names, ::testing::Contains("leaky_relu"));
}

TEST_F(ClientTest, HealthIsServingAndAnUnknownServiceIsNotFound) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(LoopbackTarget(server->port()));
  EXPECT_EQ(client->Health().value_or(rc::ServingStatus::kUnknown), rc::ServingStatus::kServing);
  EXPECT_EQ(client->Health("rectifier.v1.ActivationService").value_or(rc::ServingStatus::kUnknown),
            rc::ServingStatus::kServing);
  absl::StatusOr<rc::ServingStatus> unknown = client->Health("no.such.Service");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, ACallPastItsDeadlineIsDeadlineExceeded) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(LoopbackTarget(server->port()));
  const v1::ApplyRequest large = LargeRequest(int64_t{1} << 22, "gelu");  // 16 MiB: far more than 1 ms of work.
  absl::StatusOr<v1::ApplyResponse> response = client->Apply(large, {.timeout = 1ms});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  // The default deadline applies when the call sets none.
  auto hasty = ClientFor(LoopbackTarget(server->port()), [](rc::ClientOptions& o) { o.default_deadline = 1ms; });
  EXPECT_EQ(hasty->Apply(large).status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(client->Apply(large).ok());
}

TEST_F(ClientTest, BearerTokenIsSentAndHealthNeedsNone) {
  auto server = Start([](RectifierServerOptions& o) { o.auth_tokens = {"s3cret-token"}; });
  ASSERT_NE(server, nullptr);
  const v1::Tensor input = rc::MakeTensor(std::vector<float>{-1.0f});
  auto anonymous = ClientFor(LoopbackTarget(server->port()));
  EXPECT_EQ(anonymous->ApplyModel("relu", input).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(anonymous->ListModels().status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(anonymous->Health().value_or(rc::ServingStatus::kUnknown), rc::ServingStatus::kServing);
  auto wrong = ClientFor(LoopbackTarget(server->port()), [](rc::ClientOptions& o) { o.bearer_token = "guess"; });
  EXPECT_EQ(wrong->ApplyModel("relu", input).status().code(), absl::StatusCode::kUnauthenticated);
  auto authorised =
      ClientFor(LoopbackTarget(server->port()), [](rc::ClientOptions& o) { o.bearer_token = "s3cret-token"; });
  EXPECT_TRUE(authorised->ApplyModel("relu", input).ok());
  EXPECT_TRUE(authorised->ApplyStream({v1::ApplyRequest()}).ok()) << "the stream is authorised (its request fails alone)";
}

TEST_F(ClientTest, TlsAndMutualTls) {
  ScratchDir dir;
  std::optional<TestPki> pki = GenerateTestPki(dir);
  ASSERT_TRUE(pki.has_value());
  auto server = Start([&](RectifierServerOptions& o) {
    o.tls = TlsOptions{.certificate_chain_pem = pki->server_cert_pem, .private_key_pem = pki->server_key_pem,
                       .client_ca_pem = pki->ca_pem};
  });
  ASSERT_NE(server, nullptr);
  const v1::Tensor input = rc::MakeTensor(std::vector<float>{-1.0f, 2.0f});
  auto mutual = ClientFor(LoopbackTarget(server->port()), [&](rc::ClientOptions& o) {
    o.tls = {.enabled = true, .root_certs_file = dir.Path("ca.pem"), .client_cert_file = dir.Path("client.pem"),
             .client_key_file = dir.Path("client.key")};
  });
  absl::StatusOr<v1::Tensor> output = mutual->ApplyModel("relu", input);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_THAT(*rc::TensorValues<float>(*output), ElementsAre(0.0f, 2.0f));
  // The host name checked can be overridden (the certificate also names localhost).
  auto by_name = ClientFor(LoopbackTarget(server->port()), [&](rc::ClientOptions& o) {
    o.tls = {.enabled = true, .root_certs_file = dir.Path("ca.pem"), .client_cert_file = dir.Path("client.pem"),
             .client_key_file = dir.Path("client.key"), .server_name_override = "localhost"};
  });
  EXPECT_TRUE(by_name->ApplyModel("relu", input).ok());

  auto no_client_cert = ClientFor(LoopbackTarget(server->port()), [&](rc::ClientOptions& o) {
    o.tls = {.enabled = true, .root_certs_file = dir.Path("ca.pem")};
    o.retry.max_attempts = 1;
  });
  EXPECT_EQ(no_client_cert->ApplyModel("relu", input).status().code(), absl::StatusCode::kUnavailable);
  auto plaintext = ClientFor(LoopbackTarget(server->port()), [](rc::ClientOptions& o) { o.retry.max_attempts = 1; });
  EXPECT_EQ(plaintext->ApplyModel("relu", input).status().code(), absl::StatusCode::kUnavailable);
  auto wrong_ca = ClientFor(LoopbackTarget(server->port()), [&](rc::ClientOptions& o) {
    o.tls = {.enabled = true, .root_certs_file = dir.Path("rogue_ca.pem"), .client_cert_file = dir.Path("client.pem"),
             .client_key_file = dir.Path("client.key")};
    o.retry.max_attempts = 1;
  });
  EXPECT_EQ(wrong_ca->ApplyModel("relu", input).status().code(), absl::StatusCode::kUnavailable);
}

// Runs the CLI; its exit code, or -1 when it did not exit normally within 30 s.
int RunCli(const ScratchDir& dir, std::vector<std::string> args) {
  ServerProcess cli(dir, std::move(args), RECTIFIER_CLI_BINARY);
  std::optional<int> status = cli.Wait(30000ms);
  return status.has_value() && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

TEST_F(ClientTest, HealthIsNotServingDuringTheDrainAndTheCliExitCodesSaySo) {
  ScratchDir dir;
  auto server = Start();
  ASSERT_NE(server, nullptr);
  const std::string address = LoopbackTarget(server->port());
  auto client = ClientFor(address);
  EXPECT_EQ(RunCli(dir, {"health", "--address", address}), 0);

  StalledStream stalled(server->port(), 8);  // Holds the drain open.
  ASSERT_TRUE(stalled.Stall());
  std::future<int64_t> shutdown = std::async(std::launch::async, [&] { return server->Shutdown(10000ms); });
  ASSERT_TRUE(WaitFor([&] { return server->gate().stopping(); }, 5000ms));
  EXPECT_EQ(client->Health().value_or(rc::ServingStatus::kUnknown), rc::ServingStatus::kNotServing);
  EXPECT_EQ(RunCli(dir, {"health", "--address", address}), 1);
  EXPECT_EQ(RunCli(dir, {"health", "--address", address, "--service", "rectifier.v1.ActivationService"}), 1);
  stalled.ReadToEnd();
  shutdown.get();
  server.reset();
  EXPECT_EQ(RunCli(dir, {"health", "--address", address, "--max-attempts", "1"}), 2);
  EXPECT_EQ(RunCli(dir, {"health", "--address", address, "--deadline", "300ms"}), 2);
}

// ---------------------------------------------------------------------------------------------------------
// Retries and load balancing, against services that count their calls.

class CountingService final : public v1::ActivationService::Service {
 public:
  explicit CountingService(grpc::StatusCode code) : code_(code) {}
  grpc::Status Apply(grpc::ServerContext*, const v1::ApplyRequest*, v1::ApplyResponse*) override {
    ++calls_;
    return code_ == grpc::StatusCode::OK ? grpc::Status::OK : grpc::Status(code_, "counted");
  }
  int calls() const { return calls_.load(); }

 private:
  grpc::StatusCode code_;
  std::atomic<int> calls_{0};
};

struct CountingServer {
  explicit CountingServer(grpc::StatusCode code) : service(code) {
    grpc::ServerBuilder builder;
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // Else port 0 may share another test's port.
    builder.SetMaxReceiveMessageSize(-1);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~CountingServer() { server->Shutdown(std::chrono::system_clock::now()); }
  CountingService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

void FastRetries(rc::ClientOptions& options, int attempts) {
  options.retry = {.max_attempts = attempts, .initial_backoff = 10ms, .max_backoff = 20ms, .backoff_multiplier = 2};
}

TEST(ClientRetryTest, UnavailableIsRetriedExactlyAsConfigured) {
  for (int attempts : {1, 3, 5}) {
    CountingServer server(grpc::StatusCode::UNAVAILABLE);
    auto client = ClientFor(LoopbackTarget(server.port), [&](rc::ClientOptions& o) { FastRetries(o, attempts); });
    absl::StatusOr<v1::ApplyResponse> response = client->Apply(v1::ApplyRequest());
    EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(response.status().message(), "counted");
    EXPECT_EQ(server.service.calls(), attempts) << "max_attempts " << attempts;
  }
}

TEST(ClientRetryTest, OtherCodesAreNotRetried) {
  CountingServer server(grpc::StatusCode::INVALID_ARGUMENT);
  auto client = ClientFor(LoopbackTarget(server.port), [](rc::ClientOptions& o) { FastRetries(o, 5); });
  EXPECT_EQ(client->Apply(v1::ApplyRequest()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.service.calls(), 1);
}

TEST(ClientRetryTest, LargeRequestsAreRetriedToo) {
  CountingServer server(grpc::StatusCode::UNAVAILABLE);
  auto client = ClientFor(LoopbackTarget(server.port), [](rc::ClientOptions& o) { FastRetries(o, 3); });
  absl::Status status = client->Apply(LargeRequest(int64_t{1} << 20, "relu")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(status.message(), "counted") << status;
  EXPECT_EQ(server.service.calls(), 3) << "a 4 MiB request exceeds gRPC's default 256 KiB retry buffer";
}

TEST(ClientLoadBalancingTest, RoundRobinSpreadsCallsOverEveryAddress) {
  CountingServer a(grpc::StatusCode::OK), b(grpc::StatusCode::OK);
  const std::string target = "ipv4:127.0.0.1:" + std::to_string(a.port) + ",127.0.0.1:" + std::to_string(b.port);
  auto client = ClientFor(target);
  // round_robin picks among the connections that are ready: until the second one is, every call goes to the
  // first (seen under AddressSanitizer: 12 and 8 of 20). Spread is measured once both have answered.
  int warm_up_calls = 0;
  while ((a.service.calls() == 0 || b.service.calls() == 0) && warm_up_calls < 200) {
    ASSERT_TRUE(client->Apply(v1::ApplyRequest()).ok());
    ++warm_up_calls;
  }
  ASSERT_GT(a.service.calls(), 0) << "no call reached the first address in " << warm_up_calls;
  ASSERT_GT(b.service.calls(), 0) << "no call reached the second address in " << warm_up_calls;
  const int a_before = a.service.calls(), b_before = b.service.calls();
  constexpr int kCalls = 20;
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(client->Apply(v1::ApplyRequest()).ok());
  EXPECT_EQ(a.service.calls() - a_before + b.service.calls() - b_before, kCalls);
  EXPECT_GE(a.service.calls() - a_before, kCalls / 2 - 1);
  EXPECT_GE(b.service.calls() - b_before, kCalls / 2 - 1);

  // A dns:/// target (a headless Kubernetes Service in production) goes through the same policy.
  const int before_by_name = a.service.calls() + b.service.calls();
  auto by_name = ClientFor("dns:///localhost:" + std::to_string(a.port));
  ASSERT_TRUE(by_name->Apply(v1::ApplyRequest()).ok());
  EXPECT_EQ(a.service.calls() + b.service.calls(), before_by_name + 1);

  CountingServer c(grpc::StatusCode::OK), d(grpc::StatusCode::OK);
  auto pinned = ClientFor("ipv4:127.0.0.1:" + std::to_string(c.port) + ",127.0.0.1:" + std::to_string(d.port),
                          [](rc::ClientOptions& o) { o.load_balancing = "pick_first"; });
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(pinned->Apply(v1::ApplyRequest()).ok());
  EXPECT_EQ(std::max(c.service.calls(), d.service.calls()), kCalls);
}

// ---------------------------------------------------------------------------------------------------------
// The server binary restarted on the same port while a client keeps calling.

std::unique_ptr<ServerProcess> StartBinary(const ScratchDir& dir, int port) {
  auto process = std::make_unique<ServerProcess>(
      dir, std::vector<std::string>{"--address", LoopbackTarget(port), "--metrics-address=", "--threads", "1",
                                    "--shutdown-grace", "1s"});
  EXPECT_TRUE(process->started());
  return process;
}

TEST(ClientRestartTest, CallsSucceedAcrossAServerRestartWithRetries) {
  ScratchDir dir;
  const int port = FreePort();
  ASSERT_GT(port, 0);
  std::unique_ptr<ServerProcess> server = StartBinary(dir, port);
  // Waits of U(0, 2 s), U(0, 4 s), U(0, 5 s), U(0, 5 s) between the 5 attempts: 8 s on average, far more
  // than the restart below takes (the chance that they add up to under a second is about 1 in 5000).
  auto client = ClientFor(LoopbackTarget(port), [](rc::ClientOptions& o) {
    o.retry = {.max_attempts = 5, .initial_backoff = 2000ms, .max_backoff = 5000ms, .backoff_multiplier = 2};
    o.max_reconnect_backoff = 200ms;
    o.default_deadline = 60000ms;
  });
  ASSERT_TRUE(WaitFor([&] { return client->Health({}, {.timeout = 500ms}).value_or(rc::ServingStatus::kUnknown) ==
                                   rc::ServingStatus::kServing; },
                      30000ms));

  std::atomic<bool> stop{false};
  std::atomic<int> succeeded{0};
  std::vector<absl::Status> failures;
  std::thread caller([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::vector<float> x = {-1.0f, static_cast<float>(i)};
      absl::StatusOr<v1::Tensor> y = client->ApplyModel("relu", rc::MakeTensor(x));
      if (!y.ok()) {
        failures.push_back(y.status());
      } else if (std::span<const float> values = *rc::TensorValues<float>(*y);
                 values.size() == 2 && values[0] == 0.0f && values[1] == static_cast<float>(i)) {
        ++succeeded;
      } else {
        failures.push_back(absl::InternalError("wrong result"));
      }
    }
  });
  ASSERT_TRUE(WaitFor([&] { return succeeded.load() >= 20; }, 20000ms));
  // Killed, as a crash or an evicted pod: connections reset mid-call. (A SIGTERM drain can answer a call
  // that races with its end CANCELLED, which is not retryable; see the report of this change.)
  server->Signal(SIGKILL);
  ASSERT_TRUE(server->Wait(20000ms).has_value());
  std::this_thread::sleep_for(300ms);  // Calls now find nothing listening.
  const int before_restart = succeeded.load();
  server = StartBinary(dir, port);
  const bool resumed = WaitFor([&] { return succeeded.load() >= before_restart + 20; }, 60000ms);
  stop = true;
  caller.join();
  EXPECT_TRUE(resumed) << "calls did not resume after the restart";
  for (const absl::Status& failure : failures) ADD_FAILURE() << "a call failed across the restart: " << failure;

  // Without retries, a call while nothing listens fails at once with UNAVAILABLE.
  server->Signal(SIGTERM);
  ASSERT_TRUE(server->Wait(20000ms).has_value());
  auto no_retries = ClientFor(LoopbackTarget(port), [](rc::ClientOptions& o) { o.retry.max_attempts = 1; });
  EXPECT_EQ(no_retries->ApplyModel("relu", rc::MakeTensor(std::vector<float>{1.0f})).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rectifier::server::itest
