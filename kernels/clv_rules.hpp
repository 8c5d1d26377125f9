// Per-customer arithmetic of the "buy till you die" models, shared by the CPU and CUDA twins
// (see kernels/hd.hpp): log-likelihood terms with their gradients, and the per-customer
// predictions.
//
// Notation (lifetimes' summary, one time unit throughout): x = repeat purchases, t_x = time of the
// last purchase after the first, T = age at the end of the observation window, m = mean value of
// the repeat purchases.
//   BG/NBD (Fader, Hardie & Lee 2005), parameters (r, α, a, b):
//     ℓ = A₁ + A₂ + log(e^{A₃} + [x > 0] e^{A₄}) with
//     A₁ = lnΓ(r+x) − lnΓ(r) + r ln α,  A₂ = lnΓ(a+b) + lnΓ(b+x) − lnΓ(b) − lnΓ(a+b+x),
//     A₃ = −(r+x) ln(α+T),  A₄ = ln a − ln(b+x−1) − (r+x) ln(α+t_x)
//   Gamma-Gamma spend (Fader & Hardie 2013), parameters (p, q, γ), for x > 0 and m > 0:
//     ℓ = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(xm+γ)
// Gradients are with respect to the log-parameters (θ = ln parameter), the variables of the fit.
// Everything is double; the log-sum of A₃ and A₄ never exponentiates a positive number.
#pragma once

#include <cmath>

#include "kernels/hd.hpp"
#include "kernels/special_functions.hpp"

namespace cie::kernels {

/// The parts of a BG/NBD or Gamma-Gamma log-likelihood term that depend on the parameters and the
/// whole number x only: a pass computes them once per distinct x (customers share few values of
/// x), so the per-customer work is a few logarithms. `term` holds the lnΓ sums, d[0..3] their
/// derivatives' ψ sums, d2[0..2] the second derivatives' ψ' sums, extra[0..1] x's other constants
/// (see the two functions below).
struct ClvCountTerms {
  double term = 0.0;
  double d[4] = {0.0, 0.0, 0.0, 0.0};
  double d2[3] = {0.0, 0.0, 0.0};
  double extra[2] = {0.0, 0.0};
  double log_scale = 0.0;  ///< ln α (BG/NBD family) or ln γ (Gamma-Gamma), once per pass
};

/// Logarithms of a row that a pass may have tabulated (once per distinct t_x or T, or once per
/// fit for ln m); NaN: the rule computes it, with the same bits.
struct ClvRowLogs {
  double alpha_age = NAN;      ///< ln(α + T) (BG/NBD family)
  double alpha_recency = NAN;  ///< ln(α + t_x) (BG/NBD family)
  double value = NAN;          ///< ln m (Gamma-Gamma)
};

/// Index of ∂²ℓ/∂ln θ_i ∂ln θ_j (i <= j < 4) in a packed upper triangle of 10 entries (row by
/// row: (0,0) (0,1) (0,2) (0,3) (1,1) (1,2) (1,3) (2,2) (2,3) (3,3)); three-parameter models leave
/// the entries of j = 3 at 0.
CIE_HD constexpr int clv_hessian_index(int i, int j) {
  return i <= j ? i * 4 - i * (i - 1) / 2 + (j - i) : clv_hessian_index(j, i);
}

/// hess[packed] = θ_i θ_j h[packed] + [i = j] grad[i]: the Hessian in the log-parameters from the
/// natural-scale one `h` (packed as clv_hessian_index) and the log-parameter gradient, for the
/// first k of the parameters θ.
CIE_HD inline void clv_log_parameter_hessian(int k, double const* theta, double const* h,
                                             double const* grad, double* hess) {
  for (int i = 0; i < k; ++i) {
    for (int j = i; j < k; ++j) {
      int const e = clv_hessian_index(i, j);
      hess[e] = theta[i] * theta[j] * h[e] + (i == j ? grad[i] : 0.0);
    }
  }
}

/// BG/NBD: term = lnΓ(r+x) − lnΓ(r) + A₂; d = (ψ(r+x) − ψ(r), ψ(a+b) − ψ(a+b+x),
/// ψ(a+b) + ψ(b+x) − ψ(b) − ψ(a+b+x)); d2 the same with ψ'; extra = (ln a − ln(b+x−1),
/// 1/(b+x−1)) for x > 0; log_scale = ln α.
CIE_HD inline ClvCountTerms bgnbd_count_terms(double r, double alpha, double a, double b,
                                              double x) {
  ClvCountTerms c;
  c.log_scale = std::log(alpha);
  double const psi_ab = digamma(a + b), psi_abx = digamma(a + b + x);
  c.term = log_gamma(r + x) - log_gamma(r) + log_gamma(a + b) + log_gamma(b + x) - log_gamma(b) -
           log_gamma(a + b + x);
  c.d[0] = digamma(r + x) - digamma(r);
  c.d[1] = psi_ab - psi_abx;
  c.d[2] = psi_ab + digamma(b + x) - digamma(b) - psi_abx;
  double const tri_ab = trigamma(a + b), tri_abx = trigamma(a + b + x);
  c.d2[0] = trigamma(r + x) - trigamma(r);
  c.d2[1] = tri_ab - tri_abx;
  c.d2[2] = tri_ab + trigamma(b + x) - trigamma(b) - tri_abx;
  if (x > 0.0) {
    c.extra[0] = std::log(a) - std::log(b + x - 1.0);
    c.extra[1] = 1.0 / (b + x - 1.0);
  }
  return c;
}

/// BG/NBD log-likelihood of one customer from its count terms `c` (bgnbd_count_terms(r, α, a, b,
/// x)); writes ∂ℓ/∂(ln r, ln α, ln a, ln b) into grad[0..3] when grad is not null, and with grad
/// the second derivatives in the log-parameters into hess[0..9] (clv_hessian_index) when hess is
/// not null. With `modified` (the modified BG/NBD, kernels/clv_mbgnbd_rules.hpp, whose count terms
/// differ) the A₄ term is present for x = 0 too. `logs`: ln(α + T) and ln(α + t_x) when the
/// caller has them (a pass computes them once per distinct T and t_x), else NaN.
///
/// The Hessian: with shares w₃ + w₄ = 1 of the log-sum, ∇²log(e^{A₃} + e^{A₄}) = w₃∇²A₃ + w₄∇²A₄ +
/// w₃w₄ (∇A₄ − ∇A₃)(∇A₄ − ∇A₃)ᵀ, in the natural parameters, then clv_log_parameter_hessian.
CIE_HD inline double bgnbd_log_likelihood(ClvCountTerms const& c, double r, double alpha, double a,
                                          double b, double x, double t_x, double age, double* grad,
                                          bool modified = false, ClvRowLogs const& logs = {},
                                          double* hess = nullptr) {
  double const log_alpha = c.log_scale;
  double const log_alpha_age =
      logs.alpha_age == logs.alpha_age ? logs.alpha_age : std::log(alpha + age);
  double const a3 = -(r + x) * log_alpha_age;
  double mix = a3;
  double w4 = 0.0;  // e^{A₄} / (e^{A₃} + e^{A₄})
  double log_alpha_tx = 0.0;
  bool const dropout_term = x > 0.0 || modified;
  if (dropout_term) {
    // One exponential and one log1p: with d = A₄ − A₃ and e = e^{−|d|}, the log-sum is
    // max(A₃, A₄) + log1p(e) and A₄'s share is 1/(1 + e) for d > 0, e/(1 + e) otherwise.
    log_alpha_tx =
        logs.alpha_recency == logs.alpha_recency ? logs.alpha_recency : std::log(alpha + t_x);
    double const a4 = c.extra[0] - (r + x) * log_alpha_tx;
    double const d = a4 - a3;
    double const e = std::exp(d > 0.0 ? -d : d);
    double const share = 1.0 / (1.0 + e);
    mix = (d > 0.0 ? a4 : a3) + log1p(e);
    w4 = d > 0.0 ? share : e * share;
  }
  if (grad != nullptr) {
    double const w3 = 1.0 - w4;
    double const d_r = c.d[0] + log_alpha - w3 * log_alpha_age - w4 * log_alpha_tx;
    double const d_alpha = r / alpha - w3 * (r + x) / (alpha + age) -
                           (dropout_term ? w4 * (r + x) / (alpha + t_x) : 0.0);
    grad[0] = r * d_r;
    grad[1] = alpha * d_alpha;
    grad[2] = a * (c.d[1] + w4 / a);
    grad[3] = b * (c.d[2] - w4 * c.extra[1]);
    if (hess != nullptr) {
      double const rx = r + x;
      double const u_age = 1.0 / (alpha + age);
      double h[10] = {c.d2[0],
                      1.0 / alpha - w3 * u_age,
                      0.0,
                      0.0,
                      -r / (alpha * alpha) + w3 * rx * u_age * u_age,
                      0.0,
                      0.0,
                      c.d2[1],
                      c.d2[1],
                      c.d2[2]};
      if (dropout_term) {
        double const u_tx = 1.0 / (alpha + t_x);
        h[1] -= w4 * u_tx;
        h[4] += w4 * rx * u_tx * u_tx;
        h[7] -= w4 / (a * a);
        h[9] += w4 * c.extra[1] * c.extra[1];
        double const delta[4] = {log_alpha_age - log_alpha_tx, rx * (u_age - u_tx), 1.0 / a,
                                 -c.extra[1]};
        double const spread = w3 * w4;
        for (int i = 0; i < 4; ++i) {
          for (int j = i; j < 4; ++j) h[clv_hessian_index(i, j)] += spread * delta[i] * delta[j];
        }
      }
      double const theta[4] = {r, alpha, a, b};
      clv_log_parameter_hessian(4, theta, h, grad, hess);
    }
  }
  return c.term + r * log_alpha + mix;
}

/// The same from the parameters alone.
CIE_HD inline double bgnbd_log_likelihood(double r, double alpha, double a, double b, double x,
                                          double t_x, double age, double* grad) {
  return bgnbd_log_likelihood(bgnbd_count_terms(r, alpha, a, b, x), r, alpha, a, b, x, t_x, age,
                              grad);
}

/// Gamma-Gamma (x > 0): term = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + px·ln x; d = (ψ(px+q), ψ(px),
/// ψ(q)); d2 the same with ψ'; extra = (ln x); log_scale = ln γ.
CIE_HD inline ClvCountTerms gamma_gamma_count_terms(double p, double q, double gamma_scale,
                                                    double x) {
  ClvCountTerms c;
  c.log_scale = std::log(gamma_scale);
  double const px = p * x;
  c.extra[0] = std::log(x);
  c.term = log_gamma(px + q) - log_gamma(px) - log_gamma(q) + px * c.extra[0];
  c.d[0] = digamma(px + q);
  c.d[1] = digamma(px);
  c.d[2] = digamma(q);
  c.d2[0] = trigamma(px + q);
  c.d2[1] = trigamma(px);
  c.d2[2] = trigamma(q);
  return c;
}

/// Gamma-Gamma log-likelihood of one customer with x > 0 repeat purchases of mean value m > 0,
/// from its count terms (gamma_gamma_count_terms(p, q, γ, x)); writes ∂ℓ/∂(ln p, ln q, ln γ) into
/// grad[0..2] when grad is not null, and with grad the second derivatives in the log-parameters
/// into hess (clv_hessian_index, i, j < 3) when hess is not null. `log_value`: ln m when the
/// caller has it (a fit computes it once per row), else NaN.
CIE_HD inline double gamma_gamma_log_likelihood(ClvCountTerms const& c, double p, double q,
                                                double gamma_scale, double x, double m,
                                                double* grad, double* hess = nullptr,
                                                double log_value = NAN) {
  double const px = p * x;
  double const log_m = log_value == log_value ? log_value : std::log(m);
  double const log_gamma = c.log_scale;
  double const log_total = std::log(x * m + gamma_scale);
  double const value = c.term + q * log_gamma + (px - 1.0) * log_m - (px + q) * log_total;
  if (grad != nullptr) {
    grad[0] = px * (c.d[0] - c.d[1] + log_m + c.extra[0] - log_total);
    grad[1] = q * (c.d[0] - c.d[2] + log_gamma - log_total);
    grad[2] = gamma_scale * (q / gamma_scale - (px + q) / (x * m + gamma_scale));
    if (hess != nullptr) {
      double const u = 1.0 / (x * m + gamma_scale);
      double const h[10] = {x * x * (c.d2[0] - c.d2[1]),
                            x * c.d2[0],
                            -x * u,
                            0.0,
                            c.d2[0] - c.d2[2],
                            1.0 / gamma_scale - u,
                            0.0,
                            -q / (gamma_scale * gamma_scale) + (px + q) * u * u,
                            0.0,
                            0.0};
      double const theta[3] = {p, q, gamma_scale};
      clv_log_parameter_hessian(3, theta, h, grad, hess);
    }
  }
  return value;
}

/// The same from the parameters alone.
CIE_HD inline double gamma_gamma_log_likelihood(double p, double q, double gamma_scale, double x,
                                                double m, double* grad) {
  return gamma_gamma_log_likelihood(gamma_gamma_count_terms(p, q, gamma_scale, x), p, q,
                                    gamma_scale, x, m, grad);
}

/// BG/NBD's a/(b+x−1), the part of P(alive) and of the expected purchases' denominator that
/// depends on x only (x > 0): predictions tabulate it per x.
CIE_HD inline double bgnbd_dropout_odds(double a, double b, double x) { return a / (b + x - 1.0); }

/// BG/NBD probability that the customer is still active at T (Fader, Hardie & Lee 2008 note 021):
/// 1 for x = 0, else 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^{r+x}). `log_odds`: ln
/// bgnbd_dropout_odds(a, b, x) when the caller has it (a table per x), else NaN: the same bits.
CIE_HD inline double bgnbd_p_alive(double r, double alpha, double a, double b, double x, double t_x,
                                   double age, double log_odds = NAN) {
  if (x <= 0.0) return 1.0;
  if (log_odds != log_odds) log_odds = std::log(bgnbd_dropout_odds(a, b, x));
  double const log_odds_dead = (r + x) * std::log((alpha + age) / (alpha + t_x)) + log_odds;
  return 1.0 / (1.0 + std::exp(log_odds_dead));
}

/// The series behind the BG/NBD family's bracket 1 − ₂F₁(r+x, b'; c; z) ((α+T)/(α+T+t))^{r+x},
/// b' = b+x and c = a+b+x−1 (BG/NBD) or b' = b+x+1 and c = a+b+x (MBG/NBD), z = t/(α+T+t), which
/// depends on (x, T, t) only. Euler's transformation ₂F₁(r+x, b'; c; z) = (1−z)^{c−r−x−b'}
/// ₂F₁(c−r−x, c−b'; c; z), with c − b' = a − 1 and 1 − z = (α+T)/(α+T+t), makes it 1 −
/// ₂F₁(c−r−x, a−1; c; z) ((α+T)/(α+T+t))^{a−1}: where 0 < a < 2 and c >= r + x, that series is
/// log_hyp2f1_small_b's, whose terms fall from the first (~39 / −ln z terms at most, a handful
/// for large x) where the direct one's grow first (~(r + x + 40) / (1 − z) terms); elsewhere, and
/// where log_hyp2f1_small_b declines for cancellation (z near 1, 1 − tail < 1/4), the direct
/// series (log_hyp2f1_positive). The bracket is a difference of two terms ~c / (r + x) times
/// its size, for small z, so it carries that many roundings; the direct form also loses ~1e-16 /
/// (ln ₂F₁) in its log (log of 1 + a small sum), Euler's form does not (log1p of the tail). At the
/// bench's fit the direct form was off by up to ~1e-12 relative for x ≈ 150 at t = 1 (against a
/// 50-digit sum), Euler's by ~1e-14.
struct ClvBracketSeries {
  bool euler = false;                     ///< Euler's series applies
  double euler_a = 0.0, euler_b = 0.0;    ///< c − r − x and a − 1 (also the power)
  double direct_a = 0.0, direct_b = 0.0;  ///< r + x (also the power) and b'
};

/// The bracket's series at x, with `second` = b' and `c` as above.
CIE_HD inline ClvBracketSeries bgnbd_bracket_series(double r, double a, double x, double second,
                                                    double c) {
  double const lead = c - (r + x);
  return {a > 0.0 && a < 2.0 && lead >= 0.0, lead, a - 1.0, r + x, second};
}

/// ln((α+T)/(α+T+t)), exact for small t: the bracket's log-ratio, which depends on (T, t) only.
CIE_HD inline double bgnbd_log_age_ratio(double alpha, double age, double t) {
  return -log1p(t / (alpha + age));
}

/// 1 − e^h ((α+T)/(α+T+t))^{power} from h, the log of the series that goes with that power, and
/// log_ratio = bgnbd_log_age_ratio(α, T, t).
CIE_HD inline double bgnbd_bracket_from_log(double power, double log_ratio, double log_series) {
  return -expm1(log_series + power * log_ratio);
}

/// The bracket at t (z = t/(α+T+t)): Euler's series where it applies and log_hyp2f1_small_b does
/// not decline, else the direct one.
CIE_HD inline double bgnbd_purchases_bracket(ClvBracketSeries const& series, double c, double alpha,
                                             double age, double t) {
  double const z = t / (alpha + age + t);
  double const log_ratio = bgnbd_log_age_ratio(alpha, age, t);
  if (series.euler) {
    double const log_series = log_hyp2f1_small_b(series.euler_a, series.euler_b, c, z);
    if (log_series == log_series) {
      return bgnbd_bracket_from_log(series.euler_b, log_ratio, log_series);
    }
  }
  return bgnbd_bracket_from_log(series.direct_a, log_ratio,
                                log_hyp2f1_positive(series.direct_a, series.direct_b, c, z));
}

/// BG/NBD's 1 + [x > 0] a/(b+x−1) ((α+T)/(α+t_x))^{r+x}, the denominator of its expected purchases.
/// `odds`: bgnbd_dropout_odds(a, b, x) when the caller has it, else NaN: the same bits.
CIE_HD inline double bgnbd_alive_denominator(double r, double alpha, double a, double b, double x,
                                             double t_x, double age, double odds = NAN) {
  double denominator = 1.0;
  if (x > 0.0) {
    if (odds != odds) odds = bgnbd_dropout_odds(a, b, x);
    denominator += odds * std::exp((r + x) * std::log((alpha + age) / (alpha + t_x)));
  }
  return denominator;
}

/// BG/NBD expected repeat purchases in (T, T + t] given the history (FHL 2005, equation 10):
///   (a+b+x−1)/(a−1) · [1 − ₂F₁(r+x, b+x; a+b+x−1; z) ((α+T)/(α+T+t))^{r+x}]
///   / (1 + [x > 0] a/(b+x−1) ((α+T)/(α+t_x))^{r+x}),   z = t/(α+T+t).
/// 0 for t = 0; NaN where the series cannot be summed (a+b+x−1 <= 0, or a = 1). The bracket's
/// series: bgnbd_bracket_series. Predictions over many customers and horizons share the bracket
/// per (x, T) (kernels/cpu/clv.cpp) with the same bits.
CIE_HD inline double bgnbd_expected_purchases(double r, double alpha, double a, double b, double x,
                                              double t_x, double age, double t) {
  if (t <= 0.0) return 0.0;
  double const c = a + b + x - 1.0;
  double const bracket =
      bgnbd_purchases_bracket(bgnbd_bracket_series(r, a, x, b + x, c), c, alpha, age, t);
  return c / (a - 1.0) * bracket / bgnbd_alive_denominator(r, alpha, a, b, x, t_x, age);
}

/// Gamma-Gamma conditional expected mean spend, p(γ + x·m)/(p·x + q − 1); with x = 0 (or a
/// customer left out of the fit, passed as x = 0) the population mean pγ/(q − 1). NaN for q <= 1
/// with x = 0, where that mean is infinite.
CIE_HD inline double gamma_gamma_expected_spend(double p, double q, double gamma_scale, double x,
                                                double m) {
  double const denominator = p * x + q - 1.0;
  if (!(denominator > 0.0)) return NAN;
  return p * (gamma_scale + x * m) / denominator;
}

}  // namespace cie::kernels
