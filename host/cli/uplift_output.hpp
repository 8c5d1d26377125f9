// What `cie uplift` prints and writes besides the model: the printed evaluation report, the
// ranking of scores, and for several arms (models/uplift/uplift_arms.hpp) what train writes and
// prints for a multi-arm model and what score writes for one.
//   train   the model file, the --report JSON ({"model", "params", "evaluation"}), the
//           --predictions CSV of the evaluated (held-out) customers:
//           customer_id,group,response,<arm>_uplift...,best_arm,uplift; prints each arm's Qini
//           coefficient and AUUC on the hold-out and how often each arm is the best;
//   score   customer_id,<arm>_uplift...,best_arm,uplift,decile,rank (decile and rank 1 = the
//           highest best-arm uplift, ties by input order).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "models/model_document.hpp"
#include "models/uplift/uplift_arms.hpp"

namespace cie::cli {

/// Where a multi-arm training writes (empty: not asked for, but the model).
struct ArmsTrainingFiles {
  std::string model_path;
  std::string report_path;
  std::string predictions_path;
};

/// Writes the report and predictions (when asked) and the model file `document` (params filled
/// in), and returns the printed summary of the evaluation. `group` (0 control, k + 1 arm k) and
/// `response` are per row of `table`.
std::string write_arms_training(ArmsTrainingFiles const& files, ModelDocument const& document,
                                uplift::UpliftArmsTraining const& trained,
                                CustomerTable const& table, std::span<std::int32_t const> group,
                                std::span<float const> response);

/// 1-based rank and decile of each row by uplift, highest first, ties by row order.
void rank_uplift(std::vector<double> const& uplift, std::vector<std::size_t>& rank,
                 std::vector<int>& decile);

/// The printed form of an uplift_report (train_uplift's report): the Qini coefficient, AUUC,
/// folds when present, and the uplift by decile.
std::string format_uplift_report(nlohmann::json const& report);

/// CSV header names: "<arm>_uplift" per arm.
std::vector<std::string> arm_uplift_columns(uplift::UpliftArmsModel const& model,
                                            std::string const& prefix);

/// Scores `table` with a multi-arm model and writes `out_path` (atomically).
void write_arms_scores(Context const& ctx, uplift::UpliftArmsModel const& model,
                       CustomerTable const& table, std::string const& model_path,
                       std::string const& out_path);

}  // namespace cie::cli
