// Descriptive cluster names from the clusters' profiles, so that a marketer reads "recent,
// frequent, high spend" where k-means gives "cluster 2".
//
// The rule, per cluster and feature: the centroid is carried back from the prepared space
// through the scaler (t = z * scale + mean, the transformed value) and ranked among the training
// customers' transformed values of that feature as a mid-rank percentile
//     p = (#{t_i < t} + #{t_i = t} / 2) / n        (t_i = t within 1e-6 relative counts as equal)
// The transforms (floor, clip, log1p) are monotone, so p is also the rank, in original units, of
// the centroid mapped back (expm1 after log1p). p < 1/3 is "low", p > 2/3 "high", else "mid"
// (terciles of the customers). Each feature's level becomes a word (feature_level_word) and the
// name joins the words in feature order with ", ": "recent, frequent, high spend".
//
// Distinct names: clusters sharing a wording get " #1", " #2", ... in descending order of size
// (ties: lower id first). A name given by the user (apply_given_names) replaces the generated
// one; the result must still be distinct and non-empty.
//
// Stable names: a nightly retrain whose clusters keep the previous model's ids keeps their names
// too (carry_names): a matched cluster's name is the previous one even when tonight's wording
// differs (the report shows both); a new cluster takes its wording, with " #n" (the smallest
// n >= 2 free) when that name is already used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/feature_matrix.hpp"
#include "models/features/feature_pipeline.hpp"

namespace cie {

/// Levels of a feature relative to the training customers (terciles).
enum class FeatureLevel { kLow = 0, kMid = 1, kHigh = 2 };

/// The level of percentile p in [0, 1]: low below 1/3, high above 2/3, mid otherwise.
FeatureLevel level_of_percentile(double p) noexcept;

/// The word for a feature at a level. RFM columns have marketing words (recency_days: recent /
/// lapsing / lapsed; frequency, transactions, repeat_frequency: infrequent / occasional /
/// frequent; monetary_total: low / mid / high spend; monetary_mean: low / mid / high order
/// value; tenure_days: new / established / long-standing customers); any other column is
/// "low COLUMN", "mid COLUMN", "high COLUMN".
std::string feature_level_word(std::string const& column, FeatureLevel level);

/// How each cluster got its name.
struct ClusterNaming {
  /// Per cluster: the profile wording (before " #n").
  std::vector<std::string> wordings;
  /// Per cluster, per feature: the centroid's mid-rank percentile among the training customers.
  std::vector<std::vector<double>> percentiles;
  /// Per cluster, per feature: the centroid in original units (expm1 after log1p; a floor or
  /// clip is not undone).
  std::vector<std::vector<double>> centroids_original;
  /// Per cluster: the distinct name.
  std::vector<std::string> names;

  /// {"rule", "clusters": [{"id", "wording", "percentiles", "centroid_original"}]} in id order,
  /// where cluster c (this naming's order) is published as id[c].
  [[nodiscard]] nlohmann::json to_json(std::vector<std::string> const& feature_names,
                                       std::span<std::int32_t const> id) const;
};

/// Names the k clusters of a fitted `pipeline` with `centroids` (k × d, prepared space) from the
/// training columns `training` (original units) and the clusters' sizes (for " #n").
ClusterNaming name_clusters(FeaturePipeline const& pipeline, std::span<float const> centroids,
                            int n_clusters, RawColumns const& training,
                            std::span<std::size_t const> sizes);

/// Distinct names from wordings: a wording shared by several clusters gets " #1", " #2", ... by
/// descending size (ties: lower index first).
std::vector<std::string> distinct_names(std::span<std::string const> wordings,
                                        std::span<std::size_t const> sizes);

/// Names after a retrain whose fitted cluster c is published as id new_id[c] and was matched to
/// previous id previous_id[c] (-1: new). Returned per published id: a matched cluster's previous
/// name, a new cluster's wording (" #n" when the name is taken).
std::vector<std::string> carry_names(std::span<std::string const> previous_names,
                                     std::span<std::int32_t const> new_id,
                                     std::span<std::int32_t const> previous_id,
                                     std::span<std::string const> wordings);

/// `names` with the given ones (cluster id -> name) replacing theirs. A usage error naming
/// `source` for an id outside [0, names.size()), an empty name, or names that are no longer
/// distinct.
std::vector<std::string> apply_given_names(std::vector<std::string> names,
                                           std::map<int, std::string> const& given,
                                           std::string const& source);

}  // namespace cie
