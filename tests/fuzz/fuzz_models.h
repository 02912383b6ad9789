// What the request fuzz targets (rectifier.v1, Open Inference Protocol) share: the tensor limits that bound
// each input's work, as the server's flags bound a request's, and the model repository requests may name.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "server/model_repository.h"
#include "server/proto_convert.h"

namespace rectifier::fuzz {

inline constexpr server::TensorLimits kFuzzLimits = {.max_elements = 4096, .max_rank = 8};

// Built-in models plus two from a repository file, so that requests naming a model reach both kinds.
inline const server::ModelRepository& FuzzModels() {
  static const server::ModelRepository* models = [] {
    auto created = server::ModelRepository::CreateFromText(R"yaml(models:
  - name: stem_prelu
    activation: "prelu(weight=[0.25, 0.1, 0.3])"
  - name: gelu_fast
    activation: gelu(approximate=tanh)
)yaml",
                                                           "fuzz models");
    if (!created.ok()) std::abort();
    return new server::ModelRepository(*std::move(created));
  }();
  return *models;
}

}  // namespace rectifier::fuzz
