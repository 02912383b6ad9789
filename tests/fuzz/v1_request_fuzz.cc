// libFuzzer target: rectifier.v1 request validation and execution, without gRPC.
//
// The input bytes go the way Apply and ApplyStream take them off the wire: a gRPC byte buffer parsed by
// ParseApplyRequest, then ApplyHandler::Prepare with the output in an ApplyResponseWire slice. When Prepare
// accepts the request, the kernel library computes it: Prepare promises a request that computes, so Apply
// must then return OK, and the encoded response must be byte-for-byte protobuf's serialization of the same
// ApplyResponse. A rejected request must carry one of the documented codes and a message. The same bytes,
// cut into three slices, then take the path of requests computed where they were received
// (ReceiveApplyRequest, Prepare of a SlicedApplyRequest, ApplyInRuns): same status, same response bytes.
// Work is bounded by the tensor limits (4096 elements here), as the server bounds it with its flags.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/apply.h"
#include "kernels/apply_in_runs.h"
#include "rectifier/v1/rectifier.pb.h"
#include "server/apply_handler.h"
#include "server/apply_request_slices.h"
#include "server/apply_wire.h"
#include "tests/fuzz/fuzz_models.h"

namespace {

using rectifier::server::ApplyHandler;
const ApplyHandler& Handler() {
  static const ApplyHandler* handler = [] {
    auto created = ApplyHandler::Create({.limits = rectifier::fuzz::kFuzzLimits, .models = &rectifier::fuzz::FuzzModels()});
    if (!created.ok()) std::abort();
    return created->release();
  }();
  return *handler;
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

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) std::abort();
  std::string bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes;
}

grpc::ByteBuffer InThreeSlices(const uint8_t* data, size_t size) {
  grpc::Slice slices[] = {grpc::Slice(data, size / 3), grpc::Slice(data + size / 3, size / 3),
                          grpc::Slice(data + 2 * (size / 3), size - 2 * (size / 3))};
  return grpc::ByteBuffer(slices, 3);
}

// The slice walker (server/apply_request_slices.h) on the same bytes, cut into three slices: it must decline
// what protobuf refuses, and whatever it accepts must be protobuf's request with input.data in its segments.
void CheckSliceWalker(const uint8_t* data, size_t size, const absl::Status& parsed,
                      const rectifier::v1::ApplyRequest& request) {
  rectifier::server::SlicedApplyRequest sliced;
  if (!rectifier::server::ParseApplyRequestInSlices(InThreeSlices(data, size), &sliced)) return;
  if (!parsed.ok()) Fail("the slice walker accepted bytes protobuf refuses", request, parsed);
  std::string joined;
  for (const rectifier::server::DataSegment& segment : sliced.data) {
    joined.append(reinterpret_cast<const char*>(sliced.SegmentStart(segment)), segment.bytes);
  }
  rectifier::v1::ApplyRequest expected = request;
  if (expected.has_input()) expected.mutable_input()->clear_data();
  if (joined != request.input().data() || sliced.data_bytes != joined.size() ||
      sliced.request.SerializeAsString() != expected.SerializeAsString()) {
    Fail("the slice walker disagrees with protobuf", request, parsed);
  }
}

// The in-slices path on the same bytes must end as the whole parse did: `whole` is its status (of parsing,
// then preparing) and `whole_response` its encoded response when both succeeded.
void CheckInSlicesPath(const uint8_t* data, size_t size, const absl::Status& whole, const std::string& whole_response,
                       const rectifier::v1::ApplyRequest& request) {
  rectifier::server::SlicedApplyRequest received;
  absl::Status status = rectifier::server::ReceiveApplyRequest(InThreeSlices(data, size), 0, &received);
  rectifier::v1::ApplyResponse response;
  rectifier::server::ApplyResponseWire wire;
  std::optional<rectifier::server::PreparedRequest> prepared;
  if (status.ok()) {
    absl::StatusOr<rectifier::server::PreparedRequest> result = Handler().Prepare(&received, &response, &wire);
    status = result.status();
    if (result.ok()) prepared = std::move(*result);
  }
  if (status != whole) Fail("the in-slices path's status differs from the whole parse's", request, status);
  if (!prepared) return;
  const absl::Status applied =
      prepared->in_place_runs.empty()
          ? rectifier::Apply(prepared->activation, prepared->input, prepared->output, {.max_threads = 1})
          : rectifier::ApplyInRuns(prepared->activation, prepared->input.dtype, prepared->in_place_runs,
                                   {.max_threads = 1});
  if (!applied.ok()) Fail("a request prepared in slices failed to compute", request, applied);
  if (Flatten(std::move(wire).Encode(response)) != whole_response) {
    Fail("the in-slices path's response differs from the whole parse's", request, absl::OkStatus());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  grpc::Slice slice(data, size);
  const grpc::ByteBuffer wire_request(&slice, 1);
  rectifier::v1::ApplyRequest request;
  const absl::Status parsed = rectifier::server::ParseApplyRequest(wire_request, &request);
  CheckSliceWalker(data, size, parsed, request);
  if (!parsed.ok()) {
    if (parsed.code() != absl::StatusCode::kInvalidArgument) Fail("ParseApplyRequest returned an undocumented code", request, parsed);
    CheckInSlicesPath(data, size, parsed, "", request);
    return 0;
  }
  rectifier::v1::ApplyResponse response;
  rectifier::server::ApplyResponseWire wire;
  absl::StatusOr<rectifier::server::PreparedRequest> prepared = Handler().Prepare(request, &response, &wire);
  if (!prepared.ok()) {
    const absl::StatusCode code = prepared.status().code();
    if (code != absl::StatusCode::kInvalidArgument && code != absl::StatusCode::kNotFound &&
        code != absl::StatusCode::kResourceExhausted) {
      Fail("Prepare returned an undocumented code", request, prepared.status());
    }
    if (prepared.status().message().empty()) Fail("Prepare returned an error without a message", request, prepared.status());
    CheckInSlicesPath(data, size, prepared.status(), "", request);
    return 0;
  }
  if (response.request_id() != request.request_id()) Fail("the response lost the request_id", request, absl::OkStatus());
  const absl::Status applied =
      rectifier::Apply(prepared->activation, prepared->input, prepared->output, {.max_threads = 1});
  if (!applied.ok()) Fail("a prepared request failed to compute", request, applied);
  // Oracle: protobuf's own serialization of the response with the computed bytes in output.data.
  rectifier::v1::ApplyResponse expected = response;
  expected.mutable_output()->set_data(static_cast<const char*>(prepared->output.data), prepared->output_bytes);
  const std::string expected_bytes = expected.SerializeAsString();
  if (Flatten(std::move(wire).Encode(response)) != expected_bytes) {
    Fail("the encoded response differs from protobuf's serialization", request, absl::OkStatus());
  }
  CheckInSlicesPath(data, size, absl::OkStatus(), expected_bytes, request);
  return 0;
}
