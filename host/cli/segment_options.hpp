// The options of `cie segment select|fit|assign` and what they mean as model parameters.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "models/features/feature_pipeline.hpp"
#include "models/metrics/cluster_metrics.hpp"
#include "models/segments/kmeans.hpp"

namespace cie::cli {

/// How the customer table is read: as `cie propensity --table` reads one (--id-col, --no-id,
/// --delimiter); "-" is standard input, and gzip data is inflated.
struct InputOptions {
  std::string input_path;
  std::string id_column = "customer_id";
  bool no_id = false;
  std::string delimiter = "comma";
  std::string revenue_column = "monetary_total";
  std::string segment_column = "segment";

  void add_to(CLI::App& command) {
    command
        .add_option("--input", input_path,
                    "customer table (delimited text with a header; - for standard input; gzip "
                    "is recognised)")
        ->required();
    command.add_option("--id-col", id_column, "customer id column")->capture_default_str();
    command.add_flag("--no-id", no_id, "the table has no id column: rows are numbered from 1");
    command
        .add_option("--delimiter", delimiter,
                    "field separator: comma, semicolon, tab, whitespace or one character")
        ->capture_default_str();
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
    auto const specs = parse_assignments(transforms, "--transforms", "SPEC");
    for (auto const& [column, spec] : specs) {
      CIE_EXPECTS(std::find(columns.begin(), columns.end(), column) != columns.end(),
                  "--transforms: {} is not one of the --features ({})", column, features);
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
    params.init = parse_kmeans_init(init, "--init");
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
inline std::vector<int> parse_k_range(std::string const& text) {
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
  constexpr int kMaxValues = 1000;
  CIE_EXPECTS(last - first < kMaxValues, "--k: the range {} has {} values; select fits at most {}",
              text, static_cast<std::int64_t>(last) - first + 1, kMaxValues);
  std::vector<int> ks;
  for (int k = first; k <= last; ++k) ks.push_back(k);
  return ks;
}

}  // namespace cie::cli
