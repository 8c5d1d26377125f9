// Internal quality measures of a clustering, and the rule that picks k from them.
//
// All three follow scikit-learn's definitions (sklearn.metrics), on Euclidean distances in the
// space the clustering ran in (the prepared features), with clusters that have no row ignored:
//   silhouette         mean over rows of (b - a) / max(a, b), a = mean distance to the other
//                      rows of its cluster, b = smallest mean distance to the rows of another
//                      cluster; 0 for a row alone in its cluster. In [-1, 1], higher is better.
//                      Exact (O(n² d)) up to ClusterMetricsParams::silhouette_exact_limit rows;
//                      above, computed on a uniform sample without replacement of
//                      silhouette_sample_size rows drawn with `seed` (as silhouette_score's
//                      sample_size: a and b are taken within the sample).
//   Davies-Bouldin     mean over clusters of max over other clusters of (s_i + s_j) / d(c_i, c_j),
//                      s = mean distance of a cluster's rows to its mean, c = the cluster mean.
//                      >= 0, lower is better.
//   Calinski-Harabasz  (between-cluster dispersion / (k - 1)) / (within dispersion / (n - k)).
//                      Higher is better; 1 when the within dispersion is 0, as scikit-learn.
// Sums are in double; the result does not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"

namespace cie {

struct ClusterMetricsParams {
  /// Up to this many rows the silhouette is exact; >= 2.
  std::size_t silhouette_exact_limit = 20'000;
  /// Rows sampled for the silhouette above the limit; 2 <= size <= silhouette_exact_limit.
  std::size_t silhouette_sample_size = 20'000;
  /// Seed of the silhouette sample.
  std::uint64_t seed = 42;

  /// Throws a usage error naming the field and its allowed range.
  void validate() const;
};

struct ClusterMetrics {
  int clusters = 0;  ///< clusters with at least one row
  /// NaN when fewer than 2 clusters have rows, or every row (of the sample) is in one cluster.
  double silhouette = 0.0;
  std::size_t silhouette_rows = 0;  ///< rows it was computed on: all, or the sample size
  bool silhouette_sampled = false;
  double davies_bouldin = 0.0;     ///< NaN with fewer than 2 clusters
  double calinski_harabasz = 0.0;  ///< NaN with fewer than 2 clusters
};

/// Measures the clustering `labels` (values in [0, n_clusters)) of the rows of `x`.
ClusterMetrics cluster_metrics(Context const& ctx, ClusterMetricsParams const& params,
                               FeatureMatrix x, std::span<std::int32_t const> labels,
                               int n_clusters);

/// The k-selection rule: the k with the highest silhouette; a k whose silhouette is within
/// kSilhouetteTieTolerance of the highest counts as a tie, and the smallest such k wins.
///
/// Why: the silhouette is bounded and scale-free and, unlike inertia, does not improve just
/// because k grows, so no elbow has to be read by eye. Davies-Bouldin and Calinski-Harabasz are
/// reported beside it for judgment but not combined into a score of arbitrary weights.
/// Differences under 0.01 are within the noise of a 20,000-row sample estimate and of k-means'
/// initialization, and fewer segments are easier to act on, so near-ties go to the smaller k.
inline constexpr double kSilhouetteTieTolerance = 0.01;

/// The index into `silhouettes` (parallel to ascending `ks`) of the chosen k; NaN silhouettes
/// never win. Returns ks.size() when every silhouette is NaN.
std::size_t recommend_k(std::span<int const> ks, std::span<double const> silhouettes);

}  // namespace cie
