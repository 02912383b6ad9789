#include "server/yaml_loader.h"

#include <algorithm>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "server/read_file.h"
#include "server/yaml_guard.h"

namespace rectifier::server {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsLineBreak(char c) { return c == '\n' || c == '\r'; }

}  // namespace

int EstimateYamlNestingDepth(std::string_view text) {
  // Deliberately blind to quotes and comments: telling a quoted scalar from a plain one that contains a quote
  // needs a real parser, and a wrong guess would hide everything up to the next quote. Opening brackets in
  // strings and comments make the estimate higher.
  std::vector<size_t> indents;  // Block indentation levels enclosing the current line, strictly increasing.
  int flow_depth = 0;           // Open [ and { brackets.
  int max_depth = 0;
  size_t i = 0;
  while (i < text.size()) {
    // One line: [i, end).
    size_t end = i;
    while (end < text.size() && !IsLineBreak(text[end])) ++end;
    std::string_view line = text.substr(i, end - i);
    i = end + 1;

    size_t pos = 0;
    while (pos < line.size() && IsBlank(line[pos])) ++pos;
    if (pos == line.size()) continue;  // Blank lines do not count.
    const size_t indent = pos;
    while (!indents.empty() && indents.back() > indent) indents.pop_back();
    if (indents.empty() || indents.back() < indent) indents.push_back(indent);
    int block_depth = static_cast<int>(indents.size());
    // Compact nesting: "- - x", "? - x", ": - x" open one level per indicator.
    while (pos < line.size() && (line[pos] == '-' || line[pos] == '?' || line[pos] == ':') &&
           (pos + 1 == line.size() || IsBlank(line[pos + 1]))) {
      ++block_depth;
      ++pos;
      while (pos < line.size() && IsBlank(line[pos])) ++pos;
    }
    max_depth = std::max(max_depth, block_depth + flow_depth);
    for (; pos < line.size(); ++pos) {
      if (line[pos] == '[' || line[pos] == '{') {
        ++flow_depth;
        max_depth = std::max(max_depth, block_depth + flow_depth);
      } else if (line[pos] == ']' || line[pos] == '}') {
        flow_depth = std::max(0, flow_depth - 1);
      }
    }
  }
  return max_depth;
}

absl::StatusOr<YAML::Node> ParseYaml(std::string_view text, std::string_view source, const YamlLimits& limits) {
  if (text.size() > limits.max_file_bytes) {
    return absl::InvalidArgumentError(
        StrCat(source, " is larger than the limit of ", FormatByteSize(limits.max_file_bytes)));
  }
  const int depth = EstimateYamlNestingDepth(text);
  if (depth > limits.max_nesting_depth) {
    return absl::InvalidArgumentError(
        StrCat(source, " nests ", depth, " levels deep; the limit is ", limits.max_nesting_depth));
  }
  RECTIFIER_RETURN_IF_ERROR(CheckYamlBytes(text, source));
  try {
    // Not YAML::LoadAll: on some invalid text ("[1], 2", "\"\"a\n? ", "#\r{\n,", found by fuzzing) yaml-cpp
    // 0.7's parser reports empty document after empty document without moving on, and LoadAll collects
    // them until memory runs out. So a first pass counts documents, two at most, and checks node
    // properties on yaml-cpp's own events; only then is the one document built.
    const std::string copy(text);
    std::istringstream stream(copy);
    YAML::Parser parser(stream);
    YamlNodePropertyCheck properties;
    int documents = 0;
    while (documents < 2 && parser.HandleNextDocument(properties)) ++documents;
    RECTIFIER_RETURN_IF_ERROR(properties.Result(source));
    if (documents == 0) return YAML::Node(YAML::NodeType::Null);
    if (documents > 1) {
      return absl::InvalidArgumentError(StrCat(source, " holds more than one YAML document; expected one"));
    }
    return YAML::Load(copy);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return absl::InvalidArgumentError(StrCat(source, ": invalid YAML: ", e.msg));
    return absl::InvalidArgumentError(
        StrCat(source, ": invalid YAML at line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat(source, ": cannot parse YAML: ", e.what()));
  }
}

absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path, std::string_view what, const YamlLimits& limits) {
  RECTIFIER_ASSIGN_OR_RETURN(std::string text, ReadFileBounded(path, limits.max_file_bytes, what));
  return ParseYaml(text, StrCat(what, " ", path), limits);
}

std::string_view DescribeYamlNodeType(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Undefined:
      break;
  }
  return "undefined";
}

}  // namespace rectifier::server
