// Several treatment arms in one uplift model: one learner per arm against the shared control
// group (each an UpliftModel of models/uplift/uplift_model.hpp, same method and base learner),
// scored together: each arm's predicted uplift, the best arm (highest predicted uplift, ties to
// the arm listed first) and its uplift. A best uplift below 0 means that no arm is predicted to
// beat the control for that customer.
//
// Training: arm k's learner is exactly train_uplift on the rows of arm k and the control (the
// same model, report and hold-out as `cie uplift train --treated ARM --control CONTROL`). The
// hold-out is stratified by group and response: the control's held-out customers depend only
// on the control rows (uplift_holdout), so they are the same for every arm, and an arm's
// held-out customers are seen by no learner. Input errors (exit 3): no control customers, an
// arm without customers, and an arm or the control whose customers all have the same response.
//
// Model file: kind "uplift"; fitted = {"method", "control", "arms": [{"arm", "fitted" (the
// arm's UpliftModel fitted section), "training_data" (its fingerprint)}]}; `features` and
// `training_data` of the document are the first arm's (as a one-arm file's). A file with
// fitted.arms is a multi-arm file (is_multi_arm); UpliftModel::from_document reads the others.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "models/model_document.hpp"
#include "models/uplift/uplift_model.hpp"

namespace cie::uplift {

/// Whether a model document holds several arms (fitted.arms).
bool is_multi_arm(ModelDocument const& document);

struct ArmScores {
  std::vector<std::vector<double>> arm_uplift;  ///< [arm][row]
  std::vector<std::int32_t> best_arm;           ///< index into arms() per row
  std::vector<double> uplift;                   ///< the best arm's uplift per row
};

class UpliftArmsModel {
 public:
  /// One model and one training fingerprint per arm, in the order of `arms` (distinct names,
  /// none equal to `control`, at least one).
  UpliftArmsModel(std::string control, std::vector<std::string> arms,
                  std::vector<UpliftModel> models, std::vector<DataFingerprint> training_data);

  /// Every arm's predicted uplift of every row of `table`, the best arm and its uplift.
  [[nodiscard]] ArmScores predict(Context const& ctx, CustomerTable const& table,
                                  std::string const& model_source) const;

  [[nodiscard]] std::string const& control() const noexcept { return control_; }
  [[nodiscard]] std::vector<std::string> const& arms() const noexcept { return arms_; }
  [[nodiscard]] std::vector<UpliftModel> const& models() const noexcept { return models_; }
  [[nodiscard]] UpliftMethod method() const noexcept { return models_.front().method(); }

  [[nodiscard]] ModelDocument to_document() const;
  static UpliftArmsModel from_document(ModelDocument const& document, std::string const& source);

 private:
  std::string control_;
  std::vector<std::string> arms_;
  std::vector<UpliftModel> models_;
  std::vector<DataFingerprint> training_data_;
};

struct UpliftArmsTraining {
  UpliftArmsModel model;
  /// Per row of the table, 1 for the held-out rows (union over the arms; the control's are
  /// shared).
  std::vector<std::uint8_t> is_validation;
  /// The evaluated rows (held out, or all with validation 0) in row order, and their scores.
  std::vector<std::size_t> evaluated;
  ArmScores evaluated_scores;
  /// {"control", "held_out", "customers" (evaluated), "arms": [{"arm", "arm_customers",
  /// "control_customers" (all rows), then train_uplift's report of that arm: Qini coefficient,
  /// AUUC, deciles, folds on its evaluated arm and control rows}], "best_arm_share": {arm: share
  /// of the evaluated customers whose best arm it is}}.
  nlohmann::json report;
  DataFingerprint training_data;  ///< the first arm's
};

/// Trains one learner per arm. `group[i]` is 0 for a control row, k + 1 for a row of arms[k],
/// −1 for a row used by no arm; `response` is 0/1 per row. `group_column` and `control` name
/// the groups in messages.
UpliftArmsTraining train_uplift_arms(Context const& ctx, CustomerTable const& table,
                                     std::span<float const> response,
                                     std::span<std::int32_t const> group,
                                     std::vector<std::string> const& arms,
                                     std::string const& control, std::string const& group_column,
                                     std::vector<EncodedColumnSpec> const& specs,
                                     UpliftParams const& params, std::string const& target);

}  // namespace cie::uplift
