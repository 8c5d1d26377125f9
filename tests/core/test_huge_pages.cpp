#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

#include "core/huge_pages.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

TEST(HugePages, LargeBlocksAreAlignedToAHugePageAndHoldTheirValues) {
  std::size_t const n = kHugePageBytes / sizeof(std::uint32_t) * 3 + 7;  // 3 pages and a bit
  HugePageVector<std::uint32_t> values(n);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(values.data()) % kHugePageBytes, 0u);
  for (std::uint32_t const v : values) ASSERT_EQ(v, 0u);  // value-initialized like std::vector
  std::iota(values.begin(), values.end(), std::uint32_t{0});
  values.resize(n * 2, 5u);  // a reallocation copies the values into a new large block
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(values.data()) % kHugePageBytes, 0u);
  EXPECT_EQ(values[n - 1], n - 1);
  EXPECT_EQ(values[n], 5u);
}

TEST(HugePages, SmallBlocksComeFromTheUsualAllocator) {
  HugePageVector<double> values(3, 1.5);
  values.push_back(2.5);
  EXPECT_EQ(values.size(), 4u);
  EXPECT_EQ(values[0] + values[3], 4.0);
  HugePageVector<double> empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(HugePageAllocator<double>{} == HugePageAllocator<int>{});
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
