#include "models/uplift/uplift_model.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "models/uplift/uplift_fit.hpp"
#include "models/uplift/uplift_metrics.hpp"
#include "models/uplift/uplift_split.hpp"

namespace cie::uplift {
namespace {}  // namespace

UpliftMethod parse_uplift_method(std::string_view text) {
  if (text == "two-model") return UpliftMethod::kTwoModel;
  if (text == "class-transformation") return UpliftMethod::kClassTransformation;
  if (text == "x-learner") return UpliftMethod::kXLearner;
  fail(ExitCode::kUsage,
       "--method: expected two-model, class-transformation or x-learner, got '{}'", text);
}

std::string_view to_string(UpliftMethod method) {
  switch (method) {
    case UpliftMethod::kTwoModel:
      return "two-model";
    case UpliftMethod::kClassTransformation:
      return "class-transformation";
    case UpliftMethod::kXLearner:
      return "x-learner";
  }
  return "?";
}

namespace {

std::size_t base_count(UpliftMethod method) {
  return method == UpliftMethod::kClassTransformation ? 1u
         : method == UpliftMethod::kTwoModel          ? 2u
                                                      : 3u;
}

}  // namespace

void UpliftParams::validate() const {
  CIE_EXPECTS(validation_fraction >= 0.0 && validation_fraction < 1.0,
              "--validation: must be in [0, 1), got {}", validation_fraction);
  CIE_EXPECTS(bins >= 2 && bins <= 100, "--bins: must be in [2, 100], got {}", bins);
  CIE_EXPECTS(folds == 0 || folds >= 2, "--folds: must be 0 (none) or >= 2, got {}", folds);
  if (learner == PropensityLearner::kGbdt) gbdt.validate();
}

nlohmann::json UpliftParams::to_json() const {
  nlohmann::json out = {{"method", to_string(method)},
                        {"model_type", learner == PropensityLearner::kGbdt ? "gbdt" : "logistic"},
                        {"penalty", cie::to_string(logistic.penalty)},
                        {"C", logistic.C},
                        {"tol", logistic.tol},
                        {"max_iter", logistic.max_iter},
                        {"validation_fraction", validation_fraction},
                        {"folds", folds},
                        {"seed", seed},
                        {"bins", bins}};
  if (learner == PropensityLearner::kGbdt) {
    out["gbdt"] = gbdt.to_json();
    out["early_stopping_fraction"] = early_stopping_fraction;
  }
  return out;
}

UpliftModel::UpliftModel(UpliftMethod method, std::vector<PropensityModel> base_models,
                         std::vector<EffectRegressor> effect_models)
    : method_(method), base_(std::move(base_models)), effects_(std::move(effect_models)) {
  CIE_ASSERT(base_.size() == base_count(method_));
  CIE_ASSERT(effects_.size() == (method_ == UpliftMethod::kXLearner ? 2u : 0u));
}

std::vector<double> UpliftModel::predict(Context const& ctx, CustomerTable const& table,
                                         std::string const& model_source,
                                         std::vector<double>* treated_probability,
                                         std::vector<double>* control_probability) const {
  std::vector<double> first = base_[0].predict(ctx, table, model_source);
  std::vector<double> uplift(first.size());
  if (method_ == UpliftMethod::kClassTransformation) {
    for (std::size_t i = 0; i < first.size(); ++i) uplift[i] = 2.0 * first[i] - 1.0;
    return uplift;
  }
  std::vector<double> second = base_[1].predict(ctx, table, model_source);
  if (method_ == UpliftMethod::kTwoModel) {
    for (std::size_t i = 0; i < first.size(); ++i) uplift[i] = first[i] - second[i];
  } else {
    std::vector<double> const propensity = base_[2].predict(ctx, table, model_source);
    std::vector<double> const treated_effect = effects_[0].predict(ctx, table, model_source);
    std::vector<double> const control_effect = effects_[1].predict(ctx, table, model_source);
    for (std::size_t i = 0; i < first.size(); ++i) {
      uplift[i] = propensity[i] * control_effect[i] + (1.0 - propensity[i]) * treated_effect[i];
    }
  }
  if (treated_probability != nullptr) *treated_probability = std::move(first);
  if (control_probability != nullptr) *control_probability = std::move(second);
  return uplift;
}

ModelDocument UpliftModel::to_document() const {
  ModelDocument document;
  document.kind = kUpliftModelKind;
  document.features = base_[0].encoder().to_json();
  nlohmann::json bases = nlohmann::json::array();
  for (PropensityModel const& base : base_) {
    ModelDocument const part = base.to_document();
    bases.push_back({{"features", part.features}, {"fitted", part.fitted}});
  }
  document.fitted = {{"method", to_string(method_)}, {"base_models", bases}};
  if (!effects_.empty()) {
    nlohmann::json effects = nlohmann::json::array();
    for (EffectRegressor const& effect : effects_) effects.push_back(effect.to_json());
    document.fitted["effect_models"] = effects;
  }
  return document;
}

UpliftModel UpliftModel::from_document(ModelDocument const& document, std::string const& source) {
  CIE_EXPECTS(document.kind == kUpliftModelKind,
              "model file {} holds a {} model, not an uplift model", source, document.kind);
  nlohmann::json const& fitted = document.fitted;
  CIE_EXPECTS(fitted.contains("method") && fitted["method"].is_string() &&
                  fitted.contains("base_models") && fitted["base_models"].is_array(),
              "model file {} is damaged: fitted.method or fitted.base_models is missing", source);
  UpliftMethod const method = parse_uplift_method(fitted["method"].get<std::string>());
  std::vector<PropensityModel> bases;
  for (nlohmann::json const& base : fitted["base_models"]) {
    CIE_EXPECTS(base.contains("features") && base.contains("fitted"),
                "model file {} is damaged: a base model lacks features or fitted", source);
    ModelDocument part;
    part.kind = "propensity";
    part.features = base["features"];
    part.fitted = base["fitted"];
    bases.push_back(PropensityModel::from_document(part, source));
  }
  CIE_EXPECTS(bases.size() == base_count(method),
              "model file {} is damaged: {} base models for the {} method", source, bases.size(),
              to_string(method));
  std::vector<EffectRegressor> effects;
  if (method == UpliftMethod::kXLearner) {
    CIE_EXPECTS(fitted.contains("effect_models") && fitted["effect_models"].is_array() &&
                    fitted["effect_models"].size() == 2,
                "model file {} is damaged: the x-learner needs two effect_models", source);
    for (nlohmann::json const& effect : fitted["effect_models"]) {
      effects.push_back(EffectRegressor::from_json(effect, source));
    }
  }
  return UpliftModel(method, std::move(bases), std::move(effects));
}

namespace {

/// Qini coefficient and AUUC of each fold's held-out predictions (a model fitted on the other
/// folds of the training part), their means and standard deviations (n − 1).
nlohmann::json cross_validate(Context const& ctx, CustomerTable const& table,
                              std::span<float const> response,
                              std::span<std::uint8_t const> treatment,
                              std::span<std::uint8_t const> is_validation,
                              std::vector<EncodedColumnSpec> const& specs,
                              UpliftParams const& params, std::string const& target) {
  std::vector<std::uint8_t> use(is_validation.size());
  for (std::size_t i = 0; i < use.size(); ++i) use[i] = is_validation[i] == 0 ? 1 : 0;
  std::vector<std::int32_t> const fold =
      uplift_folds(response, treatment, use, params.folds, params.seed);
  nlohmann::json per_fold = nlohmann::json::array();
  std::vector<double> qini;
  std::vector<double> auuc;
  for (std::int32_t f = 0; f < params.folds; ++f) {
    std::vector<std::size_t> train_rows;
    std::vector<std::size_t> test_rows;
    for (std::size_t i = 0; i < fold.size(); ++i) {
      if (fold[i] < 0) continue;
      (fold[i] == f ? test_rows : train_rows).push_back(i);
    }
    FittedUplift const fitted =
        fit_uplift_model(ctx, table, response, treatment, train_rows, specs, params, target);
    CustomerTable const part = select_rows(table, test_rows);
    std::vector<double> const uplift = fitted.model.predict(ctx, part, "(in memory)");
    std::vector<std::uint8_t> part_response;
    std::vector<std::uint8_t> part_treatment;
    std::size_t treated = 0;
    for (std::size_t const row : test_rows) {
      part_response.push_back(static_cast<std::uint8_t>(response[row]));
      part_treatment.push_back(treatment[row]);
      treated += treatment[row];
    }
    nlohmann::json const report = uplift_report(uplift, part_response, part_treatment, params.bins);
    qini.push_back(report["qini_coefficient"].get<double>());
    auuc.push_back(report["auuc"].get<double>());
    per_fold.push_back({{"fold", f + 1},
                        {"customers", test_rows.size()},
                        {"treated", treated},
                        {"control", test_rows.size() - treated},
                        {"qini_coefficient", qini.back()},
                        {"auuc", auuc.back()}});
  }
  auto const mean_sd = [](std::vector<double> const& values) {
    double mean = 0.0;
    for (double const v : values) mean += v;
    mean /= static_cast<double>(values.size());
    double squares = 0.0;
    for (double const v : values) squares += (v - mean) * (v - mean);
    return std::pair{mean, std::sqrt(squares / static_cast<double>(values.size() - 1))};
  };
  auto const [qini_mean, qini_sd] = mean_sd(qini);
  auto const [auuc_mean, auuc_sd] = mean_sd(auuc);
  return {{"folds", params.folds}, {"per_fold", per_fold},   {"qini_mean", qini_mean},
          {"qini_sd", qini_sd},    {"auuc_mean", auuc_mean}, {"auuc_sd", auuc_sd}};
}

}  // namespace

UpliftTraining train_uplift(Context const& ctx, CustomerTable const& table,
                            std::span<float const> response,
                            std::span<std::uint8_t const> treatment,
                            std::vector<EncodedColumnSpec> const& specs, UpliftParams const& params,
                            std::string const& target) {
  params.validate();
  CIE_ASSERT(response.size() == table.rows() && treatment.size() == table.rows());
  std::vector<std::uint8_t> is_validation =
      uplift_holdout(response, treatment, params.validation_fraction, params.seed);
  bool const held_out = params.validation_fraction > 0.0;
  std::vector<std::size_t> training_rows;
  std::vector<std::size_t> evaluated;
  for (std::size_t i = 0; i < table.rows(); ++i) {
    if (is_validation[i] == 0) training_rows.push_back(i);
    if (!held_out || is_validation[i] != 0) evaluated.push_back(i);
  }
  FittedUplift fitted =
      fit_uplift_model(ctx, table, response, treatment, training_rows, specs, params, target);
  CustomerTable const part = select_rows(table, evaluated);
  std::vector<double> uplift = fitted.model.predict(ctx, part, "(in memory)");
  std::vector<std::uint8_t> part_response;
  std::vector<std::uint8_t> part_treatment;
  for (std::size_t const row : evaluated) {
    part_response.push_back(static_cast<std::uint8_t>(response[row]));
    part_treatment.push_back(treatment[row]);
  }
  nlohmann::json report = uplift_report(uplift, part_response, part_treatment, params.bins);
  report["held_out"] = held_out;
  if (params.folds >= 2) {
    report["cross_validation"] =
        cross_validate(ctx, table, response, treatment, is_validation, specs, params, target);
  }
  return {std::move(fitted.model), std::move(is_validation), std::move(uplift), std::move(report),
          fitted.training_data};
}

}  // namespace cie::uplift
