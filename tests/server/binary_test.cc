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

  // Wait for SERVING (start-up warms the kernels up first).
  // A new channel per attempt: a channel that found the port closed would wait out its reconnect backoff.
  bool serving = WaitFor([&] {
    if (!process.running()) return true;
    HealthResult health = CheckHealth(MakeChannel(port), "rectifier.v1.ActivationService", 200ms);
    if (!health.status.ok()) std::this_thread::sleep_for(20ms);  // Not listening yet: poll gently.
    return health.status.ok() && health.serving == Serving::kServing;
  }, 30000ms);
  ASSERT_TRUE(serving && process.running()) << "not SERVING; stderr:\n" << process.stderr_text();
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
  bool serving = WaitFor([&] {
    if (!process.running()) return true;
    HealthResult health = CheckHealth(MakeChannel(port), "", 200ms);
    if (!health.status.ok()) std::this_thread::sleep_for(20ms);
    return health.status.ok() && health.serving == Serving::kServing;
  }, 30000ms);
  ASSERT_TRUE(serving && process.running()) << "not SERVING; stderr:\n" << process.stderr_text();

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
  bool serving = WaitFor([&] {
    if (!process.running()) return true;
    HealthResult health = CheckHealth(MakeChannel(health_port), "rectifier.v1.ActivationService", 200ms);
    if (!health.status.ok()) std::this_thread::sleep_for(20ms);
    return health.status.ok() && health.serving == Serving::kServing;
  }, 30000ms);
  ASSERT_TRUE(serving && process.running()) << "not SERVING; stderr:\n" << process.stderr_text();

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
