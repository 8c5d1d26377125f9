#include "host/rfm_output.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "host/atomic_file.hpp"
#include "host/date.hpp"

namespace cie {

char const* const kRfmCsvHeader =
    "customer_id,recency_days,frequency,transactions,monetary_total,monetary_mean,"
    "first_purchase,last_purchase,tenure_days,repeat_frequency,repeat_recency,T,"
    "mean_repeat_value,r_score,f_score,m_score,rfm_cell,segment";

void append_csv_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char ch : field) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
}

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

void append_csv_field(fmt::memory_buffer& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field.data(), field.data() + field.size());
    return;
  }
  std::string quoted;
  cie::append_csv_field(quoted, field);
  out.append(quoted.data(), quoted.data() + quoted.size());
}

}  // namespace

void write_rfm_csv(Context const& ctx, RfmTable const& table, Transactions const& transactions,
                   SegmentTable const& segments, std::string const& path,
                   std::span<std::size_t const> rows, RfmExtraColumns const* extra) {
  AtomicFile file(path);
  file.write(kRfmCsvHeader);
  if (extra != nullptr) {
    for (std::string const& name : extra->names) {
      std::string field = ",";
      append_csv_field(field, name);
      file.write(field);
    }
  }
  file.write("\n");
  std::size_t const output_rows = rows.empty() ? table.size() : rows.size();
  // Rows are formatted in parallel, one block per thread at a time, and written in order.
  constexpr std::size_t kBlockRows = 1 << 16;
  std::size_t const blocks = (output_rows + kBlockRows - 1) / kBlockRows;
  std::size_t const batch = static_cast<std::size_t>(std::max(1, ctx.threads()));
  std::vector<fmt::memory_buffer> text(batch);
  for (std::size_t first_block = 0; first_block < blocks; first_block += batch) {
    std::size_t const count = std::min(batch, blocks - first_block);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static, 1)
    for (std::size_t b = 0; b < count; ++b) {
      fmt::memory_buffer& out = text[b];
      out.clear();
      std::size_t const begin = (first_block + b) * kBlockRows;
      std::size_t const end = std::min(output_rows, begin + kBlockRows);
      for (std::size_t output_row = begin; output_row < end; ++output_row) {
        std::size_t const row = rows.empty() ? output_row : rows[output_row];
        append_csv_field(out, transactions.customer_ids[static_cast<std::size_t>(table.customer[row])]);
        fmt::format_to(std::back_inserter(out), ",{},{},{},{},{},", table.recency_days[row],
                       table.frequency[row], table.transactions[row], table.monetary_total[row],
                       table.monetary_mean[row]);
        append_date(out, table.first_day[row]);
        out.push_back(',');
        append_date(out, table.last_day[row]);
        fmt::format_to(std::back_inserter(out), ",{},{},{},{},{},{},{},{},{:03},",
                       table.tenure_days[row], table.repeat_frequency[row],
                       table.repeat_recency[row], table.age_t[row], table.mean_repeat_value[row],
                       table.r_score[row], table.f_score[row], table.m_score[row], table.cell(row));
        append_csv_field(out, segments.name(static_cast<std::size_t>(table.segment[row])));
        if (extra != nullptr) extra->append(out, output_row);
        out.push_back('\n');
      }
    }
    for (std::size_t b = 0; b < count; ++b) file.write(std::string_view(text[b].data(), text[b].size()));
  }
  file.commit();
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
  auto const add = [&](std::string name, auto const& values) {
    if (!wanted(name)) return;
    TableColumn& column = out.columns.emplace_back();
    column.name = std::move(name);
    column.type = ColumnType::kNumeric;
    column.numbers.assign(values.begin(), values.end());
    column.missing.assign(n, 0);
  };
  add("recency_days", table.recency_days);
  add("frequency", table.frequency);
  add("transactions", table.transactions);
  add("monetary_total", table.monetary_total);
  add("monetary_mean", table.monetary_mean);
  add("tenure_days", table.tenure_days);
  add("repeat_frequency", table.repeat_frequency);
  add("repeat_recency", table.repeat_recency);
  add("T", table.age_t);
  add("mean_repeat_value", table.mean_repeat_value);
  add("r_score", table.r_score);
  add("f_score", table.f_score);
  add("m_score", table.m_score);
  if (wanted("rfm_cell")) {
    std::vector<int> cells(n);
    for (std::size_t row = 0; row < n; ++row) cells[row] = table.cell(row);
    add("rfm_cell", cells);
  }
  if (!wanted("segment")) return out;
  TableColumn& segment = out.columns.emplace_back();
  segment.name = "segment";
  segment.type = ColumnType::kCategorical;
  for (std::size_t s = 0; s < segments.segment_count(); ++s) segment.levels.push_back(segments.name(s));
  segment.codes.assign(table.segment.begin(), table.segment.end());
  segment.missing.assign(n, 0);
  return out;
}

std::string format_segment_summary(std::vector<SegmentSummary> const& summary) {
  std::size_t width = 7;
  for (SegmentSummary const& entry : summary) width = std::max(width, entry.name.size());
  std::string out = fmt::format("  {:<{}}  {:>11}  {:>7}  {:>13}\n", "segment", width, "customers",
                                "share", "revenue share");
  for (SegmentSummary const& entry : summary) {
    out += fmt::format("  {:<{}}  {:>11}  {:>6.1f}%  {:>12.1f}%\n", entry.name, width,
                       entry.customers, 100.0 * entry.customer_share, 100.0 * entry.revenue_share);
  }
  return out;
}

}  // namespace cie
