// Zero ratio (exact and sampled) and channel activity on every data type, with signed zeros, NaN and
// infinities; the dead-unit tracker's sliding window.
#include "server/output_statistics.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/dead_unit_tracker.h"

namespace rectifier::server {
namespace {

using ::testing::ElementsAre;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

template <typename T>
std::optional<double> Ratio(DataType dtype, const std::vector<T>& data) {
  const std::vector<int64_t> shape = {static_cast<int64_t>(data.size())};
  return ZeroRatio(TensorView{dtype, shape, data.data()}, static_cast<int64_t>(data.size()));
}

// The runs overload must count (or sample) exactly the elements the contiguous one does, wherever the runs
// cut the tensor.
TEST(ZeroRatioTest, RunsGiveTheContiguousResult) {
  std::mt19937 rng(3);
  for (DataType dtype : {DataType::kFloat32, DataType::kInt64, DataType::kFloat16, DataType::kUInt8}) {
    for (int64_t elements : {int64_t{1}, int64_t{300}, kZeroRatioExactMaxElements, int64_t{100003}}) {
      const size_t element_bytes = ElementSizeBytes(dtype);
      std::vector<uint8_t> bytes(static_cast<size_t>(elements) * element_bytes);
      // Zero elements (about 40%) among nonzero ones.
      for (int64_t i = 0; i < elements; ++i) {
        const uint8_t fill = rng() % 5 < 2 ? 0 : static_cast<uint8_t>(1 + rng() % 100);
        std::memset(bytes.data() + i * element_bytes, 0, element_bytes);
        bytes[i * element_bytes] = fill;
      }
      // Runs of 1 to 999 bytes, each copied to its own place one byte off alignment.
      std::vector<std::vector<uint8_t>> storage;
      std::vector<ByteRun> runs;
      for (size_t offset = 0; offset < bytes.size();) {
        const size_t size = std::min<size_t>(bytes.size() - offset, 1 + rng() % 999);
        storage.emplace_back(size + 1);
        std::memcpy(storage.back().data() + 1, bytes.data() + offset, size);
        runs.push_back({storage.back().data() + 1, size});
        offset += size;
      }
      const std::vector<int64_t> shape = {elements};
      const std::optional<double> want = ZeroRatio(TensorView{dtype, shape, bytes.data()}, elements);
      ASSERT_TRUE(want.has_value());
      if (elements > 100) EXPECT_GT(*want, 0.0);
      EXPECT_EQ(ZeroRatio(dtype, runs, elements), want) << DataTypeName(dtype) << " " << elements;
    }
  }
  EXPECT_EQ(ZeroRatio(DataType::kFloat32, {}, 0), std::nullopt);
  uint8_t short_run[4] = {};
  const ByteRun too_short[] = {{short_run, 4}};
  EXPECT_EQ(ZeroRatio(DataType::kFloat32, too_short, 2), std::nullopt);  // Fewer bytes than elements.
}

TEST(ZeroRatioTest, CountsSignedZerosButNotNan) {
  EXPECT_EQ(Ratio(DataType::kFloat32, std::vector<float>{0.0f, -0.0f, kNan, 1e-45f, -kInf, 2}), 2.0 / 6);
  EXPECT_EQ(Ratio(DataType::kFloat64, std::vector<double>{-0.0, 0.0, 0.0, 5}), 0.75);
  // float16 / bfloat16 bits: +0, -0, smallest subnormal, NaN.
  EXPECT_EQ(Ratio(DataType::kFloat16, std::vector<uint16_t>{0x0000, 0x8000, 0x0001, 0x7e00}), 0.5);
  EXPECT_EQ(Ratio(DataType::kBFloat16, std::vector<uint16_t>{0x8000, 0x8000, 0x3f80, 0x7fc0}), 0.5);
  EXPECT_EQ(Ratio(DataType::kInt8, std::vector<int8_t>{0, -128, 0, 127}), 0.5);
  EXPECT_EQ(Ratio(DataType::kUInt8, std::vector<uint8_t>{0, 255, 1, 2}), 0.25);
  EXPECT_EQ(Ratio(DataType::kInt16, std::vector<int16_t>{0, 0, 0, 1}), 0.75);
  EXPECT_EQ(Ratio(DataType::kInt32, std::vector<int32_t>{0, 0, 0, 0}), 1.0);
  EXPECT_EQ(Ratio(DataType::kInt64, std::vector<int64_t>{1, 2, 3, 4}), 0.0);
  EXPECT_EQ(Ratio(DataType::kFloat32, std::vector<float>{}), std::nullopt);
}

TEST(ZeroRatioTest, ExactUpToTheLimit) {
  std::vector<float> data(kZeroRatioExactMaxElements, 1.0f);
  data[12345] = 0.0f;  // One zero anywhere is seen.
  EXPECT_EQ(Ratio(DataType::kFloat32, data), 1.0 / kZeroRatioExactMaxElements);
}

TEST(ZeroRatioTest, SamplesLargeTensors) {
  // Every fourth element zero: every sampled block of 256 contiguous elements holds exactly 64 zeros.
  std::vector<float> periodic(int64_t{1} << 22, 1.0f);
  for (size_t i = 0; i < periodic.size(); i += 4) periodic[i] = -0.0f;
  EXPECT_EQ(Ratio(DataType::kFloat32, periodic), 0.25);
  // The first 30% zero: blocks are spread evenly from the first to the last element.
  std::vector<float> prefix(3'000'001, 2.0f);
  for (size_t i = 0; i < prefix.size() * 3 / 10; ++i) prefix[i] = 0.0f;
  EXPECT_NEAR(*Ratio(DataType::kFloat32, prefix), 0.3, 1.0 / kZeroRatioSampleBlocks);
  // The very first and last elements are sampled.
  std::vector<int8_t> ends(1'000'000, 1);
  ends.front() = 0;
  ends.back() = 0;
  EXPECT_EQ(Ratio(DataType::kInt8, ends), 2.0 / kZeroRatioSampleElements);
}

TEST(ChannelActivityTest, ChannelIsDimOne) {
  // Shape [2, 3, 2]: channel c holds elements {2c, 2c + 1, 6 + 2c, 7 + 2c}.
  const std::vector<int64_t> shape = {2, 3, 2};
  const std::vector<float> data = {-1, -2, -0.0f, kNan, 0, 0,  //
                                   -1, 0.5f, -kInf, -1, 0, 0};
  ChannelActivity activity = ComputeChannelActivity({DataType::kFloat32, shape, data.data()}, 12, 4096);
  EXPECT_EQ(activity.channels, 3);
  EXPECT_TRUE(activity.IsActive(0));
  EXPECT_FALSE(activity.IsActive(1));
  EXPECT_FALSE(activity.IsActive(2));
}

TEST(ChannelActivityTest, RankBelowTwoIsOneChannel) {
  const std::vector<int64_t> shape = {3};
  const std::vector<double> negative = {-1, -0.0, 0};
  EXPECT_FALSE(ComputeChannelActivity({DataType::kFloat64, shape, negative.data()}, 3, 8).IsActive(0));
  const std::vector<double> positive = {-1, 1e-300, 0};
  ChannelActivity activity = ComputeChannelActivity({DataType::kFloat64, shape, positive.data()}, 3, 8);
  EXPECT_EQ(activity.channels, 1);
  EXPECT_TRUE(activity.IsActive(0));
}

TEST(ChannelActivityTest, HalfTypesAndIntegers) {
  const std::vector<int64_t> shape = {1, 4};
  // float16: +inf is > 0; NaN, -0 and -1 are not.
  const std::vector<uint16_t> half = {0x7c00, 0x7e00, 0x8000, 0xbc00};
  ChannelActivity h = ComputeChannelActivity({DataType::kFloat16, shape, half.data()}, 4, 64);
  EXPECT_THAT((std::vector<bool>{h.IsActive(0), h.IsActive(1), h.IsActive(2), h.IsActive(3)}),
              ElementsAre(true, false, false, false));
  // bfloat16: smallest positive subnormal is > 0, NaN is not.
  const std::vector<uint16_t> bf = {0x0001, 0x7fc0, 0x0000, 0x3f80};
  ChannelActivity b = ComputeChannelActivity({DataType::kBFloat16, shape, bf.data()}, 4, 64);
  EXPECT_THAT((std::vector<bool>{b.IsActive(0), b.IsActive(1), b.IsActive(2), b.IsActive(3)}),
              ElementsAre(true, false, false, true));
  const std::vector<int8_t> i8 = {-128, 0, 1, 127};
  ChannelActivity i = ComputeChannelActivity({DataType::kInt8, shape, i8.data()}, 4, 64);
  EXPECT_THAT((std::vector<bool>{i.IsActive(0), i.IsActive(1), i.IsActive(2), i.IsActive(3)}),
              ElementsAre(false, false, true, true));
}

TEST(ChannelActivityTest, TracksAtMostMaxChannels) {
  const std::vector<int64_t> shape = {1, 100};
  std::vector<float> data(100, -1.0f);
  data[70] = 1;
  data[99] = 1;
  ChannelActivity activity = ComputeChannelActivity({DataType::kFloat32, shape, data.data()}, 100, 80);
  EXPECT_EQ(activity.channels, 80);
  EXPECT_EQ(activity.active.size(), 2u);
  EXPECT_TRUE(activity.IsActive(70));
  EXPECT_FALSE(activity.IsActive(69));
}

ChannelActivity Activity(std::vector<bool> active) {
  ChannelActivity activity;
  activity.channels = static_cast<int64_t>(active.size());
  activity.active.assign((active.size() + 63) / 64, 0);
  for (size_t c = 0; c < active.size(); ++c) {
    if (active[c]) activity.active[c / 64] |= uint64_t{1} << (c % 64);
  }
  return activity;
}

TEST(DeadUnitTrackerTest, SlidingWindowWithVaryingChannelCounts) {
  auto tracker = DeadUnitTracker::Create({.window_requests = 2});
  ASSERT_TRUE(tracker.ok());
  EXPECT_EQ((*tracker)->Stats().dead_ratio, 0.0);
  (*tracker)->Record(Activity({true, false, false}));
  (*tracker)->Record(Activity({false, false}));
  DeadUnitStats stats = (*tracker)->Stats();
  EXPECT_THAT(stats.channel_requests, ElementsAre(2, 2, 1));
  EXPECT_THAT(stats.channel_active_requests, ElementsAre(1, 0, 0));
  EXPECT_THAT(stats.dead_channels, ElementsAre(1, 2));
  EXPECT_DOUBLE_EQ(stats.dead_ratio, 2.0 / 3);
  // The 3-channel request leaves the window: channel 2 is no longer seen, channel 0 is now dead.
  (*tracker)->Record(Activity({false, true}));
  stats = (*tracker)->Stats();
  EXPECT_EQ(stats.requests_in_window, 2);
  EXPECT_THAT(stats.channel_requests, ElementsAre(2, 2));
  EXPECT_THAT(stats.dead_channels, ElementsAre(0));
  EXPECT_DOUBLE_EQ(stats.dead_ratio, 0.5);
}

TEST(DeadUnitTrackerTest, ManyChannelsAndCap) {
  auto tracker = DeadUnitTracker::Create({.window_requests = 10, .max_channels = 100});
  ASSERT_TRUE(tracker.ok());
  std::vector<bool> active(130, true);
  active[65] = false;
  active[120] = false;  // Beyond the cap: ignored.
  (*tracker)->Record(Activity(active));
  DeadUnitStats stats = (*tracker)->Stats();
  EXPECT_EQ(stats.channel_requests.size(), 100u);
  EXPECT_THAT(stats.dead_channels, ElementsAre(65));
}

TEST(DeadUnitTrackerTest, RejectsBadOptions) {
  EXPECT_EQ(DeadUnitTracker::Create({.window_requests = 0}).status().message(),
            "window_requests must be positive; was 0");
  EXPECT_EQ(DeadUnitTracker::Create({.max_channels = 0}).status().message(), "max_channels must be positive; was 0");
}

}  // namespace
}  // namespace rectifier::server
