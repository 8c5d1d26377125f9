// The second-stage model of the X-learner (models/uplift/x_learner.hpp): a regression of an
// imputed treatment effect (a real number in [−1, 1]) on the customer's features, with its own
// tabular encoder (models/features/tabular_encoder.hpp) fitted on the rows it is trained on.
//
// Learners, matching the uplift model's base learner family:
//   linear: ridge regression on the encoded matrix, minimizing Σ (y_i − x_iᵀβ − b)² + (1/C)‖β‖²
//     (scikit-learn's Ridge(alpha = 1/C)); the intercept is not penalized. Solved exactly from
//     the centred normal equations in double (Eigen LDLT), so the result does not depend on the
//     thread count;
//   gbdt: gradient-boosted trees with the squared-error objective (models/gbdt/gbdt.hpp), the
//     base learners' tree parameters otherwise (early stopping is not used here).
#pragma once

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "models/features/tabular_encoder.hpp"
#include "models/gbdt/gbdt.hpp"

namespace cie::uplift {

struct LinearEffect {
  std::vector<double> coef;  ///< β, one per encoded feature
  double intercept = 0.0;    ///< b
};

class EffectRegressor {
 public:
  using Learner = std::variant<LinearEffect, GbdtModel>;

  EffectRegressor(TabularEncoder encoder, Learner learner);

  /// Predicted effect of every row of `table`, which must pass the encoder's schema check
  /// (usage error naming `model_source` otherwise).
  [[nodiscard]] std::vector<double> predict(Context const& ctx, CustomerTable const& table,
                                            std::string const& model_source) const;

  [[nodiscard]] bool is_gbdt() const noexcept {
    return std::holds_alternative<GbdtModel>(learner_);
  }
  [[nodiscard]] TabularEncoder const& encoder() const noexcept { return encoder_; }

  /// {"features": encoder, "linear": {"coef", "intercept"}} or {"features", "gbdt": trees}.
  [[nodiscard]] nlohmann::json to_json() const;
  /// A usage error starting with "model file `source`" when `json` is not to_json()'s form.
  static EffectRegressor from_json(nlohmann::json const& json, std::string const& source);

 private:
  TabularEncoder encoder_;
  Learner learner_;
};

/// Fits on `table` (its rows are the training rows) with targets `effect` (finite, one per row),
/// encoding the columns of `specs`. `gbdt` null: the linear learner with inverse strength `C`
/// (> 0); else boosted trees with those parameters (objective set to squared error).
EffectRegressor fit_effect_regressor(Context const& ctx, CustomerTable const& table,
                                     std::span<double const> effect,
                                     std::vector<EncodedColumnSpec> const& specs, double C,
                                     GbdtParams const* gbdt);

}  // namespace cie::uplift
