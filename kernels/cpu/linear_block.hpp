// Internal to the CPU twin of kernels/linear.hpp: one block of rows of a linear-model pass,
// computed by kernels/cpu/linear_block.cpp and driven (batches, threads, folding) by
// kernels/cpu/linear.cpp.
//
// A block is at most kBlockRows consecutive rows. Its slice of x (kBlockRows × cols floats,
// 128 KiB at 32 columns) stays in L2 between the margin sweep and the sweeps that use it again,
// so a pass reads x from memory once. Every column sum of a block uses kLanes interleaved
// accumulators (row r in lane r mod 8) folded in a fixed order; the block results are added to
// the caller's partial in a fixed order. So a block's contribution depends on its rows only: not
// on threads, and not on the instruction set the loops were compiled for.
#pragma once

#include <cstdint>

namespace cie::kernels::cpu_impl {

inline constexpr int kBlockRows = 1024;

/// One block of rows [r0, r0 + count) of column-major x and the buffers its pass needs.
struct LinearBlock {
  float const* x;
  std::int64_t rows;
  std::int64_t r0;
  int count;
  int cols;
  double const* coef;
  double intercept;
  double* margin;  // count slots each, from here on
  double* loss;
  double* residual;
  double* curvature;  // null without the Hessian
  double* scaled;
  int ahead;  // kBlockRows when the same thread reduces the next block (prefetched), else 0
  [[nodiscard]] float const* column(int j) const { return x + j * rows + r0; }
};

/// Adds the block to partial = [loss, gradient (cols + 1), then, when b.curvature is set, the
/// lower triangle of the Hessian ((cols + 1)², row-major)]; y and weight point at row r0.
using ReduceBlock = void (*)(LinearBlock const& b, float const* y, double const* weight,
                             double* partial);
/// out[r] = σ(x_{r0 + r}ᵀβ + b) for r < b.count (b's buffers are unused).
using BlockProbabilities = void (*)(LinearBlock const& b, double* out);

/// The loops compiled for AVX2 where the processor has it (and force_baseline_isa is off), else
/// for the x86-64 baseline; both give the same bits.
ReduceBlock reduce_block_for_isa();
BlockProbabilities block_probabilities_for_isa();

}  // namespace cie::kernels::cpu_impl
