// Loads the server's small YAML files (the --config file, the --models repository) with yaml-cpp, safely.
//
// yaml-cpp 0.7 recurses once per nesting level. Debian's build stops its parser at 500 levels (with the
// misleading message "bad file"), and 499 levels already overflow a 64 KiB stack (segfault, measured).
// So before yaml-cpp sees a file, LoadYamlFile rejects files over a size limit, and files whose nesting
// depth, as estimated by a cheap linear pre-scan of indentation, leading block indicators and flow
// brackets, exceeds a depth limit. The scan does not parse quoted scalars (a wrong guess about where one
// starts would hide what follows), so it over-estimates: each line counts as a level ("[[1]]" is 3), and
// opening brackets inside strings and comments count. Legitimate Rectifier files come out at 3 to 6.
// Closing brackets inside strings can lower the estimate, so the scan stops the bracket and indentation
// bombs that reach yaml-cpp's recursion cheaply, not every contrived file; yaml-cpp's own 500-level guard
// stays behind it.
//
// yaml-cpp's LoadAll never returns on some invalid text: its parser keeps reporting empty documents
// without advancing ("[1], 2", found by fuzzing). ParseYaml counts documents with its own bounded loop
// instead. What else is refused, and why: server/yaml_guard.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/units.h"
#include "yaml-cpp/yaml.h"

namespace rectifier::server {

inline constexpr uint64_t kDefaultMaxYamlFileBytes = 1 * kBytesPerMiB;
inline constexpr int kDefaultMaxYamlNestingDepth = 64;

struct YamlLimits {
  // Larger files are rejected before parsing. Must be positive.
  uint64_t max_file_bytes = kDefaultMaxYamlFileBytes;
  // Files nesting deeper than this (as estimated by EstimateYamlNestingDepth) are rejected. Must be positive.
  int max_nesting_depth = kDefaultMaxYamlNestingDepth;
};

// An upper estimate of the nesting depth of `text`: the largest, over lines, of the number of enclosing
// indentation levels, plus the block indicators ("- ", "? ", ": ") that open the line, plus the flow
// brackets ([ {) open at any point of it. Lines end at LF or CR. Linear time, constant stack.
int EstimateYamlNestingDepth(std::string_view text);

// Parses one YAML document from `text` (an empty text gives a null node). `source` names the text in
// messages (e.g. "config file /etc/rectifier.yaml"). INVALID_ARGUMENT when `text` is larger than
// limits.max_file_bytes, nests deeper than limits.max_nesting_depth, holds more than one document, or is
// not valid YAML (the message carries yaml-cpp's line and column).
absl::StatusOr<YAML::Node> ParseYaml(std::string_view text, std::string_view source, const YamlLimits& limits);

// Reads `path` (ReadFileBounded) and parses it (ParseYaml). `what` names the file kind, e.g. "config file".
absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path, std::string_view what, const YamlLimits& limits = {});

// "a map", "a sequence", "a scalar", "null": for messages about nodes of the wrong kind.
std::string_view DescribeYamlNodeType(const YAML::Node& node);

}  // namespace rectifier::server
