// ClientOptions validation and their translation into gRPC channel settings (service config JSON with the
// retry policy and load balancing, channel arguments, credentials). Internal to the client library.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "rectifier/client/client_options.h"

namespace rectifier::client::internal {

// INVALID_ARGUMENT naming the first invalid field, e.g. "retry.max_attempts must be in [1, 5]; was 0".
absl::Status ValidateClientOptions(const ClientOptions& options);

// The channel's service config: `loadBalancingConfig` and, with retries, a `retryPolicy` for every method of
// rectifier.v1.ActivationService and grpc.health.v1.Health.
std::string ServiceConfigJson(const ClientOptions& options);

// Channel arguments for validated `options`: service config, message limits, retry buffer, reconnect backoff.
grpc::ChannelArguments MakeChannelArguments(const ClientOptions& options);

// Insecure or TLS credentials; INVALID_ARGUMENT / NOT_FOUND naming the TLS file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(const ClientTlsOptions& tls);

}  // namespace rectifier::client::internal
