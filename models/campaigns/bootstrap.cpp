#include "models/campaigns/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "kernels/bootstrap.hpp"

namespace cie::campaigns {

double linear_quantile(std::span<double const> sorted, double q) {
  CIE_ASSERT(!sorted.empty());
  double const n = static_cast<double>(sorted.size());
  double const index = n * q - q;  // numpy's virtual index for alpha = beta = 1
  double const below = std::floor(index);
  auto const i = std::min(static_cast<std::size_t>(std::max(0.0, below)), sorted.size() - 1);
  std::size_t const j = std::min(i + 1, sorted.size() - 1);
  double const t = index - below;
  double const a = sorted[i];
  double const b = sorted[j];
  double const gap = b - a;
  return t >= 0.5 ? b - gap * (1.0 - t) : a + gap * t;
}

Interval bootstrap_mean_difference(Context const& ctx, std::span<double const> treated,
                                   std::span<double const> control, BootstrapParams const& params) {
  CIE_EXPECTS(params.draws >= 100, "--bootstrap-draws: at least 100 are needed, got {}",
              params.draws);
  CIE_EXPECTS(params.alpha > 0.0 && params.alpha < 1.0, "--alpha: must be in (0, 1), got {}",
              params.alpha);
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (treated.empty() || control.empty()) return {kNaN, kNaN};
  constexpr std::size_t kMaxGroup = std::size_t{1} << 32;  // Random::below's range
  CIE_EXPECTS_DATA(treated.size() <= kMaxGroup && control.size() <= kMaxGroup,
                   "the bootstrap takes at most 2^32 customers per group");
  std::vector<double> differences = kernels::bootstrap_differences(
      ctx, {treated, control, params.seed, params.first_stream, params.draws});
  std::sort(differences.begin(), differences.end());
  return {linear_quantile(differences, 0.5 * params.alpha),
          linear_quantile(differences, 1.0 - 0.5 * params.alpha)};
}

}  // namespace cie::campaigns
