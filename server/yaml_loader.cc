#include "server/yaml_loader.h"

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "server/read_file.h"

namespace rectifier::server {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsLineBreak(char c) { return c == '\n' || c == '\r'; }

// yaml-cpp 0.7 loops forever, allocating without bound, on some stray ',' outside flow brackets (",",
// "-\n,", "\0,": found by fuzzing). Refused before yaml-cpp sees them: control characters (which YAML does
// not allow) and a ',' opening a line's content outside brackets. Not caught yet (fuzzing finds them too):
// a ',' after a flow or quoted root on the same line ("[1], 2", "'a',").
absl::Status CheckStrayCommas(std::string_view text, std::string_view source) {
  for (size_t k = 0; k < text.size(); ++k) {
    const unsigned char c = static_cast<unsigned char>(text[k]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      // Not printable, so not allowed in YAML; yaml-cpp loops on some of them too ("\0,").
      return absl::InvalidArgumentError(StrCat(source, ": byte ", k, " is the control character ",
                                               static_cast<int>(c), ", which YAML does not allow"));
    }
  }
  int flow_depth = 0;  // Open [ and { brackets, quote-blind as in EstimateYamlNestingDepth.
  size_t line_number = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i;
    while (end < text.size() && !IsLineBreak(text[end])) ++end;
    std::string_view line = text.substr(i, end - i);
    i = end + 1;
    ++line_number;
    size_t pos = 0;
    while (pos < line.size() && IsBlank(line[pos])) ++pos;
    std::string_view rest = line.substr(pos);
    if (pos == 0 && rest.substr(0, 3) == "---" && (rest.size() == 3 || IsBlank(rest[3]))) {
      rest.remove_prefix(3);  // A document marker; content may follow on the same line.
      while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    }
    // A ',' opening a line's content outside flow brackets ("-\n,"): the same loop.
    std::string_view content = rest;
    while (content.size() >= 2 && (content[0] == '-' || content[0] == '?' || content[0] == ':') &&
           IsBlank(content[1])) {
      content.remove_prefix(2);
      while (!content.empty() && IsBlank(content.front())) content.remove_prefix(1);
    }
    if (flow_depth == 0 && !content.empty() && content.front() == ',') {
      return absl::InvalidArgumentError(
          StrCat(source, ": line ", line_number, " starts with ',' outside brackets, which is not valid YAML"));
    }
    for (char c : rest) {
      if (c == '[' || c == '{') ++flow_depth;
      if ((c == ']' || c == '}') && flow_depth > 0) --flow_depth;
    }
  }
  return absl::OkStatus();
}

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
  RECTIFIER_RETURN_IF_ERROR(CheckStrayCommas(text, source));
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(std::string(text));
    if (documents.empty()) return YAML::Node(YAML::NodeType::Null);
    if (documents.size() > 1) {
      return absl::InvalidArgumentError(StrCat(source, " holds ", documents.size(), " YAML documents; expected one"));
    }
    return documents.front();
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
