// Stage "offers" ([offers]): who gets which offer tonight (models/offers/, as `cie offers assign`
// computes it). The customers are the run's: their RFM and attribute columns and the columns the
// earlier stages computed (NAME_probability, NAME_uplift, p_alive, clv, cluster, cluster_name...),
// which the catalogue names like any column. The contacts go out on the run's as-of day; the
// ties are keyed by the run's seed. Publishes, with the customers file and the report:
//   assignments.csv      customer_id,offer,channel,expected_value,rank (one row per contact)
//   offers_summary.json  the summary of `cie offers assign --summary`; the report's "offers"
//                        holds its headline numbers.
// The catalogue is read and its columns checked before any data is read; the history is read
// once the customers are known. Any error leaves the previous night's outputs as they were.
//
//   [offers]  (optional) catalog = "FILE" (required: models/offers/catalog.hpp),
//             history = "FILE" (optional contact history: customer_id,date,channel,offer),
//             max_iterations = 150, tolerance = 0.001: as the `cie offers assign` options
#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/date.hpp"
#include "core/text_file.hpp"
#include "host/io/assignments_output.hpp"
#include "host/io/contact_history_reader.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "models/offers/assignment.hpp"
#include "models/offers/assignment_summary.hpp"

namespace cie {
namespace {

using nlohmann::json;

constexpr char const* kAssignmentsFile = "assignments.csv";
constexpr char const* kSummaryFile = "offers_summary.json";

/// [offers].
struct OffersSettings {
  std::string catalog;
  std::string history;  ///< "" for none
  offers::AssignParams params;
};

OffersSettings read_offers_settings(ConfigSection const& section, ConfigFile const& file) {
  OffersSettings settings;
  settings.catalog = section.path("catalog", file.base(), true).value_or("");
  CIE_EXPECTS(!settings.catalog.empty(),
              "{}: [offers] needs catalog = \"FILE\" (the offer catalogue and contact policy)",
              section.where());
  settings.history = section.path("history", file.base(), true).value_or("");
  if (auto iterations = section.integer("max_iterations")) {
    CIE_EXPECTS(*iterations >= 1 && *iterations <= 100000, "{} must be in 1..100000",
                section.setting("max_iterations"));
    settings.params.max_iterations = static_cast<int>(*iterations);
  }
  if (auto tolerance = section.number("tolerance")) settings.params.tolerance = *tolerance;
  try {
    settings.params.validate();
  } catch (Error const& error) {
    throw Error(error.code(), fmt::format("{}: {}", section.where(), error.what()));
  }
  return settings;
}

class OffersStage final : public NightlyStage {
 public:
  explicit OffersStage(OffersSettings settings) : settings_(std::move(settings)) {}

  static std::vector<std::shared_ptr<NightlyStage>> configure(ConfigFile const& file,
                                                              NightlyConfig& config) {
    ConfigSection const section = file.section("offers");
    if (!section.present()) return {};
    OffersSettings settings = read_offers_settings(section, file);
    config.stage_inputs.push_back({settings.catalog, "[offers] catalog"});
    if (!settings.history.empty()) {
      config.stage_inputs.push_back({settings.history, "[offers] history"});
    }
    config.stage_outputs.push_back({kAssignmentsFile, "the offers stage's assignments"});
    config.stage_outputs.push_back({kSummaryFile, "the offers stage's summary"});
    return {std::make_shared<OffersStage>(std::move(settings))};
  }

  void check(NightlyRun& run) override {
    std::string const& path = settings_.catalog;
    catalog_.emplace(naming(run.config, "[offers] catalog", [&] {
      return offers::Catalog::from_toml(read_text_file(path), path);
    }));
    run.need_columns(catalog_->columns(), "the offer catalogue " + path);
  }

  void run(NightlyRun& run) override {
    offers::Catalog const& catalog = *catalog_;
    auto const clock = [] { return std::chrono::steady_clock::now(); };
    auto const seconds = [](auto since) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
    };
    StageProgress stage("offers", run.customers.rows(), *run.logger);
    auto const start = clock();
    IdDictionary const ids =
        index_ids(run.ctx, run.customers, [&](std::size_t row, std::size_t first) {
          fail(ExitCode::kInputData, "{}: duplicate customer id (first on {})",
               run.customers.describe_row(row), run.customers.describe_row(first));
        });
    ContactHistoryRead history;
    if (!settings_.history.empty()) {
      history = read_contact_history(run.ctx, settings_.history, ids, catalog);
      if (history.unknown_customers > 0) {
        run.logger->info("offers: {} history rows name customers who are not tonight's",
                         history.unknown_customers);
      }
    }
    double const read_seconds = seconds(start);
    std::int32_t const as_of = run.rfm.as_of_day;
    auto const policy_start = clock();
    offers::OfferProblem const problem =
        offers::build_offer_problem(run.ctx, catalog, run.customers, history.history, as_of);
    double const policy_seconds = seconds(policy_start);
    auto const solve_start = clock();
    offers::AssignmentResult const result =
        offers::assign_offers(run.ctx, settings_.params, catalog, problem);
    double const solve_seconds = seconds(solve_start);
    auto const write_start = clock();
    write_assignments(run.ctx, run.staging->path(kAssignmentsFile), catalog, run.customers.ids,
                      result);
    double const write_seconds = seconds(write_start);
    json summary = offers::assignment_summary_json(catalog, problem, result,
                                                   {{"read", read_seconds},
                                                    {"policy", policy_seconds},
                                                    {"optimise", solve_seconds},
                                                    {"write", write_seconds}});
    summary["as_of"] = format_date(as_of);
    summary["catalog"] = settings_.catalog;
    summary["history"] = settings_.history.empty() ? json(nullptr) : json(settings_.history);
    write_file_atomically(run.staging->path(kSummaryFile), summary.dump(2) + "\n");
    run.logger->info("offers: {}", offers::format_assignment_summary(summary));
    for (json const& offer : summary["min_volume_not_met"]) {
      run.logger->warn("offers: offer {}: {} contacts, {} short of its min_volume {:.0f}",
                       offer["offer"].get<std::string>(), offer["contacts"].get<std::int64_t>(),
                       offer["short"].get<std::int64_t>(), offer["min_volume"].get<double>());
    }
    run.report["offers"] = {{"assignments", kAssignmentsFile},
                            {"summary", kSummaryFile},
                            {"as_of", summary["as_of"]},
                            {"contacts", summary["contacts"]},
                            {"expected_value", summary["expected_value"]},
                            {"dual_bound", summary["dual_bound"]},
                            {"gap", summary["gap"]},
                            {"budget_used", summary["budget_used"]},
                            {"min_volume_not_met", summary["min_volume_not_met"]}};
    stage.advance(run.customers.rows());
    run.finish(stage);
  }

 private:
  OffersSettings settings_;
  std::optional<offers::Catalog> catalog_;
};

}  // namespace

NightlyStageKind offers_stage() {
  return {"offers",
          false,
          {"catalog", "history", "max_iterations", "tolerance"},
          {kAssignmentsFile, kSummaryFile},
          &OffersStage::configure};
}

}  // namespace cie
