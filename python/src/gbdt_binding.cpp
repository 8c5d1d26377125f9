// cie._core gradient-boosted trees: models/propensity's train_propensity with the gbdt learner
// (as `cie propensity train --model-type gbdt --validation 0`); scoring is propensity_predict
// (logistic_binding.cpp), which takes either learner.
#include <algorithm>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "models/gbdt/gbdt.hpp"
#include "models/propensity/propensity.hpp"
#include "python/src/propensity_training.hpp"
#include "python/src/support.hpp"

namespace cie::python {
namespace {

nb::dict gbdt_fit(MatrixOrColumns x, std::vector<std::string> const& names,
                  std::vector<CategoricalColumn> const& categorical,
                  std::vector<std::string> const& order, int max_levels, Vector y,
                  std::optional<Vector> sample_weight, std::vector<std::string> const& transforms,
                  std::string const& missing, int n_estimators, double learning_rate,
                  int num_leaves, int max_depth, std::string const& grow_policy, int max_bin,
                  double min_child_weight, int min_samples_leaf, double reg_lambda,
                  double reg_alpha, double min_split_gain, double subsample,
                  double colsample_bytree, double scale_pos_weight, std::uint64_t seed,
                  std::string const& target, std::string const& positive, std::string const& device,
                  int threads) {
  PropensityParams params;
  params.model_type = PropensityLearner::kGbdt;
  GbdtParams& gbdt = params.gbdt;
  gbdt.n_trees = n_estimators;
  gbdt.learning_rate = learning_rate;
  gbdt.num_leaves = num_leaves;
  gbdt.max_depth = max_depth;
  gbdt.growth = parse_tree_growth(grow_policy);
  gbdt.max_bin = max_bin;
  gbdt.min_child_weight = min_child_weight;
  gbdt.min_data_in_leaf = min_samples_leaf;
  gbdt.lambda = reg_lambda;
  gbdt.alpha = reg_alpha;
  gbdt.min_split_gain = min_split_gain;
  gbdt.subsample = subsample;
  gbdt.colsample_bytree = colsample_bytree;
  gbdt.scale_pos_weight = scale_pos_weight;
  gbdt.seed = seed;
  params.seed = seed;
  // The specs in X's column order (`order`), as the CLI's for --model-type gbdt: a categorical
  // column is one feature of level codes, split natively, with the numeric columns' missing
  // policy (the CLI's: native).
  std::vector<EncodedColumnSpec> const numeric = numeric_specs(names, transforms, missing);
  CIE_EXPECTS(order.size() == names.size() + categorical.size(),
              "order: expected every feature once");
  std::vector<EncodedColumnSpec> specs;
  for (std::string const& name : order) {
    auto const number = std::find_if(numeric.begin(), numeric.end(),
                                     [&](EncodedColumnSpec const& s) { return s.name == name; });
    if (number != numeric.end()) {
      specs.push_back(*number);
    } else {
      auto const category =
          std::find_if(categorical.begin(), categorical.end(),
                       [&](CategoricalColumn const& c) { return std::get<0>(c) == name; });
      CIE_EXPECTS(category != categorical.end(), "order: {} is not a feature", name);
      EncodedColumnSpec spec;
      spec.name = name;
      spec.type = ColumnType::kCategorical;
      spec.max_levels = max_levels;
      spec.level_codes = true;
      spec.missing = numeric.empty() ? MissingPolicy::kNative : numeric.front().missing;
      specs.push_back(std::move(spec));
    }
    specs.back().max_levels = max_levels;
  }
  return train_propensity_file(x, names, y, sample_weight, categorical, std::move(specs), params,
                               target, positive, device, threads);
}

}  // namespace

void bind_gbdt(nb::module_& m) {
  m.def("gbdt_fit", &gbdt_fit, nb::arg("X"), nb::arg("names"), nb::arg("categorical"),
        nb::arg("order"), nb::arg("max_levels"), nb::arg("y"), nb::arg("sample_weight").none(),
        nb::arg("transforms"), nb::arg("missing"), nb::arg("n_estimators"),
        nb::arg("learning_rate"), nb::arg("num_leaves"), nb::arg("max_depth"),
        nb::arg("grow_policy"), nb::arg("max_bin"), nb::arg("min_child_weight"),
        nb::arg("min_samples_leaf"), nb::arg("reg_lambda"), nb::arg("reg_alpha"),
        nb::arg("min_split_gain"), nb::arg("subsample"), nb::arg("colsample_bytree"),
        nb::arg("scale_pos_weight"), nb::arg("seed"), nb::arg("target"), nb::arg("positive"),
        nb::arg("device"), nb::arg("threads"),
        "train_propensity with gradient-boosted trees on every row (as `cie propensity train "
        "--model-type gbdt --validation 0`): returns the model file's text. X holds the numeric "
        "columns `names`; `categorical` the categorical ones as (name, int32 codes, levels), "
        "split natively; `order` names every feature in the table's order. y holds 0/1. The "
        "GIL is released while it computes.");
}

}  // namespace cie::python
