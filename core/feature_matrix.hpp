// Feature matrices every model family shares, and the one check that no NaN or Inf reaches a
// model through them.
//
// FeatureMatrix: a view of a column-major float32 matrix (one contiguous array per feature, as
// everywhere in cie), the prepared input of k-means, logistic regression and scoring.
// RawColumns: input columns in original units (float64 or float32 views, RawColumn), before a
// feature pipeline (models/features/feature_pipeline.hpp) transforms and scales them.
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

/// A view of one input column: float64 values, or float32 values read as the doubles they
/// equal (widened exactly), so a float32 column gives the results of a float64 column holding
/// the same values. A float32 column is never copied: readers take its span (visit) or one
/// value at a time (operator[]).
class RawColumn {
 public:
  RawColumn() = default;
  RawColumn(std::span<double const> values) noexcept : float64_(values) {}  // NOLINT: a view
  RawColumn(std::span<float const> values) noexcept                         // NOLINT: a view
      : float32_(values), is_float32_(true) {}
  RawColumn(std::vector<double> const& values) noexcept  // NOLINT: a view
      : float64_(values) {}
  RawColumn(std::vector<float> const& values) noexcept  // NOLINT: a view
      : float32_(values), is_float32_(true) {}
  RawColumn(double const* data, std::size_t size) noexcept : float64_(data, size) {}
  RawColumn(float const* data, std::size_t size) noexcept
      : float32_(data, size), is_float32_(true) {}

  [[nodiscard]] bool is_float32() const noexcept { return is_float32_; }
  [[nodiscard]] std::size_t size() const noexcept {
    return is_float32_ ? float32_.size() : float64_.size();
  }
  /// The first value's address (tests prove with it that a column is read in place).
  [[nodiscard]] void const* data() const noexcept {
    return is_float32_ ? static_cast<void const*>(float32_.data())
                       : static_cast<void const*>(float64_.data());
  }
  [[nodiscard]] double operator[](std::size_t i) const noexcept {
    return is_float32_ ? static_cast<double>(float32_[i]) : float64_[i];
  }
  /// f(std::span<double const>) or f(std::span<float const>), whichever the column holds; the
  /// loops of the feature pipeline run once per element type.
  template <typename F>
  decltype(auto) visit(F&& f) const {
    return is_float32_ ? f(float32_) : f(float64_);
  }
  /// The float64 values; a float32 column is a precondition violation (CIE_ASSERT). For
  /// callers whose columns come from a CustomerTable (always float64).
  [[nodiscard]] std::span<double const> float64() const;

 private:
  std::span<double const> float64_;
  std::span<float const> float32_;
  bool is_float32_ = false;
};

/// Input columns in original units, each of `rows` values.
struct RawColumns {
  std::vector<RawColumn> columns;
  std::size_t rows = 0;
  /// Names row i (0-based) in messages, e.g. "rfm.csv:17"; empty: "row i+1".
  std::function<std::string(std::size_t)> describe_row;
};

/// The columns' float64 spans (each must be float64: RawColumn::float64).
std::vector<std::span<double const>> float64_columns(RawColumns const& input);

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
