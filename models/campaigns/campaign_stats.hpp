// Statistics for comparing a treated arm of a campaign with its control group, as pure
// functions of counts and revenue summaries. Each names the published method it computes and the
// scipy/statsmodels function that tests/python/test_campaign_scipy.py checks it against.
//
// Conventions: arm 1 is the treated arm, arm 2 the control; x = responders, n = customers;
// `alpha` is one minus the confidence level (0.05 for 95% intervals), 0 < alpha < 1. A quantity
// that is undefined for the given counts (a rate of an empty group, a ratio with a zero
// denominator, a t statistic with zero standard error) is NaN, never an exception: callers
// print it as empty (CSV) or null (JSON).
#pragma once

#include <cstdint>
#include <limits>
#include <span>

namespace cie::campaigns {

/// The value of an undefined statistic.
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Interval {
  double low = 0.0;
  double high = 0.0;
};

/// Wilson's score interval for the proportion x / n, without continuity correction
/// (statsmodels proportion_confint(method="wilson")).
Interval wilson_interval(std::int64_t x, std::int64_t n, double alpha);

/// Newcombe's hybrid score interval for p1 − p2 (method 10 of Newcombe 1998): from the two
/// Wilson intervals (l1, u1), (l2, u2), [d − sqrt((p1 − l1)² + (u2 − p2)²),
/// d + sqrt((u1 − p1)² + (p2 − l2)²)] (statsmodels confint_proportions_2indep(method="newcomb")).
Interval newcombe_interval(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2,
                           double alpha);

/// Katz's log interval for the risk ratio p1 / p2: exp(log(r) ± z sqrt(1/x1 − 1/n1 + 1/x2 −
/// 1/n2)) (statsmodels confint_proportions_2indep(compare="ratio", method="log")). Subtract 1
/// from both ends for the relative lift. NaN when x1 or x2 is 0.
Interval risk_ratio_log_interval(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2,
                                 double alpha);

/// The two-proportion z test with the pooled variance under H0: z = (p1 − p2) /
/// sqrt(p (1 − p) (1/n1 + 1/n2)), p = (x1 + x2) / (n1 + n2); two-sided p-value
/// (statsmodels proportions_ztest([x1, x2], [n1, n2])).
struct ZTest {
  double z = 0.0;
  double p_value = 0.0;
};
ZTest two_proportion_z_test(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2);

/// Fisher's exact test of the 2×2 table [[x1, n1 − x1], [x2, n2 − x2]], two-sided: the sum of
/// the hypergeometric probabilities not above the observed table's (relative tolerance 1e-7,
/// as R's fisher.test; scipy.stats.fisher_exact uses 1e-14). Probabilities are computed as
/// ratios to the mode's by the recurrence of the hypergeometric pmf, so no lgamma differences
/// lose precision. 1 when a margin is 0.
double fisher_exact_p(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2);

/// The smallest expected cell count of the 2×2 table under independence. Campaign evaluation
/// uses Fisher's test when it is below kFisherExpectedCount (Cochran's rule), the z test
/// otherwise.
double smallest_expected_count(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2);
inline constexpr double kFisherExpectedCount = 5.0;

/// Count, mean and sample variance (ddof 1; NaN below 2 values) of a group's revenue, summed in
/// order: the mean by a plain sum / n, the variance by the two-pass formula.
struct MeanSummary {
  std::int64_t n = 0;
  double mean = 0.0;
  double variance = 0.0;
};
MeanSummary summarize(std::span<double const> values);

/// Welch's unequal-variance t test and interval for mean1 − mean2 (scipy.stats.ttest_ind(
/// equal_var=False) with its confidence_interval): se = sqrt(v1/n1 + v2/n2), Welch-
/// Satterthwaite degrees of freedom, two-sided p-value and mean difference ± t_{1−alpha/2,df} se.
/// When neither group's values vary, df, t, p and the interval are NaN (scipy puts a placeholder
/// df of 1 there and the interval [d, d]).
struct WelchTest {
  double difference = 0.0;
  double standard_error = 0.0;
  double df = 0.0;
  double t = 0.0;
  double p_value = 0.0;
  Interval interval;
};
WelchTest welch_test(MeanSummary const& group1, MeanSummary const& group2, double alpha);

/// Pearson's chi-square goodness-of-fit test of observed group sizes against planned shares
/// (sample-ratio mismatch; scipy.stats.chisquare(counts, total * shares)). `shares` has one
/// positive entry per count and is normalized to sum 1; df = groups − 1.
struct SampleRatioTest {
  double chi_square = 0.0;
  double df = 0.0;
  double p_value = 0.0;
};
SampleRatioTest sample_ratio_test(std::span<std::int64_t const> counts,
                                  std::span<double const> shares);

/// Power of the two-sided two-proportion z test (pooled variance under H0) to detect a
/// response rate of control_rate + difference in n1 treated customers against
/// n2 = ratio · n1 control customers (statsmodels power_proportions_2indep(difference,
/// control_rate, n1, ratio, alpha): both rejection tails counted).
double two_proportion_power(double control_rate, double difference, double n1, double ratio,
                            double alpha);

/// The smallest group sizes whose power reaches `power`: the smallest integer n1 with
/// two_proportion_power(..., n1, n2 / n1) >= power, where n2 = ceil(n1 · (1 − share) / share)
/// and share is the treated share of the customers. A usage error (exit 2) naming the option
/// for a rate outside (0, 1), control_rate + difference outside (0, 1), difference 0, power
/// or alpha outside (0, 1), or share outside (0, 1).
struct SampleSizePlan {
  std::int64_t treated = 0;
  std::int64_t control = 0;
  double power = 0.0;  ///< achieved at these sizes
};
SampleSizePlan plan_sample_size(double control_rate, double difference, double power, double alpha,
                                double treated_share);

}  // namespace cie::campaigns
