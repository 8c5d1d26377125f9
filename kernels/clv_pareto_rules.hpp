// Pareto/NBD (Schmittlein, Morrison & Colombo 1987) per-customer arithmetic, shared by the CPU
// and CUDA twins; parameters (r, α, s, β), purchase rate λ ~ Gamma(r, α), dropout rate
// μ ~ Gamma(s, β).
//
// The likelihood is usually written with Gauss hypergeometric functions whose arguments approach
// 1 and whose two terms cancel (lifetimes' fits return NaN or fail on real data). Here it is
// written as the integral it comes from (Fader & Hardie 2005, note 009, before the 2F1 step):
//   L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^{−(r+x)} (β+T)^{−s} + s·I ],
//   I = ∫_{t_x}^{T} (α+y)^{−(r+x)} (β+y)^{−(s+1)} dy     (death at y, after the last purchase),
// a sum of two positive terms evaluated in log space. I is computed by composite 8-point
// Gauss-Legendre in u = ln(m + y), m = min(α, β): there the integrand's log-derivative is
// d(u) = 1 − (r+x)(m+y)/(α+y) − (s+1)(m+y)/(β+y), which lies in [−(r+x+s), 1] and decreases
// with y, so panels of width 1/(r+x+s+1) resolve it to ~1e-15, and once d < 0 the rest of the
// integral is at most h/|d| (h the integrand there): the sum stops when that bound is below
// 1e-17 of it. The integrand is scaled by its value at t_x, so nothing under- or overflows.
// Gradients in the log-parameters come from the same quadrature (differentiation under the
// integral sign).
#pragma once

#include <cmath>

#include "kernels/clv_rules.hpp"
#include "kernels/hd.hpp"
#include "kernels/special_functions.hpp"

namespace cie::kernels {

/// Panels at most per integral (reached only for very long, flat integrands).
inline constexpr int kParetoMaxPanels = 4096;

/// ln I and I's partial derivatives divided by I (d ln I / d r, α, s, β); returns false when
/// t_x >= T (I = 0).
CIE_HD inline bool pareto_log_integral(double r, double alpha, double s, double beta, double x,
                                       double t_x, double age, double* log_i, double* d_log_i) {
  if (!(t_x < age)) return false;
  double const nodes[4] = {0.18343464249564978, 0.525532409916329, 0.7966664774136267,
                           0.9602898564975362};
  double const weights[4] = {0.36268378337836177, 0.31370664587788705, 0.22238103445337434,
                             0.10122853629037669};
  double const m = alpha < beta ? alpha : beta;
  double const rx = r + x;
  double const u0 = std::log(m + t_x), u1 = std::log(m + age);
  double const width = 1.0 / (rx + s + 1.0);
  int panels = static_cast<int>(std::ceil((u1 - u0) / width));
  if (panels < 1) panels = 1;
  if (panels > kParetoMaxPanels) panels = kParetoMaxPanels;
  double const step = (u1 - u0) / panels;
  // log of the integrand in u at u0, the scale of every value below.
  double const log_ref = u0 - rx * std::log(alpha + t_x) - (s + 1.0) * std::log(beta + t_x);
  double sum = 0.0, sum_r = 0.0, sum_alpha = 0.0, sum_s = 0.0, sum_beta = 0.0;
  for (int p = 0; p < panels; ++p) {
    double const mid = u0 + (p + 0.5) * step;
    for (int k = 0; k < 8; ++k) {
      double const u = mid + (k < 4 ? -nodes[k] : nodes[k - 4]) * 0.5 * step;
      double const wk = weights[k < 4 ? k : k - 4] * 0.5 * step;
      double const y = std::exp(u) - m;
      double const log_ay = std::log(alpha + y), log_by = std::log(beta + y);
      double const h = wk * std::exp(u - rx * log_ay - (s + 1.0) * log_by - log_ref);
      sum += h;
      sum_r -= h * log_ay;
      sum_alpha -= h * rx / (alpha + y);
      sum_s -= h * log_by;
      sum_beta -= h * (s + 1.0) / (beta + y);
    }
    // The tail bound at the panel's end (see the header).
    double const u_end = u0 + (p + 1) * step;
    double const y_end = std::exp(u_end) - m;
    double const slope =
        1.0 - rx * (m + y_end) / (alpha + y_end) - (s + 1.0) * (m + y_end) / (beta + y_end);
    if (slope < 0.0 && p + 1 < panels) {
      double const h_end = std::exp(u_end - rx * std::log(alpha + y_end) -
                                    (s + 1.0) * std::log(beta + y_end) - log_ref);
      if (h_end / -slope < 1e-17 * sum) break;
    }
  }
  *log_i = log_ref + std::log(sum);
  d_log_i[0] = sum_r / sum;
  d_log_i[1] = sum_alpha / sum;
  d_log_i[2] = sum_s / sum;
  d_log_i[3] = sum_beta / sum;
  return true;
}

/// The two log-terms of the bracket: ln[(α+T)^{−(r+x)}(β+T)^{−s}] and ln(s·I) (−Inf when t_x =
/// T), and d ln I; the share of the first is P(alive).
struct ParetoTerms {
  double log_alive = 0.0;
  double log_dead = -INFINITY;
  double d_log_i[4] = {0.0, 0.0, 0.0, 0.0};
};

CIE_HD inline ParetoTerms pareto_terms(double r, double alpha, double s, double beta, double x,
                                       double t_x, double age) {
  ParetoTerms terms;
  terms.log_alive = -(r + x) * std::log(alpha + age) - s * std::log(beta + age);
  double log_i = 0.0;
  if (pareto_log_integral(r, alpha, s, beta, x, t_x, age, &log_i, terms.d_log_i)) {
    terms.log_dead = std::log(s) + log_i;
  }
  return terms;
}

/// Pareto/NBD log-likelihood of one customer; ∂ℓ/∂(ln r, ln α, ln s, ln β) into grad[0..3] when
/// grad is not null.
CIE_HD inline double pareto_nbd_log_likelihood(double r, double alpha, double s, double beta,
                                               double x, double t_x, double age, double* grad) {
  ParetoTerms const t = pareto_terms(r, alpha, s, beta, x, t_x, age);
  double const hi = t.log_alive > t.log_dead ? t.log_alive : t.log_dead;
  double const lo = t.log_alive > t.log_dead ? t.log_dead : t.log_alive;
  double const bracket = hi + log1p(std::exp(lo - hi));
  double const prefix = log_gamma(r + x) - log_gamma(r) + r * std::log(alpha) + s * std::log(beta);
  if (grad != nullptr) {
    double const w1 = std::exp(t.log_alive - bracket);
    double const w2 = 1.0 - w1;
    double const d_r = digamma(r + x) - digamma(r) + std::log(alpha) - w1 * std::log(alpha + age) +
                       w2 * t.d_log_i[0];
    double const d_alpha = r / alpha - w1 * (r + x) / (alpha + age) + w2 * t.d_log_i[1];
    double const d_s = std::log(beta) - w1 * std::log(beta + age) + w2 * (1.0 / s + t.d_log_i[2]);
    double const d_beta = s / beta - w1 * s / (beta + age) + w2 * t.d_log_i[3];
    grad[0] = r * d_r;
    grad[1] = alpha * d_alpha;
    grad[2] = s * d_s;
    grad[3] = beta * d_beta;
  }
  return prefix + bracket;
}

/// P(alive at T | x, t_x, T) = the first term's share of the bracket.
CIE_HD inline double pareto_nbd_p_alive(double r, double alpha, double s, double beta, double x,
                                        double t_x, double age) {
  ParetoTerms const t = pareto_terms(r, alpha, s, beta, x, t_x, age);
  if (t.log_dead == -INFINITY) return 1.0;
  return 1.0 / (1.0 + std::exp(t.log_dead - t.log_alive));
}

/// Expected purchases in (T, T + t]: P(alive) · (r+x)(β+T) / ((α+T)(s−1)) · [1 −
/// ((β+T)/(β+T+t))^{s−1}] (Fader & Hardie 2005 note 009, eq. 19), written so that s = 1 is its
/// limit.
CIE_HD inline double pareto_nbd_expected_purchases(double r, double alpha, double s, double beta,
                                                   double x, double t_x, double age, double t) {
  if (t <= 0.0) return 0.0;
  double const log_ratio = std::log((beta + age) / (beta + age + t));  // < 0
  double const e = s - 1.0;
  double const factor = std::abs(e) < 1e-12 ? -log_ratio : -expm1(e * log_ratio) / e;
  return pareto_nbd_p_alive(r, alpha, s, beta, x, t_x, age) * (r + x) * (beta + age) /
         (alpha + age) * factor;
}

/// P(X(T, T+t) = n | x, t_x, T). An active customer's rates are, given its history,
/// λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T), and its remaining lifetime is Exp(μ) (memoryless),
/// so with A(y) = ((β+T)/(β+T+y))^s and NB(n; y) = Γ(r+x+n)/(Γ(r+x) n!) ((α+T)/(α+T+y))^{r+x}
/// (y/(α+T+y))^n:
///   P(n | active) = A(t)·NB(n; t) + ∫_0^t −A'(y)·NB(n; y) dy   (alive through t, or death at y),
///   P(n) = P(alive)·P(n | active) + (1 − P(alive))·[n = 0].
/// Both terms are positive (no cancelling difference, unlike the hypergeometric form of Fader &
/// Hardie's note 028). The integral is composite 8-point Gauss-Legendre in u = ln(m + y),
/// m = min(α+T, β+T), panels of width 1/(r+x+s+n+1) in u (as pareto_log_integral).
CIE_HD inline double pareto_nbd_conditional_pmf(double r, double alpha, double s, double beta,
                                                double x, double t_x, double age, int n, double t) {
  if (t <= 0.0) return n == 0 ? 1.0 : 0.0;
  double const alive = pareto_nbd_p_alive(r, alpha, s, beta, x, t_x, age);
  double const rx = r + x, a_t = alpha + age, b_t = beta + age;
  double const log_coef = log_gamma(rx + n) - log_gamma(rx) - log_gamma(n + 1.0);
  auto const log_nb = [&](double y) {
    return log_coef + rx * std::log(a_t / (a_t + y)) + n * std::log(y / (a_t + y));
  };
  double active = std::exp(s * std::log(b_t / (b_t + t)) + log_nb(t));
  double const nodes[4] = {0.18343464249564978, 0.525532409916329, 0.7966664774136267,
                           0.9602898564975362};
  double const weights[4] = {0.36268378337836177, 0.31370664587788705, 0.22238103445337434,
                             0.10122853629037669};
  double const m = a_t < b_t ? a_t : b_t;
  double const u0 = std::log(m), u1 = std::log(m + t);
  double const width = 1.0 / (rx + s + n + 1.0);
  int panels = static_cast<int>(std::ceil((u1 - u0) / width));
  if (panels < 2) panels = 2;
  if (panels > kParetoMaxPanels) panels = kParetoMaxPanels;
  double const step = (u1 - u0) / panels;
  double const log_density = std::log(s) + s * std::log(b_t);  // −A'(y) = s b^s (b+y)^{−(s+1)}
  double integral = 0.0;
  for (int p = 0; p < panels; ++p) {
    double const mid = u0 + (p + 0.5) * step;
    for (int k = 0; k < 8; ++k) {
      double const u = mid + (k < 4 ? -nodes[k] : nodes[k - 4]) * 0.5 * step;
      double const y = std::exp(u) - m;
      if (!(y > 0.0)) continue;
      double const wk = weights[k < 4 ? k : k - 4] * 0.5 * step;
      integral += wk * std::exp(u + log_density - (s + 1.0) * std::log(b_t + y) + log_nb(y));
    }
  }
  active += integral;
  return alive * active + (n == 0 ? 1.0 - alive : 0.0);
}

}  // namespace cie::kernels
