// core/text_file and core/atomic_file: what cie reads must be a regular file of bounded size;
// what it writes appears whole, keeps the mode of what it replaces, and leaves no temporaries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/atomic_file.hpp"
#include "core/text_file.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::expect_error;
using cie::testing::slurp;
using cie::testing::spit;
using ::testing::HasSubstr;

TEST(TextFile, ReadsARegularFileWhole) {
  cie::testing::TempDir dir;
  spit(dir.file("a.toml"), "x = 1\n");
  EXPECT_EQ(read_text_file(dir.file("a.toml")), "x = 1\n");
  spit(dir.file("empty"), "");
  EXPECT_EQ(read_text_file(dir.file("empty")), "");
}

TEST(TextFile, RefusesDevicesDirectoriesAndFifosWithoutReadingOrWaiting) {
  cie::testing::TempDir dir;
  expect_error([] { (void)read_text_file("/dev/zero"); }, ExitCode::kUsage,
               "it is a character device, not a regular file");
  expect_error([&] { (void)read_text_file(dir.path().string()); }, ExitCode::kUsage,
               "it is a directory");
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  expect_error([&] { (void)read_text_file(dir.file("fifo")); }, ExitCode::kUsage, "it is a FIFO");
  expect_error([&] { (void)read_text_file(dir.file("missing")); }, ExitCode::kUsage, "cannot read");
}

TEST(TextFile, RefusesAFileOverTheLimit) {
  cie::testing::TempDir dir;
  spit(dir.file("big"), std::string(1000, 'x'));
  EXPECT_EQ(read_text_file(dir.file("big"), 1000).size(), 1000u);
  expect_error([&] { (void)read_text_file(dir.file("big"), 999); }, ExitCode::kUsage,
               "more than the");
}

TEST(AtomicFile, AReplacedFileKeepsItsMode) {
  cie::testing::TempDir dir;
  std::string const target = dir.file("out.csv");
  spit(target, "old\n");
  ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
  write_file_atomically(target, "new\n");
  struct stat info {};
  ASSERT_EQ(::stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_EQ(slurp(target), "new\n");
}

TEST(AtomicFile, RemovesTheTemporariesOfADeadRunAndNothingElse) {
  cie::testing::TempDir dir;
  std::string const target = dir.file("out.csv");
  // A child writes a temporary and dies without committing, as a killed run does.
  pid_t const child = ::fork();
  if (child == 0) {
    auto* file = new AtomicFile(target);
    file->write("partial");
    ::_exit(0);  // no destructor: the temporary stays, as after SIGKILL
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  // The child's counter continues the parent's, so find its temporary by its pid.
  std::string dead;
  for (auto const& entry : std::filesystem::directory_iterator(dir.path())) {
    std::string const name = entry.path().string();
    if (name.starts_with(target + ".tmp-" + std::to_string(child) + "-")) dead = name;
  }
  ASSERT_FALSE(dead.empty()) << "the killed writer left no temporary";
  spit(target + ".tmp-1-0", "pid 1 is alive: not ours to remove");
  spit(target + ".tmp-notes", "not a temporary name");
  spit(dir.file("other.csv.tmp-99999999-0"), "another target's");
  write_file_atomically(target, "whole\n");
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(target + ".tmp-1-0"));
  EXPECT_TRUE(std::filesystem::exists(target + ".tmp-notes"));
  EXPECT_TRUE(std::filesystem::exists(dir.file("other.csv.tmp-99999999-0")));
  EXPECT_EQ(slurp(target), "whole\n");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
