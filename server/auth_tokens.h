// The bearer-token file given by --auth-token-file: the tokens a client may present in
// `authorization: Bearer <token>` metadata.
//
// Format: one token per line. Leading and trailing blanks (and a CR of CRLF files) are trimmed; blank lines
// and lines whose first non-blank character is `#` are ignored. A token is visible ASCII (0x21..0x7e): a
// line holding a space inside it, or any other character, is an error (the message gives the line number
// but never the token). Duplicates are merged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/units.h"

namespace rectifier::server {

inline constexpr uint64_t kMaxAuthTokenFileBytes = 1 * kBytesPerMiB;

// The tokens of `text`, sorted and unique. `source` names the text in messages (e.g. "auth token file
// /etc/rectifier/tokens"). INVALID_ARGUMENT when a line is malformed or there is no token at all.
absl::StatusOr<std::vector<std::string>> ParseAuthTokens(std::string_view text, std::string_view source);

// Reads `path` (at most kMaxAuthTokenFileBytes) and parses it with ParseAuthTokens.
absl::StatusOr<std::vector<std::string>> LoadAuthTokens(const std::string& path);

}  // namespace rectifier::server
