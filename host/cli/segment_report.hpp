// What `cie segment` prints and writes: the segment profile table, the assignments file and
// the one-line descriptions of features and silhouette sampling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "models/metrics/cluster_metrics.hpp"
#include "models/features/feature_pipeline.hpp"
#include "models/segments/kmeans.hpp"
#include "models/segments/segment_profile.hpp"

namespace cie::cli {

/// The per-cluster profile as aligned text: size, share, revenue share, mean / median of each
/// feature in original units, top RFM segments.
std::string format_profile(SegmentProfile const& profile);

/// Writes customer_id,cluster,distance (Euclidean distance to the centroid in the prepared
/// feature space) atomically; `ids`, `x` and `labels` have one entry per customer, in order.
void write_assignments(Context const& ctx, std::string const& path,
                       std::span<std::string const> ids, FeatureMatrix x,
                       std::vector<float> const& centroids,
                       std::vector<std::int32_t> const& labels);

/// "recency_days (log1p), frequency (log1p), z-scored".
std::string describe_features(FeaturePipeline const& pipeline);

/// How the silhouette was computed: exact, or on a seeded sample of how many rows.
std::string describe_silhouette(ClusterMetrics const& metrics, std::size_t rows,
                                std::uint64_t seed);

}  // namespace cie::cli
