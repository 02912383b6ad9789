#include "server/units.h"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"

namespace rectifier::server {
namespace {

using uint128 = unsigned __int128;

// More decimals than this cannot be exact for any of our units, and keep the arithmetic inside 128 bits.
constexpr int kMaxFractionDigits = 18;

struct Unit {
  std::string_view name;
  uint64_t multiplier;  // In the quantity's base unit (bytes, elements, microseconds).
};

constexpr std::array<Unit, 5> kByteUnits = {{
    {"B", 1},
    {"KiB", kBytesPerKiB},
    {"MiB", kBytesPerMiB},
    {"GiB", kBytesPerGiB},
    {"TiB", kBytesPerTiB},
}};

constexpr std::array<Unit, 5> kCountUnits = {{
    {"", 1},
    {"Ki", uint64_t{1} << 10},
    {"Mi", uint64_t{1} << 20},
    {"Gi", uint64_t{1} << 30},
    {"Ti", uint64_t{1} << 40},
}};

constexpr uint64_t kMicrosPerMilli = 1000;
constexpr uint64_t kMicrosPerSecond = 1000 * kMicrosPerMilli;
constexpr uint64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr uint64_t kMicrosPerHour = 60 * kMicrosPerMinute;

constexpr std::array<Unit, 5> kDurationUnits = {{
    {"us", 1},
    {"ms", kMicrosPerMilli},
    {"s", kMicrosPerSecond},
    {"m", kMicrosPerMinute},
    {"h", kMicrosPerHour},
}};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// "1.50 MiB" split into its parts: integer 1, fraction 5 with 1 digit (trailing zeros dropped), unit "MiB".
struct Quantity {
  uint128 integer = 0;
  uint128 fraction = 0;
  int fraction_digits = 0;
  std::string_view unit;
};

// `kind` names the quantity in messages, e.g. "byte size"; `example` shows a valid value.
absl::StatusOr<Quantity> SplitQuantity(std::string_view original, std::string_view kind, std::string_view example) {
  std::string_view text = Trim(original);
  if (text.empty()) return absl::InvalidArgumentError(StrCat(kind, " is empty; expected e.g. ", example));
  if (text.front() == '-') {
    return absl::InvalidArgumentError(StrCat(kind, " must not be negative; was '", original, "'"));
  }
  Quantity q;
  size_t i = 0;
  bool any_digit = false;
  for (; i < text.size() && IsDigit(text[i]); ++i) {
    any_digit = true;
    q.integer = q.integer * 10 + static_cast<unsigned>(text[i] - '0');
    if (q.integer > std::numeric_limits<uint64_t>::max()) {
      return absl::InvalidArgumentError(StrCat(kind, " '", original, "' is too large"));
    }
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::string_view digits = text.substr(i);
    size_t n = 0;
    while (n < digits.size() && IsDigit(digits[n])) ++n;
    digits = digits.substr(0, n);
    i += n;
    any_digit = any_digit || n > 0;
    while (!digits.empty() && digits.back() == '0') digits.remove_suffix(1);
    if (digits.size() > static_cast<size_t>(kMaxFractionDigits)) {
      return absl::InvalidArgumentError(
          StrCat(kind, " '", original, "' has more than ", kMaxFractionDigits, " decimals"));
    }
    for (char c : digits) q.fraction = q.fraction * 10 + static_cast<unsigned>(c - '0');
    q.fraction_digits = static_cast<int>(digits.size());
  }
  if (!any_digit) {
    return absl::InvalidArgumentError(
        StrCat("invalid ", kind, " '", original, "': expected a number and a unit, e.g. ", example));
  }
  q.unit = Trim(text.substr(i));
  return q;
}

uint128 PowerOfTen(int exponent) {
  uint128 result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

// q * multiplier, exactly, or an error when it is not a whole number or exceeds `max`.
absl::StatusOr<uint128> Scale(const Quantity& q, uint64_t multiplier, uint64_t max, std::string_view original,
                              std::string_view kind, std::string_view base_unit) {
  // integer <= 2^64 - 1 and multiplier <= 2^42: the product fits in 128 bits. So does fraction * multiplier,
  // as fraction < 10^18 < 2^60.
  const uint128 whole = q.integer * multiplier;
  const uint128 scaled_fraction = q.fraction * multiplier;
  const uint128 denominator = PowerOfTen(q.fraction_digits);
  if (scaled_fraction % denominator != 0) {
    return absl::InvalidArgumentError(StrCat(kind, " '", original, "' is not a whole number of ", base_unit));
  }
  const uint128 total = whole + scaled_fraction / denominator;
  if (total > max) return absl::InvalidArgumentError(StrCat(kind, " '", original, "' is too large"));
  return total;
}

std::string UnitList(std::span<const Unit> units, bool skip_empty) {
  std::string out;
  for (size_t i = 0; i < units.size(); ++i) {
    if (skip_empty && units[i].name.empty()) continue;
    if (!out.empty()) out += (i + 1 == units.size()) ? " or " : ", ";
    out += units[i].name;
  }
  return out;
}

// Exact value / unit with up to three decimals ("1.5"), if there is one.
std::optional<std::string> ExactInUnit(uint64_t value, uint64_t unit) {
  constexpr uint64_t kMilli = 1000;
  if (static_cast<uint128>(value) * kMilli % unit != 0) return std::nullopt;
  const uint64_t integer = value / unit;
  auto thousandths = static_cast<uint64_t>(static_cast<uint128>(value % unit) * kMilli / unit);
  std::string out = StrCat(integer);
  if (thousandths != 0) {
    std::string digits = fmt::format("{:03d}", thousandths);
    while (digits.back() == '0') digits.pop_back();
    out += StrCat(".", digits);
  }
  return out;
}

// The largest unit (of `units`, in increasing order) that is <= value and expresses it exactly.
std::string FormatInUnits(uint64_t value, std::span<const Unit> units) {
  for (size_t i = units.size(); i-- > 1;) {
    if (value < units[i].multiplier) continue;
    if (std::optional<std::string> number = ExactInUnit(value, units[i].multiplier)) {
      return StrCat(*number, units[i].name);
    }
  }
  return StrCat(value, units[0].name);
}

}  // namespace

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  constexpr std::string_view kKind = "byte size";
  RECTIFIER_ASSIGN_OR_RETURN(Quantity q, SplitQuantity(text, kKind, "64MiB"));
  const Unit* unit = q.unit.empty() ? &kByteUnits[0] : nullptr;
  for (const Unit& candidate : kByteUnits) {
    if (EqualsIgnoreCase(q.unit, candidate.name)) unit = &candidate;
  }
  if (unit == nullptr) {
    for (std::string_view decimal : {"KB", "MB", "GB", "TB", "K", "M", "G", "T"}) {
      if (EqualsIgnoreCase(q.unit, decimal)) {
        return absl::InvalidArgumentError(StrCat(kKind, " '", text, "' has the ambiguous unit '", q.unit,
                                                 "'; use binary units: ", UnitList(kByteUnits, true)));
      }
    }
    return absl::InvalidArgumentError(StrCat(kKind, " '", text, "' has unknown unit '", q.unit, "'; use ",
                                             UnitList(kByteUnits, true), " (or none for bytes)"));
  }
  RECTIFIER_ASSIGN_OR_RETURN(uint128 bytes,
                             Scale(q, unit->multiplier, std::numeric_limits<uint64_t>::max(), text, kKind, "bytes"));
  return static_cast<uint64_t>(bytes);
}

std::string FormatByteSize(uint64_t bytes) { return FormatInUnits(bytes, kByteUnits); }

absl::StatusOr<int64_t> ParseCount(std::string_view text) {
  constexpr std::string_view kKind = "count";
  RECTIFIER_ASSIGN_OR_RETURN(Quantity q, SplitQuantity(text, kKind, "256Mi"));
  const Unit* unit = nullptr;
  for (const Unit& candidate : kCountUnits) {
    if (EqualsIgnoreCase(q.unit, candidate.name)) unit = &candidate;
  }
  if (unit == nullptr) {
    return absl::InvalidArgumentError(StrCat(kKind, " '", text, "' has unknown multiplier '", q.unit, "'; use ",
                                             UnitList(kCountUnits, true), " or none"));
  }
  RECTIFIER_ASSIGN_OR_RETURN(
      uint128 count,
      Scale(q, unit->multiplier, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), text, kKind, "units"));
  return static_cast<int64_t>(count);
}

std::string FormatCount(int64_t count) {
  if (count < 0) return StrCat(count);
  return FormatInUnits(static_cast<uint64_t>(count), kCountUnits);
}

absl::StatusOr<std::chrono::microseconds> ParseDuration(std::string_view text) {
  constexpr std::string_view kKind = "duration";
  RECTIFIER_ASSIGN_OR_RETURN(Quantity q, SplitQuantity(text, kKind, "10s"));
  const Unit* unit = nullptr;
  for (const Unit& candidate : kDurationUnits) {
    if (q.unit == candidate.name) unit = &candidate;  // Case matters: m is minutes, M would be ambiguous.
  }
  if (q.unit.empty()) {
    if (q.integer != 0 || q.fraction != 0) {
      return absl::InvalidArgumentError(
          StrCat(kKind, " '", text, "' needs a unit: ", UnitList(kDurationUnits, false), ", e.g. 10s"));
    }
    unit = &kDurationUnits[0];
  }
  if (unit == nullptr) {
    return absl::InvalidArgumentError(
        StrCat(kKind, " '", text, "' has unknown unit '", q.unit, "'; use ", UnitList(kDurationUnits, false)));
  }
  RECTIFIER_ASSIGN_OR_RETURN(
      uint128 micros, Scale(q, unit->multiplier, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), text,
                            kKind, "microseconds"));
  return std::chrono::microseconds(static_cast<int64_t>(micros));
}

std::string FormatDuration(std::chrono::microseconds duration) {
  const int64_t micros = duration.count();
  if (micros == 0) return "0s";
  if (micros < 0) {
    // -(INT64_MIN) overflows int64 but not uint64.
    return StrCat("-", FormatInUnits(uint64_t{0} - static_cast<uint64_t>(micros), kDurationUnits));
  }
  return FormatInUnits(static_cast<uint64_t>(micros), kDurationUnits);
}

}  // namespace rectifier::server
