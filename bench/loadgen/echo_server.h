// EchoServer: the transport baseline. A generic callback service, built from the same gRPC library as
// rectifier-server, that answers every method with the bytes of each request message, unparsed: unary
// calls get their request back, streams get every message back in order. What rectifier-bench measures
// against it is what gRPC itself costs for the same bytes.
//
// Owns its grpc::Server. Thread-safe; Shutdown() blocks until calls in flight have ended.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"

namespace rectifier::bench {

struct EchoServerOptions {
  // host:port to listen on; port 0 picks a free one (see port()).
  std::string address = "127.0.0.1:0";
};

class EchoServer {
 public:
  // UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<EchoServer>> Create(const EchoServerOptions& options);
  ~EchoServer();

  int port() const { return port_; }
  void Wait() { server_->Wait(); }
  void Shutdown();

 private:
  EchoServer() = default;
  std::unique_ptr<grpc::CallbackGenericService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace rectifier::bench
