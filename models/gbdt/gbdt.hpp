// Gradient-boosted decision trees by histogram boosting (the algorithm of LightGBM and XGBoost's
// `hist`), deterministic to the bit for any thread count.
//
// Fit, for a FeatureMatrix x (float32, column-major; NaN = missing), labels y and weights w:
//  1. Bin edges per feature (models/gbdt/bin_edges.hpp): at most max_bin value bins of at least
//     min_data_in_bin rows from weighted quantiles of the present values (on a seeded sample of
//     bin_sample_rows rows), plus one missing bin; x is binned once into a uint8 column-major
//     matrix (kernels/gbdt.hpp).
//  2. base score from the prior: log(p / (1 − p)) of the weighted positive share (log-loss) or
//     the weighted mean (squared error); every margin starts there.
//  3. For each tree: per-row gradient and hessian at the current margins, times w (times
//     scale_pos_weight for positive rows), quantized to int64 (kernels/gbdt_rules.hpp); a seeded
//     row sample (subsample) and feature sample (colsample_bytree), both drawn from Random(seed,
//     tree); the tree grown on the sample (models/gbdt/tree_grower.hpp: histograms per node,
//     histogram subtraction, best split per leaf with a learned default direction for missing
//     values, leaf-wise or depth-wise); every row's margin moves by its leaf's value (learning
//     rate applied).
//  4. With a validation set and early_stopping_rounds > 0: the validation loss after every tree;
//     training stops when the best loss is early_stopping_rounds trees old and the model keeps
//     the trees up to the best one.
// A constant column (one distinct value) gets no split; a column that is all missing neither.
//
// Categorical features (params.categorical_features) hold level codes: a code is its own bin,
// and a split sends a set of levels left (one-vs-rest when the feature has at most
// max_cat_to_onehot levels, else a prefix of the levels sorted by Σg / (Σh + cat_smooth), as
// LightGBM does); missing values and levels the split never saw (unseen in training, or absent
// from the node) go the learned default way or right (models/gbdt/tree_grower.hpp).
//
// Prediction: margin = base + Σ tree values (raw values; x <= threshold goes left, or x's level is
// in the left set; NaN goes the split's default way); probability = σ(margin) for log-loss.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"
#include "kernels/gbdt.hpp"

namespace cie {

using kernels::GbdtObjective;

enum class TreeGrowth {
  kLeafwise,   ///< split the leaf with the largest gain next (LightGBM; XGBoost lossguide)
  kDepthwise,  ///< split level by level, leaves in creation order (XGBoost depthwise)
};

/// "binary" | "regression" (LightGBM's names; also "binary:logistic", "reg:squarederror") and
/// "leafwise" | "depthwise" (also "lossguide"); a usage error naming the allowed values otherwise.
GbdtObjective parse_gbdt_objective(std::string_view text);
TreeGrowth parse_tree_growth(std::string_view text);
std::string_view to_string(GbdtObjective objective);
std::string_view to_string(TreeGrowth growth);

/// Parameters; defaults are LightGBM's. Names in comments: LightGBM / XGBoost.
struct GbdtParams {
  GbdtObjective objective = GbdtObjective::kBinaryLogloss;  ///< objective / objective
  int n_trees = 100;                                        ///< num_iterations / n_estimators; >= 1
  double learning_rate = 0.1;                               ///< learning_rate / eta; in (0, 1]
  int num_leaves = 31;  ///< num_leaves / max_leaves; >= 2, or 0 = no limit (needs max_depth)
  int max_depth = -1;   ///< max_depth / max_depth; −1 = no limit, else >= 1
  TreeGrowth growth = TreeGrowth::kLeafwise;  ///< (leaf-wise) / grow_policy
  int max_bin = 255;                          ///< max_bin / max_bin; in [2, 255]
  int min_data_in_bin = 3;         ///< min_data_in_bin / (none); rows per value bin, >= 1
  double min_child_weight = 1e-3;  ///< min_sum_hessian_in_leaf / min_child_weight; >= 0
  int min_data_in_leaf = 20;       ///< min_data_in_leaf / (none); >= 1
  double lambda = 0.0;             ///< lambda_l2 / reg_lambda; >= 0
  double alpha = 0.0;              ///< lambda_l1 / reg_alpha; >= 0
  double min_split_gain = 0.0;     ///< min_gain_to_split / gamma; >= 0
  double subsample = 1.0;          ///< bagging_fraction (freq 1) / subsample; in (0, 1]
  double colsample_bytree = 1.0;   ///< feature_fraction / colsample_bytree; in (0, 1]
  double scale_pos_weight = 1.0;   ///< scale_pos_weight; > 0 (log-loss only)
  int early_stopping_rounds = 0;   ///< early_stopping_round(s); 0 = off; needs a validation set
  std::size_t bin_sample_rows = 200000;  ///< bin_construct_sample_cnt; >= 1
  std::uint64_t seed = 42;               ///< seed / random_state
  /// categorical_feature / (feature_types "c"): features whose values are level codes 0 .. 254
  /// (NaN or anything else: missing), split natively (models/gbdt/tree_grower.hpp).
  std::vector<std::int32_t> categorical_features;
  int max_cat_to_onehot = 4;     ///< max_cat_to_onehot: at most this many levels: one-vs-rest
  int max_cat_threshold = 32;    ///< max_cat_threshold: levels on the left of a sorted split
  double cat_smooth = 10.0;      ///< cat_smooth: in the sort key; also rows a level needs
  double cat_l2 = 10.0;          ///< cat_l2: added to lambda in a sorted split's gain
  int min_data_per_group = 100;  ///< min_data_per_group: rows per group of a sorted split

  /// Throws a usage error naming the field and its allowed range.
  void validate() const;
  [[nodiscard]] nlohmann::json to_json() const;
};

/// Per-feature importance: gain = Σ split gains, cover = Σ hessian of the split nodes, splits.
struct FeatureImportance {
  std::vector<double> gain;
  std::vector<double> cover;
  std::vector<std::int64_t> splits;
};

struct GbdtModel {
  GbdtObjective objective = GbdtObjective::kBinaryLogloss;
  double base_score = 0.0;                    ///< the starting margin
  std::vector<std::vector<float>> bin_edges;  ///< per feature: the value bins' upper edges
  std::vector<std::uint8_t> categorical;      ///< per feature: 1 = categorical (no bin edges)
  std::vector<kernels::GbdtNode> nodes;       ///< every tree's nodes
  std::vector<std::uint64_t> category_bits;   ///< the categorical splits' left sets
  std::vector<std::int32_t> roots;            ///< tree t starts at nodes[roots[t]]
  std::vector<double> node_gain;              ///< per node: split gain (0 for a leaf)
  std::vector<double> node_cover;             ///< per node: hessian sum of its training rows
  std::vector<double> validation_loss;        ///< per tree grown, with a validation set
  int best_iteration = -1;                    ///< trees kept − 1 after early stopping; else −1

  [[nodiscard]] std::size_t features() const noexcept { return bin_edges.size(); }
  [[nodiscard]] kernels::ForestView forest() const noexcept {
    return {nodes, roots, category_bits};
  }

  /// Margins (log-odds for log-loss) of x's rows (x.cols == features()) into out (x.rows).
  void predict_margin(Context const& ctx, FeatureMatrix x, std::span<double> out) const;
  /// Probabilities (log-loss) or predicted values (squared error).
  void predict(Context const& ctx, FeatureMatrix x, std::span<double> out) const;
  /// Exact TreeSHAP contributions of x's rows to the margin (kernels/gbdt.hpp
  /// gbdt_contributions, with node_cover as the reference): out holds x.rows × (features() + 1)
  /// values, row-major, each row's features then the expected margin; a row's values sum to its
  /// margin.
  void contributions(Context const& ctx, FeatureMatrix x, std::span<double> out) const;
  [[nodiscard]] FeatureImportance importance() const;

  [[nodiscard]] nlohmann::json to_json() const;
  /// A usage error starting with "model file `source`" when `json` is not to_json()'s form or
  /// the trees are inconsistent (an index out of range, a cycle, a feature out of range).
  static GbdtModel from_json(nlohmann::json const& json, std::string const& source);
};

/// Rows to watch for early stopping (weight empty = all 1).
struct GbdtValidation {
  FeatureMatrix x;
  std::span<float const> y;
  std::span<float const> weight;
};

/// Fits on x (NaN = missing; ±Inf are treated as beyond every edge), labels y (log-loss: 0 or
/// 1; squared error: finite), weights w (empty = all 1; finite, >= 0, positive total).
/// Input errors (exit 3) name the first bad row (1-based): a label that is NaN or not 0/1, a
/// bad weight; log-loss with one class only ("needs both classes"). `validation` may be null;
/// early_stopping_rounds > 0 needs it (usage error).
GbdtModel gbdt_fit(Context const& ctx, GbdtParams const& params, FeatureMatrix x,
                   std::span<float const> y, std::span<float const> weight = {},
                   GbdtValidation const* validation = nullptr);

}  // namespace cie
