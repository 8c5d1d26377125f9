// The distribution functions campaign evaluation needs, in double precision, with no library
// beyond <cmath>: the standard normal (cdf, survival, quantile), Student's t (two-sided p-value,
// quantile), the chi-square survival function, and the regularized incomplete beta and gamma
// functions they rest on.
//
// Accuracy (tested against scipy.stats in tests/python/test_campaign_scipy.py and against
// tabulated values in tests/models/campaigns): about 1e-14 relative for the normal functions;
// 1e-12 relative or better for the incomplete beta and gamma at the sizes of campaign data,
// with one exception: for Student's t with 10^4 and more degrees of freedom near the 95% point,
// I_x(df/2, 1/2) with x close to 1 loses about 1e-12 relative in the first terms of the
// continued fraction (1 − 0.9999·d cancels four digits), so t quantiles there are good to about
// 1e-12 relative. The prefactor 1/B(a, b) is computed from Stirling's series for large a, not as
// a difference of lgamma values, which would lose 1e-11 at a = 10^4.
#pragma once

namespace cie::stats {

/// P(Z <= z) for a standard normal Z (erfc, so the lower tail keeps its relative accuracy).
double normal_cdf(double z) noexcept;
/// P(Z > z) = normal_cdf(-z).
double normal_sf(double z) noexcept;
/// The z with normal_cdf(z) = p, for 0 < p < 1 (Wichura's AS241, about 1e-16 relative);
/// -inf at 0, +inf at 1, NaN outside [0, 1].
double normal_quantile(double p) noexcept;

/// The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1, with
/// y = 1 − x passed separately so that callers who know 1 − x exactly keep its precision.
/// Continued fraction (modified Lentz), on the side of the symmetry I_x(a,b) = 1 − I_y(b,a)
/// where it converges fast.
double incomplete_beta(double a, double b, double x, double y) noexcept;

/// The regularized upper incomplete gamma function Q(a, x) for a > 0, x >= 0 (series below
/// a + 1, continued fraction above).
double incomplete_gamma_upper(double a, double x) noexcept;

/// Two-sided p-value P(|T| >= |t|) of Student's t with `df` > 0 degrees of freedom (df may be
/// fractional, as Welch's is). NaN for a NaN t or df.
double t_two_sided_p(double t, double df) noexcept;
/// The t with P(T <= t) = p for Student's t with `df` > 0 degrees of freedom, 0 < p < 1
/// (Newton's method on the cdf from the normal quantile, to full double precision).
double t_quantile(double p, double df) noexcept;

/// P(X >= x) for a chi-square X with `df` > 0 degrees of freedom.
double chi_square_sf(double x, double df) noexcept;

}  // namespace cie::stats
