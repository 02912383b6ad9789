#include "server/rectifier_server.h"

#include <algorithm>
#include <vector>

#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "kernels/apply.h"
#include "kernels/catalogue.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "kernels/validation.h"
#include "spdlog/spdlog.h"

namespace rectifier::server {
namespace {

// How long a drained server waits for the answers to calls it refused to be sent (they are tiny).
constexpr std::chrono::milliseconds kRefusalFlush{200};

constexpr const char* kServiceNames[] = {"rectifier.v1.ActivationService", "inference.GRPCInferenceService"};

std::shared_ptr<grpc::ServerCredentials> Credentials(const std::optional<TlsOptions>& tls) {
  if (!tls) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(tls->client_ca_pem.empty()
                                            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = tls->client_ca_pem;
  ssl.pem_key_cert_pairs.push_back({tls->private_key_pem, tls->certificate_chain_pem});
  return grpc::SslServerCredentials(ssl);
}

// Runs every activation once on each floating-point type, so the first requests pay for no dispatch
// set-up, page faults or oneDNN primitive creation.
absl::Status WarmUp(const ModelRepository& models) {
  constexpr int64_t kWarmUpElements = 4096;
  const std::vector<int64_t> shape = {1, kWarmUpElements};
  std::vector<double> input(kWarmUpElements, 0.5);
  std::vector<double> output(2 * kWarmUpElements);
  for (const Model& model : models.models()) {
    for (DataType dtype : {DataType::kFloat32, DataType::kFloat64, DataType::kFloat16, DataType::kBFloat16}) {
      if (!ValidateForInput(model.activation, dtype, shape).ok()) continue;  // e.g. PReLU channel counts.
      const std::vector<int64_t> out_shape = OutputShape(model.activation, shape);
      RECTIFIER_RETURN_IF_ERROR(Apply(model.activation, {dtype, shape, input.data()},
                                      {OutputDataType(model.activation, dtype), out_shape, output.data()}));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RectifierServer>> RectifierServer::Start(const RectifierServerOptions& options) {
  if (options.models == nullptr) return absl::InvalidArgumentError("models must be set; was null");
  if (options.max_message_bytes == 0 || options.max_message_bytes > size_t{2047} << 20) {
    return absl::InvalidArgumentError(
        StrCat("max_message_bytes must be in [1, 2047MiB] (gRPC's limit is below 2GiB); was ", options.max_message_bytes));
  }
  if (options.max_concurrent_streams <= 0) {
    return absl::InvalidArgumentError(
        StrCat("max_concurrent_streams must be positive; was ", options.max_concurrent_streams));
  }
  if (options.tls && (options.tls->certificate_chain_pem.empty() || options.tls->private_key_pem.empty())) {
    return absl::InvalidArgumentError("TLS needs both a certificate chain and a private key");
  }
  std::unique_ptr<RectifierServer> server(new RectifierServer());
  if (!options.auth_tokens.empty()) {
    RECTIFIER_ASSIGN_OR_RETURN(server->authenticator_, TokenAuthenticator::Create(options.auth_tokens));
  }
  RECTIFIER_ASSIGN_OR_RETURN(server->handler_,
                             ApplyHandler::Create({.limits = options.limits, .models = options.models}));
  RECTIFIER_ASSIGN_OR_RETURN(server->executor_, Executor::Create({.threads = options.threads}));
  if (options.metrics_enabled) {
    RECTIFIER_ASSIGN_OR_RETURN(server->metrics_,
                               ServerMetrics::Create({.models = options.models,
                                                      .dead_unit_window_requests = options.dead_unit_window_requests}));
  }
  if (options.batching.has_value()) {
    BatcherOptions batching = *options.batching;
    if (server->metrics_ != nullptr) {
      // Keeps the caller's observer, if any.
      batching.on_batch = [metrics = server->metrics_.get(), observer = batching.on_batch](int requests,
                                                                                          int64_t elements) {
        metrics->BatchComputed(requests, elements);
        if (observer) observer(requests, elements);
      };
    }
    RECTIFIER_ASSIGN_OR_RETURN(server->batcher_, Batcher::Create(batching));
  }
  if (server->metrics_ != nullptr) {
    // The queue requests wait in: the batcher's when batching is on, else the executor's.
    if (server->batcher_ != nullptr) {
      server->metrics_->SetQueueProbe([batcher = server->batcher_.get()] {
        return QueueState{.depth = batcher->queue_depth(), .capacity = batcher->queue_capacity()};
      });
    } else {
      server->metrics_->SetQueueProbe([executor = server->executor_.get()] {
        return QueueState{.depth = static_cast<int64_t>(executor->queued_tasks()),
                          .capacity = static_cast<int64_t>(executor->max_queued_tasks())};
      });
    }
  }
  RECTIFIER_ASSIGN_OR_RETURN(server->runner_,
                             RequestRunner::Create({.executor = server->executor_.get(),
                                                    .gate = &server->gate_,
                                                    .inline_compute_max_bytes = options.inline_compute_max_bytes,
                                                    .batcher = server->batcher_.get()}));
  RECTIFIER_ASSIGN_OR_RETURN(server->service_,
                             ActivationService::Create({.handler = server->handler_.get(),
                                                        .runner = server->runner_.get(),
                                                        .models = options.models,
                                                        .gate = &server->gate_,
                                                        .authenticator = server->authenticator_.get(),
                                                        .metrics = server->metrics_.get(),
                                                        .zero_copy_min_bytes = options.zero_copy_min_bytes}));
  RECTIFIER_ASSIGN_OR_RETURN(server->oip_service_,
                             OipService::Create({.runner = server->runner_.get(),
                                                 .models = options.models,
                                                 .gate = &server->gate_,
                                                 .authenticator = server->authenticator_.get(),
                                                 .limits = options.limits,
                                                 .server_version = RECTIFIER_VERSION,
                                                 .metrics = server->metrics_.get()}));
  RECTIFIER_RETURN_IF_ERROR(WarmUp(*options.models));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, Credentials(options.tls), &server->port_);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->oip_service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  // Responses are bounded by the request limits (CReLU doubles its input), so sending is not limited.
  builder.SetMaxSendMessageSize(-1);
  // gRPC sets SO_REUSEPORT by default, so a second server on a busy port would start and share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(StrCat("cannot listen on --address ", options.address));
  }
  if (!options.health_address.empty()) {
    grpc::ServerBuilder health_builder;
    health_builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    health_builder.AddListeningPort(options.health_address, grpc::InsecureServerCredentials(), &server->health_port_);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || server->health_port_ == 0) {
      return absl::UnavailableError(StrCat("cannot listen on --health-address ", options.health_address));
    }
  }
  if (server->metrics_ != nullptr && !options.metrics_address.empty()) {
    RECTIFIER_ASSIGN_OR_RETURN(server->metrics_endpoint_,
                               MetricsEndpoint::Start({.address = options.metrics_address,
                                                       .collectable = server->metrics_->collectable()}));
    spdlog::info("serving Prometheus metrics on http://{}/metrics (port {})", options.metrics_address,
                 server->metrics_endpoint_->port());
  }
  server->SetServing(true);
  spdlog::info("serving rectifier.v1 on {} (port {}, {}), {} models, {} executor threads{}", options.address,
               server->port_, options.tls ? (options.tls->client_ca_pem.empty() ? "TLS" : "mTLS") : "plaintext",
               options.models->size(), server->executor_->threads(),
               options.auth_tokens.empty() ? "" : ", bearer-token auth");
  if (server->batcher_ != nullptr) {
    const BatcherOptions& b = server->batcher_->options();
    spdlog::info("batching on: up to {} requests / {} elements per call, queue delay {}us, {} queued at most, "
                 "{} batch threads",
                 b.max_batch_requests, b.max_batch_elements, b.max_queue_delay.count(), b.max_queue_requests,
                 b.batch_threads);
  }
  return server;
}

void RectifierServer::SetServing(bool serving) {
  for (grpc::Server* s : {server_.get(), health_server_.get()}) {
    if (s == nullptr || s->GetHealthCheckService() == nullptr) continue;
    s->GetHealthCheckService()->SetServingStatus(serving);
    for (const char* name : kServiceNames) s->GetHealthCheckService()->SetServingStatus(name, serving);
  }
}

int64_t RectifierServer::Shutdown(std::chrono::microseconds grace) {
  if (shut_down_) return 0;
  shut_down_ = true;
  SetServing(false);
  gate_.BeginShutdown();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  const int64_t cancelled = gate_.WaitIdle(deadline);
  if (cancelled > 0) spdlog::warn("shutdown grace expired with {} calls still running; cancelling them", cancelled);
  // Calls still running are cancelled at gRPC's deadline; Shutdown returns once every reactor has finished.
  // gRPC gets what is left of the grace: calls it has received but that have not entered the gate (a
  // refusal being sent, a request message still arriving) end with UNAVAILABLE rather than CANCELLED, which a
  // client must not retry. Even with no grace left, when every admitted call has finished the refusals get
  // kRefusalFlush to reach their clients.
  const auto left = std::max<std::chrono::steady_clock::duration>(deadline - std::chrono::steady_clock::now(),
                                                                  std::chrono::steady_clock::duration::zero());
  const auto stop_at = std::chrono::system_clock::now() +
                       std::max<std::chrono::system_clock::duration>(
                           std::chrono::duration_cast<std::chrono::system_clock::duration>(left),
                           cancelled > 0 ? std::chrono::system_clock::duration::zero() : kRefusalFlush);
  server_->Shutdown(stop_at);
  if (health_server_) health_server_->Shutdown(stop_at);
  if (metrics_ != nullptr) metrics_->SetQueueProbe(nullptr);  // It reads the batcher or the executor.
  batcher_.reset();   // Answers what was queued (cancelled calls at once), then joins.
  executor_.reset();  // Runs what was accepted (cancelled calls finish at once), then joins.
  spdlog::info("shut down; {} calls cancelled at the end of the grace period", cancelled);
  return cancelled;
}

RectifierServer::~RectifierServer() {
  if (server_ != nullptr) Shutdown(std::chrono::microseconds(0));
}

}  // namespace rectifier::server
