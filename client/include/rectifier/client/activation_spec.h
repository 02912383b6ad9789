// Activation specs for requests: built in code as rectifier.v1.Activation messages, e.g.
//   v1::Activation spec; spec.mutable_leaky_relu()->set_negative_slope(0.2);
// or parsed from the text form users write on command lines and in model repositories.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "rectifier/v1/rectifier.pb.h"

namespace rectifier::client {

// Parses and validates the text form: "relu", "leaky_relu(negative_slope=0.2)", "gelu(approximate=tanh)",
// "prelu(weight=[0.1, 0.2])", "threshold(threshold=0.5, value=0)". INVALID_ARGUMENT names the activation or
// parameter at fault. The server's own parser, so what parses here is what the server accepts.
absl::StatusOr<v1::Activation> ParseActivationSpec(std::string_view text);

// The canonical text form of `spec` (parameters that differ from their defaults), or INVALID_ARGUMENT when
// the spec is invalid (no kind set, a parameter out of range).
absl::StatusOr<std::string> FormatActivationSpec(const v1::Activation& spec);

}  // namespace rectifier::client
