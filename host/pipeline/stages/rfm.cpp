// Stage "rfm": RFM features, scores and named segments of every customer with a transaction
// before the as-of day; the `cie rfm` columns lead the published table.
//
//   [rfm]   score_bins = 5, frequency = "days" | "transactions" | "orders" (default orders with
//           [inputs] order_col, else days), monetary = "total" | "mean", ties = "equal" | "first",
//           segments = "FILE" (default the standard table, or none: scores without segment names
//           for a bin count without one): as the `cie rfm` options of the same names.
#include "core/date.hpp"
#include "core/text_file.hpp"
#include "host/io/rfm_output.hpp"
#include "host/pipeline/nightly_run.hpp"

namespace cie {
namespace {

class RfmStage final : public NightlyStage {
 public:
  RfmStage(RfmParams params, std::string segment_table)
      : params_(params), segment_table_(std::move(segment_table)) {}

  /// [rfm] (the section may be absent: the defaults).
  static std::vector<std::shared_ptr<NightlyStage>> configure(ConfigFile const& file,
                                                              NightlyConfig& config) {
    ConfigSection const rfm = file.section("rfm");
    RfmParams params;
    if (auto bins = rfm.integer("score_bins")) params.score_bins = static_cast<int>(*bins);
    bool const has_orders = !config.transactions_format.order_column.empty();
    if (auto text = rfm.text("frequency")) {
      params.frequency = parse_frequency_definition(*text, rfm.setting("frequency"));
      CIE_EXPECTS(params.frequency != FrequencyDefinition::kOrders || has_orders,
                  "{}: frequency = \"orders\" needs [inputs] order_col", rfm.setting("frequency"));
    } else if (has_orders) {
      params.frequency = FrequencyDefinition::kOrders;
    }
    if (auto text = rfm.text("ties")) params.ties = parse_score_ties(*text, rfm.setting("ties"));
    if (auto text = rfm.text("monetary")) {
      params.monetary_basis = parse_monetary_basis(*text, rfm.setting("monetary"));
    }
    std::string const table = rfm.path("segments", file.base(), true).value_or("");
    try {
      params.validate();
    } catch (Error const& error) {
      fail(ExitCode::kUsage, "{}: [rfm] {}", config.source, error.what());
    }
    config.stage_inputs.push_back({table, "[rfm] segments"});
    return {std::make_shared<RfmStage>(params, table)};
  }

  void check(NightlyRun& run) override {
    NightlyConfig const& config = run.config;
    run.rfm_params = params_;
    run.segment_table = naming(config, "[rfm] segments", [&] {
      return segment_table_.empty()
                 ? SegmentTable::standard(params_.score_bins)
                 : SegmentTable::from_toml(read_text_file(segment_table_), segment_table_);
    });
    CIE_EXPECTS(run.segment_table.score_bins() == params_.score_bins,
                "{}: [rfm] segments {} is a table for {} score bins, but score_bins is {}",
                config.source, segment_table_, run.segment_table.score_bins(), params_.score_bins);
    for (TableColumn const& column :
         rfm_customer_table(RfmTable{}, Transactions{}, run.segment_table, "").columns) {
      run.available_columns.insert(column.name);
    }
  }

  void run(NightlyRun& run) override {
    StageProgress stage("rfm", run.transactions.customer_count(), *run.logger);
    RfmParams params = params_;
    params.as_of_day = run.config.as_of_day;
    run.rfm = compute_rfm(run.ctx, params, run.transactions, run.segment_table);
    stage.advance(run.rfm.size());
    run.finish(stage);
    run.report["as_of"] = format_date(run.rfm.as_of_day);
    run.report["transactions_after_as_of"] = run.rfm.transactions_after_as_of;
    run.report["days_after_last_purchase"] = run.rfm.days_after_last_purchase;  // warned > 365
    run.report["return_rows"] = run.rfm.return_rows;
    run.report["return_only_customers"] = run.rfm.return_only_customers;

    // Only the customer ids are needed from here on: free the rows (20 bytes each).
    std::vector<std::int32_t>().swap(run.transactions.customer);
    std::vector<std::int64_t>().swap(run.transactions.timestamp);
    std::vector<double>().swap(run.transactions.amount);

    CsvColumns all_rows = rfm_csv_columns(run.rfm, run.transactions, run.segment_table);
    run.output.push_back({std::move(all_rows.names), [&run, append = std::move(all_rows.append)](
                                                         fmt::memory_buffer& out, std::size_t row) {
                            append(out, run.rfm_rows[row]);
                          }});
  }

 private:
  RfmParams params_;
  std::string segment_table_;  ///< "" for the standard table
};

}  // namespace

NightlyStageKind rfm_stage() {
  return {"rfm",
          false,
          {"score_bins", "frequency", "monetary", "ties", "segments"},
          {},
          &RfmStage::configure};
}

}  // namespace cie
