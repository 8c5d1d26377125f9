// `cie segment`: k-means segmentation of a customer table (the RFM output by default).
//   select  fits each k of a range and reports inertia, silhouette, Davies-Bouldin and
//           Calinski-Harabasz, and recommends a k (rule in models/cluster_metrics.hpp);
//   fit     fits one k, writes the model file and prints the segment profile;
//   assign  assigns customers with a saved model (on whichever device this run has) and writes
//           customer_id,cluster,distance.
// Features default to recency_days,frequency,monetary_total, each log1p'd (monetary_total as
// floor:0+log1p, since net returns can make it negative) and z-scored.
// The input is a customer table (host/customer_table.hpp) with unique ids. The features, the
// weights and the revenue column must hold a number in every row: a value that is not a number,
// NaN, Inf or a missing value is an input error (exit 3) naming file, line and column. The
// segment-name column is read as text (a missing name is allowed); other columns are not read.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>

#include "host/atomic_file.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/segment_report.hpp"
#include "host/customer_table.hpp"
#include "host/error.hpp"
#include "host/model_file.hpp"
#include "host/rfm_output.hpp"
#include "models/cluster_metrics.hpp"
#include "models/feature_pipeline.hpp"
#include "models/kmeans.hpp"
#include "models/segment_model.hpp"
#include "models/segment_profile.hpp"

namespace cie::cli {
namespace {

using nlohmann::json;

struct InputOptions {
  std::string input_path;
  std::string id_column = "customer_id";
  std::string revenue_column = "monetary_total";
  std::string segment_column = "segment";

  void add_to(CLI::App& command) {
    command.add_option("--input", input_path, "customer table (CSV with a header)")->required();
    command.add_option("--id-col", id_column, "customer id column")->capture_default_str();
    command
        .add_option("--revenue-col", revenue_column,
                    "column summed for each cluster's share of revenue, when present")
        ->capture_default_str();
    command
        .add_option("--segment-col", segment_column,
                    "column of RFM segment names profiled per cluster, when present")
        ->capture_default_str();
  }
};

/// Options that define the features and the k-means run (select and fit).
struct TrainingOptions {
  InputOptions input;
  std::string features = "recency_days,frequency,monetary_total";
  std::string transforms;
  bool no_standardize = false;
  std::string init = "k-means++";
  int n_init = 1;
  int max_iter = 300;
  double tol = 1e-4;
  std::string refine = "hartigan";
  std::string weights_column;
  std::size_t silhouette_limit = 20'000;

  void add_to(CLI::App& command) {
    input.add_to(command);
    command.add_option("--features", features, "numeric columns to cluster on, comma-separated")
        ->capture_default_str();
    command.add_option("--transforms", transforms,
                       "COLUMN=SPEC,... with SPEC none or floor:V, clip:Q, log1p joined by '+' "
                       "(default log1p for recency_days and frequency, floor:0+log1p for "
                       "monetary_total and monetary_mean, none otherwise)");
    command.add_flag("--no-standardize", no_standardize, "skip the z-score after the transforms");
    command.add_option("--init", init, "k-means++ | k-means|| | random")->capture_default_str();
    command.add_option("--n-init", n_init, "initializations; the lowest inertia is kept")
        ->capture_default_str();
    command.add_option("--max-iter", max_iter, "Lloyd iterations at most")->capture_default_str();
    command.add_option("--tol", tol, "convergence tolerance (scikit-learn's)")
        ->capture_default_str();
    command
        .add_option("--refine", refine,
                    "after Lloyd: hartigan (move single customers while that lowers the "
                    "inertia) or none")
        ->capture_default_str();
    command.add_option("--weights-col", weights_column, "column of non-negative customer weights");
    command
        .add_option("--silhouette-limit", silhouette_limit,
                    "exact silhouette up to this many rows, a seeded sample of this size above")
        ->capture_default_str();
  }

  [[nodiscard]] FeaturePipeline pipeline() const {
    std::vector<std::string> const columns = split_list(features, ',');
    std::map<std::string, std::string, std::less<>> specs;
    for (std::string const& assignment : split_list(transforms, ',')) {
      std::size_t const equals = assignment.find('=');
      CIE_EXPECTS(equals != std::string::npos && equals > 0,
                  "--transforms: expected COLUMN=SPEC, got '{}'", assignment);
      std::string column = assignment.substr(0, equals);
      CIE_EXPECTS(std::find(columns.begin(), columns.end(), column) != columns.end(),
                  "--transforms: {} is not one of the --features ({})", column, features);
      specs[column] = assignment.substr(equals + 1);
    }
    std::vector<FeatureSpec> specs_in_order;
    for (std::string const& column : columns) {
      auto const given = specs.find(column);
      std::string const spec = given != specs.end() ? given->second : default_rfm_transform(column);
      specs_in_order.push_back({column, ColumnTransform::parse(spec, column)});
    }
    return FeaturePipeline(std::move(specs_in_order), !no_standardize);
  }

  [[nodiscard]] KMeansParams kmeans_params(Context const& ctx, int k) const {
    KMeansParams params;
    params.n_clusters = k;
    if (init == "k-means++") {
      params.init = KMeansInit::kKMeansPlusPlus;
    } else if (init == "k-means||") {
      params.init = KMeansInit::kKMeansParallel;
    } else if (init == "random") {
      params.init = KMeansInit::kRandom;
    } else {
      fail(ExitCode::kUsage, "--init: expected k-means++, k-means|| or random, got '{}'", init);
    }
    params.n_init = n_init;
    params.max_iter = max_iter;
    params.tol = tol;
    params.refine = parse_kmeans_refine(refine, "--refine");
    params.seed = ctx.seed();
    return params;
  }

  [[nodiscard]] ClusterMetricsParams metrics_params(Context const& ctx) const {
    ClusterMetricsParams params;
    params.silhouette_exact_limit = silhouette_limit;
    params.silhouette_sample_size = silhouette_limit;
    params.seed = ctx.seed();
    params.validate();
    return params;
  }
};

/// "2..12" or "5" as the ascending list of k.
std::vector<int> parse_k_range(std::string const& text) {
  auto const parse_int = [&](std::string_view part) {
    int value = 0;
    auto const [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    CIE_EXPECTS(error == std::errc() && end == part.data() + part.size() && value >= 1,
                "--k: expected a number of clusters >= 1 or a range such as 2..12, got '{}'", text);
    return value;
  };
  std::size_t const dots = text.find("..");
  int const first = parse_int(std::string_view(text).substr(0, dots));
  int const last =
      dots == std::string::npos ? first : parse_int(std::string_view(text).substr(dots + 2));
  CIE_EXPECTS(first <= last, "--k: the range {} is empty", text);
  std::vector<int> ks;
  for (int k = first; k <= last; ++k) ks.push_back(k);
  return ks;
}

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
Customers read_customers(InputOptions const& input, FeaturePipeline const& pipeline,
                         std::string const& weights_column, std::string const& needed_by) {
  CustomerTableRequest request;
  request.id_column = input.id_column;
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
  Customers customers{read_customer_table(input.input_path, request), pipeline.column_names()};
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
  profile_input.features = customers.raw().columns;
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
      complete_numeric_columns(customers.table, std::span(&column, 1), "k-means").columns.front();
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
  TrainingData data{read_customers(options.input, pipeline, options.weights_column, ""), {}, {}};
  RawColumns const raw = data.customers.raw();
  pipeline.fit(ctx, raw);
  data.prepared = pipeline.apply(ctx, raw);
  data.weights = weights_of(data.customers, options.weights_column);
  return data;
}

void run_select(GlobalOptions const& global, TrainingOptions const& options,
                std::string const& k_text) {
  std::vector<int> const ks = parse_k_range(k_text);
  FeaturePipeline pipeline = options.pipeline();
  Context ctx = make_context(global);
  ClusterMetricsParams const metrics_params = options.metrics_params(ctx);
  TrainingData const data = prepare_training(ctx, options, pipeline);
  FeatureMatrix const x = data.matrix(pipeline);

  std::string out =
      fmt::format("k-means model selection on {}: {} customers from {}\n  features: {}\n",
                  ctx.device_name(), x.rows, options.input.input_path, describe_features(pipeline));
  out += fmt::format("  {:>4} {:>14} {:>11} {:>15} {:>18} {:>10}\n", "k", "inertia", "silhouette",
                     "davies_bouldin", "calinski_harabasz", "iterations");
  std::vector<double> silhouettes;
  ClusterMetrics metrics;
  for (int const k : ks) {
    KMeansResult const result = kmeans_fit(ctx, options.kmeans_params(ctx, k), x, data.weights);
    metrics = cluster_metrics(ctx, metrics_params, x, result.labels, k);
    silhouettes.push_back(metrics.silhouette);
    out +=
        fmt::format("  {:>4} {:>14.6g} {:>11.4f} {:>15.4f} {:>18.6g} {:>10}{}\n", k, result.inertia,
                    metrics.silhouette, metrics.davies_bouldin, metrics.calinski_harabasz,
                    result.iterations, result.converged ? "" : " (not converged)");
  }
  out += fmt::format("  {}\n", describe_silhouette(metrics, x.rows, metrics_params.seed));
  std::size_t const chosen = recommend_k(ks, silhouettes);
  if (chosen < ks.size()) {
    out += fmt::format(
        "recommended k = {}: the highest silhouette, where a k within {} of the highest counts as "
        "a tie and the smallest such k wins\n",
        ks[chosen], kSilhouetteTieTolerance);
  } else {
    out += "no k recommended: no silhouette could be computed (fewer than 2 non-empty clusters)\n";
  }
  fmt::print("{}", out);
}

json metrics_json(KMeansResult const& result, ClusterMetrics const& metrics, Context const& ctx) {
  return {{"inertia", result.inertia},
          {"iterations", result.iterations},
          {"converged", result.converged},
          {"refine_moves", result.refine_moves},
          {"silhouette", metrics.silhouette},
          {"silhouette_rows", metrics.silhouette_rows},
          {"silhouette_sampled", metrics.silhouette_sampled},
          {"davies_bouldin", metrics.davies_bouldin},
          {"calinski_harabasz", metrics.calinski_harabasz},
          {"device", ctx.device_name()}};
}

void run_fit(GlobalOptions const& global, TrainingOptions const& options, std::string const& k_text,
             std::string const& model_path, std::string const& out_path) {
  std::vector<int> const ks = parse_k_range(k_text);
  CIE_EXPECTS(ks.size() == 1, "--k: fit takes one k, got the range {} (use cie segment select)",
              k_text);
  FeaturePipeline pipeline = options.pipeline();
  Context ctx = make_context(global);
  KMeansParams const params = options.kmeans_params(ctx, ks.front());
  ClusterMetricsParams const metrics_params = options.metrics_params(ctx);
  TrainingData const data = prepare_training(ctx, options, pipeline);
  FeatureMatrix const x = data.matrix(pipeline);
  KMeansResult const result = kmeans_fit(ctx, params, x, data.weights);
  ClusterMetrics const metrics =
      cluster_metrics(ctx, metrics_params, x, result.labels, params.n_clusters);

  ModelDocument document =
      SegmentModel(pipeline, result.centroids, params.n_clusters).to_document();
  document.params = {{"n_clusters", params.n_clusters},
                     {"init", options.init},
                     {"n_init", params.n_init},
                     {"max_iter", params.max_iter},
                     {"tol", params.tol},
                     {"refine", kmeans_refine_name(params.refine)},
                     {"seed", params.seed},
                     {"weights_column", options.weights_column}};
  document.training_metrics = metrics_json(result, metrics, ctx);
  document.training_data = fingerprint_matrix(data.prepared, x.rows);
  write_model_file(model_path, document);
  if (!out_path.empty())
    write_assignments(ctx, out_path, data.customers.table.ids, x, result.centroids, result.labels);

  std::string out = fmt::format("k-means, k = {}, on {}: {} customers from {}\n  features: {}\n",
                                params.n_clusters, ctx.device_name(), x.rows,
                                options.input.input_path, describe_features(pipeline));
  out += fmt::format(
      "  inertia {:.6g}, {} iterations{}{}, silhouette {:.4f}, Davies-Bouldin {:.4f}, "
      "Calinski-Harabasz {:.6g}\n  {}\n",
      result.inertia, result.iterations,
      params.refine == KMeansRefine::kHartigan
          ? fmt::format(" then {} customers moved by Hartigan refinement", result.refine_moves)
          : std::string(),
      result.converged ? "" : " (not converged)",
      metrics.silhouette, metrics.davies_bouldin, metrics.calinski_harabasz,
      describe_silhouette(metrics, x.rows, metrics_params.seed));
  out += format_profile(
      profile(ctx, data.customers, options.input, pipeline, result.labels, params.n_clusters));
  out +=
      fmt::format("  wrote model {}{}\n", model_path,
                  out_path.empty() ? std::string() : fmt::format(" and assignments {}", out_path));
  fmt::print("{}", out);
}

void run_assign(GlobalOptions const& global, InputOptions const& input,
                std::string const& model_path, std::string const& out_path) {
  ModelDocument const document = read_model_file(model_path, kSegmentModelKind);
  SegmentModel const model = SegmentModel::from_document(document, model_path);
  FeaturePipeline const& pipeline = model.pipeline();
  int const n_clusters = model.n_clusters();
  Context ctx = make_context(global);
  Customers const customers = read_customers(input, pipeline, "", "model " + model_path);
  RawColumns const raw = customers.raw();
  std::vector<float> prepared;
  double inertia = 0.0;
  std::vector<std::int32_t> const labels = model.assign(ctx, raw, &prepared, &inertia);
  FeatureMatrix const x{prepared.data(), raw.rows, pipeline.size()};
  write_assignments(ctx, out_path, customers.table.ids, x, model.centroids(), labels);

  std::string out = fmt::format("k-means assignment, k = {}, on {}: {} customers from {}\n",
                                n_clusters, ctx.device_name(), x.rows, input.input_path);
  out += fmt::format("  model {} (trained on {} rows on {}, cie {}, {})\n  features: {}\n",
                     model_path, document.training_data.rows,
                     document.training_metrics.value("device", std::string("?")),
                     document.engine_version, document.created_utc, describe_features(pipeline));
  out += fmt::format("  inertia {:.6g}\n", inertia);
  out += format_profile(profile(ctx, customers, input, pipeline, labels, n_clusters));
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
    std::string k = "2..12";
  };
  auto select_options = std::make_shared<SelectOptions>();
  CLI::App* select = segment->add_subcommand("select", "fit each k of a range and recommend one");
  select->fallthrough();
  select->add_option("--k", select_options->k, "a range such as 2..12, or one k")
      ->capture_default_str();
  select_options->training.add_to(*select);
  select->callback([select_options, &global] {
    run_select(global, select_options->training, select_options->k);
  });

  struct FitOptions {
    TrainingOptions training;
    std::string k;
    std::string model_path;
    std::string out_path;
  };
  auto fit_options = std::make_shared<FitOptions>();
  CLI::App* fit = segment->add_subcommand("fit", "fit k-means and write the model file");
  fit->fallthrough();
  fit->add_option("--k", fit_options->k, "number of clusters")->required();
  fit->add_option("--model", fit_options->model_path, "model file to write (JSON)")->required();
  fit->add_option("--out", fit_options->out_path, "also write the training customers' clusters");
  fit_options->training.add_to(*fit);
  fit->callback([fit_options, &global] {
    run_fit(global, fit_options->training, fit_options->k, fit_options->model_path,
            fit_options->out_path);
  });

  struct AssignOptions {
    InputOptions input;
    std::string model_path;
    std::string out_path;
  };
  auto assign_options = std::make_shared<AssignOptions>();
  CLI::App* assign = segment->add_subcommand("assign", "assign customers with a saved model");
  assign->fallthrough();
  assign->add_option("--model", assign_options->model_path, "model file written by segment fit")
      ->required();
  assign->add_option("--out", assign_options->out_path, "output CSV: customer_id,cluster,distance")
      ->required();
  assign_options->input.add_to(*assign);
  assign->callback([assign_options, &global] {
    run_assign(global, assign_options->input, assign_options->model_path, assign_options->out_path);
  });
}

}  // namespace cie::cli
