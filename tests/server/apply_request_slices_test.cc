// ParseApplyRequestInSlices (server/apply_request_slices.h). Oracle: protobuf's own parse of the same bytes.
// Whenever the walker accepts bytes, its request must equal protobuf's with input.data cleared, and its
// segments, concatenated, must be protobuf's input.data; whenever protobuf refuses bytes, the walker must
// decline them too (so the caller's full parse gives the error). Every message is cut into slices at every
// position (and at every pair of positions for short ones), as gRPC's receive buffers may cut it anywhere.
#include "server/apply_request_slices.h"

#include <cstdint>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace rectifier::server {
namespace {

grpc::ByteBuffer Cut(const std::string& bytes, const std::vector<size_t>& cuts) {
  std::vector<grpc::Slice> slices;
  size_t start = 0;
  for (size_t cut : cuts) {
    slices.emplace_back(bytes.data() + start, cut - start);
    start = cut;
  }
  slices.emplace_back(bytes.data() + start, bytes.size() - start);
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::string Joined(const SlicedApplyRequest& sliced) {
  std::string data;
  for (const DataSegment& segment : sliced.data) {
    EXPECT_GT(segment.bytes, 0u);
    data.append(reinterpret_cast<const char*>(sliced.SegmentStart(segment)), segment.bytes);
  }
  EXPECT_EQ(data.size(), sliced.data_bytes);
  return data;
}

// Checks the walker against protobuf on `bytes` cut at `cuts`. `must_accept`: the form is one the walker
// handles, so declining is a failure too.
void CheckAgainstProtobuf(const std::string& bytes, const std::vector<size_t>& cuts, bool must_accept,
                          const std::string& what) {
  v1::ApplyRequest expected;
  const bool protobuf_parses = expected.ParseFromString(bytes);
  SlicedApplyRequest sliced;
  const bool accepted = ParseApplyRequestInSlices(Cut(bytes, cuts), &sliced);
  if (!protobuf_parses) {
    EXPECT_FALSE(accepted) << what << ": protobuf refuses these bytes";
    return;
  }
  if (must_accept) EXPECT_TRUE(accepted) << what;
  if (!accepted) return;
  const std::string data = expected.input().data();
  if (expected.has_input()) expected.mutable_input()->clear_data();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(sliced.request, expected))
      << what << "\nwalker: " << sliced.request.ShortDebugString() << "\nprotobuf: " << expected.ShortDebugString();
  EXPECT_EQ(Joined(sliced), data) << what;
}

void CheckEveryCut(const std::string& bytes, bool must_accept, const std::string& what) {
  CheckAgainstProtobuf(bytes, {}, must_accept, what + ", one slice");
  for (size_t a = 0; a <= bytes.size(); ++a) {
    CheckAgainstProtobuf(bytes, {a}, must_accept, what + ", cut at " + std::to_string(a));
    if (bytes.size() > 80) continue;
    for (size_t b = a; b <= bytes.size(); ++b) {
      CheckAgainstProtobuf(bytes, {a, b}, must_accept,
                           what + ", cut at " + std::to_string(a) + " and " + std::to_string(b));
    }
  }
}

v1::ApplyRequest Request(size_t data_bytes) {
  v1::ApplyRequest request;
  request.set_request_id("id-7");
  request.mutable_activation()->mutable_leaky_relu()->set_negative_slope(0.25);
  request.mutable_input()->set_dtype(v1::DATA_TYPE_FLOAT32);
  request.mutable_input()->add_shape(static_cast<int64_t>(data_bytes / 4));
  std::string data(data_bytes, '\0');
  for (size_t i = 0; i < data_bytes; ++i) data[i] = static_cast<char>(i * 37 + 11);
  request.mutable_input()->set_data(data);
  return request;
}

TEST(ApplyRequestSlicesTest, FindsTheDataAndParsesEverythingElseAtEveryCut) {
  for (size_t bytes : {0u, 4u, 12u, 124u, 128u, 1000u}) {
    CheckEveryCut(Request(bytes).SerializeAsString(), /*must_accept=*/true, std::to_string(bytes) + " bytes");
  }
  // Field order other than protobuf's, a model instead of an activation, no input at all.
  v1::ApplyRequest model_request;
  model_request.set_model("stem");
  model_request.mutable_input()->set_data("abcdefgh");
  model_request.mutable_input()->add_shape(2);
  const std::string tensor = model_request.input().SerializeAsString();
  CheckEveryCut("\x22" + std::string(1, static_cast<char>(tensor.size())) + tensor + "\x1a\x04stem",
                /*must_accept=*/true, "input first");
  CheckEveryCut(v1::ApplyRequest().SerializeAsString(), true, "empty message");
  v1::ApplyRequest no_input;
  no_input.set_request_id("x");
  CheckEveryCut(no_input.SerializeAsString(), true, "no input");
}

TEST(ApplyRequestSlicesTest, RepeatedFieldsMergeAsInProtobuf) {
  const std::string first = Request(16).SerializeAsString();
  v1::ApplyRequest second;
  second.mutable_input()->add_shape(9);
  second.mutable_input()->set_dtype(v1::DATA_TYPE_INT8);
  second.set_request_id("later");
  // The second input has no data: the first one's stays; shapes append, dtype and request_id are replaced.
  CheckEveryCut(first + second.SerializeAsString(), true, "two inputs, one data");
  // Both have data: the last wins.
  CheckEveryCut(first + Request(8).SerializeAsString(), true, "two inputs, two data");
  // An empty data field replaces an earlier one too.
  const std::string explicit_empty = std::string("\x22\x02\x1a\x00", 4);
  CheckEveryCut(first + explicit_empty, true, "data then empty data");
}

TEST(ApplyRequestSlicesTest, KeepsUnknownFields) {
  std::string bytes = Request(8).SerializeAsString();
  bytes += std::string("\x78\x05", 2);                       // field 15, varint
  bytes += std::string("\x81\x01", 2) + std::string(8, 'q');  // field 16, fixed64
  bytes += std::string("\x8d\x01", 2) + "abcd";     // field 17, fixed32
  bytes += std::string("\x92\x01\x03", 3) + "xyz";  // field 18, length-delimited
  bytes += std::string("\x22\x02\x78\x05", 4);     // input { field 15, varint }
  CheckEveryCut(bytes, true, "unknown fields");
}

TEST(ApplyRequestSlicesTest, DeclinesWhatProtobufRefusesAndFormsItLeavesToProtobuf) {
  const std::string good = Request(12).SerializeAsString();
  // Truncated anywhere.
  for (size_t length = 0; length < good.size(); ++length) {
    CheckAgainstProtobuf(good.substr(0, length), {length / 2}, false, "truncated to " + std::to_string(length));
  }
  // Malformed: field 0, an overlong varint, a length past the end, invalid UTF-8 in request_id, a group.
  for (const std::string& bytes :
       {std::string("\x00\x01", 2), std::string("\x08") + std::string(11, '\xff'), std::string("\x22\x7f\x1a\x01x"),
        std::string("\x0a\x02\xff\xfe"), std::string("\x23\x24"), std::string("\x22\x02\x1b\x1c"),
        std::string("\x22\x03\x1a\x05xy")}) {
    CheckEveryCut(bytes, false, "malformed");
    SlicedApplyRequest sliced;
    EXPECT_FALSE(ParseApplyRequestInSlices(Cut(bytes, {}), &sliced));
  }
  // Tags and lengths are 32-bit varints to protobuf: a 6-byte encoding is refused even when its value is small
  // (found by v1_request_fuzz: the walker re-encoded it in 1 byte, and protobuf then took it).
  for (const std::string& bytes :
       {std::string("\x10\x15\x9a\xff\xfb\xff\x82\x00\x00", 9),           // Unknown field, 6-byte tag.
        std::string("\x88\x80\x80\x80\x80\x00\x01", 7),                     // request_id's tag in 6 bytes.
        std::string("\x0a\x80\x80\x80\x80\x80\x00", 7),                     // A 6-byte length of 0.
        std::string("\x22\x80\x80\x80\x80\x80\x00", 7),                     // input's length, the same.
        std::string("\x22\x08\x1a\x80\x80\x80\x80\x80\x00", 9)}) {       // data's length, the same.
    EXPECT_FALSE(v1::ApplyRequest().ParseFromString(bytes)) << "protobuf takes these bytes after all";
    CheckEveryCut(bytes, false, "overlong tag or length");
  }
  // input or data with a wire type other than length-delimited: left to protobuf.
  for (const std::string& bytes : {std::string("\x20\x01", 2), std::string("\x22\x02\x18\x01", 4)}) {
    SlicedApplyRequest sliced;
    EXPECT_FALSE(ParseApplyRequestInSlices(Cut(bytes, {}), &sliced));
  }
}

TEST(ApplyRequestSlicesTest, LargeDataSpansManySlicesWithoutACopy) {
  const std::string bytes = Request(4 << 20).SerializeAsString();
  std::vector<size_t> cuts;
  for (size_t cut = 1; cut < bytes.size(); cut += 8191) cuts.push_back(cut);
  const grpc::ByteBuffer buffer = Cut(bytes, cuts);
  SlicedApplyRequest sliced;
  ASSERT_TRUE(ParseApplyRequestInSlices(buffer, &sliced));
  EXPECT_EQ(sliced.data.size(), cuts.size());  // One segment per slice: the header is in the first.
  EXPECT_EQ(sliced.data_bytes, size_t{4} << 20);
  // The segments point into the buffer's own slices.
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(buffer.Dump(&slices).ok());
  EXPECT_EQ(sliced.SegmentStart(sliced.data.back()), slices[sliced.data.back().slice].begin() + sliced.data.back().offset);
  v1::ApplyRequest expected;
  ASSERT_TRUE(expected.ParseFromString(bytes));
  EXPECT_EQ(Joined(sliced), expected.input().data());
}

}  // namespace
}  // namespace rectifier::server
