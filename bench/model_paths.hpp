// The model-level training paths the `cie` command and the Python package run, for the drivers'
// --model mode (bench/compare_python.py times cie.KMeans().fit and cie.LogisticRegression().fit
// against them, so the difference is what Python adds: input checks, conversions, copies).
//
// Column layouts (the drivers' --dtype), so that a driver does the engine work of the input the
// Python package is given: kFloat64 and kFloat32 are columns read in place, as the package reads
// a float64 / float32 array in F order (python/src/matrix_input.cpp: RawColumn views for k-means,
// borrowed TableColumns for the classifiers' encoder, NaN where missing); kFloat64's values are
// x widened into a double buffer made before any timer (the values equal x's, so every layout
// gives the same fit bit for bit). kOwned (logistic only): the table the CLI's reader makes, owned
// float64 values with missing flags, copied from x before the timer.
//
// segments_model_fit: train_segments (as `cie segment fit` and cie.KMeans: a feature pipeline
// with no transform and no scaling, k-means, the cluster metrics with `silhouette_limit` rows,
// the cluster names) and the model file's text, on the columns of x in `layout`.
// propensity_model_fit: train_propensity with the logistic learner on every row (as
// `cie propensity train --validation 0` and cie.LogisticRegression: the tabular encoder with
// mean imputation, z-scoring, the regression, the training report) and the model file's text,
// on a CustomerTable of columns x0, x1, ... in `layout`. kOwned: the table is made before the
// timer ("table_seconds": the time to make it, the copy cie.LogisticRegression made before it
// borrowed columns). kFloat64 / kFloat32: the table of borrowed columns (ids, line numbers) is
// made inside the timer, as cie._core.logistic_fit makes it inside its engine call
// ("table_seconds": that share).
// Both return {"seconds": the timed part's wall time, "cpu_seconds": its CPU time (user + system,
// every thread of the process: std::clock), ...the fit's figures}.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <ctime>
#include <span>
#include <string>
#include <vector>

#include "bench/driver_support.hpp"
#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "core/feature_matrix.hpp"
#include "models/features/feature_pipeline.hpp"
#include "models/features/tabular_encoder.hpp"
#include "models/model_document.hpp"
#include "models/propensity/propensity.hpp"
#include "models/segments/train_segments.hpp"

namespace cie::bench {

enum class ColumnLayout { kOwned, kFloat64, kFloat32 };

/// "owned" | "float64" | "float32" (a usage error naming --dtype otherwise).
inline ColumnLayout parse_column_layout(std::string const& text) {
  if (text == "owned") return ColumnLayout::kOwned;
  if (text == "float64") return ColumnLayout::kFloat64;
  if (text == "float32") return ColumnLayout::kFloat32;
  fail(ExitCode::kUsage, "--dtype: expected owned, float64 or float32, got '{}'", text);
}

/// CPU seconds of the process (every thread) since `start`.
inline double cpu_seconds_since(std::clock_t start) {
  return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

inline char const* column_layout_name(ColumnLayout layout) {
  return layout == ColumnLayout::kOwned     ? "owned"
         : layout == ColumnLayout::kFloat64 ? "float64"
                                            : "float32";
}

inline nlohmann::json segments_model_fit(Context const& ctx, KMeansParams const& kmeans,
                                         std::vector<float> const& x, std::size_t rows,
                                         std::size_t cols, std::size_t silhouette_limit,
                                         ColumnLayout layout) {
  CIE_EXPECTS(layout != ColumnLayout::kOwned, "--dtype owned: logistic_driver only");
  std::vector<double> values;
  if (layout == ColumnLayout::kFloat64) values.assign(x.begin(), x.end());
  RawColumns raw;
  raw.rows = rows;
  std::vector<FeatureSpec> specs;
  for (std::size_t j = 0; j < cols; ++j) {
    std::string const name = "x" + std::to_string(j);
    specs.push_back({name, ColumnTransform::parse("none", name)});
    if (layout == ColumnLayout::kFloat64) {
      raw.columns.emplace_back(values.data() + j * rows, rows);
    } else {
      raw.columns.emplace_back(x.data() + j * rows, rows);
    }
  }
  SegmentTrainingParams params;
  params.kmeans = kmeans;
  params.metrics.silhouette_exact_limit = silhouette_limit;
  params.metrics.silhouette_sample_size = silhouette_limit;
  params.metrics.seed = kmeans.seed;
  params.metrics.validate();
  std::clock_t const cpu_start = std::clock();
  auto const start = std::chrono::steady_clock::now();
  TrainedSegments trained =
      train_segments(ctx, FeaturePipeline(std::move(specs), false), params, raw);
  std::string const text = model_file_text(trained.document);
  double const seconds = seconds_since(start);
  return {{"seconds", seconds},
          {"cpu_seconds", cpu_seconds_since(cpu_start)},
          {"inertia", trained.result.inertia},
          {"iterations", trained.result.iterations},
          {"model_bytes", text.size()}};
}

/// The CustomerTable of x's columns x0, x1, ... in `layout` (kFloat64: borrowed from `values`,
/// x widened); `specs` receives their encoder specs (no transform, mean imputation).
inline CustomerTable logistic_table(std::vector<float> const& x, std::vector<double> const& values,
                                    std::size_t rows, std::size_t cols, ColumnLayout layout,
                                    std::vector<EncodedColumnSpec>& specs) {
  CustomerTable table;
  table.source = "X";
  table.ids.resize(rows);
  table.line_numbers.resize(rows);
  for (std::size_t i = 0; i < rows; ++i) table.line_numbers[i] = i + 1;
  for (std::size_t j = 0; j < cols; ++j) {
    TableColumn column;
    column.name = "x" + std::to_string(j);
    column.type = ColumnType::kNumeric;
    if (layout == ColumnLayout::kOwned) {
      column.numbers.assign(x.begin() + static_cast<std::ptrdiff_t>(j * rows),
                            x.begin() + static_cast<std::ptrdiff_t>((j + 1) * rows));
      column.missing.assign(rows, 0);
    } else {
      column.is_borrowed = true;
      column.borrowed = layout == ColumnLayout::kFloat64 ? RawColumn(values.data() + j * rows, rows)
                                                         : RawColumn(x.data() + j * rows, rows);
    }
    EncodedColumnSpec spec;
    spec.name = column.name;
    spec.type = ColumnType::kNumeric;
    spec.transform = ColumnTransform::parse("none", column.name);
    spec.missing = MissingPolicy::kMeanImpute;
    specs.push_back(std::move(spec));
    table.columns.push_back(std::move(column));
  }
  return table;
}

inline nlohmann::json propensity_model_fit(Context const& ctx, LogisticParams const& logistic,
                                           std::vector<float> const& x, std::vector<float> const& y,
                                           std::size_t rows, std::size_t cols,
                                           ColumnLayout layout) {
  std::vector<double> values;
  if (layout == ColumnLayout::kFloat64) values.assign(x.begin(), x.end());
  PropensityParams params;
  params.model_type = PropensityLearner::kLogistic;
  params.logistic = logistic;
  params.validation_fraction = 0.0;
  params.folds = 0;
  params.validate();
  // kOwned: the table before the timer; borrowed layouts: inside it, as the bindings do.
  auto const before = std::chrono::steady_clock::now();
  std::vector<EncodedColumnSpec> specs;
  CustomerTable table;
  if (layout == ColumnLayout::kOwned) table = logistic_table(x, values, rows, cols, layout, specs);
  std::clock_t const cpu_start = std::clock();
  auto const start = std::chrono::steady_clock::now();
  if (layout != ColumnLayout::kOwned) table = logistic_table(x, values, rows, cols, layout, specs);
  double const table_seconds =
      layout == ColumnLayout::kOwned ? seconds_since(before) : seconds_since(start);
  PropensityTraining const trained =
      train_propensity(ctx, table, y, std::move(specs), params, "y", "");
  ModelDocument document = trained.model.to_document();
  document.params = params.to_json();
  document.training_metrics = {{"training", trained.training.to_json()}};
  document.training_data = trained.training_data;
  std::string const text = model_file_text(document);
  double const seconds = seconds_since(start);
  return {{"seconds", seconds},
          {"cpu_seconds", cpu_seconds_since(cpu_start)},
          {"table_seconds", table_seconds},
          {"log_loss", trained.training.log_loss},
          {"iterations", trained.model.logistic().iterations},
          {"model_bytes", text.size()}};
}

}  // namespace cie::bench
