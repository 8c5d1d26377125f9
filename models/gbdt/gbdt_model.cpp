// GbdtParams checks, prediction, importance and the model's JSON form (models/gbdt/gbdt.hpp).
#include <cfloat>
#include <cmath>

#include "core/error.hpp"
#include "models/gbdt/gbdt.hpp"

namespace cie {
namespace {

[[noreturn]] void damaged(std::string const& source, std::string const& why) {
  fail(ExitCode::kUsage, "model file {} has a damaged gbdt model: {}", source, why);
}

template <typename T>
std::vector<T> array_of(nlohmann::json const& json, char const* key, std::string const& source) {
  if (!json.contains(key) || !json.at(key).is_array()) {
    damaged(source, std::string("'") + key + "' is missing or not an array");
  }
  std::vector<T> out;
  out.reserve(json.at(key).size());
  for (nlohmann::json const& value : json.at(key)) {
    if (!value.is_number()) damaged(source, std::string("'") + key + "' holds a non-number");
    out.push_back(value.get<T>());
  }
  return out;
}

}  // namespace

GbdtObjective parse_gbdt_objective(std::string_view text) {
  if (text == "binary" || text == "binary:logistic") return GbdtObjective::kBinaryLogloss;
  if (text == "regression" || text == "reg:squarederror") return GbdtObjective::kSquaredError;
  fail(ExitCode::kUsage, "objective: expected binary or regression, got '{}'", text);
}

TreeGrowth parse_tree_growth(std::string_view text) {
  if (text == "leafwise" || text == "lossguide") return TreeGrowth::kLeafwise;
  if (text == "depthwise") return TreeGrowth::kDepthwise;
  fail(ExitCode::kUsage, "grow-policy: expected leafwise (lossguide) or depthwise, got '{}'", text);
}

std::string_view to_string(GbdtObjective objective) {
  return objective == GbdtObjective::kBinaryLogloss ? "binary" : "regression";
}

std::string_view to_string(TreeGrowth growth) {
  return growth == TreeGrowth::kLeafwise ? "leafwise" : "depthwise";
}

void GbdtParams::validate() const {
  CIE_EXPECTS(n_trees >= 1, "n_trees must be >= 1, got {}", n_trees);
  CIE_EXPECTS(learning_rate > 0.0 && learning_rate <= 1.0,
              "learning_rate must be in (0, 1], got {}", learning_rate);
  CIE_EXPECTS(num_leaves == 0 || num_leaves >= 2,
              "num_leaves must be >= 2 (or 0: no limit), got {}", num_leaves);
  CIE_EXPECTS(max_depth == -1 || max_depth >= 1, "max_depth must be -1 (no limit) or >= 1, got {}",
              max_depth);
  CIE_EXPECTS(num_leaves != 0 || max_depth >= 1, "num_leaves 0 (no limit) needs a max_depth >= 1");
  CIE_EXPECTS(max_bin >= 2 && max_bin <= 255, "max_bin must be in [2, 255], got {}", max_bin);
  CIE_EXPECTS(min_data_in_bin >= 1, "min_data_in_bin must be >= 1, got {}", min_data_in_bin);
  CIE_EXPECTS(std::isfinite(min_child_weight) && min_child_weight >= 0.0,
              "min_child_weight must be >= 0, got {}", min_child_weight);
  CIE_EXPECTS(min_data_in_leaf >= 1, "min_data_in_leaf must be >= 1, got {}", min_data_in_leaf);
  CIE_EXPECTS(std::isfinite(lambda) && lambda >= 0.0, "lambda must be >= 0, got {}", lambda);
  CIE_EXPECTS(std::isfinite(alpha) && alpha >= 0.0, "alpha must be >= 0, got {}", alpha);
  CIE_EXPECTS(std::isfinite(min_split_gain) && min_split_gain >= 0.0,
              "min_split_gain must be >= 0, got {}", min_split_gain);
  CIE_EXPECTS(subsample > 0.0 && subsample <= 1.0, "subsample must be in (0, 1], got {}",
              subsample);
  CIE_EXPECTS(colsample_bytree > 0.0 && colsample_bytree <= 1.0,
              "colsample_bytree must be in (0, 1], got {}", colsample_bytree);
  CIE_EXPECTS(std::isfinite(scale_pos_weight) && scale_pos_weight > 0.0,
              "scale_pos_weight must be > 0, got {}", scale_pos_weight);
  CIE_EXPECTS(early_stopping_rounds >= 0, "early_stopping_rounds must be >= 0, got {}",
              early_stopping_rounds);
  CIE_EXPECTS(bin_sample_rows >= 1, "bin_sample_rows must be >= 1");
  for (std::int32_t const feature : categorical_features) {
    CIE_EXPECTS(feature >= 0, "categorical_features: a feature index is negative ({})", feature);
  }
  CIE_EXPECTS(max_cat_to_onehot >= 1, "max_cat_to_onehot must be >= 1, got {}", max_cat_to_onehot);
  CIE_EXPECTS(max_cat_threshold >= 1, "max_cat_threshold must be >= 1, got {}", max_cat_threshold);
  CIE_EXPECTS(std::isfinite(cat_smooth) && cat_smooth >= 0.0, "cat_smooth must be >= 0, got {}",
              cat_smooth);
  CIE_EXPECTS(std::isfinite(cat_l2) && cat_l2 >= 0.0, "cat_l2 must be >= 0, got {}", cat_l2);
  CIE_EXPECTS(min_data_per_group >= 1, "min_data_per_group must be >= 1, got {}",
              min_data_per_group);
}

nlohmann::json GbdtParams::to_json() const {
  return {{"objective", to_string(objective)},
          {"n_trees", n_trees},
          {"learning_rate", learning_rate},
          {"num_leaves", num_leaves},
          {"max_depth", max_depth},
          {"grow_policy", to_string(growth)},
          {"max_bin", max_bin},
          {"min_data_in_bin", min_data_in_bin},
          {"min_child_weight", min_child_weight},
          {"min_data_in_leaf", min_data_in_leaf},
          {"lambda", lambda},
          {"alpha", alpha},
          {"min_split_gain", min_split_gain},
          {"subsample", subsample},
          {"colsample_bytree", colsample_bytree},
          {"scale_pos_weight", scale_pos_weight},
          {"early_stopping_rounds", early_stopping_rounds},
          {"bin_sample_rows", bin_sample_rows},
          {"seed", seed},
          {"categorical_features", categorical_features},
          {"max_cat_to_onehot", max_cat_to_onehot},
          {"max_cat_threshold", max_cat_threshold},
          {"cat_smooth", cat_smooth},
          {"cat_l2", cat_l2},
          {"min_data_per_group", min_data_per_group}};
}

void GbdtModel::predict_margin(Context const& ctx, FeatureMatrix x, std::span<double> out) const {
  CIE_ASSERT(x.cols == features() && out.size() == x.rows);
  kernels::gbdt_predict_margin(ctx, x, forest(), base_score, out);
}

void GbdtModel::predict(Context const& ctx, FeatureMatrix x, std::span<double> out) const {
  predict_margin(ctx, x, out);
  if (objective == GbdtObjective::kBinaryLogloss) {
    for (double& value : out) value = kernels::stable_sigmoid(value);
  }
}

void GbdtModel::contributions(Context const& ctx, FeatureMatrix x, std::span<double> out) const {
  CIE_ASSERT(x.cols == features() && out.size() == x.rows * (features() + 1));
  kernels::gbdt_contributions(ctx, x, forest(), node_cover, base_score, out);
}

FeatureImportance GbdtModel::importance() const {
  FeatureImportance out{std::vector<double>(features(), 0.0), std::vector<double>(features(), 0.0),
                        std::vector<std::int64_t>(features(), 0)};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].feature < 0) continue;
    out.gain[nodes[i].feature] += node_gain[i];
    out.cover[nodes[i].feature] += node_cover[i];
    out.splits[nodes[i].feature] += 1;
  }
  return out;
}

nlohmann::json GbdtModel::to_json() const {
  nlohmann::json trees = {{"roots", roots}};
  std::vector<std::int32_t> feature, left, right;
  std::vector<double> threshold, value;
  std::vector<int> bin, default_left;
  nlohmann::json categories = nlohmann::json::array();
  for (kernels::GbdtNode const& node : nodes) {
    std::vector<int> codes;
    for (int code = 0; node.categories >= 0 && code < kernels::kMissingBin; ++code) {
      if (kernels::in_category_set(
              category_bits.data() +
                  static_cast<std::size_t>(node.categories) * kernels::kCategoryWords,
              code)) {
        codes.push_back(code);
      }
    }
    categories.push_back(codes);
    feature.push_back(node.feature);
    left.push_back(node.left);
    right.push_back(node.right);
    threshold.push_back(node.threshold);
    bin.push_back(node.bin);
    default_left.push_back(node.default_left);
    value.push_back(node.value);
  }
  trees["feature"] = feature;
  trees["left"] = left;
  trees["right"] = right;
  trees["threshold"] = threshold;
  trees["bin"] = bin;
  trees["default_left"] = default_left;
  trees["value"] = value;
  trees["gain"] = node_gain;
  trees["cover"] = node_cover;
  trees["categories"] = std::move(categories);
  std::vector<std::int32_t> categorical_features;
  for (std::size_t j = 0; j < categorical.size(); ++j) {
    if (categorical[j] != 0) categorical_features.push_back(static_cast<std::int32_t>(j));
  }
  return {{"objective", to_string(objective)},
          {"categorical_features", categorical_features},
          {"base_score", base_score},
          {"bin_edges", bin_edges},
          {"trees", trees},
          {"validation_loss", validation_loss},
          {"best_iteration", best_iteration}};
}

GbdtModel GbdtModel::from_json(nlohmann::json const& json, std::string const& source) {
  if (!json.is_object()) damaged(source, "not a JSON object");
  for (char const* key : {"objective", "base_score", "bin_edges", "trees", "best_iteration"}) {
    if (!json.contains(key)) damaged(source, std::string("'") + key + "' is missing");
  }
  GbdtModel model;
  if (!json.at("objective").is_string()) damaged(source, "'objective' is not a string");
  model.objective = parse_gbdt_objective(json.at("objective").get<std::string>());
  if (!json.at("base_score").is_number() || !std::isfinite(json.at("base_score").get<double>())) {
    damaged(source, "'base_score' is not a finite number");
  }
  model.base_score = json.at("base_score").get<double>();
  if (!json.at("bin_edges").is_array() || json.at("bin_edges").empty()) {
    damaged(source, "'bin_edges' is not a non-empty array");
  }
  for (nlohmann::json const& feature_edges : json.at("bin_edges")) {
    if (!feature_edges.is_array()) damaged(source, "'bin_edges' holds a non-array");
    model.bin_edges.push_back(feature_edges.get<std::vector<float>>());
  }
  model.categorical.assign(model.bin_edges.size(), 0);
  if (json.contains("categorical_features")) {
    for (std::int32_t const j : array_of<std::int32_t>(json, "categorical_features", source)) {
      if (j < 0 || static_cast<std::size_t>(j) >= model.bin_edges.size() ||
          !model.bin_edges[j].empty()) {
        damaged(source, "a categorical feature is out of range or has bin edges");
      }
      model.categorical[j] = 1;
    }
  }
  if (!json.at("best_iteration").is_number_integer())
    damaged(source, "'best_iteration' is not an integer");
  model.best_iteration = json.at("best_iteration").get<int>();
  if (json.contains("validation_loss")) {
    model.validation_loss = array_of<double>(json, "validation_loss", source);
  }
  nlohmann::json const& trees = json.at("trees");
  if (!trees.is_object()) damaged(source, "'trees' is not an object");
  model.roots = array_of<std::int32_t>(trees, "roots", source);
  auto const feature = array_of<std::int32_t>(trees, "feature", source);
  auto const left = array_of<std::int32_t>(trees, "left", source);
  auto const right = array_of<std::int32_t>(trees, "right", source);
  auto const threshold = array_of<double>(trees, "threshold", source);
  auto const bin = array_of<int>(trees, "bin", source);
  auto const default_left = array_of<int>(trees, "default_left", source);
  auto const value = array_of<double>(trees, "value", source);
  model.node_gain = array_of<double>(trees, "gain", source);
  model.node_cover = array_of<double>(trees, "cover", source);
  std::size_t const n = feature.size();
  nlohmann::json const no_categories = nlohmann::json::array();
  nlohmann::json const& categories =
      trees.contains("categories") ? trees.at("categories") : no_categories;
  if (!categories.is_array() || (!categories.empty() && categories.size() != n)) {
    damaged(source, "'categories' is not an array of one list per node");
  }
  for (std::size_t size :
       {left.size(), right.size(), threshold.size(), bin.size(), default_left.size(), value.size(),
        model.node_gain.size(), model.node_cover.size()}) {
    if (size != n) damaged(source, "the node arrays differ in length");
  }
  if (model.roots.empty()) damaged(source, "no trees");
  auto const node_count = static_cast<std::int32_t>(n);
  for (std::int32_t const root : model.roots) {
    if (root < 0 || root >= node_count) damaged(source, "a root index is out of range");
  }
  for (std::size_t i = 0; i < n; ++i) {
    kernels::GbdtNode node;
    node.feature = feature[i];
    node.value = value[i];
    if (!std::isfinite(node.value)) damaged(source, "a leaf value is not finite");
    if (feature[i] >= 0) {
      // Children come after their parent, so every walk ends: no cycles.
      auto const self = static_cast<std::int32_t>(i);
      if (static_cast<std::size_t>(feature[i]) >= model.bin_edges.size() || left[i] <= self ||
          right[i] <= self || left[i] >= node_count || right[i] >= node_count || bin[i] < 0 ||
          bin[i] > 254 || !(threshold[i] <= FLT_MAX)) {
        damaged(source, "node " + std::to_string(i) + " is inconsistent");
      }
      node.left = left[i];
      node.right = right[i];
      node.threshold = static_cast<float>(threshold[i]);
      node.bin = static_cast<std::uint8_t>(bin[i]);
      node.default_left = default_left[i] != 0 ? 1 : 0;
      if (model.categorical[feature[i]] != 0) {
        if (categories.empty() || !categories[i].is_array()) {
          damaged(source, "categorical split " + std::to_string(i) + " has no level list");
        }
        node.categories =
            static_cast<std::int32_t>(model.category_bits.size() / kernels::kCategoryWords);
        model.category_bits.resize(model.category_bits.size() + kernels::kCategoryWords, 0);
        std::uint64_t* set =
            model.category_bits.data() + model.category_bits.size() - kernels::kCategoryWords;
        for (nlohmann::json const& code : categories[i]) {
          if (!code.is_number_integer() || code.get<int>() < 0 ||
              code.get<int>() >= kernels::kMissingBin) {
            damaged(source, "categorical split " + std::to_string(i) + " has a bad level code");
          }
          set[code.get<int>() >> 6] |= std::uint64_t{1} << (code.get<int>() & 63);
        }
      }
    } else if (feature[i] != -1) {
      damaged(source, "node " + std::to_string(i) + " has a negative feature other than -1");
    }
    model.nodes.push_back(node);
  }
  return model;
}

}  // namespace cie
