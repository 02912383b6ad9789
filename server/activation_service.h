// ActivationService: the rectifier.v1 gRPC service on gRPC's callback API.
//
// Reactions never block: the RequestRunner decides where each request is computed. Every call passes the CallGate (refused with UNAVAILABLE while stopping) and,
// when configured, the TokenAuthenticator. Borrows everything in its options; they must outlive the
// service and the grpc::Server it is registered with.
#pragma once

#include <cstddef>

#include "rectifier/v1/rectifier.grpc.pb.h"
#include "server/apply_handler.h"
#include "server/call_gate.h"
#include "server/model_repository.h"
#include "server/request_runner.h"
#include "server/server_metrics.h"
#include "server/token_authenticator.h"

namespace rectifier::server {

struct ActivationServiceOptions {
  const ApplyHandler* handler = nullptr;         // Required.
  const RequestRunner* runner = nullptr;         // Required.
  const ModelRepository* models = nullptr;       // Required.
  CallGate* gate = nullptr;                      // Required.
  const TokenAuthenticator* authenticator = nullptr;  // Optional: null admits every caller.
  // Optional: null records no metrics, and GetModelStats answers UNIMPLEMENTED.
  ServerMetrics* metrics = nullptr;
  // Requests of one ApplyStream being computed or waiting to be written; reading pauses above it, so a
  // client that does not read its responses cannot make the server buffer without bound.
  int max_stream_outstanding = 64;
  // Apply and ApplyStream requests of at least this many bytes are computed where gRPC received them when
  // their activation allows (ApplyHandler::Prepare of a SlicedApplyRequest), saving the copy a parse makes
  // and sending the response from the same buffers; smaller ones are parsed whole. 64 KiB: below it both
  // paths measured the same within noise, above it the saving grows with the payload (bench/README.md,
  // "Where a 4 MiB request's bytes are copied"). SIZE_MAX: never.
  // The kernel writes into the received slices, which are the server's alone on gRPC's TCP transport (the
  // one Rectifier serves on); an in-process channel would hand over the client's own buffers, so a service
  // registered on one must set SIZE_MAX.
  size_t zero_copy_min_bytes = 64 * 1024;
};

// Apply and ApplyStream are raw methods (gRPC byte buffers, see server/apply_wire.h): the same messages
// on the wire, two fewer passes over each payload in the server.
using ActivationServiceBase = v1::ActivationService::WithRawCallbackMethod_Apply<
    v1::ActivationService::WithRawCallbackMethod_ApplyStream<v1::ActivationService::WithCallbackMethod_ListActivations<
        v1::ActivationService::WithCallbackMethod_ListModels<
            v1::ActivationService::WithCallbackMethod_GetModelStats<v1::ActivationService::Service>>>>>;

class ActivationService final : public ActivationServiceBase {
 public:
  static absl::StatusOr<std::unique_ptr<ActivationService>> Create(const ActivationServiceOptions& options);

  grpc::ServerUnaryReactor* Apply(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ApplyStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* ListActivations(grpc::CallbackServerContext* context,
                                            const v1::ListActivationsRequest* request,
                                            v1::ListActivationsResponse* response) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context, const v1::ListModelsRequest* request,
                                       v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* GetModelStats(grpc::CallbackServerContext* context, const v1::GetModelStatsRequest* request,
                                          v1::GetModelStatsResponse* response) override;

  // Admission of a call: the gate (UNAVAILABLE while stopping), then the token. On OK the caller has
  // entered the gate and must Leave() it when the call finishes.
  absl::Status Admit(grpc::CallbackServerContext* context) const;
  const ActivationServiceOptions& options() const { return options_; }

 private:
  explicit ActivationService(const ActivationServiceOptions& options) : options_(options) {}
  const ActivationServiceOptions options_;
};

}  // namespace rectifier::server
