// The per-customer summary the "buy till you die" models are fitted on (lifetimes' frequency,
// recency, T and monetary_value), its checks, and its collapse into weighted rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kernels/clv.hpp"
#include "models/rfm/rfm.hpp"

namespace cie {

/// Σ weight of the rows (the number of rows when unweighted).
double total_weight(kernels::ClvRows const& rows) noexcept;

/// One row per customer (or per group of identical customers, with a weight). The functions
/// below read a summary through its view, kernels::ClvRows (a ClvSummary converts to one), so a
/// caller whose columns live elsewhere (the Python package's numpy arrays) passes them uncopied.
struct ClvSummary {
  std::vector<double> frequency;  ///< x: repeat purchases (whole, >= 0)
  std::vector<double> recency;    ///< t_x: time from the first to the last purchase, 0 <= t_x <= T
  std::vector<double> age;        ///< T: time from the first purchase to the end of the window
  std::vector<double> value;      ///< mean repeat value; 0 when x = 0 (may be empty: no spend)
  std::vector<double> weight;     ///< customers each row stands for; empty: 1 each
  /// Optional tables of the collapsed rows (kernels::ClvRows; empty: none).
  std::vector<std::uint32_t> recency_code = {}, age_code = {};
  std::vector<double> recency_values = {}, age_values = {};
  std::vector<double> log_value = {};

  [[nodiscard]] std::size_t size() const noexcept { return frequency.size(); }
  /// Σ weight (the number of rows when unweighted).
  [[nodiscard]] double customers() const noexcept { return total_weight(rows()); }
  [[nodiscard]] kernels::ClvRows rows() const noexcept {
    return {frequency,    recency,        age,      value,      weight,
            recency_code, recency_values, age_code, age_values, log_value};
  }
  // NOLINTNEXTLINE(google-explicit-constructor): a summary is read wherever its rows are.
  operator kernels::ClvRows() const noexcept { return rows(); }
};

/// RFM's lifetimes summary: repeat_frequency, repeat_recency, T and mean_repeat_value.
ClvSummary summary_from_rfm(RfmTable const& table);

/// A row that no model can use, with why; nullopt when every row is valid. Checks: every value
/// finite; x whole and >= 0; 0 <= t_x <= T; t_x = 0 when x = 0; weight >= 0.
struct InvalidRow {
  std::size_t row = 0;
  std::string reason;
};
std::optional<InvalidRow> find_invalid_row(kernels::ClvRows const& summary);
/// For BG/BB's discrete opportunities, also: t_x and T whole, x <= t_x.
std::optional<InvalidRow> find_invalid_discrete_row(kernels::ClvRows const& summary);

/// Rows with equal (x, t_x, T) merged into one whose weight is the sum of theirs, sorted by
/// (T, x, t_x), −0.0 written as 0.0 (equal to it in every rule); value is dropped. With the tables
/// of t_x and T (their distinct values ascending and each row's index into them), so that a pass
/// computes ln(α + t_x) and ln(α + T) once per value. The likelihood of the result equals that of
/// the input.
ClvSummary collapse_purchase_rows(kernels::ClvRows const& summary);

/// The rows Gamma-Gamma is fitted on (x > 0 and value > 0), rows with equal (x, value) merged as
/// above, with log_value (so that the passes of a fit take no logarithm of m);
/// `nonpositive` receives Σ weight of the rows with x > 0 and value <= 0 (left out).
ClvSummary collapse_spend_rows(kernels::ClvRows const& summary, double& nonpositive);

}  // namespace cie
