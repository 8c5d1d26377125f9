#include "models/campaigns/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"

namespace cie::campaigns {
namespace {

double resampled_mean(Random& stream, std::span<double const> values) {
  auto const n = static_cast<std::int64_t>(values.size());
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += values[static_cast<std::size_t>(stream.below(n))];
  return sum / static_cast<double>(n);
}

}  // namespace

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
  std::vector<double> differences(static_cast<std::size_t>(params.draws));
  auto const draws = static_cast<std::int64_t>(params.draws);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t b = 0; b < draws; ++b) {
    Random stream(params.seed, params.first_stream + static_cast<std::uint64_t>(b));
    double const treated_mean = resampled_mean(stream, treated);
    double const control_mean = resampled_mean(stream, control);
    differences[static_cast<std::size_t>(b)] = treated_mean - control_mean;
  }
  std::sort(differences.begin(), differences.end());
  return {linear_quantile(differences, 0.5 * params.alpha),
          linear_quantile(differences, 1.0 - 0.5 * params.alpha)};
}

}  // namespace cie::campaigns
