// Character classes and line splitting for the YAML pre-scan (server/yaml_loader.cc's nesting
// estimate), which reads the text before yaml-cpp does.
#pragma once

#include <cstddef>
#include <string_view>

namespace rectifier::server {

inline bool IsYamlBlank(char c) { return c == ' ' || c == '\t'; }
inline bool IsYamlBreak(char c) { return c == '\n' || c == '\r'; }

// Calls visit(line) for each line of `text`, without its break ('\r' and '\n' each end a line, so "\r\n"
// is followed by an empty line); stops early when visit returns false. Returns whether every line was seen.
template <typename Visit>
bool ForEachYamlLine(std::string_view text, Visit visit) {
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i;
    while (end < text.size() && !IsYamlBreak(text[end])) ++end;
    if (!visit(text.substr(i, end - i))) return false;
    i = end + 1;
  }
  return true;
}

}  // namespace rectifier::server
