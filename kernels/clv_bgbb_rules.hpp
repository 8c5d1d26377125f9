// BG/BB (Fader, Hardie & Shang 2010) per-customer arithmetic for discrete opportunities
// (donations, subscriptions), shared by the CPU and CUDA twins. Parameters (α, β, γ, δ):
// transaction probability p ~ Beta(α, β) per opportunity while alive, dropout θ ~ Beta(γ, δ)
// before each opportunity. A customer: x transactions in n opportunities, the last at t_x.
//   L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
//     + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ),
// every term positive and summed in log space (one running maximum); gradients in the
// log-parameters from ∂ ln B(a, b)/∂a = ψ(a) − ψ(a+b).
#pragma once

#include <cmath>

#include "kernels/clv_rules.hpp"
#include "kernels/hd.hpp"
#include "kernels/special_functions.hpp"

namespace cie::kernels {

CIE_HD inline double log_beta_fn(double a, double b) {
  return log_gamma(a) + log_gamma(b) - log_gamma(a + b);
}

/// BG/BB log-likelihood of one customer; ∂ℓ/∂(ln α, ln β, ln γ, ln δ) into grad[0..3] when grad
/// is not null. 0 <= x <= t_x <= n, whole numbers; t_x = 0 when x = 0.
CIE_HD inline double bgbb_log_likelihood(double alpha, double beta, double gamma_, double delta,
                                         double x, double t_x, double n, double* grad) {
  double const base = -log_beta_fn(alpha, beta) - log_beta_fn(gamma_, delta);
  double const psi_a = digamma(alpha) - digamma(alpha + beta);
  double const psi_b = digamma(beta) - digamma(alpha + beta);
  double const psi_g = digamma(gamma_) - digamma(gamma_ + delta);
  double const psi_d = digamma(delta) - digamma(gamma_ + delta);
  bool const with_grad = grad != nullptr;
  // Running log-sum-exp of the terms and the weighted sums of their gradients.
  double max_log = -INFINITY, total = 0.0;
  double g[4] = {0.0, 0.0, 0.0, 0.0};
  auto const add = [&](double log_term, double ga, double gb, double gg, double gd) {
    if (log_term > max_log) {
      double const rescale = max_log == -INFINITY ? 0.0 : std::exp(max_log - log_term);
      total *= rescale;
      for (double& v : g) v *= rescale;
      max_log = log_term;
    }
    double const w = std::exp(log_term - max_log);
    total += w;
    if (with_grad) {
      g[0] += w * ga;
      g[1] += w * gb;
      g[2] += w * gg;
      g[3] += w * gd;
    }
  };
  {  // alive through all n opportunities
    double const lt = base + log_beta_fn(alpha + x, beta + n - x) + log_beta_fn(gamma_, delta + n);
    double ga = 0, gb = 0, gg = 0, gd = 0;
    if (with_grad) {
      double const ab = digamma(alpha + beta + n), gd_n = digamma(gamma_ + delta + n);
      ga = digamma(alpha + x) - ab - psi_a;
      gb = digamma(beta + n - x) - ab - psi_b;
      gg = digamma(gamma_) - gd_n - psi_g;
      gd = digamma(delta + n) - gd_n - psi_d;
    }
    add(lt, ga, gb, gg, gd);
  }
  int const dead_terms = static_cast<int>(n - t_x);
  for (int i = 0; i < dead_terms; ++i) {  // dropped out right after opportunity t_x + i
    double const ti = t_x + i;
    double const lt =
        base + log_beta_fn(alpha + x, beta + ti - x) + log_beta_fn(gamma_ + 1.0, delta + ti);
    double ga = 0, gb = 0, gg = 0, gd = 0;
    if (with_grad) {
      double const ab = digamma(alpha + beta + ti), gd_i = digamma(gamma_ + delta + ti + 1.0);
      ga = digamma(alpha + x) - ab - psi_a;
      gb = digamma(beta + ti - x) - ab - psi_b;
      gg = digamma(gamma_ + 1.0) - gd_i - psi_g;
      gd = digamma(delta + ti) - gd_i - psi_d;
    }
    add(lt, ga, gb, gg, gd);
  }
  if (with_grad) {
    grad[0] = alpha * g[0] / total;
    grad[1] = beta * g[1] / total;
    grad[2] = gamma_ * g[2] / total;
    grad[3] = delta * g[3] / total;
  }
  return max_log + std::log(total);
}

/// P(alive at opportunity n + 1): B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L.
CIE_HD inline double bgbb_p_alive(double alpha, double beta, double gamma_, double delta, double x,
                                  double t_x, double n) {
  double const log_l = bgbb_log_likelihood(alpha, beta, gamma_, delta, x, t_x, n, nullptr);
  double const log_alive = log_beta_fn(alpha + x, beta + n - x) - log_beta_fn(alpha, beta) +
                           log_beta_fn(gamma_, delta + n + 1.0) - log_beta_fn(gamma_, delta);
  return std::exp(log_alive - log_l);
}

/// Expected transactions in the next `future` opportunities (FHS 2010, eq. 13):
///   1/L · B(α+x+1, β+n−x)/B(α,β) · δ/(γ−1) · Γ(γ+δ)/Γ(1+δ)
///       · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)],
/// the difference formed as a − b = a·(−expm1(ln b − ln a)); NaN at γ = 1.
CIE_HD inline double bgbb_expected_purchases(double alpha, double beta, double gamma_, double delta,
                                             double x, double t_x, double n, double future) {
  if (future <= 0.0) return 0.0;
  double const log_l = bgbb_log_likelihood(alpha, beta, gamma_, delta, x, t_x, n, nullptr);
  double const log_now = log_gamma(1.0 + delta + n) - log_gamma(gamma_ + delta + n);
  double const log_later =
      log_gamma(1.0 + delta + n + future) - log_gamma(gamma_ + delta + n + future);
  double const difference = std::exp(log_now) * -expm1(log_later - log_now);  // sign of (γ − 1)
  double const log_front = log_beta_fn(alpha + x + 1.0, beta + n - x) - log_beta_fn(alpha, beta) +
                           log_gamma(gamma_ + delta) - log_gamma(1.0 + delta) - log_l;
  return std::exp(log_front) * delta / (gamma_ - 1.0) * difference;
}

/// BG/BB's unconditional P(X(n) = k) over n opportunities (FHS 2010, eq. 7):
///   C(n, k) B(α+k, β+n−k)/B(α,β) · B(γ, δ+n)/B(γ,δ)
///     + Σ_{i=k}^{n−1} C(i, k) B(α+k, β+i−k)/B(α,β) · B(γ+1, δ+i)/B(γ,δ),
/// each term formed in log space. n and k whole numbers (0 for k > n).
CIE_HD inline double bgbb_unconditional_pmf(double alpha, double beta, double gamma_, double delta,
                                            int k, int n) {
  if (k < 0 || k > n) return 0.0;
  double const base = -log_beta_fn(alpha, beta) - log_beta_fn(gamma_, delta);
  auto const log_choose = [](double m, double j) {
    return log_gamma(m + 1.0) - log_gamma(j + 1.0) - log_gamma(m - j + 1.0);
  };
  double value = std::exp(base + log_choose(n, k) + log_beta_fn(alpha + k, beta + n - k) +
                          log_beta_fn(gamma_, delta + n));
  for (int i = k; i < n; ++i) {  // dropped out right after opportunity i (C(i, k) = 0 for i < k)
    value += std::exp(base + log_choose(i, k) + log_beta_fn(alpha + k, beta + i - k) +
                      log_beta_fn(gamma_ + 1.0, delta + i));
  }
  return value;
}

/// P(X(n, n + future) = k | x, t_x, n): the customer is alive through its n opportunities with
/// probability A = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ) / L (the likelihood's first term's
/// share), and then its transaction and dropout probabilities are Beta(α+x, β+n−x) and
/// Beta(γ, δ+n), so it behaves like a new customer of those parameters:
///   P(k) = A · bgbb_unconditional_pmf(α+x, β+n−x, γ, δ+n, k, future) + (1 − A) [k = 0]
/// (FHS 2010's conditional pmf, regrouped). `future` a whole number of opportunities.
CIE_HD inline double bgbb_conditional_pmf(double alpha, double beta, double gamma_, double delta,
                                          double x, double t_x, double n, int k, int future) {
  double const log_l = bgbb_log_likelihood(alpha, beta, gamma_, delta, x, t_x, n, nullptr);
  double const log_alive = log_beta_fn(alpha + x, beta + n - x) - log_beta_fn(alpha, beta) +
                           log_beta_fn(gamma_, delta + n) - log_beta_fn(gamma_, delta);
  double const alive = std::exp(log_alive - log_l);
  double const active =
      bgbb_unconditional_pmf(alpha + x, beta + n - x, gamma_, delta + n, k, future);
  return alive * active + (k == 0 ? 1.0 - alive : 0.0);
}

}  // namespace cie::kernels
