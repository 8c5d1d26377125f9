// What each cluster of a segmentation looks like in the units people know: its size and share,
// the mean and median of each feature in original units (recency in days, frequency, money),
// its share of revenue and, when the customers carry RFM segment names, the most common ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/context.hpp"

namespace cie {

struct ClusterProfile {
  std::size_t size = 0;
  double share = 0.0;          ///< size / all customers
  std::vector<double> mean;    ///< per feature, original units; NaN for an empty cluster
  std::vector<double> median;  ///< per feature; the mean of the middle two for even sizes
  double revenue_share = 0.0;  ///< cluster revenue / total revenue; NaN without revenue
  /// The most common segment names with their share of the cluster, most common first (ties by
  /// name); empty without segment names. Customers whose name is missing count in the share's
  /// denominator under no name.
  std::vector<std::pair<std::string, double>> top_segments;
};

struct SegmentProfile {
  std::vector<std::string> feature_names;
  std::string revenue_column;            ///< "" when no revenue was given
  std::vector<ClusterProfile> clusters;  ///< index = cluster label
};

/// Inputs of profile_segments(): all spans have one entry per customer, in the order of labels.
struct ProfileInput {
  std::vector<std::string> feature_names;
  std::vector<std::span<double const>> features;  ///< original units, parallel to feature_names
  std::string revenue_column;                     ///< names `revenue`; "" for none
  std::span<double const> revenue;                ///< empty for none
  /// Per customer, an index into segment_names, or -1 where the name is missing; empty for none.
  std::span<std::int32_t const> segment_codes;
  std::span<std::string const> segment_names;  ///< the distinct segment names
  std::size_t top_segments = 3;                ///< how many segment names to keep per cluster
};

/// Profiles the clusters of `labels` (values in [0, n_clusters)).
SegmentProfile profile_segments(Context const& ctx, ProfileInput const& input,
                                std::span<std::int32_t const> labels, int n_clusters);

}  // namespace cie
