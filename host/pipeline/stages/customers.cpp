// Stage "customers": the published customers are those with RFM and, when an attributes file is
// configured, a row there too (inner join on customer id; both sides' unmatched counts are in the
// report). Builds the customer table every later stage reads: the RFM columns some stage needs,
// then the attributes they need.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "core/date.hpp"
#include "host/io/customer_table_reader.hpp"
#include "host/io/delimited_text.hpp"
#include "host/io/rfm_output.hpp"
#include "host/pipeline/nightly_report.hpp"
#include "host/pipeline/nightly_run.hpp"

namespace cie {
namespace {

/// The header of a delimited file, without reading the rest.
std::vector<std::string> read_header(std::string const& path, char delimiter) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  CIE_EXPECTS(in && std::getline(in, line), "{}: cannot read the header line", path);
  if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> names;
  std::string buffer;
  SplitResult const split = LineSplitter(delimiter).split(
      line, [&](std::size_t, Field const& field) { names.emplace_back(unescape(field, buffer)); });
  CIE_EXPECTS_DATA(split.error == SplitError::kNone, "{}:1: {}", path, describe(split.error));
  return names;
}

/// Customers and revenue per RFM segment over the given RFM rows.
nlohmann::json rfm_segment_json(RfmTable const& rfm, SegmentTable const& segments,
                                std::vector<std::size_t> const& rows) {
  std::vector<std::size_t> count(segments.segment_count());
  std::vector<double> revenue(segments.segment_count());
  for (std::size_t const row : rows) {
    auto const s = static_cast<std::size_t>(rfm.segment[row]);
    ++count[s];
    revenue[s] += rfm.monetary_total[row];
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t s = 0; s < count.size(); ++s) {
    out.push_back(
        {{"segment", segments.name(s)}, {"customers", count[s]}, {"revenue", revenue[s]}});
  }
  return out;
}

CustomerTable read_attributes(NightlyRun const& run) {
  NightlyConfig const& config = run.config;
  CustomerTableRequest request;
  request.id_column = config.attributes_id_column;
  request.delimiter = config.attributes_delimiter;
  request.needed_by = config.source;
  for (std::string const& name : run.needed_columns) {
    if (std::find(run.attribute_columns.begin(), run.attribute_columns.end(), name) !=
        run.attribute_columns.end()) {
      request.columns.push_back(name);
    }
  }
  // No stage reads an attribute: the file still decides which customers are scored (the join),
  // so read its ids and its first column only.
  if (request.columns.empty() && !run.attribute_columns.empty()) {
    request.columns.push_back(run.attribute_columns.front());
  }
  request.categorical = run.categorical_columns;
  request.numeric = run.numeric_columns;
  return read_customer_table(run.ctx, config.attributes, request);
}

class CustomersStage final : public NightlyStage {
 public:
  void check(NightlyRun& run) override {
    NightlyConfig const& config = run.config;
    if (config.attributes.empty()) return;
    for (std::string const& name : read_header(config.attributes, config.attributes_delimiter)) {
      if (name == config.attributes_id_column) continue;
      CIE_EXPECTS(!run.available_columns.contains(name),
                  "{}: the attributes file {} has a column {}, which the RFM table also has; "
                  "rename it",
                  config.source, config.attributes, name);
      run.attribute_columns.push_back(name);
    }
    run.available_columns.insert(run.attribute_columns.begin(), run.attribute_columns.end());
  }

  void run(NightlyRun& run) override {
    NightlyConfig const& config = run.config;
    std::vector<std::string> rfm_columns = run.needed_columns;
    rfm_columns.push_back("segment");  // never empty: an empty list would mean every column
    run.customers = rfm_customer_table(run.rfm, run.transactions, run.segment_table,
                                       "RFM of " + config.transactions, rfm_columns);
    std::vector<JoinSide> sides;
    if (!config.attributes.empty()) {
      StageProgress stage("read attributes", 0, *run.logger);
      CustomerTable attributes = read_attributes(run);
      run.report["inputs"]["attributes"] = input_file_json(config.attributes, attributes.rows());
      std::vector<CustomerTable> others;
      others.push_back(std::move(attributes));
      run.customers = join_tables(std::move(run.customers), std::move(others), sides);
      stage.advance(run.customers.rows());
      run.finish(stage);
    }
    run.report["join"] = join_json(sides);
    run.report["customers"] = run.customers.rows();
    CIE_EXPECTS_DATA(run.customers.rows() > 0, "{}: no customer has a transaction before {}{}",
                     config.transactions, format_date(run.rfm.as_of_day),
                     config.attributes.empty() ? "" : " and a row in the attributes file");
    // The join keeps the RFM table's order and line numbers (RFM row + 1).
    run.rfm_rows.resize(run.customers.rows());
    for (std::size_t i = 0; i < run.customers.rows(); ++i) {
      run.rfm_rows[i] = run.customers.line_numbers[i] - 1;
    }
    run.report["rfm_segments"] = rfm_segment_json(run.rfm, run.segment_table, run.rfm_rows);
  }
};

}  // namespace

NightlyStageKind customers_stage() { return stage_without_section<CustomersStage>(); }

}  // namespace cie
