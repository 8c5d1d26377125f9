// Stage "rfm": RFM features, scores and named segments of every customer with a transaction
// before the as-of day; the `cie rfm` columns lead the published table.
#include "core/date.hpp"
#include "core/text_file.hpp"
#include "host/io/rfm_output.hpp"
#include "host/pipeline/nightly_run.hpp"

namespace cie {
namespace {

class RfmStage final : public NightlyStage {
 public:
  void check(NightlyRun& run) override {
    NightlyConfig const& config = run.config;
    run.segment_table = naming(config, "[rfm] segments", [&] {
      return config.segment_table.empty()
                 ? SegmentTable::standard(config.rfm.score_bins)
                 : SegmentTable::from_toml(read_text_file(config.segment_table),
                                           config.segment_table);
    });
    CIE_EXPECTS(run.segment_table.score_bins() == config.rfm.score_bins,
                "{}: [rfm] segments {} is a table for {} score bins, but score_bins is {}",
                config.source, config.segment_table, run.segment_table.score_bins(),
                config.rfm.score_bins);
    for (TableColumn const& column :
         rfm_customer_table(RfmTable{}, Transactions{}, run.segment_table, "").columns) {
      run.available_columns.insert(column.name);
    }
  }

  void run(NightlyRun& run) override {
    StageProgress stage("rfm", run.transactions.customer_count(), *run.logger);
    RfmParams params = run.config.rfm;
    params.as_of_day = run.config.as_of_day;
    run.rfm = compute_rfm(run.ctx, params, run.transactions, run.segment_table);
    stage.advance(run.rfm.size());
    run.finish(stage);
    run.report["as_of"] = format_date(run.rfm.as_of_day);
    run.report["transactions_after_as_of"] = run.rfm.transactions_after_as_of;
    run.report["return_rows"] = run.rfm.return_rows;
    run.report["return_only_customers"] = run.rfm.return_only_customers;

    // Only the customer ids are needed from here on: free the rows (20 bytes each).
    std::vector<std::int32_t>().swap(run.transactions.customer);
    std::vector<std::int64_t>().swap(run.transactions.timestamp);
    std::vector<double>().swap(run.transactions.amount);

    CsvColumns all_rows = rfm_csv_columns(run.rfm, run.transactions, run.segment_table);
    run.output.push_back(
        {std::move(all_rows.names),
         [&run, append = std::move(all_rows.append)](fmt::memory_buffer& out, std::size_t row) {
           append(out, run.rfm_rows[row]);
         }});
  }
};

}  // namespace

std::unique_ptr<NightlyStage> rfm_stage() { return std::make_unique<RfmStage>(); }

}  // namespace cie
