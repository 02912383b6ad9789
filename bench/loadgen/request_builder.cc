#include "bench/loadgen/request_builder.h"

#include <vector>

#include "bench/loadgen/oip_request_builder.h"
#include "bench/loadgen/rectifier_v1_request_builder.h"
#include "kernels/str_cat.h"

namespace rectifier::bench {
namespace {

constexpr int64_t kRowElements = 1024;

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RequestBuilder>> CreateRequestBuilder(const RequestSpec& spec) {
  if (spec.api == "rectifier.v1") return CreateRectifierV1RequestBuilder(spec);
  if (spec.api == "oip") return CreateOipRequestBuilder(spec);
  return absl::InvalidArgumentError(StrCat("api must be rectifier.v1 or oip; was '", spec.api, "'"));
}

std::vector<int64_t> ShapeForBytes(DataType dtype, uint64_t bytes) {
  const int64_t elements = static_cast<int64_t>(bytes / ElementSizeBytes(dtype));
  if (elements >= kRowElements && elements % kRowElements == 0) return {elements / kRowElements, kRowElements};
  return {elements};
}

bool SameBytes(const grpc::ByteBuffer& a, const grpc::ByteBuffer& b) {
  return a.Length() == b.Length() && Flatten(a) == Flatten(b);
}

}  // namespace rectifier::bench
