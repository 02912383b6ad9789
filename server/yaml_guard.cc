#include "server/yaml_guard.h"

#include <cstddef>

#include "kernels/str_cat.h"

namespace rectifier::server {
namespace {

// The length of the UTF-8 sequence that starts at text[k], or 0 when none does (a stray continuation
// byte, a lead byte that is never valid, or too few continuation bytes after it).
size_t Utf8SequenceBytes(std::string_view text, size_t k) {
  const auto c = static_cast<unsigned char>(text[k]);
  size_t length = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
  } else {
    return 0;
  }
  if (k + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[k + i]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

absl::Status CheckYamlBytes(std::string_view text, std::string_view source) {
  for (size_t k = 0; k < text.size(); ++k) {
    const size_t sequence = Utf8SequenceBytes(text, k);
    if (sequence == 0) {
      return absl::InvalidArgumentError(StrCat(source, ": byte ", k, " is not valid UTF-8, which YAML requires"));
    }
    if (sequence > 1) {
      k += sequence - 1;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(text[k]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return absl::InvalidArgumentError(StrCat(source, ": byte ", k, " is the control character ",
                                               static_cast<int>(c), ", which YAML does not allow"));
    }
    if (c == '\r' && (k + 1 == text.size() || text[k + 1] != '\n')) {
      return absl::InvalidArgumentError(StrCat(source, ": byte ", k, " is a carriage return without a line "
                                               "feed after it; use \\n or \\r\\n line ends"));
    }
  }
  return absl::OkStatus();
}

absl::Status YamlNodePropertyCheck::Result(std::string_view source) const {
  if (!first_) return absl::OkStatus();
  return absl::InvalidArgumentError(StrCat(source, ": line ", first_->line + 1, ", column ", first_->column + 1,
                                           ": YAML anchors, aliases and tags are not supported here"));
}

void YamlNodePropertyCheck::Check(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor) {
  // yaml-cpp reports an untagged node with the tag "?" (plain scalars, collections) or "!" (quoted scalars).
  const bool tagged = !tag.empty() && tag != "?" && tag != "!";
  if ((tagged || anchor != YAML::NullAnchor) && !first_) first_ = mark;
}

void YamlNodePropertyCheck::OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) { Check(mark, "", anchor); }

void YamlNodePropertyCheck::OnAlias(const YAML::Mark& mark, YAML::anchor_t) {
  if (!first_) first_ = mark;
}

void YamlNodePropertyCheck::OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                                     const std::string&) {
  Check(mark, tag, anchor);
}

void YamlNodePropertyCheck::OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                                            YAML::EmitterStyle::value) {
  Check(mark, tag, anchor);
}

void YamlNodePropertyCheck::OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                                       YAML::EmitterStyle::value) {
  Check(mark, tag, anchor);
}

}  // namespace rectifier::server
