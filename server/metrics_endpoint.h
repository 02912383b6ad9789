// MetricsEndpoint: the HTTP /metrics endpoint Prometheus scrapes (prometheus-cpp's Exposer, on CivetWeb),
// serving one Collectable in the text exposition format.
//
// prometheus-cpp reports a port it cannot bind by exception; Start() turns that into UNAVAILABLE so no
// exception leaves this module. Serves on its own threads (`threads`); Stop on destruction.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"

namespace prometheus {
class Exposer;
}

namespace rectifier::server {

struct MetricsEndpointOptions {
  // "host:port" (IPv6 hosts in brackets); port 0 picks a free port (tests). Required.
  std::string address;
  // What /metrics serves; required. Held weakly: it must outlive the endpoint to be served.
  std::shared_ptr<prometheus::Collectable> collectable;
  // HTTP worker threads; positive. Scrapes are rare, so 2 suffice.
  int threads = 2;
};

class MetricsEndpoint {
 public:
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const MetricsEndpointOptions& options);
  ~MetricsEndpoint();

  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace rectifier::server
