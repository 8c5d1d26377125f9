// Lloyd pass kernels of the CUDA k-means twin; see kernels/cuda/kmeans_lloyd.cuh.
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/kmeans_lloyd.cuh"
#include "kernels/cuda/thrust_support.cuh"
#include "kernels/kmeans.hpp"
#include "kernels/kmeans_rules.hpp"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::grid_for;

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kRowsPerThread = 8;
constexpr std::int64_t kRowsPerBlock = std::int64_t{kThreads} * kRowsPerThread;
constexpr std::size_t kSharedBytes = 48 * 1024;
constexpr std::int64_t kBlocksPerBatch = kKMeansBatchRows / kRowsPerBlock;
static_assert(kKMeansBatchRows % kRowsPerBlock == 0);

/// Lane 0 receives the sum of v over the warp; the shuffle tree is fixed, so is the result.
__device__ double warp_sum(double v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

/// Entry layout of one partial: cluster c's feature sums at c*(cols+1) .. +cols-1, its weight
/// at c*(cols+1)+cols, the inertia last.
__global__ void fused_lloyd_kernel(float const* x, std::int64_t rows, int cols, float const* weight,
                                   float const* centroids, int k, std::int32_t* labels,
                                   double* block_partials) {
  CIE_DYNAMIC_SHARED(double, shared);
  int const stride = k * (cols + 1) + 1;
  double* warp_acc = shared + (threadIdx.x / 32) * stride;
  float* shared_centroids = reinterpret_cast<float*>(shared + kWarps * stride);
  for (int i = threadIdx.x; i < kWarps * stride; i += blockDim.x) shared[i] = 0.0;
  for (int i = threadIdx.x; i < k * cols; i += blockDim.x) shared_centroids[i] = centroids[i];
  __syncthreads();

  int const lane = threadIdx.x % 32;
  double inertia = 0.0;
  std::int64_t const first = blockIdx.x * kRowsPerBlock;
  for (int step = 0; step < kRowsPerThread; ++step) {
    std::int64_t const row = first + step * kThreads + threadIdx.x;
    int cluster = -1;
    double w = 0.0;
    if (row < rows) {
      Nearest const nearest = nearest_centroid(x, rows, row, shared_centroids, k, cols);
      cluster = nearest.cluster;
      w = weight != nullptr ? weight[row] : 1.0f;
      inertia += w * nearest.distance;
      if (labels != nullptr) labels[row] = cluster;
    }
    for (int c = 0; c < k; ++c) {
      if (__ballot_sync(0xffffffffu, cluster == c) == 0) continue;
      bool const mine = cluster == c;
      double* cluster_acc = warp_acc + c * (cols + 1);
      for (int j = 0; j < cols; ++j) {
        double const total = warp_sum(mine ? w * x[j * rows + row] : 0.0);
        if (lane == 0) cluster_acc[j] += total;
      }
      double const total_weight = warp_sum(mine ? w : 0.0);
      if (lane == 0) cluster_acc[cols] += total_weight;
    }
  }
  double const total_inertia = warp_sum(inertia);
  if (lane == 0) warp_acc[stride - 1] += total_inertia;
  __syncthreads();
  for (int e = threadIdx.x; e < stride; e += blockDim.x) {
    double sum = 0.0;
    for (int w = 0; w < kWarps; ++w) sum += shared[w * stride + e];
    block_partials[blockIdx.x * static_cast<std::int64_t>(stride) + e] = sum;
  }
}

/// batch_partials[(b - first_batch) * stride + e] = sum over the blocks of batch b, in block
/// order, of block_partials[block * stride + e], for batches first_batch .. first_batch +
/// batch_count - 1; one thread per (batch, entry).
__global__ void batch_partials_kernel(double const* block_partials, std::int64_t blocks, int stride,
                                      std::int64_t first_batch, std::int64_t batch_count,
                                      double* batch_partials) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < batch_count * stride; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int64_t const batch = first_batch + i / stride;
    std::int64_t const e = i % stride;
    std::int64_t const first = batch * kBlocksPerBatch;
    std::int64_t const last = first + kBlocksPerBatch < blocks ? first + kBlocksPerBatch : blocks;
    double sum = 0.0;
    for (std::int64_t block = first; block < last; ++block) {
      sum += block_partials[block * stride + e];
    }
    batch_partials[i] = sum;
  }
}

/// running[e] += batch_partials[b * stride + e] for b = 0, 1, ... in batch order; one thread per
/// entry, as the CPU twin folds its batches.
__global__ void fold_batches_kernel(double const* batch_partials, std::int64_t batches, int stride,
                                    double* running) {
  for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < stride; e += gridDim.x * blockDim.x) {
    double sum = running[e];
#pragma unroll 8
    for (std::int64_t b = 0; b < batches; ++b) sum += batch_partials[b * stride + e];
    running[e] = sum;
  }
}

std::size_t fused_shared_bytes(int k, int cols) {
  std::size_t const stride = static_cast<std::size_t>(k) * (cols + 1) + 1;
  return sizeof(double) * kWarps * stride + sizeof(float) * static_cast<std::size_t>(k) * cols;
}

}  // namespace

bool fused_lloyd_fits(int k, int cols) { return fused_shared_bytes(k, cols) <= kSharedBytes; }

std::int64_t fused_lloyd_blocks(std::int64_t rows) {
  return (rows + kRowsPerBlock - 1) / kRowsPerBlock;
}

void fused_lloyd_block_partials(cudaStream_t stream, float const* x, std::int64_t rows, int cols,
                                float const* weight, float const* centroids, int k,
                                std::int32_t* labels, double* block_partials) {
  CIE_LAUNCH(fused_lloyd_kernel, static_cast<unsigned>(fused_lloyd_blocks(rows)), kThreads,
             fused_shared_bytes(k, cols), stream)
  (x, rows, cols, weight, centroids, k, labels, block_partials);
  CIE_CUDA_CHECK_LAUNCH();
}

void sum_block_partials(cudaStream_t stream, double const* block_partials, std::int64_t blocks,
                        int stride, std::int64_t first_batch, std::int64_t batch_count,
                        double* batch_partials) {
  CIE_LAUNCH(batch_partials_kernel, grid_for(batch_count * stride, kThreads), kThreads, 0, stream)
  (block_partials, blocks, stride, first_batch, batch_count, batch_partials);
  CIE_CUDA_CHECK_LAUNCH();
}

void fold_batch_partials(cudaStream_t stream, double const* batch_partials, std::int64_t batches,
                         int stride, double* running) {
  CIE_LAUNCH(fold_batches_kernel, grid_for(stride, kThreads), kThreads, 0, stream)
  (batch_partials, batches, stride, running);
  CIE_CUDA_CHECK_LAUNCH();
}

}  // namespace cie::kernels::cuda_impl
