// RequestBuilder: the API-specific part of rectifier-bench. It builds one request for an API (rectifier.v1
// Apply/ApplyStream, or the Open Inference Protocol's ModelInfer), serializes it once into a
// grpc::ByteBuffer that every call re-sends (the generator never serializes while it times), and checks a
// serialized response against the reference result. Everything else (workers, echo baseline, statistics)
// is API-agnostic: it only ever sees method names and byte buffers.
//
// Immutable after Create(); thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/support/byte_buffer.h"
#include "kernels/data_type.h"

namespace rectifier::bench {

struct RequestSpec {
  std::string api = "rectifier.v1";  // or "oip"
  std::string activation = "relu";  // text form
  DataType dtype = DataType::kFloat32;
  std::vector<int64_t> shape;
  uint64_t seed = 1;
};

class RequestBuilder {
 public:
  virtual ~RequestBuilder() = default;
  // Full gRPC method names ("/package.Service/Method"). stream_method() is empty when the API has none.
  virtual const std::string& unary_method() const = 0;
  virtual const std::string& stream_method() const = 0;
  // The serialized request; callers copy it (a reference-count increment, not a byte copy).
  virtual const grpc::ByteBuffer& request() const = 0;
  virtual size_t input_tensor_bytes() const = 0;
  virtual size_t output_tensor_bytes() const = 0;
  // OK when `response` is a successful answer to request() whose output equals the reference (the kernel
  // library run locally) within the data type's tolerance; else INTERNAL saying what differs.
  virtual absl::Status VerifyResponse(const grpc::ByteBuffer& response) const = 0;
};

// INVALID_ARGUMENT for an unknown API, a bad activation, or a shape the activation does not accept.
absl::StatusOr<std::unique_ptr<RequestBuilder>> CreateRequestBuilder(const RequestSpec& spec);

// The shape rectifier-bench uses for an input of `bytes` bytes of `dtype`: [n/1024, 1024] when 1024 divides
// the element count n, else [n].
std::vector<int64_t> ShapeForBytes(DataType dtype, uint64_t bytes);

// Whether two buffers hold the same bytes (the echo server's answer must be the request itself).
bool SameBytes(const grpc::ByteBuffer& a, const grpc::ByteBuffer& b);

}  // namespace rectifier::bench
