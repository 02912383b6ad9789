#include "server/oip_service.h"

#include <utility>

#include "kernels/str_cat.h"
#include "server/call_admission.h"
#include "server/grpc_status.h"
#include "server/oip_convert.h"

namespace rectifier::server {
namespace {

// What ModelMetadata reports as every model's platform.
constexpr const char* kPlatform = "rectifier";
// ServerMetadata.extensions: Triton's "parameters" extension (request parameters reach the model).
constexpr const char* kExtensions[] = {"parameters"};

grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Runs `fill` (which returns the call's status) for a call admitted through the gate.
template <typename Fill>
grpc::ServerUnaryReactor* Gated(grpc::CallbackServerContext* context, const OipServiceOptions& options, Fill fill) {
  absl::Status admitted = AdmitCall(*context, options.authenticator, *options.gate);
  if (!admitted.ok()) return Finish(context, admitted);
  absl::Status status = fill();
  options.gate->Leave();
  return Finish(context, status);
}

void AddTensorMetadata(std::string_view name, google::protobuf::RepeatedPtrField<
                                                  inference::ModelMetadataResponse::TensorMetadata>* out) {
  auto* tensor = out->Add();
  tensor->set_name(std::string(name));
  // The protocol has one data type per tensor: FP32 stands for every type the model accepts (README).
  tensor->set_datatype("FP32");
  // Any rank: the protocol can only say "one dimension of any size" (README).
  tensor->add_shape(-1);
}

}  // namespace

absl::StatusOr<std::unique_ptr<OipService>> OipService::Create(const OipServiceOptions& options) {
  if (options.runner == nullptr || options.models == nullptr || options.gate == nullptr) {
    return absl::InvalidArgumentError("runner, models and gate must be set");
  }
  if (options.limits.max_elements <= 0) {
    return absl::InvalidArgumentError(StrCat("limits.max_elements must be positive; was ", options.limits.max_elements));
  }
  if (options.limits.max_rank <= 0) {
    return absl::InvalidArgumentError(StrCat("limits.max_rank must be positive; was ", options.limits.max_rank));
  }
  return std::unique_ptr<OipService>(new OipService(options));
}

grpc::ServerUnaryReactor* OipService::ServerLive(grpc::CallbackServerContext* context,
                                                 const inference::ServerLiveRequest*,
                                                 inference::ServerLiveResponse* response) {
  absl::Status auth = Authenticate(*context, options_.authenticator);
  if (auth.ok()) response->set_live(true);
  return Finish(context, auth);
}

grpc::ServerUnaryReactor* OipService::ServerReady(grpc::CallbackServerContext* context,
                                                  const inference::ServerReadyRequest*,
                                                  inference::ServerReadyResponse* response) {
  absl::Status auth = Authenticate(*context, options_.authenticator);
  if (auth.ok()) response->set_ready(!options_.gate->stopping());
  return Finish(context, auth);
}

grpc::ServerUnaryReactor* OipService::ModelReady(grpc::CallbackServerContext* context,
                                                 const inference::ModelReadyRequest* request,
                                                 inference::ModelReadyResponse* response) {
  absl::Status status = Authenticate(*context, options_.authenticator);
  if (status.ok()) status = FindOipModel(*options_.models, request->name(), request->version()).status();
  if (status.ok()) response->set_ready(!options_.gate->stopping());
  return Finish(context, status);
}

grpc::ServerUnaryReactor* OipService::ServerMetadata(grpc::CallbackServerContext* context,
                                                     const inference::ServerMetadataRequest*,
                                                     inference::ServerMetadataResponse* response) {
  return Gated(context, options_, [&] {
    response->set_name("rectifier");
    response->set_version(options_.server_version);
    for (const char* extension : kExtensions) response->add_extensions(extension);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OipService::ModelMetadata(grpc::CallbackServerContext* context,
                                                    const inference::ModelMetadataRequest* request,
                                                    inference::ModelMetadataResponse* response) {
  return Gated(context, options_, [&] {
    auto model = FindOipModel(*options_.models, request->name(), request->version());
    if (!model.ok()) return model.status();
    response->set_name((*model)->name);
    response->add_versions(std::string(kOipModelVersion));
    response->set_platform(kPlatform);
    AddTensorMetadata(kOipInputName, response->mutable_inputs());
    AddTensorMetadata(kOipOutputName, response->mutable_outputs());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OipService::ModelInfer(grpc::CallbackServerContext* context,
                                                 const inference::ModelInferRequest* request,
                                                 inference::ModelInferResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const RequestProbe probe(options_.metrics, Api::kOip);
  // The metrics label: the catalogue entry of the model the request names, never the client's string.
  const Model* named = options_.models->Find(request->model_name());
  const std::optional<ActivationKind> activation =
      named != nullptr ? std::optional<ActivationKind>(KindOf(named->activation)) : std::nullopt;
  absl::Status admitted = AdmitCall(*context, options_.authenticator, *options_.gate);
  if (!admitted.ok()) {
    FinishInfer(reactor, probe, activation, admitted, RunReport{}, /*entered=*/false);
    return reactor;
  }
  auto prepared = PrepareOipInfer(*request, *options_.models, options_.limits, response);
  if (!prepared.ok()) {
    FinishInfer(reactor, probe, activation, prepared.status(), RunReport{}, /*entered=*/true);
    return reactor;
  }
  // The callback keeps the buffers the computation borrows (typed contents) alive.
  std::shared_ptr<OipInfer> infer = std::move(*prepared);
  PreparedRequest run = std::move(infer->prepared);
  options_.runner->Run(std::move(run),
                       CallControl{.cancelled = [context] { return context->IsCancelled(); },
                                   .deadline = context->deadline()},
                       [this, reactor, response, infer, probe, activation](const absl::Status& status,
                                                                           const RunReport& report) {
                         if (status.ok()) FinishOipInfer(*infer, response);
                         FinishInfer(reactor, probe, activation, status, report, /*entered=*/true);
                       });
  return reactor;
}

void OipService::FinishInfer(grpc::ServerUnaryReactor* reactor, const RequestProbe& probe,
                             std::optional<ActivationKind> activation, const absl::Status& status,
                             const RunReport& report, bool entered) const {
  if (report.request != nullptr) probe.Ran(status, report);
  probe.Answered(activation, status.code());
  if (entered) options_.gate->Leave();
  reactor->Finish(ToGrpcStatus(status));
}

}  // namespace rectifier::server
