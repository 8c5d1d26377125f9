// The device part of the CUDA k-means workspace's Lloyd pass (internal to kernels/cuda/kmeans*.cu):
// the fused kernel for small k·d, and the batch folding that both Lloyd paths share (the cuBLAS
// path of kernels/cuda/kmeans_gemm.cuh writes its batch partials in the same layout).
//
// Entry layout of one partial (stride = k·(cols + 1) + 1 doubles): cluster c's weighted feature
// sums at c·(cols + 1) .. +cols - 1, its weight at c·(cols + 1) + cols, the weighted inertia last.
// No atomics anywhere: every sum runs in a fixed order, so the result does not depend on
// scheduling, and a pass over a chunk of whole batches continues the fold of the chunk before it
// (kernels/kmeans_chunked.hpp).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace cie::kernels::cuda_impl {

/// Whether the fused kernel can run for k centroids of cols features: its per-warp accumulators
/// and the centroids fit in 48 KiB of shared memory. Otherwise the cuBLAS path runs.
bool fused_lloyd_fits(int k, int cols);

/// The number of block partials the fused kernel writes for `rows` rows.
std::int64_t fused_lloyd_blocks(std::int64_t rows);

/// The fused kernel over column-major device `x` (rows × cols) with device `weight` (null: all
/// 1) and device `centroids` (k × cols, row-major): each row's nearest centroid by the shared
/// rule (written to device `labels` unless null) and one partial per block of rows, in
/// `block_partials` (fused_lloyd_blocks(rows) × stride). Each block keeps the centroids in shared
/// memory, reads x once (coalesced: a warp's lanes take consecutive rows), and reduces with
/// fixed-order warp shuffles into per-warp accumulators, folded in warp order.
void fused_lloyd_block_partials(cudaStream_t stream, float const* x, std::int64_t rows, int cols,
                                float const* weight, float const* centroids, int k,
                                std::int32_t* labels, double* block_partials);

/// batch_partials[(b - first_batch) · stride + e] = the sum in block order of the block partials
/// of batch b (kKMeansBatchRows rows), for batches first_batch .. first_batch + batch_count - 1.
void sum_block_partials(cudaStream_t stream, double const* block_partials, std::int64_t blocks,
                        int stride, std::int64_t first_batch, std::int64_t batch_count,
                        double* batch_partials);

/// running[e] += batch_partials[b · stride + e] for b = 0 .. batches - 1 in batch order, as the
/// CPU twin folds its batches (one thread per entry).
void fold_batch_partials(cudaStream_t stream, double const* batch_partials, std::int64_t batches,
                         int stride, double* running);

}  // namespace cie::kernels::cuda_impl
