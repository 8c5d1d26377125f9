#include "models/uplift/treatment_features.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace cie::uplift {
namespace {

constexpr std::size_t kMinSingleSideRows = 20;

/// A cell as a comparable value: the level code or the number, nullopt where missing (numeric
/// columns owned or borrowed, as the Python package's tables hold them).
std::optional<double> treatment_cell(TableColumn const& column, std::size_t row) {
  if (column.type == ColumnType::kCategorical) {
    if (column.missing[row] != 0) return std::nullopt;
    return column.codes[row];
  }
  if (column.is_missing(row)) return std::nullopt;
  return column.number(row);
}

/// Whether the rows of one side (at least kMinSingleSideRows) all hold one value that no row of
/// the other side holds.
bool side_is_single_and_apart(TableColumn const& column, std::span<std::int32_t const> group,
                              bool single_is_control) {
  std::optional<std::optional<double>> value;  // the single side's value, once seen
  std::size_t rows = 0;
  for (std::size_t row = 0; row < group.size(); ++row) {
    if ((group[row] == 0) != single_is_control) continue;
    std::optional<double> const cell = treatment_cell(column, row);
    if (!value) {
      value.emplace(cell);
    } else if (*value != cell) {
      return false;
    }
    ++rows;
  }
  if (rows < kMinSingleSideRows) return false;
  for (std::size_t row = 0; row < group.size(); ++row) {
    if ((group[row] == 0) == single_is_control) continue;
    if (treatment_cell(column, row) == *value) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> treatment_revealing_columns(CustomerTable const& table,
                                                     std::span<std::int32_t const> group) {
  std::vector<std::string> names;
  bool const control = std::ranges::any_of(group, [](std::int32_t g) { return g == 0; });
  bool const treated = std::ranges::any_of(group, [](std::int32_t g) { return g > 0; });
  if (!control || !treated || group.size() != table.rows()) return names;
  for (TableColumn const& column : table.columns) {
    if (side_is_single_and_apart(column, group, true) ||
        side_is_single_and_apart(column, group, false)) {
      names.push_back(column.name);
    }
  }
  return names;
}

void drop_treatment_revealing_features(Context const& ctx, CustomerTable const& table,
                                       std::span<std::int32_t const> group,
                                       std::vector<EncodedColumnSpec>& specs, bool named) {
  for (std::string const& name : treatment_revealing_columns(table, group)) {
    auto const found = std::ranges::find_if(
        specs, [&](EncodedColumnSpec const& spec) { return spec.name == name; });
    if (found == specs.end()) continue;
    if (named) {
      ctx.logger().warn(
          "uplift train: feature {} tells the control from the treated rows (one side holds a "
          "single value the other never has): it reveals the treatment, not the effect",
          name);
      continue;
    }
    ctx.logger().warn(
        "uplift train: column {} left out of the features: it tells the control from the "
        "treated rows (one side holds a single value the other never has), as a campaign's own "
        "record such as its channel or offer does; name it in --features to use it anyway",
        name);
    specs.erase(found);
  }
}

}  // namespace cie::uplift
