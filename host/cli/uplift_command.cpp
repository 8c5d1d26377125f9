// `cie uplift`: uplift models (models/uplift/uplift_model.hpp).
//   train  reads customer tables with a treatment column and a response, holds out a share
//          stratified by treatment and response, fits a two-model (T-learner), class-
//          transformation or X-learner model on logistic or gbdt base learners, prints and
//          stores the Qini coefficient, AUUC and uplift by decile on the held-out customers
//          (with --folds K also each fold's Qini and AUUC, their mean and spread), and writes
//          the model file (and, if asked, the report and the held-out predictions);
//          With --arms (several arms against one control), one model file with a learner per
//          arm (models/uplift/uplift_arms.hpp), each arm's evaluation printed and reported;
//   score  applies a saved model and writes customer_id,uplift,decile,rank (decile and rank 1 =
//          highest uplift, ties by input order), plus p_treated,p_control for two-model and
//          x-learner; for a multi-arm model customer_id,<arm>_uplift...,best_arm,uplift,decile,
//          rank (host/cli/uplift_output.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/gbdt_options.hpp"
#include "host/cli/table_inputs.hpp"
#include "host/cli/uplift_output.hpp"
#include "host/io/csv_table.hpp"
#include "host/io/model_file.hpp"
#include "host/io/output_paths.hpp"
#include "models/uplift/treatment_features.hpp"
#include "models/uplift/uplift_arms.hpp"
#include "models/uplift/uplift_model.hpp"

namespace cie::cli {
namespace {

using nlohmann::json;

struct TrainOptions {
  TableInputs inputs;
  std::string treatment_column;
  std::string treated_value;
  std::string arms;
  std::string control_value;
  std::string target;
  std::string positive;
  std::string features;
  std::string exclude;
  std::string method = "two-model";
  std::string model_type = "logistic";
  GbdtOptions gbdt;
  double validation = 0.5;
  int folds = 0;
  double C = 1.0;
  double tol = 1e-8;
  std::string model_path;
  std::string report_path;
  std::string predictions_path;
};

struct ScoreOptions {
  TableInputs inputs;
  std::string model_path;
  std::string out_path;
};

std::vector<NamedPath> table_paths(TableInputs const& inputs) {
  std::vector<NamedPath> paths;
  for (std::string const& path : inputs.paths) paths.push_back({path, "--table"});
  return paths;
}

/// The arms of --arms: the listed values (distinct, none the control), or with "all" every value
/// of the treatment column but the control, sorted.
std::vector<std::string> arm_list(TrainOptions const& options,
                                  std::vector<std::string> const& levels) {
  CIE_EXPECTS(options.treated_value.empty(), "give --treated ARM or --arms ARM,..., not both");
  CIE_EXPECTS(!options.control_value.empty(), "--arms: --control names the control group");
  std::vector<std::string> arms;
  if (options.arms == "all") {
    for (std::string const& level : levels) {
      if (level != options.control_value) arms.push_back(level);
    }
    std::sort(arms.begin(), arms.end());
    CIE_EXPECTS_DATA(!arms.empty(), "--arms all: column {} holds no value but the control '{}'",
                     options.treatment_column, options.control_value);
    return arms;
  }
  for (std::string const& arm : split_list(options.arms)) {
    CIE_EXPECTS(arm != options.control_value, "--arms: '{}' is the control", arm);
    CIE_EXPECTS(std::find(arms.begin(), arms.end(), arm) == arms.end(),
                "--arms: '{}' is listed twice", arm);
    arms.push_back(arm);
  }
  CIE_EXPECTS(!arms.empty(), "--arms: no arm listed");
  return arms;
}

void run_train(GlobalOptions const& global, TrainOptions const& options) {
  check_output_paths(table_paths(options.inputs), {{options.model_path, "--model"},
                                                   {options.report_path, "--report"},
                                                   {options.predictions_path, "--predictions"}});
  Context ctx = make_context(global);
  uplift::UpliftParams params;
  params.method = uplift::parse_uplift_method(options.method);
  params.learner = parse_propensity_learner(options.model_type);
  if (params.learner == PropensityLearner::kGbdt) {
    PropensityParams trees;
    options.gbdt.apply(trees, global.seed);
    params.gbdt = trees.gbdt;
    params.early_stopping_fraction = trees.early_stopping_fraction;
  }
  params.validation_fraction = options.validation;
  params.folds = options.folds;
  params.seed = global.seed;
  params.logistic.C = options.C;
  params.logistic.tol = options.tol;
  params.validate();
  std::vector<JoinSide> sides;
  CustomerTable table = options.inputs.read(ctx, {options.treatment_column}, {}, sides);
  for (std::string const* column : {&options.treatment_column, &options.target}) {
    CIE_EXPECTS(table.find(*column) != nullptr, "column {} is not in the tables", *column);
  }
  TableColumn const& treatment_column = *table.find(options.treatment_column);
  auto const level_code = [&](std::string const& value) {
    auto const found =
        std::find(treatment_column.levels.begin(), treatment_column.levels.end(), value);
    return found == treatment_column.levels.end()
               ? -1
               : static_cast<std::int32_t>(found - treatment_column.levels.begin());
  };
  // --treated ARM: one arm against --control (default: every other value); --arms: several arms
  // against --control in one model file. group_of[level]: 0 control, k + 1 arm k, -1 left out.
  bool const several = !options.arms.empty();
  CIE_EXPECTS(several || !options.treated_value.empty(),
              "uplift train: give --treated ARM (one arm) or --arms ARM,... (several arms)");
  std::vector<std::string> const arms =
      several ? arm_list(options, treatment_column.levels) : std::vector{options.treated_value};
  std::vector<std::int32_t> group_of(treatment_column.levels.size(),
                                     several || !options.control_value.empty() ? -1 : 0);
  std::int32_t const control_code = level_code(options.control_value);
  if (!several) {
    CIE_EXPECTS(level_code(options.treated_value) >= 0, "--treated: no row of column {} holds '{}'",
                options.treatment_column, options.treated_value);
    CIE_EXPECTS(options.control_value.empty() || control_code >= 0,
                "--control: no row of column {} holds '{}'", options.treatment_column,
                options.control_value);
  }
  if (control_code >= 0) group_of[static_cast<std::size_t>(control_code)] = 0;
  for (std::size_t k = 0; k < arms.size(); ++k) {
    std::int32_t const code = level_code(arms[k]);
    if (code >= 0) group_of[static_cast<std::size_t>(code)] = static_cast<std::int32_t>(k + 1);
  }
  std::vector<std::size_t> kept;
  std::vector<std::int32_t> group;
  for (std::size_t row = 0; row < table.rows(); ++row) {
    std::int32_t const code = treatment_column.codes[row];
    CIE_EXPECTS_DATA(code >= 0, "{}: column {}: missing treatment", table.describe_row(row),
                     options.treatment_column);
    if (group_of[static_cast<std::size_t>(code)] < 0) continue;
    kept.push_back(row);
    group.push_back(group_of[static_cast<std::size_t>(code)]);
  }
  std::vector<std::uint8_t> const treatment(group.begin(), group.end());
  table = select_rows(table, kept);
  std::vector<float> const response =
      response_labels(table, *table.find(options.target), options.positive);
  table.take(options.target);
  table.take(options.treatment_column);
  for (std::string const& name : split_list(options.exclude)) table.take(name);
  std::vector<EncodedColumnSpec> specs = TabularEncoder::default_specs(table);
  if (params.learner == PropensityLearner::kGbdt) {
    for (EncodedColumnSpec& spec : specs) {
      if (spec.type == ColumnType::kNumeric) spec.missing = MissingPolicy::kNative;
    }
  }
  if (!options.features.empty()) {
    std::vector<std::string> const wanted = split_list(options.features);
    std::vector<EncodedColumnSpec> chosen;
    for (std::string const& name : wanted) {
      auto const found = std::find_if(specs.begin(), specs.end(),
                                      [&](EncodedColumnSpec const& s) { return s.name == name; });
      CIE_EXPECTS(found != specs.end(), "--features: column {} is not a feature column", name);
      chosen.push_back(*found);
    }
    specs = std::move(chosen);
  }
  uplift::drop_treatment_revealing_features(ctx, table, group, specs, !options.features.empty());

  if (several) {
    uplift::UpliftArmsTraining const trained =
        uplift::train_uplift_arms(ctx, table, response, group, arms, options.control_value,
                                  options.treatment_column, specs, params, options.target);
    ModelDocument document = trained.model.to_document();
    document.params = params.to_json();
    document.params["treatment_column"] = options.treatment_column;
    document.params["arms"] = arms;
    document.params["control"] = options.control_value;
    document.params["target"] = options.target;
    document.params["inputs"] = join_json(sides);
    document.training_metrics = trained.report;
    std::string const summary =
        write_arms_training({options.model_path, options.report_path, options.predictions_path},
                            document, trained, table, group, response);
    fmt::print(
        "uplift model ({}, {}) for {}: {} = '{}' against '{}'; {} customers\n  inputs: "
        "{}\n{}",
        options.method, options.model_type, options.target, options.treatment_column,
        fmt::join(arms, "', '"), options.control_value, table.rows(), describe_join(sides),
        summary);
    return;
  }
  uplift::UpliftTraining const trained =
      uplift::train_uplift(ctx, table, response, treatment, specs, params, options.target);
  ModelDocument document = trained.model.to_document();
  document.params = params.to_json();
  document.params["treatment_column"] = options.treatment_column;
  document.params["treated"] = options.treated_value;
  document.params["control"] = options.control_value;
  document.params["target"] = options.target;
  document.params["inputs"] = join_json(sides);
  document.training_metrics = trained.report;
  document.training_data = trained.training_data;
  if (!options.report_path.empty()) {
    write_file_atomically(options.report_path, json({{"model", options.model_path},
                                                     {"params", document.params},
                                                     {"evaluation", trained.report}})
                                                       .dump(2) +
                                                   "\n");
  }
  if (!options.predictions_path.empty()) {
    std::string text = "customer_id,treatment,response,uplift\n";
    std::size_t k = 0;
    for (std::size_t row = 0; row < table.rows(); ++row) {
      if (params.validation_fraction > 0.0 && trained.is_validation[row] == 0) continue;
      append_csv_field(text, table.ids[row]);
      text +=
          fmt::format(",{},{},{}\n", treatment[row], response[row], trained.validation_uplift[k++]);
    }
    write_file_atomically(options.predictions_path, text);
  }
  write_model_file(options.model_path, document);
  fmt::print("uplift model ({}, {}) for {}: {} = '{}' against {}; {} customers\n  inputs: {}\n{}",
             options.method, options.model_type, options.target, options.treatment_column,
             options.treated_value,
             options.control_value.empty() ? std::string("every other row")
                                           : fmt::format("'{}'", options.control_value),
             table.rows(), describe_join(sides), format_uplift_report(trained.report));
}

void run_score(GlobalOptions const& global, ScoreOptions const& options) {
  std::vector<NamedPath> inputs = table_paths(options.inputs);
  inputs.push_back({options.model_path, "--model"});
  check_output_paths(inputs, {{options.out_path, "--out"}});
  ModelDocument const document = read_model_file(options.model_path, "uplift");
  std::optional<uplift::UpliftArmsModel> arms_model;
  std::optional<uplift::UpliftModel> one_model;
  if (uplift::is_multi_arm(document)) {
    arms_model.emplace(uplift::UpliftArmsModel::from_document(document, options.model_path));
  } else {
    one_model.emplace(uplift::UpliftModel::from_document(document, options.model_path));
  }
  Context ctx = make_context(global);
  std::vector<JoinSide> sides;
  CustomerTable const table = options.inputs.read(ctx, {}, {}, sides);
  if (arms_model) {
    write_arms_scores(ctx, *arms_model, table, options.model_path, options.out_path);
    fmt::print("scored {} customers with {} ({}, arms {} against '{}'); {}\nwrote {}\n",
               table.rows(), options.model_path, uplift::to_string(arms_model->method()),
               fmt::join(arms_model->arms(), ", "), arms_model->control(), describe_join(sides),
               options.out_path);
    return;
  }
  uplift::UpliftModel const& model = *one_model;
  std::vector<double> treated;
  std::vector<double> control;
  std::vector<double> const uplift =
      model.predict(ctx, table, options.model_path, &treated, &control);
  std::vector<std::size_t> rank;
  std::vector<int> decile;
  rank_uplift(uplift, rank, decile);
  bool const two_model = model.has_response_models();
  std::string text = two_model ? "customer_id,uplift,decile,rank,p_treated,p_control\n"
                               : "customer_id,uplift,decile,rank\n";
  for (std::size_t row = 0; row < table.rows(); ++row) {
    append_csv_field(text, table.ids[row]);
    text += fmt::format(",{},{},{}", uplift[row], decile[row], rank[row]);
    text += two_model ? fmt::format(",{},{}\n", treated[row], control[row]) : std::string("\n");
  }
  write_file_atomically(options.out_path, text);
  fmt::print("scored {} customers with {} ({}); {}\nwrote {}\n", table.rows(), options.model_path,
             uplift::to_string(model.method()), describe_join(sides), options.out_path);
}

}  // namespace

void add_uplift_command(CLI::App& app, GlobalOptions const& global) {
  CLI::App* command = app.add_subcommand("uplift", "uplift models: who is persuaded by contact");
  command->require_subcommand(1);
  command->fallthrough();

  auto train_options = std::make_shared<TrainOptions>();
  TrainOptions& t = *train_options;
  CLI::App* train = command->add_subcommand("train", "fit an uplift model and evaluate it");
  train->fallthrough();
  t.inputs.add_to(*train);
  train->add_option("--treatment", t.treatment_column, "treatment column")->required();
  train->add_option("--treated", t.treated_value, "its value for treated customers (one arm)");
  train->add_option("--arms", t.arms,
                    "several arms in one model file: ARM,ARM,... or all (every value but "
                    "--control); each arm's learner against the control");
  train->add_option("--control", t.control_value,
                    "its value for control customers (default with --treated: every other "
                    "value; required with --arms); rows with other values are left out");
  train->add_option("--target", t.target, "response column")->required();
  train->add_option("--positive", t.positive, "the response's positive value (default: 0/1)");
  train->add_option("--features", t.features, "feature columns (default: all others)");
  train->add_option("--exclude", t.exclude, "columns never used (e.g. other outcomes)");
  train->add_option("--method", t.method, "two-model | class-transformation | x-learner")
      ->capture_default_str();
  train->add_option("--model-type", t.model_type, "base learner: logistic | gbdt")
      ->capture_default_str();
  t.gbdt.add_to(*train);
  train->add_option("--validation", t.validation, "held-out share")->capture_default_str();
  train
      ->add_option("--folds", t.folds,
                   "k-fold cross-validation of the training part (0: none), stratified by "
                   "treatment and response, seeded by --seed")
      ->capture_default_str();
  train
      ->add_option("--C", t.C,
                   "inverse L2 strength of each logistic base model (and of the x-learner's "
                   "ridge effect models and propensity)")
      ->capture_default_str();
  train->add_option("--tol", t.tol, "gradient tolerance")->capture_default_str();
  train->add_option("--model", t.model_path, "model file")->required();
  train->add_option("--report", t.report_path, "JSON report");
  train->add_option("--predictions", t.predictions_path,
                    "held-out predictions: customer_id,treatment,response,uplift");
  train->callback([train_options, &global] { run_train(global, *train_options); });

  auto score_options = std::make_shared<ScoreOptions>();
  ScoreOptions& s = *score_options;
  CLI::App* score = command->add_subcommand("score", "predicted uplift for customers");
  score->fallthrough();
  s.inputs.add_to(*score);
  score->add_option("--model", s.model_path, "uplift model file")->required();
  score->add_option("--out", s.out_path, "scores CSV")->required();
  score->callback([score_options, &global] { run_score(global, *score_options); });
}

}  // namespace cie::cli
