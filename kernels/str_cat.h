// StrCat / StrJoin for std::string_view-based code.
//
// Debian's Abseil is built with absl::string_view distinct from std::string_view, so absl::StrCat does
// not accept std::string_view. These forward to {fmt}, which formats numbers in their shortest
// round-trip form.
#pragma once

#include <iterator>
#include <string>

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace rectifier {

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", args), ...);
  return out;
}

template <typename Range>
std::string StrJoin(const Range& range, std::string_view separator) {
  return fmt::format("{}", fmt::join(range, separator));
}

}  // namespace rectifier
