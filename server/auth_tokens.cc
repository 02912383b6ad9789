#include "server/auth_tokens.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "server/read_file.h"

namespace rectifier::server {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool IsTokenChar(char c) { return c >= 0x21 && c <= 0x7e; }

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseAuthTokens(std::string_view text, std::string_view source) {
  std::vector<std::string> tokens;
  int line_number = 0;
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    ++line_number;
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (!std::all_of(line.begin(), line.end(), IsTokenChar)) {
      return absl::InvalidArgumentError(
          StrCat(source, ", line ", line_number,
                 ": a token may hold only visible ASCII characters, no spaces (comments need their own line)"));
    }
    tokens.emplace_back(line);
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(StrCat(source, " holds no tokens (blank lines and # comments are ignored)"));
  }
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  return tokens;
}

absl::StatusOr<std::vector<std::string>> LoadAuthTokens(const std::string& path) {
  constexpr std::string_view kWhat = "auth token file";
  RECTIFIER_ASSIGN_OR_RETURN(std::string text, ReadFileBounded(path, kMaxAuthTokenFileBytes, kWhat));
  return ParseAuthTokens(text, StrCat(kWhat, " ", path));
}

}  // namespace rectifier::server
