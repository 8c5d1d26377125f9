// Standard input and gzip inputs (host/io/input_text.hpp), through the reader and the command.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <zlib.h>

#include "core/context.hpp"
#include "host/io/input_text.hpp"
#include "host/io/transactions_reader.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::slurp;
using cie::testing::spit;

/// Writes `text` gzip-compressed, as `members` concatenated gzip members.
void write_gzip(std::string const& path, std::string const& text, int members = 1) {
  std::size_t const part = text.size() / static_cast<std::size_t>(members) + 1;
  std::remove(path.c_str());
  for (int m = 0; m < members; ++m) {
    gzFile file = gzopen(path.c_str(), "ab");
    ASSERT_NE(file, nullptr);
    std::string const piece =
        text.substr(std::min(text.size(), part * static_cast<std::size_t>(m)), part);
    if (!piece.empty())
      ASSERT_EQ(gzwrite(file, piece.data(), static_cast<unsigned>(piece.size())),
                static_cast<int>(piece.size()));
    gzclose(file);
  }
}

std::string sample_text() {
  std::string text = "customer_id,date,amount\n";
  for (int row = 0; row < 50000; ++row) {
    text += "c" + std::to_string(row % 311) + ",2024-01-" + std::to_string(10 + row % 19) + "," +
            std::to_string(row % 17 - 3) + ".5\n";
  }
  return text;
}

TEST(InputText, GzipFilesReadAsTheirContent) {
  cie::testing::TempDir dir;
  std::string const text = sample_text();
  spit(dir.file("plain.csv"), text);
  Context const ctx = Context::cpu(2);
  ReadReport plain_report;
  Transactions const plain = read_transactions(ctx, dir.file("plain.csv"), {}, plain_report);
  for (int members : {1, 3}) {
    write_gzip(dir.file("t.csv.gz"), text, members);
    ASSERT_TRUE(is_gzip(slurp(dir.file("t.csv.gz"))));
    ReadReport report;
    Transactions const t = read_transactions(ctx, dir.file("t.csv.gz"), {}, report);
    EXPECT_EQ(t.customer_ids, plain.customer_ids) << members << " members";
    EXPECT_EQ(t.customer, plain.customer);
    EXPECT_EQ(t.timestamp, plain.timestamp);
    EXPECT_EQ(t.amount, plain.amount);
    EXPECT_EQ(report.data_lines, 50000u);
  }
  std::string const compressed = slurp(dir.file("t.csv.gz"));
  spit(dir.file("cut.csv.gz"), compressed.substr(0, compressed.size() / 2));
  try {
    ReadReport report;
    read_transactions(ctx, dir.file("cut.csv.gz"), {}, report);
    FAIL() << "a truncated gzip file must be refused";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kInputData);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cut.csv.gz: the gzip data is truncated"));
  }
}

TEST(InputText, RfmReadsStandardInputAndGzip) {
  cie::testing::TempDir dir;
  std::string const text = sample_text();
  spit(dir.file("t.csv"), text);
  write_gzip(dir.file("t.csv.gz"), text);
  auto const run = [&](std::string const& shell) {
    return std::system((shell + " >" + dir.file("stdout") + " 2>" + dir.file("stderr")).c_str());
  };
  std::string const cie = CIE_BINARY;
  ASSERT_EQ(run(cie + " rfm --transactions " + dir.file("t.csv") + " --out " + dir.file("a.csv")),
            0);
  ASSERT_EQ(run("cat " + dir.file("t.csv") + " | " + cie + " rfm --transactions - --out " +
                dir.file("b.csv")),
            0)
      << slurp(dir.file("stderr"));
  ASSERT_EQ(
      run(cie + " rfm --transactions - --out " + dir.file("c.csv") + " <" + dir.file("t.csv.gz")),
      0)
      << slurp(dir.file("stderr"));
  ASSERT_EQ(
      run(cie + " rfm --transactions " + dir.file("t.csv.gz") + " --out " + dir.file("d.csv")), 0);
  std::string const expected = slurp(dir.file("a.csv"));
  EXPECT_GT(expected.size(), 1000u);
  EXPECT_EQ(slurp(dir.file("b.csv")), expected);
  EXPECT_EQ(slurp(dir.file("c.csv")), expected);
  EXPECT_EQ(slurp(dir.file("d.csv")), expected);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
