// ApplyInRuns and ByteRuns (kernels/apply_in_runs.h, kernels/byte_runs.h) against Apply() on the same bytes
// held contiguously: every activation it takes, every data type, runs of every size from one byte up at
// every alignment, so that elements straddle two and more runs, on one thread and on several. Bit for bit: Apply() picks its kernel by
// function and data type only (kernels/backend_choice.cc), so a split must not change one bit.
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "kernels/apply_in_runs.h"
#include "kernels/byte_runs.h"
#include "kernels/catalogue.h"
#include "kernels/data_type.h"

namespace rectifier {
namespace {

// A tensor's bytes scattered over separately allocated runs, each at a random misalignment.
class ScatteredBytes {
 public:
  // Run sizes drawn from 1..max_run_bytes; the first `one_byte_runs` runs hold one byte each.
  ScatteredBytes(const std::vector<uint8_t>& bytes, size_t max_run_bytes, size_t one_byte_runs, std::mt19937& rng) {
    std::uniform_int_distribution<size_t> run_size(1, max_run_bytes);
    std::uniform_int_distribution<size_t> misalignment(0, 15);
    for (size_t offset = 0; offset < bytes.size();) {
      const size_t size = std::min(bytes.size() - offset, runs_.size() < one_byte_runs ? size_t{1} : run_size(rng));
      const size_t shift = misalignment(rng);
      storage_.push_back(std::make_unique<uint8_t[]>(size + shift));
      uint8_t* data = storage_.back().get() + shift;
      std::memcpy(data, bytes.data() + offset, size);
      runs_.push_back({data, size});
      offset += size;
    }
  }

  std::span<const ByteRun> runs() const { return runs_; }

  std::vector<uint8_t> Gathered() const {
    std::vector<uint8_t> out;
    for (const ByteRun& run : runs_) out.insert(out.end(), run.data, run.data + run.bytes);
    return out;
  }

 private:
  std::vector<std::unique_ptr<uint8_t[]>> storage_;
  std::vector<ByteRun> runs_;
};

std::vector<uint8_t> RandomBytes(size_t n, std::mt19937& rng) {
  std::vector<uint8_t> bytes(n);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

std::vector<uint8_t> ContiguousResult(const Activation& activation, DataType dtype, const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(in.size());
  const int64_t shape[1] = {static_cast<int64_t>(in.size() / ElementSizeBytes(dtype))};
  const absl::Status status =
      Apply(activation, TensorView{dtype, shape, in.data()}, MutableTensorView{dtype, shape, out.data()});
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

TEST(AppliesInRunsTest, ElementWiseSameTypeOnly) {
  EXPECT_TRUE(AppliesInRuns(act::Relu{}, DataType::kFloat32));
  EXPECT_TRUE(AppliesInRuns(act::Relu{}, DataType::kInt8));
  EXPECT_TRUE(AppliesInRuns(act::Gelu{}, DataType::kBFloat16));
  EXPECT_FALSE(AppliesInRuns(act::Crelu{}, DataType::kFloat32));     // Output twice the input.
  EXPECT_FALSE(AppliesInRuns(act::Prelu{}, DataType::kFloat32));     // Weight by channel.
  EXPECT_FALSE(AppliesInRuns(act::Sigmoid{}, DataType::kInt32));     // float32 output.
  EXPECT_TRUE(AppliesInRuns(act::Sigmoid{}, DataType::kFloat64));
}

TEST(ApplyInRunsTest, EveryActivationAndDataTypeMatchesContiguousApply) {
  std::mt19937 rng(7);
  int cases = 0;
  for (const ActivationInfo& info : Catalogue()) {
    // Defaults, but threshold's parameters are required.
    const std::string spec = info.kind == ActivationKind::kThreshold ? "threshold(threshold=0.5, value=-2)"
                                                                      : std::string(info.name);
    absl::StatusOr<Activation> activation = ParseActivation(spec);
    ASSERT_TRUE(activation.ok()) << info.name;
    for (DataType dtype : kAllDataTypes) {
      if (!AcceptsDataType(info.kind, dtype) || !AppliesInRuns(*activation, dtype)) continue;
      SCOPED_TRACE(std::string(info.name) + " " + std::string(DataTypeName(dtype)));
      // 4099 elements: the kernels' vector loops, their tails, and straddlers of every element size.
      const std::vector<uint8_t> input = RandomBytes(4099 * ElementSizeBytes(dtype), rng);
      const std::vector<uint8_t> want = ContiguousResult(*activation, dtype, input);
      for (size_t max_run_bytes : {size_t{3}, size_t{37}, size_t{4096}}) {
        ScatteredBytes scattered(input, max_run_bytes, /*one_byte_runs=*/20, rng);
        ASSERT_TRUE(ApplyInRuns(*activation, dtype, scattered.runs()).ok());
        EXPECT_EQ(scattered.Gathered(), want) << "runs of up to " << max_run_bytes << " bytes";
      }
      ++cases;
    }
  }
  EXPECT_GT(cases, 60);  // Every activation but CReLU and PReLU, in each of its data types.
}

TEST(ApplyInRunsTest, LargeRunsOnSeveralThreads) {
  std::mt19937 rng(11);
  const std::vector<uint8_t> input = RandomBytes(size_t{1} << 22, rng);  // 4 MiB of float32.
  const std::vector<uint8_t> want = ContiguousResult(act::Silu{}, DataType::kFloat32, input);
  // Runs of up to 1 MiB, and of up to 37 bytes: the threads' shares end inside runs and inside elements.
  for (size_t max_run_bytes : {size_t{1} << 20, size_t{37}}) {
    ScatteredBytes scattered(input, max_run_bytes, 0, rng);
    ASSERT_TRUE(ApplyInRuns(act::Silu{}, DataType::kFloat32, scattered.runs(), {.max_threads = 2}).ok());
    EXPECT_EQ(scattered.Gathered(), want) << "runs of up to " << max_run_bytes << " bytes";
  }
}

TEST(ApplyInRunsTest, RefusesWhatItCannotCompute) {
  std::vector<uint8_t> bytes(10);
  const ByteRun runs[] = {{bytes.data(), 6}, {bytes.data() + 6, 4}};
  const absl::Status crelu = ApplyInRuns(act::Crelu{}, DataType::kFloat32, {runs, 2});
  EXPECT_EQ(crelu.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(crelu.message(), "crelu of float32 is not computed in place element by element");
  const absl::Status partial = ApplyInRuns(act::Relu{}, DataType::kFloat64, {runs, 2});
  EXPECT_EQ(partial.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(partial.message(), "the runs hold 10 bytes, not a whole number of 8-byte elements");
}

TEST(ByteRunsTest, StretchesCoverEveryByteOnceAndWriteStraddlersBack) {
  std::vector<uint8_t> bytes(12);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i);
  // Elements of 4 bytes: [0..3] inside run 0, [4..7] straddles runs 0-3, [8..11] inside run 3.
  const ByteRun runs[] = {{bytes.data(), 5}, {bytes.data() + 5, 1}, {bytes.data() + 6, 0}, {bytes.data() + 6, 6}};
  std::vector<std::pair<size_t, size_t>> seen;  // (first byte's value, elements)
  const absl::Status status = ForEachElementStretch(runs, 4, [&](uint8_t* data, size_t elements) {
    seen.emplace_back(data[0], elements);
    for (size_t i = 0; i < 4 * elements; ++i) data[i] += 100;
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(seen, (std::vector<std::pair<size_t, size_t>>{{0, 1}, {4, 1}, {8, 1}}));
  for (size_t i = 0; i < bytes.size(); ++i) EXPECT_EQ(bytes[i], i + 100) << i;
}

TEST(ByteRunsTest, StopsAtTheFirstError) {
  std::vector<uint8_t> bytes(8);
  const ByteRun runs[] = {{bytes.data(), 3}, {bytes.data() + 3, 5}};
  int calls = 0;
  const absl::Status status = ForEachElementStretch(runs, 2, [&](uint8_t*, size_t) {
    ++calls;
    return absl::InternalError("stop");
  });
  EXPECT_EQ(status.message(), "stop");
  EXPECT_EQ(calls, 1);
}

TEST(ByteRunsTest, CursorCopiesAcrossRunsForward) {
  std::vector<uint8_t> bytes(10);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i);
  const ByteRun runs[] = {{bytes.data(), 3}, {bytes.data() + 3, 0}, {bytes.data() + 3, 4}, {bytes.data() + 7, 3}};
  ByteRunsCursor cursor(runs);
  uint8_t out[10] = {};
  ASSERT_TRUE(cursor.Copy(1, 8, out));
  EXPECT_EQ(std::vector<uint8_t>(out, out + 8), (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  ASSERT_TRUE(cursor.Copy(8, 2, out));
  EXPECT_EQ(out[0], 8);
  EXPECT_EQ(out[1], 9);
  EXPECT_FALSE(cursor.Copy(9, 2, out));  // Past the end.
  EXPECT_FALSE(ByteRunsCursor(runs).Copy(10, 1, out));
  ByteRunsCursor backwards(runs);
  ASSERT_TRUE(backwards.Copy(7, 1, out));
  EXPECT_FALSE(backwards.Copy(2, 1, out));
}

}  // namespace
}  // namespace rectifier
