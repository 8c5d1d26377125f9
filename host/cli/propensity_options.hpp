// The options of `cie propensity train` and what they mean as model parameters.
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/gbdt_options.hpp"
#include "host/cli/table_inputs.hpp"
#include "models/propensity/propensity.hpp"

namespace cie::cli {

struct TrainOptions {
  TableInputs inputs;
  std::string model_type = "logistic";
  GbdtOptions gbdt;
  std::string target;
  std::string positive;
  std::string features;
  std::string exclude;
  std::string categorical;
  std::string numeric;
  std::string transforms;
  std::string missing;
  std::string weight_column;
  int max_levels = 32;
  std::string categorical_splits = "native";
  std::string penalty = "l2";
  double C = 1.0;
  double l1_ratio = 0.5;
  bool no_intercept = false;
  std::string class_weight = "none";
  std::string solver = "auto";
  int max_iter = 1000;
  double tol = 1e-8;
  double validation = 0.2;
  int folds = 0;
  std::string calibration = "none";
  double threshold = 0.5;
  int bins = 10;
  std::string model_path;
  std::string report_path;

  void add_to(CLI::App& command) {
    inputs.add_to(command);
    command.add_option("--model-type", model_type, "logistic | gbdt (gradient-boosted trees)")
        ->capture_default_str();
    gbdt.add_to(command);
    command.add_option("--target", target, "response column (0/1, or see --positive)")->required();
    command.add_option("--positive", positive,
                       "value of --target that means a response, e.g. yes (default: the column "
                       "holds 0 and 1)");
    command.add_option("--features", features,
                       "columns to use, comma-separated (default: every column but the id, the "
                       "target and --exclude)");
    command.add_option("--exclude", exclude, "columns never used, e.g. leaking outcomes");
    command.add_option("--weight-col", weight_column,
                       "numeric column of sample weights (>= 0) for the regression; not a "
                       "feature; the reported metrics count customers unweighted");
    command.add_option("--categorical", categorical,
                       "columns read as categorical even if they hold numbers");
    command.add_option("--numeric", numeric, "columns that must be numeric");
    command.add_option("--transforms", transforms,
                       "COLUMN=SPEC,... for numeric columns: none or floor:V, clip:Q, log1p joined "
                       "by '+' (default none); all are then z-scored");
    command.add_option("--missing", missing,
                       "COLUMN=mean|error|native,... for numeric columns: mean imputes the "
                       "training mean and adds a COLUMN__missing indicator (logistic default), "
                       "error refuses missing values, native keeps them missing for the trees' "
                       "learned direction (gbdt default)");
    command
        .add_option("--max-levels", max_levels,
                    "one-hot levels kept per categorical column (most frequent); the rest and "
                    "unseen levels share COLUMN=<other>")
        ->capture_default_str();
    command
        .add_option("--categorical-splits", categorical_splits,
                    "gbdt: native (a categorical column is one feature of level codes, split "
                    "into sets of levels) | one-hot (as the logistic model)")
        ->capture_default_str();
    command.add_option("--penalty", penalty, "none | l2 | l1 | elasticnet")->capture_default_str();
    command.add_option("--C", C, "inverse regularization strength, as scikit-learn's C")
        ->capture_default_str();
    command.add_option("--l1-ratio", l1_ratio, "elastic net: share of the L1 term")
        ->capture_default_str();
    command.add_flag("--no-intercept", no_intercept, "fit without an intercept");
    command.add_option("--class-weight", class_weight, "none | balanced | W0,W1")
        ->capture_default_str();
    command.add_option("--solver", solver, "auto | lbfgs | owlqn | newton")->capture_default_str();
    command.add_option("--max-iter", max_iter, "solver iterations at most")->capture_default_str();
    command.add_option("--tol", tol, "convergence: infinity norm of the gradient")
        ->capture_default_str();
    command
        .add_option("--validation", validation,
                    "share of rows held out (stratified, seeded) for validation; 0 for none")
        ->capture_default_str();
    command
        .add_option("--folds", folds,
                    "k-fold cross-validation instead of a hold-out (needs --validation 0)")
        ->capture_default_str();
    command
        .add_option("--calibration", calibration,
                    "none | platt | isotonic, fitted on the held-out predictions")
        ->capture_default_str();
    command.add_option("--threshold", threshold, "threshold of the reported accuracy")
        ->capture_default_str();
    command.add_option("--bins", bins, "groups of the lift table")->capture_default_str();
    command.add_option("--model", model_path, "model file to write (JSON)")->required();
    command.add_option("--report", report_path, "also write the evaluation as JSON here");
  }

  [[nodiscard]] PropensityParams params(Context const& ctx) const {
    PropensityParams params;
    params.model_type = parse_propensity_learner(model_type);
    if (params.model_type == PropensityLearner::kGbdt) {
      CIE_EXPECTS(class_weight == "none",
                  "--class-weight is for --model-type logistic; gbdt weighs responders with "
                  "--scale-pos-weight");
      gbdt.apply(params, ctx.seed());
    }
    LogisticParams& logistic = params.logistic;
    logistic.penalty = parse_penalty(penalty);
    logistic.C = C;
    logistic.l1_ratio = l1_ratio;
    logistic.fit_intercept = !no_intercept;
    if (class_weight == "balanced") {
      logistic.class_weight.kind = ClassWeight::Kind::kBalanced;
    } else if (class_weight != "none") {
      std::vector<std::string> const parts = split_list(class_weight);
      double negative = 0.0, positive_weight = 0.0;
      std::size_t used0 = 0, used1 = 0;
      bool ok = parts.size() == 2;
      try {
        if (ok) negative = std::stod(parts[0], &used0);
        if (ok) positive_weight = std::stod(parts[1], &used1);
      } catch (std::exception const&) {
        ok = false;
      }
      CIE_EXPECTS(ok && used0 == parts[0].size() && used1 == parts[1].size(),
                  "--class-weight: expected none, balanced or W0,W1 (two weights), got '{}'",
                  class_weight);
      logistic.class_weight = {ClassWeight::Kind::kGiven, negative, positive_weight};
    }
    logistic.solver = parse_solver(solver);
    logistic.max_iter = max_iter;
    logistic.tol = tol;
    params.validation_fraction = validation;
    params.folds = folds;
    params.calibration = parse_calibration(calibration);
    params.threshold = threshold;
    params.bins = bins;
    params.seed = ctx.seed();
    params.validate();
    return params;
  }
};

/// The column names of `table`, in order.
inline std::vector<std::string> column_names(CustomerTable const& table) {
  std::vector<std::string> names;
  for (TableColumn const& column : table.columns) names.push_back(column.name);
  return names;
}

/// The encoded columns: --features (or every column), their types from the table, and the
/// --transforms / --missing / --max-levels / --categorical-splits choices.
inline std::vector<EncodedColumnSpec> feature_specs(TrainOptions const& options,
                                                    CustomerTable const& table) {
  CIE_EXPECTS(options.categorical_splits == "native" || options.categorical_splits == "one-hot",
              "--categorical-splits: expected native or one-hot, got '{}'",
              options.categorical_splits);
  std::vector<EncodedColumnSpec> const detected = TabularEncoder::default_specs(table);
  std::vector<std::string> wanted = split_list(options.features);
  if (wanted.empty()) wanted = column_names(table);
  std::vector<EncodedColumnSpec> specs;
  for (std::string const& name : wanted) {
    auto const found =
        std::find_if(detected.begin(), detected.end(),
                     [&](EncodedColumnSpec const& spec) { return spec.name == name; });
    CIE_EXPECTS(found != detected.end(),
                "--features: column {} is not in the joined tables (or is the id, the target or "
                "excluded); the columns are: {}",
                name, fmt::join(column_names(table), ", "));
    specs.push_back(*found);
    specs.back().max_levels = options.max_levels;
    // Trees route missing values themselves (a learned default direction per split) and split
    // categories natively.
    if (options.model_type == "gbdt") {
      specs.back().missing = MissingPolicy::kNative;
      specs.back().level_codes =
          specs.back().type == ColumnType::kCategorical && options.categorical_splits == "native";
    }
  }
  auto const spec_of = [&](std::string const& name,
                           std::string const& option) -> EncodedColumnSpec& {
    auto const found = std::find_if(specs.begin(), specs.end(), [&](EncodedColumnSpec const& spec) {
      return spec.name == name;
    });
    CIE_EXPECTS(found != specs.end(), "{}: {} is not one of the features", option, name);
    CIE_EXPECTS(found->type == ColumnType::kNumeric,
                "{}: {} is categorical; transforms and missing-value policies apply to numeric "
                "columns",
                option, name);
    return *found;
  };
  for (auto const& [name, spec] : parse_assignments(options.transforms, "--transforms", "VALUE")) {
    spec_of(name, "--transforms").transform = ColumnTransform::parse(spec, name);
  }
  for (auto const& [name, policy] : parse_assignments(options.missing, "--missing", "VALUE")) {
    CIE_EXPECTS(policy == "mean" || policy == "error" || policy == "native",
                "--missing: expected COLUMN=mean, COLUMN=error or COLUMN=native, got {}={}", name,
                policy);
    spec_of(name, "--missing").missing = policy == "mean"     ? MissingPolicy::kMeanImpute
                                         : policy == "native" ? MissingPolicy::kNative
                                                              : MissingPolicy::kError;
  }
  return specs;
}

}  // namespace cie::cli
