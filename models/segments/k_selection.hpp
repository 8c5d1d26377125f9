// Rules that pick the number of clusters k from a range of fitted k (`cie segment select`), each
// restricted to k >= min_k (a marketer rarely acts on 2 segments), and the gap statistic they
// need.
//
//   silhouette          highest silhouette; a k within kSilhouetteTieTolerance of it is a tie
//                       and the smallest such k wins (models/metrics/cluster_metrics.hpp).
//   gap                 Tibshirani, Walther and Hastie (2001): Gap(k) = E*[log W_k] - log W_k,
//                       W_k the (weighted) inertia of the data's k-means fit and E* the mean of
//                       log W_k over B reference data sets drawn uniformly over the bounding box
//                       of the prepared features (the paper's reference (a)), each fitted with
//                       the same k-means settings (and, with sample weights, reference row i
//                       weighted as data row i). s_k = sd_k * sqrt(1 + 1/B), sd_k the
//                       population standard deviation of the B reference log W_k. The rule: the
//                       smallest k with Gap(k) >= Gap(k+1) - s_{k+1}; when no k of the range
//                       passes, the k with the highest Gap (flagged).
//   elbow               the k whose point (k, W_k), with both axes scaled to [0, 1] over the
//                       eligible range (k >= min_k), lies farthest below the chord from the first
//                       to the last point (the "kneedle" distance 1 - x - y); needs 3 eligible k.
//   Davies-Bouldin      the lowest.
//   Calinski-Harabasz   the highest.
// Ties go to the smaller k; NaN never wins. A rule that cannot choose returns kNoChoice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"
#include "models/segments/kmeans.hpp"

namespace cie {

inline constexpr std::size_t kNoChoice = static_cast<std::size_t>(-1);

/// The gap statistic of a range of k.
struct GapCurve {
  std::vector<double> log_w;           ///< log W_k of the data, per k
  std::vector<double> expected_log_w;  ///< mean over references of log W*_k
  std::vector<double> gap;             ///< expected_log_w - log_w
  std::vector<double> s;               ///< sd_k * sqrt(1 + 1/B)
};

/// Reference data set `reference` (0-based) for the gap statistic: x's shape, each column
/// uniform on [min, max] of x's column. Column j is drawn from Random(seed, reference * cols +
/// j), so it does not depend on the thread count.
std::vector<float> uniform_reference(FeatureMatrix x, std::uint64_t seed, int reference);

/// The gap curve for ascending `ks` from the data's inertias (parallel to ks) and `references`
/// (>= 1) reference sets, each fitted by `fit(reference_matrix, k)` returning its inertia.
GapCurve gap_statistic(FeatureMatrix x, std::span<int const> ks, std::span<double const> inertias,
                       int references, std::uint64_t seed,
                       std::function<double(FeatureMatrix, int)> const& fit);

/// Tibshirani's rule on ascending consecutive `ks`, among k >= min_k; `flagged` is set when no k
/// passed and the highest gap was taken instead.
std::size_t gap_rule(std::span<int const> ks, GapCurve const& curve, int min_k, bool& flagged);

/// The elbow of the inertia curve among k >= min_k (kNoChoice with fewer than 3 such k).
std::size_t elbow_rule(std::span<int const> ks, std::span<double const> inertias, int min_k);

/// The index of the lowest (or highest) value among k >= min_k; NaN never wins.
std::size_t extreme_rule(std::span<int const> ks, std::span<double const> values, int min_k,
                         bool highest);

/// recommend_k (silhouette) among k >= min_k.
std::size_t silhouette_rule(std::span<int const> ks, std::span<double const> silhouettes,
                            int min_k);

enum class KSelectionRule { kSilhouette, kGap, kElbow, kDaviesBouldin, kCalinskiHarabasz };

/// "silhouette", "gap", "elbow", "davies-bouldin", "calinski-harabasz"; a usage error naming
/// `setting` otherwise.
KSelectionRule parse_selection_rule(std::string_view text, std::string_view setting);
std::string_view selection_rule_name(KSelectionRule rule) noexcept;

/// What select measured, parallel to ascending consecutive ks.
struct KSelectionTable {
  std::vector<int> ks;
  std::vector<double> inertia;
  std::vector<double> silhouette;
  std::vector<double> davies_bouldin;
  std::vector<double> calinski_harabasz;
  std::optional<GapCurve> gap;  ///< absent when no reference sets were drawn
};

/// One rule's recommendation: the index into ks, or kNoChoice (also when the rule did not run:
/// the gap without a curve).
struct KSelectionChoice {
  KSelectionRule rule = KSelectionRule::kSilhouette;
  std::size_t index = kNoChoice;
  bool ran = true;
  bool flagged = false;  ///< the gap rule fell back to the highest gap
};

/// Every rule, in the order of KSelectionRule, among k >= min_k.
std::vector<KSelectionChoice> apply_selection_rules(KSelectionTable const& table, int min_k);

}  // namespace cie
