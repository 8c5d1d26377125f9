// Every file of the fuzz seed corpora (tests/fuzz/corpus/<target>/: seeds from the tests, and
// every crash a fuzz run found, kept as a regression) goes through its target in the ordinary
// test suite, so the findings stay fixed without clang or libFuzzer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "tests/fuzz/fuzz_targets.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

namespace fs = std::filesystem;

TEST(FuzzCorpus, EverySeedAndRegressionPassesItsTarget) {
  fs::path const root = fs::path(CIE_SOURCE_DIR) / "tests" / "fuzz" / "corpus";
  std::size_t files = 0;
  for (fs::directory_entry const& target : fs::directory_iterator(root)) {
    fuzz::Target const run = fuzz::target_named(target.path().filename().string());
    ASSERT_NE(run, nullptr) << "no fuzz target named " << target.path().filename();
    for (fs::directory_entry const& file : fs::directory_iterator(target.path())) {
      std::ifstream in(file.path(), std::ios::binary);
      std::vector<char> const bytes((std::istreambuf_iterator<char>(in)),
                                    std::istreambuf_iterator<char>());
      SCOPED_TRACE(file.path().string());
      run(reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size());
      ++files;
    }
  }
  EXPECT_GE(files, 15u) << "the seed corpora are missing";
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
