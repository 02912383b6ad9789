// Protobuf messages to and from grpc::ByteBuffer through gRPC's own serialization traits (the code path
// generated stubs use), for request builders: serialize once when building, parse when verifying.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "kernels/str_cat.h"

namespace rectifier::bench {

template <typename Message>
absl::StatusOr<grpc::ByteBuffer> SerializeToByteBuffer(const Message& message) {
  grpc::ByteBuffer buffer;
  bool own_buffer = false;
  grpc::Status status = grpc::SerializationTraits<Message>::Serialize(message, &buffer, &own_buffer);
  if (!status.ok()) return absl::InternalError(StrCat("serializing the request: ", status.error_message()));
  return buffer;
}

template <typename Message>
absl::StatusOr<Message> ParseByteBuffer(const grpc::ByteBuffer& buffer) {
  grpc::ByteBuffer copy = buffer;  // Deserialize consumes its buffer; the copy shares the slices.
  Message message;
  grpc::Status status = grpc::SerializationTraits<Message>::Deserialize(&copy, &message);
  if (!status.ok()) return absl::InternalError(StrCat("response does not parse: ", status.error_message()));
  return message;
}

}  // namespace rectifier::bench
