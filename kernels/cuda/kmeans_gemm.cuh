// The large-k·d Lloyd pass of the CUDA k-means twin (internal to kernels/cuda/kmeans*.cu), used
// when the fused kernel's per-cluster accumulators no longer fit in shared memory.
//
// Distances by cuBLAS, ||x||² - 2 x·c + ||c||² per tile of rows (SGEMM); these only shortlist
// each row's candidates, and the shared rule decides among them (nearest_from_expanded in
// kernels/kmeans_rules.hpp), so labels and distances equal the fused kernel's and the CPU
// twin's, ties included, whatever order cuBLAS sums in for a given shape. Then rows are stably
// sorted by (batch of kKMeansBatchRows rows, cluster) and one block per batch and cluster sums
// its rows in a fixed order (block_sum, kernels/cuda/block_reduce.cuh: a fixed tree for a fixed
// block size), giving per-batch partials in the fused kernel's layout (not its bits: the orders
// of the sums differ). No atomics, so the result does not depend on scheduling. The workspace
// asks for the batches in waves, so the partials stay within a fixed size whatever k.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <thrust/device_vector.h>

#include <cstdint>
#include <span>
#include <vector>

namespace cie::kernels::cuda_impl {

class GemmLloydPass {
 public:
  GemmLloydPass(cudaStream_t stream, int cols);
  ~GemmLloydPass();
  GemmLloydPass(GemmLloydPass const&) = delete;
  GemmLloydPass& operator=(GemmLloydPass const&) = delete;

  /// Views of the workspace's device arrays: column-major x (rows × cols, leading dimension
  /// rows) and the weights (null: all 1); they must stay valid until the next bind.
  void bind(float const* x, std::int64_t rows, float const* weight);

  /// The k centroids of the next run_batches calls: `centroids` on the host, `device_centroids`
  /// the same values on the device (kept as a view until the next set_centroids).
  void set_centroids(std::span<float const> centroids, float const* device_centroids, int k);

  /// For the rows of batches first_batch .. first_batch + batch_count - 1 (of kKMeansBatchRows
  /// rows): assigns each row to its nearest centroid, writing device `labels` (indexed by row),
  /// and writes per batch b, k × (cols + 1) + 1 doubles at (b - first_batch) × (k × (cols + 1) +
  /// 1) of device `batch_partials`: per cluster c the weighted feature sums and the weight at
  /// c × (cols + 1), then the weighted inertia (summed in cluster order).
  void run_batches(std::int64_t first_batch, std::int64_t batch_count, std::int32_t* labels,
                   double* batch_partials);

 private:
  cudaStream_t stream_;
  int cols_;
  float const* x_ = nullptr;
  std::int64_t rows_ = 0;
  float const* weight_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  int k_ = 0;
  float const* device_centroids_ = nullptr;
  float max_centroid_norm_ = 0.0f;
  // Reused from pass to pass (a resize within the capacity allocates nothing).
  thrust::device_vector<float> row_norms_;  // rows; empty until the first run after a bind
  thrust::device_vector<float> distances_;  // rows
  thrust::device_vector<float> centroid_norms_;
  thrust::device_vector<float> dots_;  // tile × k
  thrust::device_vector<std::int64_t> keys_;
  thrust::device_vector<std::int64_t> order_;
  thrust::device_vector<std::int64_t> offsets_;
  thrust::device_vector<double> segment_inertia_;
};

}  // namespace cie::kernels::cuda_impl
