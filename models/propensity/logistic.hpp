// Binary logistic regression with L2, L1 and elastic-net penalties, fitted by passes over batches
// (ARCHITECTURE.md): every loss/gradient (and Hessian, for Newton) evaluation is one pass whose
// per-batch sums, in double, are folded in batch order, so a backend gives the same bits whatever
// its thread count.
//
// Objective (minimized), with s_i = sample weight × class weight of row i, W = Σ s_i:
//   f(β, b) = (1/W) Σ s_i ℓ(x_iᵀβ + b, y_i) + (1/(C·W)) R(β)
//   ℓ(z, y) = log(1 + exp(z)) − y·z, computed as max(z, 0) − y·z + log1p(exp(−|z|))
//   R(β) = ½‖β‖² (L2), ‖β‖₁ (L1), l1_ratio‖β‖₁ + (1 − l1_ratio)·½‖β‖² (elastic net), 0 (none)
// The intercept b is never penalized. This has the same minimizer as scikit-learn's
// LogisticRegression(C=C) (which minimizes C Σ s_i ℓ + R), so coefficients compare directly; the
// 1/W scaling makes `tol` independent of the row count.
//
// Data: a FeatureMatrix (column-major float32, core/feature_matrix.hpp) and labels y_i ∈ {0, 1}.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"  // FeatureMatrix

namespace cie {

enum class Penalty { kNone, kL2, kL1, kElasticNet };
enum class LogisticSolver {
  kAuto,    ///< L2/none: Newton while rows × (cols+1)² <= 2e8, else L-BFGS; L1/EN: OWL-QN
  kLbfgs,   ///< L-BFGS (L2 or none only)
  kOwlqn,   ///< orthant-wise L-BFGS (any penalty)
  kNewton,  ///< Newton with a Cholesky solve of the (d+1)² Hessian (L2 or none only)
};

/// "none" | "l2" | "l1" | "elasticnet" and "auto" | "lbfgs" | "owlqn" | "newton"; a usage error
/// (exit 2) naming the value and the allowed spellings otherwise.
Penalty parse_penalty(std::string_view text);
LogisticSolver parse_solver(std::string_view text);
std::string_view to_string(Penalty penalty);
std::string_view to_string(LogisticSolver solver);

struct ClassWeight {
  enum class Kind { kNone, kBalanced, kGiven } kind = Kind::kNone;
  /// kGiven: weight of class 0 and of class 1 (finite, > 0). kBalanced: W_total / (2 · W_class),
  /// as scikit-learn's "balanced" (computed from the sample weights).
  double negative = 1.0;
  double positive = 1.0;
};

struct LogisticParams {
  /// The penalty R(β).
  Penalty penalty = Penalty::kL2;
  /// Inverse regularization strength as scikit-learn's C: finite, > 0 (ignored for kNone).
  double C = 1.0;
  /// Elastic net: share of the L1 term, in [0, 1].
  double l1_ratio = 0.5;
  /// Whether to fit the (unpenalized) intercept b; false keeps b = 0.
  bool fit_intercept = true;
  ClassWeight class_weight;
  LogisticSolver solver = LogisticSolver::kAuto;
  /// Iterations at most (Newton steps or quasi-Newton iterations); >= 1.
  int max_iter = 1000;
  /// Converged when the infinity norm of the gradient of f (for L1/EN: of the pseudo-gradient)
  /// is <= tol; > 0.
  double tol = 1e-8;
  /// L-BFGS / OWL-QN history length; in [1, 100].
  int memory = 10;

  /// Throws a usage error naming the field and its allowed range.
  void validate(std::size_t rows, std::size_t cols) const;
};

struct LogisticModel {
  std::vector<double> coef;  ///< β, one per feature column
  double intercept = 0.0;    ///< b
  int iterations = 0;
  bool converged = false;
  double objective = 0.0;      ///< f at the solution
  double gradient_norm = 0.0;  ///< infinity norm of the (pseudo-)gradient at the solution
  double log_loss = 0.0;       ///< (1/W) Σ s_i ℓ_i on the training data, without the penalty
  LogisticSolver solver_used = LogisticSolver::kAuto;  ///< the solver kAuto resolved to
  /// Per feature: its training mean (weighted by the sample weights), the reference of
  /// logistic_contributions; empty (all 0) in a model not from logistic_fit, and all 0 for a
  /// model file written before it was stored.
  std::vector<double> feature_mean;

  /// {"coef": [...], "intercept", "iterations", "converged", "objective", "gradient_norm",
  ///  "log_loss", "solver", "feature_mean": [...]} ("feature_mean" optional when read).
  [[nodiscard]] nlohmann::json to_json() const;
  /// A usage error starting with "model file `source`" when `json` is not to_json()'s form.
  static LogisticModel from_json(nlohmann::json const& json, std::string const& source);
};

/// Fits on ctx's device. `y` holds one 0 or 1 per row (anything else: an input error, exit 3,
/// naming the first bad row); `sample_weight` is empty (all 1) or one finite weight >= 0 per row
/// with a positive total. NaN or Inf in x: an input error naming the column index and row.
/// Separable data under L2 gives finite coefficients. With kNone on separable data the optimum
/// is at infinity: the fit stops with finite coefficients and converged = false, either at
/// max_iter or where the gradient has fallen below tol (the fitted β then separates every
/// weighted training row, which no finite optimum can; a warning is logged).
LogisticModel logistic_fit(Context const& ctx, LogisticParams const& params, FeatureMatrix x,
                           std::span<float const> y, std::span<float const> sample_weight = {});

/// Exact Shapley contributions of a linear margin (independent features, the training rows as
/// reference): φ_j = β_j·(x_ij − mean_j), and the expected margin b + Σ β_j·mean_j, so a row's
/// values sum to x_iᵀβ + b. For a z-scored numeric feature mean_j is 0 (up to rounding) and φ_j
/// is the coefficient times the standardized deviation; for a one-hot feature mean_j is the
/// level's training share. out holds x.rows × (x.cols + 1) values, row-major (each row's
/// features, then the expected margin), as GbdtModel::contributions.
void logistic_contributions(LogisticModel const& model, FeatureMatrix x, std::span<double> out);

/// probability[i] = σ(x_iᵀβ + b) on ctx's device, for a model with x.cols coefficients.
/// `probability` has x.rows slots.
void logistic_predict_proba(Context const& ctx, LogisticModel const& model, FeatureMatrix x,
                            std::span<double> probability);

}  // namespace cie
