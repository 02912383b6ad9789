#include "server/activation_service.h"

#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "kernels/catalogue.h"
#include "kernels/str_cat.h"
#include "server/apply_wire.h"
#include "server/call_admission.h"
#include "server/grpc_status.h"

namespace rectifier::server {
namespace {

const absl::Status kStopping = StoppingError();

// The activation a request names, for the metrics of a request that failed before it was prepared: the
// catalogue entry of its spec or of its repository model, never the client's string.
std::optional<ActivationKind> NamedActivation(const v1::ApplyRequest& request, const ModelRepository& models) {
  if (request.has_activation() && request.activation().kind_case() != v1::Activation::KIND_NOT_SET) {
    // The oneof's field numbers follow ActivationKind, from relu = 1.
    return static_cast<ActivationKind>(static_cast<int>(request.activation().kind_case()) - 1);
  }
  const Model* model = request.model().empty() ? nullptr : models.Find(request.model());
  return model != nullptr ? std::optional<ActivationKind>(KindOf(model->activation)) : std::nullopt;
}

// One Apply request's messages. The kernel writes the output into `wire`; the computation borrows all
// three, so whoever holds this must keep it alive until `done`.
struct ApplyCall {
  SlicedApplyRequest request;  // input.data in request.request, or still in the receive slices.
  v1::ApplyResponse response;
  ApplyResponseWire wire;

  // The response's bytes on the wire: `status`'s error when it failed (with the request id).
  grpc::ByteBuffer Encode(const absl::Status& status) {
    if (status.ok()) return std::move(wire).Encode(response);
    v1::ApplyResponse error;
    error.set_request_id(request.request.request_id());
    error.mutable_error()->set_code(static_cast<int>(status.code()));
    error.mutable_error()->set_message(std::string(status.message()));
    return ApplyResponseWire().Encode(error);
  }
};

// Runs one rectifier.v1 request: prepares it, then hands it to the runner; `done(status)` follows either
// way (on the calling thread or an executor thread).
template <typename Done>
void Run(const ActivationServiceOptions& options, grpc::CallbackServerContext* context, ApplyCall& call,
         Done done) {
  const v1::ApplyRequest& request = call.request.request;
  const RequestProbe probe(options.metrics, Api::kNative);
  auto prepared = options.handler->Prepare(&call.request, &call.response, &call.wire);
  if (!prepared.ok()) {
    probe.Answered(NamedActivation(request, *options.models), prepared.status().code());
    done(prepared.status());
    return;
  }
  const ActivationKind kind = KindOf(prepared->activation);
  options.runner->Run(std::move(*prepared),
                      CallControl{.cancelled = [context] { return context->IsCancelled(); },
                                  .deadline = context->deadline()},
                      [done = std::move(done), probe, kind](const absl::Status& status, const RunReport& report) {
                        probe.Ran(status, report);
                        probe.Answered(kind, status.code());
                        done(status);
                      });
}

// One ApplyStream call. Owned by itself through `self_` (released in OnDone); the shutdown drain holds a
// weak reference, so a drain racing with the end of the call never touches a deleted reactor. Finish() is
// always the last thing a method does and is called without mutex_ held: gRPC may run OnDone before
// Finish returns.
class ApplyStreamReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  static ApplyStreamReactor* Start(const ActivationServiceOptions& options, grpc::CallbackServerContext* context) {
    auto reactor = std::shared_ptr<ApplyStreamReactor>(new ApplyStreamReactor(options, context));
    reactor->self_ = reactor;
    std::weak_ptr<ApplyStreamReactor> weak = reactor;
    reactor->drain_id_ = options.gate->AddDrainListener([weak] {
      if (auto alive = weak.lock()) alive->Drain();
    });
    reactor->StartRead(&reactor->request_);
    return reactor.get();
  }

  void OnReadDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!ok || finished_) {
      reads_done_ = true;
      FinishIfDone(lock);
      return;
    }
    auto call = std::make_shared<ApplyCall>();
    const absl::Status parsed = ReceiveApplyRequest(request_, options_.zero_copy_min_bytes, &call->request);
    request_.Clear();  // The call holds what it needs of the payload (a copy, or references to its slices).
    ++outstanding_;
    const bool stopping = draining_;
    if (!reads_done_ && outstanding_ < options_.max_stream_outstanding) {
      StartRead(&request_);
    } else if (!reads_done_) {
      read_paused_ = true;
    }
    lock.unlock();

    if (!parsed.ok()) {
      RequestProbe(options_.metrics, Api::kNative).Answered(std::nullopt, parsed.code());
      Complete(call->Encode(parsed));
      return;
    }
    if (stopping) {
      Complete(call->Encode(kStopping));
      return;
    }
    // The callback keeps the reactor and the call (whose tensors the computation borrows) alive.
    Run(options_, context_, *call,
        [self = self_, call](const absl::Status& status) { self->Complete(call->Encode(status)); });
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mutex_);
    responses_.pop_front();
    --outstanding_;
    if (!ok) {
      // The client is gone: drop what is left, finish once the work in progress is done.
      write_failed_ = true;
      outstanding_ -= static_cast<int>(responses_.size());
      responses_.clear();
      // A paused read is never started again, so no OnReadDone(false) will end the reading side: end it
      // here, or the call (and its connection) would never finish.
      if (read_paused_) {
        read_paused_ = false;
        reads_done_ = true;
      }
    }
    if (!responses_.empty()) {
      StartWrite(&responses_.front());
      return;
    }
    writing_ = false;
    if (read_paused_ && !reads_done_ && !write_failed_) {
      read_paused_ = false;
      StartRead(&request_);
    }
    FinishIfDone(lock);
  }

  void OnDone() override {
    options_.gate->RemoveDrainListener(drain_id_);
    options_.gate->Leave();
    std::shared_ptr<ApplyStreamReactor> last = std::move(self_);  // May delete this on return.
  }

 private:
  ApplyStreamReactor(const ActivationServiceOptions& options, grpc::CallbackServerContext* context)
      : options_(options), context_(context) {}

  // On the shutdown thread: answer what was accepted, then finish with UNAVAILABLE.
  void Drain() {
    std::unique_lock<std::mutex> lock(mutex_);
    draining_ = true;
    reads_done_ = true;
    FinishIfDone(lock);
  }

  void Complete(grpc::ByteBuffer response) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (write_failed_ || finished_) {
      --outstanding_;
      FinishIfDone(lock);
      return;
    }
    responses_.push_back(std::move(response));
    if (!writing_) {
      writing_ = true;
      StartWrite(&responses_.front());
    }
  }

  // Finishes the call when nothing is left to read, compute or write. Releases `lock` first.
  void FinishIfDone(std::unique_lock<std::mutex>& lock) {
    if (finished_ || !reads_done_ || outstanding_ > 0 || writing_) return;
    finished_ = true;
    grpc::Status status = grpc::Status::OK;
    if (write_failed_) {
      status = grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading the stream");
    } else if (draining_) {
      status = ToGrpcStatus(kStopping);
    }
    lock.unlock();
    Finish(status);
  }

  const ActivationServiceOptions& options_;
  grpc::CallbackServerContext* const context_;
  std::shared_ptr<ApplyStreamReactor> self_;  // Reset in OnDone.
  uint64_t drain_id_ = 0;
  std::mutex mutex_;
  grpc::ByteBuffer request_;  // Target of the outstanding read; touched only by the read's owner.
  // All below guarded by mutex_.
  // Encoded responses; the front is being written when writing_ (a deque's push_back and pop_front leave
  // the other elements where they are).
  std::deque<grpc::ByteBuffer> responses_;
  int outstanding_ = 0;        // Requests read whose response is not yet written (or dropped).
  bool writing_ = false;
  bool reads_done_ = false;    // No further read will be started.
  bool read_paused_ = false;   // A read is due once outstanding_ drops.
  bool write_failed_ = false;
  bool draining_ = false;
  bool finished_ = false;
};

// A unary reaction that leaves the gate when it finishes.
void FinishUnary(const ActivationServiceOptions& options, grpc::ServerUnaryReactor* reactor, const absl::Status& status) {
  options.gate->Leave();
  reactor->Finish(ToGrpcStatus(status));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ActivationService>> ActivationService::Create(const ActivationServiceOptions& options) {
  if (options.handler == nullptr || options.runner == nullptr || options.models == nullptr ||
      options.gate == nullptr) {
    return absl::InvalidArgumentError("handler, runner, models and gate must be set");
  }
  if (options.max_stream_outstanding <= 0) {
    return absl::InvalidArgumentError(
        StrCat("max_stream_outstanding must be positive; was ", options.max_stream_outstanding));
  }
  return std::unique_ptr<ActivationService>(new ActivationService(options));
}

absl::Status ActivationService::Admit(grpc::CallbackServerContext* context) const {
  return AdmitCall(*context, options_.authenticator, *options_.gate);
}

grpc::ServerUnaryReactor* ActivationService::Apply(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request_bytes,
                                                   grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = std::make_shared<ApplyCall>();
  const absl::Status parsed = ReceiveApplyRequest(*request_bytes, options_.zero_copy_min_bytes, &call->request);
  // Nothing reads the request's bytes through the buffer after this: the call holds a copy, or references
  // to the slices it needs. Dropping the buffer's own references now means a request parsed whole does
  // not hold its payload twice while it computes. The handler owns the buffer; it is const only in the
  // signature.
  const_cast<grpc::ByteBuffer*>(request_bytes)->Clear();
  absl::Status admitted = parsed.ok() ? Admit(context) : parsed;
  if (!admitted.ok()) {
    RequestProbe(options_.metrics, Api::kNative)
        .Answered(parsed.ok() ? NamedActivation(call->request.request, *options_.models) : std::nullopt,
                  admitted.code());
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  Run(options_, context, *call, [this, reactor, call, response_bytes](const absl::Status& status) {
    if (status.ok()) *response_bytes = call->Encode(status);
    FinishUnary(options_, reactor, status);
  });
  return reactor;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ActivationService::ApplyStream(
    grpc::CallbackServerContext* context) {
  absl::Status admitted = Admit(context);
  if (!admitted.ok()) {
    // A reactor that finishes at once with the admission error.
    class Refused final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
     public:
      explicit Refused(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
      void OnDone() override { delete this; }
    };
    return new Refused(admitted);
  }
  return ApplyStreamReactor::Start(options_, context);
}

grpc::ServerUnaryReactor* ActivationService::ListActivations(grpc::CallbackServerContext* context,
                                                             const v1::ListActivationsRequest*,
                                                             v1::ListActivationsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status admitted = Admit(context);
  if (!admitted.ok()) {
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  static constexpr const char* kParamTypeNames[] = {"double", "double_list", "int", "enum"};
  for (const ActivationInfo& info : Catalogue()) {
    v1::ActivationInfo* out = response->add_activations();
    out->set_name(std::string(info.name));
    out->set_formula(std::string(info.formula));
    for (const ParamInfo& param : info.params) {
      v1::ParameterInfo* p = out->add_parameters();
      p->set_name(std::string(param.name));
      p->set_type(kParamTypeNames[static_cast<int>(param.type)]);
      p->set_default_value(std::string(param.default_text));
      p->set_description(std::string(param.description));
      for (std::string_view value : param.enum_values) p->add_allowed_values(std::string(value));
    }
    for (DataType dtype : kAllDataTypes) {
      if (AcceptsDataType(info.kind, dtype)) out->add_dtypes(DataTypeToProto(dtype));
    }
  }
  FinishUnary(options_, reactor, absl::OkStatus());
  return reactor;
}

grpc::ServerUnaryReactor* ActivationService::ListModels(grpc::CallbackServerContext* context,
                                                        const v1::ListModelsRequest*, v1::ListModelsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status admitted = Admit(context);
  if (!admitted.ok()) {
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  for (const Model& model : options_.models->models()) {
    v1::ModelInfo* out = response->add_models();
    out->set_name(model.name);
    out->set_activation(model.activation_text);
    ActivationToProto(model.activation, out->mutable_spec());
  }
  FinishUnary(options_, reactor, absl::OkStatus());
  return reactor;
}

grpc::ServerUnaryReactor* ActivationService::GetModelStats(grpc::CallbackServerContext* context,
                                                           const v1::GetModelStatsRequest* request,
                                                           v1::GetModelStatsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status admitted = Admit(context);
  if (!admitted.ok()) {
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  if (options_.metrics == nullptr) {
    FinishUnary(options_, reactor, absl::UnimplementedError("this server keeps no model statistics"));
    return reactor;
  }
  if (request->model().empty()) {
    FinishUnary(options_, reactor, absl::InvalidArgumentError("model must be set; was empty"));
    return reactor;
  }
  absl::StatusOr<DeadUnitStats> stats = options_.metrics->ModelStats(request->model());
  if (stats.ok()) {
    response->set_model(request->model());
    response->set_window_requests(stats->window_requests);
    response->set_requests_in_window(stats->requests_in_window);
    for (size_t c = 0; c < stats->channel_requests.size(); ++c) {
      v1::ChannelStats* channel = response->add_channels();
      channel->set_requests(stats->channel_requests[c]);
      channel->set_active_requests(stats->channel_active_requests[c]);
    }
    response->mutable_dead_channels()->Assign(stats->dead_channels.begin(), stats->dead_channels.end());
    response->set_dead_channels_ratio(stats->dead_ratio);
  }
  FinishUnary(options_, reactor, stats.status());
  return reactor;
}

}  // namespace rectifier::server
