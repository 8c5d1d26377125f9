// Maximum-likelihood fits of the "buy till you die" models: BG/NBD, Pareto/NBD or BG/BB for
// purchases and Gamma-Gamma for spend.
//
// Each fit minimizes, over θ = ln(parameters), lifetimes' objective
//   f(θ) = −Σ w_i ℓ_i(e^θ) / Σ w_i + penalizer · Σ_k (e^{θ_k})²
// with L-BFGS (models/optim) on analytic gradients; each evaluation is one
// kernels::clv_log_likelihood_pass over rows collapsed by equal (x, t_x, T) (or (x, m)).
// BG/NBD, the modified BG/NBD and Gamma-Gamma (whose pass also gives the Hessian) then take
// Newton steps on every row until ‖∇f‖∞ <= tol or the maximum is within 0.05 standard errors:
// customers · gᵀH⁻¹g <= 0.0025 (the Newton decrement; H = ∇²f positive definite), which then
// needs no further pass, and the point, its log-likelihood and standard errors are that last
// pass's. Above 16,384 collapsed rows their L-BFGS runs on
// a systematic sample of the rows (every ⌈rows / 16,384⌉-th, weights kept), so a fit makes a few
// passes over all rows instead of ~25. `iterations` counts both optimizers' iterations.
// BG/NBD's penalty, as lifetimes', takes α in the time unit lifetimes fits in (T rescaled so that
// its maximum is 10), so a penalized fit matches lifetimes' for any time unit. Start: every
// parameter 1 (α: 1 in that rescaled unit), as lifetimes.
//
// Standard errors: from the observed information n·∇²f at the optimum (the pass's analytic
// Hessian where it has one; else a central difference of the analytic gradient, step 1e-4 in θ),
// inverted for the covariance of θ, then the delta method
// se(e^θ) = e^θ · se(θ). A fit reports, instead of failing silently:
//   converged = false  when neither test above holds after max_iter iterations or when the line
//                      search stalls (gradient_norm is ‖∇f‖∞ at the point returned, which can
//                      exceed tol when the decrement test stopped Newton);
//   warnings           a parameter below 1e-6 or above 1e6 (a boundary of the parameter space:
//                      e.g. a, b → ∞ when nobody drops out), or an information matrix that is not
//                      positive definite (standard errors are then NaN).
#pragma once

#include <string>
#include <vector>

#include "core/context.hpp"
#include "models/clv/clv_summary.hpp"

namespace cie {

struct ClvFitParams {
  /// lifetimes' penalizer_coef: weight of the L2 penalty on the parameters; >= 0.
  double penalizer = 0.0;
  /// L-BFGS iterations at most; >= 1.
  int max_iter = 2000;
  /// Converged when ‖∇f‖∞ <= tol (f is per customer; or by the Newton decrement, above); > 0.
  double tol = 1e-9;

  /// Throws a usage error naming the field and its allowed range.
  void validate() const;
};

/// A fitted parameter vector and how the fit went.
struct FittedDistribution {
  std::string model;               ///< "bgnbd", "mbgnbd", "pareto-nbd", "bgbb" or "gamma-gamma"
  std::vector<std::string> names;  ///< parameter_names(model), or (p, q, gamma)
  std::vector<double> values;
  std::vector<double> std_errors;  ///< NaN where the information matrix is not invertible
  double log_likelihood = 0.0;     ///< Σ w_i ℓ_i at the values, without the penalty
  double customers = 0.0;          ///< Σ w_i of the rows fitted
  std::size_t rows = 0;            ///< distinct rows after collapsing
  int iterations = 0;
  double gradient_norm = 0.0;  ///< ‖∇f‖∞ at the end
  bool converged = false;
  std::vector<std::string> warnings;

  /// The value of the parameter called `name` (an internal error when absent).
  [[nodiscard]] double operator[](std::string_view name) const;
};

/// The purchase models: "bgnbd" and "mbgnbd" (the modified BG/NBD) (r, alpha, a, b),
/// "pareto-nbd" (r, alpha, s, beta) and "bgbb"
/// (alpha, beta, gamma, delta; T is the number of opportunities n, recency the opportunity of the
/// last transaction). A usage error naming --model-type for another name.
kernels::ClvLikelihood purchase_likelihood(std::string_view model_type);
std::vector<std::string> parameter_names(std::string_view model_type);

/// Fits a purchase model on the summary's (x, t_x, T) and weights. The summary must be valid
/// (find_invalid_row; for bgbb also find_invalid_discrete_row) with at least one customer; all
/// of them one-time buyers (x = 0 everywhere) is an input-data error (the purchase process cannot
/// be identified). BG/NBD and Pareto/NBD penalize α (and β) in lifetimes' rescaled time unit.
FittedDistribution fit_purchases(Context const& ctx, ClvFitParams const& params,
                                 std::string_view model_type, kernels::ClvRows const& summary);

/// Gamma-Gamma fit with the customers it used and left out.
struct SpendFit {
  FittedDistribution fit;
  double excluded_nonpositive = 0.0;  ///< customers with x > 0 and mean value <= 0, left out
  double no_repeat = 0.0;             ///< customers with x = 0 (no repeat purchase to model)
  /// Pearson correlation of x and the mean value over the customers used (weighted): the model
  /// assumes spend is independent of frequency, so a value far from 0 is a warning.
  double frequency_value_correlation = 0.0;
};

/// Fits Gamma-Gamma on the customers with x > 0 and a positive mean value. Fewer than two such
/// customers is an input-data error.
SpendFit fit_gamma_gamma(Context const& ctx, ClvFitParams const& params,
                         kernels::ClvRows const& summary);

}  // namespace cie
