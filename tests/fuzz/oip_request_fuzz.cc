// libFuzzer target: Open Inference Protocol (KServe v2) ModelInfer validation and execution, without gRPC.
//
// The input bytes are parsed as an inference.ModelInferRequest (as the server receives it off the wire),
// then go through PrepareOipInfer, the kernel library and FinishOipInfer, exactly as ModelInfer does.
// A prepared request must compute (Apply returns OK), and its response must hold exactly one output of the
// promised size. A rejected request must carry one of the documented codes and a message. Work is bounded
// by the tensor limits (4096 elements here), as the server bounds it with its flags.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "inference/grpc_service.pb.h"
#include "kernels/apply.h"
#include "server/oip_convert.h"
#include "tests/fuzz/fuzz_models.h"

namespace {

[[noreturn]] void Fail(const char* what, const inference::ModelInferRequest& request, const absl::Status& status) {
  inference::ModelInferRequest copy = request;
  copy.clear_raw_input_contents();
  std::fprintf(stderr, "oip_request_fuzz: %s: %s\nrequest (without raw contents): %s\n", what,
               status.ToString().c_str(), copy.ShortDebugString().c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  inference::ModelInferRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;  // gRPC would refuse it too.
  inference::ModelInferResponse response;
  auto infer = rectifier::server::PrepareOipInfer(request, rectifier::fuzz::FuzzModels(),
                                                  rectifier::fuzz::kFuzzLimits, &response);
  if (!infer.ok()) {
    const absl::StatusCode code = infer.status().code();
    if (code != absl::StatusCode::kInvalidArgument && code != absl::StatusCode::kNotFound &&
        code != absl::StatusCode::kResourceExhausted) {
      Fail("PrepareOipInfer returned an undocumented code", request, infer.status());
    }
    if (infer.status().message().empty()) Fail("PrepareOipInfer returned an error without a message", request, infer.status());
    return 0;
  }
  const rectifier::server::PreparedRequest& prepared = (*infer)->prepared;
  const absl::Status applied = rectifier::Apply(prepared.activation, prepared.input, prepared.output, {.max_threads = 1});
  if (!applied.ok()) Fail("a prepared request failed to compute", request, applied);
  rectifier::server::FinishOipInfer(**infer, &response);
  if (response.outputs_size() != 1) Fail("the response does not hold exactly one output", request, absl::OkStatus());
  if (response.id() != request.id()) Fail("the response lost the request id", request, absl::OkStatus());
  if (!(*infer)->answer_typed &&
      (response.raw_output_contents_size() != 1 || response.raw_output_contents(0).size() != prepared.output_bytes)) {
    Fail("the raw output is not the promised size", request, absl::OkStatus());
  }
  return 0;
}
