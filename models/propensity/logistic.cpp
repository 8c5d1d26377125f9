// Logistic regression fit and predict; see models/propensity/logistic.hpp. The passes are in
// kernels/linear.hpp, the minimizers in models/optim/optimizers.hpp; this file states the
// objective.
#include "models/propensity/logistic.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "kernels/linear.hpp"
#include "models/optim/optimizers.hpp"

namespace cie {
namespace {

constexpr std::string_view kPenaltyNames[] = {"none", "l2", "l1", "elasticnet"};
constexpr std::string_view kSolverNames[] = {"auto", "lbfgs", "owlqn", "newton"};
/// kAuto picks Newton for L2 and no penalty while a Hessian pass, rows × (cols + 1)² multiply-adds,
/// stays below this (about half a second on 2 cores): Newton then converges in a few cheap steps
/// even on ill-conditioned one-hot data (6 steps on bank marketing where L-BFGS takes 142). Above
/// it a Hessian pass costs several gradient passes and L-BFGS wins (measured at 1M x 32: Newton
/// 1.19 s, L-BFGS 0.65 s to the same log-loss; bench/results/logistic-vs-sklearn-*).
constexpr double kAutoNewtonMaxWork = 2e8;

bool is_smooth(Penalty penalty) { return penalty == Penalty::kL2 || penalty == Penalty::kNone; }

LogisticSolver resolve_solver(LogisticParams const& params, std::size_t rows, std::size_t cols) {
  if (params.solver != LogisticSolver::kAuto) return params.solver;
  if (!is_smooth(params.penalty)) return LogisticSolver::kOwlqn;
  double const work =
      static_cast<double>(rows) * static_cast<double>(cols + 1) * static_cast<double>(cols + 1);
  return work <= kAutoNewtonMaxWork ? LogisticSolver::kNewton : LogisticSolver::kLbfgs;
}

/// Row weights s_i = sample weight × class weight, after checking y and the sample weights.
struct RowWeights {
  std::vector<double> weight;
  double total = 0.0;     ///< W
  double positive = 0.0;  ///< Σ s_i over rows with y = 1
};

RowWeights row_weights(ClassWeight const& class_weight, std::span<float const> y,
                       std::span<float const> sample_weight, std::size_t rows) {
  CIE_EXPECTS(y.size() == rows, "y must hold one label per row ({}), got {}", rows, y.size());
  CIE_EXPECTS(sample_weight.empty() || sample_weight.size() == rows,
              "sample_weight must hold one weight per row ({}), got {}", rows,
              sample_weight.size());
  double class_total[2] = {0.0, 0.0};  // Σ sample weight per class
  for (std::size_t i = 0; i < rows; ++i) {
    CIE_EXPECTS_DATA(y[i] == 0.0f || y[i] == 1.0f,
                     "label at row {} is {}; logistic regression needs labels 0 or 1", i + 1, y[i]);
    float const w = sample_weight.empty() ? 1.0f : sample_weight[i];
    CIE_EXPECTS_DATA(std::isfinite(w) && w >= 0.0f,
                     "sample weight at row {} is {}; weights must be finite and >= 0", i + 1, w);
    class_total[y[i] == 1.0f ? 1 : 0] += w;
  }
  CIE_EXPECTS_DATA(class_total[0] > 0.0 && class_total[1] > 0.0,
                   "the labels hold only class {} (with positive weight); logistic regression "
                   "needs rows of both classes 0 and 1",
                   class_total[1] > 0.0 ? 1 : 0);
  double factor[2] = {1.0, 1.0};
  if (class_weight.kind == ClassWeight::Kind::kGiven) {
    factor[0] = class_weight.negative;
    factor[1] = class_weight.positive;
  } else if (class_weight.kind == ClassWeight::Kind::kBalanced) {
    double const all = class_total[0] + class_total[1];
    factor[0] = all / (2.0 * class_total[0]);
    factor[1] = all / (2.0 * class_total[1]);
  }
  RowWeights result;
  result.weight.resize(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    int const label = y[i] == 1.0f ? 1 : 0;
    double const w = sample_weight.empty() ? 1.0 : double{sample_weight[i]};
    result.weight[i] = w * factor[label];
    result.total += result.weight[i];
    if (label == 1) result.positive += result.weight[i];
  }
  return result;
}

/// f without its L1 term, over the variables (β, b) — b only when the intercept is fitted.
class SmoothObjective {
 public:
  SmoothObjective(kernels::LogisticWorkspace& workspace, LogisticParams const& params,
                  double total_weight)
      : workspace_(workspace),
        cols_(static_cast<std::size_t>(workspace.cols())),
        fit_intercept_(params.fit_intercept),
        inverse_weight_(1.0 / total_weight),
        l2_(l2_share(params) / (params.C * total_weight)) {}

  [[nodiscard]] std::size_t variables() const { return cols_ + (fit_intercept_ ? 1 : 0); }

  double operator()(std::span<double const> theta, std::span<double> gradient,
                    std::vector<double>* hessian) {
    kernels::LogisticPassStats const stats =
        workspace_.pass(theta.first(cols_), intercept(theta), hessian != nullptr);
    last_theta_.assign(theta.begin(), theta.end());
    last_loss_ = stats.loss * inverse_weight_;
    double value = last_loss_;
    for (std::size_t j = 0; j < cols_; ++j) {
      value += 0.5 * l2_ * theta[j] * theta[j];
      gradient[j] = stats.gradient[j] * inverse_weight_ + l2_ * theta[j];
    }
    if (fit_intercept_) gradient[cols_] = stats.gradient[cols_] * inverse_weight_;
    if (hessian != nullptr) {
      std::size_t const n = variables();
      std::size_t const full = cols_ + 1;
      hessian->resize(n * n);
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t k = 0; k < n; ++k) {
          (*hessian)[j * n + k] = stats.hessian[j * full + k] * inverse_weight_;
        }
        if (j < cols_) (*hessian)[j * n + j] += l2_;
      }
    }
    last_value_ = value;
    return value;
  }

  /// f and the loss at theta, from the last call when it was at theta (the minimizers end on
  /// a point they evaluated, which saves a pass), else from a new pass.
  std::pair<double, double> value_and_loss(std::span<double const> theta) {
    if (!std::equal(theta.begin(), theta.end(), last_theta_.begin(), last_theta_.end())) {
      std::vector<double> gradient(theta.size());
      (*this)(theta, gradient, nullptr);
    }
    return {last_value_, last_loss_};
  }

  [[nodiscard]] double intercept(std::span<double const> theta) const {
    return fit_intercept_ ? theta[cols_] : 0.0;
  }

 private:
  static double l2_share(LogisticParams const& params) {
    switch (params.penalty) {
      case Penalty::kL2:
        return 1.0;
      case Penalty::kElasticNet:
        return 1.0 - params.l1_ratio;
      default:
        return 0.0;
    }
  }

  kernels::LogisticWorkspace& workspace_;
  std::size_t cols_;
  bool fit_intercept_;
  double inverse_weight_;
  double l2_;
  std::vector<double> last_theta_;
  double last_value_ = 0.0;
  double last_loss_ = 0.0;  ///< (1/W) Σ s_i ℓ_i at last_theta_
};

double l1_share(LogisticParams const& params) {
  switch (params.penalty) {
    case Penalty::kL1:
      return 1.0;
    case Penalty::kElasticNet:
      return params.l1_ratio;
    default:
      return 0.0;
  }
}

/// Whether the model puts every weighted training row strictly on its own side (σ > 1/2 for
/// y = 1, < 1/2 for y = 0): then the unpenalized optimum lies at infinity.
bool separates(Context const& ctx, FeatureMatrix x, std::span<float const> y,
               std::span<double const> weight, std::span<double const> coef, double intercept) {
  std::vector<double> probability(x.rows);
  kernels::logistic_probabilities(ctx, x.data, static_cast<std::int64_t>(x.rows),
                                  static_cast<int>(x.cols), coef, intercept, probability);
  for (std::size_t i = 0; i < x.rows; ++i) {
    if (weight[i] == 0.0) continue;
    if (y[i] == 1.0f ? probability[i] <= 0.5 : probability[i] >= 0.5) return false;
  }
  return true;
}

/// Per feature: the mean over the rows, weighted by the sample weights (not the class weights).
std::vector<double> feature_means(FeatureMatrix x, std::span<float const> sample_weight) {
  std::vector<double> mean(x.cols, 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < x.rows; ++i) total += sample_weight.empty() ? 1.0 : sample_weight[i];
  for (std::size_t j = 0; j < x.cols; ++j) {
    float const* column = x.column(j);
    double sum = 0.0;
    for (std::size_t i = 0; i < x.rows; ++i) {
      sum += (sample_weight.empty() ? 1.0 : double{sample_weight[i]}) * column[i];
    }
    mean[j] = total > 0.0 ? sum / total : 0.0;
  }
  return mean;
}

}  // namespace

Penalty parse_penalty(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kPenaltyNames); ++i) {
    if (text == kPenaltyNames[i]) return static_cast<Penalty>(i);
  }
  fail(ExitCode::kUsage, "unknown penalty '{}'; use none, l2, l1 or elasticnet", text);
}

LogisticSolver parse_solver(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kSolverNames); ++i) {
    if (text == kSolverNames[i]) return static_cast<LogisticSolver>(i);
  }
  fail(ExitCode::kUsage, "unknown solver '{}'; use auto, lbfgs, owlqn or newton", text);
}

std::string_view to_string(Penalty penalty) { return kPenaltyNames[static_cast<int>(penalty)]; }
std::string_view to_string(LogisticSolver solver) { return kSolverNames[static_cast<int>(solver)]; }

void LogisticParams::validate(std::size_t rows, std::size_t cols) const {
  CIE_EXPECTS_DATA(rows >= 1, "logistic regression needs at least one row, got 0");
  CIE_EXPECTS_DATA(cols >= 1, "logistic regression needs at least one feature column, got 0");
  CIE_EXPECTS(penalty == Penalty::kNone || (std::isfinite(C) && C > 0.0),
              "C must be finite and > 0, got {}", C);
  CIE_EXPECTS(std::isfinite(l1_ratio) && l1_ratio >= 0.0 && l1_ratio <= 1.0,
              "l1_ratio must be in [0, 1], got {}", l1_ratio);
  if (class_weight.kind == ClassWeight::Kind::kGiven) {
    CIE_EXPECTS(std::isfinite(class_weight.negative) && class_weight.negative > 0.0 &&
                    std::isfinite(class_weight.positive) && class_weight.positive > 0.0,
                "class weights must be finite and > 0, got {} (class 0) and {} (class 1)",
                class_weight.negative, class_weight.positive);
  }
  CIE_EXPECTS(
      solver == LogisticSolver::kAuto || solver == LogisticSolver::kOwlqn || is_smooth(penalty),
      "solver {} supports penalty l2 or none, not {}; use owlqn or auto", to_string(solver),
      to_string(penalty));
  CIE_EXPECTS(max_iter >= 1, "max_iter must be >= 1, got {}", max_iter);
  CIE_EXPECTS(std::isfinite(tol) && tol > 0.0, "tol must be finite and > 0, got {}", tol);
  CIE_EXPECTS(memory >= 1 && memory <= 100, "memory must be in [1, 100], got {}", memory);
}

LogisticModel logistic_fit(Context const& ctx, LogisticParams const& params, FeatureMatrix x,
                           std::span<float const> y, std::span<float const> sample_weight) {
  params.validate(x.rows, x.cols);
  check_finite_columns(x, {}, ctx.threads());
  RowWeights const rows = row_weights(params.class_weight, y, sample_weight, x.rows);
  auto workspace = kernels::make_logistic_workspace(ctx, x.data, static_cast<std::int64_t>(x.rows),
                                                    static_cast<int>(x.cols), y, rows.weight);
  SmoothObjective objective(*workspace, params, rows.total);
  // Every evaluation is a pass over the rows: the place to notice Ctrl-C.
  optim::SmoothFunction const f = [&objective](std::span<double const> theta,
                                               std::span<double> gradient,
                                               std::vector<double>* hessian) {
    check_interrupt();
    return objective(theta, gradient, hessian);
  };

  // Start from β = 0 and the intercept that is optimal for it: the log-odds of the classes.
  std::vector<double> theta(objective.variables(), 0.0);
  if (params.fit_intercept) theta.back() = std::log(rows.positive / (rows.total - rows.positive));

  optim::MinimizeOptions const options{params.max_iter, params.tol, params.memory};
  LogisticModel model;
  model.solver_used = resolve_solver(params, x.rows, x.cols);
  std::vector<double> l1_weight(theta.size(), l1_share(params) / (params.C * rows.total));
  if (params.fit_intercept) l1_weight.back() = 0.0;
  optim::MinimizeResult result;
  switch (model.solver_used) {
    case LogisticSolver::kNewton:
      result = optim::minimize_newton(f, theta, options);
      break;
    case LogisticSolver::kLbfgs:
      result = optim::minimize_lbfgs(f, theta, options);
      break;
    default:
      result = optim::minimize_owlqn(f, l1_weight, theta, options);
      break;
  }

  auto const [smooth, loss] = objective.value_and_loss(result.x);
  model.log_loss = loss;
  model.objective = smooth;
  for (std::size_t j = 0; j < x.cols; ++j) model.objective += l1_weight[j] * std::abs(result.x[j]);
  model.gradient_norm = result.gradient_norm;
  model.iterations = result.iterations;
  model.converged = result.converged;
  model.intercept = objective.intercept(result.x);
  model.coef.assign(result.x.begin(), result.x.begin() + static_cast<std::ptrdiff_t>(x.cols));
  model.feature_mean = feature_means(x, sample_weight);
  CIE_ASSERT(std::isfinite(model.objective) && std::isfinite(model.intercept));
  for (double c : model.coef) CIE_ASSERT(std::isfinite(c));
  if (params.penalty == Penalty::kNone && model.converged &&
      separates(ctx, x, y, rows.weight, model.coef, model.intercept)) {
    model.converged = false;
    ctx.logger().warn(
        "logistic regression: the training data are separable, so without a "
        "penalty the coefficients grow without bound; stopped at finite ones "
        "(use penalty l2 for a unique fit)");
  }
  return model;
}

void logistic_predict_proba(Context const& ctx, LogisticModel const& model, FeatureMatrix x,
                            std::span<double> probability) {
  CIE_EXPECTS(model.coef.size() == x.cols,
              "the logistic model has {} coefficients but the data have {} feature columns",
              model.coef.size(), x.cols);
  CIE_EXPECTS(probability.size() == x.rows, "probability must have one slot per row ({}), got {}",
              x.rows, probability.size());
  if (x.rows == 0) return;
  check_finite_columns(x, {}, ctx.threads());
  kernels::logistic_probabilities(ctx, x.data, static_cast<std::int64_t>(x.rows),
                                  static_cast<int>(x.cols), model.coef, model.intercept,
                                  probability);
}

}  // namespace cie
