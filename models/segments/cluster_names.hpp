// Descriptive cluster names from the clusters' profiles, so that a marketer reads "recent,
// frequent, high spend" where k-means gives "cluster 2".
//
// The rule, per feature: every training customer gets its mid-rank percentile among all of them,
//     p_i = (#{x < x_i} + #{x = x_i} / 2) / n       (ties share the mean of their ranks)
// and a cluster's position is its customers' mean p. So a cluster of one-time buyers, where 51%
// of customers bought once, sits at 0.26 whatever k-means' centroid says, and since ranks ignore
// monotone transforms the rule reads the same in original units as in log1p units. Five levels:
// below 0.2 very low, below 0.4 low, up to 0.6 mid, up to 0.8 high, above very high. Each
// feature's level becomes a word (feature_level_word) and the name joins the words in feature
// order with ", ": "very recent, frequent, top spend".
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

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/feature_matrix.hpp"
#include "models/features/feature_pipeline.hpp"

namespace cie {

/// Levels of a feature relative to the training customers (quintiles of the mean percentile).
enum class FeatureLevel { kVeryLow = 0, kLow = 1, kMid = 2, kHigh = 3, kVeryHigh = 4 };

/// The level of a mean percentile p in [0, 1]: very low below 0.2, low below 0.4, mid up to 0.6,
/// high up to 0.8, very high above.
FeatureLevel level_of_percentile(double p) noexcept;

/// The word for a feature at a level. RFM columns have marketing words (recency_days: very
/// recent / recent / lapsing / lapsed / long lapsed; frequency, transactions, repeat_frequency:
/// rare / infrequent / occasional / frequent / very frequent; monetary_total: very low / low /
/// mid / high / top spend; monetary_mean: the same with "order value"; tenure_days: very new /
/// new / established / long-standing / veteran); any other column is "very low COLUMN", "low
/// COLUMN", "mid COLUMN", "high COLUMN", "very high COLUMN".
std::string feature_level_word(std::string const& column, FeatureLevel level);

/// How each cluster got its name.
struct ClusterNaming {
  /// Per cluster: the profile wording (before " #n").
  std::vector<std::string> wordings;
  /// Per cluster, per feature: its customers' mean mid-rank percentile (NaN for an empty
  /// cluster, whose level is then "mid").
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
/// training columns `training` (original units) and each training customer's cluster `labels`.
ClusterNaming name_clusters(FeaturePipeline const& pipeline, std::span<float const> centroids,
                            int n_clusters, RawColumns const& training,
                            std::span<std::int32_t const> labels);

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
