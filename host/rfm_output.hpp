// Writing RFM results: the per-customer CSV and the readable summary.
#pragma once

#include <string>

#include "host/context.hpp"
#include "host/transactions.hpp"
#include "models/rfm.hpp"
#include "models/rfm_segments.hpp"

namespace cie {

/// The CSV header written by write_rfm_csv, without the line end.
extern char const* const kRfmCsvHeader;

/// Writes one row per customer of `table` to `path`, atomically (temporary file, then rename):
/// customer_id (the original id, CSV-quoted when needed), the features of RfmTable, dates as
/// YYYY-MM-DD, doubles in their shortest round-trip form, the scores, the cell and the segment
/// name.
void write_rfm_csv(Context const& ctx, RfmTable const& table, Transactions const& transactions,
                   SegmentTable const& segments, std::string const& path);

/// Appends `field` to `out`, quoted as RFC 4180 asks when it holds a comma, quote or line break.
void append_csv_field(std::string& out, std::string_view field);

/// The segment table of a run as aligned text: segment, customers, share, revenue share.
std::string format_segment_summary(std::vector<SegmentSummary> const& summary);

}  // namespace cie
