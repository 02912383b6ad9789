#include "rectifier/client/activation_spec.h"

#include "kernels/activation_text.h"
#include "server/proto_convert.h"

namespace rectifier::client {

absl::StatusOr<v1::Activation> ParseActivationSpec(std::string_view text) {
  absl::StatusOr<Activation> activation = ParseActivation(text);
  if (!activation.ok()) return activation.status();
  v1::Activation proto;
  server::ActivationToProto(*activation, &proto);
  return proto;
}

absl::StatusOr<std::string> FormatActivationSpec(const v1::Activation& spec) {
  absl::StatusOr<Activation> activation = server::ActivationFromProto(spec);
  if (!activation.ok()) return activation.status();
  return FormatActivation(*activation);
}

}  // namespace rectifier::client
