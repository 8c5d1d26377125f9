// The nightly run as a list of stages (host/pipeline/nightly.cpp lists them; host/pipeline/stages/
// holds one file per stage). Each stage owns its checks, its work, its output columns and its
// part of the run report; the run first checks every stage, before any data is read, then runs
// them in order, then publishes the table and the report.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "core/transactions.hpp"
#include "host/io/csv_table.hpp"
#include "host/pipeline/nightly_config.hpp"
#include "host/pipeline/progress.hpp"
#include "host/pipeline/publish.hpp"
#include "models/rfm/rfm.hpp"
#include "models/rfm/rfm_segments.hpp"

namespace cie {

/// What the stages of one run share; stages fill it in list order.
struct NightlyRun {
  NightlyRun(NightlyConfig const& run_config, std::shared_ptr<Logger> run_logger)
      : config(run_config), logger(std::move(run_logger)) {}

  NightlyConfig const& config;
  std::shared_ptr<Logger> logger;
  /// The CPU until the checks have passed, then the configured device.
  Context ctx = Context::cpu();
  /// Where outputs are written until they are published together.
  OutputStaging* staging = nullptr;
  nlohmann::json report = nlohmann::json::object();
  std::vector<StageTiming> timings;

  // Set by the checks.
  SegmentTable segment_table;
  /// The RFM columns and the attributes file's columns (its id excluded).
  std::set<std::string> available_columns;
  std::vector<std::string> attribute_columns;  ///< the attributes file's header, id excluded
  /// Every column a stage reads (RFM or attribute), in first-use order: the run builds and reads
  /// only these.
  std::vector<std::string> needed_columns;
  /// Attribute columns a stage reads as categorical / numeric (a model's encoder types).
  std::vector<std::string> categorical_columns;
  std::vector<std::string> numeric_columns;

  // Set by the stages' work.
  Transactions transactions;  ///< after the rfm stage, only the customer ids are kept
  RfmTable rfm;
  /// One row per published customer: RFM (the needed columns), joined with the attributes.
  CustomerTable customers;
  std::vector<std::size_t> rfm_rows;  ///< the RFM table row of each customer
  std::vector<std::int32_t> clusters;  ///< each customer's k-means cluster; empty without segments
  /// The published table's columns, group by group in stage order; output row i is customer i.
  std::vector<CsvColumns> output;

  /// Records that `what` reads the columns `needed`; a usage error (exit 2) naming the
  /// configuration, `what`, the missing columns and the columns there are when one is neither an
  /// RFM column nor in the attributes file.
  void need_columns(std::vector<std::string> const& needed, std::string const& what);
  /// Adds `stage`'s timing to the report's stages.
  void finish(StageProgress& stage) { timings.push_back(stage.finish()); }
};

class NightlyStage {
 public:
  virtual ~NightlyStage() = default;
  /// Loads and checks what the stage needs (tables, models, columns) before any data is read.
  virtual void check(NightlyRun& run) { (void)run; }
  /// Does the stage's work: its results, its output columns and its part of the report.
  virtual void run(NightlyRun& run) = 0;
};

/// Transactions file -> run.transactions; report "inputs.transactions".
std::unique_ptr<NightlyStage> read_transactions_stage();
/// The segment table (checked), RFM -> run.rfm; the RFM output columns; "as_of",
/// "transactions_after_as_of".
std::unique_ptr<NightlyStage> rfm_stage();
/// The customers: RFM joined with the attributes file when one is configured; "inputs.attributes",
/// "join", "customers", "rfm_segments".
std::unique_ptr<NightlyStage> customers_stage();
/// k-means clusters from a saved or a retrained model (published); the "cluster" column;
/// "segments_model", "clusters".
std::unique_ptr<NightlyStage> segments_stage();
/// One propensity model's scores; NAME_probability and NAME_decile; an entry of "models".
std::unique_ptr<NightlyStage> propensity_stage(NightlyPropensity const& entry);
/// P(alive), expected purchases, expected value and CLV from a `cie clv fit` model; "clv" with
/// totals and means per RFM segment and per cluster.
std::unique_ptr<NightlyStage> clv_stage();
/// One uplift model's predicted uplift; NAME_uplift and NAME_uplift_decile; an entry of "models".
std::unique_ptr<NightlyStage> uplift_stage(NightlyUplift const& entry);
/// Writes the published customers file from run.output.
std::unique_ptr<NightlyStage> write_stage();

/// Runs `load`, prefixing the message of a failure with where the configuration names the file.
template <typename Load>
auto naming(NightlyConfig const& config, std::string const& key, Load&& load) {
  try {
    return load();
  } catch (Error const& error) {
    throw Error(error.code(), fmt::format("{}: {}: {}", config.source, key, error.what()));
  }
}

}  // namespace cie
