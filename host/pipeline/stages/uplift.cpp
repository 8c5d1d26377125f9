// Stage "uplift NAME" ([[uplift]]): one uplift model's predicted uplift and its decile (1 = the
// highest uplift, ties by customer order, as `cie uplift score`) for every customer. The base
// models score through PropensityModel::predict on the run's device; unlike the propensity
// stage, there is no batch plan or device fallback yet: a device failure stops the run.
// A multi-arm model (cie uplift train --arms) adds NAME_<arm>_uplift per arm and NAME_best_arm
// before NAME_uplift (the best arm's uplift) and its decile, as `cie uplift score` writes them.
//
//   [[uplift]]  (0 or more) name, model: an uplift model (cie uplift train), as [[propensity]]
#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <optional>

#include "host/io/csv_table.hpp"
#include "host/io/model_file.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "models/uplift/uplift_arms.hpp"
#include "models/uplift/uplift_model.hpp"

namespace cie {
namespace {

using nlohmann::json;

class UpliftStage final : public NightlyStage {
 public:
  explicit UpliftStage(NamedModel entry)
      : name_(std::move(entry.name)), path_(std::move(entry.model)) {}

  void check(NightlyRun& run) override {
    std::string const key = fmt::format("[[uplift]] '{}' model", name_);
    document_ = naming(run.config, key, [&] { return read_model_file(path_, "uplift"); });
    if (uplift::is_multi_arm(document_)) {
      arms_model_.emplace(naming(run.config, key, [&] {
        return uplift::UpliftArmsModel::from_document(document_, path_);
      }));
    } else {
      model_.emplace(naming(run.config, key,
                            [&] { return uplift::UpliftModel::from_document(document_, path_); }));
    }
    std::vector<uplift::UpliftModel const*> models;
    if (model_) models.push_back(&*model_);
    if (arms_model_) {
      for (uplift::UpliftModel const& model : arms_model_->models()) models.push_back(&model);
    }
    for (uplift::UpliftModel const* model : models) {
      for (PropensityModel const& base : model->base_models()) {
        run.need_columns(base.encoder().input_columns(),
                         fmt::format("uplift model '{}' ({})", name_, path_));
        for (EncodedColumnSpec const& spec : base.encoder().specs()) {
          auto& list =
              spec.type == ColumnType::kCategorical ? run.categorical_columns : run.numeric_columns;
          if (std::find(list.begin(), list.end(), spec.name) == list.end()) {
            list.push_back(spec.name);
          }
        }
      }
    }
    std::vector<std::string> columns;
    if (arms_model_) {
      for (std::string const& arm : arms_model_->arms()) columns.push_back(arm_column(arm));
      columns.push_back(name_ + "_best_arm");
    }
    columns.insert(columns.end(), {name_ + "_uplift", name_ + "_uplift_decile"});
    run.will_produce(columns, fmt::format("[[uplift]] '{}'", name_));
  }

  void run(NightlyRun& run) override {
    StageProgress progress("uplift " + name_, run.customers.rows(), *run.logger);
    if (arms_model_) {
      scores_ = arms_model_->predict(run.ctx, run.customers, path_);
      uplift_ = scores_.uplift;
    } else {
      uplift_ = model_->predict(run.ctx, run.customers, path_);
    }
    std::vector<std::size_t> order(uplift_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return uplift_[a] > uplift_[b]; });
    decile_.assign(uplift_.size(), 0);
    for (std::size_t r = 0; r < order.size(); ++r) {
      decile_[order[r]] = 1 + static_cast<int>(r * 10 / order.size());
    }
    progress.advance(run.customers.rows());
    run.finish(progress);
    json deciles = json::array();
    for (int d = 1; d <= 10; ++d) {
      std::size_t count = 0;
      double sum = 0.0;
      for (std::size_t i = 0; i < uplift_.size(); ++i) {
        if (decile_[i] != d) continue;
        ++count;
        sum += uplift_[i];
      }
      deciles.push_back({{"decile", d},
                         {"customers", count},
                         {"mean_uplift", count == 0 ? 0.0 : sum / static_cast<double>(count)}});
    }
    run.report["models"].push_back(
        {{"name", name_},
         {"path", path_},
         {"kind", "uplift"},
         {"method", uplift::to_string(arms_model_ ? arms_model_->method() : model_->method())},
         {"checksum", xxh64_hex(model_file_text(document_))},
         {"engine_version", document_.engine_version},
         {"created_utc", document_.created_utc},
         {"deciles", deciles}});
    if (arms_model_) {
      std::vector<std::string> names;
      for (std::size_t k = 0; k < arms_model_->arms().size(); ++k) {
        std::string const& arm = arms_model_->arms()[k];
        names.push_back(arm_column(arm));
        run.share_numeric(names.back(), std::span<double const>(scores_.arm_uplift[k]));
      }
      names.push_back(name_ + "_best_arm");
      run.share_categorical(names.back(), arms_model_->arms(), scores_.best_arm);
      run.report["models"].back()["arms"] = arms_model_->arms();
      run.report["models"].back()["control"] = arms_model_->control();
      json best = json::object();
      for (std::size_t k = 0; k < arms_model_->arms().size(); ++k) {
        best[arms_model_->arms()[k]] = std::count(scores_.best_arm.begin(), scores_.best_arm.end(),
                                                  static_cast<std::int32_t>(k));
      }
      run.report["models"].back()["best_arm_customers"] = best;
      run.output.push_back(
          {names, [this](fmt::memory_buffer& out, std::size_t row) {
             for (std::vector<double> const& arm : scores_.arm_uplift) {
               fmt::format_to(std::back_inserter(out), "{},", arm[row]);
             }
             append_csv_field(out,
                              arms_model_->arms()[static_cast<std::size_t>(scores_.best_arm[row])]);
           }});
    }
    run.share_numeric(name_ + "_uplift", std::span<double const>(uplift_));
    run.share_numeric(name_ + "_uplift_decile", std::span<int const>(decile_));
    run.output.push_back({{name_ + "_uplift", name_ + "_uplift_decile"},
                          [this](fmt::memory_buffer& out, std::size_t row) {
                            fmt::format_to(std::back_inserter(out), "{},{}", uplift_[row],
                                           decile_[row]);
                          }});
  }

 private:
  [[nodiscard]] std::string arm_column(std::string const& arm) const {
    return name_ + "_" + arm + "_uplift";
  }

  std::string name_;
  std::string path_;
  ModelDocument document_;
  std::optional<uplift::UpliftModel> model_;
  std::optional<uplift::UpliftArmsModel> arms_model_;
  uplift::ArmScores scores_;
  std::vector<double> uplift_;
  std::vector<int> decile_;
};

}  // namespace

NightlyStageKind uplift_stage() { return stage_per_named_model<UpliftStage>("uplift"); }

}  // namespace cie
