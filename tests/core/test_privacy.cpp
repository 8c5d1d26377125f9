// Messages never carry raw or unbounded bytes (core/privacy.hpp): field values only with
// --show-values, quoted, cut and escaped; every message made printable and bounded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/privacy.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(MessageValue, HiddenUnlessAskedForThenQuotedCutAndEscaped) {
  EXPECT_EQ(message_value("alice@example.com"), "the value (--show-values shows it)");
  testing::ShowValues const showing;
  EXPECT_EQ(message_value("alice"), "'alice'");
  EXPECT_EQ(message_value(std::string("a\0b\xff'", 5)), "'a\\x00b\\xff\\x27'");
  std::string const ten_mb(10'000'000, 'x');
  EXPECT_EQ(message_value(ten_mb), "'" + std::string(40, 'x') + "'... (10000000 bytes)");
}

TEST(PrintableMessage, KeepsOrdinaryTextAndUtf8) {
  EXPECT_EQ(printable_message("t.csv:3: column 2 (Straße): bad\tvalue\nnext"),
            "t.csv:3: column 2 (Straße): bad\tvalue\nnext");
}

TEST(PrintableMessage, EscapesControlBytesAndInvalidUtf8) {
  EXPECT_EQ(printable_message(std::string("a\0b\x1b[31mc\x7f", 10)), "a\\x00b\\x1b[31mc\\x7f");
  // A lone continuation byte, a cut sequence and an overlong lead byte are not UTF-8.
  EXPECT_EQ(printable_message("x\x80y\xc3"), "x\\x80y\\xc3");
  EXPECT_EQ(printable_message("\xc0\xaf"), "\\xc0\\xaf");
}

TEST(PrintableMessage, ShortensLongRunsAndBoundsTheWhole) {
  std::string const ten_mb(10'000'000, 'B');
  std::string const shown = printable_message("columns are: a, " + ten_mb + ", c (reason)");
  EXPECT_EQ(shown, "columns are: a, " + std::string(64, 'B') + "...(10000001 bytes) c (reason)");
  // Runs of at most 512 bytes (long paths) stay whole.
  std::string const path(512, 'p');
  EXPECT_EQ(printable_message("file " + path + " missing"), "file " + path + " missing");
  // Many short words: the head and the tail stay, the middle is left out.
  std::string many = "start";
  for (int i = 0; i < 100000; ++i) many += " w" + std::to_string(i);
  many += " end";
  std::string const bounded = printable_message(many);
  EXPECT_LT(bounded.size(), 11000U);
  EXPECT_THAT(bounded, StartsWith("start w0 w1"));
  EXPECT_THAT(bounded, HasSubstr("bytes of this message left out"));
  EXPECT_TRUE(bounded.ends_with(" end"));
  // Escapes count: 10 MB of NULs is shortened too.
  EXPECT_LT(printable_message(std::string(10'000'000, '\0')).size(), 100U);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
