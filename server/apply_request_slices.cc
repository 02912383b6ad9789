#include "server/apply_request_slices.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace rectifier::server {
namespace {

// Field numbers and wire types from proto/rectifier/v1/rectifier.proto and the protobuf encoding.
constexpr uint32_t kApplyRequestInputField = 4;
constexpr uint32_t kTensorDataField = 3;
constexpr uint32_t kWireVarint = 0;
constexpr uint32_t kWireFixed64 = 1;
constexpr uint32_t kWireLengthDelimited = 2;
constexpr uint32_t kWireFixed32 = 5;
constexpr int kMaxVarintBytes = 10;
// Tags and lengths are 32-bit varints: protobuf refuses longer encodings of them, even of small values, and
// lengths of 2^31 or more.
constexpr int kMaxVarint32Bytes = 5;
constexpr uint64_t kMaxLength = 0x7FFFFFFF;

// Reads the concatenation of a message's slices front to back.
class SliceReader {
 public:
  explicit SliceReader(const std::vector<grpc::Slice>& slices) : slices_(slices) {}

  size_t position() const { return position_; }

  bool ReadByte(uint8_t* byte) {
    if (!SkipEmpty()) return false;
    *byte = slices_[slice_].begin()[offset_];
    Advance(1);
    return true;
  }

  bool ReadVarint(uint64_t* value, int max_bytes = kMaxVarintBytes) {
    *value = 0;
    for (int i = 0; i < max_bytes; ++i) {
      uint8_t byte;
      if (!ReadByte(&byte)) return false;
      *value |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
      if ((byte & 0x80) == 0) return true;
    }
    return false;  // Overlong.
  }

  // A length-delimited field's length, as protobuf reads it.
  bool ReadLength(uint64_t* length) { return ReadVarint(length, kMaxVarint32Bytes) && *length <= kMaxLength; }

  // Appends the next `bytes` bytes to `out`.
  bool CopyTo(uint64_t bytes, std::string* out) {
    while (bytes > 0) {
      if (!SkipEmpty()) return false;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(bytes, slices_[slice_].size() - offset_));
      out->append(reinterpret_cast<const char*>(slices_[slice_].begin() + offset_), take);
      Advance(take);
      bytes -= take;
    }
    return true;
  }

  // Records where the next `bytes` bytes are, replacing `segments`.
  bool Locate(uint64_t bytes, std::vector<DataSegment>* segments) {
    segments->clear();
    while (bytes > 0) {
      if (!SkipEmpty()) return false;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(bytes, slices_[slice_].size() - offset_));
      segments->push_back({slice_, offset_, take});
      Advance(take);
      bytes -= take;
    }
    return true;
  }

 private:
  // Moves past exhausted slices; false at the end of the message.
  bool SkipEmpty() {
    while (slice_ < slices_.size() && offset_ == slices_[slice_].size()) {
      ++slice_;
      offset_ = 0;
    }
    return slice_ < slices_.size();
  }
  void Advance(size_t bytes) {
    offset_ += bytes;
    position_ += bytes;
  }

  const std::vector<grpc::Slice>& slices_;
  size_t slice_ = 0;
  size_t offset_ = 0;
  size_t position_ = 0;
};

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads a tag; false at a malformed one (over 5 bytes, field number 0 or above 2^29 - 1, or a group's wire
// types).
bool ReadTag(SliceReader& reader, uint32_t* field, uint32_t* wire_type) {
  uint64_t tag;
  if (!reader.ReadVarint(&tag, kMaxVarint32Bytes) || tag > UINT32_MAX) return false;
  *field = static_cast<uint32_t>(tag >> 3);
  *wire_type = static_cast<uint32_t>(tag & 7);
  return *field != 0 &&
         (*wire_type == kWireVarint || *wire_type == kWireFixed64 || *wire_type == kWireLengthDelimited ||
          *wire_type == kWireFixed32);
}

// Copies one field whose tag was just read, re-encoded as it came, to `out`.
bool CopyField(SliceReader& reader, uint32_t field, uint32_t wire_type, std::string* out) {
  AppendVarint((static_cast<uint64_t>(field) << 3) | wire_type, out);
  uint64_t value;
  switch (wire_type) {
    case kWireVarint:
      if (!reader.ReadVarint(&value)) return false;
      AppendVarint(value, out);
      return true;
    case kWireFixed64:
      return reader.CopyTo(8, out);
    case kWireFixed32:
      return reader.CopyTo(4, out);
    case kWireLengthDelimited:
      if (!reader.ReadLength(&value)) return false;
      AppendVarint(value, out);
      return reader.CopyTo(value, out);
    default:
      return false;
  }
}

// Reads the length of a length-delimited field whose tag was just read; false when the field is of another
// wire type, its length is malformed, or it runs past `end` (a position in the message).
bool ReadLengthWithin(SliceReader& reader, uint32_t wire_type, size_t end, uint64_t* length) {
  return wire_type == kWireLengthDelimited && reader.ReadLength(length) &&
         *length <= end - std::min(end, reader.position());
}

}  // namespace

bool ParseApplyRequestInSlices(const grpc::ByteBuffer& bytes, SlicedApplyRequest* out) {
  out->slices.clear();
  out->data.clear();
  out->data_bytes = 0;
  if (!bytes.Dump(&out->slices).ok()) return false;
  const size_t total = bytes.Length();
  SliceReader reader(out->slices);
  std::string request_fields;  // Every ApplyRequest field but `input`.
  std::string tensor_fields;   // Every field of every `input` but `data`.
  bool has_input = false;
  while (reader.position() < total) {
    uint32_t field, wire_type;
    if (!ReadTag(reader, &field, &wire_type)) return false;
    if (field != kApplyRequestInputField) {
      if (!CopyField(reader, field, wire_type, &request_fields)) return false;
      continue;
    }
    uint64_t input_bytes;
    if (!ReadLengthWithin(reader, wire_type, total, &input_bytes)) return false;
    has_input = true;
    const size_t input_end = reader.position() + static_cast<size_t>(input_bytes);
    while (reader.position() < input_end) {
      uint32_t tensor_field, tensor_wire_type;
      if (!ReadTag(reader, &tensor_field, &tensor_wire_type)) return false;
      if (tensor_field != kTensorDataField) {
        if (!CopyField(reader, tensor_field, tensor_wire_type, &tensor_fields)) return false;
        continue;
      }
      uint64_t data_bytes;
      if (!ReadLengthWithin(reader, tensor_wire_type, input_end, &data_bytes)) return false;
      // A later data field replaces an earlier one, as in protobuf's parse.
      if (!reader.Locate(data_bytes, &out->data)) return false;
      out->data_bytes = static_cast<size_t>(data_bytes);
    }
    if (reader.position() != input_end) return false;  // A field ran past the end of `input`.
  }
  if (reader.position() != total) return false;
  out->request.Clear();
  if (!out->request.ParseFromString(request_fields)) return false;
  if (has_input && !out->request.mutable_input()->MergeFromString(tensor_fields)) return false;
  return true;
}

void CopyDataIntoRequest(SlicedApplyRequest* request) {
  std::string* data = request->request.mutable_input()->mutable_data();
  data->clear();
  data->reserve(request->data_bytes);
  for (const DataSegment& segment : request->data) {
    data->append(reinterpret_cast<const char*>(request->SegmentStart(segment)), segment.bytes);
  }
  request->slices.clear();
  request->data.clear();
  request->data_bytes = 0;
}

}  // namespace rectifier::server
