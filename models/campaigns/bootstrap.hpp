// A seeded percentile bootstrap of the difference in mean revenue per customer between a treated
// arm and its control group.
//
// Draw b (0 <= b < draws) uses its own stream Random(seed, first_stream + b) (core/random.hpp):
// it picks n1 treated customers with replacement by stream.below(n1), then n2 control customers
// by stream.below(n2), summing their revenue in pick order, and records sum1 / n1 − sum2 / n2.
// Draws are independent of one another: kernels/bootstrap.hpp computes them on ctx's device (CPU
// threads or one CUDA thread per draw) with the same bits for any device, thread or block count;
// tests/python/test_campaign_scipy.py replays the streams in numpy.
// The interval is [quantile(alpha / 2), quantile(1 − alpha / 2)] of the sorted draws, with
// numpy's default ("linear", type 7) quantile.
#pragma once

#include <cstdint>
#include <span>

#include "core/context.hpp"
#include "models/campaigns/campaign_stats.hpp"

namespace cie::campaigns {

struct BootstrapParams {
  /// Resamples drawn; >= 100 (usage error naming --bootstrap-draws otherwise).
  int draws = 10000;
  /// One minus the confidence level, in (0, 1).
  double alpha = 0.05;
  std::uint64_t seed = 42;
  /// The stream index of draw 0, so that comparisons of one run use disjoint streams.
  std::uint64_t first_stream = 0;
};

/// The percentile interval of mean(treated) − mean(control); NaN ends when a group is empty.
Interval bootstrap_mean_difference(Context const& ctx, std::span<double const> treated,
                                   std::span<double const> control, BootstrapParams const& params);

/// numpy's "linear" quantile of sorted values at q in [0, 1]: index q (n − 1) between
/// neighbours, interpolated from the nearer end as numpy's _lerp does.
double linear_quantile(std::span<double const> sorted, double q);

}  // namespace cie::campaigns
