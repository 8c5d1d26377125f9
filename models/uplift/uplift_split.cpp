#include "models/uplift/uplift_split.hpp"

#include <array>
#include <utility>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/metrics/data_split.hpp"

namespace cie::uplift {

std::vector<std::uint8_t> uplift_holdout(std::span<float const> response,
                                         std::span<std::uint8_t const> treatment, double fraction,
                                         std::uint64_t seed) {
  std::vector<std::uint8_t> is_validation(response.size(), 0);
  if (fraction == 0.0) return is_validation;
  for (std::uint8_t group = 0; group <= 1; ++group) {
    std::vector<std::size_t> rows;
    std::vector<float> labels;
    for (std::size_t i = 0; i < response.size(); ++i) {
      if (treatment[i] != group) continue;
      rows.push_back(i);
      labels.push_back(response[i]);
    }
    if (rows.empty()) continue;
    std::vector<std::uint8_t> const part = stratified_split(labels, fraction, seed + group);
    for (std::size_t k = 0; k < rows.size(); ++k) is_validation[rows[k]] = part[k];
  }
  return is_validation;
}

std::vector<std::int32_t> uplift_folds(std::span<float const> response,
                                       std::span<std::uint8_t const> treatment,
                                       std::span<std::uint8_t const> use, int k,
                                       std::uint64_t seed) {
  CIE_ASSERT(treatment.size() == response.size() && (use.empty() || use.size() == response.size()));
  std::array<std::vector<std::size_t>, 4> strata;
  for (std::size_t row = 0; row < response.size(); ++row) {
    if (!use.empty() && use[row] == 0) continue;
    strata[2 * (treatment[row] != 0 ? 1 : 0) + (response[row] == 1.0F ? 1 : 0)].push_back(row);
  }
  std::size_t const used =
      strata[0].size() + strata[1].size() + strata[2].size() + strata[3].size();
  CIE_EXPECTS(k >= 2 && static_cast<std::size_t>(k) <= used,
              "--folds: must be in [2, {}] (the rows cross-validated), got {}", used, k);
  std::vector<std::int32_t> fold(response.size(), -1);
  std::size_t next = 0;
  for (std::size_t s = 0; s < strata.size(); ++s) {
    std::vector<std::size_t>& rows = strata[s];
    Random random(seed, s);
    for (std::size_t i = rows.size(); i > 1; --i) {  // Fisher-Yates
      auto const j = static_cast<std::size_t>(random.below(static_cast<std::int64_t>(i)));
      std::swap(rows[i - 1], rows[j]);
    }
    for (std::size_t const row : rows) {
      fold[row] = static_cast<std::int32_t>(next);
      next = (next + 1) % static_cast<std::size_t>(k);
    }
  }
  return fold;
}

}  // namespace cie::uplift
