// Stage "score NAME" ([[propensity]]): one propensity model's probability and decile for every
// customer (deciles as `cie propensity score`: ties, which a calibrator's steps make common, by the
// uncalibrated score, then by input order), in batches sized by plan_batches from the memory
// budget and the GPU's free memory; a
// device failure retries at half the batch size, then falls back to the CPU with a warning unless
// the GPU was demanded (then exit code 4).
//
//   [[propensity]]  (0 or more) name = "spring" (letters, digits, '_'), model = "FILE" (from
//                   `cie propensity train`), explain = K (optional, 0..100, default 0: each
//                   customer's K strongest reasons as NAME_reason_r, NAME_contribution_r,
//                   r = 1..K, as `cie propensity score --explain K` writes them)
#include "models/propensity/propensity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/units.hpp"
#include "host/io/model_file.hpp"
#include "host/pipeline/batch_plan.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "kernels/device.hpp"
#include "models/metrics/classification_metrics.hpp"

namespace cie {
namespace {

using nlohmann::json;

/// A device failure the run may recover from: the request was auto, not an explicit GPU.
bool may_fall_back(NightlyRun const& run, Error const& error) {
  return error.code() == ExitCode::kDevice && run.ctx.is_cuda() &&
         DeviceRequest::parse(run.config.device).kind == DeviceRequest::Kind::kAuto;
}

Context cpu_context(NightlyRun const& run) {
  ContextOptions options;
  options.device.kind = DeviceRequest::Kind::kCpu;
  options.threads = run.config.threads;
  options.seed = run.config.seed;
  options.memory_budget_bytes = run.config.memory_limit_bytes;
  return Context(options, run.logger);
}

json decile_summary(std::vector<double> const& probability, Ranking const& ranking) {
  json out = json::array();
  for (int d = 1; d <= 10; ++d) {
    std::size_t count = 0;
    double sum = 0.0;
    for (std::size_t i = 0; i < probability.size(); ++i) {
      if (ranking.decile[i] != d) continue;
      ++count;
      sum += probability[i];
    }
    out.push_back({{"decile", d},
                   {"customers", count},
                   {"mean_probability", count == 0 ? 0.0 : sum / static_cast<double>(count)}});
  }
  return out;
}

class PropensityStage final : public NightlyStage {
 public:
  explicit PropensityStage(NamedModel entry, std::size_t explain = 0)
      : name_(std::move(entry.name)), path_(std::move(entry.model)), explain_(explain) {}

  void check(NightlyRun& run) override {
    std::string const key = fmt::format("[[propensity]] '{}' model", name_);
    document_ = naming(run.config, key, [&] { return read_model_file(path_, "propensity"); });
    model_.emplace(
        naming(run.config, key, [&] { return PropensityModel::from_document(document_, path_); }));
    run.need_columns(model_->encoder().input_columns(),
                     fmt::format("propensity model '{}' ({})", name_, path_));
    for (EncodedColumnSpec const& spec : model_->encoder().specs()) {
      auto& list =
          spec.type == ColumnType::kCategorical ? run.categorical_columns : run.numeric_columns;
      if (std::find(list.begin(), list.end(), spec.name) == list.end()) list.push_back(spec.name);
    }
    std::vector<std::string> columns = {name_ + "_probability", name_ + "_decile"};
    for (std::size_t r = 1; r <= explain_; ++r) {
      columns.push_back(fmt::format("{}_reason_{}", name_, r));
      columns.push_back(fmt::format("{}_contribution_{}", name_, r));
    }
    run.will_produce(columns, fmt::format("[[propensity]] '{}'", name_));
  }

  void run(NightlyRun& run) override {
    json plan;
    probability_ = score(run, *model_, plan, "score " + name_);
    // A calibrator's steps tie many customers: rank them by the uncalibrated score, as
    // `cie propensity score` does.
    std::vector<double> uncalibrated;
    if (model_->calibrator().kind() != Calibrator::Kind::kNone) {
      PropensityModel::Learner learner = LogisticModel{};
      if (model_->is_gbdt()) {
        learner = model_->gbdt();
      } else {
        learner = model_->logistic();
      }
      PropensityModel const raw(model_->encoder(), std::move(learner), Calibrator{},
                                model_->target(), model_->positive());
      json unused;
      uncalibrated = score(run, raw, unused, "score " + name_ + " uncalibrated (ties)");
    }
    ranking_ = rank_scores(probability_, 10, uncalibrated);
    json model = {{"name", name_},
                  {"path", path_},
                  {"checksum", xxh64_hex(model_file_text(document_))},
                  {"engine_version", document_.engine_version},
                  {"created_utc", document_.created_utc},
                  {"target", model_->target()},
                  {"features", model_->encoder().feature_names().size()},
                  {"batches", plan},
                  {"deciles", decile_summary(probability_, ranking_)}};
    if (explain_ > 0) {
      model["explain"] = explain_;
      explain(run);
    }
    run.report["models"].push_back(std::move(model));
    run.share_numeric(name_ + "_probability", std::span<double const>(probability_));
    run.share_numeric(name_ + "_decile", std::span<std::int32_t const>(ranking_.decile));
    std::vector<std::string> columns = {name_ + "_probability", name_ + "_decile"};
    for (std::size_t r = 1; r <= explain_; ++r) {
      columns.push_back(fmt::format("{}_reason_{}", name_, r));
      columns.push_back(fmt::format("{}_contribution_{}", name_, r));
    }
    run.output.push_back({columns, [this](fmt::memory_buffer& out, std::size_t row) {
                            fmt::format_to(std::back_inserter(out), "{},{}", probability_[row],
                                           ranking_.decile[row]);
                            for (std::size_t r = 0; r < explain_; ++r) {
                              std::int32_t const feature = reasons_.feature[row * explain_ + r];
                              if (feature < 0) {
                                fmt::format_to(std::back_inserter(out), ",,");
                                continue;
                              }
                              fmt::format_to(std::back_inserter(out), ",{},{}",
                                             quoted_[static_cast<std::size_t>(feature)],
                                             reasons_.contribution[row * explain_ + r]);
                            }
                          }});
  }

 private:
  /// The reasons (PropensityModel::explain, on the CPU: TreeSHAP has no GPU twin) and the
  /// feature names as CSV fields.
  void explain(NightlyRun& run) {
    StageProgress progress("explain " + name_, run.customers.rows(), *run.logger);
    reasons_ = model_->explain(cpu_context(run), run.customers, path_, 65536, explain_);
    progress.advance(run.customers.rows());
    run.finish(progress);
    for (std::string const& name : model_->encoder().feature_names()) {
      bool const plain = name.find_first_of(",\"\r\n") == std::string::npos;
      std::string field = plain ? name : "\"";
      if (!plain) {
        for (char const c : name) field += c == '"' ? std::string("\"\"") : std::string(1, c);
        field += '"';
      }
      quoted_.push_back(std::move(field));
    }
  }

  /// Scores the customers in planned batches, with the device fallback.
  std::vector<double> score(NightlyRun& run, PropensityModel const& model, json& plan_report,
                            std::string const& what) {
    std::size_t const features = model.encoder().feature_names().size();
    // One batch buffer row: the encoded features (float32) and the probability (double); the
    // pipeline encodes straight from the table, so nothing else is per batch.
    std::size_t const row_bytes = 4 * features + 8;
    std::size_t const resident = current_rss_bytes();
    std::size_t const budget = run.ctx.memory_budget_bytes() > resident
                                   ? run.ctx.memory_budget_bytes() - resident
                                   : std::size_t{1} << 20;
    if (run.ctx.memory_budget_bytes() <= resident) {
      run.logger->warn(
          "score {}: the tables held already use {} of memory_limit {}; scoring in the "
          "smallest batches",
          name_, format_bytes(resident), format_bytes(run.ctx.memory_budget_bytes()));
    }
    BatchPlan plan = plan_batches(run.customers.rows(), row_bytes, row_bytes, budget,
                                  device_free_bytes(run.ctx));
    plan_report = {
        {"batch_rows", plan.batch_rows}, {"batches", plan.batches}, {"reason", plan.reason}};
    run.logger->debug("score {}: {}", name_, plan.reason);

    StageProgress progress(what, run.customers.rows(), *run.logger);
    std::vector<double> probability(run.customers.rows());
    std::size_t batch_rows = std::max<std::size_t>(plan.batch_rows, 1);
    std::size_t done = 0;  // rows [0, done) are scored; a retry resumes there
    auto const batch_done = [&](std::size_t /*begin*/, std::size_t end) {
      progress.advance(end - done);
      done = end;
    };
    while (done < run.customers.rows()) {
      try {
        model.score(run.ctx, run.customers, path_, batch_rows, probability, batch_done, done);
      } catch (Error const& error) {
        if (!may_fall_back(run, error)) throw;
        if (batch_rows > 1024) {
          batch_rows /= 2;
          run.logger->warn("score {}: device failure ({}); retrying with batches of {} rows", name_,
                           error.what(), batch_rows);
        } else {
          run.logger->warn("score {}: device failure ({}); continuing on the CPU", name_,
                           error.what());
          run.ctx = cpu_context(run);
        }
      }
    }
    run.finish(progress);
    return probability;
  }

  std::string name_;
  std::string path_;
  ModelDocument document_;
  std::optional<PropensityModel> model_;
  std::size_t explain_ = 0;
  std::vector<double> probability_;
  Ranking ranking_;
  PropensityReasons reasons_;
  std::vector<std::string> quoted_;  ///< feature names as CSV fields
};

}  // namespace

NightlyStageKind propensity_stage() {
  NightlyStageKind kind = stage_per_named_model<PropensityStage>("propensity");
  kind.keys.push_back("explain");
  kind.configure = [](ConfigFile const& file, NightlyConfig& config) {
    std::vector<ConfigSection> const sections = file.tables("propensity");
    std::vector<NamedModel> entries = read_named_models(file, "propensity");
    std::vector<std::shared_ptr<NightlyStage>> stages;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::int64_t const explain = sections[i].integer("explain").value_or(0);
      CIE_EXPECTS(explain >= 0 && explain <= 100,
                  "{}: expected 0 to 100 reasons per customer, got {}",
                  sections[i].setting("explain"), explain);
      config.stage_inputs.push_back(
          {entries[i].model, "[[propensity]] '" + entries[i].name + "' model"});
      stages.push_back(std::make_shared<PropensityStage>(std::move(entries[i]),
                                                         static_cast<std::size_t>(explain)));
    }
    return stages;
  };
  return kind;
}

}  // namespace cie
