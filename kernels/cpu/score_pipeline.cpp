#include "kernels/score_pipeline.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/linear.hpp"

namespace cie::kernels::cpu_impl {

void score_logistic_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                            std::size_t cols, EncodeBatch const& encode,
                            std::span<double const> coef, double intercept, std::span<double> out,
                            BatchDone const& on_batch_done) {
  std::vector<float> x(batch_rows * cols);
  for (std::size_t begin = 0; begin < rows; begin += batch_rows) {
    std::size_t const end = std::min(rows, begin + batch_rows);
    encode(begin, end, x.data());
    logistic_probabilities(ctx, x.data(), static_cast<std::int64_t>(end - begin),
                           static_cast<int>(cols), coef, intercept,
                           out.subspan(begin, end - begin));
    if (on_batch_done) on_batch_done(begin, end);
  }
}

}  // namespace cie::kernels::cpu_impl
