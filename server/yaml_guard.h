// YAML text that yaml-cpp 0.7 (Debian 12) cannot be trusted with, refused before it sees it.
//
// yaml-cpp loops forever, allocating without bound, when a ',' appears where a token begins outside any
// flow collection after the document's root node ("[1], 2", "'a',", "- a\n,b", "&x ,"; found by
// fuzzing). Inside a block collection the same mistake is an ordinary parse error, but telling the two apart
// needs yaml-cpp's parser. A ',' can never begin a token in block context in valid YAML (it is a flow
// indicator, and plain scalars cannot start with one), so every such ',' is refused. Also refused:
// control characters, which YAML does not allow and on some of which yaml-cpp loops too ("\0,"), and node
// properties (anchors, aliases, tags), on some of which yaml-cpp loops as well ("!t: x\n? o").
//
// The scan follows YAML's tokens closely enough to know where a token begins: quoted scalars (across
// lines), flow collections, comments, block scalars (| and >, whose content is
// skipped by its indentation), continuation lines of plain scalars, document markers and directives.
// Where it is unsure it treats a position as a token start. Because it can still misjudge a line, a second,
// quote-blind check refuses every ',' that begins a line's content outside brackets. Together they may
// refuse a rare valid file (a scalar continued on a line starting with ','), never a model file in practice.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace rectifier::server {

// OK, or INVALID_ARGUMENT naming `source`, the line and column of the offending byte.
absl::Status CheckYamlForYamlCppHazards(std::string_view text, std::string_view source);

}  // namespace rectifier::server
