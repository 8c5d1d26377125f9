#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "host/io/output_paths.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::expect_error;
using cie::testing::spit;

TEST(OutputPaths, DistinctFilesPass) {
  cie::testing::TempDir dir;
  spit(dir.file("in.csv"), "x\n");
  EXPECT_NO_THROW(check_output_paths({{dir.file("in.csv"), "--input"}, {"", "--unused"}},
                                     {{dir.file("out.csv"), "--out"}, {"", "--report"}}));
}

TEST(OutputPaths, AnOutputThatIsAnInputIsRefusedHoweverItIsSpelled) {
  cie::testing::TempDir dir;
  std::string const input = dir.file("in.csv");
  spit(input, "x\n");
  std::filesystem::create_directory(dir.file("sub"));
  std::filesystem::create_symlink(input, dir.file("link.csv"));
  ASSERT_EQ(::link(input.c_str(), dir.file("hard.csv").c_str()), 0);
  for (std::string const& spelling : {input, dir.file("sub/../in.csv"), dir.file("./in.csv"),
                                      dir.file("link.csv"), dir.file("hard.csv")}) {
    expect_error(
        [&] {
          check_output_paths({{input, "--transactions"}}, {{spelling, "--out"}});
        },
        ExitCode::kUsage, "is the same file as --transactions");
  }
}

TEST(OutputPaths, TwoOutputsNamingOneFileAreRefusedBeforeEitherExists) {
  cie::testing::TempDir dir;
  expect_error(
      [&] {
        check_output_paths(
            {}, {{dir.file("m.json"), "--model"}, {dir.file("sub/../m.json"), "--report"}});
      },
      ExitCode::kUsage, "--report " + dir.file("sub/../m.json") + " is the same file as --model");
}

TEST(OutputPaths, ADirectoryIsNoOutputFile) {
  cie::testing::TempDir dir;
  expect_error(
      [&] {
        check_output_paths({}, {{dir.path().string(), "--out"}});
      },
      ExitCode::kUsage, "is a directory");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
