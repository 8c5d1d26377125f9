#include "core/customer_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "core/number_text.hpp"

// Operations on parsed customer tables: row selection, complete numeric columns for k-means, the
// join on customer id, response labels.
namespace cie {

std::size_t TableColumn::missing_count() const noexcept {
  if (is_borrowed) {
    std::size_t count = 0;
    for (std::size_t row = 0; row < borrowed.size(); ++row) count += is_missing(row) ? 1 : 0;
    return count;
  }
  return static_cast<std::size_t>(std::count(missing.begin(), missing.end(), std::uint8_t{1}));
}

TableColumn const* CustomerTable::find(std::string_view name) const noexcept {
  auto const found = std::find_if(columns.begin(), columns.end(),
                                  [&](TableColumn const& column) { return column.name == name; });
  return found == columns.end() ? nullptr : &*found;
}

TableColumn* CustomerTable::find(std::string_view name) noexcept {
  return const_cast<TableColumn*>(std::as_const(*this).find(name));
}

std::string CustomerTable::describe_row(std::size_t row) const {
  return fmt::format("{}:{}", source, line_numbers[row]);
}

TableColumn CustomerTable::take(std::string_view name) {
  auto const found = std::find_if(columns.begin(), columns.end(),
                                  [&](TableColumn const& column) { return column.name == name; });
  if (found == columns.end()) {
    std::vector<std::string_view> names;
    for (TableColumn const& column : columns) names.push_back(column.name);
    fail(ExitCode::kUsage, "{}: no column {}; its columns are: {}", source, name,
         fmt::join(names, ", "));
  }
  TableColumn column = std::move(*found);
  columns.erase(found);
  return column;
}

namespace {

/// The ids of `table` by row; a repeated id (possible in tables built in code) is an input error.
IdDictionary index_ids(CustomerTable const& table) {
  return index_ids(table, [&](std::size_t row, std::size_t first) {
    fail(ExitCode::kInputData, "{}: duplicate customer id (first on line {})",
         table.describe_row(row), table.line_numbers[first]);
  });
}

/// The rows `rows` of `column`, in that order.
void gather(TableColumn& column, std::vector<std::size_t> const& rows) {
  auto const pick = [&](auto& values) {
    if (values.empty()) return;
    std::remove_reference_t<decltype(values)> picked(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) picked[i] = values[rows[i]];
    values = std::move(picked);
  };
  pick(column.numbers);
  pick(column.missing);
  pick(column.codes);
}

}  // namespace

CustomerTable select_rows(CustomerTable const& table, std::span<std::size_t const> rows) {
  CustomerTable out;
  out.source = table.source;
  out.ids.reserve(rows.size());
  out.line_numbers.reserve(rows.size());
  for (std::size_t const row : rows) {
    CIE_ASSERT(row < table.rows());
    out.ids.push_back(table.ids[row]);
    out.line_numbers.push_back(table.line_numbers[row]);
  }
  out.columns.reserve(table.columns.size());
  for (TableColumn const& column : table.columns) {
    TableColumn& copy = out.columns.emplace_back();
    copy.name = column.name;
    copy.type = column.type;
    copy.levels = column.levels;
    auto const pick = [&](auto const& from, auto& to) {
      to.reserve(from.empty() ? 0 : rows.size());
      if (!from.empty()) {
        for (std::size_t const row : rows) to.push_back(from[row]);
      }
    };
    pick(column.numbers, copy.numbers);
    pick(column.missing, copy.missing);
    pick(column.codes, copy.codes);
    if (column.is_borrowed) {  // an owned copy of the rows: NaN becomes 0 with a missing flag
      copy.numbers.reserve(rows.size());
      copy.missing.reserve(rows.size());
      for (std::size_t const row : rows) {
        bool const missing = column.is_missing(row);
        copy.numbers.push_back(missing ? 0.0 : column.number(row));
        copy.missing.push_back(missing ? 1 : 0);
      }
    }
  }
  return out;
}

RawColumns complete_numeric_columns(CustomerTable const& table, std::span<std::string const> names,
                                    std::string const& needed_by) {
  RawColumns raw;
  raw.rows = table.rows();
  for (std::string const& name : names) {
    TableColumn const* column = table.find(name);
    CIE_EXPECTS(column != nullptr && column->type == ColumnType::kNumeric,
                "{} needs a numeric column {}; the customer table has none", needed_by, name);
    auto const missing = std::find(column->missing.begin(), column->missing.end(), 1);
    CIE_EXPECTS_DATA(
        missing == column->missing.end(), "{}: column {}: missing value, which {} cannot use",
        table.describe_row(static_cast<std::size_t>(missing - column->missing.begin())), name,
        needed_by);
    raw.columns.emplace_back(column->numbers);
  }
  raw.describe_row = [&table](std::size_t row) { return table.describe_row(row); };
  return raw;
}

nlohmann::json join_json(std::vector<JoinSide> const& sides) {
  nlohmann::json out = nlohmann::json::array();
  for (JoinSide const& side : sides) {
    out.push_back({{"source", side.source},
                   {"rows", side.rows},
                   {"matched", side.matched},
                   {"unmatched", side.unmatched}});
  }
  return out;
}

CustomerTable join_tables(CustomerTable base, std::vector<CustomerTable> others,
                          std::vector<JoinSide>& sides) {
  std::vector<CustomerTable const*> tables = {&base};
  for (CustomerTable const& other : others) tables.push_back(&other);
  for (std::size_t t = 1; t < tables.size(); ++t) {
    for (TableColumn const& column : tables[t]->columns) {
      for (std::size_t earlier = 0; earlier < t; ++earlier) {
        CIE_EXPECTS(tables[earlier]->find(column.name) == nullptr,
                    "column {} is in both {} and {}; exclude it from one of them", column.name,
                    tables[earlier]->source, tables[t]->source);
      }
    }
  }

  if (others.empty()) {
    sides = {{base.source, base.rows(), base.rows(), 0}};
    return base;
  }
  IdDictionary const base_index = index_ids(base);
  std::vector<std::vector<std::size_t>> partner(others.size());  // per other: row per kept row
  std::vector<std::size_t> kept;
  std::vector<IdDictionary> indexes;
  for (CustomerTable const& other : others) indexes.push_back(index_ids(other));
  std::vector<std::size_t> rows_of_other(others.size());
  std::vector<std::uint64_t> hashes(base.rows());
  for (std::size_t row = 0; row < base.rows(); ++row) hashes[row] = base_index.hash(row);
  for (std::size_t row = 0; row < base.rows(); ++row) {
    bool everywhere = true;
    for (std::size_t t = 0; t < others.size() && everywhere; ++t) {
      std::int32_t const found = indexes[t].find(base.ids[row], hashes[row]);
      everywhere = found >= 0;
      if (everywhere) rows_of_other[t] = static_cast<std::size_t>(found);
    }
    if (!everywhere) continue;
    kept.push_back(row);
    for (std::size_t t = 0; t < others.size(); ++t) partner[t].push_back(rows_of_other[t]);
  }

  sides.clear();
  sides.push_back({base.source, base.rows(), kept.size(), base.rows() - kept.size()});
  for (CustomerTable const& other : others) {
    std::size_t matched = 0;
    for (std::string const& id : other.ids)
      matched += base_index.find(id, hash_id(id)) >= 0 ? 1 : 0;
    sides.push_back({other.source, other.rows(), matched, other.rows() - matched});
  }

  CustomerTable joined;
  joined.source = base.source;
  joined.ids.reserve(kept.size());
  joined.line_numbers.reserve(kept.size());
  for (std::size_t const row : kept) {
    joined.ids.push_back(std::move(base.ids[row]));
    joined.line_numbers.push_back(base.line_numbers[row]);
  }
  for (TableColumn& column : base.columns) {
    gather(column, kept);
    joined.columns.push_back(std::move(column));
  }
  for (std::size_t t = 0; t < others.size(); ++t) {
    for (TableColumn& column : others[t].columns) {
      gather(column, partner[t]);
      joined.columns.push_back(std::move(column));
    }
  }
  return joined;
}

std::vector<float> response_labels(CustomerTable const& table, TableColumn const& column,
                                   std::string const& positive) {
  std::size_t const rows = table.rows();
  std::vector<float> labels(rows);
  for (std::size_t row = 0; row < rows; ++row) {
    CIE_EXPECTS_DATA(column.missing[row] == 0, "{}: column {}: the response is missing",
                     table.describe_row(row), column.name);
  }
  if (column.type == ColumnType::kCategorical) {
    CIE_EXPECTS(!positive.empty(),
                "{}: the response column {} is categorical ({}); name its positive value",
                table.source, column.name, fmt::join(column.levels, ", "));
    auto const found = std::find(column.levels.begin(), column.levels.end(), positive);
    CIE_EXPECTS(found != column.levels.end(),
                "{}: the response column {} has no value '{}'; its values are: {}", table.source,
                column.name, positive, fmt::join(column.levels, ", "));
    auto const code = static_cast<std::int32_t>(found - column.levels.begin());
    for (std::size_t row = 0; row < rows; ++row) labels[row] = column.codes[row] == code ? 1 : 0;
    return labels;
  }
  if (!positive.empty()) {
    double value = 0.0;
    CIE_EXPECTS(parse_number(positive, value) && std::isfinite(value),
                "{}: the response column {} is numeric but its positive value '{}' is not a "
                "number",
                table.source, column.name, positive);
    for (std::size_t row = 0; row < rows; ++row) {
      labels[row] = column.numbers[row] == value ? 1.0F : 0.0F;
    }
    return labels;
  }
  for (std::size_t row = 0; row < rows; ++row) {
    double const value = column.numbers[row];
    CIE_EXPECTS_DATA(value == 0.0 || value == 1.0,
                     "{}: column {}: the response must be 0 or 1, found {}",
                     table.describe_row(row), column.name, value);
    labels[row] = static_cast<float>(value);
  }
  return labels;
}
}  // namespace cie
