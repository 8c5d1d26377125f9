// RFM results as output: the per-customer columns (one list, in output order, for the CSV and for
// the in-memory customer table), and the readable segment summary.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "core/transactions.hpp"
#include "host/io/csv_table.hpp"
#include "models/rfm/rfm.hpp"
#include "models/rfm/rfm_segments.hpp"

namespace cie {

/// The names of the RFM output columns, in order: customer_id, recency_days, frequency,
/// transactions, returns, monetary_total, monetary_mean, first_purchase, last_purchase,
/// tenure_days, repeat_frequency, repeat_recency, T, mean_repeat_value, r_score, f_score, m_score,
/// rfm_cell, segment.
std::vector<std::string> rfm_column_names();

/// The RFM columns as one CSV group: customer_id (the original id, CSV-quoted when needed), the
/// features of RfmTable, dates as YYYY-MM-DD, doubles in their shortest round-trip form, the
/// scores, the cell (three digits) and the segment name. Output row i is RFM table row rows[i]
/// (every row in order when `rows` is empty). The group points into its arguments, which must
/// outlive it.
CsvColumns rfm_csv_columns(RfmTable const& table, Transactions const& transactions,
                           SegmentTable const& segments, std::span<std::size_t const> rows = {});

/// Writes one row per customer of `table` to `path` atomically: the rfm_csv_columns().
void write_rfm_csv(Context const& ctx, RfmTable const& table, Transactions const& transactions,
                   SegmentTable const& segments, std::string const& path);

/// The RFM table as a customer table, for models that read RFM features computed in memory
/// exactly as they read `cie rfm`'s CSV: ids, then the numeric output columns (all but the id and
/// the two dates) and the categorical column segment. line_numbers hold the RFM row + 1;
/// `source` names the table in messages. `columns`, when not empty, keeps only the columns it
/// names (the others are not built: a run at millions of customers holds only what its models
/// read).
CustomerTable rfm_customer_table(RfmTable const& table, Transactions const& transactions,
                                 SegmentTable const& segments, std::string source,
                                 std::vector<std::string> const& columns = {});

/// The segment table of a run as aligned text: segment, customers, share, revenue share.
std::string format_segment_summary(std::vector<SegmentSummary> const& summary);

}  // namespace cie
