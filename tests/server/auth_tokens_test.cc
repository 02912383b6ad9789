#include "server/auth_tokens.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/test_util.h"

namespace rectifier::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseAuthTokens, OneTokenPerLineSortedAndUnique) {
  EXPECT_THAT(ParseAuthTokens("zeta\nalpha\n", "f").value(), ElementsAre("alpha", "zeta"));
  EXPECT_THAT(ParseAuthTokens("b\na\nb\n", "f").value(), ElementsAre("a", "b"));
  EXPECT_THAT(ParseAuthTokens("only-one", "f").value(), ElementsAre("only-one"));  // No final newline.
}

TEST(ParseAuthTokens, IgnoresBlankLinesCommentsAndSurroundingBlanks) {
  EXPECT_THAT(ParseAuthTokens("# header\n\n   \n\t tok1 \t\n  # indented comment\ntok2\r\n", "f").value(),
              ElementsAre("tok1", "tok2"));
  // '#' inside a token is part of it.
  EXPECT_THAT(ParseAuthTokens("a#b\n", "f").value(), ElementsAre("a#b"));
}

TEST(ParseAuthTokens, RejectsSpacesAndControlCharactersWithoutEchoingTheToken) {
  absl::StatusOr<std::vector<std::string>> spaced = ParseAuthTokens("ok\nsecret token # comment\n", "tokens.txt");
  ASSERT_FALSE(spaced.ok());
  EXPECT_EQ(spaced.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(spaced.status().message(),
            "tokens.txt, line 2: a token may hold only visible ASCII characters, no spaces (comments need their "
            "own line)");
  EXPECT_THAT(std::string(spaced.status().message()), Not(HasSubstr("secret")));
  EXPECT_FALSE(ParseAuthTokens(std::string("a\x01z\n"), "f").ok());
  EXPECT_FALSE(ParseAuthTokens("caf\xc3\xa9\n", "f").ok());
}

TEST(ParseAuthTokens, EmptySetIsAnError) {
  for (std::string_view text : {"", "\n\n", "# just a comment\n", "   \n\t\n"}) {
    absl::StatusOr<std::vector<std::string>> tokens = ParseAuthTokens(text, "tokens.txt");
    ASSERT_FALSE(tokens.ok()) << text;
    EXPECT_EQ(tokens.status().message(), "tokens.txt holds no tokens (blank lines and # comments are ignored)");
  }
}

TEST(LoadAuthTokens, ReadsTheFile) {
  testing::TempDir dir;
  EXPECT_THAT(LoadAuthTokens(dir.Write("t", "x\ny\n")).value(), ElementsAre("x", "y"));
  absl::StatusOr<std::vector<std::string>> missing = LoadAuthTokens(dir.Path("missing"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<std::string>> large =
      LoadAuthTokens(dir.Write("big", std::string(kMaxAuthTokenFileBytes + 1, 'a')));
  EXPECT_EQ(large.status().message(), "auth token file " + dir.Path("big") + " is larger than the limit of 1MiB");
}

}  // namespace
}  // namespace rectifier::server
