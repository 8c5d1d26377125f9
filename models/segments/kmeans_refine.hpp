// Hartigan refinement of a Lloyd solution (internal to models/segments/kmeans.cpp).
//
// Lloyd stops where every row is nearest to its own centroid, but such a partition may still
// be improved by moving one row: the move also shifts both centroids, which the nearest-centroid
// rule ignores. Hartigan's rule (kernels::hartigan_target) prices that move exactly, so every
// partition it leaves alone is also a Lloyd fixed point, while many Lloyd fixed points are not
// Hartigan-stable (Telgarsky and Vattani, 2010). On real data with overlapping groups this finds
// lower inertia from the same start.
//
// Each pass: the workspace lists the candidate rows in parallel (float distances to the float
// centroids, on the fit's device); the host takes them in row order and re-tests each against
// double-precision centroids of the current sums, which every accepted move updates, so a
// candidate that no longer pays is skipped. The result is a fixed function of the data and the
// starting partition (no dependence on threads). Stops after a pass that moves nothing or whose
// moves shift the centroids by no more than Lloyd's tolerance (sum of squared shifts), so on
// large data, where single rows barely move a centroid, it ends after a pass or two.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/kmeans.hpp"

namespace cie::kmeans_detail {

struct RefineOutcome {
  int passes = 0;          ///< candidate passes run
  std::int64_t moves = 0;  ///< rows moved
  bool converged = false;  ///< the last pass moved nothing or met the tolerance
};

/// Refines the partition `labels` (one per row of the workspace) whose per-cluster sums and
/// weights are `stats` (as a Lloyd pass that produced `labels` returns them); both are updated
/// in place. `weight` is empty (all 1) or the workspace's sample weights. `centroids` (k × cols)
/// comes in as the run's centroids (kept for a cluster with no weight) and, when a row moved,
/// goes out as the float means of the refined sums. At most `max_passes` passes; `tolerance` is the
/// fit's absolute tolerance on the sum of squared centroid shifts.
RefineOutcome hartigan_refine(kernels::KMeansWorkspace& workspace, std::span<float const> weight,
                              std::span<float> centroids, int k, kernels::KMeansPassStats& stats,
                              std::span<std::int32_t> labels, int max_passes, double tolerance);

}  // namespace cie::kmeans_detail
