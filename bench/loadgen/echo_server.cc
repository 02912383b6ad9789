#include "bench/loadgen/echo_server.h"

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "kernels/str_cat.h"

namespace rectifier::bench {
namespace {

// Reads a message, writes the same buffer back (a reference to its slices, no byte copy), repeats until
// the client half-closes.
class EchoReactor final : public grpc::ServerGenericBidiReactor {
 public:
  EchoReactor() { StartRead(&message_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    StartWrite(&message_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
      return;
    }
    message_.Clear();
    StartRead(&message_);
  }

  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer message_;
};

class EchoService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    return new EchoReactor;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Create(const EchoServerOptions& options) {
  std::unique_ptr<EchoServer> server(new EchoServer);
  server->service_ = std::make_unique<EchoService>();
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterCallbackGenericService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(StrCat("cannot listen on '", options.address, "'"));
  }
  return server;
}

void EchoServer::Shutdown() {
  if (server_) server_->Shutdown();
}

EchoServer::~EchoServer() { Shutdown(); }

}  // namespace rectifier::bench
