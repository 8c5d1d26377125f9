// Linear-model kernels: the passes of a logistic-regression fit (loss, gradient and Hessian at
// given coefficients) and scoring.
//
// The data of one fit stays where the kernels run for the whole fit (views of the caller's arrays
// on the CPU, device copies on CUDA), so a LogisticWorkspace owns it and every pass is a method.
// Twins: kernels/cpu/linear.cpp (OpenMP over batches of kLinearBatchRows rows, vectorized loops
// over blocks of rows in kernels/cpu/linear_block.cpp) and kernels/cuda/linear.cu (fused
// margin/loss kernels, per-tile partials folded in a fixed order, cuBLAS DSYRK for the Hessian).
// Both use the per-element rules of kernels/linear_rules.hpp; margins z_i = x_iᵀβ + b are
// computed in double from the float32 data, and every sum is in double. Each twin folds its
// partial sums in a fixed order, so it gives the same bits whatever its thread count; the twins
// agree to rounding (~1e-12 relative).
//
// x is column-major float32 (feature j of row i at x[j * rows + i]).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/context.hpp"
#include "kernels/linear_rules.hpp"

namespace cie::kernels {

/// Weighted sums of one pass at (β, b), with s_i the row weight and z_i = x_iᵀβ + b.
struct LogisticPassStats {
  double loss = 0.0;             ///< Σ s_i ℓ(z_i, y_i)
  std::vector<double> gradient;  ///< cols + 1: Σ s_i (σ(z_i) − y_i) x_ij for each j, then for b
  /// Empty, or (cols + 1)² row-major and symmetric: Σ s_i σ(z_i)(1 − σ(z_i)) a_i a_iᵀ with
  /// a_i = (x_i, 1), so the last row and column belong to the intercept.
  std::vector<double> hessian;
};

/// One fit's data on its device: x, the labels y (0 or 1) and the row weights s.
///
/// Costs: a pass reads x once; O(rows × cols) flops, O(rows × cols²) with the Hessian.
class LogisticWorkspace {
 public:
  virtual ~LogisticWorkspace() = default;

  [[nodiscard]] virtual std::int64_t rows() const noexcept = 0;
  [[nodiscard]] virtual int cols() const noexcept = 0;

  /// Loss and gradient (and the Hessian when `with_hessian`) at `coef` (cols values) and
  /// `intercept`. Finite for finite coefficients whose margins are finite.
  virtual LogisticPassStats pass(std::span<double const> coef, double intercept,
                                 bool with_hessian) = 0;
};

namespace cpu_impl {
std::unique_ptr<LogisticWorkspace> make_logistic_workspace(Context const& ctx, float const* x,
                                                           std::int64_t rows, int cols,
                                                           std::span<float const> y,
                                                           std::span<double const> row_weight);
void logistic_probabilities(Context const& ctx, float const* x, std::int64_t rows, int cols,
                            std::span<double const> coef, double intercept,
                            std::span<double> probability);
/// The CPU twin runs its block loops compiled for AVX2 where the processor has it, else for the
/// x86-64 baseline; both give the same bits. `on` forces the baseline (for tests).
void force_baseline_isa(bool on);
}  // namespace cpu_impl

namespace cuda_impl {
std::unique_ptr<LogisticWorkspace> make_logistic_workspace(Context const& ctx, float const* x,
                                                           std::int64_t rows, int cols,
                                                           std::span<float const> y,
                                                           std::span<double const> row_weight);
void logistic_probabilities(Context const& ctx, float const* x, std::int64_t rows, int cols,
                            std::span<double const> coef, double intercept,
                            std::span<double> probability);
}  // namespace cuda_impl

/// A workspace for column-major `x` (rows × cols, host memory, finite), `y` (one 0 or 1 per row)
/// and `row_weight` (one finite weight >= 0 per row) on ctx's device. The CPU workspace keeps
/// views: the three arrays must outlive it. The CUDA one copies them once.
inline std::unique_ptr<LogisticWorkspace> make_logistic_workspace(
    Context const& ctx, float const* x, std::int64_t rows, int cols, std::span<float const> y,
    std::span<double const> row_weight) {
  return ctx.is_cuda() ? cuda_impl::make_logistic_workspace(ctx, x, rows, cols, y, row_weight)
                       : cpu_impl::make_logistic_workspace(ctx, x, rows, cols, y, row_weight);
}

/// probability[i] = σ(x_iᵀβ + b) for the rows of column-major `x` (host memory), on ctx's
/// device; `coef` has cols values and `probability` rows slots. A pure map: O(rows × cols).
inline void logistic_probabilities(Context const& ctx, float const* x, std::int64_t rows, int cols,
                                   std::span<double const> coef, double intercept,
                                   std::span<double> probability) {
  ctx.is_cuda()
      ? cuda_impl::logistic_probabilities(ctx, x, rows, cols, coef, intercept, probability)
      : cpu_impl::logistic_probabilities(ctx, x, rows, cols, coef, intercept, probability);
}

}  // namespace cie::kernels
