// Writing RFM results: the per-customer CSV and the readable summary.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "host/context.hpp"
#include "host/customer_table.hpp"
#include "host/transactions.hpp"
#include "models/rfm.hpp"
#include "models/rfm_segments.hpp"

namespace cie {

/// The CSV header written by write_rfm_csv, without the line end.
extern char const* const kRfmCsvHeader;

/// Columns appended to each row of write_rfm_csv: header names, and a formatter that appends
/// ",value,..." (one value per name) for output row i. Called from several threads at once.
struct RfmExtraColumns {
  std::vector<std::string> names;
  std::function<void(fmt::memory_buffer& out, std::size_t output_row)> append;
};

/// Writes one row per customer of `table` to `path`, atomically (temporary file, then rename):
/// customer_id (the original id, CSV-quoted when needed), the features of RfmTable, dates as
/// YYYY-MM-DD, doubles in their shortest round-trip form, the scores, the cell and the segment
/// name. `rows` (RFM table rows, in output order) writes a subset; empty writes every row.
/// `extra` adds columns after the segment.
void write_rfm_csv(Context const& ctx, RfmTable const& table, Transactions const& transactions,
                   SegmentTable const& segments, std::string const& path,
                   std::span<std::size_t const> rows = {}, RfmExtraColumns const* extra = nullptr);

/// The RFM table as a customer table, for models that read RFM features computed in memory
/// exactly as they read `cie rfm`'s CSV: ids, then the numeric columns recency_days, frequency,
/// transactions, monetary_total, monetary_mean, tenure_days, repeat_frequency, repeat_recency, T,
/// mean_repeat_value, r_score, f_score, m_score, rfm_cell and the categorical column segment.
/// line_numbers hold the RFM row + 1; `source` names the table in messages. `columns`, when not
/// empty, keeps only the columns it names (the others are not built: a run at millions of
/// customers holds only what its models read).
CustomerTable rfm_customer_table(RfmTable const& table, Transactions const& transactions,
                                 SegmentTable const& segments, std::string source,
                                 std::vector<std::string> const& columns = {});

/// Appends `field` to `out`, quoted as RFC 4180 asks when it holds a comma, quote or line break.
void append_csv_field(std::string& out, std::string_view field);

/// The segment table of a run as aligned text: segment, customers, share, revenue share.
std::string format_segment_summary(std::vector<SegmentSummary> const& summary);

}  // namespace cie
