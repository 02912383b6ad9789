// Finds a received rectifier.v1.ApplyRequest's input.data inside gRPC's receive slices without copying it,
// and parses every other field with protobuf (issue 7: the parse copy of a 4 MiB payload is the largest
// pass Rectifier makes that the echo baseline does not).
//
// The walker reads only the two levels it needs (ApplyRequest, and Tensor inside `input`); every other field
// is re-encoded as it came and handed to protobuf, so the result is exactly what protobuf's own parse gives,
// minus the data: repeated `input` fields merge, the last `data` field wins, unknown fields are kept. Any
// form it does not handle (groups, a known field with an unexpected wire type, a truncated or overlong
// field) makes it decline; the caller then parses the bytes whole (ParseApplyRequest), which yields the right
// request or the right error. tests/server/apply_request_slices_test.cc checks both against protobuf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include "rectifier/v1/rectifier.pb.h"

namespace rectifier::server {

// One run of input.data's bytes inside one slice.
struct DataSegment {
  size_t slice = 0;   // Index into SlicedApplyRequest::slices.
  size_t offset = 0;  // Bytes from the slice's start.
  size_t bytes = 0;
};

struct SlicedApplyRequest {
  v1::ApplyRequest request;         // Every field but input.data, which is left empty.
  std::vector<grpc::Slice> slices;  // References to the message's slices; `data` points into them.
  std::vector<DataSegment> data;    // input.data, in order; empty segments are left out.
  size_t data_bytes = 0;            // Sum of data[i].bytes.

  // Where `segment` starts. Writable: a received message's slices are the server's alone once delivered.
  uint8_t* SegmentStart(const DataSegment& segment) const {
    return const_cast<uint8_t*>(slices[segment.slice].begin()) + segment.offset;
  }
};

// Fills `out` and returns true, or returns false (with `out` unspecified) when `bytes` take a form the
// walker does not handle; see above. Reads `bytes` only; `out` then shares their slices.
bool ParseApplyRequestInSlices(const grpc::ByteBuffer& bytes, SlicedApplyRequest* out);

// Copies input.data out of the slices into request->request (the one copy protobuf's parse makes) and
// releases the slices: `request` is then what ParseApplyRequest would have given, with no data segments.
void CopyDataIntoRequest(SlicedApplyRequest* request);

}  // namespace rectifier::server
