// The large-k·d Lloyd pass of the CUDA k-means twin (internal to kernels/cuda/kmeans*.cu), used
// when the fused kernel's per-cluster accumulators no longer fit in shared memory.
//
// Distances by cuBLAS, ||x||² - 2 x·c + ||c||² per tile of rows (SGEMM), argmin per row; then
// rows are stably sorted by cluster and one block per cluster sums its rows in a fixed order
// (CUB's block reduction: a fixed tree for a fixed block size). No atomics, so the result does
// not depend on scheduling. Its distances differ from the shared rule's in the last bits (a
// different formula), so ties may break differently from the CPU twin; assignments agree
// otherwise.
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
  /// Views of the workspace's device arrays: column-major x (rows × cols) and the weights
  /// (null: all 1); they must outlive this object.
  GemmLloydPass(cudaStream_t stream, float const* x, std::int64_t rows, int cols,
                float const* weight);
  ~GemmLloydPass();
  GemmLloydPass(GemmLloydPass const&) = delete;
  GemmLloydPass& operator=(GemmLloydPass const&) = delete;

  /// Assigns every row to its nearest of the k centroids (`centroids` on the host,
  /// `device_centroids` the same values on the device), writes the labels to device `labels`
  /// (rows values) and returns, per cluster c, cols + 2 doubles at c × (cols + 2): the weighted
  /// feature sums, the weight, the weighted inertia.
  std::vector<double> run(std::span<float const> centroids, float const* device_centroids, int k,
                          std::int32_t* labels);

 private:
  cudaStream_t stream_;
  float const* x_;
  std::int64_t rows_;
  int cols_;
  float const* weight_;
  cublasHandle_t cublas_ = nullptr;
  thrust::device_vector<float> row_norms_;
  thrust::device_vector<float> distances_;
};

}  // namespace cie::kernels::cuda_impl
