// libFuzzer target: rectifier.v1 request validation and execution, without gRPC.
//
// The input bytes are parsed as a rectifier.v1.ApplyRequest (as the server receives it off the wire), then
// go through ApplyHandler::Prepare, exactly as the Apply and ApplyStream RPCs do. When Prepare accepts the
// request, the kernel library computes it into the response: Prepare promises a request that computes, so
// Apply must then return OK. A rejected request must carry one of the documented codes and a message.
// Work is bounded by the tensor limits (4096 elements here), as the server bounds it with its flags.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "kernels/apply.h"
#include "rectifier/v1/rectifier.pb.h"
#include "server/apply_handler.h"
#include "server/model_repository.h"

namespace {

using rectifier::server::ApplyHandler;
using rectifier::server::ModelRepository;

constexpr int64_t kMaxFuzzElements = 4096;
constexpr int kMaxFuzzRank = 8;

// Built-in models plus two from a repository file, so that requests naming a model reach both kinds.
constexpr const char* kModelsYaml = R"yaml(models:
  - name: stem_prelu
    activation: "prelu(weight=[0.25, 0.1, 0.3])"
  - name: gelu_fast
    activation: gelu(approximate=tanh)
)yaml";

struct Fixture {
  std::unique_ptr<ModelRepository> models;
  std::unique_ptr<ApplyHandler> handler;
};

const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    auto models = ModelRepository::CreateFromText(kModelsYaml, "fuzz models");
    if (!models.ok()) std::abort();
    f->models = std::make_unique<ModelRepository>(*std::move(models));
    auto handler = ApplyHandler::Create(
        {.limits = {.max_elements = kMaxFuzzElements, .max_rank = kMaxFuzzRank}, .models = f->models.get()});
    if (!handler.ok()) std::abort();
    f->handler = *std::move(handler);
    return f;
  }();
  return *fixture;
}

[[noreturn]] void Fail(const char* what, const rectifier::v1::ApplyRequest& request, const absl::Status& status) {
  std::fprintf(stderr, "v1_request_fuzz: %s: %s\nrequest (without data): %s\n", what, status.ToString().c_str(),
               [&] {
                 rectifier::v1::ApplyRequest copy = request;
                 copy.mutable_input()->clear_data();
                 return copy.ShortDebugString();
               }()
                   .c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& fixture = GetFixture();
  rectifier::v1::ApplyRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;  // gRPC would refuse it too.
  rectifier::v1::ApplyResponse response;
  absl::StatusOr<rectifier::server::PreparedRequest> prepared = fixture.handler->Prepare(request, &response);
  if (!prepared.ok()) {
    const absl::StatusCode code = prepared.status().code();
    if (code != absl::StatusCode::kInvalidArgument && code != absl::StatusCode::kNotFound &&
        code != absl::StatusCode::kResourceExhausted) {
      Fail("Prepare returned an undocumented code", request, prepared.status());
    }
    if (prepared.status().message().empty()) Fail("Prepare returned an error without a message", request, prepared.status());
    return 0;
  }
  if (response.request_id() != request.request_id()) Fail("the response lost the request_id", request, absl::OkStatus());
  const absl::Status applied =
      rectifier::Apply(prepared->activation, prepared->input, prepared->output, {.max_threads = 1});
  if (!applied.ok()) Fail("a prepared request failed to compute", request, applied);
  return 0;
}
