// YAML text that yaml-cpp 0.7 (Debian 12) cannot be trusted with, refused before it sees it.
//
// yaml-cpp loops forever, allocating without bound, when a ',' appears where a token begins outside any
// flow collection after the document's root node ("[1], 2", "'a',", "- a\n,b", "&x ,"; found by
// fuzzing). Inside a block collection the same mistake is an ordinary parse error, but telling the two apart
// needs yaml-cpp's parser. A ',' can never begin a token in block context in valid YAML (it is a flow
// indicator, and plain scalars cannot start with one), so every such ',' is refused. Also refused:
// control characters, which YAML does not allow and on some of which yaml-cpp loops too ("\0,").
//
// The scan follows YAML's tokens closely enough to know where a token begins: quoted scalars (across
// lines), flow collections, comments, anchors, tags and aliases, block scalars (| and >, whose content is
// skipped by its indentation), continuation lines of plain scalars, document markers and directives.
// Where it is unsure it treats a position as a token start, so it may refuse a rare valid file (a root
// plain scalar continued on a line starting with ','), never let a looping one through.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace rectifier::server {

// OK, or INVALID_ARGUMENT naming `source`, the line and column of the offending byte.
absl::Status CheckYamlForYamlCppHazards(std::string_view text, std::string_view source);

}  // namespace rectifier::server
