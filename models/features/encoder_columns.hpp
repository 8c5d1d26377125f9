// Internal to models/features (tabular_encoder.cpp fits, tabular_encoder_apply.cpp encodes): a
// numeric TableColumn's values read in the storage they have, and the checks and messages that
// fitting and encoding share.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "models/features/tabular_encoder.hpp"

namespace cie::encoder_detail {

// A numeric column's values as its storage holds them, so that the encoder's passes over rows
// branch on the storage kind once per column rather than once per value (TableColumn::number and
// is_missing branch on is_borrowed, then on RawColumn's element type).
struct OwnedNumbers {  // owned: float64 values and one missing flag per value
  double const* values;
  std::uint8_t const* missing;
  [[nodiscard]] bool is_missing(std::size_t row) const noexcept { return missing[row] != 0; }
  [[nodiscard]] double number(std::size_t row) const noexcept { return values[row]; }
};

template <typename T>
struct BorrowedNumbers {  // borrowed float64 or float32, NaN where missing
  T const* values;
  [[nodiscard]] bool is_missing(std::size_t row) const noexcept { return std::isnan(values[row]); }
  [[nodiscard]] double number(std::size_t row) const noexcept {
    return static_cast<double>(values[row]);
  }
};

/// f(OwnedNumbers), f(BorrowedNumbers<double>) or f(BorrowedNumbers<float>), whichever storage
/// `column` (kNumeric) has; each gives number() / is_missing() the values TableColumn's give.
template <typename F>
decltype(auto) visit_numbers(TableColumn const& column, F&& f) {
  if (!column.is_borrowed) return f(OwnedNumbers{column.numbers.data(), column.missing.data()});
  return column.borrowed.visit([&](auto values) {
    using Value = std::remove_const_t<typename decltype(values)::element_type>;
    return f(BorrowedNumbers<Value>{values.data()});
  });
}

/// The first row in [begin, end) of `column` (kNumeric) whose value is missing, or end.
inline std::size_t first_missing_row(TableColumn const& column, std::size_t begin,
                                     std::size_t end) {
  return visit_numbers(column, [&](auto numbers) {
    std::size_t row = begin;
    while (row < end && !numbers.is_missing(row)) ++row;
    return row;
  });
}

/// Whether ColumnTransform::apply changes any value of this column: without floor, clip or log1p
/// it returns its argument (std::min(x, +Inf) is x), and the encoder's loops skip the call.
inline bool transforms(EncodedColumnSpec const& spec, double clip_value) {
  return spec.transform.floor || spec.transform.log1p || clip_value != kNoClip;
}

[[noreturn]] inline void fail_missing(CustomerTable const& table, std::string const& name,
                                      std::size_t row) {
  fail(ExitCode::kInputData,
       "column {}, {}: missing value (the model's missing-value policy for {} is error)", name,
       table.describe_row(row), name);
}

[[noreturn]] inline void fail_log1p(CustomerTable const& table, std::string const& name,
                                    std::size_t row) {
  fail(ExitCode::kInputData,
       "column {}, {}: log1p needs values > -1 (after floor and clip); use floor:0+log1p for a "
       "column that can be negative",
       name, table.describe_row(row));
}

}  // namespace cie::encoder_detail
