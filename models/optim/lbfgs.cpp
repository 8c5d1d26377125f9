// L-BFGS and OWL-QN; see models/optim/optimizers.hpp.
#include <cmath>
#include <deque>
#include <optional>

#include "core/error.hpp"
#include "models/optim/optimizer_support.hpp"
#include "models/optim/optimizers.hpp"

namespace cie::optim {
namespace {

using detail::decreases_enough;
using detail::dot;
using detail::inf_norm;
using detail::kMaxTrials;
using detail::kValueSlack;

/// Curvature constant c₂ of the strong Wolfe conditions.
constexpr double kWolfeCurvature = 0.9;

/// The last `capacity` pairs (s, y) and the two-loop recursion.
class History {
 public:
  explicit History(int capacity) : capacity_(static_cast<std::size_t>(capacity)) {}

  /// Keeps the pair only when sᵀy > 0 (clearly), so the implied inverse Hessian stays
  /// positive definite.
  void push(std::vector<double> s, std::vector<double> y) {
    double const sy = dot(s, y);
    if (!(sy > 1e-12 * dot(y, y)) || !std::isfinite(sy)) return;
    if (pairs_.size() == capacity_) pairs_.pop_front();
    pairs_.push_back({std::move(s), std::move(y), 1.0 / sy});
  }
  void clear() { pairs_.clear(); }
  [[nodiscard]] bool empty() const { return pairs_.empty(); }

  /// −H·g, with H the L-BFGS inverse-Hessian approximation (initial scaling sᵀy / yᵀy).
  [[nodiscard]] std::vector<double> direction(std::span<double const> g) const {
    std::vector<double> q(g.begin(), g.end());
    std::vector<double> alpha(pairs_.size());
    for (std::size_t i = pairs_.size(); i-- > 0;) {
      Pair const& p = pairs_[i];
      alpha[i] = p.rho * dot(p.s, q);
      for (std::size_t k = 0; k < q.size(); ++k) q[k] -= alpha[i] * p.y[k];
    }
    if (!pairs_.empty()) {
      Pair const& last = pairs_.back();
      double const gamma = 1.0 / (last.rho * dot(last.y, last.y));
      for (double& v : q) v *= gamma;
    }
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      Pair const& p = pairs_[i];
      double const beta = p.rho * dot(p.y, q);
      for (std::size_t k = 0; k < q.size(); ++k) q[k] += (alpha[i] - beta) * p.s[k];
    }
    for (double& v : q) v = -v;
    return q;
  }

 private:
  struct Pair {
    std::vector<double> s, y;
    double rho;
  };
  std::size_t capacity_;
  std::deque<Pair> pairs_;
};

/// A point x + α·d of a line search: φ(α) = f, slope φ'(α) = ∇fᵀd.
struct Trial {
  double step = 0.0;
  double value = 0.0;
  double slope = 0.0;
  std::vector<double> x, gradient;
};

/// Line search along d from `start` (step 0, slope < 0) for a step satisfying the strong Wolfe
/// conditions (sufficient decrease as decreases_enough). nullopt when none was found.
class WolfeSearch {
 public:
  WolfeSearch(SmoothFunction const& f, Trial const& start, std::span<double const> d)
      : f_(f), start_(start), d_(d) {}

  std::optional<Trial> run(double step) {
    Trial previous = start_;
    previous.step = 0.0;  // start_ may carry the step of the search that found it
    for (int i = 0; trials_ < kMaxTrials; ++i) {
      Trial t = evaluate(step);
      if (!acceptable(t) || (i > 0 && worse(t, previous)))
        return zoom(std::move(previous), std::move(t));
      if (flat_enough(t)) return t;
      if (t.slope >= 0.0) return zoom(std::move(t), std::move(previous));
      previous = std::move(t);
      step *= 4.0;
    }
    return previous.step > 0.0 ? std::optional<Trial>(std::move(previous)) : std::nullopt;
  }

 private:
  Trial evaluate(double step) {
    ++trials_;
    Trial t;
    t.step = step;
    t.x.resize(d_.size());
    t.gradient.resize(d_.size());
    for (std::size_t k = 0; k < d_.size(); ++k) t.x[k] = start_.x[k] + step * d_[k];
    t.value = f_(t.x, t.gradient, nullptr);
    t.slope = dot(t.gradient, d_);
    if (!std::isfinite(t.value) || !std::isfinite(t.slope)) {
      t.value = std::numeric_limits<double>::infinity();
      t.slope = std::numeric_limits<double>::quiet_NaN();
    }
    return t;
  }
  [[nodiscard]] bool acceptable(Trial const& t) const {
    return decreases_enough(start_.value, t.step * start_.slope, t.value, t.step * t.slope);
  }
  [[nodiscard]] bool flat_enough(Trial const& t) const {
    return std::abs(t.slope) <= -kWolfeCurvature * start_.slope;
  }
  [[nodiscard]] bool worse(Trial const& t, Trial const& than) const {
    return t.value > than.value + kValueSlack * std::abs(start_.value);
  }

  /// Narrows [lo, hi] (lo acceptable, the minimizer between them) by safeguarded cubic
  /// interpolation until a trial meets both conditions.
  std::optional<Trial> zoom(Trial lo, Trial hi) {
    while (trials_ < kMaxTrials) {
      double const width = hi.step - lo.step;
      if (std::abs(width) <= 1e-14 * std::max(1.0, std::abs(lo.step))) break;
      Trial t = evaluate(interpolate(lo, hi));
      if (!acceptable(t) || worse(t, lo)) {
        hi = std::move(t);
      } else {
        if (flat_enough(t)) return t;
        if (t.slope * (hi.step - lo.step) >= 0.0) hi = std::move(lo);
        lo = std::move(t);
      }
    }
    return lo.step > 0.0 ? std::optional<Trial>(std::move(lo)) : std::nullopt;
  }

  /// The minimizer of the cubic through (lo, hi) with their slopes, kept at least a tenth of
  /// the interval from either end; bisection where the cubic is not usable.
  static double interpolate(Trial const& lo, Trial const& hi) {
    double const a = lo.step;
    double const b = hi.step;
    double const low = std::min(a, b) + 0.1 * std::abs(b - a);
    double const high = std::max(a, b) - 0.1 * std::abs(b - a);
    double step = 0.5 * (a + b);
    if (std::isfinite(hi.value) && std::isfinite(hi.slope)) {
      double const d1 = lo.slope + hi.slope - 3.0 * (lo.value - hi.value) / (a - b);
      double const radicand = d1 * d1 - lo.slope * hi.slope;
      if (radicand >= 0.0) {
        double const d2 = std::copysign(std::sqrt(radicand), b - a);
        double const cubic = b - (b - a) * (hi.slope + d2 - d1) / (hi.slope - lo.slope + 2.0 * d2);
        if (std::isfinite(cubic)) step = cubic;
      }
    }
    return std::clamp(step, low, high);
  }

  SmoothFunction const& f_;
  Trial const& start_;
  std::span<double const> d_;
  int trials_ = 0;
};

Trial start_at(SmoothFunction const& f, std::vector<double> x) {
  Trial t;
  t.gradient.resize(x.size());
  t.value = f(x, t.gradient, nullptr);
  CIE_ASSERT(std::isfinite(t.value));
  t.x = std::move(x);
  return t;
}

std::vector<double> difference(std::span<double const> a, std::span<double const> b) {
  std::vector<double> d(a.size());
  for (std::size_t k = 0; k < a.size(); ++k) d[k] = a[k] - b[k];
  return d;
}

}  // namespace

MinimizeResult minimize_lbfgs(SmoothFunction const& f, std::vector<double> x0,
                              MinimizeOptions const& options) {
  History history(options.memory);
  Trial here = start_at(f, std::move(x0));
  MinimizeResult result;
  while (true) {
    result.gradient_norm = inf_norm(here.gradient);
    if (result.gradient_norm <= options.tol) {
      result.converged = true;
      break;
    }
    if (result.iterations >= options.max_iter) break;
    std::vector<double> d = history.direction(here.gradient);
    here.slope = dot(here.gradient, d);
    if (!(here.slope < 0.0)) {  // not a descent direction: restart from steepest descent
      history.clear();
      d = history.direction(here.gradient);
      here.slope = dot(here.gradient, d);
    }
    // The first step of a fresh history is scaled to move x by at most about 1.
    double const step = history.empty() ? std::min(1.0, 1.0 / std::sqrt(-here.slope)) : 1.0;
    std::optional<Trial> next = WolfeSearch(f, here, d).run(step);
    if (!next) {
      if (history.empty()) break;  // even steepest descent cannot make progress
      history.clear();
      continue;
    }
    bool const no_progress = detail::stalled(here.x, next->x);
    history.push(difference(next->x, here.x), difference(next->gradient, here.gradient));
    here = std::move(*next);
    ++result.iterations;
    if (no_progress) {
      result.gradient_norm = inf_norm(here.gradient);
      result.converged = result.gradient_norm <= options.tol;
      break;
    }
  }
  result.value = here.value;
  result.x = std::move(here.x);
  return result;
}

std::vector<double> pseudo_gradient(std::span<double const> x, std::span<double const> gradient,
                                    std::span<double const> l1_weight) {
  std::vector<double> pg(x.size());
  for (std::size_t j = 0; j < x.size(); ++j) {
    double const g = gradient[j];
    double const lambda = l1_weight[j];
    if (x[j] > 0.0) {
      pg[j] = g + lambda;
    } else if (x[j] < 0.0) {
      pg[j] = g - lambda;
    } else if (g + lambda < 0.0) {
      pg[j] = g + lambda;
    } else if (g - lambda > 0.0) {
      pg[j] = g - lambda;
    } else {
      pg[j] = 0.0;
    }
  }
  return pg;
}

MinimizeResult minimize_owlqn(SmoothFunction const& f, std::span<double const> l1_weight,
                              std::vector<double> x0, MinimizeOptions const& options) {
  CIE_ASSERT(l1_weight.size() == x0.size());
  std::size_t const n = x0.size();
  auto l1 = [&](std::span<double const> x) {
    double sum = 0.0;
    for (std::size_t j = 0; j < n; ++j) sum += l1_weight[j] * std::abs(x[j]);
    return sum;
  };
  History history(options.memory);
  Trial here = start_at(f, std::move(x0));
  double total = here.value + l1(here.x);
  std::vector<double> pg = pseudo_gradient(here.x, here.gradient, l1_weight);
  MinimizeResult result;
  while (true) {
    result.gradient_norm = inf_norm(pg);
    if (result.gradient_norm <= options.tol) {
      result.converged = true;
      break;
    }
    if (result.iterations >= options.max_iter) break;
    // The quasi-Newton direction, with every penalized component that disagrees in sign with
    // the steepest-descent direction −pg removed. Unpenalized components (the intercept, or all
    // of them under a pure L2 penalty) are left free, as in L-BFGS.
    std::vector<double> d = history.direction(pg);
    for (std::size_t j = 0; j < n; ++j) {
      if (l1_weight[j] > 0.0 && d[j] * pg[j] >= 0.0) d[j] = 0.0;
    }
    if (!(dot(d, pg) < 0.0)) {
      history.clear();
      d = history.direction(pg);
    }
    std::vector<double> orthant(n);
    for (std::size_t j = 0; j < n; ++j) {
      double const side = here.x[j] != 0.0 ? here.x[j] : -pg[j];
      orthant[j] = side > 0.0 ? 1.0 : (side < 0.0 ? -1.0 : 0.0);
    }
    // Backtracking along the orthant projection of x + α·d (penalized components only).
    double step = history.empty() ? std::min(1.0, 1.0 / std::sqrt(-dot(d, pg))) : 1.0;
    std::optional<Trial> next;
    double next_total = 0.0;
    for (int trial = 0; trial < kMaxTrials && !next; ++trial, step *= 0.5) {
      Trial t;
      t.step = step;
      t.x.resize(n);
      t.gradient.resize(n);
      for (std::size_t j = 0; j < n; ++j) {
        double const v = here.x[j] + step * d[j];
        t.x[j] = l1_weight[j] == 0.0 || v * orthant[j] > 0.0 ? v : 0.0;
      }
      t.value = f(t.x, t.gradient, nullptr);
      double const t_total = t.value + l1(t.x);
      std::vector<double> const s = difference(t.x, here.x);
      double slope = 0.0;
      for (std::size_t j = 0; j < n; ++j)
        slope += (t.gradient[j] + l1_weight[j] * orthant[j]) * s[j];
      if (decreases_enough(total, dot(pg, s), t_total, slope)) {
        next = std::move(t);
        next_total = t_total;
      }
    }
    if (!next) {
      if (history.empty()) break;
      history.clear();
      continue;
    }
    bool const no_progress = detail::stalled(here.x, next->x);
    history.push(difference(next->x, here.x), difference(next->gradient, here.gradient));
    here = std::move(*next);
    total = next_total;
    pg = pseudo_gradient(here.x, here.gradient, l1_weight);
    ++result.iterations;
    if (no_progress) {
      result.gradient_norm = inf_norm(pg);
      result.converged = result.gradient_norm <= options.tol;
      break;
    }
  }
  result.value = total;
  result.x = std::move(here.x);
  return result;
}

}  // namespace cie::optim
