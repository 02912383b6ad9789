// rectifier-server: wires options, logging, the model repository and the gRPC server together, then waits
// for SIGTERM/SIGINT and shuts down gracefully.
#include <cstdio>
#include <string>

#include "server/large_message_allocator.h"
#include "server/malloc_arenas.h"
#include "server/logging.h"
#include "server/model_repository.h"
#include "server/read_file.h"
#include "server/rectifier_server.h"
#include "server/server_options.h"
#include "server/shutdown_signal.h"
#include "kernels/status.h"
#include "server/units.h"
#include "spdlog/spdlog.h"

namespace rectifier::server {
namespace {

// PEM files are small; anything larger is a mistake (a wrong path, a device).
constexpr uint64_t kMaxPemFileBytes = 1 << 20;

absl::StatusOr<std::optional<TlsOptions>> LoadTls(const ServerOptions& options) {
  if (options.tls_cert_file.empty()) return std::optional<TlsOptions>();
  TlsOptions tls;
  RECTIFIER_ASSIGN_OR_RETURN(tls.certificate_chain_pem, ReadFileBounded(options.tls_cert_file, kMaxPemFileBytes, "--tls-cert file"));
  RECTIFIER_ASSIGN_OR_RETURN(tls.private_key_pem, ReadFileBounded(options.tls_key_file, kMaxPemFileBytes, "--tls-key file"));
  if (!options.tls_client_ca_file.empty()) {
    RECTIFIER_ASSIGN_OR_RETURN(tls.client_ca_pem, ReadFileBounded(options.tls_client_ca_file, kMaxPemFileBytes, "--tls-client-ca file"));
  }
  return std::optional<TlsOptions>(std::move(tls));
}

int Fail(const absl::Status& status) {
  spdlog::error("{}", std::string(status.message()));
  return 2;
}

int Run(int argc, char** argv) {
  auto options = ParseServerOptions(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "rectifier-server: %s\nRun rectifier-server --help for the flags.\n",
                 std::string(options.status().message()).c_str());
    return 2;
  }
  if (options->help_requested) {
    std::fputs(ServerOptionsHelp().c_str(), stdout);
    return 0;
  }
  ConfigureLogging(options->log_format, options->log_level);
  spdlog::info("starting: {}", DescribeServerOptions(*options));

  auto models = ModelRepository::Create({.models_file = options->models_file});
  if (!models.ok()) return Fail(models.status());
  auto tls = LoadTls(*options);
  if (!tls.ok()) return Fail(tls.status());

  auto server = RectifierServer::Start({
      .address = options->address,
      .health_address = options->health_address,
      .tls = *tls,
      .auth_tokens = options->auth_tokens,
      .max_message_bytes = static_cast<size_t>(options->max_message_bytes),
      .limits = {.max_elements = options->max_tensor_elements, .max_rank = options->max_rank},
      .max_concurrent_streams = options->max_concurrent_streams,
      .threads = options->threads,
      .zero_copy_min_bytes = static_cast<size_t>(options->zero_copy_min_bytes),
      .batching = options->batching ? std::optional<BatcherOptions>(BatcherOptions{
                                          .max_batch_requests = options->max_batch_requests,
                                          .max_batch_elements = options->max_batch_elements,
                                          .max_queue_delay = options->max_queue_delay,
                                          .max_queue_requests = options->max_queue_requests,
                                          .batch_threads = options->batch_threads})
                                    : std::nullopt,
      .models = &*models,
      .metrics_address = options->metrics_address,
      .dead_unit_window_requests = options->dead_unit_window_requests,
  });
  if (!server.ok()) return Fail(server.status());

  const int signal = WaitForShutdownSignal();
  spdlog::info("signal {} received: draining for up to {}", signal, FormatDuration(options->shutdown_grace));
  (*server)->Shutdown(options->shutdown_grace);
  return 0;
}

}  // namespace
}  // namespace rectifier::server

int main(int argc, char** argv) {
  rectifier::server::TuneAllocatorForLargeMessages();
  rectifier::server::LimitMallocArenas();
  // Before any thread starts, so that only WaitForShutdownSignal receives the signals.
  rectifier::server::BlockShutdownSignals();
  return rectifier::server::Run(argc, argv);
}
