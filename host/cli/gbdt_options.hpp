// The gradient-boosted tree options of `cie propensity train --model-type gbdt` and their
// summary lines. Options carry LightGBM's names with XGBoost's as aliases (README: parameter
// mapping); the defaults are LightGBM's (models/gbdt/gbdt.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "models/gbdt/gbdt.hpp"
#include "models/propensity/propensity.hpp"

namespace cie::cli {

struct GbdtOptions {
  GbdtParams params;
  std::string grow_policy = "leafwise";
  double early_stopping_fraction = 0.1;
  CLI::Option* num_leaves_option = nullptr;

  void add_to(CLI::App& command) {
    auto const group = "gbdt (with --model-type gbdt)";
    command
        .add_option("--n-trees,--num-iterations,--n-estimators", params.n_trees,
                    "boosting rounds (trees)")
        ->capture_default_str()
        ->group(group);
    command.add_option("--learning-rate,--eta", params.learning_rate, "shrinkage of every tree")
        ->capture_default_str()
        ->group(group);
    num_leaves_option = command
                            .add_option("--num-leaves,--max-leaves", params.num_leaves,
                                        "leaves per tree at most (0: no limit, needs --max-depth; "
                                        "depthwise default 0)")
                            ->capture_default_str()
                            ->group(group);
    command
        .add_option("--max-depth", params.max_depth,
                    "depth limit, -1 for none (depthwise default 6)")
        ->capture_default_str()
        ->group(group);
    command.add_option("--grow-policy", grow_policy, "leafwise (lossguide) | depthwise")
        ->capture_default_str()
        ->group(group);
    command.add_option("--max-bin", params.max_bin, "histogram bins per feature, 2..255")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--min-data-in-bin", params.min_data_in_bin,
                    "training rows per histogram bin at least")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--min-child-weight,--min-sum-hessian-in-leaf", params.min_child_weight,
                    "hessian sum per leaf at least")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--min-data-in-leaf,--min-child-samples", params.min_data_in_leaf,
                    "training rows per leaf at least")
        ->capture_default_str()
        ->group(group);
    command.add_option("--lambda-l2,--reg-lambda", params.lambda, "L2 penalty on leaf values")
        ->capture_default_str()
        ->group(group);
    command.add_option("--lambda-l1,--reg-alpha", params.alpha, "L1 penalty on leaf values")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--min-split-gain,--min-gain-to-split,--gamma", params.min_split_gain,
                    "a split must gain more than this")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--subsample,--bagging-fraction", params.subsample,
                    "share of rows drawn for each tree (seeded by --seed)")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--colsample-bytree,--feature-fraction", params.colsample_bytree,
                    "share of features drawn for each tree")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--scale-pos-weight", params.scale_pos_weight,
                    "weight of responders in the gradients")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--max-cat-to-onehot", params.max_cat_to_onehot,
                    "categorical features with at most this many levels split one level vs "
                    "the rest")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--max-cat-threshold", params.max_cat_threshold,
                    "levels on the left of a sorted categorical split at most")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--cat-smooth", params.cat_smooth,
                    "smoothing of a level's gradient ratio; rows a level needs to be sorted")
        ->capture_default_str()
        ->group(group);
    command.add_option("--cat-l2", params.cat_l2, "extra L2 penalty in sorted categorical splits")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--min-data-per-group", params.min_data_per_group,
                    "rows per group of a sorted categorical split at least")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--early-stopping-rounds", params.early_stopping_rounds,
                    "stop when the held-out log-loss has not improved for this many trees "
                    "(0: off)")
        ->capture_default_str()
        ->group(group);
    command
        .add_option("--early-stopping-fraction", early_stopping_fraction,
                    "share of each fit's training rows held out for early stopping")
        ->capture_default_str()
        ->group(group);
  }

  /// The options into params (seed from the run's --seed).
  void apply(PropensityParams& out, std::uint64_t seed) const {
    out.gbdt = params;
    out.gbdt.growth = parse_tree_growth(grow_policy);
    if (out.gbdt.growth == TreeGrowth::kDepthwise) {
      if (num_leaves_option != nullptr && num_leaves_option->count() == 0) out.gbdt.num_leaves = 0;
      if (out.gbdt.max_depth == -1) out.gbdt.max_depth = 6;
    }
    out.gbdt.seed = seed;
    out.early_stopping_fraction = early_stopping_fraction;
  }
};

/// "N trees (best iteration B of M), L leaves at most, learning rate R".
inline std::string describe_gbdt(GbdtModel const& model, GbdtParams const& params) {
  std::string trees = fmt::format("{} trees", model.roots.size());
  if (model.best_iteration >= 0) {
    trees += fmt::format(" (early stopping: best of {} grown)", model.validation_loss.size());
  }
  return fmt::format(
      "{}, {} growth, {} leaves, max depth {}, learning rate {}", trees, to_string(params.growth),
      params.num_leaves == 0 ? std::string("unlimited") : fmt::format("<= {}", params.num_leaves),
      params.max_depth, params.learning_rate);
}

/// The features of largest total gain, as "name gain cover splits" lines.
inline std::string top_importance(PropensityModel const& model, std::size_t count) {
  std::vector<std::string> const& names = model.encoder().feature_names();
  FeatureImportance const importance = model.gbdt().importance();
  std::vector<std::size_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return importance.gain[a] > importance.gain[b];
  });
  std::string out = fmt::format("  importance (largest {} of {} by gain):\n",
                                std::min(count, names.size()), names.size());
  out += fmt::format("    {:<40} {:>12} {:>12} {:>7}\n", "feature", "gain", "cover", "splits");
  for (std::size_t i = 0; i < std::min(count, order.size()); ++i) {
    std::size_t const j = order[i];
    if (importance.splits[j] == 0) break;
    out += fmt::format("    {:<40} {:>12.4f} {:>12.2f} {:>7}\n", names[j], importance.gain[j],
                       importance.cover[j], importance.splits[j]);
  }
  return out;
}

}  // namespace cie::cli
