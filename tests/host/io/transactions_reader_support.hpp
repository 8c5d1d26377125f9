#pragma once

// What the transactions reader's tests share: parsing text in memory, the error it throws,
// and a scratch directory removed with each test.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "core/context.hpp"
#include "core/date.hpp"
#include "core/error.hpp"
#include "core/id_dictionary.hpp"
#include "host/io/transactions_reader.hpp"
#include "tests/test_support.hpp"

namespace cie::reader_testing {

/// The header of the small texts the tests parse.
inline constexpr std::string_view kHeader = "customer_id,date,amount\n";

inline std::int64_t midnight(int year, int month, int day) {
  return std::int64_t{days_from_civil(year, month, day)} * 86400;
}

inline Transactions parse(std::string_view text, TransactionsFormat const& format,
                          ReadReport& report, int threads = 1) {
  Context const ctx = Context::cpu(threads);
  return parse_transactions(ctx, text, "t.csv", format, report);
}

inline Transactions parse(std::string_view text, TransactionsFormat const& format = {}) {
  ReadReport report;
  return parse(text, format, report);
}

/// The cie::Error that parsing throws, with field values shown; fails the test if nothing is
/// thrown.
inline Error parse_error(std::string_view text, TransactionsFormat const& format = {}) {
  cie::testing::ShowValues const show;
  try {
    parse(text, format);
  } catch (Error const& error) {
    return error;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return Error(ExitCode::kSuccess, "");
}

inline void expect_data_error(std::string_view text, std::string const& message,
                              TransactionsFormat const& format = {}) {
  Error const error = parse_error(text, format);
  EXPECT_EQ(error.code(), ExitCode::kInputData) << error.what();
  EXPECT_EQ(std::string(error.what()), message);
}

inline std::string read_whole(std::filesystem::path const& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

/// A scratch directory removed with the test.
class TransactionsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 fmt::format("cie-reader-{}-{}", ::getpid(),
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string write(std::string const& name, std::string_view bytes) const {
    std::string const path = (directory_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::string path(std::string const& name) const { return (directory_ / name).string(); }

  std::filesystem::path directory_;
};

}  // namespace cie::reader_testing
