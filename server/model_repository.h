// The model repository: named activation specs that clients apply by name (ApplyRequest.model) instead of
// spelling the activation out, and that ListModels lists.
//
// It always holds the built-in models: one per catalogue activation, named like it ("relu", "gelu", ...),
// with PyTorch's defaults. PyTorch has no defaults for threshold, so the built-in "threshold" model is
// threshold(threshold=0, value=0): x if x > 0 else 0, which is relu except that -0 and NaN give +0.
//
// An optional YAML file (--models) adds models:
//
//   models:
//     - name: stem_prelu
//       activation: "prelu(weight=[0.25, 0.1, 0.3])"
//     - name: gelu_fast
//       activation: gelu(approximate=tanh)
//
// The file's top level must be a map holding only `models`, a sequence of maps holding exactly `name` and
// `activation` (the text form of kernels/activation_text.h; quote it when it holds brackets or commas).
// Names match [A-Za-z0-9_.-]{1,128} and are unique: a file model may NOT reuse a built-in name (so that
// "relu" means the same thing on every server); use another name. The file is loaded through
// server/yaml_loader.h (size and nesting limits).
//
// A repository is immutable once created: Find and models() may be called from any number of threads.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/activation.h"
#include "server/yaml_loader.h"

namespace rectifier::server {

inline constexpr size_t kMaxModelNameLength = 128;

struct Model {
  std::string name;
  Activation activation;
  std::string activation_text;  // FormatActivation(activation): the canonical text form.
  bool built_in = false;        // One of the built-in models (else from the --models file).
};

struct ModelRepositoryOptions {
  // Model repository YAML file, added to the built-in models; empty (default): built-in models only.
  std::string models_file;
  // Size and nesting limits for models_file (default 1 MiB, 64 levels).
  YamlLimits yaml_limits;
};

// OK when `name` matches [A-Za-z0-9_.-]{1,128}; else INVALID_ARGUMENT saying why.
absl::Status ValidateModelName(std::string_view name);

class ModelRepository {
 public:
  // The built-in models plus those of options.models_file. Errors name the file and the entry: NOT_FOUND /
  // PERMISSION_DENIED when the file cannot be read; INVALID_ARGUMENT for a file that is too large, nests
  // too deeply, is not valid YAML, has unknown keys, a missing or invalid name, a duplicate or built-in
  // name, or an activation that does not parse (the message carries the model name and the parser's
  // message), e.g. "models file m.yaml: models[1] 'stem': activation 'prelu(weight=[])': ...".
  static absl::StatusOr<ModelRepository> Create(const ModelRepositoryOptions& options);

  // The built-in models plus those of `yaml_text`, a models file's contents (for tests and fuzzing); errors
  // as Create's, named by `source` (e.g. "models file m.yaml").
  static absl::StatusOr<ModelRepository> CreateFromText(std::string_view yaml_text, std::string_view source,
                                                        const YamlLimits& limits = {});

  // The model named `name`, or nullptr. The pointer lives as long as the repository.
  const Model* Find(std::string_view name) const;

  // Every model, sorted by name (for ListModels).
  std::span<const Model> models() const { return models_; }
  size_t size() const { return models_.size(); }

 private:
  explicit ModelRepository(std::vector<Model> models) : models_(std::move(models)) {}
  // The built-in models plus, when `yaml_text` is set, the models it defines.
  static absl::StatusOr<ModelRepository> Build(const std::optional<std::string>& yaml_text, std::string_view source,
                                               const YamlLimits& limits);

  std::vector<Model> models_;  // Sorted by name; names unique.
};

}  // namespace rectifier::server
