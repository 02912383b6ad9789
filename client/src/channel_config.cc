#include "client/src/channel_config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kernels/str_cat.h"

namespace rectifier::client::internal {
namespace {

constexpr int kMaxRetryAttempts = 5;  // gRPC ignores larger values.
constexpr int64_t kMinMessageBytes = 1024;
constexpr int64_t kMaxMessageBytes = (int64_t{2} << 30) - 1;  // gRPC's limits are ints.
constexpr std::chrono::milliseconds kInitialReconnectBackoff{100};

std::string Seconds(std::chrono::milliseconds duration) {
  return StrCat(duration.count() / 1000, ".", fmt::format("{:03d}", duration.count() % 1000), "s");
}

absl::StatusOr<std::string> ReadPem(const std::string& path, std::string_view field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat(field, ": cannot read ", path, ": ", std::strerror(errno)));
  std::stringstream contents;
  contents << in.rdbuf();
  if (contents.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(StrCat(field, ": ", path, " holds no PEM block"));
  }
  return contents.str();
}

}  // namespace

absl::Status ValidateClientOptions(const ClientOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("target must be set, e.g. \"127.0.0.1:50051\"");
  const RetryPolicy& retry = options.retry;
  if (retry.max_attempts < 1 || retry.max_attempts > kMaxRetryAttempts) {
    return absl::InvalidArgumentError(
        StrCat("retry.max_attempts must be in [1, ", kMaxRetryAttempts, "]; was ", retry.max_attempts));
  }
  if (retry.initial_backoff.count() <= 0) {
    return absl::InvalidArgumentError(
        StrCat("retry.initial_backoff must be positive; was ", retry.initial_backoff.count(), "ms"));
  }
  if (retry.max_backoff < retry.initial_backoff) {
    return absl::InvalidArgumentError(StrCat("retry.max_backoff must be >= retry.initial_backoff (",
                                             retry.initial_backoff.count(), "ms); was ", retry.max_backoff.count(),
                                             "ms"));
  }
  if (!(retry.backoff_multiplier >= 1.0) || retry.backoff_multiplier > 1000.0) {
    return absl::InvalidArgumentError(
        StrCat("retry.backoff_multiplier must be in [1, 1000]; was ", retry.backoff_multiplier));
  }
  if (options.default_deadline.count() <= 0) {
    return absl::InvalidArgumentError(
        StrCat("default_deadline must be positive; was ", options.default_deadline.count(), "ms"));
  }
  if (options.max_message_bytes < kMinMessageBytes || options.max_message_bytes > kMaxMessageBytes) {
    return absl::InvalidArgumentError(StrCat("max_message_bytes must be in [", kMinMessageBytes, ", ",
                                             kMaxMessageBytes, "]; was ", options.max_message_bytes));
  }
  if (options.load_balancing != "round_robin" && options.load_balancing != "pick_first") {
    return absl::InvalidArgumentError(
        StrCat("load_balancing must be \"round_robin\" or \"pick_first\"; was \"", options.load_balancing, "\""));
  }
  if (options.max_reconnect_backoff.count() <= 0) {
    return absl::InvalidArgumentError(
        StrCat("max_reconnect_backoff must be positive; was ", options.max_reconnect_backoff.count(), "ms"));
  }
  const ClientTlsOptions& tls = options.tls;
  if (tls.client_cert_file.empty() != tls.client_key_file.empty()) {
    return absl::InvalidArgumentError("tls.client_cert_file and tls.client_key_file must be set together");
  }
  if (!tls.enabled && (!tls.root_certs_file.empty() || !tls.client_cert_file.empty() ||
                       !tls.server_name_override.empty())) {
    return absl::InvalidArgumentError("tls files or tls.server_name_override are set but tls.enabled is false");
  }
  if (options.bearer_token.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("bearer_token must not contain line breaks");
  }
  return absl::OkStatus();
}

std::string ServiceConfigJson(const ClientOptions& options) {
  std::string config = StrCat(R"({"loadBalancingConfig": [{")", options.load_balancing, R"(": {}}])");
  if (options.retry.max_attempts > 1) {
    const RetryPolicy& retry = options.retry;
    config += StrCat(
        R"(, "methodConfig": [{"name": [{"service": "rectifier.v1.ActivationService"}, )",
        R"({"service": "grpc.health.v1.Health"}], "retryPolicy": {"maxAttempts": )", retry.max_attempts,
        R"(, "initialBackoff": ")", Seconds(retry.initial_backoff), R"(", "maxBackoff": ")",
        Seconds(retry.max_backoff), R"(", "backoffMultiplier": )", retry.backoff_multiplier,
        R"(, "retryableStatusCodes": ["UNAVAILABLE"]}}])");
  }
  return config + "}";
}

grpc::ChannelArguments MakeChannelArguments(const ClientOptions& options) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(ServiceConfigJson(options));
  const int max_message_bytes = static_cast<int>(options.max_message_bytes);
  args.SetMaxSendMessageSize(max_message_bytes);
  args.SetMaxReceiveMessageSize(max_message_bytes);
  // gRPC keeps a call's messages for retries only up to this size (256 KiB by default) and silently stops
  // retrying larger calls: keep whole tensors.
  args.SetInt(GRPC_ARG_PER_RPC_RETRY_BUFFER_SIZE, max_message_bytes);
  const int max_reconnect_ms = static_cast<int>(options.max_reconnect_backoff.count());
  const int initial_reconnect_ms = std::min(max_reconnect_ms, static_cast<int>(kInitialReconnectBackoff.count()));
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also takes it as the connect timeout (20 s by default), and
  // a short one fails connections on a slow network or a loaded machine.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, initial_reconnect_ms);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_reconnect_ms);
  if (!options.tls.server_name_override.empty()) {
    args.SetSslTargetNameOverride(options.tls.server_name_override);
  }
  return args;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(const ClientTlsOptions& tls) {
  if (!tls.enabled) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!tls.root_certs_file.empty()) {
    absl::StatusOr<std::string> roots = ReadPem(tls.root_certs_file, "tls.root_certs_file");
    if (!roots.ok()) return roots.status();
    ssl.pem_root_certs = *std::move(roots);
  }
  if (!tls.client_cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPem(tls.client_cert_file, "tls.client_cert_file");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(tls.client_key_file, "tls.client_key_file");
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace rectifier::client::internal
