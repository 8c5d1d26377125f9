#include "host/io/rfm_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <variant>

#include "core/date.hpp"

namespace cie {

namespace {

/// Appends YYYY-MM-DD without going through a format string (two per row, on the hot path).
void append_date(fmt::memory_buffer& out, std::int32_t days) {
  CivilDate const date = civil_from_days(days);
  char text[10];
  int year = date.year;
  for (int i = 3; i >= 0; --i, year /= 10) text[i] = static_cast<char>('0' + year % 10);
  text[4] = '-';
  text[5] = static_cast<char>('0' + date.month / 10);
  text[6] = static_cast<char>('0' + date.month % 10);
  text[7] = '-';
  text[8] = static_cast<char>('0' + date.day / 10);
  text[9] = static_cast<char>('0' + date.day % 10);
  out.append(text, text + 10);
}

template <typename T>
using RfmField = std::vector<T> RfmTable::*;

enum class Kind { kId, kNumber, kDate, kCell, kSegment };

/// One output column: its name, how it is written, and the RfmTable field it comes from.
struct RfmColumn {
  std::string_view name;
  Kind kind;
  std::variant<std::monostate, RfmField<std::int32_t>, RfmField<double>, RfmField<std::int8_t>>
      field;
};

/// The RFM output columns, in output order: the one list the CSV header and rows, and the
/// in-memory customer table, are made from.
std::array<RfmColumn, 19> const kRfmColumns = {{
    {"customer_id", Kind::kId, {}},
    {"recency_days", Kind::kNumber, &RfmTable::recency_days},
    {"frequency", Kind::kNumber, &RfmTable::frequency},
    {"transactions", Kind::kNumber, &RfmTable::transactions},
    {"returns", Kind::kNumber, &RfmTable::returns},
    {"monetary_total", Kind::kNumber, &RfmTable::monetary_total},
    {"monetary_mean", Kind::kNumber, &RfmTable::monetary_mean},
    {"first_purchase", Kind::kDate, &RfmTable::first_day},
    {"last_purchase", Kind::kDate, &RfmTable::last_day},
    {"tenure_days", Kind::kNumber, &RfmTable::tenure_days},
    {"repeat_frequency", Kind::kNumber, &RfmTable::repeat_frequency},
    {"repeat_recency", Kind::kNumber, &RfmTable::repeat_recency},
    {"T", Kind::kNumber, &RfmTable::age_t},
    {"mean_repeat_value", Kind::kNumber, &RfmTable::mean_repeat_value},
    {"r_score", Kind::kNumber, &RfmTable::r_score},
    {"f_score", Kind::kNumber, &RfmTable::f_score},
    {"m_score", Kind::kNumber, &RfmTable::m_score},
    {"rfm_cell", Kind::kCell, {}},
    {"segment", Kind::kSegment, {}},
}};

/// The value of a numeric column at `row`, as its own type.
template <typename Visitor>
void visit_number(RfmColumn const& column, RfmTable const& table, std::size_t row,
                  Visitor&& visitor) {
  std::visit(
      [&](auto field) {
        if constexpr (!std::is_same_v<decltype(field), std::monostate>)
          visitor((table.*field)[row]);
      },
      column.field);
}

}  // namespace

std::vector<std::string> rfm_column_names() {
  std::vector<std::string> names;
  for (RfmColumn const& column : kRfmColumns) names.emplace_back(column.name);
  return names;
}

CsvColumns rfm_csv_columns(RfmTable const& table, Transactions const& transactions,
                           SegmentTable const& segments, std::span<std::size_t const> rows) {
  CsvColumns group;
  group.names = rfm_column_names();
  group.append = [&table, &transactions, &segments, rows](fmt::memory_buffer& out,
                                                          std::size_t output_row) {
    std::size_t const row = rows.empty() ? output_row : rows[output_row];
    for (std::size_t c = 0; c < kRfmColumns.size(); ++c) {
      RfmColumn const& column = kRfmColumns[c];
      if (c > 0) out.push_back(',');
      switch (column.kind) {
        case Kind::kId:
          append_csv_field(
              out, transactions.customer_ids[static_cast<std::size_t>(table.customer[row])]);
          break;
        case Kind::kNumber:
          visit_number(column, table, row,
                       [&](auto value) { fmt::format_to(std::back_inserter(out), "{}", value); });
          break;
        case Kind::kDate:
          visit_number(column, table, row,
                       [&](auto day) { append_date(out, static_cast<std::int32_t>(day)); });
          break;
        case Kind::kCell:
          fmt::format_to(std::back_inserter(out), "{:03}", table.cell(row));
          break;
        case Kind::kSegment:
          append_csv_field(out, segments.name(static_cast<std::size_t>(table.segment[row])));
          break;
      }
    }
  };
  return group;
}

void write_rfm_csv(Context const& ctx, RfmTable const& table, Transactions const& transactions,
                   SegmentTable const& segments, std::string const& path) {
  CsvColumns const schema[] = {rfm_csv_columns(table, transactions, segments)};
  write_csv_table(ctx, path, schema, table.size());
}

CustomerTable rfm_customer_table(RfmTable const& table, Transactions const& transactions,
                                 SegmentTable const& segments, std::string source,
                                 std::vector<std::string> const& columns) {
  auto const wanted = [&](std::string_view name) {
    return columns.empty() || std::find(columns.begin(), columns.end(), name) != columns.end();
  };
  std::size_t const n = table.size();
  CustomerTable out;
  out.source = std::move(source);
  out.ids.reserve(n);
  out.line_numbers.resize(n);
  for (std::size_t row = 0; row < n; ++row) {
    out.ids.push_back(transactions.customer_ids[static_cast<std::size_t>(table.customer[row])]);
    out.line_numbers[row] = row + 1;
  }
  for (RfmColumn const& rfm_column : kRfmColumns) {
    if (!wanted(rfm_column.name)) continue;
    switch (rfm_column.kind) {
      case Kind::kId:
      case Kind::kDate:
        break;  // not features
      case Kind::kNumber:
      case Kind::kCell: {
        TableColumn& column = out.columns.emplace_back();
        column.name = rfm_column.name;
        column.numbers.resize(n);
        for (std::size_t row = 0; row < n; ++row) {
          if (rfm_column.kind == Kind::kCell) {
            column.numbers[row] = table.cell(row);
          } else {
            visit_number(rfm_column, table, row,
                         [&](auto value) { column.numbers[row] = static_cast<double>(value); });
          }
        }
        column.missing.assign(n, 0);
        break;
      }
      case Kind::kSegment: {
        TableColumn& segment = out.columns.emplace_back();
        segment.name = "segment";
        segment.type = ColumnType::kCategorical;
        for (std::size_t s = 0; s < segments.segment_count(); ++s) {
          segment.levels.push_back(segments.name(s));
        }
        segment.codes.assign(table.segment.begin(), table.segment.end());
        segment.missing.assign(n, 0);
        break;
      }
    }
  }
  return out;
}

std::string format_segment_summary(std::vector<SegmentSummary> const& summary) {
  std::size_t width = 18;
  for (SegmentSummary const& entry : summary) width = std::max(width, entry.name.size());
  std::string out = fmt::format("  {:<{}}  {:>11}  {:>7}  {:>13}\n", "segment", width, "customers",
                                "share", "revenue share");
  for (SegmentSummary const& entry : summary) {
    if (entry.customers == 0 && entry.name.empty()) continue;
    std::string_view const name =
        entry.name.empty() ? std::string_view("(no segment table)") : std::string_view(entry.name);
    out += fmt::format("  {:<{}}  {:>11}  {:>6.1f}%  {:>12.1f}%\n", name, width, entry.customers,
                       100.0 * entry.customer_share, 100.0 * entry.revenue_share);
  }
  return out;
}

}  // namespace cie
