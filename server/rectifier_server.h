// RectifierServer: the assembled gRPC server. Owns the executor, the rectifier.v1 and Open Inference
// Protocol services, the gRPC server
// on the main port (plaintext or TLS / mTLS, with message-size limits, health checking and reflection)
// and, optionally, a plaintext port serving only grpc.health.v1 for Kubernetes probes.
//
// Start() warms the kernels up before it listens, so health reports SERVING only once requests can be
// served at full speed. Shutdown() drains: health goes NOT_SERVING, new calls are refused with
// UNAVAILABLE, calls in flight finish within the grace period, and what is left then is cancelled.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "server/activation_service.h"
#include "server/apply_handler.h"
#include "server/batcher.h"
#include "server/call_gate.h"
#include "server/executor.h"
#include "server/metrics_endpoint.h"
#include "server/model_repository.h"
#include "server/oip_service.h"
#include "server/request_runner.h"
#include "server/server_metrics.h"
#include "server/token_authenticator.h"

namespace rectifier::server {

struct TlsOptions {
  std::string certificate_chain_pem;  // Required.
  std::string private_key_pem;        // Required.
  std::string client_ca_pem;          // Non-empty: mutual TLS, clients must present a certificate it signed.
};

struct RectifierServerOptions {
  // host:port of the main port (rectifier.v1, health, reflection). Port 0 picks a free port (tests).
  std::string address = "0.0.0.0:50051";
  // host:port of a plaintext port serving only grpc.health.v1; empty for none.
  std::string health_address;
  std::optional<TlsOptions> tls;  // Unset: plaintext.
  // Accepted bearer tokens; empty: no authentication. Health checks never need one.
  std::vector<std::string> auth_tokens;
  // Largest request message accepted, in bytes (gRPC answers RESOURCE_EXHAUSTED above it).
  size_t max_message_bytes = size_t{64} << 20;
  TensorLimits limits;
  // HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of the main port: calls one connection may have open at once.
  int max_concurrent_streams = 100;
  // Executor threads for kernel work; 0: one per available core.
  int threads = 0;
  // See RequestRunnerOptions.
  size_t inline_compute_max_bytes = 128 * 1024;
  // See ActivationServiceOptions.
  size_t zero_copy_min_bytes = 64 * 1024;
  // Set: dynamic batching with these options (server/batcher.h); unset: no batching.
  std::optional<BatcherOptions> batching;
  // Borrowed; must outlive the server. Required.
  const ModelRepository* models = nullptr;
  // host:port of the Prometheus /metrics endpoint; empty for none (metrics are still kept, for
  // GetModelStats). Port 0 picks a free port (tests).
  std::string metrics_address;
  // Keep metrics at all; false turns every metric and GetModelStats off (to measure their overhead).
  bool metrics_enabled = true;
  // The dead-unit sliding window, in requests per model (see ServerMetricsOptions).
  int64_t dead_unit_window_requests = 1000;
};

class RectifierServer {
 public:
  // Builds, warms up and starts listening. UNAVAILABLE when a port cannot be bound; INVALID_ARGUMENT for
  // bad options.
  static absl::StatusOr<std::unique_ptr<RectifierServer>> Start(const RectifierServerOptions& options);
  ~RectifierServer();

  int port() const { return port_; }
  int health_port() const { return health_port_; }  // 0 without a health address.
  int metrics_port() const { return metrics_endpoint_ ? metrics_endpoint_->port() : 0; }  // 0: none.
  ServerMetrics* metrics() const { return metrics_.get(); }  // Null when metrics are off.
  const CallGate& gate() const { return gate_; }
  const Batcher* batcher() const { return batcher_.get(); }  // Null without batching.

  // Drains (see the class comment), then stops both ports. Returns the calls cancelled because they
  // were still running when `grace` expired. Idempotent; the destructor calls it with no grace.
  int64_t Shutdown(std::chrono::microseconds grace);

 private:
  RectifierServer() = default;
  void SetServing(bool serving);

  CallGate gate_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;  // Declared after metrics_: stops first.
  std::unique_ptr<TokenAuthenticator> authenticator_;
  std::unique_ptr<ApplyHandler> handler_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<Batcher> batcher_;
  std::unique_ptr<RequestRunner> runner_;
  std::unique_ptr<ActivationService> service_;
  std::unique_ptr<OipService> oip_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;
  int port_ = 0;
  int health_port_ = 0;
  bool shut_down_ = false;  // Touched only by the thread that calls Shutdown.
};

}  // namespace rectifier::server
