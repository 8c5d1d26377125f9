// Small pieces shared by the minimizers of models/optim/optimizers.hpp (internal to them).
#pragma once

#include <algorithm>
#include <cmath>
#include <span>

namespace cie::optim::detail {

/// Sufficient-decrease constant c₁ of every line search.
inline constexpr double kArmijo = 1e-4;
/// Relative slack on f allowed by the approximate Wolfe test (see models/optim/optimizers.hpp).
inline constexpr double kValueSlack = 1e-12;
/// Line-search trials at most per iteration.
inline constexpr int kMaxTrials = 60;

inline double dot(std::span<double const> a, std::span<double const> b) {
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

inline double inf_norm(std::span<double const> a) {
  double norm = 0.0;
  for (double v : a) norm = std::max(norm, std::abs(v));
  return norm;
}

/// Whether a step from value φ(0) (slope φ'(0) < 0 along the step taken) to φ(α) with slope
/// φ'(α) decreases enough: Armijo (decrease = α·φ'(0), the predicted first-order change) or
/// the approximate Wolfe condition.
inline bool decreases_enough(double value0, double decrease, double value, double slope) {
  if (!std::isfinite(value) || !std::isfinite(slope)) return false;
  return value <= value0 + kArmijo * decrease ||
         (value <= value0 + kValueSlack * std::abs(value0) &&
          slope <= (2.0 * kArmijo - 1.0) * (decrease < 0.0 ? decrease : 0.0));
}

/// Whether the move from x to x_new is below the resolution of x (no progress is possible).
inline bool stalled(std::span<double const> x, std::span<double const> x_new) {
  double change = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) change = std::max(change, std::abs(x_new[i] - x[i]));
  return change <= 1e-15 * std::max(1.0, inf_norm(x));
}

}  // namespace cie::optim::detail
