// K-means kernels: Lloyd passes, the distance passes of k-means++ / k-means|| seeding and the
// candidate pass of Hartigan refinement.
//
// The data of one fit stays where the kernels run for the whole fit (a view of the caller's
// arrays on the CPU, a device copy on CUDA), so a KMeansWorkspace owns it and every pass is a
// method. Twins: kernels/cpu/kmeans.cpp (OpenMP; SIMD tiles of eight rows against four
// centroids at a time, kernels/cpu/kmeans_tiles.cpp) and kernels/cuda/kmeans.cu (a fused
// assign-and-reduce kernel for small k·d, a cuBLAS GEMM distance path for large k·d). Both use
// the per-element functions of kernels/kmeans_rules.hpp and reduce in batches of
// kKMeansBatchRows rows folded in batch order, so a backend gives the same bits whatever its
// thread count.
//
// Matrices: x is column-major float32 (feature j of row i at x[j * rows + i]); centroids and
// candidate points are row-major (point c, feature j at [c * cols + j]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "host/context.hpp"
#include "kernels/kmeans_rules.hpp"

namespace cie::kernels {

/// Sufficient statistics of one Lloyd pass.
struct KMeansPassStats {
  std::vector<double> sums;     ///< k × cols row-major: weighted sum of the rows of each cluster
  std::vector<double> weights;  ///< k: total weight (row count when unweighted) of each cluster
  double inertia = 0.0;         ///< sum over rows of weight × squared distance to the nearest
};

/// One fit's data on its device, plus the "closest distance" column used by D² seeding
/// (closest[i]: squared distance from row i to the nearest centroid chosen so far).
///
/// Costs: lloyd_pass and nearest_distances read x once (O(rows × k × cols) flops); the
/// seeding passes read x once per point or candidate. Per-batch sums are taken in row order
/// and folded in batch order, so closest-distance potentials are identical across twins when
/// distances are.
class KMeansWorkspace {
 public:
  virtual ~KMeansWorkspace() = default;

  [[nodiscard]] virtual std::int64_t rows() const noexcept = 0;
  [[nodiscard]] virtual int cols() const noexcept = 0;
  /// Number of statistics batches: ceil(rows / kKMeansBatchRows).
  [[nodiscard]] std::int64_t batches() const noexcept {
    return (rows() + kKMeansBatchRows - 1) / kKMeansBatchRows;
  }

  /// Assigns every row to its nearest of the k centroids (ties: lower index) and returns the
  /// weighted per-cluster sums, weights and inertia. `labels` is empty (not wanted) or has one
  /// slot per row.
  virtual KMeansPassStats lloyd_pass(std::span<float const> centroids, int k,
                                     std::span<std::int32_t> labels) = 0;

  /// The rows, ascending, for which hartigan_target (with the float distances of the shared
  /// rule to the k `centroids`, the clusters' total weights `cluster_weights` and the row's
  /// cluster labels[i]) finds a move that lowers the inertia. One pass over x, O(rows × k × cols).
  virtual std::vector<std::int64_t> hartigan_candidates(std::span<float const> centroids, int k,
                                                        std::span<double const> cluster_weights,
                                                        std::span<std::int32_t const> labels) = 0;

  /// distances[i] = squared distance from row i to its nearest centroid (unweighted).
  virtual void nearest_distances(std::span<float const> centroids, int k,
                                 std::span<float> distances) = 0;

  /// Sets closest[i] = 1 for every row, so that the next draws follow the sample weights alone.
  virtual void reset_closest() = 0;
  /// closest[i] = min(closest[i], squared distances from row i to the m row-major `points`);
  /// when `replace`, the old closest[i] is ignored. One pass for all m points.
  virtual void update_closest(std::span<float const> points, int m, bool replace) = 0;
  /// For each of the m row-major candidates: sum over rows of
  /// sampling_potential(weight, min(closest, distance to the candidate)). Does not change closest.
  virtual std::vector<double> candidate_potentials(std::span<float const> candidates, int m) = 0;
  /// Per batch, the sum in row order of sampling_potential(weight, closest): batches() values.
  virtual std::vector<double> batch_potentials() = 0;
  /// The sampling_potential of each row of batch `batch`, in row order.
  virtual std::vector<double> row_potentials(std::int64_t batch) = 0;
  /// The given rows as row-major points (rows.size() × cols).
  virtual std::vector<float> gather_rows(std::span<std::int64_t const> rows) = 0;
};

namespace cpu_impl {
std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const& ctx, float const* x,
                                                       std::int64_t rows, int cols,
                                                       std::span<float const> sample_weight);
}  // namespace cpu_impl

namespace cuda_impl {
std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const& ctx, float const* x,
                                                       std::int64_t rows, int cols,
                                                       std::span<float const> sample_weight);
}  // namespace cuda_impl

/// A workspace for column-major `x` (rows × cols, host memory, finite) and `sample_weight`
/// (empty: all 1, else one finite non-negative weight per row) on ctx's device. The CPU
/// workspace keeps views: x and the weights must outlive it. The CUDA one copies them once.
inline std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const& ctx, float const* x,
                                                              std::int64_t rows, int cols,
                                                              std::span<float const> sample_weight) {
  return ctx.is_cuda() ? cuda_impl::make_kmeans_workspace(ctx, x, rows, cols, sample_weight)
                       : cpu_impl::make_kmeans_workspace(ctx, x, rows, cols, sample_weight);
}

}  // namespace cie::kernels
