// The nightly run as a list of stages (host/pipeline/nightly.cpp lists them; host/pipeline/stages/
// holds one file per stage). Each stage owns its configuration section, its checks, its work, its
// output columns and its part of the run report; the run first checks every stage, before any
// data is read, then runs them in order, then publishes the table and the report.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "core/transactions.hpp"
#include "host/io/csv_table.hpp"
#include "host/pipeline/config_section.hpp"
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
  RfmParams rfm_params;  ///< the RFM definition ([rfm]; the as-of day once the rfm stage has run)
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
  std::vector<std::size_t> rfm_rows;   ///< the RFM table row of each customer
  std::vector<std::int32_t> clusters;  ///< each customer's k-means cluster; empty without segments
  /// The published table's columns, group by group in stage order; output row i is customer i.
  std::vector<CsvColumns> output;

  // Columns one stage computes and a later one reads (the offers stage reads scores, CLV,
  // clusters). A producing stage's check declares its columns (will_produce); a later stage's
  // need_columns then accepts them and marks them shared; the producing stage's run adds the
  // shared ones to `customers` (share_numeric, share_categorical), which later stages read.
  std::map<std::string, std::string> produced_columns;  ///< column -> the stage that computes it
  std::set<std::string> shared_columns;  ///< produced columns that a later stage reads

  /// Records that the stage `what` computes `names`; a usage error when an RFM or attributes
  /// column or another stage's column has one of those names.
  void will_produce(std::vector<std::string> const& names, std::string const& what);
  /// Adds `values` as numeric column `name` of `customers` when a later stage reads it (a
  /// non-finite value is missing there).
  template <typename Number>
  void share_numeric(std::string const& name, std::span<Number const> values) {
    if (!shared_columns.contains(name)) return;
    TableColumn column;
    column.name = name;
    column.numbers.resize(values.size());
    column.missing.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      auto const value = static_cast<double>(values[i]);
      column.missing[i] = std::isfinite(value) ? 0 : 1;
      column.numbers[i] = std::isfinite(value) ? value : 0.0;
    }
    customers.columns.push_back(std::move(column));
  }
  /// Adds categorical column `name` (codes index `levels`, -1 missing) when a later stage reads it.
  void share_categorical(std::string const& name, std::vector<std::string> levels,
                         std::span<std::int32_t const> codes);

  /// Records that `what` reads the columns `needed`; a usage error (exit 2) naming the
  /// configuration, `what`, the missing columns and the columns there are when one is neither an
  /// RFM column, nor in the attributes file, nor computed by an earlier stage (will_produce).
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

/// One entry of the stage list (host/pipeline/nightly.cpp): the configuration section a stage
/// owns and how its stages are made from it. Adding a stage is one file in host/pipeline/stages/
/// (its kind, its section's keys, its stage class) and one line in the list.
struct NightlyStageKind {
  std::string section;                 ///< the section it owns ("rfm" for [rfm]); "" for none
  bool array = false;                  ///< [[section]]: one stage per table
  std::vector<std::string_view> keys;  ///< the section's keys (the unknown-key report)
  /// Files the stage may publish in the output directory besides the customers file and report.
  std::vector<std::string> published;
  /// Reads and checks the section from `file` (its values only: model files are opened by the
  /// stages' checks), records in `config` the files its stages read and publish, and returns its
  /// stages in run order: none when an optional section is absent.
  std::function<std::vector<std::shared_ptr<NightlyStage>>(ConfigFile const& file,
                                                           NightlyConfig& config)>
      configure;
};

/// The stage list, in run order (host/pipeline/nightly.cpp).
std::vector<NightlyStageKind> const& nightly_stage_kinds();

/// Transactions file -> run.transactions; report "inputs.transactions".
NightlyStageKind read_transactions_stage();
/// [rfm]: the segment table (checked), RFM -> run.rfm; the RFM output columns; "as_of",
/// "transactions_after_as_of".
NightlyStageKind rfm_stage();
/// The customers: RFM joined with the attributes file when one is configured; "inputs.attributes",
/// "join", "customers", "rfm_segments".
NightlyStageKind customers_stage();
/// [segments]: k-means clusters from a saved or a retrained model (published); the "cluster"
/// column; "segments_model", "clusters".
NightlyStageKind segments_stage();
/// [[propensity]]: one stage per model: its scores; NAME_probability and NAME_decile; an entry of
/// "models".
NightlyStageKind propensity_stage();
/// [clv]: P(alive), expected purchases, expected value and CLV from a `cie clv fit` model; "clv"
/// with totals and means per RFM segment and per cluster.
NightlyStageKind clv_stage();
/// [[uplift]]: one stage per model: its predicted uplift; NAME_uplift and NAME_uplift_decile; an
/// entry of "models".
NightlyStageKind uplift_stage();
/// [offers]: who gets which offer (models/offers/), from the catalogue, contact policy and
/// history the section names, over the customers' columns and the earlier stages' scores;
/// publishes assignments.csv and offers_summary.json; "offers" (the summary).
NightlyStageKind offers_stage();
/// Writes the published customers file from run.output.
NightlyStageKind write_stage();

/// A kind for a stage without a section, configured whatever the file says.
template <typename Stage>
NightlyStageKind stage_without_section() {
  NightlyStageKind kind;
  kind.configure = [](ConfigFile const&, NightlyConfig&) {
    return std::vector<std::shared_ptr<NightlyStage>>{std::make_shared<Stage>()};
  };
  return kind;
}

/// A kind for [[key]] tables of name and model (read_named_models): one Stage(NamedModel) per
/// table, in file order.
template <typename Stage>
NightlyStageKind stage_per_named_model(std::string const& key) {
  NightlyStageKind kind;
  kind.section = key;
  kind.array = true;
  kind.keys = {"name", "model"};
  kind.configure = [key](ConfigFile const& file, NightlyConfig& config) {
    std::vector<std::shared_ptr<NightlyStage>> stages;
    for (NamedModel& entry : read_named_models(file, key)) {
      config.stage_inputs.push_back({entry.model, "[[" + key + "]] '" + entry.name + "' model"});
      stages.push_back(std::make_shared<Stage>(std::move(entry)));
    }
    return stages;
  };
  return kind;
}

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
