// `cie uplift`: uplift models (models/uplift/uplift_model.hpp).
//   train  reads customer tables with a treatment column and a response, holds out a share
//          stratified by treatment and response, fits a two-model (T-learner), class-
//          transformation or X-learner model on logistic or gbdt base learners, prints and
//          stores the Qini coefficient, AUUC and uplift by decile on the held-out customers
//          (with --folds K also each fold's Qini and AUUC, their mean and spread), and writes
//          the model file (and, if asked, the report and the held-out predictions);
//   score  applies a saved model and writes customer_id,uplift,decile,rank (decile and rank 1 =
//          highest uplift, ties by input order), plus p_treated,p_control for two-model and
//          x-learner.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/gbdt_options.hpp"
#include "host/cli/table_inputs.hpp"
#include "host/io/csv_table.hpp"
#include "host/io/model_file.hpp"
#include "host/io/output_paths.hpp"
#include "models/uplift/uplift_model.hpp"

namespace cie::cli {
namespace {

using nlohmann::json;

struct TrainOptions {
  TableInputs inputs;
  std::string treatment_column;
  std::string treated_value;
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

/// 1-based rank and decile of each row by uplift, highest first, ties by row order.
void rank_uplift(std::vector<double> const& uplift, std::vector<std::size_t>& rank,
                 std::vector<int>& decile) {
  std::vector<std::size_t> order(uplift.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return uplift[a] > uplift[b]; });
  rank.assign(uplift.size(), 0);
  decile.assign(uplift.size(), 0);
  for (std::size_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = r + 1;
    decile[order[r]] = 1 + static_cast<int>(r * 10 / order.size());
  }
}

std::string format_report(json const& report) {
  std::string out = fmt::format(
      "{} customers{}: Qini coefficient {:.6f}, AUUC {:.6f}\n"
      "  decile  treated  control  treated rate  control rate  observed uplift  mean predicted\n",
      report["customers"].get<std::size_t>(),
      report["held_out"].get<bool>() ? " held out" : " (training rows)",
      report["qini_coefficient"].get<double>(), report["auuc"].get<double>());
  if (report.contains("cross_validation")) {
    json const& cv = report["cross_validation"];
    out =
        fmt::format(
            "{} folds of the {}: Qini coefficient {:.6f} (sd {:.6f}), AUUC {:.6f} "
            "(sd {:.6f})\n",
            cv["folds"].get<int>(), report["held_out"].get<bool>() ? "training part" : "customers",
            cv["qini_mean"].get<double>(), cv["qini_sd"].get<double>(),
            cv["auuc_mean"].get<double>(), cv["auuc_sd"].get<double>()) +
        out;
  }
  for (json const& d : report["deciles"]) {
    out += fmt::format("  {:>6} {:>8} {:>8} {:>12.2f}% {:>12.2f}% {:>15.2f}% {:>14.2f}%\n",
                       d["decile"].get<int>(), d["treated"].get<std::int64_t>(),
                       d["control"].get<std::int64_t>(), 100.0 * d["treated_rate"].get<double>(),
                       100.0 * d["control_rate"].get<double>(),
                       100.0 * d["observed_uplift"].get<double>(),
                       100.0 * d["mean_predicted_uplift"].get<double>());
  }
  return out;
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
  CustomerTable table = options.inputs.read({options.treatment_column}, {}, sides);
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
  std::int32_t const treated_code = level_code(options.treated_value);
  std::int32_t const control_code =
      options.control_value.empty() ? -2 : level_code(options.control_value);
  CIE_EXPECTS(treated_code >= 0, "--treated: no row of column {} holds '{}'",
              options.treatment_column, options.treated_value);
  CIE_EXPECTS(control_code != -1, "--control: no row of column {} holds '{}'",
              options.treatment_column, options.control_value);
  std::vector<std::size_t> kept;
  std::vector<std::uint8_t> treatment;
  for (std::size_t row = 0; row < table.rows(); ++row) {
    std::int32_t const code = treatment_column.codes[row];
    CIE_EXPECTS_DATA(code >= 0, "{}: column {}: missing treatment", table.describe_row(row),
                     options.treatment_column);
    if (code != treated_code && control_code >= 0 && code != control_code) continue;
    kept.push_back(row);
    treatment.push_back(code == treated_code ? 1 : 0);
  }
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
             table.rows(), describe_join(sides), format_report(trained.report));
}

void run_score(GlobalOptions const& global, ScoreOptions const& options) {
  std::vector<NamedPath> inputs = table_paths(options.inputs);
  inputs.push_back({options.model_path, "--model"});
  check_output_paths(inputs, {{options.out_path, "--out"}});
  uplift::UpliftModel const model = uplift::UpliftModel::from_document(
      read_model_file(options.model_path, "uplift"), options.model_path);
  Context ctx = make_context(global);
  std::vector<JoinSide> sides;
  CustomerTable const table = options.inputs.read({}, {}, sides);
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
  train->add_option("--treated", t.treated_value, "its value for treated customers")->required();
  train->add_option("--control", t.control_value,
                    "its value for control customers (default: every other value); rows with "
                    "other values are left out");
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
