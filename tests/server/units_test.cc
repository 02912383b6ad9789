#include "server/units.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rectifier::server {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string ByteSizeError(std::string_view text) {
  absl::StatusOr<uint64_t> result = ParseByteSize(text);
  EXPECT_FALSE(result.ok()) << text << " parsed as " << *result;
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(result.status().message());
}

std::string DurationError(std::string_view text) {
  absl::StatusOr<std::chrono::microseconds> result = ParseDuration(text);
  EXPECT_FALSE(result.ok()) << text << " parsed as " << result->count() << "us";
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(result.status().message());
}

std::string CountError(std::string_view text) {
  absl::StatusOr<int64_t> result = ParseCount(text);
  EXPECT_FALSE(result.ok()) << text << " parsed as " << *result;
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(result.status().message());
}

TEST(ParseByteSize, PlainBytes) {
  EXPECT_EQ(ParseByteSize("0").value(), 0u);
  EXPECT_EQ(ParseByteSize("1048576").value(), 1048576u);
  EXPECT_EQ(ParseByteSize("512B").value(), 512u);
  EXPECT_EQ(ParseByteSize("512 B").value(), 512u);
  EXPECT_EQ(ParseByteSize("  7  ").value(), 7u);
  EXPECT_EQ(ParseByteSize("18446744073709551615").value(), std::numeric_limits<uint64_t>::max());
}

TEST(ParseByteSize, BinaryUnits) {
  EXPECT_EQ(ParseByteSize("1KiB").value(), 1024u);
  EXPECT_EQ(ParseByteSize("64MiB").value(), 64u << 20);
  EXPECT_EQ(ParseByteSize("64 MiB").value(), 64u << 20);
  EXPECT_EQ(ParseByteSize("64mib").value(), 64u << 20);
  EXPECT_EQ(ParseByteSize("2GiB").value(), uint64_t{2} << 30);
  EXPECT_EQ(ParseByteSize("3TiB").value(), uint64_t{3} << 40);
}

TEST(ParseByteSize, ExactFractions) {
  EXPECT_EQ(ParseByteSize("1.5GiB").value(), uint64_t{3} << 29);
  EXPECT_EQ(ParseByteSize("0.5KiB").value(), 512u);
  EXPECT_EQ(ParseByteSize(".25KiB").value(), 256u);
  EXPECT_EQ(ParseByteSize("2.000000000000000000000000KiB").value(), 2048u);  // Trailing zeros are free.
  EXPECT_THAT(ByteSizeError("0.3KiB"), HasSubstr("'0.3KiB' is not a whole number of bytes"));
  EXPECT_THAT(ByteSizeError("1.5"), HasSubstr("is not a whole number of bytes"));
  EXPECT_THAT(ByteSizeError("1.0000000000000000001KiB"), HasSubstr("has more than 18 decimals"));
}

TEST(ParseByteSize, RejectsNegative) {
  EXPECT_EQ(ByteSizeError("-1"), "byte size must not be negative; was '-1'");
  EXPECT_EQ(ByteSizeError("-64MiB"), "byte size must not be negative; was '-64MiB'");
}

TEST(ParseByteSize, RejectsOverflow) {
  EXPECT_EQ(ByteSizeError("18446744073709551616"), "byte size '18446744073709551616' is too large");
  EXPECT_EQ(ByteSizeError("16777216TiB"), "byte size '16777216TiB' is too large");  // 2^64.
  EXPECT_EQ(ByteSizeError("18446744073709551615.5KiB"), "byte size '18446744073709551615.5KiB' is too large");
  EXPECT_EQ(ParseByteSize("16777215TiB").value(), uint64_t{16777215} << 40);
  EXPECT_THAT(ByteSizeError("99999999999999999999999999999999GiB"), HasSubstr("is too large"));
}

TEST(ParseByteSize, RejectsUnknownAndDecimalUnits) {
  EXPECT_EQ(ByteSizeError("64XB"),
            "byte size '64XB' has unknown unit 'XB'; use B, KiB, MiB, GiB or TiB (or none for bytes)");
  EXPECT_EQ(ByteSizeError("64MB"),
            "byte size '64MB' has the ambiguous unit 'MB'; use binary units: B, KiB, MiB, GiB or TiB");
  EXPECT_THAT(ByteSizeError("1k"), HasSubstr("ambiguous unit 'k'"));
  EXPECT_THAT(ByteSizeError("1 GB"), HasSubstr("ambiguous unit 'GB'"));
  EXPECT_THAT(ByteSizeError("1e9"), HasSubstr("unknown unit 'e9'"));
  EXPECT_THAT(ByteSizeError("64 MiB extra"), HasSubstr("unknown unit 'MiB extra'"));
}

TEST(ParseByteSize, RejectsMalformed) {
  EXPECT_EQ(ByteSizeError(""), "byte size is empty; expected e.g. 64MiB");
  EXPECT_EQ(ByteSizeError("   "), "byte size is empty; expected e.g. 64MiB");
  EXPECT_EQ(ByteSizeError("MiB"), "invalid byte size 'MiB': expected a number and a unit, e.g. 64MiB");
  EXPECT_THAT(ByteSizeError("."), HasSubstr("expected a number"));
  EXPECT_THAT(ByteSizeError("+5"), HasSubstr("expected a number"));
  EXPECT_THAT(ByteSizeError("1.2.3"), HasSubstr("unknown unit '.3'"));
}

TEST(FormatByteSize, LargestExactUnit) {
  EXPECT_EQ(FormatByteSize(0), "0B");
  EXPECT_EQ(FormatByteSize(1000), "1000B");
  EXPECT_EQ(FormatByteSize(1024), "1KiB");
  EXPECT_EQ(FormatByteSize(1536), "1.5KiB");
  EXPECT_EQ(FormatByteSize(1025), "1025B");
  EXPECT_EQ(FormatByteSize(64u << 20), "64MiB");
  EXPECT_EQ(FormatByteSize(uint64_t{3} << 29), "1.5GiB");
  EXPECT_EQ(FormatByteSize(uint64_t{1} << 40), "1TiB");
  EXPECT_EQ(FormatByteSize((uint64_t{1} << 30) * 1025), "1025GiB");  // 1.0009765625 TiB is not 3 decimals.
}

TEST(FormatByteSize, RoundTrips) {
  for (uint64_t bytes : {uint64_t{0}, uint64_t{1}, uint64_t{1023}, uint64_t{1536}, uint64_t{64} << 20,
                         uint64_t{12345678901}, std::numeric_limits<uint64_t>::max(), uint64_t{5} << 38}) {
    EXPECT_EQ(ParseByteSize(FormatByteSize(bytes)).value(), bytes) << FormatByteSize(bytes);
  }
}

TEST(ParseCount, PlainAndBinaryMultipliers) {
  EXPECT_EQ(ParseCount("0").value(), 0);
  EXPECT_EQ(ParseCount("268435456").value(), 268435456);
  EXPECT_EQ(ParseCount("256Mi").value(), int64_t{256} << 20);
  EXPECT_EQ(ParseCount("256 mi").value(), int64_t{256} << 20);
  EXPECT_EQ(ParseCount("1.5Ki").value(), 1536);
  EXPECT_EQ(ParseCount("9223372036854775807").value(), std::numeric_limits<int64_t>::max());
}

TEST(ParseCount, Errors) {
  EXPECT_EQ(CountError("-1"), "count must not be negative; was '-1'");
  EXPECT_EQ(CountError("9223372036854775808"), "count '9223372036854775808' is too large");
  EXPECT_EQ(CountError("8388608Ti"), "count '8388608Ti' is too large");  // 2^63.
  EXPECT_EQ(CountError("5M"), "count '5M' has unknown multiplier 'M'; use Ki, Mi, Gi or Ti or none");
  EXPECT_EQ(CountError("1.5"), "count '1.5' is not a whole number of units");
  EXPECT_EQ(CountError(""), "count is empty; expected e.g. 256Mi");
}

TEST(FormatCount, LargestExactMultiplier) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(1000), "1000");
  EXPECT_EQ(FormatCount(int64_t{256} << 20), "256Mi");
  EXPECT_EQ(FormatCount(1536), "1.5Ki");
  EXPECT_EQ(FormatCount(-5), "-5");
  for (int64_t n : {int64_t{0}, int64_t{7}, int64_t{1} << 40, std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(ParseCount(FormatCount(n)).value(), n);
  }
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(ParseDuration("250us").value(), 250us);
  EXPECT_EQ(ParseDuration("500ms").value(), 500ms);
  EXPECT_EQ(ParseDuration("10s").value(), 10s);
  EXPECT_EQ(ParseDuration("10 s").value(), 10s);
  EXPECT_EQ(ParseDuration("2m").value(), 2min);
  EXPECT_EQ(ParseDuration("1h").value(), 1h);
  EXPECT_EQ(ParseDuration("0").value(), 0us);
  EXPECT_EQ(ParseDuration("0s").value(), 0us);
}

TEST(ParseDuration, ExactFractions) {
  EXPECT_EQ(ParseDuration("1.5s").value(), 1500ms);
  EXPECT_EQ(ParseDuration("0.25s").value(), 250ms);
  EXPECT_EQ(ParseDuration("1.5m").value(), 90s);
  EXPECT_EQ(ParseDuration("0.000001s").value(), 1us);
  EXPECT_EQ(DurationError("0.0000001s"), "duration '0.0000001s' is not a whole number of microseconds");
  EXPECT_EQ(DurationError("1.5us"), "duration '1.5us' is not a whole number of microseconds");
}

TEST(ParseDuration, Errors) {
  EXPECT_EQ(DurationError("10"), "duration '10' needs a unit: us, ms, s, m or h, e.g. 10s");
  EXPECT_EQ(DurationError("-1s"), "duration must not be negative; was '-1s'");
  EXPECT_EQ(DurationError("10sec"), "duration '10sec' has unknown unit 'sec'; use us, ms, s, m or h");
  EXPECT_EQ(DurationError("10S"), "duration '10S' has unknown unit 'S'; use us, ms, s, m or h");  // Case matters.
  EXPECT_EQ(DurationError(""), "duration is empty; expected e.g. 10s");
  EXPECT_EQ(DurationError("s"), "invalid duration 's': expected a number and a unit, e.g. 10s");
  EXPECT_EQ(DurationError("9223372036854775808us"), "duration '9223372036854775808us' is too large");
  EXPECT_EQ(DurationError("2562047789h"), "duration '2562047789h' is too large");
  EXPECT_EQ(ParseDuration("2562047788h").value(), std::chrono::hours(2562047788));
}

TEST(FormatDuration, LargestExactUnit) {
  EXPECT_EQ(FormatDuration(0us), "0s");
  EXPECT_EQ(FormatDuration(10s), "10s");
  EXPECT_EQ(FormatDuration(1500ms), "1.5s");
  EXPECT_EQ(FormatDuration(250us), "250us");
  EXPECT_EQ(FormatDuration(1001us), "1.001ms");
  EXPECT_EQ(FormatDuration(1000001us), "1000.001ms");
  EXPECT_EQ(FormatDuration(999us), "999us");
  EXPECT_EQ(FormatDuration(1000000001us), "1000000.001ms");  // Every whole us is exact in ms.
  EXPECT_EQ(FormatDuration(500ms), "500ms");
  EXPECT_EQ(FormatDuration(90s), "1.5m");
  EXPECT_EQ(FormatDuration(2h), "2h");
  EXPECT_EQ(FormatDuration(-10s), "-10s");
}

TEST(FormatDuration, RoundTrips) {
  for (std::chrono::microseconds d :
       {0us, 1us, 999us, 1001us, std::chrono::microseconds(1500ms), std::chrono::microseconds(10s),
        std::chrono::microseconds(61s), std::chrono::microseconds(std::numeric_limits<int64_t>::max())}) {
    EXPECT_EQ(ParseDuration(FormatDuration(d)).value(), d) << FormatDuration(d);
  }
}

}  // namespace
}  // namespace rectifier::server
