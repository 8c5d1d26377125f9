// Unconstrained minimizers behind the logistic-regression fit (models/propensity/logistic.cpp),
// written against a callback so they know nothing of the data:
//   minimize_lbfgs   L-BFGS, two-loop recursion, line search satisfying the strong Wolfe
//                    conditions (bracketing and cubic-interpolation zoom, Nocedal & Wright 3.5/3.6)
//   minimize_owlqn   OWL-QN (Andrew & Gao 2007) for f(x) + Σ λ_j |x_j|: pseudo-gradient, direction
//                    projected on its sign, steps projected on the orthant (exact zeros),
//                    backtracking
//   minimize_newton  Newton with a Cholesky solve (Eigen LLT), damped (H + μI) when H is not
//                    numerically positive definite, and a backtracking line search
//
// All stop when the infinity norm of the gradient (the pseudo-gradient for OWL-QN) is <= tol
// (converged), after max_iter iterations, or when the line search can make no more progress.
// Newton also stops as converged, at the current point, when its squared decrement is <=
// newton_decrement_tol (off by default).
//
// Near a minimum f changes by less than its own rounding, so a decrease test on f alone would
// reject good steps long before a tight tol is met. Every line search therefore also accepts the
// approximate Wolfe condition of Hager & Zhang (2005): φ'(α) <= (2c₁ − 1)φ'(0) (equivalent to
// sufficient decrease on a quadratic, but computed from slopes) together with
// φ(α) <= φ(0) + 1e-12·|φ(0)|.
//
// A trial point where f or its gradient is not finite is treated as too far, and the step is
// shortened; the result is always finite. Costs: one f evaluation per line-search trial, O(n·m)
// for the L-BFGS direction, O(n³) per Newton step.
#pragma once

#include <functional>
#include <span>
#include <vector>

namespace cie::optim {

/// Returns f(x) and writes ∇f(x) into `gradient` (x.size() values). When `hessian` is not null
/// (Newton only) also writes the row-major x.size()² Hessian into *hessian.
using SmoothFunction = std::function<double(std::span<double const> x, std::span<double> gradient,
                                            std::vector<double>* hessian)>;

struct MinimizeOptions {
  int max_iter = 1000;  ///< iterations at most; >= 1
  double tol = 1e-8;    ///< converged when ‖(pseudo-)gradient‖∞ <= tol; > 0
  int memory = 10;      ///< L-BFGS / OWL-QN history length; >= 1
  /// Newton only: also converged, without taking the step, when H is positive definite and the
  /// squared Newton decrement gᵀH⁻¹g (twice the decrease the next step would bring) is <= this;
  /// >= 0 (0: only the gradient test).
  double newton_decrement_tol = 0.0;
};

struct MinimizeResult {
  std::vector<double> x;
  double value = 0.0;          ///< the objective at x, the L1 term included
  double gradient_norm = 0.0;  ///< ‖(pseudo-)gradient‖∞ at x
  int iterations = 0;
  bool converged = false;
};

/// Minimizes a smooth f from x0.
MinimizeResult minimize_lbfgs(SmoothFunction const& f, std::vector<double> x0,
                              MinimizeOptions const& options);

/// Minimizes f(x) + Σ l1_weight[j]·|x_j| (l1_weight[j] >= 0, one per variable) from x0.
MinimizeResult minimize_owlqn(SmoothFunction const& f, std::span<double const> l1_weight,
                              std::vector<double> x0, MinimizeOptions const& options);

/// Minimizes a smooth, convex f with Newton steps from x0 (memory is unused).
MinimizeResult minimize_newton(SmoothFunction const& f, std::vector<double> x0,
                               MinimizeOptions const& options);

/// The pseudo-gradient of f + Σ λ_j |x_j| at x: ∇f + λ·sign(x) where x_j ≠ 0; at x_j = 0 the
/// one-sided derivative that points downhill, or 0 when neither does.
std::vector<double> pseudo_gradient(std::span<double const> x, std::span<double const> gradient,
                                    std::span<double const> l1_weight);

}  // namespace cie::optim
