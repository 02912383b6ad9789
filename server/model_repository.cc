#include "server/model_repository.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "kernels/activation_text.h"
#include "kernels/catalogue.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "kernels/validation.h"
#include "server/read_file.h"

namespace rectifier::server {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// The activation of `kind` with every parameter at its default (the struct's member initialisers).
template <size_t... I>
Activation DefaultActivationImpl(size_t index, std::index_sequence<I...>) {
  Activation result;
  ((index == I ? (void)result.emplace<I>() : (void)0), ...);
  return result;
}

Activation DefaultActivation(ActivationKind kind) {
  return DefaultActivationImpl(static_cast<size_t>(kind), std::make_index_sequence<kNumActivationKinds>());
}

absl::StatusOr<std::vector<Model>> BuiltInModels() {
  std::vector<Model> models;
  for (const ActivationInfo& info : Catalogue()) {
    Activation activation = DefaultActivation(info.kind);
    RECTIFIER_RETURN_IF_ERROR(ValidateActivation(activation));
    std::string text = FormatActivation(activation);
    models.push_back(Model{std::string(info.name), std::move(activation), std::move(text), /*built_in=*/true});
  }
  return models;
}

// One entry of the file's `models` sequence. `context` names it in messages, e.g. "models file f: models[2]".
absl::StatusOr<Model> ReadModelEntry(const YAML::Node& entry, std::string_view context) {
  if (!entry.IsMap()) {
    return absl::InvalidArgumentError(
        StrCat(context, ": must be a map with keys name and activation; was ", DescribeYamlNodeType(entry)));
  }
  std::optional<YAML::Node> name_node;  // YAML::Node is a cheap handle.
  std::optional<YAML::Node> activation_node;
  for (const auto& field : entry) {
    const std::string key =
        field.first.IsScalar() ? field.first.Scalar() : std::string(DescribeYamlNodeType(field.first));
    std::optional<YAML::Node>* slot = !field.first.IsScalar() ? nullptr
                                      : key == "name"         ? &name_node
                                      : key == "activation"   ? &activation_node
                                                              : nullptr;
    if (slot == nullptr) {
      return absl::InvalidArgumentError(
          StrCat(context, ": unknown key '", key, "'; a model has only name and activation"));
    }
    if (slot->has_value()) return absl::InvalidArgumentError(StrCat(context, ": key '", key, "' repeats"));
    *slot = field.second;
  }
  if (!name_node.has_value()) return absl::InvalidArgumentError(StrCat(context, ": missing key 'name'"));
  if (!name_node->IsScalar()) {
    return absl::InvalidArgumentError(
        StrCat(context, ": name must be a string; was ", DescribeYamlNodeType(*name_node)));
  }
  const std::string name = name_node->Scalar();
  if (absl::Status status = ValidateModelName(name); !status.ok()) {
    return absl::InvalidArgumentError(StrCat(context, ": ", std::string(status.message())));
  }
  const std::string named_context = StrCat(context, " '", name, "'");
  if (!activation_node.has_value()) {
    return absl::InvalidArgumentError(StrCat(named_context, ": missing key 'activation'"));
  }
  if (!activation_node->IsScalar()) {
    return absl::InvalidArgumentError(StrCat(named_context, ": activation must be a string such as ",
                                             "\"prelu(weight=[0.25, 0.1])\" (quoted); was ",
                                             DescribeYamlNodeType(*activation_node)));
  }
  const std::string text = activation_node->Scalar();
  absl::StatusOr<Activation> activation = ParseActivation(text);
  if (!activation.ok()) {
    return absl::InvalidArgumentError(
        StrCat(named_context, ": activation '", text, "': ", std::string(activation.status().message())));
  }
  std::string canonical = FormatActivation(*activation);
  return Model{name, *std::move(activation), std::move(canonical), /*built_in=*/false};
}

// The models of a parsed repository document. `source` names it in messages, e.g. "models file m.yaml".
absl::StatusOr<std::vector<Model>> ReadModels(const YAML::Node& root, std::string_view source) {
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(StrCat(source, " must be a map with the key 'models'; was ",
                                             root.IsNull() ? "empty" : DescribeYamlNodeType(root)));
  }
  YAML::Node list;
  bool found = false;
  for (const auto& entry : root) {
    const std::string key =
        entry.first.IsScalar() ? entry.first.Scalar() : std::string(DescribeYamlNodeType(entry.first));
    if (!entry.first.IsScalar() || key != "models") {
      return absl::InvalidArgumentError(StrCat(source, ": unknown key '", key, "'; expected only 'models'"));
    }
    if (found) return absl::InvalidArgumentError(StrCat(source, ": key 'models' repeats"));
    found = true;
    list = entry.second;
  }
  if (!found) return absl::InvalidArgumentError(StrCat(source, ": missing key 'models'"));
  if (!list.IsSequence()) {
    return absl::InvalidArgumentError(
        StrCat(source, ": models must be a sequence of {name, activation} maps; was ", DescribeYamlNodeType(list)));
  }
  std::vector<Model> models;
  models.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    RECTIFIER_ASSIGN_OR_RETURN(Model model, ReadModelEntry(list[i], StrCat(source, ": models[", i, "]")));
    models.push_back(std::move(model));
  }
  return models;
}

absl::Status ValidateLimits(const YamlLimits& limits) {
  if (limits.max_file_bytes == 0) {
    return absl::InvalidArgumentError("yaml_limits.max_file_bytes must be positive; was 0");
  }
  if (limits.max_nesting_depth <= 0) {
    return absl::InvalidArgumentError(
        StrCat("yaml_limits.max_nesting_depth must be positive; was ", limits.max_nesting_depth));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateModelName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("model name must not be empty");
  if (name.size() > kMaxModelNameLength) {
    return absl::InvalidArgumentError(StrCat("model name must be at most ", kMaxModelNameLength, " characters; was ",
                                             name.size(), " ('", name.substr(0, 32), "...')"));
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return absl::InvalidArgumentError(
          StrCat("model name '", name, "' may hold only letters, digits, '_', '.' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelRepository> ModelRepository::Create(const ModelRepositoryOptions& options) {
  RECTIFIER_RETURN_IF_ERROR(ValidateLimits(options.yaml_limits));
  std::optional<std::string> text;
  if (!options.models_file.empty()) {
    RECTIFIER_ASSIGN_OR_RETURN(text, ReadFileBounded(options.models_file, options.yaml_limits.max_file_bytes,
                                                     "models file"));
  }
  return Build(text, StrCat("models file ", options.models_file), options.yaml_limits);
}

absl::StatusOr<ModelRepository> ModelRepository::CreateFromText(std::string_view yaml_text, std::string_view source,
                                                                const YamlLimits& limits) {
  RECTIFIER_RETURN_IF_ERROR(ValidateLimits(limits));
  return Build(std::string(yaml_text), source, limits);
}

absl::StatusOr<ModelRepository> ModelRepository::Build(const std::optional<std::string>& yaml_text,
                                                       std::string_view source, const YamlLimits& limits) {
  RECTIFIER_ASSIGN_OR_RETURN(std::vector<Model> models, BuiltInModels());
  if (yaml_text.has_value()) {
    // yaml-cpp reports some errors by exception; none may leave this module.
    absl::StatusOr<std::vector<Model>> file_models;
    try {
      absl::StatusOr<YAML::Node> root = ParseYaml(*yaml_text, source, limits);
      if (!root.ok()) return root.status();
      file_models = ReadModels(*root, source);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(StrCat(source, ": ", e.what()));
    }
    if (!file_models.ok()) return file_models.status();
    // name -> where it was defined, for duplicate messages.
    std::map<std::string, std::string, std::less<>> defined;
    for (const Model& model : models) defined.emplace(model.name, "a built-in model");
    for (size_t i = 0; i < file_models->size(); ++i) {
      Model& model = (*file_models)[i];
      auto [it, inserted] = defined.emplace(model.name, StrCat("models[", i, "]"));
      if (!inserted) {
        return absl::InvalidArgumentError(StrCat(source, ": models[", i, "]: model name '",
                                                 model.name, "' is already taken by ", it->second));
      }
      models.push_back(std::move(model));
    }
  }
  std::sort(models.begin(), models.end(), [](const Model& a, const Model& b) { return a.name < b.name; });
  return ModelRepository(std::move(models));
}

const Model* ModelRepository::Find(std::string_view name) const {
  auto it = std::lower_bound(models_.begin(), models_.end(), name,
                             [](const Model& model, std::string_view key) { return model.name < key; });
  if (it == models_.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace rectifier::server
