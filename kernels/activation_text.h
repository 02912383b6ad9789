// The text form of activation specs, as users write them on the command line, in model repositories and in
// logs: `relu`, `relu()`, `leaky_relu(negative_slope=0.2)`, `gelu(approximate=tanh)` (quotes optional),
// `prelu(weight=[0.1, 0.2, 0.3])`, `crelu(axis=1)`, `threshold(threshold=0.5, value=0)`. Spaces are allowed
// between tokens. Numbers are decimal or scientific; `inf` and `nan` parse (so that validation can say
// they are not allowed) but no valid spec contains them.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "kernels/activation.h"

namespace rectifier {

// Parses and validates (ValidateActivation) a spec. INVALID_ARGUMENT with a message naming the activation
// or parameter for an unknown name, unknown, repeated, missing or malformed parameter, or invalid value.
absl::StatusOr<Activation> ParseActivation(std::string_view text);

// Canonical text form: the name, then in parentheses the parameters that differ from their defaults in
// catalogue order (required parameters always), separated by ", "; lists as "[0.1, 0.2]"; no parentheses
// when no parameter is printed, e.g. "relu", "gelu(approximate=tanh)",
// "threshold(threshold=0.5, value=0)". Numbers print in the shortest form that parses back to the same
// double. ParseActivation(FormatActivation(a)) == a for every valid `a`.
std::string FormatActivation(const Activation& activation);

}  // namespace rectifier
