// libFuzzer target: the model repository loader (server/model_repository.h) on arbitrary YAML text, through
// the bounded loader (server/yaml_loader.h) that stands between the file and yaml-cpp.
//
// Any text either builds a repository (every model then valid, named and found under its name) or is
// refused with INVALID_ARGUMENT and a message. yaml-cpp 0.7 recurses once per nesting level and overflows
// the stack on deep nesting: the loader's depth estimate must stop every such input before yaml-cpp sees
// it, which this target checks under AddressSanitizer (a stack overflow is a crash).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kernels/activation_text.h"
#include "server/model_repository.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "model_repository_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The server's defaults (1 MiB, 64 levels).
  absl::StatusOr<rectifier::server::ModelRepository> repository =
      rectifier::server::ModelRepository::CreateFromText(text, "models file fuzz.yaml");
  if (!repository.ok()) {
    if (repository.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail("a code other than INVALID_ARGUMENT", repository.status().ToString());
    }
    if (repository.status().message().empty()) Fail("an error without a message", "");
    return 0;
  }
  for (const rectifier::server::Model& model : repository->models()) {
    if (!rectifier::server::ValidateModelName(model.name).ok()) Fail("an invalid model name", model.name);
    if (repository->Find(model.name) != &model) Fail("a model not found under its name", model.name);
    if (rectifier::FormatActivation(model.activation) != model.activation_text) {
      Fail("activation_text is not the canonical form", model.activation_text);
    }
  }
  return 0;
}
