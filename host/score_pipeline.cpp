#include "host/score_pipeline.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "host/error.hpp"
#include "kernels/linear.hpp"

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
    kernels::cuda_impl::score_logistic_batches(ctx, rows, batch, cols, encode, coef, intercept,
                                               out, on_batch_done);
    return;
  }
  std::vector<float> x(batch * cols);
  for (std::size_t begin = 0; begin < rows; begin += batch) {
    std::size_t const end = std::min(rows, begin + batch);
    encode(begin, end, x.data());
    kernels::cpu_impl::logistic_probabilities(ctx, x.data(), static_cast<std::int64_t>(end - begin),
                                              static_cast<int>(cols), coef, intercept,
                                              out.subspan(begin, end - begin));
    if (on_batch_done) on_batch_done(begin, end);
  }
}

}  // namespace cie
