// What the YAML loader (server/yaml_loader.h) refuses on top of yaml-cpp's own syntax errors.
//
// CheckYamlBytes, before yaml-cpp sees the text: bytes that are not UTF-8 (YAML text is Unicode; yaml-cpp
// 0.7 decodes an ill-formed sequence by swallowing the bytes after its lead byte, line breaks and brackets
// included), control characters (YAML does not allow them), and a carriage return without a line feed
// after it (yaml-cpp ends a line there but not a comment). Exact and linear.
//
// YamlNodePropertyCheck, while yaml-cpp parses: anchors, aliases and tags. Configuration and model files
// have no use for them, and an alias multiplies what a reader of the tree walks (a "billion laughs" file
// is a few lines long). It watches yaml-cpp's own events, so it refuses exactly the properties yaml-cpp
// parsed, never an '&', '*' or '!' inside a scalar.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/mark.h"

namespace rectifier::server {

// OK, or INVALID_ARGUMENT naming `source` and the offset of the first offending byte.
absl::Status CheckYamlBytes(std::string_view text, std::string_view source);

// A yaml-cpp event handler that builds nothing and remembers the first node property it sees. Not
// thread-safe; one per parse.
class YamlNodePropertyCheck : public YAML::EventHandler {
 public:
  // OK, or INVALID_ARGUMENT naming `source` and the line and column of the first anchor, alias or tag.
  absl::Status Result(std::string_view source) const;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override;
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string&) override;
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override;
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override;
  void OnMapEnd() override {}

 private:
  void Check(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor);
  std::optional<YAML::Mark> first_;
};

}  // namespace rectifier::server
