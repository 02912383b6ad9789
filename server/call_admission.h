// Admission of one gRPC call, shared by every API on the main port (rectifier.v1, the Open Inference
// Protocol): the bearer token when an authenticator is configured, then the CallGate.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "server/call_gate.h"
#include "server/token_authenticator.h"

namespace rectifier::server {

// OK, or UNAUTHENTICATED when `authenticator` is set and the call's `authorization` header does not carry
// one of its tokens. A null authenticator admits every caller.
absl::Status Authenticate(const grpc::CallbackServerContext& context, const TokenAuthenticator* authenticator);

// Authenticate(), then the gate (UNAVAILABLE while stopping). On OK the call has entered `gate` and must
// Leave() it when it finishes.
absl::Status AdmitCall(const grpc::CallbackServerContext& context, const TokenAuthenticator* authenticator,
                       CallGate& gate);

}  // namespace rectifier::server
