// The settings of rectifier-server, and how they are read from the command line, the environment and an
// optional YAML config file.
//
// Every setting has a flag (`--max-message-bytes`), an environment variable (`RECTIFIER_MAX_MESSAGE_BYTES`,
// "RECTIFIER_" and the flag in upper snake case) and a config-file key (`max-message-bytes`, or
// `max_message_bytes`). The config file is named by `--config` or RECTIFIER_CONFIG. For each setting the
// first of these that is present wins:
//
//   command-line flag  >  environment variable  >  config file  >  built-in default
//
// An environment variable that is set but empty counts as absent (as in CLI11). CLI11 2.1 is used for the
// command line only: its own environment and config handling would rank the config file above the
// environment (and it reads TOML/INI, not YAML), so the precedence is implemented here. Unknown flags and
// unknown config keys are errors that name them; so is a setting given twice in the same source.
//
// Sizes take units ("64MiB"), durations take units ("10s"): see server/units.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/units.h"

namespace rectifier::server {

enum class LogFormat { kText, kJson };
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

// "text" | "json".
absl::StatusOr<LogFormat> ParseLogFormat(std::string_view text);
std::string_view LogFormatName(LogFormat format);
// "trace" | "debug" | "info" | "warn" | "error".
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view text);
std::string_view LogLevelName(LogLevel level);

inline constexpr std::string_view kDefaultAddress = "0.0.0.0:50051";
inline constexpr std::string_view kDefaultMetricsAddress = "0.0.0.0:9464";
// Room for a float32 tensor of about 16 million elements per message; gRPC's own default (4 MiB) is too
// small for activation tensors.
inline constexpr uint64_t kDefaultMaxMessageBytes = 64 * kBytesPerMiB;
// gRPC takes message limits as an int.
inline constexpr uint64_t kMaxMessageBytesLimit = static_cast<uint64_t>(std::numeric_limits<int32_t>::max());
// 256Mi elements: 1 GiB of float32 output (2 GiB for crelu, whose output is twice its input). Above what a
// 64 MiB message can carry (64Mi int8 elements), so by default the message limit is the binding one; the
// element limit bounds the memory of requests whose elements the message limit does not bound.
inline constexpr int64_t kDefaultMaxTensorElements = int64_t{256} << 20;
// PyTorch's TensorIterator handles up to 25 dimensions and oneDNN up to 12; real activation inputs have at
// most 5 or 6. 16 leaves room while bounding the per-request work of shape checks.
inline constexpr int kDefaultMaxRank = 16;
// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: calls (unary or streaming) one client connection may have open at
// once; further calls wait in the client until one ends. 100 is the minimum RFC 9113 recommends and what
// most servers advertise; it bounds what one connection can hold of the server's memory and executor.
inline constexpr int kDefaultMaxConcurrentStreams = 100;
// Requests this large or larger are computed in the buffers gRPC received them in (no parse copy) when their
// activation allows: see ActivationServiceOptions::zero_copy_min_bytes.
inline constexpr uint64_t kDefaultZeroCopyMinBytes = 64 * 1024;
inline constexpr std::chrono::microseconds kDefaultShutdownGrace = std::chrono::seconds(10);
// Dead-unit monitoring looks at each ReLU-family model's last 1000 requests.
inline constexpr int64_t kDefaultDeadUnitWindowRequests = 1000;
// Dynamic batching (server/batcher.h). The defaults come from the batching benchmark (bench/README.md).
inline constexpr bool kDefaultBatching = false;
inline constexpr int kDefaultMaxBatchRequests = 64;
inline constexpr int64_t kDefaultMaxBatchElements = int64_t{64} << 10;
inline constexpr std::chrono::microseconds kDefaultMaxQueueDelay{0};
inline constexpr int64_t kDefaultMaxQueueRequests = 4096;

// The cores this process may run on (sched_getaffinity): the default of `threads`.
int DefaultThreads();

struct ServerOptions {
  // gRPC listening address: "host:port" (host may be a name, an IPv4 address or a bracketed IPv6 address;
  // port 0 picks a free port) or "unix:PATH". --address, RECTIFIER_ADDRESS.
  std::string address{kDefaultAddress};
  // Prometheus /metrics endpoint, "host:port"; empty: no metrics endpoint. --metrics-address.
  std::string metrics_address{kDefaultMetricsAddress};
  // Requests per model in the sliding window of dead-unit monitoring (GetModelStats,
  // rectifier_dead_channels_ratio); positive. --dead-unit-window-requests.
  int64_t dead_unit_window_requests = kDefaultDeadUnitWindowRequests;
  // Extra plaintext gRPC port serving only grpc.health.v1 (for probes that cannot present a client
  // certificate when the main port uses mTLS), "host:port" or "unix:PATH"; empty (default): none.
  // --health-address.
  std::string health_address;
  // Largest request or response message, in bytes; 1 .. kMaxMessageBytesLimit. --max-message-bytes.
  uint64_t max_message_bytes = kDefaultMaxMessageBytes;
  // rectifier.v1 requests of at least this many bytes are computed where they were received when their
  // activation allows; above max_message_bytes: never. --zero-copy-min-bytes.
  uint64_t zero_copy_min_bytes = kDefaultZeroCopyMinBytes;
  // Largest tensor, in elements, of a request's input or of the output it would produce; positive.
  // --max-tensor-elements (a count, e.g. "256Mi").
  int64_t max_tensor_elements = kDefaultMaxTensorElements;
  // Largest tensor rank (number of dimensions) accepted; positive. --max-rank.
  int max_rank = kDefaultMaxRank;
  // Concurrent calls per client connection (HTTP/2 setting); positive. --max-concurrent-streams.
  int max_concurrent_streams = kDefaultMaxConcurrentStreams;
  // Threads serving requests; positive. Default: the cores this process may run on. --threads.
  int threads = DefaultThreads();
  // On SIGTERM/SIGINT, how long in-flight calls may run before they are cancelled; >= 0.
  // --shutdown-grace (a duration, e.g. "10s").
  std::chrono::microseconds shutdown_grace = kDefaultShutdownGrace;
  // Model repository YAML file (see server/model_repository.h); empty: built-in models only. --models.
  std::string models_file;
  // PEM server certificate chain and private key: both (TLS) or neither (plaintext). --tls-cert, --tls-key.
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA bundle that client certificates must chain to (mTLS); needs tls_cert_file and tls_key_file.
  // --tls-client-ca.
  std::string tls_client_ca_file;
  // Bearer-token file (server/auth_tokens.h); empty: no authentication. --auth-token-file.
  std::string auth_token_file;
  // The tokens of auth_token_file, read by ParseServerOptions; sorted, unique. Non-empty iff
  // auth_token_file is set.
  std::vector<std::string> auth_tokens;
  // Dynamic batching of small concurrent requests (server/batcher.h). --batching on|off.
  bool batching = kDefaultBatching;
  // Most requests in one batched kernel call; positive. --max-batch-requests.
  int max_batch_requests = kDefaultMaxBatchRequests;
  // Most input elements in one batched kernel call; positive. Larger requests are not batched.
  // --max-batch-elements (a count, e.g. "64Ki").
  int64_t max_batch_elements = kDefaultMaxBatchElements;
  // How long a batch's oldest request may wait for more; >= 0. --max-queue-delay-us (microseconds, or a
  // duration with a unit, e.g. "500us").
  std::chrono::microseconds max_queue_delay = kDefaultMaxQueueDelay;
  // Requests that may wait for a batch; positive; over it: UNAVAILABLE. --max-queue-requests.
  int64_t max_queue_requests = kDefaultMaxQueueRequests;
  // Threads computing batches; positive. Default: the cores this process may run on. --batch-threads.
  int batch_threads = DefaultThreads();
  LogFormat log_format = LogFormat::kText;  // --log-format
  LogLevel log_level = LogLevel::kInfo;     // --log-level

  // The config file read, if any (from --config or RECTIFIER_CONFIG). Informational.
  std::string config_file;
  // --help was given: nothing else was read; print ServerOptionsHelp() and exit 0.
  bool help_requested = false;
};

// Reads the command line (argv[0] is the program name), the environment and the config file into
// ServerOptions, reads the auth token file, and validates the result (ValidateServerOptions). Errors are
// INVALID_ARGUMENT (or the file error's code: NOT_FOUND, PERMISSION_DENIED) with a message naming the
// flag, environment variable or config key at fault, e.g.
// "environment variable RECTIFIER_MAX_MESSAGE_BYTES: byte size '64MB' has the ambiguous unit 'MB'; ...".
// With --help anywhere on the command line, returns the defaults with help_requested set.
absl::StatusOr<ServerOptions> ParseServerOptions(int argc, const char* const* argv);

// Checks ranges and combinations; INVALID_ARGUMENT naming the field, e.g.
// "max_message_bytes must be positive; was 0".
absl::Status ValidateServerOptions(const ServerOptions& options);

// The --help text: every flag with its environment variable and default, and the precedence rules.
std::string ServerOptionsHelp(std::string_view program_name = "rectifier-server");

// One line for the startup log, e.g. "address=0.0.0.0:50051 metrics_address=... max_message_bytes=64MiB
// ... auth=3 tokens". Never prints tokens.
std::string DescribeServerOptions(const ServerOptions& options);

}  // namespace rectifier::server
