#include "models/metrics/cluster_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "core/random.hpp"

namespace cie {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// `count` distinct row indices out of `rows`, uniform, in ascending order (partial
/// Fisher-Yates with the engine's portable generator, so the sample is the same everywhere).
std::vector<std::size_t> sample_rows(std::size_t rows, std::size_t count, std::uint64_t seed) {
  std::vector<std::size_t> order(rows);
  std::iota(order.begin(), order.end(), std::size_t{0});
  Random random(seed, 0);
  for (std::size_t i = 0; i < count; ++i) {
    auto const pick =
        i + static_cast<std::size_t>(random.below(static_cast<std::int64_t>(rows - i)));
    std::swap(order[i], order[pick]);
  }
  order.resize(count);
  std::sort(order.begin(), order.end());
  return order;
}

/// Mean silhouette of the rows `subset` (ascending), distances taken within the subset.
double silhouette(Context const& ctx, FeatureMatrix x, std::span<std::int32_t const> labels,
                  int n_clusters, std::vector<std::size_t> const& subset) {
  std::size_t const n = subset.size();
  std::size_t const d = x.cols;
  // Row-major copy of the subset: each distance then reads two contiguous rows.
  std::vector<float> points(n * d);
  std::vector<std::int32_t> label(n);
  std::vector<std::size_t> count(static_cast<std::size_t>(n_clusters), 0);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t j = 0; j < d; ++j) points[r * d + j] = x.column(j)[subset[r]];
    label[r] = labels[subset[r]];
    ++count[static_cast<std::size_t>(label[r])];
  }
  if (std::count_if(count.begin(), count.end(), [](std::size_t c) { return c > 0; }) < 2) {
    return kNaN;
  }
  std::vector<double> score(n);
  auto const rows = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel num_threads(ctx.threads())
  {
    std::vector<double> distance_sum(static_cast<std::size_t>(n_clusters));
#pragma omp for schedule(dynamic, 64)
    for (std::ptrdiff_t row = 0; row < rows; ++row) {
      auto const i = static_cast<std::size_t>(row);
      std::fill(distance_sum.begin(), distance_sum.end(), 0.0);
      float const* const own = points.data() + i * d;
      for (std::size_t other = 0; other < n; ++other) {
        float const* const point = points.data() + other * d;
        double squared = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
          double const difference = static_cast<double>(own[j]) - point[j];
          squared += difference * difference;
        }
        distance_sum[static_cast<std::size_t>(label[other])] += std::sqrt(squared);
      }
      auto const own_cluster = static_cast<std::size_t>(label[i]);
      if (count[own_cluster] == 1) continue;  // score stays 0, as scikit-learn
      double const a = distance_sum[own_cluster] / static_cast<double>(count[own_cluster] - 1);
      double b = std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < distance_sum.size(); ++c) {
        if (c != own_cluster && count[c] > 0) {
          b = std::min(b, distance_sum[c] / static_cast<double>(count[c]));
        }
      }
      double const larger = std::max(a, b);
      score[i] = larger > 0.0 ? (b - a) / larger : 0.0;
    }
  }
  return std::accumulate(score.begin(), score.end(), 0.0) / static_cast<double>(n);
}

}  // namespace

void ClusterMetricsParams::validate() const {
  CIE_EXPECTS(silhouette_exact_limit >= 2, "silhouette_exact_limit must be >= 2, got {}",
              silhouette_exact_limit);
  CIE_EXPECTS(silhouette_sample_size >= 2 && silhouette_sample_size <= silhouette_exact_limit,
              "silhouette_sample_size must be in [2, silhouette_exact_limit = {}], got {}",
              silhouette_exact_limit, silhouette_sample_size);
}

ClusterMetrics cluster_metrics(Context const& ctx, ClusterMetricsParams const& params,
                               FeatureMatrix x, std::span<std::int32_t const> labels,
                               int n_clusters) {
  params.validate();
  CIE_EXPECTS(labels.size() == x.rows, "{} labels for {} rows", labels.size(), x.rows);
  CIE_EXPECTS(n_clusters >= 1, "n_clusters must be >= 1, got {}", n_clusters);
  std::size_t const n = x.rows;
  std::size_t const d = x.cols;
  auto const k = static_cast<std::size_t>(n_clusters);
  for (std::int32_t const label : labels) {
    CIE_ASSERT(label >= 0 && label < n_clusters);
  }

  // Cluster means, the overall mean and counts: sums in double in row order per feature.
  std::vector<std::size_t> count(k, 0);
  for (std::int32_t const label : labels) ++count[static_cast<std::size_t>(label)];
  std::vector<double> centroid(k * d, 0.0);
  std::vector<double> overall(d, 0.0);
  for (std::size_t j = 0; j < d; ++j) {
    float const* const column = x.column(j);
    for (std::size_t i = 0; i < n; ++i) {
      centroid[static_cast<std::size_t>(labels[i]) * d + j] += column[i];
      overall[j] += column[i];
    }
    overall[j] /= static_cast<double>(std::max<std::size_t>(n, 1));
    for (std::size_t c = 0; c < k; ++c) {
      if (count[c] > 0) centroid[c * d + j] /= static_cast<double>(count[c]);
    }
  }
  std::vector<double> spread(k, 0.0);  // sum of distances to the cluster mean
  double within = 0.0;                 // sum of squared distances to the cluster mean
  for (std::size_t i = 0; i < n; ++i) {
    auto const c = static_cast<std::size_t>(labels[i]);
    double squared = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      double const difference = x.column(j)[i] - centroid[c * d + j];
      squared += difference * difference;
    }
    spread[c] += std::sqrt(squared);
    within += squared;
  }

  ClusterMetrics metrics;
  std::vector<std::size_t> present;
  for (std::size_t c = 0; c < k; ++c) {
    if (count[c] > 0) present.push_back(c);
  }
  metrics.clusters = static_cast<int>(present.size());
  auto const centroid_distance = [&](std::size_t a, std::size_t b) {
    double squared = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      double const difference = centroid[a * d + j] - centroid[b * d + j];
      squared += difference * difference;
    }
    return std::sqrt(squared);
  };

  if (present.size() < 2) {
    metrics.silhouette = metrics.davies_bouldin = metrics.calinski_harabasz = kNaN;
    metrics.silhouette_rows = n;
    return metrics;
  }

  double worst_ratio_sum = 0.0;
  for (std::size_t const a : present) {
    double worst = 0.0;
    double const spread_a = spread[a] / static_cast<double>(count[a]);
    for (std::size_t const b : present) {
      double const separation = centroid_distance(a, b);
      // Coinciding means are skipped, as scikit-learn (which divides by +Inf there).
      if (b == a || separation == 0.0) continue;
      worst = std::max(worst, (spread_a + spread[b] / static_cast<double>(count[b])) / separation);
    }
    worst_ratio_sum += worst;
  }
  metrics.davies_bouldin = worst_ratio_sum / static_cast<double>(present.size());

  double between = 0.0;
  for (std::size_t const c : present) {
    double squared = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      double const difference = centroid[c * d + j] - overall[j];
      squared += difference * difference;
    }
    between += static_cast<double>(count[c]) * squared;
  }
  double const clusters = static_cast<double>(present.size());
  metrics.calinski_harabasz =
      within == 0.0 ? 1.0
                    : between * (static_cast<double>(n) - clusters) / (within * (clusters - 1.0));

  std::vector<std::size_t> subset;
  if (n <= params.silhouette_exact_limit) {
    subset.resize(n);
    std::iota(subset.begin(), subset.end(), std::size_t{0});
  } else {
    subset = sample_rows(n, params.silhouette_sample_size, params.seed);
    metrics.silhouette_sampled = true;
  }
  metrics.silhouette_rows = subset.size();
  metrics.silhouette = silhouette(ctx, x, labels, n_clusters, subset);
  return metrics;
}

std::size_t recommend_k(std::span<int const> ks, std::span<double const> silhouettes) {
  CIE_ASSERT(ks.size() == silhouettes.size());
  double best = -std::numeric_limits<double>::infinity();
  for (double const s : silhouettes) {
    if (!std::isnan(s)) best = std::max(best, s);
  }
  for (std::size_t i = 0; i < ks.size(); ++i) {
    if (!std::isnan(silhouettes[i]) && silhouettes[i] >= best - kSilhouetteTieTolerance) return i;
  }
  return ks.size();
}

}  // namespace cie
