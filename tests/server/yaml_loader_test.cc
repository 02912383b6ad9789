#include "server/yaml_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/read_file.h"
#include "tests/server/test_util.h"

namespace rectifier::server {
namespace {

using ::testing::HasSubstr;

std::string Repeat(std::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

TEST(EstimateYamlNestingDepth, TypicalFiles) {
  EXPECT_EQ(EstimateYamlNestingDepth(""), 0);
  EXPECT_EQ(EstimateYamlNestingDepth("a: 1\nb: 2\n"), 1);
  EXPECT_EQ(EstimateYamlNestingDepth("models:\n  - name: x\n    activation: relu\n"), 3);
  EXPECT_EQ(EstimateYamlNestingDepth("models: [{name: x, activation: relu}]\n"), 3);
}

TEST(EstimateYamlNestingDepth, CountsFlowBrackets) {
  EXPECT_EQ(EstimateYamlNestingDepth("[[[[1]]]]"), 5);           // The line itself counts one level.
  EXPECT_EQ(EstimateYamlNestingDepth(Repeat("[", 1000)), 1001);  // Unterminated: still counted.
  EXPECT_EQ(EstimateYamlNestingDepth("{a: {b: {c: 1}}}"), 4);
  EXPECT_EQ(EstimateYamlNestingDepth("a: [\n [\n  [1]\n ]\n]\n"), 6);  // Spans lines; indents count too.
  EXPECT_EQ(EstimateYamlNestingDepth("[1]\n[2]\n[3]\n"), 2);           // Closed brackets do not accumulate.
  EXPECT_EQ(EstimateYamlNestingDepth("[[\"]]]]\", x, [1]]"), 3);       // Closers clamp at zero.
}

TEST(EstimateYamlNestingDepth, CountsBlockIndentationAndIndicators) {
  EXPECT_EQ(EstimateYamlNestingDepth("a:\n b:\n  c:\n   d: 1\n"), 4);
  EXPECT_EQ(EstimateYamlNestingDepth("a:\n  b: 1\nc:\n  d: 1\n"), 2);  // Dedent pops levels.
  EXPECT_EQ(EstimateYamlNestingDepth("- - - - x\n"), 5);
  EXPECT_EQ(EstimateYamlNestingDepth("? ? ? x\n"), 4);
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += std::string(static_cast<size_t>(i), ' ') + "k:\n";
  EXPECT_EQ(EstimateYamlNestingDepth(deep), 200);
}

TEST(EstimateYamlNestingDepth, CountsBracketsEvenInQuotesAndComments) {
  // An over-estimate, on purpose: the scan cannot tell a quoted scalar from a plain one holding a quote.
  EXPECT_EQ(EstimateYamlNestingDepth("a: \"[[[\"\n"), 4);
  EXPECT_EQ(EstimateYamlNestingDepth("a: 1 # [[[[\n"), 5);
  EXPECT_EQ(EstimateYamlNestingDepth("a: 'it''s [x]'\n"), 2);
}

TEST(EstimateYamlNestingDepth, QuotesCannotHideNesting) {
  // In block context `x '[[[` is a plain scalar and the quote opens nothing; a quote-aware scan would have
  // skipped everything up to the next quote.
  std::string text = "a: x '\n";
  for (int i = 0; i < 100; ++i) text += std::string(static_cast<size_t>(i), ' ') + "k:\n";
  EXPECT_EQ(EstimateYamlNestingDepth(text), 100);
  // In flow context `x '` is a plain scalar ended by the bracket, which opens a real sequence.
  EXPECT_EQ(EstimateYamlNestingDepth("[x '[[[[[1]]]]]]\n"), 7);
  // A '#' after a blank inside a quoted string is no comment.
  EXPECT_EQ(EstimateYamlNestingDepth("[\"x #\", [[[[1]]]]]\n"), 6);
}

TEST(EstimateYamlNestingDepth, CarriageReturnsAndFlowContextLinesCount) {
  EXPECT_EQ(EstimateYamlNestingDepth("a:\r b:\r  c:\r   d: 1\r"), 4);
  EXPECT_EQ(EstimateYamlNestingDepth("a:\r\n  b:\r\n"), 2);  // CRLF: the empty line between is blank.
  // Indentation counts inside flow collections too (over-estimating pretty-printed JSON).
  EXPECT_EQ(EstimateYamlNestingDepth("{\n  \"a\": [\n    1\n  ]\n}\n"), 5);
  EXPECT_EQ(EstimateYamlNestingDepth("? k\n: - - x\n"), 4);
}

TEST(ParseYaml, ParsesOneDocument) {
  absl::StatusOr<YAML::Node> node = ParseYaml("a: 1\nb: [x, y]\n", "test", {});
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ((*node)["a"].Scalar(), "1");
  EXPECT_EQ((*node)["b"].size(), 2u);
  EXPECT_TRUE(ParseYaml("", "test", {}).value().IsNull());
  EXPECT_TRUE(ParseYaml("# nothing\n", "test", {}).value().IsNull());
}

TEST(ParseYaml, RejectsDeepNestingBeforeYamlCppSeesIt) {
  YamlLimits limits;
  // A flow bomb: 200000 brackets would overflow yaml-cpp's recursion-bounded stack or hit its own limit.
  absl::StatusOr<YAML::Node> flow = ParseYaml(Repeat("[", 200000), "bomb", limits);
  ASSERT_FALSE(flow.ok());
  EXPECT_EQ(flow.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(flow.status().message(), "bomb nests 200001 levels deep; the limit is 64");

  absl::StatusOr<YAML::Node> block = ParseYaml(Repeat("- ", 65) + "x\n", "bomb", limits);
  EXPECT_EQ(block.status().message(), "bomb nests 66 levels deep; the limit is 64");

  // Exactly at the limit is fine.
  absl::StatusOr<YAML::Node> at_limit = ParseYaml(Repeat("[", 63) + Repeat("]", 63), "ok", limits);
  EXPECT_TRUE(at_limit.ok()) << at_limit.status();

  limits.max_nesting_depth = 3;
  EXPECT_EQ(ParseYaml("[[[[1]]]]", "small", limits).status().message(), "small nests 5 levels deep; the limit is 3");
}

// yaml-cpp 0.7's LoadAll never returns (allocating without bound) on each of these: its parser reports
// empty document after empty document at the offending token (found by fuzzing, each run against
// yaml-cpp). ParseYaml counts documents itself and refuses them at once.
TEST(ParseYaml, RefusesAtOnceTheInputsOnWhichYamlCppLoadAllLoops) {
  for (const char* text : {",", " ,x", "# c\n,", "a: 1\n---\n,", "[1]\n,", "-\n,[1--]", "--- ,", "[1], 2",
                           "'a', b", "\"a\" ,", "&x , y", "!t , y", "{a: 1}, b", "--- [1], 2", "[1] # c\n, 2",
                           "|\n,x", "|\n   x\n  ,y", "a #c\n ,d", "[1,\n2], 3", "{a: [1, 2]}\n, 3", "- a\n- b\n,c",
                           "![1], 2", "&a{b: 1}, c", "!t: x\n? o\n", "&a: x\n? o\n", "  - a\n  - b\n ,c",
                           "[a, 'b]'], c", "%YAML 1.2\n--- ,", "\xEF\xBB\xBF[1], 2", "#\r\n{\n,", "m\n{ #\n,",
                           "m\n{\t#\n,", "\"\"c\n\"\",", "\"\"a\n? ", "[]a\n? ", "\"a\" b\n? ", "-\nl\n[ #\n,"}) {
    absl::StatusOr<YAML::Node> node = ParseYaml(text, "f.yaml", {});
    ASSERT_FALSE(node.ok()) << text;
    EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(node.status().message()),
                ::testing::ContainsRegex("^f.yaml( holds more than one YAML document; expected one|: invalid YAML at "
                                         "line [0-9]+|: line [0-9]+, column [0-9]+: YAML anchors, aliases and tags)"))
        << text;
  }
  EXPECT_THAT(std::string(ParseYaml("models:\n  - name: a\n    activation: 'relu', x\n", "f.yaml", {}).status().message()),
              HasSubstr("f.yaml: invalid YAML at line 3, column "));
}

// Refused byte by byte before yaml-cpp sees them, with the offset.
TEST(ParseYaml, RefusesBytesThatAreNotYamlText) {
  EXPECT_EQ(ParseYaml("\x01,", "f.yaml", {}).status().message(),
            "f.yaml: byte 0 is the control character 1, which YAML does not allow");
  EXPECT_EQ(ParseYaml("a: \x7f", "f.yaml", {}).status().message(),
            "f.yaml: byte 3 is the control character 127, which YAML does not allow");
  // yaml-cpp ends a line at a lone carriage return but not a comment ("#\r{\n," looped, found by fuzzing).
  EXPECT_EQ(ParseYaml("#\r{\n,", "f.yaml", {}).status().message(),
            "f.yaml: byte 1 is a carriage return without a line feed after it; use \\n or \\r\\n line ends");
  EXPECT_EQ(ParseYaml("a: 1\rb: 2\n", "f.yaml", {}).status().code(), absl::StatusCode::kInvalidArgument);
  // yaml-cpp swallows the bytes after an ill-formed UTF-8 lead byte ("\xE1\n[ #\n," looped).
  for (const char* text : {"\xE1\n[ #\n,", "a: \xC3", "\xFF\xFE", "a: \x80", "a: \xC0\xAF", "a: \xF5\x80\x80\x80"}) {
    EXPECT_THAT(std::string(ParseYaml(text, "f.yaml", {}).status().message()),
                ::testing::MatchesRegex("f.yaml: byte [0-9]+ is not valid UTF-8, which YAML requires"))
        << text;
  }
  EXPECT_EQ(ParseYaml("m:\n  -\xff n\n", "f.yaml", {}).status().message(),
            "f.yaml: byte 6 is not valid UTF-8, which YAML requires");
}

// Anchors, aliases and tags, as yaml-cpp parsed them: never an '&', '*' or '!' inside a scalar.
TEST(ParseYaml, RefusesNodePropertiesOnly) {
  for (const char* text : {"a: &x 1\nb: *x\n", "a: !!str 1\n", "[&a x]", "- !t {b: 1}\n", "&a\n"}) {
    EXPECT_THAT(std::string(ParseYaml(text, "f.yaml", {}).status().message()),
                ::testing::MatchesRegex("f.yaml: line [0-9]+, column [0-9]+: YAML anchors, aliases and tags are not "
                                        "supported here"))
        << text;
  }
  EXPECT_EQ(ParseYaml("a: *b", "f.yaml", {}).status().code(), absl::StatusCode::kInvalidArgument);  // Undefined.
  EXPECT_EQ(ParseYaml("a: 1\nb: &x 2\n", "f.yaml", {}).status().message(),
            "f.yaml: line 2, column 4: YAML anchors, aliases and tags are not supported here");
  for (const char* text : {"a: x&y\n", "a: \"it's *bold*\"\n", "a: \"!t\"\n", "a: b!c\n"}) {
    EXPECT_TRUE(ParseYaml(text, "f.yaml", {}).ok()) << text;
  }
}

TEST(ParseYaml, AcceptsValidYaml) {
  // Commas in plain, quoted and block scalars, in flow collections, on continuation lines of plain, quoted
  // and flow scalars, after comments; CRLF line ends, a byte order mark, non-ASCII text.
  for (const char* text : {"a: b, c\n", "models: [1, 2]\n", "a: [1,\n  2\n  , 3]\n", "key: a ,b", "a, b", "- a, b",
                           "? a\n: b, c", "a: 'it''s, ok'\n", "a: \"x\" # c, d\n", "a: [x, 'y]', {b: c}]\n",
                           "a: b#, c\n", "\xEF\xBB\xBF" "a: 1, 2\n", "a: 1\r\nb: x, y\r\n",
                           "a: caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\n", "a: |\n  ,x", "a: >\n ,x", "a: b\n  ,c",
                           "a: 'x\n  ,y'", "b\n ,c", "- a\n  ,b", ""}) {
    EXPECT_TRUE(ParseYaml(text, "f.yaml", {}).ok()) << text << ": " << ParseYaml(text, "f.yaml", {}).status();
  }
  EXPECT_EQ(ParseYaml("a: |\n  ,x\n", "f.yaml", {}).value()["a"].Scalar(), ",x\n");
  EXPECT_TRUE(ParseYaml("# only a comment\n", "f.yaml", {}).value().IsNull());
}

TEST(ParseYaml, RejectsOversizedText) {
  YamlLimits limits;
  limits.max_file_bytes = 10;
  EXPECT_EQ(ParseYaml("a: 12345678\n", "big", limits).status().message(), "big is larger than the limit of 10B");
  EXPECT_TRUE(ParseYaml("a: 1234\n", "ok", limits).ok());
}

TEST(ParseYaml, ReportsSyntaxErrorsWithPosition) {
  absl::StatusOr<YAML::Node> node = ParseYaml("a: 1\nb: [1, 2\n", "cfg", {});
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(node.status().message()), HasSubstr("cfg: invalid YAML at line "));
  EXPECT_THAT(std::string(ParseYaml("a: 1\n---\nb: 2\n", "cfg", {}).status().message()),
              HasSubstr("cfg holds more than one YAML document; expected one"));
}

TEST(LoadYamlFile, FileLimitsAndErrors) {
  testing::TempDir dir;
  EXPECT_EQ(LoadYamlFile(dir.Write("ok.yaml", "a: 1\n"), "config file").value()["a"].Scalar(), "1");

  const std::string big = dir.Write("big.yaml", "a: '" + std::string(kDefaultMaxYamlFileBytes, 'x') + "'\n");
  EXPECT_EQ(LoadYamlFile(big, "config file").status().message(),
            "config file " + big + " is larger than the limit of 1MiB");

  const std::string deep = dir.Write("deep.yaml", Repeat("[", 100) + Repeat("]", 100));
  EXPECT_EQ(LoadYamlFile(deep, "models file").status().message(),
            "models file " + deep + " nests 101 levels deep; the limit is 64");

  absl::StatusOr<YAML::Node> missing = LoadYamlFile(dir.Path("missing.yaml"), "config file");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "config file " + dir.Path("missing.yaml") + ": cannot open: No such file or directory");

  EXPECT_EQ(LoadYamlFile("/dev/zero", "config file").status().message(), "config file /dev/zero is not a regular file");
  EXPECT_EQ(LoadYamlFile("", "config file").status().message(), "config file path is empty");
}

TEST(ReadFileBounded, ReadsWholeFilesUpToTheLimit) {
  testing::TempDir dir;
  const std::string path = dir.Write("f", "hello");
  EXPECT_EQ(ReadFileBounded(path, 5, "file").value(), "hello");
  EXPECT_EQ(ReadFileBounded(path, 4, "file").status().message(), "file " + path + " is larger than the limit of 4B");
  if (::geteuid() != 0) {  // root reads anything.
    const std::string locked = dir.Write("locked", "x");
    ::chmod(locked.c_str(), 0);
    EXPECT_EQ(ReadFileBounded(locked, 5, "file").status().code(), absl::StatusCode::kPermissionDenied);
  }
}

}  // namespace
}  // namespace rectifier::server
