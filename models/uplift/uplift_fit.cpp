#include "models/uplift/uplift_fit.hpp"

#include "core/error.hpp"

namespace cie::uplift {
namespace {

PropensityParams base_params(UpliftParams const& params, bool logistic) {
  PropensityParams base;
  base.model_type = logistic ? PropensityLearner::kLogistic : params.learner;
  base.logistic = params.logistic;
  base.gbdt = params.gbdt;
  base.gbdt.seed = params.seed;
  base.early_stopping_fraction = params.early_stopping_fraction;
  base.validation_fraction = 0.0;
  base.folds = 0;
  base.seed = params.seed;
  return base;
}

/// The specs for a logistic model: the trees' native missing policy becomes mean imputation.
std::vector<EncodedColumnSpec> logistic_specs(std::vector<EncodedColumnSpec> specs) {
  for (EncodedColumnSpec& spec : specs) {
    if (spec.missing == MissingPolicy::kNative) spec.missing = MissingPolicy::kMeanImpute;
  }
  return specs;
}

PropensityTraining fit_base(Context const& ctx, CustomerTable const& table,
                            std::vector<std::size_t> const& rows, std::vector<float> const& label,
                            std::vector<float> const& weight,
                            std::vector<EncodedColumnSpec> const& specs,
                            PropensityParams const& base, std::string const& target,
                            std::string const& what) {
  std::size_t positives = 0;
  for (float const y : label) positives += y == 1.0f;
  CIE_EXPECTS_DATA(positives > 0 && positives < label.size(),
                   "{}: the {} model's {} training customers need both outcomes of {}",
                   table.source, what, label.size(), target);
  CustomerTable const part = select_rows(table, rows);
  return train_propensity(ctx, part, label, specs, base, target, "", weight);
}

/// Rows of `rows` in treatment group `group`, and their responses.
void group_rows(std::span<float const> response, std::span<std::uint8_t const> treatment,
                std::vector<std::size_t> const& rows, std::uint8_t group,
                std::vector<std::size_t>& out_rows, std::vector<float>& out_label) {
  for (std::size_t const row : rows) {
    if (treatment[row] != group) continue;
    out_rows.push_back(row);
    out_label.push_back(response[row]);
  }
}

FittedUplift fit_class_transformation(Context const& ctx, CustomerTable const& table,
                                      std::span<float const> response,
                                      std::span<std::uint8_t const> treatment,
                                      std::vector<std::size_t> const& rows,
                                      std::vector<EncodedColumnSpec> const& specs,
                                      UpliftParams const& params, std::string const& target) {
  std::vector<float> label;
  double treated = 0.0;
  for (std::size_t const row : rows) {
    label.push_back(response[row] == static_cast<float>(treatment[row]) ? 1.0f : 0.0f);
    treated += treatment[row];
  }
  double const share = treated / static_cast<double>(rows.size());
  CIE_EXPECTS_DATA(share > 0.0 && share < 1.0,
                   "{}: the class transformation needs treated and control customers",
                   table.source);
  std::vector<float> weight;
  for (std::size_t const row : rows) {
    weight.push_back(static_cast<float>(treatment[row] != 0 ? 0.5 / share : 0.5 / (1.0 - share)));
  }
  PropensityTraining trained = fit_base(ctx, table, rows, label, weight, specs,
                                        base_params(params, false), target, "transformed-class");
  std::vector<PropensityModel> bases;
  bases.push_back(std::move(trained.model));
  return {UpliftModel(params.method, std::move(bases)), trained.training_data};
}

}  // namespace

FittedUplift fit_uplift_model(Context const& ctx, CustomerTable const& table,
                              std::span<float const> response,
                              std::span<std::uint8_t const> treatment,
                              std::vector<std::size_t> const& rows,
                              std::vector<EncodedColumnSpec> const& specs,
                              UpliftParams const& params, std::string const& target) {
  if (params.method == UpliftMethod::kClassTransformation) {
    return fit_class_transformation(ctx, table, response, treatment, rows, specs, params, target);
  }
  PropensityParams const base = base_params(params, false);
  std::vector<PropensityModel> bases;
  DataFingerprint fingerprint;
  std::vector<std::size_t> group_row[2];
  for (std::uint8_t const group : {std::uint8_t{1}, std::uint8_t{0}}) {
    std::vector<float> label;
    group_rows(response, treatment, rows, group, group_row[group], label);
    PropensityTraining trained = fit_base(ctx, table, group_row[group], label, {}, specs, base,
                                          target, group == 1 ? "treated" : "control");
    if (bases.empty()) fingerprint = trained.training_data;
    bases.push_back(std::move(trained.model));
  }
  if (params.method == UpliftMethod::kTwoModel) {
    return {UpliftModel(params.method, std::move(bases)), fingerprint};
  }

  // X-learner: imputed effects from the other group's response model, one regression per group.
  GbdtParams trees = params.gbdt;
  trees.seed = params.seed;
  GbdtParams const* effect_trees = params.learner == PropensityLearner::kGbdt ? &trees : nullptr;
  std::vector<EffectRegressor> effects;
  for (std::uint8_t const group : {std::uint8_t{1}, std::uint8_t{0}}) {
    CustomerTable const part = select_rows(table, group_row[group]);
    // Treated rows use the control model μ₀ (bases[1]); control rows the treated model μ₁.
    std::vector<double> const other = bases[group == 1 ? 1 : 0].predict(ctx, part, "(in memory)");
    std::vector<double> imputed(other.size());
    for (std::size_t k = 0; k < other.size(); ++k) {
      double const y = response[group_row[group][k]];
      imputed[k] = group == 1 ? y - other[k] : other[k] - y;
    }
    effects.push_back(
        fit_effect_regressor(ctx, part, imputed, specs, params.logistic.C, effect_trees));
  }
  std::vector<float> treated_label;
  for (std::size_t const row : rows) treated_label.push_back(treatment[row]);
  PropensityTraining propensity =
      fit_base(ctx, table, rows, treated_label, {}, logistic_specs(specs),
               base_params(params, true), "treatment", "treatment-propensity");
  bases.push_back(std::move(propensity.model));
  return {UpliftModel(params.method, std::move(bases), std::move(effects)), fingerprint};
}

}  // namespace cie::uplift
