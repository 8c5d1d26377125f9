// `cie propensity`: response-propensity models (models/propensity/propensity.hpp).
//   train  joins the customer tables, encodes the features, fits a logistic regression or
//          gradient-boosted trees (--model-type gbdt), prints
//          the evaluation (AUC, log-loss, Brier, accuracy, lift table, reliability) and writes the
//          model file and, if asked, a JSON report;
//   score  applies a saved model to customer tables and writes customer_id,probability,decile,rank
//          (decile 1 and rank 1 for the highest probability; ties, common under a calibrator's
//          steps, by the uncalibrated score, then by input order), and with
//          --explain K each customer's K strongest reasons (PropensityModel::explain).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/propensity_options.hpp"
#include "host/cli/propensity_warnings.hpp"
#include "host/cli/table_inputs.hpp"
#include "host/io/model_file.hpp"
#include "host/io/output_paths.hpp"
#include "host/io/rfm_output.hpp"
#include "models/propensity/propensity.hpp"

namespace cie::cli {
namespace {

using nlohmann::json;

std::string describe_model(PropensityModel const& model) {
  if (model.is_gbdt()) {
    GbdtModel const& gbdt = model.gbdt();
    return fmt::format("gradient-boosted trees, {} trees{}", gbdt.roots.size(),
                       gbdt.best_iteration >= 0 ? " (early stopping)" : "");
  }
  LogisticModel const& logistic = model.logistic();
  return fmt::format("{} solver, {} iterations{}, training log-loss {:.6f}, gradient norm {:.3g}",
                     to_string(logistic.solver_used), logistic.iterations,
                     logistic.converged ? "" : " (NOT converged: raise --max-iter or --tol)",
                     logistic.log_loss, logistic.gradient_norm);
}

/// The largest coefficients by magnitude, as "name +0.1234" lines.
std::string top_coefficients(PropensityModel const& model, std::size_t count) {
  std::vector<std::string> const& names = model.encoder().feature_names();
  std::vector<double> const& coef = model.logistic().coef;
  std::vector<std::size_t> order(coef.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(coef[a]) > std::abs(coef[b]);
  });
  std::string out = fmt::format("  coefficients (z-scored features; largest {} of {}):\n",
                                std::min(count, coef.size()), coef.size());
  for (std::size_t i = 0; i < std::min(count, order.size()); ++i) {
    out += fmt::format("    {:<40} {:+.6f}\n", names[order[i]], coef[order[i]]);
  }
  out += fmt::format("    {:<40} {:+.6f}\n", "(intercept)", model.logistic().intercept);
  return out;
}

/// The --table files as inputs of check_output_paths.
std::vector<NamedPath> table_paths(TableInputs const& inputs) {
  std::vector<NamedPath> paths;
  for (std::string const& path : inputs.paths) paths.push_back({path, "--table"});
  return paths;
}

void run_train(GlobalOptions const& global, TrainOptions const& options) {
  check_output_paths(table_paths(options.inputs),
                     {{options.model_path, "--model"}, {options.report_path, "--report"}});
  Context ctx = make_context(global);
  PropensityParams const params = options.params(ctx);
  std::vector<JoinSide> sides;
  CustomerTable table =
      options.inputs.read(ctx, split_list(options.categorical), split_list(options.numeric), sides);
  CIE_EXPECTS(table.find(options.target) != nullptr,
              "--target: column {} is not in the tables; the columns are: {}", options.target,
              fmt::join(column_names(table), ", "));
  std::vector<float> const label =
      response_labels(table, *table.find(options.target), options.positive);
  table.take(options.target);
  std::vector<float> weights;
  if (!options.weight_column.empty()) {
    TableColumn const* column = table.find(options.weight_column);
    CIE_EXPECTS(column != nullptr && column->type == ColumnType::kNumeric,
                "--weight-col: {} is not a numeric column of the tables; the columns are: {}",
                options.weight_column, fmt::join(column_names(table), ", "));
    for (std::size_t row = 0; row < table.rows(); ++row) {
      CIE_EXPECTS_DATA(column->missing[row] == 0, "{}: column {}: missing sample weight",
                       table.describe_row(row), column->name);
      weights.push_back(static_cast<float>(column->numbers[row]));
    }
    table.take(options.weight_column);
  }
  for (std::string const& name : split_list(options.exclude)) {
    CIE_EXPECTS(table.find(name) != nullptr,
                "--exclude: column {} is not in the tables; the columns are: {}", name,
                fmt::join(column_names(table), ", "));
    table.take(name);
  }
  std::vector<EncodedColumnSpec> specs = feature_specs(options, table);

  PropensityTraining const trained = train_propensity(ctx, table, label, std::move(specs), params,
                                                      options.target, options.positive, weights);
  PropensityModel const& model = trained.model;

  json metrics = {{"device", ctx.device_name()},
                  {"training_rows", trained.training_rows},
                  {"validation_rows", trained.validation_rows},
                  {"training", trained.training.to_json()}};
  if (trained.validation) metrics["validation"] = trained.validation->to_json();
  if (!trained.folds.empty()) {
    metrics["folds"] = json::array();
    for (ClassificationReport const& fold : trained.folds)
      metrics["folds"].push_back(fold.to_json());
  }
  if (trained.calibration) {
    metrics["calibrated"] = trained.calibration->calibrated.to_json();
    metrics["calibrated"]["cross_fitted_folds"] = trained.calibration->folds;
    metrics["calibration_worse"] = trained.calibration->worse;
  }

  ModelDocument document = model.to_document();
  document.params = params.to_json();
  document.params["inputs"] = join_json(sides);
  document.params["weight_column"] = options.weight_column;
  document.training_metrics = metrics;
  document.training_data = trained.training_data;
  if (!options.report_path.empty()) {
    json report = {{"model", options.model_path},
                   {"target", options.target},
                   {"positive", options.positive},
                   {"inputs", join_json(sides)},
                   {"params", document.params},
                   {"features", model.encoder().feature_names()},
                   {"metrics", metrics}};
    if (model.is_gbdt()) {
      FeatureImportance const importance = model.gbdt().importance();
      report["importance"] = {
          {"gain", importance.gain}, {"cover", importance.cover}, {"splits", importance.splits}};
      report["trees"] = model.gbdt().roots.size();
      report["best_iteration"] = model.gbdt().best_iteration;
    } else {
      report["coef"] = model.logistic().coef;
      report["intercept"] = model.logistic().intercept;
      report["solver"] = to_string(model.logistic().solver_used);
      report["iterations"] = model.logistic().iterations;
      report["converged"] = model.logistic().converged;
    }
    write_file_atomically(options.report_path, report.dump(2) + "\n");
  }
  write_model_file(options.model_path, document);

  std::size_t const positives = static_cast<std::size_t>(
      std::count_if(label.begin(), label.end(), [](float y) { return y == 1.0f; }));
  std::string out = fmt::format(
      "propensity model for {}{} on {}: {} customers ({} responders, {:.2f}%)\n  inputs: {}\n",
      options.target, options.positive.empty() ? "" : fmt::format(" = {}", options.positive),
      ctx.device_name(), label.size(), positives,
      100.0 * static_cast<double>(positives) / static_cast<double>(label.size()),
      describe_join(sides));
  std::vector<float> const encoded = model.encoder().apply(ctx, table);
  out +=
      leakage_warnings(ctx, {encoded.data(), table.rows(), model.encoder().feature_names().size()},
                       label, model.encoder().feature_names(), options.target, options.positive);
  if (model.is_gbdt()) {
    out += fmt::format("  {} features from {} columns; gradient-boosted trees\n",
                       model.encoder().feature_names().size(), model.encoder().specs().size());
    out += fmt::format("  fit on {} rows: {}\n", trained.training_rows,
                       describe_gbdt(model.gbdt(), params.gbdt));
    out += top_importance(model, 15);
  } else {
    out += fmt::format("  {} features from {} columns; {} penalty, C = {}\n",
                       model.encoder().feature_names().size(), model.encoder().specs().size(),
                       to_string(params.logistic.penalty), params.logistic.C);
    out += fmt::format("  fit on {} rows: {}\n", trained.training_rows, describe_model(model));
    out += top_coefficients(model, 15);
  }
  out += fmt::format("training ({} rows):\n{}", trained.training_rows, trained.training.to_text());
  if (!trained.folds.empty()) {
    out +=
        fmt::format("cross-validation, {} folds (seed {}):\n", trained.folds.size(), params.seed);
    for (std::size_t f = 0; f < trained.folds.size(); ++f) {
      ClassificationReport const& fold = trained.folds[f];
      out += fmt::format("  fold {}: {} rows, AUC {:.4f}, log-loss {:.6f}, Brier {:.6f}\n", f + 1,
                         fold.rows, fold.auc, fold.log_loss, fold.brier);
    }
    out += "out-of-fold predictions of all rows:\n";
  } else if (trained.validation) {
    out += fmt::format("validation ({} rows held out, stratified, seed {}):\n",
                       trained.validation_rows, params.seed);
  }
  if (trained.validation) out += trained.validation->to_text();
  if (trained.calibration)
    out += calibration_text(ctx, options.calibration, *trained.calibration, *trained.validation);
  out += fmt::format(
      "wrote model {}{}\n", options.model_path,
      options.report_path.empty() ? "" : fmt::format(" and report {}", options.report_path));
  fmt::print("{}", out);
}

/// Writes customer_id,probability,decile,rank atomically, then reason_r,contribution_r for
/// r = 1 .. reasons->k when `reasons` is given (empty fields where a row has fewer reasons).
void write_scores(std::string const& path, CustomerTable const& table,
                  std::vector<double> const& probability, Ranking const& ranking,
                  PropensityReasons const* reasons, std::vector<std::string> const& names) {
  AtomicFile file(path);
  std::string chunk = "customer_id,probability,decile,rank";
  std::size_t const k = reasons == nullptr ? 0 : reasons->k;
  for (std::size_t r = 1; r <= k; ++r) chunk += fmt::format(",reason_{0},contribution_{0}", r);
  chunk += '\n';
  for (std::size_t i = 0; i < table.rows(); ++i) {
    append_csv_field(chunk, table.ids[i]);
    fmt::format_to(std::back_inserter(chunk), ",{},{},{}", probability[i], ranking.decile[i],
                   ranking.rank[i]);
    for (std::size_t r = 0; r < k; ++r) {
      std::int32_t const feature = reasons->feature[i * k + r];
      chunk += ',';
      if (feature < 0) {
        chunk += ',';
        continue;
      }
      append_csv_field(chunk, names[static_cast<std::size_t>(feature)]);
      fmt::format_to(std::back_inserter(chunk), ",{}", reasons->contribution[i * k + r]);
    }
    chunk += '\n';
    if (chunk.size() > (1u << 20)) {
      file.write(chunk);
      chunk.clear();
    }
  }
  file.write(chunk);
  file.commit();
}

struct ScoreOptions {
  TableInputs inputs;
  std::string model_path;
  std::string out_path;
  std::size_t batch_rows = std::size_t{1} << 20;
  int bins = 10;
  int explain = 0;
};

void run_score(GlobalOptions const& global, ScoreOptions const& options) {
  std::vector<NamedPath> inputs = table_paths(options.inputs);
  inputs.push_back({options.model_path, "--model"});
  check_output_paths(inputs, {{options.out_path, "--out"}});
  CIE_EXPECTS(options.batch_rows > 0, "--batch-rows must be >= 1");
  CIE_EXPECTS(options.bins >= 2 && options.bins <= 100, "--bins must be in [2, 100], got {}",
              options.bins);
  CIE_EXPECTS(options.explain >= 0 && options.explain <= 1000,
              "--explain must be in [0, 1000] (reasons per customer), got {}", options.explain);
  ModelDocument const document = read_model_file(options.model_path, "propensity");
  PropensityModel const model = PropensityModel::from_document(document, options.model_path);
  Context ctx = make_context(global);
  std::vector<std::string> categorical, numeric;
  for (EncodedColumnSpec const& spec : model.encoder().specs()) {
    (spec.type == ColumnType::kCategorical ? categorical : numeric).push_back(spec.name);
  }
  std::vector<JoinSide> sides;
  CustomerTable const table = options.inputs.read(ctx, categorical, numeric, sides);
  std::vector<double> probability(table.rows());
  model.score(ctx, table, options.model_path, options.batch_rows, probability);
  // A calibrator's steps tie many customers: rank them by the uncalibrated score, which is
  // deterministic, rather than by input order.
  std::vector<double> uncalibrated;
  if (model.calibrator().kind() != Calibrator::Kind::kNone) {
    PropensityModel::Learner learner = LogisticModel{};
    if (model.is_gbdt()) {
      learner = model.gbdt();
    } else {
      learner = model.logistic();
    }
    PropensityModel const raw(model.encoder(), std::move(learner), Calibrator{}, model.target(),
                              model.positive());
    uncalibrated.resize(table.rows());
    raw.score(ctx, table, options.model_path, options.batch_rows, uncalibrated);
  }
  Ranking const ranking = rank_scores(probability, options.bins, uncalibrated);
  std::optional<PropensityReasons> reasons;
  if (options.explain > 0) {
    reasons = model.explain(ctx, table, options.model_path, options.batch_rows,
                            static_cast<std::size_t>(options.explain));
  }
  write_scores(options.out_path, table, probability, ranking, reasons ? &*reasons : nullptr,
               model.encoder().feature_names());

  std::vector<std::size_t> count(static_cast<std::size_t>(options.bins));
  std::vector<double> sum(count.size()), low(count.size(), 1.0), high(count.size(), 0.0);
  for (std::size_t i = 0; i < probability.size(); ++i) {
    auto const d = static_cast<std::size_t>(ranking.decile[i] - 1);
    ++count[d];
    sum[d] += probability[i];
    low[d] = std::min(low[d], probability[i]);
    high[d] = std::max(high[d], probability[i]);
  }
  double const total = std::accumulate(probability.begin(), probability.end(), 0.0);
  std::string out = fmt::format(
      "propensity scores for {}{} on {}: {} customers\n  model {} (cie {}, {}; {})\n  inputs: {}\n",
      model.target(), model.positive().empty() ? "" : fmt::format(" = {}", model.positive()),
      ctx.device_name(), table.rows(), options.model_path, document.engine_version,
      document.created_utc, describe_model(model), describe_join(sides));
  out += fmt::format("  mean probability {:.4f}, expected responders {:.0f}\n",
                     table.rows() == 0 ? 0.0 : total / static_cast<double>(table.rows()), total);
  out += fmt::format("  {:>6} {:>10} {:>10} {:>21}\n", "decile", "customers", "mean p", "p range");
  for (std::size_t d = 0; d < count.size(); ++d) {
    if (count[d] == 0) continue;
    out += fmt::format("  {:>6} {:>10} {:>10.4f} {:>10.4f} - {:<8.4f}\n", d + 1, count[d],
                       sum[d] / static_cast<double>(count[d]), low[d], high[d]);
  }
  if (reasons) {
    out += fmt::format(
        "  reasons: the {} largest contributions (log-odds, {}) per customer, relative to the "
        "expected log-odds {:.4f}{}\n",
        reasons->k, model.is_gbdt() ? "exact TreeSHAP" : "coefficient x deviation from the mean",
        reasons->expected_margin,
        model.calibrator().kind() == Calibrator::Kind::kNone ? "" : " (before calibration)");
  }
  out += fmt::format("  wrote {}\n", options.out_path);
  fmt::print("{}", out);
}

}  // namespace

void add_propensity_command(CLI::App& app, GlobalOptions const& global) {
  CLI::App* propensity = app.add_subcommand(
      "propensity", "response propensity: logistic regression or gradient-boosted trees");
  propensity->require_subcommand(1);
  propensity->fallthrough();

  auto train_options = std::make_shared<TrainOptions>();
  CLI::App* train = propensity->add_subcommand(
      "train", "fit a propensity model, evaluate it, write the model file");
  train->fallthrough();
  train_options->add_to(*train);
  train->callback([train_options, &global] { run_train(global, *train_options); });

  auto score_options = std::make_shared<ScoreOptions>();
  CLI::App* score =
      propensity->add_subcommand("score", "score customers with a saved propensity model");
  score->fallthrough();
  score->add_option("--model", score_options->model_path, "model file written by train")
      ->required();
  score
      ->add_option("--out", score_options->out_path,
                   "output CSV: customer_id,probability,decile,rank")
      ->required();
  score->add_option("--batch-rows", score_options->batch_rows, "rows encoded and scored at a time")
      ->capture_default_str();
  score->add_option("--bins", score_options->bins, "decile groups")->capture_default_str();
  score
      ->add_option("--explain", score_options->explain,
                   "K: also write each customer's K strongest reasons, columns reason_1, "
                   "contribution_1, ... (feature, log-odds contribution; 0 = none)")
      ->capture_default_str();
  score_options->inputs.add_to(*score);
  score->callback([score_options, &global] { run_score(global, *score_options); });
}

}  // namespace cie::cli
