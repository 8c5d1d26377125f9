// Stable cluster ids across retrains: tonight's k-means clusters are matched to the previous
// model's by a minimum-cost assignment of centroids (Hungarian algorithm), and keep the matched
// clusters' ids, so "cluster 2" means the same customers night after night.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/segments/segment_model.hpp"

namespace cie {

/// How a retrained model's clusters map onto the previous model's.
struct ClusterMatch {
  /// Per fitted cluster of the new model: the id it is published under (a permutation of
  /// 0..k-1).
  std::vector<std::int32_t> new_id;
  /// Per fitted cluster: the previous model's id it was matched to, or -1 (a new cluster).
  std::vector<std::int32_t> previous_id;
  /// Per fitted cluster: the Euclidean distance to its matched previous centroid in the new
  /// model's prepared space (0 for a new cluster).
  std::vector<double> distance;
  /// Previous ids that no new cluster matched (gone), ascending.
  std::vector<std::int32_t> gone;
};

/// The square cost matrix's minimum-cost assignment: assignment[row] = column. O(n^3).
std::vector<std::int32_t> min_cost_assignment(std::vector<double> const& cost, std::size_t n);

/// Matches `current`'s clusters to `previous`'s. The previous centroids are carried into
/// `current`'s prepared space through both pipelines' scalers (prepared = (transformed - mean) /
/// scale), then the assignment minimising the total squared distance is found; with different
/// cluster counts the extra clusters are new (k grew) or gone (k shrank). A matched cluster keeps
/// its previous id when that id is below current's k; every other cluster takes the smallest
/// unused ids in fitted order. nullopt, with `why` set, when the two models do not have the same
/// features, transforms and standardization (their spaces cannot be compared).
std::optional<ClusterMatch> match_clusters(SegmentModel const& previous,
                                           SegmentModel const& current, std::string& why);

/// `model` with its centroids and names reordered so that fitted cluster c has id new_id[c].
SegmentModel relabel(SegmentModel const& model, std::vector<std::int32_t> const& new_id);

}  // namespace cie
