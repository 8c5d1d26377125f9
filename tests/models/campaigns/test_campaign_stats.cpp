// Campaign statistics against published and tabulated values: Newcombe's (1998) worked example
// for method 10, Fisher's tea-tasting table, and scipy/statsmodels values for the distribution
// functions, the z and Welch tests, the sample-ratio check and the power of the z test. Also the
// bootstrap's determinism (same seed and any thread count: same bits) and the sample-size
// plan's minimality.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "models/campaigns/bootstrap.hpp"
#include "models/campaigns/campaign_stats.hpp"
#include "models/campaigns/distributions.hpp"
#include "tests/test_support.hpp"

namespace cie::campaigns {
namespace CIE_TEST_FILE_ID {

void expect_relative(double actual, double expected, double tolerance) {
  EXPECT_NEAR(actual, expected, tolerance * std::fabs(expected)) << "expected " << expected;
}

TEST(CampaignDistributions, NormalQuantileAndTails) {
  expect_relative(stats::normal_quantile(0.975), 1.959963984540054, 1e-15);
  expect_relative(stats::normal_quantile(1e-10), -6.361340902404056, 1e-14);
  expect_relative(stats::normal_quantile(0.3), -0.5244005127080409, 1e-14);
  for (double const p : {1e-300, 1e-20, 0.01, 0.2, 0.5, 0.8, 0.99, 1.0 - 1e-12}) {
    double const z = stats::normal_quantile(p);
    double const back = p < 0.5 ? stats::normal_cdf(z) : 1.0 - stats::normal_sf(z);
    // erfc loses some relative accuracy deep in the tail (8e-14 at 1e-300).
    EXPECT_NEAR(back, p, (p < 1e-100 ? 1e-12 : 1e-14) * p) << "p = " << p;
  }
  EXPECT_TRUE(std::isnan(stats::normal_quantile(1.5)));
}

TEST(CampaignDistributions, StudentT) {
  expect_relative(stats::t_quantile(0.975, 10.0), 2.228138851986274, 1e-13);
  expect_relative(stats::t_quantile(0.975, 1.0), 12.706204736174694, 1e-13);
  expect_relative(stats::t_quantile(0.975, 42345.7), 1.960020007651856, 1e-12);
  expect_relative(stats::t_quantile(0.01, 2.5), -5.353111173030874, 1e-12);
  expect_relative(stats::t_two_sided_p(2.0, 10.0), 0.07338803477074037, 1e-12);
  expect_relative(stats::t_two_sided_p(4.5, 42345.7), 6.813411820138186e-06, 1e-10);
  expect_relative(stats::t_two_sided_p(-0.3, 3.3), 0.7820967566891294, 1e-12);
}

TEST(CampaignDistributions, ChiSquare) {
  expect_relative(stats::chi_square_sf(3.84, 1.0), 0.05004352124870519, 1e-12);
  expect_relative(stats::chi_square_sf(0.25, 2.0), 0.8824969025845955, 1e-13);
  expect_relative(stats::chi_square_sf(50.0, 3.0), 7.989179244951495e-11, 1e-11);
  EXPECT_EQ(stats::chi_square_sf(0.0, 2.0), 1.0);
}

TEST(CampaignStats, NewcombeWorkedExample) {
  // Newcombe (1998), Table II, example (a): 56/70 against 48/80, method 10: 0.0524 to 0.3339.
  Interval const interval = newcombe_interval(56, 70, 48, 80, 0.05);
  expect_relative(interval.low, 0.05243147240236498, 1e-13);
  expect_relative(interval.high, 0.33387265403690614, 1e-13);
  Interval const ratio = risk_ratio_log_interval(56, 70, 48, 80, 0.05);
  expect_relative(ratio.low, 1.0766264227631928, 1e-13);
  expect_relative(ratio.high, 1.6512485112663873, 1e-13);
  ZTest const z = two_proportion_z_test(56, 70, 48, 80);
  expect_relative(z.z, 2.6501719512585336, 1e-13);
  expect_relative(z.p_value, 0.00804508136819656, 1e-12);
}

TEST(CampaignStats, FisherExact) {
  EXPECT_NEAR(fisher_exact_p(3, 4, 1, 4), 17.0 / 35.0, 1e-15);  // the tea-tasting lady
  expect_relative(fisher_exact_p(1, 10, 11, 14), 0.0027594561852200836, 1e-13);
  expect_relative(fisher_exact_p(2, 1000, 9, 1000), 0.06470495791578931, 1e-12);
  // Swapping the arms gives the same two-sided p-value; an empty margin gives 1.
  EXPECT_NEAR(fisher_exact_p(9, 1000, 2, 1000), fisher_exact_p(2, 1000, 9, 1000), 1e-15);
  EXPECT_EQ(fisher_exact_p(0, 10, 0, 12), 1.0);
  EXPECT_DOUBLE_EQ(smallest_expected_count(2, 1000, 9, 1000), 5.5);
  EXPECT_LT(smallest_expected_count(1, 1000, 6, 1000), kFisherExpectedCount);
  EXPECT_GT(smallest_expected_count(56, 70, 48, 80), kFisherExpectedCount);
}

TEST(CampaignStats, WelchTest) {
  std::vector<double> const a = {1.0, 2.0, 3.0, 4.0, 10.0};
  std::vector<double> const b = {0.0, 0.0, 1.0, 2.0};
  WelchTest const test = welch_test(summarize(a), summarize(b), 0.05);
  expect_relative(test.t, 1.9672897619907412, 1e-13);
  expect_relative(test.df, 4.714128742789121, 1e-13);
  expect_relative(test.p_value, 0.10976382487089913, 1e-12);
  expect_relative(test.interval.low, -1.075288398929989, 1e-12);
  expect_relative(test.interval.high, 7.575288398929989, 1e-12);
  // Zero variance on both sides: the statistic is undefined, not an exception.
  std::vector<double> const zeros = {0.0, 0.0, 0.0};
  EXPECT_TRUE(std::isnan(welch_test(summarize(zeros), summarize(zeros), 0.05).p_value));
}

TEST(CampaignStats, SampleRatioMismatch) {
  std::vector<std::int64_t> const counts = {21387, 21306, 21307};
  std::vector<double> const equal = {1.0, 1.0, 1.0};
  SampleRatioTest const test = sample_ratio_test(counts, equal);
  expect_relative(test.chi_square, 0.20253125000000002, 1e-13);
  EXPECT_EQ(test.df, 2.0);
  expect_relative(test.p_value, 0.9036929575604196, 1e-13);
  // A 50/50 plan that got 55/45 is a mismatch.
  std::vector<std::int64_t> const skewed = {5500, 4500};
  std::vector<double> const half = {0.5, 0.5};
  EXPECT_LT(sample_ratio_test(skewed, half).p_value, 1e-20);
}

TEST(CampaignStats, PowerAndPlan) {
  expect_relative(two_proportion_power(0.1, 0.02, 3000.0, 1.0, 0.05), 0.6970498434409916, 1e-12);
  // statsmodels' samplesize_proportions_2indep_onetail: 3840.85 (ratio 1), 2849.45 (ratio 2).
  SampleSizePlan const even = plan_sample_size(0.1, 0.02, 0.8, 0.05, 0.5);
  EXPECT_EQ(even.treated, 3841);
  EXPECT_EQ(even.control, 3841);
  EXPECT_GE(even.power, 0.8);
  EXPECT_LT(two_proportion_power(0.1, 0.02, 3840.0, 1.0, 0.05), 0.8);
  SampleSizePlan const third = plan_sample_size(0.1, 0.02, 0.8, 0.05, 1.0 / 3.0);
  EXPECT_EQ(third.treated, 2850);
  EXPECT_EQ(third.control, 5700);
  cie::testing::expect_error([] { plan_sample_size(0.1, 0.95, 0.8, 0.05, 0.5); }, ExitCode::kUsage,
                             "--minimum-lift");
}

TEST(CampaignBootstrap, SameSeedSameBitsAnyThreads) {
  std::vector<double> treated(2000);
  std::vector<double> control(1500);
  for (std::size_t i = 0; i < treated.size(); ++i) treated[i] = (i % 17 == 0) ? 30.0 + i % 7 : 0.0;
  for (std::size_t i = 0; i < control.size(); ++i) control[i] = (i % 23 == 0) ? 28.0 + i % 5 : 0.0;
  BootstrapParams params;
  params.draws = 2000;
  params.seed = 7;
  Interval const one = bootstrap_mean_difference(Context::cpu(1), treated, control, params);
  Interval const two = bootstrap_mean_difference(Context::cpu(2), treated, control, params);
  EXPECT_EQ(one.low, two.low);
  EXPECT_EQ(one.high, two.high);
  WelchTest const welch = welch_test(summarize(treated), summarize(control), 0.05);
  EXPECT_LT(one.low, welch.difference);
  EXPECT_GT(one.high, welch.difference);
  // Close to Welch's normal-theory interval at these sizes (within a tenth of its width).
  double const width = welch.interval.high - welch.interval.low;
  EXPECT_NEAR(one.low, welch.interval.low, 0.1 * width);
  EXPECT_NEAR(one.high, welch.interval.high, 0.1 * width);
  params.seed = 8;
  Interval const other = bootstrap_mean_difference(Context::cpu(1), treated, control, params);
  EXPECT_NE(one.low, other.low);
}

TEST(CampaignBootstrap, LinearQuantileAsNumpy) {
  std::vector<double> const sorted = {1.0, 2.0, 4.0, 8.0};
  EXPECT_DOUBLE_EQ(linear_quantile(sorted, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(linear_quantile(sorted, 1.0), 8.0);
  EXPECT_DOUBLE_EQ(linear_quantile(sorted, 0.5), 3.0);    // numpy.quantile: 3.0
  EXPECT_DOUBLE_EQ(linear_quantile(sorted, 0.25), 1.75);  // numpy.quantile: 1.75
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::campaigns
