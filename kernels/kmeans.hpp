// K-means kernels: Lloyd passes, the distance passes of k-means++ / k-means|| seeding and the
// candidate pass of Hartigan refinement.
//
// The data of one fit stays where the kernels run for the whole fit (a view of the caller's
// arrays on the CPU, a device copy on CUDA, or chunks streamed through the device when the data
// does not fit there: kernels/kmeans_chunked.hpp), so a KMeansWorkspace owns it and every pass
// is a method. Twins: kernels/cpu/kmeans.cpp (OpenMP; SIMD tiles of eight rows against four
// centroids at a time, kernels/cpu/kmeans_tiles.cpp) and kernels/cuda/kmeans.cu (a fused
// assign-and-reduce kernel for small k·d, a cuBLAS GEMM distance path for large k·d). Both use
// the per-element functions of kernels/kmeans_rules.hpp and reduce in batches of
// kKMeansBatchRows rows folded in batch order, so a backend gives the same bits whatever its
// thread count.
//
// Matrices: x is column-major float32 (feature j of row i at x[j * ld + i]); centroids and
// candidate points are row-major (point c, feature j at [c * cols + j]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/context.hpp"
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
/// seeding passes read x once per point or candidate.
///
/// Every result is a fixed function of the batches of kKMeansBatchRows rows: per-row values,
/// per-batch values, or per-batch values folded one batch after the other onto a running total
/// (add_lloyd_pass, add_candidate_potentials). So a pass over rows [0, n) equals, bit for bit,
/// passes over [0, m) then [m, n) for any m that is a multiple of kKMeansBatchRows: this is how
/// data larger than the device streams through in chunks (kernels/kmeans_chunked.hpp).
class KMeansWorkspace {
 public:
  virtual ~KMeansWorkspace() = default;

  [[nodiscard]] virtual std::int64_t rows() const noexcept = 0;
  [[nodiscard]] virtual int cols() const noexcept = 0;
  /// Number of statistics batches: ceil(rows / kKMeansBatchRows).
  [[nodiscard]] std::int64_t batches() const noexcept {
    return (rows() + kKMeansBatchRows - 1) / kKMeansBatchRows;
  }

  /// Points the workspace at other rows with the same cols: `rows` (> 0) rows of host `x`,
  /// column-major with leading dimension `ld` >= rows (feature j of row i at x[j * ld + i]),
  /// and their weights (empty: all 1). The closest column is undefined until reset or set.
  /// CPU: views (x and the weights must outlive the binding); CUDA: copies them to the device.
  virtual void bind(float const* x, std::int64_t ld, std::int64_t rows,
                    std::span<float const> sample_weight) = 0;

  /// Assigns every row to its nearest of the k centroids (ties: lower index) and adds, batch
  /// after batch in batch order, each batch's weighted per-cluster sums, weights and inertia to
  /// `stats` (k × cols sums and k weights; zero for a new pass). `labels` is empty (not wanted)
  /// or has one slot per row.
  virtual void add_lloyd_pass(std::span<float const> centroids, int k,
                              std::span<std::int32_t> labels, KMeansPassStats& stats) = 0;
  /// add_lloyd_pass onto zero statistics.
  KMeansPassStats lloyd_pass(std::span<float const> centroids, int k,
                             std::span<std::int32_t> labels) {
    KMeansPassStats stats;
    stats.sums.assign(static_cast<std::size_t>(k) * cols(), 0.0);
    stats.weights.assign(static_cast<std::size_t>(k), 0.0);
    add_lloyd_pass(centroids, k, labels, stats);
    return stats;
  }

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
  /// Copies the closest column out (rows values) or in (rows values): a streamed chunk's
  /// column waits on the host between its visits.
  virtual void get_closest(std::span<float> closest) = 0;
  virtual void set_closest(std::span<float const> closest) = 0;
  /// For each of the m row-major candidates, adds to potentials[c], batch after batch in batch
  /// order, the batch's sum over rows of sampling_potential(weight, min(closest, distance to the
  /// candidate)). Does not change closest.
  virtual void add_candidate_potentials(std::span<float const> candidates, int m,
                                        std::span<double> potentials) = 0;
  /// add_candidate_potentials onto zeros.
  std::vector<double> candidate_potentials(std::span<float const> candidates, int m) {
    std::vector<double> potentials(static_cast<std::size_t>(m), 0.0);
    add_candidate_potentials(candidates, m, potentials);
    return potentials;
  }
  /// Per batch, the sum in row order of sampling_potential(weight, closest): batches() values.
  virtual std::vector<double> batch_potentials() = 0;
  /// The sampling_potential of each row of batch `batch`, in row order.
  virtual std::vector<double> row_potentials(std::int64_t batch) = 0;
  /// The given rows as row-major points (rows.size() × cols), read from the host x.
  virtual std::vector<float> gather_rows(std::span<std::int64_t const> rows) = 0;
};

/// The given rows of column-major host `x` (leading dimension ld, `cols` features) as row-major
/// points: every workspace's gather_rows, which reads the host copy of its rows.
inline std::vector<float> gather_column_major_rows(float const* x, std::int64_t ld, int cols,
                                                   std::span<std::int64_t const> rows) {
  std::vector<float> points(rows.size() * cols);
  for (std::size_t p = 0; p < rows.size(); ++p) {
    for (int j = 0; j < cols; ++j) points[p * cols + j] = x[j * ld + rows[p]];
  }
  return points;
}

/// How a workspace cuts its rows into chunks that pass through the device one after the other
/// (kernels/kmeans_chunked.hpp).
struct KMeansChunking {
  std::int64_t chunk_rows = 0;       ///< rows per chunk: a positive multiple of kKMeansBatchRows
  std::int64_t resident_chunks = 0;  ///< chunks 0 .. resident_chunks - 1 stay on the device
};

namespace cpu_impl {
/// A CPU workspace bound to (x, ld, rows, sample_weight); see KMeansWorkspace::bind.
std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const& ctx, float const* x,
                                                       std::int64_t ld, std::int64_t rows, int cols,
                                                       std::span<float const> sample_weight);
}  // namespace cpu_impl

namespace cuda_impl {
/// A CUDA workspace holding a device copy of (x, ld, rows, sample_weight).
std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const& ctx, float const* x,
                                                       std::int64_t ld, std::int64_t rows, int cols,
                                                       std::span<float const> sample_weight);
}  // namespace cuda_impl

/// A workspace for column-major `x` (rows × cols, host memory, finite) and `sample_weight`
/// (empty: all 1, else one finite non-negative weight per row) on ctx's device; x and the
/// weights must outlive it. CPU: views. CUDA: one device copy when the rows fit in 80% of the
/// device's free memory (less what one pass needs besides); otherwise the rows stream through in
/// chunks (plan_kmeans_chunks in kernels/kmeans_chunked.hpp, said in one info line), with the
/// same results bit for bit.
std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const& ctx, float const* x,
                                                       std::int64_t rows, int cols,
                                                       std::span<float const> sample_weight);

/// The same workspace with the chunking forced (tests and benchmarks of streaming; on the CPU
/// too, where it changes nothing but the order of the work). Same results bit for bit.
std::unique_ptr<KMeansWorkspace> make_chunked_kmeans_workspace(Context const& ctx, float const* x,
                                                               std::int64_t rows, int cols,
                                                               std::span<float const> sample_weight,
                                                               KMeansChunking chunking);

}  // namespace cie::kernels
