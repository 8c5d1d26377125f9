// CPU twin of kernels/linear.hpp: OpenMP over batches of kLinearBatchRows rows.
//
// A batch is reduced by one thread, block by block (kernels/cpu/linear_block.hpp, in row order),
// into its own partial; the partials are folded in batch order. Batches and blocks are fixed by
// the row count alone, so the result does not depend on the thread count or on scheduling.
#include "kernels/linear.hpp"

#include <omp.h>

#include <algorithm>

#include "core/error.hpp"
#include "kernels/cpu/linear_block.hpp"
#include "kernels/cpu/ordered_batches.hpp"
#include "kernels/linear_rules.hpp"

namespace cie::kernels::cpu_impl {
namespace {

/// Per-thread buffers for one block of rows.
struct Scratch {
  std::vector<double> margin, loss, residual, curvature, scaled;
  explicit Scratch(bool with_hessian)
      : margin(kBlockRows),
        loss(kBlockRows),
        residual(kBlockRows),
        curvature(with_hessian ? kBlockRows : 0),
        scaled(with_hessian ? kBlockRows : 0) {}
};

class CpuLogisticWorkspace final : public LogisticWorkspace {
 public:
  CpuLogisticWorkspace(Context const& ctx, float const* x, std::int64_t rows, int cols,
                       std::span<float const> y, std::span<double const> row_weight)
      : threads_(ctx.threads()), x_(x), rows_(rows), cols_(cols), y_(y), weight_(row_weight) {}

  [[nodiscard]] std::int64_t rows() const noexcept override { return rows_; }
  [[nodiscard]] int cols() const noexcept override { return cols_; }

  LogisticPassStats pass(std::span<double const> coef, double intercept,
                         bool with_hessian) override {
    CIE_ASSERT(coef.size() == static_cast<std::size_t>(cols_));
    std::size_t const n = static_cast<std::size_t>(cols_) + 1;
    std::size_t const stride = 1 + n + (with_hessian ? n * n : 0);
    LogisticPassStats stats;
    stats.gradient.assign(n, 0.0);
    if (with_hessian) stats.hessian.assign(n * n, 0.0);
    ReduceBlock const reduce_block = reduce_block_for_isa();

    std::int64_t const batch_count = (rows_ + kLinearBatchRows - 1) / kLinearBatchRows;
    auto const reduce = [&](std::int64_t batch, double* partial, Scratch& scratch) {
      std::fill_n(partial, stride, 0.0);
      std::int64_t const end = std::min(rows_, (batch + 1) * kLinearBatchRows);
      for (std::int64_t r0 = batch * kLinearBatchRows; r0 < end; r0 += kBlockRows) {
        LinearBlock const block{x_,
                                rows_,
                                r0,
                                static_cast<int>(std::min<std::int64_t>(kBlockRows, end - r0)),
                                cols_,
                                coef.data(),
                                intercept,
                                scratch.margin.data(),
                                scratch.loss.data(),
                                scratch.residual.data(),
                                with_hessian ? scratch.curvature.data() : nullptr,
                                scratch.scaled.data(),
                                r0 + kBlockRows < end ? kBlockRows : 0};
        reduce_block(block, y_.data() + r0, weight_.data() + r0, partial);
      }
    };
    auto const fold = [&](double const* partial) {
      stats.loss += partial[0];
      for (std::size_t e = 0; e < n; ++e) stats.gradient[e] += partial[1 + e];
      if (with_hessian) {
        for (std::size_t e = 0; e < n * n; ++e) stats.hessian[e] += partial[1 + n + e];
      }
    };
    reduce_batches_in_order(
        threads_, batch_count, stride, [with_hessian] { return Scratch(with_hessian); }, reduce,
        fold);
    if (with_hessian) {  // the batches fill the lower triangle; mirror it
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t k = j + 1; k < n; ++k) stats.hessian[j * n + k] = stats.hessian[k * n + j];
      }
    }
    return stats;
  }

 private:
  int threads_;
  float const* x_;
  std::int64_t rows_;
  int cols_;
  std::span<float const> y_;
  std::span<double const> weight_;
};

}  // namespace

std::unique_ptr<LogisticWorkspace> make_logistic_workspace(Context const& ctx, float const* x,
                                                           std::int64_t rows, int cols,
                                                           std::span<float const> y,
                                                           std::span<double const> row_weight) {
  CIE_ASSERT(rows > 0 && cols > 0);
  CIE_ASSERT(y.size() == static_cast<std::size_t>(rows));
  CIE_ASSERT(row_weight.size() == static_cast<std::size_t>(rows));
  return std::make_unique<CpuLogisticWorkspace>(ctx, x, rows, cols, y, row_weight);
}

void logistic_probabilities(Context const& ctx, float const* x, std::int64_t rows, int cols,
                            std::span<double const> coef, double intercept,
                            std::span<double> probability) {
  CIE_ASSERT(coef.size() == static_cast<std::size_t>(cols));
  CIE_ASSERT(probability.size() == static_cast<std::size_t>(rows));
  BlockProbabilities const block_probabilities = block_probabilities_for_isa();
  std::int64_t const blocks = (rows + kBlockRows - 1) / kBlockRows;
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::int64_t const r0 = b * kBlockRows;
    int const count = static_cast<int>(std::min<std::int64_t>(kBlockRows, rows - r0));
    LinearBlock const block{x,           rows,      r0,      count,   cols,
                            coef.data(), intercept, nullptr, nullptr, nullptr,
                            nullptr,     nullptr,   0};
    block_probabilities(block, probability.data() + r0);
  }
}

}  // namespace cie::kernels::cpu_impl
