// OipService: the Open Inference Protocol (KServe v2, inference.GRPCInferenceService) on gRPC's callback
// API, next to rectifier.v1 on the main port, so that Triton and KServe clients (tritonclient,
// perf_analyzer, KServe's InferenceServerClient) work unchanged.
//
// It shares everything with rectifier.v1 but the message format: ModelInfer requests are translated
// (server/oip_convert.h) into the same PreparedRequest and run by the same RequestRunner (so batching,
// scheduling and limits are the same); admission uses the same bearer tokens and CallGate
// (server/call_admission.h); models come from the same ModelRepository.
//
// ServerLive, ServerReady and ModelReady pass authentication but not the gate, so that while the server
// drains they answer ready = false instead of UNAVAILABLE. ModelStreamInfer is not served yet (gRPC answers
// UNIMPLEMENTED). Reactions never block. Borrows everything in its options; they must outlive the service
// and the grpc::Server it is registered with.
#pragma once

#include <optional>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inference/grpc_service.grpc.pb.h"
#include "server/call_gate.h"
#include "server/model_repository.h"
#include "server/proto_convert.h"
#include "server/request_runner.h"
#include "server/server_metrics.h"
#include "server/token_authenticator.h"

namespace rectifier::server {

struct OipServiceOptions {
  const RequestRunner* runner = nullptr;              // Required.
  const ModelRepository* models = nullptr;            // Required.
  CallGate* gate = nullptr;                           // Required.
  const TokenAuthenticator* authenticator = nullptr;  // Optional: null admits every caller.
  TensorLimits limits;                                // The same as rectifier.v1's.
  std::string server_version;                         // ServerMetadata.version (the project's version).
  ServerMetrics* metrics = nullptr;                   // Optional: null records no metrics (api="oip").
};

class OipService final : public inference::GRPCInferenceService::CallbackService {
 public:
  static absl::StatusOr<std::unique_ptr<OipService>> Create(const OipServiceOptions& options);

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* context, const inference::ServerLiveRequest* request,
                                       inference::ServerLiveResponse* response) override;
  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* context,
                                        const inference::ServerReadyRequest* request,
                                        inference::ServerReadyResponse* response) override;
  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* context, const inference::ModelReadyRequest* request,
                                       inference::ModelReadyResponse* response) override;
  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* context,
                                           const inference::ServerMetadataRequest* request,
                                           inference::ServerMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* context,
                                          const inference::ModelMetadataRequest* request,
                                          inference::ModelMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* context, const inference::ModelInferRequest* request,
                                       inference::ModelInferResponse* response) override;

 private:
  explicit OipService(const OipServiceOptions& options) : options_(options) {}

  // The one place a ModelInfer call ends, whatever happened to it (refused at admission, invalid, computed
  // or not): `report.request` is null when the request never reached the runner. `entered`: the call
  // passed the gate and leaves it here. Per-request metrics (api="oip") belong here.
  // `probe` counts the call in the metrics; `activation` labels it (nullopt: the model was unknown).
  void FinishInfer(grpc::ServerUnaryReactor* reactor, const RequestProbe& probe,
                   std::optional<ActivationKind> activation, const absl::Status& status, const RunReport& report,
                   bool entered) const;

  const OipServiceOptions options_;
};

}  // namespace rectifier::server
