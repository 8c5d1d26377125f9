#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "host/pipeline/publish.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::slurp;
using testing::spit;
using testing::TempDir;

/// The names in `directory` (files and directories, not recursive).
std::set<std::string> names_in(fs::path const& directory) {
  std::set<std::string> names;
  for (auto const& entry : fs::directory_iterator(directory)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

/// D = <tmp>/out holding the previous night's a.csv and b.csv.
std::string make_previous_outputs(TempDir const& dir) {
  std::string const output = dir.file("out");
  fs::create_directory(output);
  spit(output + "/a.csv", "old a\n");
  spit(output + "/b.csv", "old b\n");
  return output;
}

TEST(OutputStaging, PublishesIntoAMissingDirectory) {
  TempDir dir;
  std::string const output = dir.file("nightly/out");  // parent missing too
  OutputStaging staging(output);
  EXPECT_EQ(fs::path(staging.staging_directory()).parent_path(), fs::path(dir.file("nightly")));
  EXPECT_TRUE(
      fs::path(staging.staging_directory()).filename().string().starts_with(".out.staging-"));
  write_file_atomically(staging.path("a.csv"), "new a\n");
  write_file_atomically(staging.path("models/kmeans.json"), "{}\n");
  EXPECT_FALSE(fs::exists(output));
  staging.commit();
  EXPECT_TRUE(staging.committed());
  EXPECT_EQ(slurp(output + "/a.csv"), "new a\n");
  EXPECT_EQ(slurp(output + "/models/kmeans.json"), "{}\n");
  EXPECT_EQ(names_in(dir.file("nightly")), std::set<std::string>{"out"});
}

class PublishOver : public ::testing::TestWithParam<PublishMethod> {};

TEST_P(PublishOver, ReplacesTheWholeDirectoryAndLeavesNothingBeside) {
  TempDir dir;
  std::string const output = make_previous_outputs(dir);
  {
    OutputStaging staging(output);
    write_file_atomically(staging.path("a.csv"), "new a\n");
    write_file_atomically(staging.path("c.csv"), "new c\n");
    staging.commit(GetParam());
  }
  // b.csv is gone; the marker lists what was published.
  EXPECT_EQ(names_in(output), (std::set<std::string>{kPublishedMarker, "a.csv", "c.csv"}));
  EXPECT_EQ(slurp(output + "/a.csv"), "new a\n");
  EXPECT_EQ(slurp(output + "/c.csv"), "new c\n");
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"out"});
}

INSTANTIATE_TEST_SUITE_P(Methods, PublishOver,
                         ::testing::Values(PublishMethod::kAuto, PublishMethod::kExchange,
                                           PublishMethod::kRenameTwice),
                         [](auto const& info) {
                           switch (info.param) {
                             case PublishMethod::kAuto:
                               return std::string("auto");
                             case PublishMethod::kExchange:
                               return std::string("exchange");
                             default:
                               return std::string("rename_twice");
                           }
                         });

TEST(OutputStaging, DestroyedWithoutCommitLeavesTheOutputsUntouched) {
  TempDir dir;
  std::string const output = make_previous_outputs(dir);
  std::string staging_path;
  {
    OutputStaging staging(output);
    staging_path = staging.staging_directory();
    write_file_atomically(staging.path("a.csv"), "half-written run\n");
  }
  EXPECT_FALSE(fs::exists(staging_path));
  EXPECT_EQ(names_in(output), (std::set<std::string>{"a.csv", "b.csv"}));
  EXPECT_EQ(slurp(output + "/a.csv"), "old a\n");
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"out"});
}

TEST(OutputStaging, FollowsASymbolicLinkAndKeepsIt) {
  TempDir dir;
  std::string const real = make_previous_outputs(dir);
  fs::create_directory_symlink(real, dir.file("current"));
  OutputStaging staging(dir.file("current/"));
  EXPECT_EQ(staging.output_directory(), fs::canonical(real).string());
  write_file_atomically(staging.path("a.csv"), "new a\n");
  staging.commit();
  EXPECT_TRUE(fs::is_symlink(dir.file("current")));
  EXPECT_EQ(slurp(dir.file("current/a.csv")), "new a\n");
  EXPECT_FALSE(fs::exists(dir.file("current/b.csv")));
}

TEST(OutputStaging, RejectsUnpublishablePathsAsUsageErrors) {
  TempDir dir;
  spit(dir.file("file"), "x");
  expect_error([&] { OutputStaging staging(dir.file("file")); }, ExitCode::kUsage,
               dir.file("file"));
  expect_error([&] { OutputStaging staging(dir.file("file/out")); }, ExitCode::kUsage, "file/out");
  expect_error([] { OutputStaging staging("/"); }, ExitCode::kUsage, "'/'");
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
  if (::access(dir.path().c_str(), W_OK) != 0) {  // root may write anyway
    expect_error([&] { OutputStaging staging(dir.file("out")); }, ExitCode::kUsage,
                 "cannot create staging directory");
  }
  fs::permissions(dir.path(), fs::perms::owner_all);

  OutputStaging staging(dir.file("out"));
  expect_error([&] { (void)staging.path("../escape"); }, ExitCode::kUsage, "'../escape'");
  expect_error([&] { (void)staging.path("/abs"); }, ExitCode::kUsage, "'/abs'");
  expect_error([&] { (void)staging.path(""); }, ExitCode::kUsage, "''");
}

TEST(PublishRecovery, RestoresThePreviousOutputsAfterAKillBetweenTheFallbackRenames) {
  TempDir dir;
  std::string const output = make_previous_outputs(dir);
  std::string const previous = previous_outputs_path(output);
  EXPECT_EQ(previous, (fs::canonical(dir.path()) / ".out.previous").string());
  {
    // The state a kill leaves after the fallback's first rename (D -> .D.previous): D missing.
    OutputStaging staging(output);
    write_file_atomically(staging.path("a.csv"), "new a\n");
    fs::rename(output, previous);
  }
  ASSERT_FALSE(fs::exists(output));
  PublishRecovery const recovery = recover_interrupted_publish(output);
  EXPECT_TRUE(recovery.restored_previous);
  EXPECT_FALSE(recovery.removed_previous);
  EXPECT_EQ(names_in(output), (std::set<std::string>{"a.csv", "b.csv"}));
  EXPECT_EQ(slurp(output + "/a.csv"), "old a\n");
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"out"});
}

TEST(PublishRecovery, RemovesALeftoverPreviousWhenTheNewOutputsArePublished) {
  TempDir dir;
  std::string const output = make_previous_outputs(dir);
  std::string const previous = previous_outputs_path(output);
  fs::create_directory(previous);  // killed after the second rename, before the removal
  spit(previous + "/a.csv", "older a\n");
  PublishRecovery const recovery = recover_interrupted_publish(output);
  EXPECT_FALSE(recovery.restored_previous);
  EXPECT_TRUE(recovery.removed_previous);
  EXPECT_EQ(slurp(output + "/a.csv"), "old a\n");
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"out"});
}

TEST(PublishRecovery, NothingToDoForAMissingParent) {
  TempDir dir;
  PublishRecovery const recovery = recover_interrupted_publish(dir.file("missing/out"));
  EXPECT_FALSE(recovery.restored_previous || recovery.removed_previous);
  EXPECT_EQ(recovery.removed_staging, 0);
}

TEST(PublishRecovery, KeepsTheStagingDirectoriesOfLiveProcesses) {
  TempDir dir;
  std::string const output = make_previous_outputs(dir);
  OutputStaging mine(output);                                              // this process is alive
  std::string const parent_of_test = dir.file(".out.staging-1-0000abcd");  // pid 1 is alive
  fs::create_directory(parent_of_test);
  fs::create_directory(dir.file(".other.staging-999999999-00000000"));  // another output's
  PublishRecovery const recovery = recover_interrupted_publish(output);
  EXPECT_EQ(recovery.removed_staging, 0);
  EXPECT_TRUE(fs::exists(mine.staging_directory()));
  EXPECT_TRUE(fs::exists(parent_of_test));
  EXPECT_TRUE(fs::exists(dir.file(".other.staging-999999999-00000000")));
}

// A run killed with SIGKILL halfway through writing its outputs: D stays as it was, and the
// next run removes the dead run's staging directory and publishes normally.
TEST(PublishRecovery, ARunKilledWhileWritingLeavesTheOutputsAndIsCleanedUpByTheNextRun) {
  TempDir dir;
  std::string const output = make_previous_outputs(dir);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t const child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child never returns into the test runner: it is killed, or exits on any error.
    ::close(ready[0]);
    try {
      OutputStaging staging(output);
      write_file_atomically(staging.path("a.csv"), "new a\n");
      AtomicFile half(staging.path("b.csv"));
      half.write("new b, first half");
      char const byte = 'x';
      if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  EXPECT_EQ(names_in(output), (std::set<std::string>{"a.csv", "b.csv"}));
  EXPECT_EQ(slurp(output + "/a.csv"), "old a\n");
  EXPECT_EQ(slurp(output + "/b.csv"), "old b\n");
  std::string const dead_staging = ".out.staging-" + std::to_string(child) + "-";
  int leftovers = 0;
  for (auto const& name : names_in(dir.path())) leftovers += name.starts_with(dead_staging);
  EXPECT_EQ(leftovers, 1);

  PublishRecovery const recovery = recover_interrupted_publish(output);
  EXPECT_EQ(recovery.removed_staging, 1);
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"out"});
  OutputStaging next(output);
  write_file_atomically(next.path("a.csv"), "next a\n");
  next.commit();
  EXPECT_EQ(names_in(output), (std::set<std::string>{kPublishedMarker, "a.csv"}));
  EXPECT_EQ(slurp(output + "/a.csv"), "next a\n");
}

TEST(PublishOwnership, CommitListsWhatItPublishedAndKeepsTheDirectoryMode) {
  TempDir dir;
  std::string const output = dir.file("out");
  fs::create_directory(output);
  fs::permissions(output, fs::perms::owner_all);  // chmod 700
  OutputStaging staging(output);
  write_file_atomically(staging.path("customers.csv"), "c\n");
  write_file_atomically(staging.path("run_report.json"), "{}\n");
  staging.commit();
  EXPECT_EQ(slurp(output + "/" + kPublishedMarker), "customers.csv\nrun_report.json\n");
  EXPECT_EQ(fs::status(output).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_NO_THROW(check_output_directory_owned(output, {}));
}

TEST(PublishOwnership, ADirectoryWithFilesCieDidNotPublishIsRefused) {
  TempDir dir;
  std::string const output = dir.file("out");
  EXPECT_NO_THROW(check_output_directory_owned(output, {"customers.csv"}));  // missing
  fs::create_directory(output);
  EXPECT_NO_THROW(check_output_directory_owned(output, {"customers.csv"}));  // empty
  spit(output + "/customers.csv", "from an older cie, without the marker\n");
  EXPECT_NO_THROW(check_output_directory_owned(output, {"customers.csv"}));
  spit(output + "/transactions.csv", "an input the operator keeps here\n");
  expect_error([&] { check_output_directory_owned(output, {"customers.csv"}); }, ExitCode::kUsage,
               "holds 1 entry that cie did not publish there (transactions.csv)");
  EXPECT_EQ(slurp(output + "/transactions.csv"), "an input the operator keeps here\n");
}

TEST(PublishLock, ASecondRunOnTheSameDirectoryIsRefusedWhileTheFirstHoldsIt) {
  TempDir dir;
  std::string const output = dir.file("nested/out");
  {
    OutputLock const first(output, false);
    expect_error([&] { OutputLock const second(output, false); }, ExitCode::kUsage,
                 "another cie run is publishing to");
    EXPECT_NO_THROW(OutputLock const other(dir.file("other"), false));
  }
  EXPECT_NO_THROW(OutputLock const again(output, false));  // released with the first
  EXPECT_TRUE(fs::exists(dir.file("nested/.out.lock")));
}

TEST(PublishLock, WaitBlocksUntilTheHolderIsDone) {
  TempDir dir;
  std::string const output = dir.file("out");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t const child = ::fork();
  if (child == 0) {
    OutputLock const held(output, false);
    char const byte = 1;
    (void)!::write(ready[1], &byte, 1);
    ::usleep(300'000);
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  expect_error([&] { OutputLock const busy(output, false); }, ExitCode::kUsage, "--wait");
  EXPECT_NO_THROW(OutputLock const waited(output, true));
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
