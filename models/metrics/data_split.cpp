#include "models/metrics/data_split.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <utility>

#include "core/error.hpp"
#include "core/random.hpp"

namespace cie {
namespace {

/// The rows of each class (0 and 1), each shuffled by its own stream of `seed`.
std::array<std::vector<std::size_t>, 2> shuffled_classes(std::span<float const> label,
                                                         std::uint64_t seed) {
  std::array<std::vector<std::size_t>, 2> classes;
  for (std::size_t row = 0; row < label.size(); ++row) {
    float const value = label[row];
    CIE_EXPECTS_DATA(value == 0.0F || value == 1.0F,
                     "label of row {} is {}; a stratified split needs labels 0 and 1", row + 1,
                     value);
    classes[value == 1.0F ? 1 : 0].push_back(row);
  }
  for (std::size_t c = 0; c < classes.size(); ++c) {
    std::vector<std::size_t>& rows = classes[c];
    Random random(seed, c);
    for (std::size_t i = rows.size(); i > 1; --i) {  // Fisher-Yates
      auto const j = static_cast<std::size_t>(random.below(static_cast<std::int64_t>(i)));
      std::swap(rows[i - 1], rows[j]);
    }
  }
  return classes;
}

}  // namespace

std::vector<std::uint8_t> stratified_split(std::span<float const> label, double validation_fraction,
                                           std::uint64_t seed) {
  CIE_EXPECTS(validation_fraction > 0.0 && validation_fraction < 1.0,
              "validation_fraction must be in (0, 1), got {}", validation_fraction);
  CIE_EXPECTS(!label.empty(), "no rows to split");
  std::vector<std::uint8_t> is_validation(label.size(), 0);
  for (std::vector<std::size_t> const& rows : shuffled_classes(label, seed)) {
    auto const n = static_cast<double>(rows.size());
    auto count = static_cast<std::size_t>(std::round(n * validation_fraction));
    if (rows.size() >= 2) count = std::clamp<std::size_t>(count, 1, rows.size() - 1);
    for (std::size_t i = 0; i < count; ++i) is_validation[rows[i]] = 1;
  }
  return is_validation;
}

std::vector<std::int32_t> stratified_folds(std::span<float const> label, int k,
                                           std::uint64_t seed) {
  CIE_EXPECTS(k >= 2, "the number of folds must be >= 2, got {}", k);
  CIE_EXPECTS(static_cast<std::size_t>(k) <= label.size(),
              "the number of folds ({}) must not exceed the number of rows ({})", k, label.size());
  std::vector<std::int32_t> fold(label.size(), 0);
  // Each class continues dealing where the previous one stopped, so the fold totals also differ
  // by at most one.
  std::size_t next = 0;
  for (std::vector<std::size_t> const& rows : shuffled_classes(label, seed)) {
    for (std::size_t const row : rows) {
      fold[row] = static_cast<std::int32_t>(next);
      next = (next + 1) % static_cast<std::size_t>(k);
    }
  }
  return fold;
}

}  // namespace cie
