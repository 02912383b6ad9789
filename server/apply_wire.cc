#include "server/apply_wire.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include <grpc/slice.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace rectifier::server {
namespace {

using google::protobuf::internal::WireFormatLite;

// Field numbers from proto/rectifier/v1/rectifier.proto.
constexpr int kApplyResponseOutputField = 2;
constexpr int kTensorDataField = 3;
// SIMD stores and whole cache lines for the kernels.
constexpr size_t kOutputAlignmentBytes = 64;

void AppendLengthDelimitedKey(int field, uint64_t length, std::string* out) {
  using google::protobuf::io::CodedOutputStream;
  constexpr int kMaxVarint64Bytes = 10;
  uint8_t key[2 * kMaxVarint64Bytes];
  uint8_t* end = CodedOutputStream::WriteVarint32ToArray(
      WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED), key);
  end = CodedOutputStream::WriteVarint64ToArray(length, end);
  out->append(reinterpret_cast<const char*>(key), static_cast<size_t>(end - key));
}

}  // namespace

absl::Status ParseApplyRequest(const grpc::ByteBuffer& bytes, v1::ApplyRequest* request) {
  // ProtoBufferReader only reads the buffer, but takes it non-const.
  grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&bytes));
  if (!reader.status().ok() || !request->ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError("the request is not a valid rectifier.v1.ApplyRequest message");
  }
  return absl::OkStatus();
}

absl::Status ReceiveApplyRequest(const grpc::ByteBuffer& bytes, size_t zero_copy_min_bytes,
                                 SlicedApplyRequest* request) {
  if (bytes.Length() >= zero_copy_min_bytes && ParseApplyRequestInSlices(bytes, request)) return absl::OkStatus();
  *request = SlicedApplyRequest();  // The walker may have filled part of it before it declined.
  return ParseApplyRequest(bytes, &request->request);
}

void* ApplyResponseWire::AllocateOutput(size_t bytes) {
  // Over-allocate, then keep an aligned sub-slice that shares (and now owns) the allocation's reference.
  // The C API, because grpc::Slice::sub() copies ranges of up to 23 bytes into an unaligned inline slice.
  grpc_slice whole = grpc_slice_malloc_large(bytes + kOutputAlignmentBytes);
  const auto base = reinterpret_cast<uintptr_t>(GRPC_SLICE_START_PTR(whole));
  const size_t offset = (kOutputAlignmentBytes - base % kOutputAlignmentBytes) % kOutputAlignmentBytes;
  output_ = grpc::Slice(grpc_slice_sub_no_ref(whole, offset, offset + bytes), grpc::Slice::STEAL_REF);
  has_output_ = true;
  return const_cast<uint8_t*>(output_.begin());
}

void* ApplyResponseWire::AdoptAsOutput(std::string&& bytes) {
  auto* owned = new std::string(std::move(bytes));
  output_ = grpc::Slice(owned->data(), owned->size(), [](void* string) { delete static_cast<std::string*>(string); },
                        owned);
  has_output_ = true;
  return owned->data();
}

void ApplyResponseWire::AdoptReceivedData(std::vector<grpc::Slice> slices, std::vector<DataSegment> data) {
  received_slices_ = std::move(slices);
  received_data_ = std::move(data);
  has_output_ = true;
}

grpc::ByteBuffer ApplyResponseWire::Encode(const v1::ApplyResponse& response) && {
  if (!has_output_) {
    std::string bytes = response.SerializeAsString();
    grpc::Slice slice(std::move(bytes));
    return grpc::ByteBuffer(&slice, 1);
  }
  // request_id (and anything else) first, then output = {dtype, shape, data}.
  v1::ApplyResponse head = response;
  head.clear_output();
  std::string prefix = head.SerializeAsString();
  const std::string tensor_head = response.output().SerializeAsString();
  std::vector<grpc::Slice> slices;
  slices.reserve(1 + std::max<size_t>(1, received_data_.size()));
  slices.emplace_back();  // The prefix, below.
  uint64_t data_bytes = 0;
  if (received_data_.empty()) {
    data_bytes = output_.size();
    if (data_bytes > 0) slices.push_back(std::move(output_));
  } else {
    for (const DataSegment& segment : received_data_) {
      slices.push_back(received_slices_[segment.slice].sub(segment.offset, segment.offset + segment.bytes));
      data_bytes += segment.bytes;
    }
    received_slices_.clear();
    received_data_.clear();
  }
  std::string data_key;  // proto3 leaves out an empty bytes field, and so do we.
  if (data_bytes > 0) AppendLengthDelimitedKey(kTensorDataField, data_bytes, &data_key);
  AppendLengthDelimitedKey(kApplyResponseOutputField, tensor_head.size() + data_key.size() + data_bytes, &prefix);
  prefix += tensor_head;
  prefix += data_key;
  slices[0] = grpc::Slice(std::move(prefix));
  has_output_ = false;
  return grpc::ByteBuffer(slices.data(), slices.size());
}

}  // namespace rectifier::server
