// Byte sizes, element counts and durations as operators write them in flags, environment variables and
// config files ("64MiB", "256Mi", "10s"), and the same quantities formatted back for --help and logs.
//
// Parsing is exact: fractions are allowed ("1.5GiB", "0.25s") but must come out as a whole number of bytes,
// elements or microseconds, and results that overflow are rejected rather than clamped. Every error is
// INVALID_ARGUMENT and quotes the offending text.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rectifier::server {

inline constexpr uint64_t kBytesPerKiB = uint64_t{1} << 10;
inline constexpr uint64_t kBytesPerMiB = uint64_t{1} << 20;
inline constexpr uint64_t kBytesPerGiB = uint64_t{1} << 30;
inline constexpr uint64_t kBytesPerTiB = uint64_t{1} << 40;

// A byte size: a non-negative decimal number, optional spaces, and an optional unit: `B`, `KiB`, `MiB`,
// `GiB` or `TiB` (powers of 1024; units are case-insensitive). No unit means bytes. Examples: "1048576",
// "64MiB", "64 MiB", "1.5GiB", "512B". Decimal units (`KB`, `MB`, `GB`) are rejected as ambiguous.
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

// The shortest exact form with the largest binary unit, at most three decimals: 67108864 -> "64MiB",
// 1610612736 -> "1.5GiB", 1000 -> "1000B", 0 -> "0B". ParseByteSize(FormatByteSize(n)) == n.
std::string FormatByteSize(uint64_t bytes);

// A count of things (tensor elements): a non-negative decimal number and an optional binary multiplier
// `Ki`, `Mi`, `Gi` or `Ti` (case-insensitive). Examples: "268435456", "256Mi", "1.5Ki". The result must fit
// in int64.
absl::StatusOr<int64_t> ParseCount(std::string_view text);

// 268435456 -> "256Mi", 1000 -> "1000". ParseCount(FormatCount(n)) == n for n >= 0.
std::string FormatCount(int64_t count);

// A duration: a non-negative decimal number, optional spaces, and a unit: `us` (microseconds), `ms`, `s`,
// `m` (minutes) or `h` (hours). "0" alone is allowed; any other number needs a unit. Examples: "10s",
// "500ms", "250us", "1.5s", "2m". The result must be a whole number of microseconds.
absl::StatusOr<std::chrono::microseconds> ParseDuration(std::string_view text);

// The largest unit giving an exact value with at most three decimals: 10 s -> "10s", 1.5 s -> "1.5s",
// 250 us -> "250us", 90 s -> "1.5m", 0 -> "0s". ParseDuration(FormatDuration(d)) == d for d >= 0.
std::string FormatDuration(std::chrono::microseconds duration);

}  // namespace rectifier::server
