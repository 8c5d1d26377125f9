#include "models/clv/clv_fit.hpp"

#include <Eigen/Dense>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "kernels/clv.hpp"
#include "kernels/clv_rules.hpp"
#include "models/optim/optimizers.hpp"

namespace cie {

void ClvFitParams::validate() const {
  CIE_EXPECTS(std::isfinite(penalizer) && penalizer >= 0.0, "penalizer must be >= 0, got {}",
              penalizer);
  CIE_EXPECTS(max_iter >= 1, "max_iter must be >= 1, got {}", max_iter);
  CIE_EXPECTS(std::isfinite(tol) && tol > 0.0, "tol must be > 0, got {}", tol);
}

double FittedDistribution::operator[](std::string_view name) const {
  auto const it = std::find(names.begin(), names.end(), name);
  CIE_ASSERT(it != names.end());
  return values[static_cast<std::size_t>(it - names.begin())];
}

namespace {

constexpr double kBoundaryLow = 1e-6;
constexpr double kBoundaryHigh = 1e6;
constexpr double kHessianStep = 1e-4;
/// Rows above which a fit with an analytic Hessian starts from a fit on a systematic sample.
constexpr std::size_t kWarmStartRows = 1 << 14;
/// Newton stops once the maximum is closer than this many standard errors (see clv_fit.hpp).
constexpr double kNewtonStopStdErrors = 0.05;

/// f(θ) = −Σ w ℓ / customers + penalizer · Σ (e^{θ_j} · penalty_scale_j)² over `rows`, its
/// gradient and (when asked; models with an analytic Hessian only) its Hessian, each one pass.
/// Remembers the last evaluation: its point, log-likelihood and, when it had one, the observed
/// information customers · ∇²f.
class ClvObjective {
 public:
  ClvObjective(Context const& ctx, ClvFitParams const& params, kernels::ClvLikelihood model,
               kernels::ClvRows const& rows, double customers,
               std::vector<double> const& penalty_scale)
      : ctx_(ctx),
        params_(params),
        model_(model),
        rows_(rows),
        customers_(customers),
        penalty_scale_(penalty_scale),
        natural_(penalty_scale.size()) {}

  double operator()(std::span<double const> theta, std::span<double> gradient,
                    std::vector<double>* hessian) {
    check_interrupt();
    std::size_t const k = natural_.size();
    for (std::size_t j = 0; j < k; ++j) natural_[j] = std::exp(theta[j]);
    kernels::ClvPassStats const stats =
        kernels::clv_log_likelihood_pass(ctx_, model_, natural_, rows_, hessian != nullptr);
    last_theta.assign(theta.begin(), theta.end());
    last_log_likelihood = stats.log_likelihood;
    double const inv_n = 1.0 / customers_;
    double value = -stats.log_likelihood * inv_n;
    last_information.clear();
    if (hessian != nullptr) {
      hessian->assign(k * k, 0.0);
      last_information.assign(k * k, 0.0);
    }
    for (std::size_t j = 0; j < k; ++j) {
      double const scaled = natural_[j] * penalty_scale_[j];
      value += params_.penalizer * scaled * scaled;
      gradient[j] = -stats.gradient[j] * inv_n + 2.0 * params_.penalizer * scaled * scaled;
      if (hessian == nullptr) continue;
      for (std::size_t i = 0; i < k; ++i) {
        double const entry = -stats.hessian[static_cast<std::size_t>(kernels::clv_hessian_index(
                                 static_cast<int>(i), static_cast<int>(j)))] *
                                 inv_n +
                             (i == j ? 4.0 * params_.penalizer * scaled * scaled : 0.0);
        (*hessian)[i * k + j] = entry;
        last_information[i * k + j] = customers_ * entry;
      }
    }
    return value;
  }

  std::vector<double> last_theta;
  double last_log_likelihood = 0.0;
  std::vector<double> last_information;  ///< row-major k × k; empty without a Hessian

 private:
  Context const& ctx_;
  ClvFitParams const& params_;
  kernels::ClvLikelihood model_;
  kernels::ClvRows rows_;
  double customers_;
  std::vector<double> const& penalty_scale_;
  std::vector<double> natural_;
};

/// Every ⌈rows / kWarmStartRows⌉-th row with its weight (the rows are sorted by their key, so the
/// sample spreads over it), and its entries of the rows' tables (sharing their values).
struct RowSample {
  std::vector<double> frequency, recency, age, value, weight, log_value;
  std::vector<std::uint32_t> recency_code, age_code;
  std::span<double const> recency_values, age_values;
  double customers = 0.0;

  explicit RowSample(kernels::ClvRows const& rows)
      : recency_values(rows.recency_values), age_values(rows.age_values) {
    std::size_t const step = (rows.size() + kWarmStartRows - 1) / kWarmStartRows;
    for (std::size_t i = 0; i < rows.size(); i += step) {
      frequency.push_back(rows.frequency[i]);
      if (!rows.recency.empty()) recency.push_back(rows.recency[i]);
      if (!rows.age.empty()) age.push_back(rows.age[i]);
      if (!rows.value.empty()) value.push_back(rows.value[i]);
      if (!rows.recency_code.empty()) recency_code.push_back(rows.recency_code[i]);
      if (!rows.age_code.empty()) age_code.push_back(rows.age_code[i]);
      if (!rows.log_value.empty()) log_value.push_back(rows.log_value[i]);
      weight.push_back(rows.weight.empty() ? 1.0 : rows.weight[i]);
      customers += weight.back();
    }
  }
  [[nodiscard]] kernels::ClvRows rows() const {
    return {frequency,    recency,        age,      value,      weight,
            recency_code, recency_values, age_code, age_values, log_value};
  }
};

/// Fits `model` on `rows` (collapsed, weighted) from natural-scale `start`; `penalty_scale[k]`
/// multiplies parameter k inside the penalty.
FittedDistribution fit_likelihood(Context const& ctx, ClvFitParams const& params,
                                  kernels::ClvLikelihood model, kernels::ClvRows const& rows,
                                  double customers, std::vector<double> const& start,
                                  std::vector<double> const& penalty_scale) {
  std::size_t const k = start.size();
  ClvObjective objective(ctx, params, model, rows, customers, penalty_scale);
  auto const full = [&](std::span<double const> theta, std::span<double> gradient,
                        std::vector<double>* hessian) {
    return objective(theta, gradient, hessian);
  };
  std::vector<double> theta0(k);
  for (std::size_t j = 0; j < k; ++j) theta0[j] = std::log(start[j]);
  optim::MinimizeOptions options;
  options.max_iter = params.max_iter;
  options.tol = params.tol;
  bool const analytic = kernels::has_analytic_hessian(model);
  optim::MinimizeResult result;
  int warm_iterations = 0;
  if (analytic && rows.size() > kWarmStartRows) {
    // L-BFGS on a sample, then Newton on every row: a few full passes instead of ~25.
    RowSample const sample(rows);
    ClvObjective sample_objective(ctx, params, model, sample.rows(), sample.customers,
                                  penalty_scale);
    optim::MinimizeResult const warm = optim::minimize_lbfgs(
        [&](std::span<double const> theta, std::span<double> gradient,
            std::vector<double>* hessian) { return sample_objective(theta, gradient, hessian); },
        theta0, options);
    warm_iterations = warm.iterations;
    if (std::isfinite(warm.value)) theta0 = warm.x;
  } else {
    result = optim::minimize_lbfgs(full, theta0, options);
    theta0 = result.x;
  }
  if (analytic) {
    // Newton from there: at a point L-BFGS converged to, one pass (which gives the information).
    // Newton's step p = −H⁻¹g is (θ* − θ) to second order, and the information is customers · H,
    // so the maximum is √(customers · gᵀH⁻¹g) standard errors away (in the metric of θ's
    // covariance): below kNewtonStopStdErrors the step is not taken (nor the pass that would
    // only confirm it).
    int const lbfgs_iterations = result.iterations + warm_iterations;
    options.newton_decrement_tol = kNewtonStopStdErrors * kNewtonStopStdErrors / customers;
    result = optim::minimize_newton(full, theta0, options);
    result.iterations += lbfgs_iterations;
  }

  FittedDistribution fit;
  fit.customers = customers;
  fit.rows = rows.size();
  fit.iterations = result.iterations;
  fit.gradient_norm = result.gradient_norm;
  fit.converged = result.converged && std::isfinite(result.value);
  for (std::size_t j = 0; j < k; ++j) fit.values.push_back(std::exp(result.x[j]));
  // The optimizer's final point is normally its last evaluation, which then needs no extra pass.
  if (objective.last_theta != result.x || (analytic && objective.last_information.empty())) {
    std::vector<double> gradient(k), hessian;
    objective(result.x, gradient, analytic ? &hessian : nullptr);
  }
  fit.log_likelihood = objective.last_log_likelihood;

  // Observed information of the (penalized) total objective n·f in θ: analytic, or by central
  // differences of the analytic gradient.
  Eigen::MatrixXd information(k, k);
  if (analytic) {
    information = Eigen::Map<Eigen::MatrixXd const>(objective.last_information.data(),
                                                    static_cast<Eigen::Index>(k),
                                                    static_cast<Eigen::Index>(k));
  } else {
    std::vector<double> plus(k), minus(k), point(k);
    for (std::size_t j = 0; j < k; ++j) {
      point = result.x;
      point[j] += kHessianStep;
      objective(point, plus, nullptr);
      point[j] -= 2.0 * kHessianStep;
      objective(point, minus, nullptr);
      for (std::size_t i = 0; i < k; ++i) {
        information(i, j) = customers * (plus[i] - minus[i]) / (2.0 * kHessianStep);
      }
    }
  }
  Eigen::MatrixXd const symmetric = 0.5 * (information + information.transpose());
  Eigen::LLT<Eigen::MatrixXd> const llt(symmetric);
  fit.std_errors.assign(k, std::nan(""));
  if (llt.info() == Eigen::Success && symmetric.allFinite()) {
    Eigen::MatrixXd const covariance = llt.solve(Eigen::MatrixXd::Identity(k, k));
    for (std::size_t j = 0; j < k; ++j) {
      fit.std_errors[j] = fit.values[j] * std::sqrt(covariance(j, j));
    }
  } else {
    fit.warnings.push_back(
        "the observed information matrix is not positive definite (a flat direction or a "
        "boundary); standard errors are not available");
  }
  return fit;
}

void check_boundaries(FittedDistribution& fit) {
  for (std::size_t j = 0; j < fit.values.size(); ++j) {
    if (fit.values[j] < kBoundaryLow || fit.values[j] > kBoundaryHigh) {
      fit.warnings.push_back(fmt::format(
          "{} = {:.6g} is at a boundary of the parameter space (outside [{:g}, {:g}]); the "
          "model may not suit these data, or try a penalizer",
          fit.names[j], fit.values[j], kBoundaryLow, kBoundaryHigh));
    }
  }
}

}  // namespace

kernels::ClvLikelihood purchase_likelihood(std::string_view model_type) {
  if (model_type == "bgnbd") return kernels::ClvLikelihood::kBgNbd;
  if (model_type == "mbgnbd") return kernels::ClvLikelihood::kMbgNbd;
  if (model_type == "pareto-nbd") return kernels::ClvLikelihood::kParetoNbd;
  if (model_type == "bgbb") return kernels::ClvLikelihood::kBgBb;
  fail(ExitCode::kUsage, "--model-type: expected bgnbd, mbgnbd, pareto-nbd or bgbb, got '{}'",
       model_type);
}

std::vector<std::string> parameter_names(std::string_view model_type) {
  switch (purchase_likelihood(model_type)) {
    case kernels::ClvLikelihood::kParetoNbd:
      return {"r", "alpha", "s", "beta"};
    case kernels::ClvLikelihood::kBgBb:
      return {"alpha", "beta", "gamma", "delta"};
    default:
      return {"r", "alpha", "a", "b"};
  }
}

FittedDistribution fit_purchases(Context const& ctx, ClvFitParams const& params,
                                 std::string_view model_type, kernels::ClvRows const& summary) {
  params.validate();
  kernels::ClvLikelihood const model = purchase_likelihood(model_type);
  CIE_ASSERT(!find_invalid_row(summary).has_value());
  CIE_EXPECTS_DATA(total_weight(summary) > 0.0, "{}: no customers to fit", model_type);
  ClvSummary const rows = collapse_purchase_rows(summary);
  double max_age = 0.0;
  bool any_repeat = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows.weight[i] <= 0.0) continue;
    max_age = std::max(max_age, rows.age[i]);
    any_repeat = any_repeat || rows.frequency[i] > 0.0;
  }
  CIE_EXPECTS_DATA(any_repeat,
                   "{}: no customer made a repeat purchase (every frequency is 0), so the "
                   "purchase process cannot be estimated",
                   model_type);
  CIE_EXPECTS_DATA(max_age > 0.0, "{}: every customer has T = 0 (no time observed)", model_type);
  // lifetimes' start (every parameter 1) and penalty, with time rescaled so that max T = 10;
  // BG/BB's opportunities are not rescaled.
  double const scale = model == kernels::ClvLikelihood::kBgBb ? 1.0 : 10.0 / max_age;
  std::vector<double> start = {1.0, 1.0 / scale, 1.0, 1.0};
  std::vector<double> penalty_scale = {1.0, scale, 1.0, 1.0};
  if (model == kernels::ClvLikelihood::kParetoNbd) {
    start[3] = 1.0 / scale;
    penalty_scale[3] = scale;
  }
  FittedDistribution fit =
      fit_likelihood(ctx, params, model, rows.rows(), rows.customers(), start, penalty_scale);
  fit.model = std::string(model_type);
  fit.names = parameter_names(model_type);
  check_boundaries(fit);
  return fit;
}

SpendFit fit_gamma_gamma(Context const& ctx, ClvFitParams const& params,
                         kernels::ClvRows const& summary) {
  params.validate();
  CIE_ASSERT(summary.value.size() == summary.size());
  SpendFit spend;
  ClvSummary const rows = collapse_spend_rows(summary, spend.excluded_nonpositive);
  for (std::size_t i = 0; i < summary.size(); ++i) {
    if (summary.frequency[i] == 0.0)
      spend.no_repeat += summary.weight.empty() ? 1.0 : summary.weight[i];
  }
  double const customers = rows.customers();
  CIE_EXPECTS_DATA(customers >= 2.0,
                   "Gamma-Gamma: fewer than 2 customers with a repeat purchase and a positive mean "
                   "repeat value ({} left out for a mean value <= 0)",
                   spend.excluded_nonpositive);
  double sum_x = 0.0, sum_m = 0.0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    sum_x += rows.weight[i] * rows.frequency[i];
    sum_m += rows.weight[i] * rows.value[i];
  }
  double const mean_x = sum_x / customers, mean_m = sum_m / customers;
  double sxx = 0.0, smm = 0.0, sxm = 0.0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    double const dx = rows.frequency[i] - mean_x, dm = rows.value[i] - mean_m;
    sxx += rows.weight[i] * dx * dx;
    smm += rows.weight[i] * dm * dm;
    sxm += rows.weight[i] * dx * dm;
  }
  spend.frequency_value_correlation = sxx > 0.0 && smm > 0.0 ? sxm / std::sqrt(sxx * smm) : 0.0;
  spend.fit = fit_likelihood(ctx, params, kernels::ClvLikelihood::kGammaGamma, rows.rows(),
                             customers, {1.0, 1.0, 1.0}, {1.0, 1.0, 1.0});
  spend.fit.model = "gamma-gamma";
  spend.fit.names = {"p", "q", "gamma"};
  check_boundaries(spend.fit);
  if (spend.fit.values[1] <= 1.0) {
    spend.fit.warnings.push_back(fmt::format(
        "q = {:.6g} <= 1: the population's mean spend is infinite, so customers without a "
        "repeat purchase get no expected value",
        spend.fit.values[1]));
  }
  return spend;
}

}  // namespace cie
