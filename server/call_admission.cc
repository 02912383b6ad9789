#include "server/call_admission.h"

#include <string_view>

namespace rectifier::server {

absl::Status Authenticate(const grpc::CallbackServerContext& context, const TokenAuthenticator* authenticator) {
  if (authenticator == nullptr) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return authenticator->Check(nullptr);
  const std::string_view value(it->second.data(), it->second.size());
  return authenticator->Check(&value);
}

absl::Status AdmitCall(const grpc::CallbackServerContext& context, const TokenAuthenticator* authenticator,
                       CallGate& gate) {
  absl::Status auth = Authenticate(context, authenticator);
  if (!auth.ok()) return auth;
  if (!gate.TryEnter()) return StoppingError();
  return absl::OkStatus();
}

}  // namespace rectifier::server
