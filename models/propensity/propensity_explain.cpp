// PropensityModel::contributions and ::explain (models/propensity/propensity.hpp): per-customer
// reasons, the largest contributions to the margin.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "models/propensity/propensity.hpp"

namespace cie {

void PropensityModel::contributions(Context const& ctx, FeatureMatrix x,
                                    std::span<double> out) const {
  CIE_ASSERT(x.cols == encoder_.feature_names().size() && out.size() == x.rows * (x.cols + 1));
  if (is_gbdt()) {
    gbdt().contributions(ctx, x, out);
  } else {
    logistic_contributions(logistic(), x, out);
  }
}

PropensityReasons PropensityModel::explain(Context const& ctx, CustomerTable const& table,
                                           std::string const& model_source, std::size_t batch_rows,
                                           std::size_t k) const {
  CIE_ASSERT(batch_rows > 0 && k > 0);
  encoder_.check_schema(table, model_source);
  std::size_t const cols = encoder_.feature_names().size();
  std::size_t const rows = table.rows();
  PropensityReasons reasons{k, std::vector<std::int32_t>(rows * k, -1),
                            std::vector<double>(rows * k, 0.0), 0.0};
  std::size_t const batch = std::min(batch_rows, std::max<std::size_t>(rows, 1));
  std::vector<float> x(batch * cols);
  std::vector<double> phi(batch * (cols + 1));
  std::vector<std::int32_t> order(cols);
  for (std::size_t begin = 0; begin < rows; begin += batch) {
    std::size_t const end = std::min(rows, begin + batch);
    std::size_t const n = end - begin;
    encoder_.apply_rows(ctx, table, begin, end, x.data());
    std::span<double> const values(phi.data(), n * (cols + 1));
    contributions(ctx, {x.data(), n, cols}, values);
    reasons.expected_margin = values[cols];
    for (std::size_t i = 0; i < n; ++i) {
      double const* row = values.data() + i * (cols + 1);
      std::iota(order.begin(), order.end(), 0);
      std::size_t const kept = std::min(k, cols);
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept),
                        order.end(), [&](std::int32_t a, std::int32_t b) {
                          double const size_a = std::abs(row[a]), size_b = std::abs(row[b]);
                          return size_a > size_b || (size_a == size_b && a < b);
                        });
      for (std::size_t r = 0; r < kept && row[order[r]] != 0.0; ++r) {
        reasons.feature[(begin + i) * k + r] = order[r];
        reasons.contribution[(begin + i) * k + r] = row[order[r]];
      }
    }
  }
  if (rows == 0) {
    // The expected margin does not depend on the row: one row of zeros gives it.
    std::fill(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(cols), 0.0f);
    contributions(ctx, {x.data(), 1, cols}, std::span<double>(phi.data(), cols + 1));
    reasons.expected_margin = phi[cols];
  }
  return reasons;
}

}  // namespace cie
