// The wire side of rectifier.v1 Apply and ApplyStream, which the service handles as raw gRPC byte
// buffers instead of through gRPC's protobuf serialization, to save two passes over every payload.
//
// ParseApplyRequest: an ApplyRequest from its bytes (the one copy the kernels need: contiguous input).
//
// ApplyResponseWire: the wire form of one rectifier.v1.ApplyResponse whose output tensor bytes live in
// their own gRPC slice. The kernel writes the result straight into that slice, and the response goes to
// the socket from it: no zero-filled std::string, no copy by protobuf serialization (issue 7 counts
// those two passes over a 4 MiB payload as a third of the server's cost and a quarter of its memory).
//
// Use: AllocateOutput() (or AdoptAsOutput / AdoptReceivedData, for a kernel computing in place) once the output size is known (ApplyHandler::Prepare does this), let the kernel
// write it, then Encode() the response, whose output.data must be empty. Encode() emits output as one
// Tensor submessage with data last, the order protobuf itself writes, so every client library (including
// ones that do not merge repeated submessages, such as protobuf.js) reads it as a plain ApplyResponse.
// Not thread-safe; one per response. Owns its slices until Encode() hands them to the ByteBuffer.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include "absl/status/status.h"
#include "rectifier/v1/rectifier.pb.h"
#include "server/apply_request_slices.h"

namespace rectifier::server {

// Parses `bytes` into `request`. INVALID_ARGUMENT when they are not an ApplyRequest. Reads `bytes` only.
absl::Status ParseApplyRequest(const grpc::ByteBuffer& bytes, v1::ApplyRequest* request);

// Parses `bytes` into `request`, leaving input.data in the receive slices (ParseApplyRequestInSlices) when
// the message has at least `zero_copy_min_bytes` bytes and the walker takes it, and whole
// (ParseApplyRequest, no slices kept) otherwise. INVALID_ARGUMENT as ParseApplyRequest.
absl::Status ReceiveApplyRequest(const grpc::ByteBuffer& bytes, size_t zero_copy_min_bytes,
                                 SlicedApplyRequest* request);

class ApplyResponseWire {
 public:
  // Allocates `bytes` uninitialised, 64-byte aligned bytes for output.data and returns them. Call at
  // most once (this or AdoptAsOutput).
  void* AllocateOutput(size_t bytes);

  // Takes `bytes` (a request's input, of the output's size) as output.data and returns where they now
  // are, for a kernel computing in place: no output allocation at all, and the response goes to the socket
  // from the buffer the request was parsed into.
  void* AdoptAsOutput(std::string&& bytes);

  // Takes a received request's slices, whose `data` segments (its input.data, to be computed in place)
  // become output.data: the response goes to the socket from the buffers the request arrived in, and
  // Encode() cuts it out of them only then, after the kernel wrote it.
  void AdoptReceivedData(std::vector<grpc::Slice> slices, std::vector<DataSegment> data);

  // The wire bytes of `response` with output.data replaced by the allocated bytes (when AllocateOutput
  // was called; `response` is serialized as it is otherwise). `response.output().data()` must be empty.
  grpc::ByteBuffer Encode(const v1::ApplyResponse& response) &&;

 private:
  // The output: one slice (AllocateOutput, AdoptAsOutput), or `received_data_` in `received_slices_`.
  grpc::Slice output_;
  bool has_output_ = false;
  std::vector<grpc::Slice> received_slices_;
  std::vector<DataSegment> received_data_;
};

}  // namespace rectifier::server
