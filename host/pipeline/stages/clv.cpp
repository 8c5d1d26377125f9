// Stage "clv": per customer P(alive), expected purchases over [clv] horizon, expected mean spend
// and CLV from a `cie clv fit` model (models/clv/clv_model.hpp), exactly as `cie clv predict`
// computes them from the same RFM summary; the report gains CLV totals and means per RFM segment
// and per k-means cluster. The RFM table's recency and T are in days; they are converted to the
// model's time unit.
//
//   [clv]  (optional) model = "FILE" (a `cie clv fit` model, not BG/BB), horizon = 52 (in the
//          model's time unit), clv_months = 12, discount_rate = 0.01 (a month), margin = 1.0: as
//          the `cie clv predict` options of the same names
#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "host/io/model_file.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "models/clv/clv_model.hpp"

namespace cie {
namespace {

/// CLV and expected purchases summed over a group of customers.
struct GroupTotals {
  std::size_t customers = 0;
  double clv = 0.0;
  double expected_purchases = 0.0;
  double p_alive = 0.0;

  [[nodiscard]] nlohmann::json to_json(std::string const& name_key, nlohmann::json name) const {
    double const n = customers > 0 ? static_cast<double>(customers) : 1.0;
    return {{name_key, std::move(name)},
            {"customers", customers},
            {"clv_total", clv},
            {"clv_mean", clv / n},
            {"expected_purchases_total", expected_purchases},
            {"p_alive_mean", p_alive / n}};
  }
};

void append_number(fmt::memory_buffer& out, double value) {
  if (std::isfinite(value)) fmt::format_to(std::back_inserter(out), "{}", value);
}

/// [clv].
struct ClvSettings {
  std::string model;
  double horizon = 52.0;
  int clv_months = 12;
  double discount_rate = 0.01;
  double margin = 1.0;
};

ClvSettings read_clv_settings(ConfigSection const& section, ConfigFile const& file) {
  ClvSettings clv;
  clv.model = section.path("model", file.base(), true).value_or("");
  CIE_EXPECTS(!clv.model.empty(), "{}: [clv] needs model = \"FILE\" (from cie clv fit)",
              file.source());
  auto const real = [&](std::string_view key, double& out) {
    if (auto value = section.number(key)) out = *value;
  };
  real("horizon", clv.horizon);
  real("discount_rate", clv.discount_rate);
  real("margin", clv.margin);
  if (auto months = section.integer("clv_months")) clv.clv_months = static_cast<int>(*months);
  CIE_EXPECTS(std::isfinite(clv.horizon) && clv.horizon > 0, "{} must be > 0",
              section.setting("horizon"));
  CIE_EXPECTS(clv.clv_months >= 1 && clv.clv_months <= 1200, "{} must be in 1..1200",
              section.setting("clv_months"));
  CIE_EXPECTS(std::isfinite(clv.discount_rate) && clv.discount_rate >= 0, "{} must be >= 0",
              section.setting("discount_rate"));
  CIE_EXPECTS(std::isfinite(clv.margin) && clv.margin >= 0, "{} must be >= 0",
              section.setting("margin"));
  return clv;
}

class ClvStage final : public NightlyStage {
 public:
  explicit ClvStage(ClvSettings settings) : settings_(std::move(settings)) {}

  static std::vector<std::shared_ptr<NightlyStage>> configure(ConfigFile const& file,
                                                              NightlyConfig& config) {
    ConfigSection const section = file.section("clv");
    if (!section.present()) return {};
    ClvSettings settings = read_clv_settings(section, file);
    config.stage_inputs.push_back({settings.model, "[clv] model"});
    return {std::make_shared<ClvStage>(std::move(settings))};
  }

  void check(NightlyRun& run) override {
    ClvSettings const& settings = settings_;
    ModelDocument const document = naming(
        run.config, "[clv] model", [&] { return read_model_file(settings.model, kClvModelKind); });
    model_.emplace(naming(run.config, "[clv] model",
                          [&] { return ClvModel::from_document(document, settings.model); }));
    CIE_EXPECTS(model_->transactions.model != "bgbb",
                "{}: [clv] model {} is a BG/BB model (discrete opportunities); the nightly run "
                "needs bgnbd, mbgnbd or pareto-nbd",
                run.config.source, settings.model);
    run.will_produce({"p_alive", "expected_purchases", "expected_value", "clv"}, "[clv]");
  }

  void run(NightlyRun& run) override {
    std::size_t const n = run.customers.rows();
    StageProgress stage("clv", n, *run.logger);
    ClvSettings const& settings = settings_;
    // (t · rfm unit) / model unit: the same bits as RFM computed in the model's unit.
    double const rfm_unit = run.rfm_params.time_unit_days;
    double const model_unit = model_->time_unit_days;
    ClvSummary summary;
    summary.frequency.resize(n);
    summary.recency.resize(n);
    summary.age.resize(n);
    summary.value.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t const row = run.rfm_rows[i];
      summary.frequency[i] = run.rfm.repeat_frequency[row];
      summary.recency[i] = run.rfm.repeat_recency[row] * rfm_unit / model_unit;
      summary.age[i] = run.rfm.age_t[row] * rfm_unit / model_unit;
      summary.value[i] = run.rfm.mean_repeat_value[row];
    }
    ClvPredictParams params;
    params.horizon = settings.horizon;
    params.clv_months = settings.clv_months;
    params.monthly_discount = settings.discount_rate;
    params.margin = settings.margin;
    predictions_ = predict_clv(run.ctx, *model_, params, summary);
    stage.advance(n);
    run.finish(stage);
    report(run);
    run.share_numeric("p_alive", std::span<double const>(predictions_.p_alive));
    run.share_numeric("expected_purchases",
                      std::span<double const>(predictions_.expected_purchases));
    run.share_numeric("expected_value", std::span<double const>(predictions_.expected_value));
    run.share_numeric("clv", std::span<double const>(predictions_.clv));
    run.output.push_back({{"p_alive", "expected_purchases", "expected_value", "clv"},
                          [this](fmt::memory_buffer& out, std::size_t row) {
                            append_number(out, predictions_.p_alive[row]);
                            out.push_back(',');
                            append_number(out, predictions_.expected_purchases[row]);
                            out.push_back(',');
                            append_number(out, predictions_.expected_value[row]);
                            out.push_back(',');
                            append_number(out, predictions_.clv[row]);
                          }});
  }

 private:
  void report(NightlyRun& run) const {
    std::vector<GroupTotals> segments(run.segment_table.segment_count());
    std::vector<GroupTotals> clusters;
    GroupTotals all;
    for (std::size_t i = 0; i < run.customers.rows(); ++i) {
      auto const add = [&](GroupTotals& group) {
        ++group.customers;
        if (std::isfinite(predictions_.clv[i])) group.clv += predictions_.clv[i];
        if (std::isfinite(predictions_.expected_purchases[i])) {
          group.expected_purchases += predictions_.expected_purchases[i];
        }
        group.p_alive += predictions_.p_alive[i];
      };
      add(all);
      add(segments[static_cast<std::size_t>(run.rfm.segment[run.rfm_rows[i]])]);
      if (!run.clusters.empty()) {
        auto const c = static_cast<std::size_t>(run.clusters[i]);
        if (clusters.size() <= c) clusters.resize(c + 1);
        add(clusters[c]);
      }
    }
    nlohmann::json by_segment = nlohmann::json::array();
    for (std::size_t s = 0; s < segments.size(); ++s) {
      if (segments[s].customers == 0) continue;
      by_segment.push_back(segments[s].to_json("segment", run.segment_table.name(s)));
    }
    nlohmann::json by_cluster = nlohmann::json::array();
    for (std::size_t c = 0; c < clusters.size(); ++c) {
      if (clusters[c].customers > 0) by_cluster.push_back(clusters[c].to_json("cluster", c));
    }
    nlohmann::json section = all.to_json("model", settings_.model);
    section["model_type"] = model_->transactions.model;
    section["spend_model"] = model_->spend ? "gamma-gamma" : "none";
    section["horizon"] = settings_.horizon;
    section["time_unit_days"] = model_->time_unit_days;
    section["by_segment"] = std::move(by_segment);
    if (!run.clusters.empty()) section["by_cluster"] = std::move(by_cluster);
    run.report["clv"] = std::move(section);
  }

  ClvSettings settings_;
  std::optional<ClvModel> model_;
  ClvPredictions predictions_;
};

}  // namespace

NightlyStageKind clv_stage() {
  return {"clv",
          false,
          {"model", "horizon", "clv_months", "discount_rate", "margin"},
          {},
          &ClvStage::configure};
}

}  // namespace cie
