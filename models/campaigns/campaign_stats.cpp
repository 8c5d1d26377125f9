#include "models/campaigns/campaign_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "models/campaigns/distributions.hpp"

namespace cie::campaigns {
namespace {

double rate(std::int64_t x, std::int64_t n) {
  return n > 0 ? static_cast<double>(x) / static_cast<double>(n) : kNaN;
}

double two_sided_critical(double alpha) { return -stats::normal_quantile(0.5 * alpha); }

}  // namespace

Interval wilson_interval(std::int64_t x, std::int64_t n, double alpha) {
  if (n <= 0) return {kNaN, kNaN};
  double const nn = static_cast<double>(n);
  double const p = rate(x, n);
  double const crit = two_sided_critical(alpha);
  double const crit2 = crit * crit;
  double const denominator = 1.0 + crit2 / nn;
  double const center = (p + crit2 / (2.0 * nn)) / denominator;
  double const half = crit * std::sqrt(p * (1.0 - p) / nn + crit2 / (4.0 * nn * nn)) / denominator;
  return {center - half, center + half};
}

Interval newcombe_interval(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2,
                           double alpha) {
  double const p1 = rate(x1, n1);
  double const p2 = rate(x2, n2);
  Interval const w1 = wilson_interval(x1, n1, alpha);
  Interval const w2 = wilson_interval(x2, n2, alpha);
  double const difference = p1 - p2;
  double const below = std::sqrt((p1 - w1.low) * (p1 - w1.low) + (w2.high - p2) * (w2.high - p2));
  double const above = std::sqrt((p2 - w2.low) * (p2 - w2.low) + (w1.high - p1) * (w1.high - p1));
  return {difference - below, difference + above};
}

Interval risk_ratio_log_interval(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2,
                                 double alpha) {
  if (x1 <= 0 || x2 <= 0 || n1 <= 0 || n2 <= 0) return {kNaN, kNaN};
  double const ratio = rate(x1, n1) / rate(x2, n2);
  double const variance = 1.0 / static_cast<double>(x1) - 1.0 / static_cast<double>(n1) +
                          1.0 / static_cast<double>(x2) - 1.0 / static_cast<double>(n2);
  double const half = two_sided_critical(alpha) * std::sqrt(variance);
  return {std::exp(std::log(ratio) - half), std::exp(std::log(ratio) + half)};
}

ZTest two_proportion_z_test(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2) {
  if (n1 <= 0 || n2 <= 0) return {kNaN, kNaN};
  double const pooled = rate(x1 + x2, n1 + n2);
  double const se = std::sqrt(pooled * (1.0 - pooled) *
                              (1.0 / static_cast<double>(n1) + 1.0 / static_cast<double>(n2)));
  double const z = (rate(x1, n1) - rate(x2, n2)) / se;
  return {z, 2.0 * stats::normal_sf(std::fabs(z))};
}

double fisher_exact_p(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2) {
  std::int64_t const total = n1 + n2;
  std::int64_t const responders = x1 + x2;
  if (n1 <= 0 || n2 <= 0 || responders == 0 || responders == total) return 1.0;
  // X = responders among the n1 treated ~ Hypergeometric(total, responders, n1).
  std::int64_t const low = std::max<std::int64_t>(0, n1 - (total - responders));
  std::int64_t const high = std::min(responders, n1);
  std::int64_t const mode =
      std::clamp<std::int64_t>(static_cast<std::int64_t>((static_cast<double>(n1) + 1.0) *
                                                         (static_cast<double>(responders) + 1.0) /
                                                         (static_cast<double>(total) + 2.0)),
                               low, high);
  // Probabilities relative to the mode's, by pmf(x + 1) / pmf(x) =
  // (K − x)(n1 − x) / ((x + 1)(N − K − n1 + x + 1)).
  std::vector<double> weight(static_cast<std::size_t>(high - low + 1));
  auto const at = [&](std::int64_t x) -> double& {
    return weight[static_cast<std::size_t>(x - low)];
  };
  at(mode) = 1.0;
  for (std::int64_t x = mode; x < high; ++x) {
    double const up =
        static_cast<double>(responders - x) * static_cast<double>(n1 - x) /
        (static_cast<double>(x + 1) * static_cast<double>(total - responders - n1 + x + 1));
    at(x + 1) = at(x) * up;
  }
  for (std::int64_t x = mode; x > low; --x) {
    double const down = static_cast<double>(x) * static_cast<double>(total - responders - n1 + x) /
                        (static_cast<double>(responders - x + 1) * static_cast<double>(n1 - x + 1));
    at(x - 1) = at(x) * down;
  }
  double const observed = at(x1) * (1.0 + 1e-7);
  double sum = 0.0;
  double extreme = 0.0;
  for (double const w : weight) {
    sum += w;
    if (w <= observed) extreme += w;
  }
  return std::min(1.0, extreme / sum);
}

double smallest_expected_count(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2) {
  double const total = static_cast<double>(n1 + n2);
  if (total <= 0.0) return kNaN;
  double const responders = static_cast<double>(x1 + x2);
  double const smaller_column = std::min(responders, total - responders);
  double const smaller_row = static_cast<double>(std::min(n1, n2));
  return smaller_row * smaller_column / total;
}

MeanSummary summarize(std::span<double const> values) {
  MeanSummary summary;
  summary.n = static_cast<std::int64_t>(values.size());
  if (values.empty()) return {0, kNaN, kNaN};
  double sum = 0.0;
  for (double const v : values) sum += v;
  summary.mean = sum / static_cast<double>(values.size());
  if (values.size() < 2) {
    summary.variance = kNaN;
    return summary;
  }
  double squares = 0.0;
  for (double const v : values) squares += (v - summary.mean) * (v - summary.mean);
  summary.variance = squares / static_cast<double>(values.size() - 1);
  return summary;
}

WelchTest welch_test(MeanSummary const& group1, MeanSummary const& group2, double alpha) {
  WelchTest test;
  test.difference = group1.mean - group2.mean;
  double const n1 = static_cast<double>(group1.n);
  double const n2 = static_cast<double>(group2.n);
  double const v1 = group1.variance / n1;
  double const v2 = group2.variance / n2;
  test.standard_error = std::sqrt(v1 + v2);
  test.df = (v1 + v2) * (v1 + v2) / (v1 * v1 / (n1 - 1.0) + v2 * v2 / (n2 - 1.0));
  test.t = test.difference / test.standard_error;
  bool const defined = std::isfinite(test.t) && std::isfinite(test.df) && test.df > 0.0;
  test.p_value = defined ? stats::t_two_sided_p(test.t, test.df) : kNaN;
  double const half =
      defined ? stats::t_quantile(1.0 - 0.5 * alpha, test.df) * test.standard_error : kNaN;
  test.interval = {test.difference - half, test.difference + half};
  return test;
}

SampleRatioTest sample_ratio_test(std::span<std::int64_t const> counts,
                                  std::span<double const> shares) {
  CIE_ASSERT(counts.size() == shares.size() && counts.size() >= 2);
  double total = 0.0;
  double share_total = 0.0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    CIE_ASSERT(shares[i] > 0.0);
    total += static_cast<double>(counts[i]);
    share_total += shares[i];
  }
  SampleRatioTest test;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    double const expected = total * shares[i] / share_total;
    double const gap = static_cast<double>(counts[i]) - expected;
    test.chi_square += gap * gap / expected;
  }
  test.df = static_cast<double>(counts.size() - 1);
  test.p_value = stats::chi_square_sf(test.chi_square, test.df);
  return test;
}

double two_proportion_power(double control_rate, double difference, double n1, double ratio,
                            double alpha) {
  double const p2 = control_rate;
  double const p1 = p2 + difference;
  double const pooled = (p1 + p2 * ratio) / (1.0 + ratio);
  double const std_null = std::sqrt(pooled * (1.0 - pooled) + pooled * (1.0 - pooled) / ratio);
  double const std_alt = std::sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2) / ratio);
  double const crit = two_sided_critical(alpha);
  double const shift = difference * std::sqrt(n1) / std_alt;
  double const scaled = crit * std_null / std_alt;
  return stats::normal_sf(scaled - shift) + stats::normal_cdf(-scaled - shift);
}

SampleSizePlan plan_sample_size(double control_rate, double difference, double power, double alpha,
                                double treated_share) {
  CIE_EXPECTS(control_rate > 0.0 && control_rate < 1.0,
              "--baseline-rate: must be in (0, 1), got {}", control_rate);
  CIE_EXPECTS(difference != 0.0 && std::isfinite(difference),
              "--minimum-lift: must not be 0, got {}", difference);
  CIE_EXPECTS(control_rate + difference > 0.0 && control_rate + difference < 1.0,
              "--minimum-lift: the treated rate {} + {} = {} must be in (0, 1)", control_rate,
              difference, control_rate + difference);
  CIE_EXPECTS(power > 0.0 && power < 1.0, "--power: must be in (0, 1), got {}", power);
  CIE_EXPECTS(alpha > 0.0 && alpha < 1.0, "--alpha: must be in (0, 1), got {}", alpha);
  CIE_EXPECTS(treated_share > 0.0 && treated_share < 1.0,
              "--treated-share: must be in (0, 1), got {}", treated_share);
  double const planned_ratio = (1.0 - treated_share) / treated_share;
  auto const control_for = [&](std::int64_t treated) {
    // The tolerance keeps a ratio such as (1 − 1/3) / (1/3) = 2.0000000000000004 from adding one.
    return std::max<std::int64_t>(
        1,
        static_cast<std::int64_t>(std::ceil(static_cast<double>(treated) * planned_ratio - 1e-9)));
  };
  auto const power_at = [&](std::int64_t treated) {
    std::int64_t const control = control_for(treated);
    return two_proportion_power(control_rate, difference, static_cast<double>(treated),
                                static_cast<double>(control) / static_cast<double>(treated), alpha);
  };
  // Start from the normal approximation's continuous size, then walk to the smallest integer.
  double const p1 = control_rate + difference;
  double const pooled = (p1 + control_rate * planned_ratio) / (1.0 + planned_ratio);
  double const std_null = std::sqrt(pooled * (1.0 - pooled) * (1.0 + 1.0 / planned_ratio));
  double const std_alt =
      std::sqrt(p1 * (1.0 - p1) + control_rate * (1.0 - control_rate) / planned_ratio);
  double const z =
      (two_sided_critical(alpha) * std_null - stats::normal_quantile(1.0 - power) * std_alt) /
      difference;
  std::int64_t treated = std::max<std::int64_t>(2, static_cast<std::int64_t>(std::floor(z * z)));
  while (power_at(treated) < power) ++treated;
  while (treated > 2 && power_at(treated - 1) >= power) --treated;
  return {treated, control_for(treated), power_at(treated)};
}

}  // namespace cie::campaigns
