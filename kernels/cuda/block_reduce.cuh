// block_sum: a deterministic sum over a one-dimensional block, for the CUDA twins (and the CUDA
// emulation, which has no CUB): each warp folds its lanes with a fixed shuffle tree, then thread
// 0 adds the warp totals in warp order. The same bits for the same inputs on every run.
#pragma once

#include <cuda_runtime.h>

namespace cie::kernels::cuda_detail {

/// Shared memory block_sum needs for a block of Threads threads.
template <int Threads>
struct BlockSumStorage {
  static_assert(Threads % 32 == 0 && Threads <= 1024, "a whole number of warps, at most 1024");
  double warp_totals[Threads / 32];
};

/// The sum of `value` over the block's Threads threads, valid in thread 0 (others get 0). Every
/// thread of the block must call it; `storage` (shared) may be reused after a __syncthreads.
template <int Threads>
__device__ double block_sum(double value, BlockSumStorage<Threads>& storage) {
  for (int offset = 16; offset > 0; offset /= 2) {
    value += __shfl_down_sync(0xffffffffu, value, offset);
  }
  if (threadIdx.x % 32 == 0) storage.warp_totals[threadIdx.x / 32] = value;
  __syncthreads();
  double total = 0.0;
  if (threadIdx.x == 0) {
    for (int warp = 0; warp < Threads / 32; ++warp) total += storage.warp_totals[warp];
  }
  return total;
}

}  // namespace cie::kernels::cuda_detail
