#include "kernels/score_pipeline.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace cie {

void score_logistic_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                            std::size_t cols, EncodeBatch const& encode,
                            std::span<double const> coef, double intercept, std::span<double> out,
                            BatchDone const& on_batch_done) {
  CIE_ASSERT(batch_rows >= 1 && cols >= 1 && encode);
  CIE_ASSERT(coef.size() == cols && out.size() == rows);
  if (rows == 0) return;
  std::size_t const batch = std::min(batch_rows, rows);
  if (ctx.is_cuda()) {
    kernels::cuda_impl::score_logistic_batches(ctx, rows, batch, cols, encode, coef, intercept, out,
                                               on_batch_done);
  } else {
    kernels::cpu_impl::score_logistic_batches(ctx, rows, batch, cols, encode, coef, intercept, out,
                                              on_batch_done);
  }
}

}  // namespace cie
