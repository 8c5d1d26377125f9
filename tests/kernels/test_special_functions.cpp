// kernels/special_functions.hpp log_gamma: the C library's lgamma to the bit, without writing the
// global signgam (the race ThreadSanitizer found when the CLV pass ran on several CPU threads).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <math.h>
#include <vector>

#include "kernels/special_functions.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

TEST(LogGamma, EqualsTheCLibrarysLgammaToTheBit) {
  std::vector<double> const xs{1e-300, 1e-8,  0.25, 0.5,   1.0,  1.5,  2.0,   3.7,
                               10.0,   171.5, 1e6,  1e300, -0.5, -1.5, -2.25, -1e-9};
  for (double const x : xs) {
    double const expected = ::lgamma(x);
    double const got = log_gamma(x);
    EXPECT_EQ(std::memcmp(&expected, &got, sizeof got), 0) << "x = " << x;
  }
  EXPECT_TRUE(std::isinf(log_gamma(0.0)));
  EXPECT_TRUE(std::isinf(log_gamma(-2.0)));
}

TEST(LogGamma, LeavesTheGlobalSigngamAlone) {
  (void)::lgamma(-0.5);  // Γ(-0.5) < 0: the C library's lgamma sets signgam to -1
  ASSERT_EQ(signgam, -1);
  (void)log_gamma(2.5);  // Γ(2.5) > 0: lgamma would set it to 1
  EXPECT_EQ(signgam, -1);
  (void)::lgamma(2.5);
  ASSERT_EQ(signgam, 1);
  (void)log_gamma(-0.5);
  EXPECT_EQ(signgam, 1);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels
