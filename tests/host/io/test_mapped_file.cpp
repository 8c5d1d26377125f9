// A transactions file that shrinks or is rewritten while it is read: an input error naming it
// (exit 3), never SIGBUS. The file is truncated between mapping and parsing, so the parse reads
// pages past the new end of file, which raise SIGBUS on every run (no timing involved).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/context.hpp"
#include "core/error.hpp"
#include "host/io/mapped_file.hpp"
#include "host/io/transactions_reader.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

/// About 1.4 MB of transactions (several chunks on two threads).
std::string transactions_text() {
  std::string text = "customer_id,date,amount\n";
  for (int row = 0; row < 60000; ++row) {
    text += fmt::format("c{:06},2024-{:02}-{:02},{}.25\n", row % 7919, row % 12 + 1, row % 28 + 1,
                        row % 500);
  }
  return text;
}

void write_file(std::string const& path, std::string const& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void truncate_file(std::string const& path, off_t size) {
  ASSERT_EQ(::truncate(path.c_str(), size), 0) << path;
}

/// Expects `read` to throw an input error naming `path` whose message holds `what`.
template <typename Read>
void expect_input_error(Read const& read, std::string const& path, std::string const& what) {
  try {
    read();
    ADD_FAILURE() << "no error";
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kInputData) << error.what();
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(what), std::string::npos) << error.what();
  }
}

class MappedTransactions : public ::testing::Test {
 protected:
  testing::TempDir dir;
  Context const ctx = Context::cpu(2);
  ReadReport report;
};

TEST_F(MappedTransactions, TruncatedPagesReadAsZerosAndAreReported) {
  std::string const path = dir.file("t.csv");
  std::string const text = transactions_text();
  write_file(path, text);
  MappedFile const file(path, "transactions file");
  ASSERT_EQ(file.text().size(), text.size());
  EXPECT_NO_THROW(file.check_unchanged());
  truncate_file(path, 10000);
  // Every byte past the first page after the new end faulted and now reads as zero.
  std::string_view const mapped = file.text();
  std::size_t zeros = 0;
  for (char const c : mapped) zeros += c == '\0' ? 1 : 0;
  EXPECT_GE(zeros, text.size() - 10000 - 4096);
  EXPECT_EQ(mapped.substr(0, 10000), std::string_view(text).substr(0, 10000));
  expect_input_error([&] { file.check_unchanged(); }, path, "was truncated while it was read");
}

TEST_F(MappedTransactions, TruncationDuringTheReadIsAnInputErrorUnderEveryBadRowPolicy) {
  std::string const path = dir.file("t.csv");
  std::string const text = transactions_text();
  for (std::string const policy : {"fail", "skip", "quarantine"}) {
    SCOPED_TRACE(policy);
    for (off_t const cut : {off_t{0}, off_t{5000}, static_cast<off_t>(text.size() / 2)}) {
      SCOPED_TRACE(cut);
      write_file(path, text);
      TransactionsFormat format;
      std::string const quarantine = dir.file("rejected.csv");
      std::filesystem::remove(quarantine);
      set_bad_rows(format, policy == "quarantine" ? "quarantine=" + quarantine : policy, "test");
      MappedFile const file(path, "transactions file");
      truncate_file(path, cut);
      expect_input_error([&] { read_transactions(ctx, file, format, report); }, path,
                         "was truncated while it was read");
      // Nothing read from a damaged file is written.
      EXPECT_FALSE(std::filesystem::exists(quarantine));
    }
  }
}

TEST_F(MappedTransactions, RewrittenInPlaceWithTheSameSizeIsAnInputError) {
  std::string const path = dir.file("t.csv");
  std::string const text = transactions_text();
  write_file(path, text);
  MappedFile const file(path, "transactions file");
  {
    // Same length, other bytes, and a modification time that surely differs from the first.
    int const descriptor = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(descriptor, 0);
    ASSERT_EQ(::pwrite(descriptor, "c9", 2, 30), 2);
    struct timespec const times[2] = {{0, UTIME_OMIT}, {1'000'000'000, 123}};
    ASSERT_EQ(::futimens(descriptor, times), 0);
    ::close(descriptor);
  }
  expect_input_error([&] { read_transactions(ctx, file, {}, report); }, path,
                     "changed while it was read");
}

TEST_F(MappedTransactions, GrownWhileReadIsAnInputError) {
  std::string const path = dir.file("t.csv");
  write_file(path, transactions_text());
  MappedFile const file(path, "transactions file");
  std::ofstream(path, std::ios::binary | std::ios::app) << "c1,2024-01-01,1\n";
  expect_input_error([&] { read_transactions(ctx, file, {}, report); }, path,
                     "changed while it was read");
}

TEST_F(MappedTransactions, TruncatedGzipFileIsAnInputErrorAboutTheTruncation) {
  std::string const text = transactions_text();
  std::string packed(compressBound(static_cast<uLong>(text.size())) + 64, '\0');
  z_stream stream{};
  ASSERT_EQ(deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(packed.data());
  stream.avail_out = static_cast<uInt>(packed.size());
  ASSERT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  packed.resize(stream.total_out);
  deflateEnd(&stream);
  ASSERT_GT(packed.size(), 3 * 4096U);

  std::string const path = dir.file("t.csv.gz");
  write_file(path, packed);
  MappedFile const file(path, "transactions file");
  truncate_file(path, 4096);
  expect_input_error([&] { read_transactions(ctx, file, {}, report); }, path,
                     "was truncated while it was read");
}

TEST_F(MappedTransactions, OnlyRegularFilesAreMappedAndAFifoIsNotWaitedFor) {
  std::string const fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  struct Case {
    std::string path;
    std::string kind;
  };
  for (Case const& c : {Case{dir.path().string(), "a directory"}, Case{fifo, "a FIFO"},
                        Case{"/dev/zero", "a character device"}}) {
    testing::expect_error([&] { MappedFile const file(c.path, "transactions file"); },
                          ExitCode::kUsage,
                          fmt::format("cannot read transactions file {}: it is {}, not a regular "
                                      "file",
                                      c.path, c.kind));
  }
}

TEST_F(MappedTransactions, AnUnchangedFileReadsAsBefore) {
  std::string const path = dir.file("t.csv");
  std::string const text = transactions_text();
  write_file(path, text);
  ReadReport text_report;
  Transactions const expected = parse_transactions(ctx, text, path, {}, text_report);
  MappedFile const file(path, "transactions file");
  Transactions const read = read_transactions(ctx, file, {}, report);
  EXPECT_EQ(read.customer_ids, expected.customer_ids);
  EXPECT_EQ(read.customer, expected.customer);
  EXPECT_EQ(read.amount, expected.amount);
  EXPECT_EQ(report.rows_accepted, 60000U);
  // Many files mapped one after another reuse the handler's table.
  for (int round = 0; round < 200; ++round) {
    MappedFile const again(path, "transactions file");
    EXPECT_NO_THROW(again.check_unchanged());
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
