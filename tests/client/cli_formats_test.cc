// The CLI's file formats and flag values: .npy headers and data (NumPy itself checks the files the CLI
// writes in cli_e2e_test.py), raw files, durations and sizes, and the SVG plot's ticks, curves and legend.
#include "client/cli/common_flags.h"
#include "client/cli/npy.h"
#include "client/cli/svg_plot.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rectifier/client/tensor.h"

namespace rectifier::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// What np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)) writes (NumPy 1.24).
std::string NumpyWritten() {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size());
  bytes += '\0';
  bytes += header;
  for (float value : {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f}) bytes.append(reinterpret_cast<const char*>(&value), 4);
  return bytes;
}

TEST(NpyTest, ReadsWhatNumpyWritesAndWritesItBackIdentically) {
  absl::StatusOr<HostTensor> tensor = ParseNpy(NumpyWritten());
  ASSERT_TRUE(tensor.ok()) << tensor.status();
  EXPECT_EQ(tensor->dtype, v1::DATA_TYPE_FLOAT32);
  EXPECT_THAT(tensor->shape, ElementsAre(2, 3));
  EXPECT_EQ(tensor->data.size(), 24u);
  absl::StatusOr<std::string> written = SerializeNpy(*tensor);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, NumpyWritten());
}

TEST(NpyTest, RoundTripsEveryTypeAndRankIncludingScalarsAndEmptyTensors) {
  for (v1::DataType dtype : {v1::DATA_TYPE_FLOAT32, v1::DATA_TYPE_FLOAT64, v1::DATA_TYPE_FLOAT16, v1::DATA_TYPE_INT8,
                             v1::DATA_TYPE_UINT8, v1::DATA_TYPE_INT16, v1::DATA_TYPE_INT32, v1::DATA_TYPE_INT64}) {
    for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{{}, {0}, {5}, {2, 0, 3}, {1, 2, 3, 4}}) {
      HostTensor tensor{dtype, shape, {}};
      int64_t count = 1;
      for (int64_t d : shape) count *= d;
      for (int64_t i = 0; i < count * static_cast<int64_t>(client::ElementSizeBytes(dtype)); ++i) {
        tensor.data += static_cast<char>(i * 7);
      }
      absl::StatusOr<std::string> bytes = SerializeNpy(tensor);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      EXPECT_EQ((bytes->size() - tensor.data.size()) % 64, 0u) << "data starts 64-byte aligned";
      absl::StatusOr<HostTensor> back = ParseNpy(*bytes);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(back->dtype, dtype);
      EXPECT_EQ(back->shape, shape);
      EXPECT_EQ(back->data, tensor.data);
    }
  }
}

TEST(NpyTest, RejectsWhatItCannotReadWithAReason) {
  std::string fortran = NumpyWritten();
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_THAT(ParseNpy(fortran).status().message(), HasSubstr("Fortran order"));
  std::string big_endian = NumpyWritten();
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  EXPECT_THAT(ParseNpy(big_endian).status().message(), HasSubstr("'>f4' is not supported"));
  std::string truncated = NumpyWritten();
  truncated.pop_back();
  EXPECT_THAT(ParseNpy(truncated).status().message(), HasSubstr("needs 24 bytes; there are 23"));
  EXPECT_THAT(ParseNpy("not numpy").status().message(), HasSubstr("not a .npy file"));
  EXPECT_THAT(SerializeNpy(HostTensor{v1::DATA_TYPE_BFLOAT16, {1}, "ab"}).status().message(),
              HasSubstr("NumPy has no bfloat16"));
}

TEST(FlagValuesTest, DurationsAndSizes) {
  EXPECT_EQ(*ParseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*ParseDuration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(*ParseDuration("2m"), std::chrono::milliseconds(120000));
  EXPECT_EQ(*ParseDuration("3"), std::chrono::milliseconds(3000));
  EXPECT_FALSE(ParseDuration("soon").ok());
  EXPECT_FALSE(ParseDuration("5h").ok());
  EXPECT_EQ(*ParseBytes("4MiB"), 4 << 20);
  EXPECT_EQ(*ParseBytes("512"), 512);
  EXPECT_FALSE(ParseBytes("4MB").ok());
}

TEST(SvgPlotTest, TicksAreRoundAndCoverTheRange) {
  EXPECT_THAT(NiceTicks(-4, 4, 9), ElementsAre(-4, -3, -2, -1, 0, 1, 2, 3, 4));
  EXPECT_THAT(NiceTicks(0, 1, 5), ElementsAre(0, 0.2, 0.4, 0.6000000000000001, 0.8, 1));
  EXPECT_TRUE(NiceTicks(1, 1, 5).empty());
}

TEST(SvgPlotTest, DrawsOneCurvePerSeriesWithALegendAndSkipsNonFinitePoints) {
  PlotSeries relu{"relu", {-1, 0, 1}, {0, 0, 1}};
  PlotSeries broken{"a<b", {-1, 0, 1}, {1, std::nan(""), 1}};
  const std::string svg = RenderSvgPlot({relu, broken}, {.title = "curves"});
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr(">curves</text>"));
  EXPECT_THAT(svg, HasSubstr(">relu</text>"));
  EXPECT_THAT(svg, HasSubstr(">a&lt;b</text>"));
  size_t polylines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++polylines;
  EXPECT_EQ(polylines, 3u) << "relu, and the broken series in two pieces around its NaN";
}

}  // namespace
}  // namespace rectifier::cli
