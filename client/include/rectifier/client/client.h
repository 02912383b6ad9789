// A thin client of rectifier.v1.ActivationService and grpc.health.v1.Health over one gRPC channel.
//
// Thread safety: every method may be called from any number of threads at once; the channel multiplexes
// calls. The Client owns its channel and stubs; asynchronous calls must complete before it is destroyed
// (the destructor waits for them). Blocking: the synchronous methods block until the call ends (at most
// the deadline plus retry backoff); ApplyAsync never blocks.
//
// Errors are absl::Status values carrying the server's gRPC code and message unchanged (INVALID_ARGUMENT
// "activation.celu.alpha must be non-zero; was 0"), or gRPC's own (UNAVAILABLE when the server cannot be
// reached after the retries, DEADLINE_EXCEEDED).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rectifier/client/client_options.h"
#include "rectifier/v1/rectifier.pb.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace rectifier::client {

// Per-call settings.
struct CallOptions {
  // Deadline from the start of the call; 0: ClientOptions::default_deadline.
  std::chrono::milliseconds timeout{0};
};

// grpc.health.v1 serving status.
enum class ServingStatus { kUnknown, kServing, kNotServing, kServiceUnknown };
std::string_view ServingStatusName(ServingStatus status);  // "SERVING", "NOT_SERVING", ...

// The outcome of one ApplyStream response: OK with an output, or its `error` as a status.
absl::Status StatusOf(const v1::ApplyResponse& response);

class Client {
 public:
  // Validates `options` (INVALID_ARGUMENT naming the field, e.g. "retry.max_attempts must be in [1, 5];
  // was 0"), reads the TLS files, and creates the channel. Does not connect: the first call does.
  static absl::StatusOr<std::unique_ptr<Client>> Create(const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Unary Apply of a complete request.
  absl::StatusOr<v1::ApplyResponse> Apply(const v1::ApplyRequest& request, const CallOptions& call = {});
  // Applies `activation` to `input` (moved into the request: no copy) and returns the output tensor.
  absl::StatusOr<v1::Tensor> Apply(const v1::Activation& activation, v1::Tensor input,
                                   const CallOptions& call = {});
  // Applies the server's model `model` to `input`.
  absl::StatusOr<v1::Tensor> ApplyModel(std::string_view model, v1::Tensor input, const CallOptions& call = {});

  // Asynchronous Apply: `done` runs once, on a gRPC thread (keep it short; do not call the Client's
  // synchronous methods from it), with the response or the error.
  using ApplyCallback = std::function<void(absl::StatusOr<v1::ApplyResponse>)>;
  void ApplyAsync(v1::ApplyRequest request, ApplyCallback done, const CallOptions& call = {});
  // The same, as a future.
  std::future<absl::StatusOr<v1::ApplyResponse>> ApplyAsync(v1::ApplyRequest request,
                                                            const CallOptions& call = {});

  // Sends every request over one ApplyStream (while reading responses) and returns the responses in the
  // order of `requests`, matched by request_id: requests without one get their index as request_id;
  // duplicate ids are INVALID_ARGUMENT. A request that failed alone has its `error` set (see StatusOf);
  // a failure of the whole stream is the returned status. `progress(done, total)`, when set, runs on the
  // calling thread after each response. The deadline covers the whole stream.
  using StreamProgress = std::function<void(size_t done, size_t total)>;
  absl::StatusOr<std::vector<v1::ApplyResponse>> ApplyStream(std::vector<v1::ApplyRequest> requests,
                                                             const CallOptions& call = {},
                                                             const StreamProgress& progress = nullptr);

  absl::StatusOr<v1::ListActivationsResponse> ListActivations(const CallOptions& call = {});
  absl::StatusOr<v1::ListModelsResponse> ListModels(const CallOptions& call = {});

  // grpc.health.v1.Health/Check of `service` ("" is the whole server; "rectifier.v1.ActivationService").
  // An error status when the server cannot be reached or answers with an error.
  absl::StatusOr<ServingStatus> Health(std::string_view service = "", const CallOptions& call = {});

  const ClientOptions& options() const;
  // The channel, for other stubs on the same connection.
  std::shared_ptr<grpc::Channel> channel() const;

 private:
  struct State;
  explicit Client(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace rectifier::client
