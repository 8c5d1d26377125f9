// The cuBLAS Lloyd pass of the CUDA k-means twin; see kernels/cuda/kmeans_gemm.cuh.
#include <thrust/binary_search.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include <algorithm>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/cublas_check.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/kmeans_gemm.cuh"
#include "kernels/cuda/thrust_support.cuh"
#include "kernels/kmeans_rules.hpp"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::copy_to_device;
using cuda_detail::cublas_check;
using cuda_detail::grid_for;
using cuda_detail::raw;

constexpr int kThreads = 256;

__global__ void row_norms_kernel(float const* x, std::int64_t rows, int cols, float* norms) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    float norm = 0.0f;
    for (int j = 0; j < cols; ++j) norm = add_squared_difference(norm, x[j * rows + i], 0.0f);
    norms[i] = norm;
  }
}

/// Labels and distances of rows r0 .. r0+tile from dots (tile × k column-major, x·c): the
/// expanded distances pick the candidates, the shared rule decides (nearest_from_expanded), so
/// both equal nearest_centroid's whatever order cuBLAS summed in.
__global__ void nearest_from_dots_kernel(float const* dots, std::int64_t tile, std::int64_t r0,
                                         float const* x, std::int64_t rows, int cols,
                                         float const* centroids, float const* row_norms,
                                         float const* centroid_norms, float max_centroid_norm,
                                         int k, std::int32_t* labels, float* distances) {
  for (std::int64_t r = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; r < tile;
       r += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int64_t const row = r0 + r;
    float const norm = row_norms[row];
    auto const approximate = [&](int c) {
      return fmaxf(0.0f, norm - 2.0f * dots[c * tile + r] + centroid_norms[c]);
    };
    auto const exact = [&](int c) {
      return squared_distance(x, rows, row, centroids + c * cols, cols);
    };
    Nearest const nearest =
        nearest_from_expanded(k, norm, max_centroid_norm, cols, approximate, exact);
    labels[row] = nearest.cluster;
    distances[row] = nearest.distance;
  }
}

/// keys[i - begin] = (batch of row i - first_batch) × k + its label, for rows begin .. end - 1:
/// sorting by key groups the rows by batch, then cluster.
__global__ void batch_cluster_keys_kernel(std::int32_t const* labels, std::int64_t begin,
                                          std::int64_t end, std::int64_t first_batch, int k,
                                          std::int64_t* keys) {
  for (std::int64_t i = begin + blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < end; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    keys[i - begin] = (i / kKMeansBatchRows - first_batch) * k + labels[i];
  }
}

/// One block per (batch b, cluster c) segment sums its rows (order[offsets[s] .. offsets[s+1]),
/// s = b × k + c, ascending row numbers) in a fixed order: the cols feature sums and the weight
/// into batch_partials at b × stride + c × (cols + 1), the inertia into segment_inertia[s].
__global__ void segment_sums_kernel(float const* x, std::int64_t rows, int cols, int k,
                                    float const* weight, float const* distances,
                                    std::int64_t const* order, std::int64_t const* offsets,
                                    int stride, double* batch_partials, double* segment_inertia) {
  __shared__ cuda_detail::BlockSumStorage<kThreads> storage;
  std::int64_t const segment = blockIdx.x;
  std::int64_t const batch = segment / k;
  int const c = static_cast<int>(segment % k);
  for (int e = 0; e < cols + 2; ++e) {
    double sum = 0.0;
    for (std::int64_t p = offsets[segment] + threadIdx.x; p < offsets[segment + 1]; p += kThreads) {
      std::int64_t const row = order[p];
      double const w = weight != nullptr ? weight[row] : 1.0f;
      sum += e < cols ? w * x[e * rows + row] : (e == cols ? w : w * distances[row]);
    }
    double const total = cuda_detail::block_sum<kThreads>(sum, storage);
    if (threadIdx.x == 0) {
      if (e <= cols) {
        batch_partials[batch * stride + c * (cols + 1) + e] = total;
      } else {
        segment_inertia[segment] = total;
      }
    }
    __syncthreads();  // the storage is reused by the next entry
  }
}

/// The inertia entry of each batch: its clusters' inertias summed in cluster order.
__global__ void batch_inertia_kernel(double const* segment_inertia, std::int64_t batches, int k,
                                     int stride, double* batch_partials) {
  for (std::int64_t b = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       b < batches; b += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    double sum = 0.0;
    for (int c = 0; c < k; ++c) sum += segment_inertia[b * k + c];
    batch_partials[b * stride + stride - 1] = sum;
  }
}

}  // namespace

GemmLloydPass::GemmLloydPass(cudaStream_t stream, int cols) : stream_(stream), cols_(cols) {}

GemmLloydPass::~GemmLloydPass() {
  if (cublas_ != nullptr) (void)cublasDestroy(cublas_);  // nothing to do about a failure here
}

void GemmLloydPass::bind(float const* x, std::int64_t rows, float const* weight) {
  x_ = x;
  rows_ = rows;
  weight_ = weight;
  row_norms_.clear();  // recomputed for the new rows by the next set_centroids
}

void GemmLloydPass::set_centroids(std::span<float const> centroids, float const* device_centroids,
                                  int k) {
  if (cublas_ == nullptr) {
    cublas_check(cublasCreate(&cublas_), "cublasCreate");
    cublas_check(cublasSetStream(cublas_, stream_), "cublasSetStream");
    // Plain FP32 arithmetic whatever the environment asks for (no TF32 or emulation), so the
    // dot products keep the error bound nearest_from_expanded's slack assumes.
    cublas_check(cublasSetMathMode(cublas_, CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");
  }
  if (row_norms_.empty()) {
    row_norms_.resize(static_cast<std::size_t>(rows_));
    distances_.resize(static_cast<std::size_t>(rows_));
    CIE_LAUNCH(row_norms_kernel, grid_for(rows_, kThreads), kThreads, 0, stream_)
    (x_, rows_, cols_, raw(row_norms_));
    CIE_CUDA_CHECK_LAUNCH();
  }
  std::vector<float> norms(static_cast<std::size_t>(k), 0.0f);
  for (int c = 0; c < k; ++c) {
    for (int j = 0; j < cols_; ++j) {
      norms[c] = add_squared_difference(norms[c], centroids[c * cols_ + j], 0.0f);
    }
  }
  centroid_norms_.resize(norms.size());
  copy_to_device(stream_, norms.data(), norms.size(), raw(centroid_norms_));
  max_centroid_norm_ = *std::max_element(norms.begin(), norms.end());
  k_ = k;
  device_centroids_ = device_centroids;
}

void GemmLloydPass::run_batches(std::int64_t first_batch, std::int64_t batch_count,
                                std::int32_t* labels, double* batch_partials) {
  int const k = k_;
  std::int64_t const begin = first_batch * kKMeansBatchRows;
  std::int64_t const end = std::min(rows_, (first_batch + batch_count) * kKMeansBatchRows);
  std::int64_t const n = end - begin;

  // Tiles keep the tile × k matrix of dot products within 256 MiB.
  std::int64_t const tile_rows = std::min(n, std::max<std::int64_t>(1024, (1 << 26) / k));
  dots_.resize(static_cast<std::size_t>(tile_rows) * k);
  float const one = 1.0f;
  float const zero = 0.0f;
  for (std::int64_t r0 = begin; r0 < end; r0 += tile_rows) {
    std::int64_t const tile = std::min(tile_rows, end - r0);
    // 64-bit sizes: lda is the workspace's row count, which may exceed INT_MAX.
    cublas_check(cublasSgemm_64(cublas_, CUBLAS_OP_N, CUBLAS_OP_N, tile, k, cols_, &one, x_ + r0,
                                rows_, device_centroids_, cols_, &zero, raw(dots_), tile),
                 "cublasSgemm_64");
    CIE_LAUNCH(nearest_from_dots_kernel, grid_for(tile, kThreads), kThreads, 0, stream_)
    (raw(dots_), tile, r0, x_, rows_, cols_, device_centroids_, raw(row_norms_),
     raw(centroid_norms_), max_centroid_norm_, k, labels, raw(distances_));
    CIE_CUDA_CHECK_LAUNCH();
  }

  // Rows grouped by (batch, cluster), ascending within a group, and the groups' bounds.
  auto const exec = cuda_detail::policy_on(stream_);
  std::int64_t const segments = batch_count * k;
  keys_.resize(static_cast<std::size_t>(n));
  CIE_LAUNCH(batch_cluster_keys_kernel, grid_for(n, kThreads), kThreads, 0, stream_)
  (labels, begin, end, first_batch, k, raw(keys_));
  CIE_CUDA_CHECK_LAUNCH();
  order_.resize(static_cast<std::size_t>(n));
  thrust::sequence(exec, order_.begin(), order_.end(), begin);
  thrust::stable_sort_by_key(exec, keys_.begin(), keys_.end(), order_.begin());
  offsets_.resize(static_cast<std::size_t>(segments) + 1);
  thrust::lower_bound(exec, keys_.begin(), keys_.end(), thrust::counting_iterator<std::int64_t>(0),
                      thrust::counting_iterator<std::int64_t>(segments + 1), offsets_.begin());

  int const stride = k * (cols_ + 1) + 1;
  segment_inertia_.resize(static_cast<std::size_t>(segments));
  CIE_LAUNCH(segment_sums_kernel, static_cast<unsigned>(segments), kThreads, 0, stream_)
  (x_, rows_, cols_, k, weight_, raw(distances_), raw(order_), raw(offsets_), stride,
   batch_partials, raw(segment_inertia_));
  CIE_CUDA_CHECK_LAUNCH();
  CIE_LAUNCH(batch_inertia_kernel, grid_for(batch_count, kThreads), kThreads, 0, stream_)
  (raw(segment_inertia_), batch_count, k, stride, batch_partials);
  CIE_CUDA_CHECK_LAUNCH();
}

}  // namespace cie::kernels::cuda_impl
