// Options of a rectifier::client::Client: where the server is, how to secure and authenticate the channel,
// deadlines, retries, message size and load balancing. Client::Create validates them; every field has a
// documented default and unit.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace rectifier::client {

// TLS for the channel. Off unless `enabled`; then the server certificate is verified against
// `root_certs_file` (or the system roots when empty).
struct ClientTlsOptions {
  bool enabled = false;
  // PEM CA bundle that signed the server's certificate. Empty: the system's roots.
  std::string root_certs_file;
  // Mutual TLS: PEM certificate chain and private key the client presents. Both or neither.
  std::string client_cert_file;
  std::string client_key_file;
  // Overrides the host name checked against the server certificate (tests, IP-only targets). Empty: the
  // target's host.
  std::string server_name_override;
};

// Retries of calls that fail with UNAVAILABLE (server restarting, draining or overloaded), done by gRPC
// itself from the channel's service config: attempt n waits a random time in [0, min(initial_backoff *
// backoff_multiplier^(n-1), max_backoff)] (gRPC's jitter). Other codes are never retried: they would fail
// again. ApplyStream is retried only until the server has sent its first response.
struct RetryPolicy {
  // Total attempts including the first, in [1, 5] (gRPC caps at 5); 1 disables retries.
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{100};  // > 0.
  std::chrono::milliseconds max_backoff{2000};     // >= initial_backoff.
  double backoff_multiplier = 2.0;                 // >= 1.
};

struct ClientOptions {
  // gRPC target: "host:port", "dns:///host:port" (every address the name resolves to, e.g. the pods of a
  // headless Kubernetes Service, balanced per call by `load_balancing`), "unix:/path", "ipv4:a:p,b:p".
  // Required.
  std::string target;
  ClientTlsOptions tls;
  // Sent as `authorization: Bearer <token>` on every call except Health. Empty: none.
  std::string bearer_token;
  // Deadline of a call that sets none of its own; > 0.
  std::chrono::milliseconds default_deadline{30000};
  RetryPolicy retry;
  // Largest message sent or received, in bytes; in [1 KiB, 2 GiB - 1]. Match the server's
  // --max-message-bytes (64 MiB by default); gRPC's own default of 4 MiB is too small for tensors.
  int64_t max_message_bytes = int64_t{64} << 20;
  // gRPC load-balancing policy: "round_robin" (every resolved address, one call after another) or
  // "pick_first" (one connection).
  std::string load_balancing = "round_robin";
  // Longest wait between reconnection attempts after the connection is lost; > 0. gRPC's default is 120 s,
  // which would leave a restarted server unused for minutes.
  std::chrono::milliseconds max_reconnect_backoff{1000};
};

}  // namespace rectifier::client
