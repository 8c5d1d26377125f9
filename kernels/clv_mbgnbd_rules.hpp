// The modified BG/NBD (Batislam, Denizel & Filiztekin 2007; lifetimes' ModifiedBetaGeoFitter)
// and the probability of a given number of purchases for the BG/NBD family, shared by the CPU
// and CUDA twins (see kernels/hd.hpp). Notation as kernels/clv_rules.hpp.
//
// The modified BG/NBD lets a customer drop out right after the first purchase as well as after
// each repeat purchase (BG/NBD: only after repeat purchases), so a customer with x = 0 can be
// inactive. Parameters (r, α, a, b):
//   ℓ = A₁ + A₂ + log(e^{A₃} + e^{A₄}) with
//   A₁ = lnΓ(r+x) − lnΓ(r) + r ln α,  A₂ = lnΓ(a+b) + lnΓ(b+x+1) − lnΓ(b) − lnΓ(a+b+x+1),
//   A₃ = −(r+x) ln(α+T),  A₄ = ln a − ln(b+x) − (r+x) ln(α+t_x)   (for every x, 0 included)
//   P(alive) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^{r+x})
//   E[X(T, T+t)] = (a+b+x)/(a−1) · [1 − ₂F₁(r+x, b+x+1; a+b+x; z) ((α+T)/(α+T+t))^{r+x}] / (1 +
//   a/(b+x) ((α+T)/(α+t_x))^{r+x}),  z = t/(α+T+t)   (Wagner & Hoppe 2008, as lifetimes).
//
// Purchases in (T, T+t] given the history. An active customer's purchase rate is, given x
// purchases over T, Gamma(r+x, α+T); its dropout probability is Beta(a, b+x) after the x coins of
// BG/NBD (b+x+1 after the x+1 of the modified model); and from T on it behaves like a new
// BG/NBD customer with those parameters (dropout only after a purchase). So
//   P(X(T, T+t) = n | x, t_x, T) = P(alive) · P_BG(n; t, r+x, α+T, a, b') + (1 − P(alive)) [n = 0]
// where P_BG is the BG/NBD's unconditional pmf (FHL 2005, eq. 8):
//   P_BG(n; t, r, α, a, b) = B(a, b+n)/B(a, b) · NB(n) + [n > 0] B(a+1, b+n−1)/B(a, b) · (1 −
//   Σ_{j<n} NB(j)),  NB(j) = Γ(r+j)/(Γ(r) j!) (α/(α+t))^r (t/(α+t))^j.
// With x = t_x = T = 0 it is BG/NBD's (lifetimes' probability_of_n_purchases_up_to_time); the
// modified model's unconditional pmf is mbgnbd_unconditional_pmf.
#pragma once

#include <cmath>

#include "kernels/clv_bgbb_rules.hpp"
#include "kernels/clv_rules.hpp"
#include "kernels/hd.hpp"
#include "kernels/special_functions.hpp"

namespace cie::kernels {

/// Modified BG/NBD: term = lnΓ(r+x) − lnΓ(r) + A₂; d = (ψ(r+x) − ψ(r), ψ(a+b) − ψ(a+b+x+1),
/// ψ(a+b) + ψ(b+x+1) − ψ(b) − ψ(a+b+x+1)); d2 the same with ψ'; extra = (ln a − ln(b+x), 1/(b+x));
/// log_scale = ln α.
CIE_HD inline ClvCountTerms mbgnbd_count_terms(double r, double alpha, double a, double b,
                                               double x) {
  ClvCountTerms c;
  c.log_scale = std::log(alpha);
  double const psi_ab = digamma(a + b), psi_abx = digamma(a + b + x + 1.0);
  c.term = log_gamma(r + x) - log_gamma(r) + log_gamma(a + b) + log_gamma(b + x + 1.0) -
           log_gamma(b) - log_gamma(a + b + x + 1.0);
  c.d[0] = digamma(r + x) - digamma(r);
  c.d[1] = psi_ab - psi_abx;
  c.d[2] = psi_ab + digamma(b + x + 1.0) - digamma(b) - psi_abx;
  double const tri_ab = trigamma(a + b), tri_abx = trigamma(a + b + x + 1.0);
  c.d2[0] = trigamma(r + x) - trigamma(r);
  c.d2[1] = tri_ab - tri_abx;
  c.d2[2] = tri_ab + trigamma(b + x + 1.0) - trigamma(b) - tri_abx;
  c.extra[0] = std::log(a) - std::log(b + x);
  c.extra[1] = 1.0 / (b + x);
  return c;
}

/// Modified BG/NBD log-likelihood of one customer from its count terms
/// (mbgnbd_count_terms(r, α, a, b, x)); ∂ℓ/∂(ln r, ln α, ln a, ln b) into grad[0..3] when not null,
/// and with grad the second derivatives into hess[0..9] (clv_hessian_index) when not null;
/// `logs` as bgnbd_log_likelihood's.
CIE_HD inline double mbgnbd_log_likelihood(ClvCountTerms const& c, double r, double alpha, double a,
                                           double b, double x, double t_x, double age, double* grad,
                                           ClvRowLogs const& logs = {}, double* hess = nullptr) {
  return bgnbd_log_likelihood(c, r, alpha, a, b, x, t_x, age, grad, true, logs, hess);
}

/// The same from the parameters alone.
CIE_HD inline double mbgnbd_log_likelihood(double r, double alpha, double a, double b, double x,
                                           double t_x, double age, double* grad) {
  return mbgnbd_log_likelihood(mbgnbd_count_terms(r, alpha, a, b, x), r, alpha, a, b, x, t_x, age,
                               grad);
}

CIE_HD inline double mbgnbd_p_alive(double r, double alpha, double a, double b, double x,
                                    double t_x, double age) {
  double const log_odds_dead =
      (r + x) * std::log((alpha + age) / (alpha + t_x)) + std::log(a / (b + x));
  return 1.0 / (1.0 + std::exp(log_odds_dead));
}

/// Expected repeat purchases in (T, T + t]; 0 for t = 0, NaN for a = 1.
CIE_HD inline double mbgnbd_expected_purchases(double r, double alpha, double a, double b, double x,
                                               double t_x, double age, double t) {
  if (t <= 0.0) return 0.0;
  double const c = a + b + x;
  double const bracket =
      bgnbd_purchases_bracket(bgnbd_bracket_series(r, a, x, b + x + 1.0, c), c, alpha, age, t);
  return c / (a - 1.0) * bracket * mbgnbd_p_alive(r, alpha, a, b, x, t_x, age);
}

/// BG/NBD's unconditional P(X(t) = n) (FHL 2005 eq. 8) for a customer at the start of its
/// process; see the header comment. The tail 1 − Σ_{j<n} NB(j) is summed directly (absolute
/// error ~1e-16), which suits the small n of a prediction.
CIE_HD inline double bgnbd_unconditional_pmf(double r, double alpha, double a, double b, int n,
                                             double t) {
  if (t <= 0.0) return n == 0 ? 1.0 : 0.0;
  double const log_q = std::log(alpha / (alpha + t)), log_p = std::log(t / (alpha + t));
  double const log_beta_ab = log_beta_fn(a, b);
  double cdf = 0.0;  // Σ_{j<n} NB(j)
  for (int j = 0; j < n; ++j) {
    cdf += std::exp(log_gamma(r + j) - log_gamma(r) - log_gamma(j + 1.0) + r * log_q + j * log_p);
  }
  double const log_nb_n =
      log_gamma(r + n) - log_gamma(r) - log_gamma(n + 1.0) + r * log_q + n * log_p;
  double value = std::exp(log_beta_fn(a, b + n) - log_beta_ab + log_nb_n);
  if (n > 0) {
    double const tail = cdf < 1.0 ? 1.0 - cdf : 0.0;
    value += std::exp(log_beta_fn(a + 1.0, b + n - 1.0) - log_beta_ab) * tail;
  }
  return value;
}

/// The modified BG/NBD's unconditional P(X(t) = n) (lifetimes' ModifiedBetaGeoFitter
/// .probability_of_n_purchases_up_to_time): B(a, b+n+1)/B(a, b) · NB(n) + B(a+1, b+n)/B(a, b) ·
/// (1 − Σ_{j<n} NB(j)).
CIE_HD inline double mbgnbd_unconditional_pmf(double r, double alpha, double a, double b, int n,
                                              double t) {
  if (t <= 0.0) return n == 0 ? 1.0 : 0.0;
  double const log_q = std::log(alpha / (alpha + t)), log_p = std::log(t / (alpha + t));
  double const log_beta_ab = log_beta_fn(a, b);
  double cdf = 0.0;
  for (int j = 0; j < n; ++j) {
    cdf += std::exp(log_gamma(r + j) - log_gamma(r) - log_gamma(j + 1.0) + r * log_q + j * log_p);
  }
  double const log_nb_n =
      log_gamma(r + n) - log_gamma(r) - log_gamma(n + 1.0) + r * log_q + n * log_p;
  double const tail = cdf < 1.0 ? 1.0 - cdf : 0.0;
  return std::exp(log_beta_fn(a, b + n + 1.0) - log_beta_ab + log_nb_n) +
         std::exp(log_beta_fn(a + 1.0, b + n) - log_beta_ab) * tail;
}

/// P(X(T, T+t) = n | x, t_x, T) for the BG/NBD (`modified` false) or the modified BG/NBD.
CIE_HD inline double bgnbd_conditional_pmf(double r, double alpha, double a, double b, double x,
                                           double t_x, double age, int n, double t, bool modified) {
  double const alive = modified ? mbgnbd_p_alive(r, alpha, a, b, x, t_x, age)
                                : bgnbd_p_alive(r, alpha, a, b, x, t_x, age);
  double const b_post = b + x + (modified ? 1.0 : 0.0);
  double const active = bgnbd_unconditional_pmf(r + x, alpha + age, a, b_post, n, t);
  return alive * active + (n == 0 ? 1.0 - alive : 0.0);
}

}  // namespace cie::kernels
