// Damped Newton with a Cholesky solve; see models/optim/optimizers.hpp.
#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cmath>

#include "core/error.hpp"
#include "models/optim/optimizer_support.hpp"
#include "models/optim/optimizers.hpp"

namespace cie::optim {
namespace {

using detail::decreases_enough;
using detail::dot;
using detail::inf_norm;

/// A reciprocal condition number below this counts as singular: the Cholesky factor exists in
/// floating point, but its solve would be dominated by rounding.
constexpr double kMinReciprocalCondition = 1e-13;

/// The Newton direction p solving (H + μI)p = −g, with μ = 0 when H is numerically positive
/// definite and otherwise the smallest of 1e-10·scale·10^k that makes it so; −g if none does.
/// `undamped` tells whether p is the plain Newton step (μ = 0).
std::vector<double> newton_direction(std::vector<double> const& hessian,
                                     std::span<double const> gradient, bool& undamped) {
  Eigen::Index const n = static_cast<Eigen::Index>(gradient.size());
  Eigen::Map<Eigen::MatrixXd const> h(hessian.data(), n, n);  // symmetric: layout is moot
  Eigen::Map<Eigen::VectorXd const> g(gradient.data(), n);
  double const scale = std::max(h.diagonal().cwiseAbs().maxCoeff(), 1e-300);
  double damping = 0.0;
  for (int attempt = 0; attempt < 30; ++attempt) {
    Eigen::MatrixXd damped = h;
    damped.diagonal().array() += damping;
    Eigen::LLT<Eigen::MatrixXd> llt(damped);
    if (llt.info() == Eigen::Success && llt.rcond() > kMinReciprocalCondition) {
      Eigen::VectorXd const p = llt.solve(-g);
      if (p.allFinite() && p.dot(g) < 0.0) {
        undamped = damping == 0.0;
        return {p.data(), p.data() + n};
      }
    }
    damping = damping == 0.0 ? 1e-10 * scale : damping * 10.0;
  }
  undamped = false;
  std::vector<double> steepest(gradient.begin(), gradient.end());
  for (double& v : steepest) v = -v;
  return steepest;
}

}  // namespace

MinimizeResult minimize_newton(SmoothFunction const& f, std::vector<double> x0,
                               MinimizeOptions const& options) {
  std::size_t const n = x0.size();
  std::vector<double> x = std::move(x0);
  std::vector<double> gradient(n);
  std::vector<double> hessian;
  double value = f(x, gradient, &hessian);
  CIE_ASSERT(std::isfinite(value));
  MinimizeResult result;
  std::vector<double> trial_x(n), trial_gradient(n), trial_hessian;
  while (true) {
    result.gradient_norm = inf_norm(gradient);
    if (result.gradient_norm <= options.tol) {
      result.converged = true;
      break;
    }
    if (result.iterations >= options.max_iter) break;
    bool undamped = false;
    std::vector<double> const p = newton_direction(hessian, gradient, undamped);
    double const slope = dot(gradient, p);
    // −slope = gᵀH⁻¹g, the squared Newton decrement: twice the decrease the step would bring.
    if (undamped && -slope <= options.newton_decrement_tol) {
      result.converged = true;
      break;
    }
    // Backtracking from the full step. Trials evaluate the Hessian too: the full step is
    // almost always accepted, and its Hessian is the next iteration's.
    bool accepted = false;
    double trial_value = 0.0;
    double step = 1.0;
    for (int trial = 0; trial < detail::kMaxTrials && !accepted; ++trial, step *= 0.5) {
      for (std::size_t k = 0; k < n; ++k) trial_x[k] = x[k] + step * p[k];
      trial_value = f(trial_x, trial_gradient, &trial_hessian);
      accepted = decreases_enough(value, step * slope, trial_value, step * dot(trial_gradient, p));
    }
    if (!accepted) break;
    bool const no_progress = detail::stalled(x, trial_x);
    x.swap(trial_x);
    gradient.swap(trial_gradient);
    hessian.swap(trial_hessian);
    value = trial_value;
    ++result.iterations;
    if (no_progress) {
      result.gradient_norm = inf_norm(gradient);
      result.converged = result.gradient_norm <= options.tol;
      break;
    }
  }
  result.value = value;
  result.x = std::move(x);
  return result;
}

}  // namespace cie::optim
