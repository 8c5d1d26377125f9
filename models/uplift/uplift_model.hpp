// Uplift models: the predicted change in a customer's response probability when treated (e.g.
// sent the e-mail), so that a campaign targets the customers whom contact changes.
//
// Methods, on the propensity family's encoder and base learners (models/propensity/
// propensity.hpp: logistic regression or gradient-boosted trees), each base model fitted with
// its own encoder:
//   two-model (T-learner): one model of P(response | x) on treated customers, one on control
//     customers; uplift = p_treated(x) − p_control(x);
//   class transformation (Jaskowski and Jaroszewicz 2012): z = 1 for treated responders and
//     control non-responders, else 0; one model of P(z | x), weighted so that treated and control
//     customers carry equal total weight (w = 0.5 / share of the customer's group: the
//     transformation assumes a 50/50 split); uplift = 2 P(z = 1 | x) − 1;
//   X-learner (Künzel et al. 2019): response models per group, imputed individual effects,
//     effect regressions per group and their propensity-weighted combination
//     (models/uplift/uplift_fit.hpp states the steps).
//
// Evaluation: a hold-out split stratified by treatment and response (models/uplift/
// uplift_split.hpp, seeded), the model fitted on the rest, and models/uplift/uplift_metrics.hpp's
// report on the held-out customers. With folds >= 2, also k-fold cross-validation of the
// training part (all rows without a hold-out), stratified the same way: each fold's Qini
// coefficient and AUUC from a model fitted on the other folds, their mean and standard deviation
// (n − 1); the stored model is the one fitted on the whole training part.
// Model file: kind "uplift"; `features` is the first base model's encoder, `fitted` holds the
// method, each base model's features and fitted sections and (X-learner) the effect models.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "models/model_document.hpp"
#include "models/propensity/propensity.hpp"
#include "models/uplift/effect_regressor.hpp"

namespace cie::uplift {

/// The model document kind of every uplift model file (one arm or several).
inline constexpr char kUpliftModelKind[] = "uplift";

enum class UpliftMethod { kTwoModel, kClassTransformation, kXLearner };
/// "two-model" | "class-transformation" | "x-learner"; a usage error naming --method otherwise.
UpliftMethod parse_uplift_method(std::string_view text);
std::string_view to_string(UpliftMethod method);

struct UpliftParams {
  UpliftMethod method = UpliftMethod::kTwoModel;
  /// The base learner: logistic regression or gradient-boosted trees.
  PropensityLearner learner = PropensityLearner::kLogistic;
  /// Each logistic base model's regression (penalty, C, solver, tolerance); C is also the
  /// X-learner's ridge strength (1/C) with logistic base learners and the inverse L2 strength
  /// of its treatment propensity.
  LogisticParams logistic;
  /// Each gbdt base model's trees (and the X-learner's effect trees, squared error).
  GbdtParams gbdt;
  /// gbdt early stopping: share of each base fit's rows held out to choose the trees.
  double early_stopping_fraction = 0.1;
  /// Share held out for evaluation, in [0, 1); 0 fits on all rows and reports on them.
  double validation_fraction = 0.5;
  /// k-fold cross-validation of the training part when >= 2; 0 for none.
  int folds = 0;
  std::uint64_t seed = 42;
  /// Groups of the uplift-by-decile table, in [2, 100].
  int bins = 10;

  void validate() const;
  [[nodiscard]] nlohmann::json to_json() const;
};

class UpliftModel {
 public:
  /// base_models: two-model: treated, control; class transformation: one; X-learner: treated,
  /// control, treatment propensity, with effect_models τ₁ (treated), τ₀ (control).
  UpliftModel(UpliftMethod method, std::vector<PropensityModel> base_models,
              std::vector<EffectRegressor> effect_models = {});

  /// Predicted uplift of every row of `table` (which must hold the model's feature columns;
  /// `model_source` names the model file in messages). With `treated_probability` and
  /// `control_probability` non-null, the two-model method and the X-learner also return their
  /// response models' predictions.
  [[nodiscard]] std::vector<double> predict(
      Context const& ctx, CustomerTable const& table, std::string const& model_source,
      std::vector<double>* treated_probability = nullptr,
      std::vector<double>* control_probability = nullptr) const;

  [[nodiscard]] UpliftMethod method() const noexcept { return method_; }
  [[nodiscard]] std::vector<PropensityModel> const& base_models() const noexcept { return base_; }
  [[nodiscard]] std::vector<EffectRegressor> const& effect_models() const noexcept {
    return effects_;
  }
  /// Whether predict() gives p_treated and p_control.
  [[nodiscard]] bool has_response_models() const noexcept {
    return method_ != UpliftMethod::kClassTransformation;
  }

  [[nodiscard]] ModelDocument to_document() const;
  static UpliftModel from_document(ModelDocument const& document, std::string const& source);

 private:
  UpliftMethod method_;
  std::vector<PropensityModel> base_;
  std::vector<EffectRegressor> effects_;
};

struct UpliftTraining {
  UpliftModel model;
  std::vector<std::uint8_t> is_validation;  ///< per row, 1 for held-out rows
  std::vector<double> validation_uplift;    ///< predictions of the held-out rows, in row order
  /// uplift_report of the held-out rows, plus "held_out" and, with folds, "cross_validation":
  /// {"folds", "per_fold": [{"fold", "customers", "treated", "control", "qini_coefficient",
  /// "auuc"}], "qini_mean", "qini_sd", "auuc_mean", "auuc_sd"}.
  nlohmann::json report;
  DataFingerprint training_data;  ///< of the first base model's training matrix
};

/// Trains on `table` (feature columns only: the caller takes out the id, treatment and target),
/// with `response` and `treatment` one 0/1 per row. Both groups need responders and
/// non-responders in the training part (input error otherwise).
UpliftTraining train_uplift(Context const& ctx, CustomerTable const& table,
                            std::span<float const> response,
                            std::span<std::uint8_t const> treatment,
                            std::vector<EncodedColumnSpec> const& specs, UpliftParams const& params,
                            std::string const& target);

}  // namespace cie::uplift
