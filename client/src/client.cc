#include "rectifier/client/client.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "client/src/channel_config.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/grpcpp.h"
#include "kernels/str_cat.h"
#include "rectifier/v1/rectifier.grpc.pb.h"

namespace rectifier::client {

namespace health = ::grpc::health::v1;

std::string_view ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kUnknown: return "UNKNOWN";
    case ServingStatus::kServing: return "SERVING";
    case ServingStatus::kNotServing: return "NOT_SERVING";
    case ServingStatus::kServiceUnknown: return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

absl::Status StatusOf(const v1::ApplyResponse& response) {
  if (!response.has_error()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(response.error().code()), response.error().message());
}

struct Client::State {
  ClientOptions options;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::ActivationService::Stub> stub;
  std::unique_ptr<health::Health::Stub> health_stub;

  std::mutex mutex;
  std::condition_variable idle;
  int pending_async = 0;  // Guarded by `mutex`: ApplyAsync calls not yet completed.

  // Deadline and (unless `health`) the bearer token.
  void Configure(grpc::ClientContext* context, const CallOptions& call, bool authenticate = true) const {
    const std::chrono::milliseconds timeout = call.timeout.count() > 0 ? call.timeout : options.default_deadline;
    context->set_deadline(std::chrono::system_clock::now() + timeout);
    if (authenticate && !options.bearer_token.empty()) {
      context->AddMetadata("authorization", "Bearer " + options.bearer_token);
    }
  }
};

Client::Client(std::unique_ptr<State> state) : state_(std::move(state)) {}

Client::~Client() {
  std::unique_lock lock(state_->mutex);
  state_->idle.wait(lock, [this] { return state_->pending_async == 0; });
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(const ClientOptions& options) {
  if (absl::Status valid = internal::ValidateClientOptions(options); !valid.ok()) return valid;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = internal::MakeCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  auto state = std::make_unique<State>();
  state->options = options;
  state->channel =
      grpc::CreateCustomChannel(options.target, *credentials, internal::MakeChannelArguments(options));
  state->stub = v1::ActivationService::NewStub(state->channel);
  state->health_stub = health::Health::NewStub(state->channel);
  return std::unique_ptr<Client>(new Client(std::move(state)));
}

const ClientOptions& Client::options() const { return state_->options; }
std::shared_ptr<grpc::Channel> Client::channel() const { return state_->channel; }

absl::StatusOr<v1::ApplyResponse> Client::Apply(const v1::ApplyRequest& request, const CallOptions& call) {
  grpc::ClientContext context;
  state_->Configure(&context, call);
  v1::ApplyResponse response;
  grpc::Status status = state_->stub->Apply(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<v1::Tensor> Client::Apply(const v1::Activation& activation, v1::Tensor input,
                                         const CallOptions& call) {
  v1::ApplyRequest request;
  *request.mutable_activation() = activation;
  *request.mutable_input() = std::move(input);
  absl::StatusOr<v1::ApplyResponse> response = Apply(request, call);
  if (!response.ok()) return response.status();
  return std::move(*response->mutable_output());
}

absl::StatusOr<v1::Tensor> Client::ApplyModel(std::string_view model, v1::Tensor input, const CallOptions& call) {
  v1::ApplyRequest request;
  request.set_model(std::string(model));
  *request.mutable_input() = std::move(input);
  absl::StatusOr<v1::ApplyResponse> response = Apply(request, call);
  if (!response.ok()) return response.status();
  return std::move(*response->mutable_output());
}

void Client::ApplyAsync(v1::ApplyRequest request, ApplyCallback done, const CallOptions& call) {
  // Owned by the call until its completion runs.
  struct AsyncCall {
    grpc::ClientContext context;
    v1::ApplyRequest request;
    v1::ApplyResponse response;
    ApplyCallback done;
  };
  auto* async_call = new AsyncCall;
  async_call->request = std::move(request);
  async_call->done = std::move(done);
  state_->Configure(&async_call->context, call);
  {
    std::lock_guard lock(state_->mutex);
    ++state_->pending_async;
  }
  State* state = state_.get();
  state_->stub->async()->Apply(&async_call->context, &async_call->request, &async_call->response,
                               [async_call, state](grpc::Status status) {
                                 if (status.ok()) {
                                   async_call->done(std::move(async_call->response));
                                 } else {
                                   async_call->done(FromGrpc(status));
                                 }
                                 delete async_call;
                                 std::lock_guard lock(state->mutex);
                                 if (--state->pending_async == 0) state->idle.notify_all();
                               });
}

std::future<absl::StatusOr<v1::ApplyResponse>> Client::ApplyAsync(v1::ApplyRequest request,
                                                                  const CallOptions& call) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<v1::ApplyResponse>>>();
  std::future<absl::StatusOr<v1::ApplyResponse>> future = promise->get_future();
  ApplyAsync(
      std::move(request),
      [promise](absl::StatusOr<v1::ApplyResponse> result) { promise->set_value(std::move(result)); }, call);
  return future;
}

absl::StatusOr<std::vector<v1::ApplyResponse>> Client::ApplyStream(std::vector<v1::ApplyRequest> requests,
                                                                   const CallOptions& call,
                                                                   const StreamProgress& progress) {
  std::unordered_map<std::string, size_t> index_of;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].request_id().empty()) requests[i].set_request_id(std::to_string(i));
    if (!index_of.emplace(requests[i].request_id(), i).second) {
      return absl::InvalidArgumentError(
          StrCat("requests[", i, "].request_id \"", requests[i].request_id(), "\" is not unique"));
    }
  }
  grpc::ClientContext context;
  state_->Configure(&context, call);
  std::unique_ptr<grpc::ClientReaderWriter<v1::ApplyRequest, v1::ApplyResponse>> stream =
      state_->stub->ApplyStream(&context);
  // Writing on its own thread while this one reads: neither side's flow-control window can then stall the
  // other. Writes fail (and the writer stops) once the stream has ended.
  std::thread writer([&] {
    for (const v1::ApplyRequest& request : requests) {
      if (!stream->Write(request)) return;
    }
    stream->WritesDone();
  });
  std::vector<v1::ApplyResponse> responses(requests.size());
  std::vector<bool> answered(requests.size(), false);
  size_t done = 0;
  absl::Status protocol_error;
  v1::ApplyResponse response;
  while (stream->Read(&response)) {
    auto it = index_of.find(response.request_id());
    if (it == index_of.end() || answered[it->second]) {
      protocol_error = absl::InternalError(
          StrCat("the server answered request_id \"", response.request_id(), "\", which is unknown or answered"));
      context.TryCancel();
      continue;
    }
    answered[it->second] = true;
    responses[it->second] = std::move(response);
    response.Clear();
    ++done;
    if (progress) progress(done, requests.size());
  }
  writer.join();
  grpc::Status status = stream->Finish();
  if (!protocol_error.ok()) return protocol_error;
  if (!status.ok()) return FromGrpc(status);
  if (done != requests.size()) {
    return absl::InternalError(StrCat("the stream ended with ", done, " of ", requests.size(), " responses"));
  }
  return responses;
}

absl::StatusOr<v1::ListActivationsResponse> Client::ListActivations(const CallOptions& call) {
  grpc::ClientContext context;
  state_->Configure(&context, call);
  v1::ListActivationsResponse response;
  grpc::Status status = state_->stub->ListActivations(&context, v1::ListActivationsRequest(), &response);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<v1::ListModelsResponse> Client::ListModels(const CallOptions& call) {
  grpc::ClientContext context;
  state_->Configure(&context, call);
  v1::ListModelsResponse response;
  grpc::Status status = state_->stub->ListModels(&context, v1::ListModelsRequest(), &response);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<ServingStatus> Client::Health(std::string_view service, const CallOptions& call) {
  grpc::ClientContext context;
  state_->Configure(&context, call, /*authenticate=*/false);
  health::HealthCheckRequest request;
  request.set_service(std::string(service));
  health::HealthCheckResponse response;
  grpc::Status status = state_->health_stub->Check(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  switch (response.status()) {
    case health::HealthCheckResponse::SERVING: return ServingStatus::kServing;
    case health::HealthCheckResponse::NOT_SERVING: return ServingStatus::kNotServing;
    case health::HealthCheckResponse::SERVICE_UNKNOWN: return ServingStatus::kServiceUnknown;
    default: return ServingStatus::kUnknown;
  }
}

}  // namespace rectifier::client
