// Reads a small text file (config file, model repository, auth tokens) whole, with a size limit, so that a
// path pointing at a huge file or a device (/dev/zero) fails cleanly instead of exhausting memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rectifier::server {

// The contents of `path`. `what` names the file in messages, e.g. "config file". Errors:
// NOT_FOUND (no such file), PERMISSION_DENIED, INVALID_ARGUMENT (not a regular file, or larger than
// `max_bytes`), or the code matching the errno of a failed read. Messages name `what` and `path`.
absl::StatusOr<std::string> ReadFileBounded(const std::string& path, uint64_t max_bytes, std::string_view what);

}  // namespace rectifier::server
