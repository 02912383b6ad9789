// The rectifier-server binary: it starts, reports SERVING, serves, and exits 0 on SIGTERM within the grace
// period; --help prints every flag and exits 0; a bad flag exits non-zero with a message naming it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"
#include "tests/server/server_process.h"

#ifndef RECTIFIER_SERVER_BINARY
#error "RECTIFIER_SERVER_BINARY must name the rectifier-server binary"
#endif

extern char** environ;

namespace rectifier::server::itest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Waits until the process reports SERVING for `service` on `port` (start-up warms the kernels up first);
// false when it exits or 30 s pass. A new channel per attempt: a channel that found the port closed would
// wait out its reconnect backoff.
bool WaitUntilServing(ServerProcess& process, int port, const std::string& service = "") {
  bool serving = WaitFor([&] {
    if (!process.running()) return true;
    HealthResult health = CheckHealth(MakeChannel(port), service, 200ms);
    if (!health.status.ok()) std::this_thread::sleep_for(20ms);  // Not listening yet: poll gently.
    return health.status.ok() && health.serving == Serving::kServing;
  }, 30000ms);
  return serving && process.running();
}

TEST(ServerBinaryTest, ServesAndExitsZeroOnSigterm) {
  ScratchDir dir;
  const std::string models = dir.Write("models.yaml", "models:\n  - name: stem_prelu\n    activation: \"prelu(weight=[0.25, 0.1, 0.3])\"\n");
  const int port = FreePort(), health_port = FreePort();
  ASSERT_GT(port, 0);
  ASSERT_GT(health_port, 0);
  ServerProcess process(dir, {"--address", "127.0.0.1:" + std::to_string(port), "--health-address",
                              "127.0.0.1:" + std::to_string(health_port), "--metrics-address=", "--threads", "2",
                              "--shutdown-grace", "5s", "--models", models, "--log-level", "info"});
  ASSERT_TRUE(process.started());

  ASSERT_TRUE(WaitUntilServing(process, port, "rectifier.v1.ActivationService"))
      << "not SERVING; stderr:\n" << process.stderr_text();
  HealthResult health = CheckHealth(MakeChannel(health_port), "");
  EXPECT_TRUE(health.status.ok()) << health.status.error_message();
  EXPECT_EQ(health.serving, Serving::kServing);

  // One Apply, by the file's model.
  auto channel = MakeChannel(port);
  auto stub = v1::ActivationService::NewStub(channel);
  v1::ApplyRequest request;
  request.set_model("stem_prelu");
  const std::vector<int64_t> shape = {2, 3, 50};
  SetTensor(request.mutable_input(), DataType::kFloat32, shape, RandomData(DataType::kFloat32, 300, 1));
  grpc::ClientContext context;
  context.set_deadline(In(10000ms));
  v1::ApplyResponse response;
  grpc::Status status = stub->Apply(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(SameAsKernel(response.output(), ExpectedFor(request, ParseOrDie("prelu(weight=[0.25, 0.1, 0.3])"))));

  const auto started = std::chrono::steady_clock::now();
  process.Signal(SIGTERM);
  std::optional<int> exit = process.Wait(15000ms);
  ASSERT_TRUE(exit.has_value()) << "still running 15 s after SIGTERM (grace 5 s)";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s + 2s) << "an idle server should stop at once";
  EXPECT_TRUE(WIFEXITED(*exit)) << "killed by signal " << (WIFSIGNALED(*exit) ? WTERMSIG(*exit) : 0);
  EXPECT_EQ(WEXITSTATUS(*exit), 0) << "stderr:\n" << process.stderr_text();
  EXPECT_FALSE(CheckHealth(channel, "", 500ms).status.ok()) << "the port is closed";
}

// SIGTERM while a call cannot finish (its client stopped reading): the process waits out the grace period,
// cancels the call and exits 0 promptly (Kubernetes kills what outlives terminationGracePeriodSeconds).
TEST(ServerBinaryTest, SigtermWithACallStuckPastTheGraceExitsSoonAfterTheGrace) {
  ScratchDir dir;
  const int port = FreePort();
  ASSERT_GT(port, 0);
  ServerProcess process(dir, {"--address", "127.0.0.1:" + std::to_string(port), "--metrics-address=", "--threads",
                              "2", "--shutdown-grace", "1s"});
  ASSERT_TRUE(process.started());
  ASSERT_TRUE(WaitUntilServing(process, port)) << "not SERVING; stderr:\n" << process.stderr_text();

  StalledStream stalled(port, 8);
  ASSERT_TRUE(stalled.Stall());
  const auto started = std::chrono::steady_clock::now();
  process.Signal(SIGTERM);
  std::optional<int> exit = process.Wait(30000ms);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(exit.has_value()) << "still running 30 s after SIGTERM (grace 1 s)";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << "stderr:\n" << process.stderr_text();
  EXPECT_GE(took, 900ms) << "the stuck call should have had its grace period";
  EXPECT_LT(took, 4s) << "exit took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms after SIGTERM with a 1 s grace; stderr:\n" << process.stderr_text();
  EXPECT_THAT(process.stderr_text(), HasSubstr("1 calls cancelled"));
  EXPECT_FALSE(stalled.ReadToEnd().ok());
}

// The flags main() wires itself: TLS files (mTLS), the token file, the plaintext health port.
TEST(ServerBinaryTest, ServesMutualTlsWithTokensFromFiles) {
  ScratchDir dir;
  auto pki = GenerateTestPki(dir);
  ASSERT_TRUE(pki.has_value());
  const std::string tokens = dir.Write("tokens", "# clients\nfirst-token\n\n  second-token  \n");
  const int port = FreePort(), health_port = FreePort();
  ASSERT_GT(port, 0);
  ASSERT_GT(health_port, 0);
  ServerProcess process(dir, {"--address", "127.0.0.1:" + std::to_string(port), "--health-address",
                              "127.0.0.1:" + std::to_string(health_port), "--metrics-address=", "--threads", "2",
                              "--tls-cert", dir.Path("server.pem"), "--tls-key", dir.Path("server.key"),
                              "--tls-client-ca", dir.Path("ca.pem"), "--auth-token-file", tokens});
  ASSERT_TRUE(process.started());
  // Probes use the plaintext health port, without a certificate or a token.
  ASSERT_TRUE(WaitUntilServing(process, health_port, "rectifier.v1.ActivationService"))
      << "not SERVING; stderr:\n" << process.stderr_text();

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pki->ca_pem;
  ssl.pem_cert_chain = pki->client_cert_pem;
  ssl.pem_private_key = pki->client_key_pem;
  auto stub = v1::ActivationService::NewStub(MakeChannel(port, grpc::SslCredentials(ssl)));
  auto apply = [&](const std::string& authorization) {
    v1::ApplyRequest request;
    request.mutable_activation()->mutable_relu6();
    const std::vector<int64_t> shape = {64};
    SetTensor(request.mutable_input(), DataType::kBFloat16, shape, RandomData(DataType::kBFloat16, 64, 2));
    grpc::ClientContext context;
    context.set_deadline(In(10000ms));
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    v1::ApplyResponse response;
    grpc::Status status = stub->Apply(&context, request, &response);
    if (status.ok()) {
      EXPECT_TRUE(SameAsKernel(response.output(), ExpectedFor(request, act::Relu6{})));
    }
    return status;
  };
  grpc::Status status = apply("Bearer second-token");
  EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_TRUE(apply("Bearer first-token").ok());
  EXPECT_EQ(apply("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(apply("Bearer # clients").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Without a client certificate the handshake fails.
  grpc::SslCredentialsOptions no_cert;
  no_cert.pem_root_certs = pki->ca_pem;
  auto anonymous = v1::ActivationService::NewStub(MakeChannel(port, grpc::SslCredentials(no_cert)));
  grpc::ClientContext context;
  context.set_deadline(In(5000ms));
  context.AddMetadata("authorization", "Bearer first-token");
  v1::ApplyResponse response;
  EXPECT_EQ(anonymous->Apply(&context, v1::ApplyRequest(), &response).error_code(), grpc::StatusCode::UNAVAILABLE);

  process.Signal(SIGINT);
  std::optional<int> exit = process.Wait(15000ms);
  ASSERT_TRUE(exit.has_value()) << "still running 15 s after SIGINT";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << "stderr:\n" << process.stderr_text();
  // Tokens are never logged.
  EXPECT_THAT(process.stderr_text(), ::testing::Not(HasSubstr("second-token")));
}

// At the most verbose log level, after authenticated, unauthenticated, failing and streaming calls, the
// server's log holds neither tokens (accepted or refused) nor tensor data (raw, or printed as numbers).
TEST(ServerBinaryTest, TraceLogsHoldNoTokensOrTensorData) {
  ScratchDir dir;
  const std::string tokens = dir.Write("tokens", "tok-SENTINEL-accepted-7f3a\n");
  const int port = FreePort();
  ASSERT_GT(port, 0);
  ServerProcess process(dir, {"--address", "127.0.0.1:" + std::to_string(port), "--metrics-address=", "--threads",
                              "2", "--auth-token-file", tokens, "--log-level", "trace", "--log-format", "json"});
  ASSERT_TRUE(process.started());
  ASSERT_TRUE(WaitUntilServing(process, port)) << "not SERVING; stderr:\n" << process.stderr_text();

  // Values whose decimal and hexadecimal renderings are distinctive.
  const std::vector<float> values = {12345.6789f, -9876.54321f, 31415.9265f, -27182.8182f};
  std::string data(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  auto stub = v1::ActivationService::NewStub(MakeChannel(port));
  auto apply = [&](const std::string& authorization, std::string_view activation) {
    v1::ApplyRequest request;
    if (!activation.empty()) request.set_model(std::string(activation));
    const std::vector<int64_t> shape = {2, 2};
    SetTensor(request.mutable_input(), DataType::kFloat32, shape, data);
    grpc::ClientContext context;
    context.set_deadline(In(10000ms));
    context.AddMetadata("authorization", authorization);
    v1::ApplyResponse response;
    return stub->Apply(&context, request, &response);
  };
  EXPECT_TRUE(apply("Bearer tok-SENTINEL-accepted-7f3a", "relu").ok());
  EXPECT_EQ(apply("Bearer tok-SENTINEL-refused-91c2", "relu").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(apply("Bearer tok-SENTINEL-accepted-7f3a", "no_such_model").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(apply("Bearer tok-SENTINEL-accepted-7f3a", "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer tok-SENTINEL-accepted-7f3a");
    auto stream = stub->ApplyStream(&context);
    v1::ApplyRequest request;
    request.set_model("gelu");
    const std::vector<int64_t> shape = {4};
    SetTensor(request.mutable_input(), DataType::kFloat32, shape, data);
    ASSERT_TRUE(stream->Write(request));
    stream->WritesDone();
    v1::ApplyResponse response;
    EXPECT_TRUE(stream->Read(&response));
    EXPECT_TRUE(stream->Finish().ok());
  }
  process.Signal(SIGTERM);
  std::optional<int> exit = process.Wait(15000ms);
  ASSERT_TRUE(exit.has_value());
  const std::string log = process.stderr_text() + process.stdout_text();
  EXPECT_THAT(log, HasSubstr("serving rectifier.v1")) << "the log was captured";
  EXPECT_THAT(log, Not(HasSubstr("SENTINEL"))) << "a token in the log";
  // With their decimal points, so that timestamps, ports and process ids cannot match by chance.
  for (const char* number : {"12345.6", "9876.5", "31415.9", "27182.8", "1.23456", "3.14159", "2.71828"}) {
    EXPECT_THAT(log, Not(HasSubstr(number))) << number;
  }
  EXPECT_EQ(log.find(data.substr(0, 4)), std::string::npos) << "raw tensor bytes in the log";
}

TEST(ServerBinaryTest, HelpListsEveryFlagAndExitsZero) {
  ScratchDir dir;
  ServerProcess process(dir, {"--help"});
  ASSERT_TRUE(process.started());
  std::optional<int> exit = process.Wait(10000ms);
  ASSERT_TRUE(exit.has_value());
  ASSERT_TRUE(WIFEXITED(*exit));
  EXPECT_EQ(WEXITSTATUS(*exit), 0) << process.stderr_text();
  const std::string help = process.stdout_text();
  for (const char* flag : {"--address", "--metrics-address", "--health-address", "--max-message-bytes",
                           "--max-tensor-elements", "--max-rank", "--threads", "--shutdown-grace", "--models",
                           "--tls-cert", "--tls-key", "--tls-client-ca", "--auth-token-file", "--log-format",
                           "--log-level", "--config", "--help"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  // Every setting's environment variable too.
  for (const char* env : {"RECTIFIER_ADDRESS", "RECTIFIER_MAX_MESSAGE_BYTES", "RECTIFIER_AUTH_TOKEN_FILE",
                          "RECTIFIER_SHUTDOWN_GRACE", "RECTIFIER_CONFIG"}) {
    EXPECT_THAT(help, HasSubstr(env));
  }
}

TEST(ServerBinaryTest, InvalidFlagExitsNonZeroWithAMessage) {
  {
    ScratchDir dir;
    ServerProcess process(dir, {"--no-such-flag", "1"});
    ASSERT_TRUE(process.started());
    std::optional<int> exit = process.Wait(10000ms);
    ASSERT_TRUE(exit.has_value());
    ASSERT_TRUE(WIFEXITED(*exit));
    EXPECT_NE(WEXITSTATUS(*exit), 0);
    EXPECT_THAT(process.stderr_text(), HasSubstr("no-such-flag"));
  }
  {
    ScratchDir dir;
    ServerProcess process(dir, {"--max-message-bytes", "64MB"});
    ASSERT_TRUE(process.started());
    std::optional<int> exit = process.Wait(10000ms);
    ASSERT_TRUE(exit.has_value());
    ASSERT_TRUE(WIFEXITED(*exit));
    EXPECT_NE(WEXITSTATUS(*exit), 0);
    EXPECT_THAT(process.stderr_text(), HasSubstr("max-message-bytes"));
  }
  {
    // A models file that does not exist: fails at start-up, naming the file.
    ScratchDir dir;
    ServerProcess process(dir, {"--address", "127.0.0.1:0", "--metrics-address=", "--models",
                                dir.Path("missing.yaml")});
    ASSERT_TRUE(process.started());
    std::optional<int> exit = process.Wait(30000ms);
    ASSERT_TRUE(exit.has_value());
    ASSERT_TRUE(WIFEXITED(*exit));
    EXPECT_NE(WEXITSTATUS(*exit), 0);
    EXPECT_THAT(process.stderr_text(), HasSubstr("missing.yaml"));
  }
}

}  // namespace
}  // namespace rectifier::server::itest
