// Bootstrap kernels: the device-ready stream equals core/random.hpp's Random, a draw equals its
// definition replayed by hand, and both backends give the same draws (bit for bit) and the same
// interval as a serial reference on core/random.hpp (the CUDA instance skips with the reason where
// no GPU is usable; it runs in the CUDA emulation build).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/random.hpp"
#include "kernels/bootstrap.hpp"
#include "kernels/bootstrap_rules.hpp"
#include "models/campaigns/bootstrap.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

/// The bootstrap's definition on core/random.hpp, one draw after another.
std::vector<double> reference(std::vector<double> const& treated,
                              std::vector<double> const& control, std::uint64_t seed,
                              std::uint64_t first_stream, std::int64_t draws) {
  std::vector<double> out;
  for (std::int64_t b = 0; b < draws; ++b) {
    Random stream(seed, first_stream + static_cast<std::uint64_t>(b));
    double means[2] = {0.0, 0.0};
    for (int g = 0; g < 2; ++g) {
      std::vector<double> const& values = g == 0 ? treated : control;
      auto const n = static_cast<std::int64_t>(values.size());
      double sum = 0.0;
      for (std::int64_t i = 0; i < n; ++i) sum += values[static_cast<std::size_t>(stream.below(n))];
      means[g] = sum / static_cast<double>(n);
    }
    out.push_back(means[0] - means[1]);
  }
  return out;
}

/// Revenue-like data: mostly zeros, some skewed amounts.
std::vector<double> revenue(std::uint64_t seed, std::size_t n, double share) {
  Random random(seed, 0);
  std::vector<double> values(n, 0.0);
  for (double& value : values) {
    if (random.bernoulli(share)) value = std::round(100.0 * 20.0 * random.exponential()) / 100.0;
  }
  return values;
}

TEST(BootstrapRules, StreamIsCoreRandom) {
  for (std::uint64_t const seed : {0ULL, 42ULL, 0xFFFFFFFFFFFFFFFFULL}) {
    for (std::uint64_t const index : {0ULL, 1ULL, 977ULL, 1ULL << 40}) {
      Random expected(seed, index);
      BootstrapStream stream(seed, index);
      for (int k = 0; k < 200; ++k) ASSERT_EQ(stream.next(), expected.next()) << seed << " " << k;
      for (std::int64_t const n : {1LL, 2LL, 3LL, 1000LL, 21387LL, 1LL << 32}) {
        ASSERT_EQ(stream.below(n), expected.below(n)) << seed << " " << index << " " << n;
        ASSERT_LT(BootstrapStream(seed, index).below(n), n);
      }
    }
  }
}

TEST(BootstrapRules, OneDrawByHand) {
  double const treated[] = {1.0, 2.0, 4.0};
  double const control[] = {10.0, 30.0};
  Random stream(7, 5);
  double t = 0.0;
  for (int i = 0; i < 3; ++i) t += treated[stream.below(3)];
  double c = 0.0;
  for (int i = 0; i < 2; ++i) c += control[stream.below(2)];
  EXPECT_EQ(bootstrap_difference(7, 5, treated, 3, control, 2), t / 3.0 - c / 2.0);
  // One value per group: every draw is the plain difference.
  EXPECT_EQ(bootstrap_difference(7, 9, treated, 1, control, 1), 1.0 - 10.0);
}

class BootstrapKernelBackends : public cie::testing::BackendTest {};

TEST_P(BootstrapKernelBackends, DrawsAndIntervalEqualTheSerialReference) {
  std::vector<double> const treated = revenue(1, 431, 0.2);
  std::vector<double> const control = revenue(2, 389, 0.1);
  for (std::int64_t const draws : {1LL, 130LL, 700LL}) {
    std::vector<double> const expected = reference(treated, control, 9, 1234, draws);
    std::vector<double> const found =
        bootstrap_differences(context(), {treated, control, 9, 1234, draws});
    ASSERT_EQ(found.size(), expected.size());
    for (std::size_t b = 0; b < found.size(); ++b) {
      ASSERT_EQ(found[b], expected[b]) << "draw " << b << " of " << draws;  // the same bits
    }
  }
  EXPECT_NE(bootstrap_differences(context(), {treated, control, 10, 1234, 50}),
            reference(treated, control, 9, 1234, 50))
      << "another seed, other draws";
  EXPECT_TRUE(bootstrap_differences(context(), {treated, control, 9, 0, 0}).empty());

  campaigns::BootstrapParams params;
  params.draws = 500;
  params.seed = 3;
  params.first_stream = 500;
  campaigns::Interval const interval =
      campaigns::bootstrap_mean_difference(context(), treated, control, params);
  std::vector<double> sorted = reference(treated, control, 3, 500, 500);
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(interval.low, campaigns::linear_quantile(sorted, 0.025));
  EXPECT_EQ(interval.high, campaigns::linear_quantile(sorted, 0.975));
  campaigns::Interval const on_cpu =
      campaigns::bootstrap_mean_difference(Context::cpu(1), treated, control, params);
  EXPECT_EQ(interval.low, on_cpu.low);
  EXPECT_EQ(interval.high, on_cpu.high);
}

INSTANTIATE_TEST_SUITE_P(Backends, BootstrapKernelBackends,
                         ::testing::Values(Backend::kCpu, Backend::kCuda),
                         cie::testing::backend_name);

TEST(BootstrapKernels, CpuDrawsDoNotDependOnThreadCount) {
  std::vector<double> const treated = revenue(3, 1000, 0.3);
  std::vector<double> const control = revenue(4, 900, 0.3);
  BootstrapInput const input{treated, control, 42, 0, 2000};
  EXPECT_EQ(cpu_impl::bootstrap_differences(Context::cpu(1), input),
            cpu_impl::bootstrap_differences(Context::cpu(2), input));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels
