// The large-k·d Lloyd pass of the CUDA k-means twin (internal to kernels/cuda/kmeans*.cu), used
// when the fused kernel's per-cluster accumulators no longer fit in shared memory.
//
// Distances by cuBLAS, ||x||² - 2 x·c + ||c||² per tile of rows (SGEMM); these only shortlist
// each row's candidates, and the shared rule decides among them (nearest_from_expanded in
// kernels/kmeans_rules.hpp), so labels and distances equal the fused kernel's and the CPU
// twin's, ties included, whatever order cuBLAS sums in for a given shape. Then rows are stably
// sorted by (batch of kKMeansBatchRows rows, cluster) and one block per batch and cluster sums
// its rows in a fixed order (CUB's block reduction: a fixed tree for a fixed block size), giving
// the same per-batch partials as the fused kernel. No atomics, so the result does not depend on
// scheduling.
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

  /// Assigns every row to its nearest of the k centroids (`centroids` on the host,
  /// `device_centroids` the same values on the device), writes the labels to device `labels`
  /// (rows values) and, per batch b of kKMeansBatchRows rows, k × (cols + 1) + 1 doubles at
  /// b × (k × (cols + 1) + 1) of device `batch_partials`: per cluster c the weighted feature
  /// sums and the weight at c × (cols + 1), then the weighted inertia (summed in cluster order).
  void run(std::span<float const> centroids, float const* device_centroids, int k,
           std::int32_t* labels, double* batch_partials);

 private:
  cudaStream_t stream_;
  int cols_;
  float const* x_ = nullptr;
  std::int64_t rows_ = 0;
  float const* weight_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  thrust::device_vector<float> row_norms_;
  thrust::device_vector<float> distances_;
};

}  // namespace cie::kernels::cuda_impl
