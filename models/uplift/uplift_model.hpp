// Uplift models: the predicted change in a customer's response probability when treated (e.g.
// sent the e-mail), so that a campaign targets the customers whom contact changes.
//
// Methods, both on the propensity family's encoder and logistic regression
// (models/propensity/propensity.hpp), each base model fitted with its own encoder:
//   two-model (T-learner): one model of P(response | x) on treated customers, one on control
//     customers; uplift = p_treated(x) − p_control(x);
//   class transformation (Jaskowski and Jaroszewicz 2012): z = 1 for treated responders and
//     control non-responders, else 0; one model of P(z | x), weighted so that treated and control
//     customers carry equal total weight (w = 0.5 / share of the customer's group: the
//     transformation assumes a 50/50 split); uplift = 2 P(z = 1 | x) − 1.
//
// Evaluation: a hold-out split stratified by treatment and response (within each treatment
// group, models/metrics/data_split.hpp's stratified split by response, seeded), the base models
// fitted on the rest, and models/uplift/uplift_metrics.hpp's report on the held-out customers.
// Model file: kind "uplift"; `features` is the first base model's encoder, `fitted` holds the
// method, the columns and each base model's features and fitted sections.
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

namespace cie::uplift {

enum class UpliftMethod { kTwoModel, kClassTransformation };
/// "two-model" | "class-transformation"; a usage error naming --method otherwise.
UpliftMethod parse_uplift_method(std::string_view text);
std::string_view to_string(UpliftMethod method);

struct UpliftParams {
  UpliftMethod method = UpliftMethod::kTwoModel;
  /// Each base model's regression (penalty, C, solver, tolerance).
  LogisticParams logistic;
  /// Share held out for evaluation, in [0, 1); 0 fits on all rows and reports on them.
  double validation_fraction = 0.5;
  std::uint64_t seed = 42;
  /// Groups of the uplift-by-decile table, in [2, 100].
  int bins = 10;

  void validate() const;
  [[nodiscard]] nlohmann::json to_json() const;
};

class UpliftModel {
 public:
  UpliftModel(UpliftMethod method, std::vector<PropensityModel> base_models);

  /// Predicted uplift of every row of `table` (which must hold the model's feature columns;
  /// `model_source` names the model file in messages). With `treated_probability` and
  /// `control_probability` non-null, the two-model method also returns its base predictions.
  [[nodiscard]] std::vector<double> predict(
      Context const& ctx, CustomerTable const& table, std::string const& model_source,
      std::vector<double>* treated_probability = nullptr,
      std::vector<double>* control_probability = nullptr) const;

  [[nodiscard]] UpliftMethod method() const noexcept { return method_; }
  [[nodiscard]] std::vector<PropensityModel> const& base_models() const noexcept { return base_; }

  [[nodiscard]] ModelDocument to_document() const;
  static UpliftModel from_document(ModelDocument const& document, std::string const& source);

 private:
  UpliftMethod method_;
  std::vector<PropensityModel> base_;  ///< two-model: treated, control; transformation: one
};

struct UpliftTraining {
  UpliftModel model;
  std::vector<std::uint8_t> is_validation;  ///< per row, 1 for held-out rows
  std::vector<double> validation_uplift;    ///< predictions of the held-out rows, in row order
  nlohmann::json report;                    ///< uplift_report of the held-out rows
  DataFingerprint training_data;            ///< of the first base model's training matrix
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
