#include "models/campaigns/distributions.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "kernels/special_functions.hpp"

namespace cie::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEpsilon = 1e-16;
constexpr double kTiny = 1e-300;  // keeps Lentz's denominators away from zero
constexpr int kMaxIterations = 1'000'000;

// Wichura (1988), algorithm AS241 PPND16: the standard normal quantile of p, for 0 < p < 1.
// The coefficients keep the paper's layout, one pair per line:
// clang-format off
double as241(double p) noexcept {
  double const q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    double const r = 0.180625 - q * q;
    return q *
           (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r +
                 67265.770927008700853) * r + 45921.953931549871457) * r +
               13731.693765509461125) * r + 1971.5909503065514427) * r +
             133.14166789178437745) * r + 3.387132872796366608) /
           (((((((r * 5226.495278852545925 + 28729.085735721942674) * r +
                 39307.89580009271061) * r + 21213.794301586595867) * r +
               5394.1960214247511077) * r + 687.1870074920579083) * r +
             42.313330701600911252) * r + 1.0);
  }
  double r = std::sqrt(-std::log(q < 0.0 ? p : 1.0 - p));
  double value = 0.0;
  if (r <= 5.0) {
    r -= 1.6;
    value = (((((((r * 7.7454501427834140764e-4 + .0227238449892691845833) * r +
                  .24178072517745061177) * r + 1.27045825245236838258) * r +
                3.64784832476320460504) * r + 5.7694972214606914055) * r +
              4.6303378461565452959) * r + 1.42343711074968357734) /
            (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                  .0151986665636164571966) * r + .14810397642748007459) * r +
                .68976733498510000455) * r + 1.6763848301838038494) * r +
              2.05319162663775882187) * r + 1.0);
  } else {
    r -= 5.0;
    value = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
                  .0012426609473880784386) * r + .026532189526576123093) * r +
                .29656057182850489123) * r + 1.7848265399172913358) * r +
              5.4637849111641143699) * r + 6.6579046435011037772) /
            (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                  1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
                .0148753612908506148525) * r + .13692988092273580531) * r +
              .59983220655588793769) * r + 1.0);
  }
  return q < 0.0 ? -value : value;
}
// clang-format on

// Stirling's series for lgamma(x) − [(x − 0.5) log x − x + log(2π) / 2], for x >= 10 (error
// below 2e-14 there).
double stirling_correction(double x) noexcept {
  double const r = 1.0 / x;
  double const r2 = r * r;
  return r * (1.0 / 12.0 -
              r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 * (1.0 / 1680.0 - r2 / 1188.0))));
}

// lgamma(a + b) − lgamma(a) without the cancellation of two large lgamma values when a is large
// (Welch's a = df / 2 reaches 10^4 and more): (a − 0.5) log1p(b / a) + b log(a + b) − b plus the
// difference of Stirling corrections.
double log_gamma_ratio(double a, double b) noexcept {
  if (a < 10.0) return kernels::log_gamma(a + b) - kernels::log_gamma(a);
  return (a - 0.5) * std::log1p(b / a) + b * std::log(a + b) - b + stirling_correction(a + b) -
         stirling_correction(a);
}

// log of 1 / B(a, b) = lgamma(a + b) − lgamma(a) − lgamma(b).
double log_inverse_beta(double a, double b) noexcept {
  return a >= b ? log_gamma_ratio(a, b) - kernels::log_gamma(b)
                : log_gamma_ratio(b, a) - kernels::log_gamma(a);
}

// The continued fraction of I_x(a, b) (Numerical Recipes' betacf, modified Lentz).
double beta_fraction(double a, double b, double x) noexcept {
  double const qab = a + b;
  double const qap = a + 1.0;
  double const qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m < kMaxIterations; ++m) {
    double const m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    double const step = d * c;
    h *= step;
    if (std::fabs(step - 1.0) < kEpsilon) break;
  }
  return h;
}

// log of the Student t density at t with df degrees of freedom.
double t_log_density(double t, double df) noexcept {
  return log_gamma_ratio(0.5 * df, 0.5) - 0.5 * std::log(df * std::numbers::pi) -
         0.5 * (df + 1.0) * std::log1p(t * t / df);
}

// P(T > t) for t >= 0.
double t_upper_tail(double t, double df) noexcept {
  double const t2 = t * t;
  return 0.5 * incomplete_beta(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2));
}

}  // namespace

double normal_cdf(double z) noexcept { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

double normal_sf(double z) noexcept { return 0.5 * std::erfc(z / std::numbers::sqrt2); }

double normal_quantile(double p) noexcept {
  if (std::isnan(p) || p < 0.0 || p > 1.0) return kNaN;
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  double x = as241(p);
  // One Halley step on the tail that p names exactly (1 − p is exact for p >= 0.5) removes
  // AS241's last bits of error.
  double const error = p < 0.5 ? normal_cdf(x) - p : (1.0 - p) - normal_sf(x);
  double const u = error * std::sqrt(2.0 * std::numbers::pi) * std::exp(0.5 * x * x);
  return x - u / (1.0 + 0.5 * x * u);
}

double incomplete_beta(double a, double b, double x, double y) noexcept {
  if (std::isnan(x) || std::isnan(y) || !(a > 0.0) || !(b > 0.0)) return kNaN;
  if (x <= 0.0) return 0.0;
  if (y <= 0.0) return 1.0;
  // The logarithm of the value near 1 comes from the other one, which keeps its relative
  // precision: a · log(x) with a = 10^4 would otherwise multiply x's rounding error by a.
  double const log_x = x > 0.5 ? std::log1p(-y) : std::log(x);
  double const log_y = y > 0.5 ? std::log1p(-x) : std::log(y);
  double const log_front = log_inverse_beta(a, b) + a * log_x + b * log_y;
  double const front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_fraction(a, b, x) / a;
  return 1.0 - front * beta_fraction(b, a, y) / b;
}

double incomplete_gamma_upper(double a, double x) noexcept {
  if (std::isnan(a) || std::isnan(x) || !(a > 0.0) || x < 0.0) return kNaN;
  if (x == 0.0) return 1.0;
  if (std::isinf(x)) return 0.0;
  double const log_front = -x + a * std::log(x) - kernels::log_gamma(a);
  if (x < a + 1.0) {
    double term = 1.0 / a;
    double sum = term;
    double denominator = a;
    for (int n = 1; n < kMaxIterations; ++n) {
      denominator += 1.0;
      term *= x / denominator;
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * kEpsilon) break;
    }
    return 1.0 - sum * std::exp(log_front);
  }
  double b = x + 1.0 - a;
  double c = 1.0 / kTiny;
  double d = 1.0 / b;
  double h = d;
  for (int i = 1; i < kMaxIterations; ++i) {
    double const an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    double const step = d * c;
    h *= step;
    if (std::fabs(step - 1.0) < kEpsilon) break;
  }
  return std::exp(log_front) * h;
}

double t_two_sided_p(double t, double df) noexcept {
  if (std::isnan(t) || std::isnan(df) || !(df > 0.0)) return kNaN;
  if (std::isinf(t)) return 0.0;
  return 2.0 * t_upper_tail(std::fabs(t), df);
}

double t_quantile(double p, double df) noexcept {
  if (std::isnan(p) || std::isnan(df) || !(df > 0.0) || p < 0.0 || p > 1.0) return kNaN;
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  if (p == 0.5) return 0.0;
  // Solve P(T > t) = tail for t > 0; the tail is exact on both sides of 0.5.
  double const tail = p < 0.5 ? p : 1.0 - p;
  double const z = -normal_quantile(tail);
  double t = z + (z * z * z + z) / (4.0 * df);  // Cornish-Fisher's first term
  for (int i = 0; i < 100; ++i) {
    double const step = (t_upper_tail(t, df) - tail) / std::exp(t_log_density(t, df));
    double next = t + step;
    if (next <= 0.0) next = 0.5 * t;  // Newton may overshoot below 0 for tiny df
    bool const done = std::fabs(next - t) <= 4.0 * kEpsilon * std::fabs(next);
    t = next;
    if (done) break;
  }
  return p < 0.5 ? -t : t;
}

double chi_square_sf(double x, double df) noexcept {
  if (std::isnan(x) || std::isnan(df) || !(df > 0.0)) return kNaN;
  if (x <= 0.0) return 1.0;
  return incomplete_gamma_upper(0.5 * df, 0.5 * x);
}

}  // namespace cie::stats
