#include "core/feature_matrix.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "core/error.hpp"

namespace cie {
namespace {

char const* non_finite_name(float value) {
  return std::isnan(value) ? "NaN" : (value > 0 ? "Inf" : "-Inf");
}

}  // namespace

std::span<double const> RawColumn::float64() const {
  CIE_ASSERT(!is_float32_);
  return float64_;
}

std::vector<std::span<double const>> float64_columns(RawColumns const& input) {
  std::vector<std::span<double const>> columns;
  columns.reserve(input.columns.size());
  for (RawColumn const& column : input.columns) columns.push_back(column.float64());
  return columns;
}

std::string describe_row(RawColumns const& input, std::size_t row) {
  return input.describe_row ? input.describe_row(row) : fmt::format("row {}", row + 1);
}

void check_finite_columns(FeatureMatrix x, std::span<std::string const> column_names, int threads) {
  constexpr std::uint32_t kExponent = 0x7f800000u;
  CIE_ASSERT(column_names.empty() || column_names.size() == x.cols);
  // A float is NaN or ±Inf exactly when its exponent bits are all ones. An integer OR over the
  // whole matrix (columns are contiguous, so one flat loop) vectorizes, where a float test with
  // an early exit would not; only a matrix that fails is scanned again for its first bad value.
  auto const count = static_cast<std::int64_t>(x.rows * x.cols);
  std::uint32_t bad = 0;
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static) reduction(| : bad)
  for (std::int64_t i = 0; i < count; ++i) {
    bad |= static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(x.data[i]) & kExponent) ==
                                      kExponent);
  }
  if (bad == 0) return;
  for (std::size_t j = 0; j < x.cols; ++j) {
    float const* column = x.column(j);
    std::size_t row = 0;
    while (row < x.rows && std::isfinite(column[row])) ++row;
    if (row == x.rows) continue;
    std::string const name = column_names.empty() ? "#" + std::to_string(j + 1) : column_names[j];
    fail(ExitCode::kInputData, "column '{}' has {} at row {}", name, non_finite_name(column[row]),
         row + 1);
  }
}

void check_finite_columns(RawColumns const& input, std::span<std::string const> names) {
  for (std::size_t j = 0; j < input.columns.size(); ++j) {
    std::size_t const row = input.columns[j].visit([](auto column) {
      auto const bad =
          std::find_if(column.begin(), column.end(), [](auto x) { return !std::isfinite(x); });
      return static_cast<std::size_t>(bad - column.begin());
    });
    if (row < input.columns[j].size()) {
      fail(ExitCode::kInputData, "column {}, {}: {} is not allowed in a feature", names[j],
           describe_row(input, row), std::isnan(input.columns[j][row]) ? "NaN" : "Inf");
    }
  }
}

}  // namespace cie
