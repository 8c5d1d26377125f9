// Feature matrices every model family shares, and the one check that no NaN or Inf reaches a
// model through them.
//
// FeatureMatrix: a view of a column-major float32 matrix (one contiguous array per feature, as
// everywhere in cie), the prepared input of k-means, logistic regression and scoring.
// RawColumns: input columns in original units (double), before a feature pipeline
// (models/features/feature_pipeline.hpp) transforms and scales them.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace cie {

/// A view of rows × cols float32 values, feature j of row i at data[j * rows + i].
struct FeatureMatrix {
  float const* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  [[nodiscard]] float const* column(std::size_t j) const noexcept { return data + j * rows; }
};

/// Input columns in original units, each of `rows` values.
struct RawColumns {
  std::vector<std::span<double const>> columns;
  std::size_t rows = 0;
  /// Names row i (0-based) in messages, e.g. "rfm.csv:17"; empty: "row i+1".
  std::function<std::string(std::size_t)> describe_row;
};

/// "FILE:LINE" from input.describe_row, or "row N" (1-based) without one.
std::string describe_row(RawColumns const& input, std::size_t row);

/// Throws an input-data error (ExitCode::kInputData) for the first column, in column order, that
/// holds NaN or ±Inf, naming it and its first bad row (1-based): "column 'monetary_total' has
/// NaN at row 17". `column_names` is empty (columns are then named "#1", "#2", ...) or has one
/// name per column. O(rows × cols), vectorized, on `threads` threads (one OR over the whole
/// matrix; only a failing matrix is searched again, column by column, for the first bad value).
void check_finite_columns(FeatureMatrix x, std::span<std::string const> column_names,
                          int threads = 1);

/// The same for raw columns, with one name per column: an input error "column NAME, ROW: NaN is
/// not allowed in a feature" (ROW from describe_row) for the first bad value, columns in order.
void check_finite_columns(RawColumns const& input, std::span<std::string const> names);

}  // namespace cie
