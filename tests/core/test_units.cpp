#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "core/units.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

TEST(Units, FormatCountGroupsThousands) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(100000), "100,000");
  EXPECT_EQ(format_count(1234567), "1,234,567");
  EXPECT_EQ(format_count(18446744073709551615ull), "18,446,744,073,709,551,615");
}

TEST(Units, FormatDurationPicksPrecisionAndUnits) {
  EXPECT_EQ(format_duration(0), "0.00 s");
  EXPECT_EQ(format_duration(1.234), "1.23 s");
  EXPECT_EQ(format_duration(9.99), "9.99 s");
  EXPECT_EQ(format_duration(9.999), "10.0 s");
  EXPECT_EQ(format_duration(42.26), "42.3 s");
  EXPECT_EQ(format_duration(59.96), "1m 00s");
  EXPECT_EQ(format_duration(65), "1m 05s");
  EXPECT_EQ(format_duration(3599), "59m 59s");
  EXPECT_EQ(format_duration(3600), "1h 00m");
  EXPECT_EQ(format_duration(7620), "2h 07m");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_duration(1.0 / 0.0), "?");
}

TEST(Units, FormatRate) {
  EXPECT_EQ(format_rate(1000000, 1.23), "813,008 rows/s");
  EXPECT_EQ(format_rate(10, 4), "3 rows/s");  // 2.5 rounds half away from zero
  EXPECT_EQ(format_rate(0, 1), "0 rows/s");
  EXPECT_EQ(format_rate(5, 0), "? rows/s");
}

TEST(Units, FormatBytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(64ull << 20), "64.0 MiB");
  EXPECT_EQ(format_bytes((1ull << 30) - 1), "1.0 GiB");
  EXPECT_EQ(format_bytes(3435973837ull), "3.2 GiB");
}

TEST(Units, ParseMemorySizeUnits) {
  EXPECT_EQ(parse_memory_size("1000000"), 1000000u);
  EXPECT_EQ(parse_memory_size("512B"), 512u);
  EXPECT_EQ(parse_memory_size("4GiB"), 4ull << 30);
  EXPECT_EQ(parse_memory_size("512MiB"), 512ull << 20);
  EXPECT_EQ(parse_memory_size("2G"), 2ull << 30);
  EXPECT_EQ(parse_memory_size("2g"), 2ull << 30);
  EXPECT_EQ(parse_memory_size("64k"), 64ull << 10);
  EXPECT_EQ(parse_memory_size("1T"), 1ull << 40);
  EXPECT_EQ(parse_memory_size("4 GiB"), 4ull << 30);
  EXPECT_EQ(parse_memory_size("1.5GiB"), 3ull << 29);
  EXPECT_EQ(parse_memory_size("2GB"), 2000000000u);
  EXPECT_EQ(parse_memory_size("3MB"), 3000000u);
  EXPECT_EQ(parse_memory_size("0.5K"), 512u);
}

void expect_usage_error(std::string const& text, std::string const& fragment) {
  try {
    parse_memory_size(text, "memory_limit");
    ADD_FAILURE() << "accepted '" << text << "'";
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kUsage) << text;
    std::string const message = error.what();
    EXPECT_NE(message.find("memory_limit"), std::string::npos) << message;
    EXPECT_NE(message.find("'" + text + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
}

TEST(Units, ParseMemorySizeRejectsBadValues) {
  expect_usage_error("", "no number");
  expect_usage_error("GiB", "no number");
  expect_usage_error("-1G", "no number");
  expect_usage_error("4 gigs", "unknown unit 'gigs'");
  expect_usage_error("4GiBs", "unknown unit");
  expect_usage_error("4  GiB", "unknown unit");
  expect_usage_error("1.2.3", "unknown unit");
  expect_usage_error("0", "at least 1 byte");
  expect_usage_error("0.1", "at least 1 byte");
  expect_usage_error("16777216T", "too large");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
