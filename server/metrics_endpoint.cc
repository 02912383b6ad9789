#include "server/metrics_endpoint.h"

#include <exception>

#include "kernels/str_cat.h"
#include "prometheus/exposer.h"

namespace rectifier::server {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const MetricsEndpointOptions& options) {
  if (options.address.empty()) return absl::InvalidArgumentError("address must be set; was empty");
  if (options.collectable == nullptr) return absl::InvalidArgumentError("collectable must be set; was null");
  if (options.threads <= 0) {
    return absl::InvalidArgumentError(StrCat("threads must be positive; was ", options.threads));
  }
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  try {
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(options.address, static_cast<size_t>(options.threads));
    endpoint->exposer_->RegisterCollectable(options.collectable);
    const std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
    if (!ports.empty()) endpoint->port_ = ports.front();
  } catch (const std::exception& e) {
    return absl::UnavailableError(StrCat("cannot serve metrics on --metrics-address ", options.address, ": ", e.what()));
  }
  if (endpoint->port_ == 0) {
    return absl::UnavailableError(StrCat("cannot serve metrics on --metrics-address ", options.address));
  }
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace rectifier::server
