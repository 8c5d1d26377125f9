#include "models/uplift/uplift_model.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "models/metrics/data_split.hpp"
#include "models/uplift/uplift_metrics.hpp"

namespace cie::uplift {
namespace {

constexpr char kModelKind[] = "uplift";

PropensityParams base_params(UpliftParams const& params) {
  PropensityParams base;
  base.logistic = params.logistic;
  base.validation_fraction = 0.0;
  base.folds = 0;
  base.seed = params.seed;
  return base;
}

// Held-out rows, stratified by response within each treatment group.
std::vector<std::uint8_t> split_rows(std::span<float const> response,
                                     std::span<std::uint8_t const> treatment,
                                     UpliftParams const& params) {
  std::vector<std::uint8_t> is_validation(response.size(), 0);
  if (params.validation_fraction == 0.0) return is_validation;
  for (std::uint8_t group = 0; group <= 1; ++group) {
    std::vector<std::size_t> rows;
    std::vector<float> labels;
    for (std::size_t i = 0; i < response.size(); ++i) {
      if (treatment[i] != group) continue;
      rows.push_back(i);
      labels.push_back(response[i]);
    }
    std::vector<std::uint8_t> const part =
        stratified_split(labels, params.validation_fraction, params.seed + group);
    for (std::size_t k = 0; k < rows.size(); ++k) is_validation[rows[k]] = part[k];
  }
  return is_validation;
}

PropensityTraining fit_base(Context const& ctx, CustomerTable const& table,
                            std::vector<std::size_t> const& rows, std::vector<float> const& label,
                            std::vector<float> const& weight,
                            std::vector<EncodedColumnSpec> const& specs, UpliftParams const& params,
                            std::string const& target, std::string const& what) {
  std::size_t positives = 0;
  for (float const y : label) positives += y == 1.0f;
  CIE_EXPECTS_DATA(positives > 0 && positives < label.size(),
                   "{}: the {} model's {} training customers need both outcomes of {}",
                   table.source, what, label.size(), target);
  CustomerTable const part = select_rows(table, rows);
  return train_propensity(ctx, part, label, specs, base_params(params), target, "", weight);
}

}  // namespace

UpliftMethod parse_uplift_method(std::string_view text) {
  if (text == "two-model") return UpliftMethod::kTwoModel;
  if (text == "class-transformation") return UpliftMethod::kClassTransformation;
  fail(ExitCode::kUsage, "--method: expected two-model or class-transformation, got '{}'", text);
}

std::string_view to_string(UpliftMethod method) {
  return method == UpliftMethod::kTwoModel ? "two-model" : "class-transformation";
}

void UpliftParams::validate() const {
  CIE_EXPECTS(validation_fraction >= 0.0 && validation_fraction < 1.0,
              "--validation: must be in [0, 1), got {}", validation_fraction);
  CIE_EXPECTS(bins >= 2 && bins <= 100, "--bins: must be in [2, 100], got {}", bins);
}

nlohmann::json UpliftParams::to_json() const {
  return {{"method", to_string(method)},
          {"penalty", cie::to_string(logistic.penalty)},
          {"C", logistic.C},
          {"tol", logistic.tol},
          {"max_iter", logistic.max_iter},
          {"validation_fraction", validation_fraction},
          {"seed", seed},
          {"bins", bins}};
}

UpliftModel::UpliftModel(UpliftMethod method, std::vector<PropensityModel> base_models)
    : method_(method), base_(std::move(base_models)) {
  CIE_ASSERT(base_.size() == (method_ == UpliftMethod::kTwoModel ? 2u : 1u));
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
  for (std::size_t i = 0; i < first.size(); ++i) uplift[i] = first[i] - second[i];
  if (treated_probability != nullptr) *treated_probability = std::move(first);
  if (control_probability != nullptr) *control_probability = std::move(second);
  return uplift;
}

ModelDocument UpliftModel::to_document() const {
  ModelDocument document;
  document.kind = kModelKind;
  document.features = base_[0].encoder().to_json();
  nlohmann::json bases = nlohmann::json::array();
  for (PropensityModel const& base : base_) {
    ModelDocument const part = base.to_document();
    bases.push_back({{"features", part.features}, {"fitted", part.fitted}});
  }
  document.fitted = {{"method", to_string(method_)}, {"base_models", bases}};
  return document;
}

UpliftModel UpliftModel::from_document(ModelDocument const& document, std::string const& source) {
  CIE_EXPECTS(document.kind == kModelKind, "model file {} holds a {} model, not an uplift model",
              source, document.kind);
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
  CIE_EXPECTS(bases.size() == (method == UpliftMethod::kTwoModel ? 2u : 1u),
              "model file {} is damaged: {} base models for the {} method", source, bases.size(),
              to_string(method));
  return UpliftModel(method, std::move(bases));
}

UpliftTraining train_uplift(Context const& ctx, CustomerTable const& table,
                            std::span<float const> response,
                            std::span<std::uint8_t const> treatment,
                            std::vector<EncodedColumnSpec> const& specs, UpliftParams const& params,
                            std::string const& target) {
  params.validate();
  CIE_ASSERT(response.size() == table.rows() && treatment.size() == table.rows());
  std::vector<std::uint8_t> is_validation = split_rows(response, treatment, params);
  bool const held_out = params.validation_fraction > 0.0;

  std::vector<PropensityModel> bases;
  DataFingerprint fingerprint;
  if (params.method == UpliftMethod::kTwoModel) {
    for (std::uint8_t const group : {std::uint8_t{1}, std::uint8_t{0}}) {
      std::vector<std::size_t> rows;
      std::vector<float> label;
      for (std::size_t i = 0; i < table.rows(); ++i) {
        if (treatment[i] != group || is_validation[i] != 0) continue;
        rows.push_back(i);
        label.push_back(response[i]);
      }
      PropensityTraining trained = fit_base(ctx, table, rows, label, {}, specs, params, target,
                                            group == 1 ? "treated" : "control");
      if (bases.empty()) fingerprint = trained.training_data;
      bases.push_back(std::move(trained.model));
    }
  } else {
    std::vector<std::size_t> rows;
    std::vector<float> label;
    double treated = 0.0;
    for (std::size_t i = 0; i < table.rows(); ++i) {
      if (is_validation[i] != 0) continue;
      rows.push_back(i);
      label.push_back(response[i] == static_cast<float>(treatment[i]) ? 1.0f : 0.0f);
      treated += treatment[i];
    }
    double const share = treated / static_cast<double>(rows.size());
    CIE_EXPECTS_DATA(share > 0.0 && share < 1.0,
                     "{}: the class transformation needs treated and control customers",
                     table.source);
    std::vector<float> weight;
    for (std::size_t const row : rows) {
      weight.push_back(static_cast<float>(treatment[row] != 0 ? 0.5 / share : 0.5 / (1.0 - share)));
    }
    PropensityTraining trained =
        fit_base(ctx, table, rows, label, weight, specs, params, target, "transformed-class");
    fingerprint = trained.training_data;
    bases.push_back(std::move(trained.model));
  }

  UpliftModel model(params.method, std::move(bases));
  std::vector<std::size_t> evaluated;
  for (std::size_t i = 0; i < table.rows(); ++i) {
    if (!held_out || is_validation[i] != 0) evaluated.push_back(i);
  }
  CustomerTable const part = select_rows(table, evaluated);
  std::vector<double> uplift = model.predict(ctx, part, "(in memory)");
  std::vector<std::uint8_t> part_response;
  std::vector<std::uint8_t> part_treatment;
  for (std::size_t const row : evaluated) {
    part_response.push_back(static_cast<std::uint8_t>(response[row]));
    part_treatment.push_back(treatment[row]);
  }
  nlohmann::json report = uplift_report(uplift, part_response, part_treatment, params.bins);
  report["held_out"] = held_out;
  return {std::move(model), std::move(is_validation), std::move(uplift), std::move(report),
          fingerprint};
}

}  // namespace cie::uplift
