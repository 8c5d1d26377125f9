#include "models/uplift/effect_regressor.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cmath>

#include "core/error.hpp"
#include "core/feature_matrix.hpp"

namespace cie::uplift {
namespace {

LinearEffect fit_linear(FeatureMatrix x, std::span<double const> y, double C) {
  auto const n = static_cast<Eigen::Index>(x.rows);
  auto const d = static_cast<Eigen::Index>(x.cols);
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic> const> const raw(x.data, n, d);
  Eigen::MatrixXd centred = raw.cast<double>();
  Eigen::RowVectorXd const mean = centred.colwise().mean();
  centred.rowwise() -= mean;
  Eigen::Map<Eigen::VectorXd const> const target(y.data(), n);
  double const target_mean = target.mean();
  Eigen::MatrixXd gram = centred.transpose() * centred;
  gram.diagonal().array() += 1.0 / C;
  Eigen::VectorXd const rhs = centred.transpose() * (target.array() - target_mean).matrix();
  Eigen::VectorXd const beta = gram.ldlt().solve(rhs);
  LinearEffect model;
  model.coef.assign(beta.data(), beta.data() + d);
  model.intercept = target_mean - mean.dot(beta);
  return model;
}

}  // namespace

EffectRegressor::EffectRegressor(TabularEncoder encoder, Learner learner)
    : encoder_(std::move(encoder)), learner_(std::move(learner)) {}

std::vector<double> EffectRegressor::predict(Context const& ctx, CustomerTable const& table,
                                             std::string const& model_source) const {
  encoder_.check_schema(table, model_source);
  std::vector<float> const encoded = encoder_.apply(ctx, table);
  FeatureMatrix const x{encoded.data(), table.rows(), encoder_.feature_names().size()};
  std::vector<double> out(table.rows());
  if (GbdtModel const* trees = std::get_if<GbdtModel>(&learner_)) {
    trees->predict(ctx, x, out);
    return out;
  }
  LinearEffect const& linear = std::get<LinearEffect>(learner_);
  for (std::size_t i = 0; i < x.rows; ++i) out[i] = linear.intercept;
  for (std::size_t j = 0; j < x.cols; ++j) {
    float const* column = x.column(j);
    for (std::size_t i = 0; i < x.rows; ++i) out[i] += linear.coef[j] * column[i];
  }
  return out;
}

nlohmann::json EffectRegressor::to_json() const {
  nlohmann::json out = {{"features", encoder_.to_json()}};
  if (GbdtModel const* trees = std::get_if<GbdtModel>(&learner_)) {
    out["gbdt"] = trees->to_json();
  } else {
    LinearEffect const& linear = std::get<LinearEffect>(learner_);
    out["linear"] = {{"coef", linear.coef}, {"intercept", linear.intercept}};
  }
  return out;
}

EffectRegressor EffectRegressor::from_json(nlohmann::json const& json, std::string const& source) {
  CIE_EXPECTS(json.is_object() && json.contains("features") &&
                  (json.contains("gbdt") || json.contains("linear")),
              "model file {} is damaged: an effect model lacks features, linear or gbdt", source);
  TabularEncoder encoder = TabularEncoder::from_json(json["features"], source);
  std::size_t const features = encoder.feature_names().size();
  if (json.contains("gbdt")) {
    GbdtModel trees = GbdtModel::from_json(json["gbdt"], source);
    CIE_EXPECTS(trees.features() == features,
                "model file {} is damaged: an effect model's trees see {} features, its encoder "
                "gives {}",
                source, trees.features(), features);
    return {std::move(encoder), std::move(trees)};
  }
  nlohmann::json const& linear = json["linear"];
  CIE_EXPECTS(linear.is_object() && linear.contains("coef") && linear["coef"].is_array() &&
                  linear.contains("intercept") && linear["intercept"].is_number(),
              "model file {} is damaged: linear.coef or linear.intercept is missing", source);
  LinearEffect model;
  for (nlohmann::json const& value : linear["coef"]) {
    CIE_EXPECTS(value.is_number(), "model file {} is damaged: linear.coef holds a non-number",
                source);
    model.coef.push_back(value.get<double>());
  }
  model.intercept = linear["intercept"].get<double>();
  CIE_EXPECTS(model.coef.size() == features,
              "model file {} is damaged: {} linear coefficients for {} features", source,
              model.coef.size(), features);
  return {std::move(encoder), std::move(model)};
}

EffectRegressor fit_effect_regressor(Context const& ctx, CustomerTable const& table,
                                     std::span<double const> effect,
                                     std::vector<EncodedColumnSpec> const& specs, double C,
                                     GbdtParams const* gbdt) {
  CIE_ASSERT(effect.size() == table.rows() && table.rows() > 0);
  TabularEncoder encoder(specs);
  encoder.fit(ctx, table);
  std::vector<float> const encoded = encoder.apply(ctx, table);
  FeatureMatrix const x{encoded.data(), table.rows(), encoder.feature_names().size()};
  if (gbdt == nullptr) {
    CIE_EXPECTS(std::isfinite(C) && C > 0.0, "--C: must be finite and > 0, got {}", C);
    return {std::move(encoder), fit_linear(x, effect, C)};
  }
  GbdtParams params = *gbdt;
  params.objective = GbdtObjective::kSquaredError;
  params.early_stopping_rounds = 0;
  std::vector<float> const label(effect.begin(), effect.end());
  return {std::move(encoder), gbdt_fit(ctx, params, x, label)};
}

}  // namespace cie::uplift
