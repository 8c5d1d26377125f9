// What `cie segment` prints and writes: the segment profile table, the assignments file and
// the one-line descriptions of features and silhouette sampling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "models/features/feature_pipeline.hpp"
#include "models/metrics/cluster_metrics.hpp"
#include "models/segments/k_selection.hpp"
#include "models/segments/kmeans.hpp"
#include "models/segments/segment_profile.hpp"

namespace cie::cli {

/// The per-cluster profile as aligned text: size, share, revenue share, mean / median of each
/// feature in original units, top RFM segments, then each cluster's name (`names`, per id).
std::string format_profile(SegmentProfile const& profile, std::vector<std::string> const& names);

/// Writes customer_id,cluster,cluster_name,distance (Euclidean distance to the centroid in the
/// prepared feature space) atomically; `ids`, `x` and `labels` have one entry per customer, in
/// order; `names` one per cluster id.
void write_assignments(Context const& ctx, std::string const& path,
                       std::span<std::string const> ids, FeatureMatrix x,
                       std::vector<float> const& centroids, std::vector<std::int32_t> const& labels,
                       std::vector<std::string> const& names);

/// Each rule's k, side by side, with the rule in words (select), one line per rule.
std::string format_selection_rules(std::vector<KSelectionChoice> const& choices,
                                   std::vector<int> const& ks, int min_k, int gap_references,
                                   std::uint64_t seed);

/// The final "recommended k = ..." line, by `rule`.
std::string format_recommendation(std::vector<KSelectionChoice> const& choices,
                                  std::vector<int> const& ks, KSelectionRule rule);

/// "recency_days (log1p), frequency (log1p), z-scored".
std::string describe_features(FeaturePipeline const& pipeline);

/// How the silhouette was computed: exact, or on a seeded sample of how many rows.
std::string describe_silhouette(ClusterMetrics const& metrics, std::size_t rows,
                                std::uint64_t seed);

}  // namespace cie::cli
