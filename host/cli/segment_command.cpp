// `cie segment`: k-means segmentation of a customer table (the RFM output by default).
//   select  fits each k of a range and reports inertia, silhouette, Davies-Bouldin,
//           Calinski-Harabasz and the gap statistic, the k each rule recommends (rules in
//           models/segments/k_selection.hpp) and the recommendation of --rule;
//   fit     fits one k, names the clusters from their profiles (or --cluster-names), writes the
//           model file and prints the segment profile;
//   assign  assigns customers with a saved model (on whichever device this run has) and writes
//           customer_id,cluster,cluster_name,distance.
// Features default to recency_days,frequency,monetary_total, each log1p'd (monetary_total as
// floor:0+log1p, since net returns can make it negative) and z-scored.
// The input is a customer table (core/customer_table.hpp) with unique ids, or rows numbered
// from 1 with --no-id, read as `cie propensity` reads one (--delimiter; "-" and gzip too). The
// features, the weights and the revenue column must hold a number in every row: a value that is
// not a number, NaN, Inf or a missing value is an input error (exit 3) naming file, line and
// column. The segment-name column is read as text (a missing name is allowed); other columns are
// not read.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/customer_table.hpp"
#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/segment_options.hpp"
#include "host/cli/segment_report.hpp"
#include "host/io/cluster_names_file.hpp"
#include "host/io/customer_table_reader.hpp"
#include "host/io/delimited_text.hpp"
#include "host/io/model_file.hpp"
#include "host/io/output_paths.hpp"
#include "host/io/rfm_output.hpp"
#include "models/features/feature_pipeline.hpp"
#include "models/metrics/cluster_metrics.hpp"
#include "models/segments/cluster_names.hpp"
#include "models/segments/k_selection.hpp"
#include "models/segments/kmeans.hpp"
#include "models/segments/segment_model.hpp"
#include "models/segments/segment_profile.hpp"
#include "models/segments/train_segments.hpp"

namespace cie::cli {
namespace {

using nlohmann::json;

/// The customer table: the pipeline's columns and the weights (numeric), the revenue column
/// (numeric) and the RFM segment names (categorical) when the table has them.
struct Customers {
  CustomerTable table;
  std::vector<std::string> feature_columns;

  /// The pipeline's input columns; they point into `table`. A missing value is an input error.
  [[nodiscard]] RawColumns raw() const {
    return complete_numeric_columns(table, feature_columns, "k-means");
  }
};

/// Reads the columns that select, fit and assign need; the features, weights and revenue must be
/// numbers, while the table's other columns may hold anything.
Customers read_customers(Context const& ctx, InputOptions const& input,
                         FeaturePipeline const& pipeline, std::string const& weights_column,
                         std::string const& needed_by) {
  CustomerTableRequest request;
  request.id_column = input.no_id ? "" : input.id_column;
  request.delimiter = parse_delimiter(input.delimiter, "--delimiter");
  request.columns = pipeline.column_names();
  if (!weights_column.empty() &&
      std::ranges::find(request.columns, weights_column) == request.columns.end()) {
    request.columns.push_back(weights_column);
  }
  request.numeric = request.columns;
  request.numeric.push_back(input.revenue_column);
  request.optional_columns = {input.revenue_column};
  // A column read as numbers (a feature, the weights, the revenue) gives no segment names.
  if (!input.segment_column.empty() &&
      std::ranges::find(request.numeric, input.segment_column) == request.numeric.end()) {
    request.optional_columns.push_back(input.segment_column);
    request.categorical = {input.segment_column};
  }
  request.needed_by = needed_by;
  Customers customers{read_customer_table(ctx, input.input_path, request), pipeline.column_names()};
  CIE_EXPECTS_DATA(customers.table.rows() > 0, "{}: no customer rows", customers.table.source);
  if (customers.table.find(input.revenue_column) != nullptr) {
    // Checked now, before any work, although only the profile reads it.
    (void)complete_numeric_columns(customers.table, std::span(&input.revenue_column, 1),
                                   "the revenue share");
  }
  return customers;
}

SegmentProfile profile(Context const& ctx, Customers const& customers, InputOptions const& input,
                       FeaturePipeline const& pipeline, std::vector<std::int32_t> const& labels,
                       int k) {
  ProfileInput profile_input;
  profile_input.feature_names = pipeline.column_names();
  profile_input.features = float64_columns(customers.raw());
  if (TableColumn const* revenue = customers.table.find(input.revenue_column)) {
    profile_input.revenue_column = input.revenue_column;
    profile_input.revenue = revenue->numbers;
  }
  TableColumn const* names = customers.table.find(input.segment_column);
  if (names != nullptr && names->type == ColumnType::kCategorical) {
    profile_input.segment_codes = names->codes;
    profile_input.segment_names = names->levels;
  }
  return profile_segments(ctx, profile_input, labels, k);
}

std::vector<float> weights_of(Customers const& customers, std::string const& column) {
  if (column.empty()) return {};
  std::span<double const> const values =
      complete_numeric_columns(customers.table, std::span(&column, 1), "k-means")
          .columns.front()
          .float64();
  return {values.begin(), values.end()};
}

/// What select and fit train on: the customers read, the feature matrix prepared by `pipeline`
/// (fitted here on these customers) and the sample weights (empty when none).
struct TrainingData {
  Customers customers;
  std::vector<float> prepared;
  std::vector<float> weights;

  [[nodiscard]] FeatureMatrix matrix(FeaturePipeline const& pipeline) const {
    return {prepared.data(), customers.table.rows(), pipeline.size()};
  }
};

TrainingData prepare_training(Context const& ctx, TrainingOptions const& options,
                              FeaturePipeline& pipeline) {
  TrainingData data{
      read_customers(ctx, options.input, pipeline, options.weights_column, ""), {}, {}};
  RawColumns const raw = data.customers.raw();
  pipeline.fit(ctx, raw);
  data.prepared = pipeline.apply(ctx, raw);
  data.weights = weights_of(data.customers, options.weights_column);
  return data;
}

/// Options of select only: which k count and how the rules run.
struct SelectionOptions {
  std::string k = "2..12";
  int min_k = 1;
  int gap_references = 10;
  std::string rule = "silhouette";
};

void run_select(GlobalOptions const& global, TrainingOptions const& options,
                SelectionOptions const& selection) {
  std::vector<int> const ks = parse_k_range(selection.k);
  CIE_EXPECTS(selection.min_k >= 1 && selection.min_k <= ks.back(),
              "--min-k: expected 1..{} (the largest --k), got {}", ks.back(), selection.min_k);
  CIE_EXPECTS(selection.gap_references >= 0 && selection.gap_references <= 1000,
              "--gap-references: expected 0..1000, got {}", selection.gap_references);
  KSelectionRule const rule = parse_selection_rule(selection.rule, "--rule");
  CIE_EXPECTS(rule != KSelectionRule::kGap || selection.gap_references > 0,
              "--rule gap needs --gap-references >= 1");
  FeaturePipeline pipeline = options.pipeline();
  Context ctx = make_context(global);
  ClusterMetricsParams const metrics_params = options.metrics_params(ctx);
  TrainingData const data = prepare_training(ctx, options, pipeline);
  FeatureMatrix const x = data.matrix(pipeline);
  // Every k is checked against the rows (and every setting against its range) before any fit.
  options.kmeans_params(ctx, ks.back()).validate(x.rows, x.cols);

  std::string out =
      fmt::format("k-means model selection on {}: {} customers from {}\n  features: {}\n",
                  ctx.device_name(), x.rows, options.input.input_path, describe_features(pipeline));
  KSelectionTable table;
  table.ks = ks;
  ClusterMetrics metrics;
  std::vector<std::string> rows;  // the columns up to iterations, per k
  std::vector<bool> converged;
  for (int const k : ks) {
    KMeansResult const result = kmeans_fit(ctx, options.kmeans_params(ctx, k), x, data.weights);
    metrics = cluster_metrics(ctx, metrics_params, x, result.labels, k);
    table.inertia.push_back(result.inertia);
    table.silhouette.push_back(metrics.silhouette);
    table.davies_bouldin.push_back(metrics.davies_bouldin);
    table.calinski_harabasz.push_back(metrics.calinski_harabasz);
    rows.push_back(fmt::format("  {:>4} {:>14.6g} {:>11.4f} {:>15.4f} {:>18.6g} {:>10}", k,
                               result.inertia, metrics.silhouette, metrics.davies_bouldin,
                               metrics.calinski_harabasz, result.iterations));
    converged.push_back(result.converged);
  }
  if (selection.gap_references > 0) {
    table.gap = gap_statistic(
        x, ks, table.inertia, selection.gap_references, ctx.seed(),
        [&](FeatureMatrix reference, int k) {
          return kmeans_fit(ctx, options.kmeans_params(ctx, k), reference, data.weights).inertia;
        });
  }
  out += fmt::format("  {:>4} {:>14} {:>11} {:>15} {:>18} {:>10}{}\n", "k", "inertia", "silhouette",
                     "davies_bouldin", "calinski_harabasz", "iterations",
                     table.gap ? fmt::format(" {:>9} {:>9}", "gap", "gap_s") : std::string());
  for (std::size_t i = 0; i < ks.size(); ++i) {
    out += rows[i];
    if (table.gap) out += fmt::format(" {:>9.4f} {:>9.4f}", table.gap->gap[i], table.gap->s[i]);
    out += converged[i] ? "\n" : " (not converged)\n";
  }
  out += fmt::format("  {}\n", describe_silhouette(metrics, x.rows, metrics_params.seed));
  std::vector<KSelectionChoice> const choices = apply_selection_rules(table, selection.min_k);
  out += format_selection_rules(choices, ks, selection.min_k, selection.gap_references, ctx.seed());
  out += format_recommendation(choices, ks, rule);
  fmt::print("{}", out);
}

/// The cluster names file's names (none for "").
std::map<int, std::string> given_names(std::string const& names_path) {
  return names_path.empty() ? std::map<int, std::string>() : read_cluster_names(names_path);
}

void run_fit(GlobalOptions const& global, TrainingOptions const& options, std::string const& k_text,
             std::string const& model_path, std::string const& out_path,
             std::string const& names_path) {
  std::vector<int> const ks = parse_k_range(k_text);
  CIE_EXPECTS(ks.size() == 1, "--k: fit takes one k, got the range {} (use cie segment select)",
              k_text);
  check_output_paths({{options.input.input_path, "--input"}, {names_path, "--cluster-names"}},
                     {{model_path, "--model"}, {out_path, "--out"}});
  std::map<int, std::string> const names = given_names(names_path);
  Context ctx = make_context(global);
  SegmentTrainingParams params;
  params.kmeans = options.kmeans_params(ctx, ks.front());
  params.metrics = options.metrics_params(ctx);
  params.weights_column = options.weights_column;
  FeaturePipeline const untrained = options.pipeline();
  Customers const customers =
      read_customers(ctx, options.input, untrained, options.weights_column, "");
  std::vector<float> const weights = weights_of(customers, options.weights_column);
  TrainedSegments trained = train_segments(ctx, untrained, params, customers.raw(), weights);
  if (!names.empty()) trained.rename(apply_given_names(trained.model.names(), names, names_path));
  FeaturePipeline const& pipeline = trained.model.pipeline();
  KMeansResult const& result = trained.result;
  ClusterMetrics const& metrics = trained.metrics;
  FeatureMatrix const x = trained.matrix();
  write_model_file(model_path, trained.document);
  if (!out_path.empty())
    write_assignments(ctx, out_path, customers.table.ids, x, result.centroids, result.labels,
                      trained.model.names());

  std::string out = fmt::format("k-means, k = {}, on {}: {} customers from {}\n  features: {}\n",
                                params.kmeans.n_clusters, ctx.device_name(), x.rows,
                                options.input.input_path, describe_features(pipeline));
  out += fmt::format(
      "  inertia {:.6g}, {} iterations{}{}, silhouette {:.4f}, Davies-Bouldin {:.4f}, "
      "Calinski-Harabasz {:.6g}\n  {}\n",
      result.inertia, result.iterations,
      params.kmeans.refine == KMeansRefine::kHartigan
          ? fmt::format(" then {} customers moved by Hartigan refinement", result.refine_moves)
          : std::string(),
      result.converged ? "" : " (not converged)", metrics.silhouette, metrics.davies_bouldin,
      metrics.calinski_harabasz, describe_silhouette(metrics, x.rows, params.metrics.seed));
  out += format_profile(
      profile(ctx, customers, options.input, pipeline, result.labels, params.kmeans.n_clusters),
      trained.model.names());
  out +=
      fmt::format("  wrote model {}{}\n", model_path,
                  out_path.empty() ? std::string() : fmt::format(" and assignments {}", out_path));
  fmt::print("{}", out);
}

void run_assign(GlobalOptions const& global, InputOptions const& input,
                std::string const& model_path, std::string const& out_path,
                std::string const& names_path) {
  check_output_paths(
      {{input.input_path, "--input"}, {model_path, "--model"}, {names_path, "--cluster-names"}},
      {{out_path, "--out"}});
  ModelDocument const document = read_model_file(model_path, kSegmentModelKind);
  SegmentModel model = SegmentModel::from_document(document, model_path);
  model.set_names(apply_given_names(model.names(), given_names(names_path), names_path));
  FeaturePipeline const& pipeline = model.pipeline();
  int const n_clusters = model.n_clusters();
  Context ctx = make_context(global);
  Customers const customers = read_customers(ctx, input, pipeline, "", "model " + model_path);
  RawColumns const raw = customers.raw();
  std::vector<float> prepared;
  double inertia = 0.0;
  std::vector<std::int32_t> const labels = model.assign(ctx, raw, &prepared, &inertia);
  FeatureMatrix const x{prepared.data(), raw.rows, pipeline.size()};
  write_assignments(ctx, out_path, customers.table.ids, x, model.centroids(), labels,
                    model.names());

  std::string out = fmt::format("k-means assignment, k = {}, on {}: {} customers from {}\n",
                                n_clusters, ctx.device_name(), x.rows, input.input_path);
  out += fmt::format("  model {} (trained on {} rows on {}, cie {}, {})\n  features: {}\n",
                     model_path, document.training_data.rows,
                     document.training_metrics.value("device", std::string("?")),
                     document.engine_version, document.created_utc, describe_features(pipeline));
  out += fmt::format("  inertia {:.6g}\n", inertia);
  out +=
      format_profile(profile(ctx, customers, input, pipeline, labels, n_clusters), model.names());
  out += fmt::format("  wrote {}\n", out_path);
  fmt::print("{}", out);
}

}  // namespace

void add_segment_command(CLI::App& app, GlobalOptions const& global) {
  CLI::App* segment = app.add_subcommand("segment", "k-means customer segmentation");
  segment->require_subcommand(1);
  segment->fallthrough();

  struct SelectOptions {
    TrainingOptions training;
    SelectionOptions selection;
  };
  auto select_options = std::make_shared<SelectOptions>();
  CLI::App* select = segment->add_subcommand("select", "fit each k of a range and recommend one");
  select->fallthrough();
  SelectionOptions& selection = select_options->selection;
  select->add_option("--k", selection.k, "a range such as 2..12, or one k")->capture_default_str();
  select->add_option("--min-k", selection.min_k, "every rule recommends a k of at least this")
      ->capture_default_str();
  select
      ->add_option("--gap-references", selection.gap_references,
                   "uniform reference data sets of the gap statistic (0: no gap statistic)")
      ->capture_default_str();
  select
      ->add_option("--rule", selection.rule,
                   "the rule of the recommended k: silhouette | gap | elbow | davies-bouldin | "
                   "calinski-harabasz (all are shown)")
      ->capture_default_str();
  select_options->training.add_to(*select);
  select->callback([select_options, &global] {
    run_select(global, select_options->training, select_options->selection);
  });

  struct FitOptions {
    TrainingOptions training;
    std::string k;
    std::string model_path;
    std::string out_path;
    std::string names_path;
  };
  auto fit_options = std::make_shared<FitOptions>();
  CLI::App* fit = segment->add_subcommand("fit", "fit k-means and write the model file");
  fit->fallthrough();
  fit->add_option("--k", fit_options->k, "number of clusters")->required();
  fit->add_option("--model", fit_options->model_path, "model file to write (JSON)")->required();
  fit->add_option("--out", fit_options->out_path, "also write the training customers' clusters");
  fit->add_option("--cluster-names", fit_options->names_path,
                  "CSV cluster,cluster_name: names that replace those from the profiles");
  fit_options->training.add_to(*fit);
  fit->callback([fit_options, &global] {
    run_fit(global, fit_options->training, fit_options->k, fit_options->model_path,
            fit_options->out_path, fit_options->names_path);
  });

  struct AssignOptions {
    InputOptions input;
    std::string model_path;
    std::string out_path;
    std::string names_path;
  };
  auto assign_options = std::make_shared<AssignOptions>();
  CLI::App* assign = segment->add_subcommand("assign", "assign customers with a saved model");
  assign->fallthrough();
  assign->add_option("--model", assign_options->model_path, "model file written by segment fit")
      ->required();
  assign
      ->add_option("--out", assign_options->out_path,
                   "output CSV: customer_id,cluster,cluster_name,distance")
      ->required();
  assign->add_option("--cluster-names", assign_options->names_path,
                     "CSV cluster,cluster_name: names shown instead of the model's");
  assign_options->input.add_to(*assign);
  assign->callback([assign_options, &global] {
    run_assign(global, assign_options->input, assign_options->model_path, assign_options->out_path,
               assign_options->names_path);
  });
}

}  // namespace cie::cli
