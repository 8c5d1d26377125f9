// Fitting one uplift model on chosen rows (models/uplift/uplift_model.hpp states the methods);
// train_uplift calls it for the stored model and for every cross-validation fold.
//
// X-learner (Künzel, Sekhon, Bickel and Yu 2019), on the training rows:
//  1. response models μ₁ (treated rows) and μ₀ (control rows), the base learner;
//  2. imputed effects D = y − μ₀(x) for treated rows and D = μ₁(x) − y for control rows;
//  3. effect regressions τ₁ on the treated rows' D and τ₀ on the control rows' D
//     (models/uplift/effect_regressor.hpp: ridge for the logistic family, squared-error trees
//     for gbdt);
//  4. a treatment propensity e(x) = P(treated | x), a logistic regression on all training rows
//     (also with gbdt base learners: a randomized split's propensity is nearly flat, and trees
//     would fit its noise);
//  uplift(x) = e(x) τ₀(x) + (1 − e(x)) τ₁(x): the effect model of the larger group weighs more
//  where that group's counterpart is scarce, so a split other than 50/50 is accounted for.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "models/model_document.hpp"
#include "models/uplift/uplift_model.hpp"

namespace cie::uplift {

struct FittedUplift {
  UpliftModel model;
  DataFingerprint training_data;  ///< of the first base model's training matrix
};

/// Fits params.method on the rows `rows` of `table` (feature columns only). Each base model
/// needs both outcomes among its rows (input error naming the model and `target` otherwise).
FittedUplift fit_uplift_model(Context const& ctx, CustomerTable const& table,
                              std::span<float const> response,
                              std::span<std::uint8_t const> treatment,
                              std::vector<std::size_t> const& rows,
                              std::vector<EncodedColumnSpec> const& specs,
                              UpliftParams const& params, std::string const& target);

}  // namespace cie::uplift
