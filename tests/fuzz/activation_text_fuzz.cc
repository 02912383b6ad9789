// libFuzzer target: the activation text parser (kernels/activation_text.h).
//
// Any input either fails to parse with INVALID_ARGUMENT, or parses to a spec whose canonical form parses back
// to the same spec and formats to the same text again (the round trip the model repository and the logs
// rely on). Anything else (a crash, a sanitizer report, another status code) aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kernels/activation_text.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view input, std::string_view detail) {
  std::fprintf(stderr, "activation_text_fuzz: %s\n  input:  '%.*s'\n  detail: '%.*s'\n", what,
               static_cast<int>(input.size()), input.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<rectifier::Activation> parsed = rectifier::ParseActivation(text);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail("a parse error that is not INVALID_ARGUMENT", text, parsed.status().ToString());
    }
    if (parsed.status().message().empty()) Fail("a parse error without a message", text, "");
    return 0;
  }
  const std::string canonical = rectifier::FormatActivation(*parsed);
  const absl::StatusOr<rectifier::Activation> again = rectifier::ParseActivation(canonical);
  if (!again.ok()) Fail("the canonical form does not parse", text, canonical);
  if (!(*again == *parsed)) Fail("the canonical form parses to another spec", text, canonical);
  const std::string canonical_again = rectifier::FormatActivation(*again);
  if (canonical_again != canonical) Fail("formatting is not stable", text, canonical_again);
  return 0;
}
