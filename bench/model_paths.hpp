// The model-level training paths the `cie` command and the Python package run, for the drivers'
// --model mode (bench/compare_python.py times cie.KMeans().fit and cie.LogisticRegression().fit
// against them, so the difference is what Python adds: input checks, conversions, copies).
//
// segments_model_fit: train_segments (as `cie segment fit` and cie.KMeans: a feature pipeline
// with no transform and no scaling, k-means, the cluster metrics with `silhouette_limit` rows,
// the cluster names) and the model file's text, on float64 columns made from x before the timer.
// propensity_model_fit: train_propensity with the logistic learner on every row (as
// `cie propensity train --validation 0` and cie.LogisticRegression: the tabular encoder with
// mean imputation, z-scoring, the regression, the training report) and the model file's text,
// on a CustomerTable of float64 columns x0, x1, ... made before the timer ("table_seconds": the
// time to make it, the copy cie.LogisticRegression makes inside its fit).
// Both return {"seconds": the timed part, ...the fit's figures}.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
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

inline nlohmann::json segments_model_fit(Context const& ctx, KMeansParams const& kmeans,
                                         std::vector<float> const& x, std::size_t rows,
                                         std::size_t cols, std::size_t silhouette_limit) {
  std::vector<double> const values(x.begin(), x.end());
  RawColumns raw;
  raw.rows = rows;
  std::vector<FeatureSpec> specs;
  for (std::size_t j = 0; j < cols; ++j) {
    std::string const name = "x" + std::to_string(j);
    specs.push_back({name, ColumnTransform::parse("none", name)});
    raw.columns.emplace_back(values.data() + j * rows, rows);
  }
  SegmentTrainingParams params;
  params.kmeans = kmeans;
  params.metrics.silhouette_exact_limit = silhouette_limit;
  params.metrics.silhouette_sample_size = silhouette_limit;
  params.metrics.seed = kmeans.seed;
  params.metrics.validate();
  auto const start = std::chrono::steady_clock::now();
  TrainedSegments trained =
      train_segments(ctx, FeaturePipeline(std::move(specs), false), params, raw);
  std::string const text = model_file_text(trained.document);
  double const seconds = seconds_since(start);
  return {{"seconds", seconds},
          {"inertia", trained.result.inertia},
          {"iterations", trained.result.iterations},
          {"model_bytes", text.size()}};
}

inline nlohmann::json propensity_model_fit(Context const& ctx, LogisticParams const& logistic,
                                           std::vector<float> const& x, std::vector<float> const& y,
                                           std::size_t rows, std::size_t cols) {
  auto const table_start = std::chrono::steady_clock::now();
  CustomerTable table;
  table.source = "X";
  table.ids.resize(rows);
  table.line_numbers.resize(rows);
  for (std::size_t i = 0; i < rows; ++i) table.line_numbers[i] = i + 1;
  std::vector<EncodedColumnSpec> specs;
  for (std::size_t j = 0; j < cols; ++j) {
    TableColumn column;
    column.name = "x" + std::to_string(j);
    column.type = ColumnType::kNumeric;
    column.numbers.assign(x.begin() + static_cast<std::ptrdiff_t>(j * rows),
                          x.begin() + static_cast<std::ptrdiff_t>((j + 1) * rows));
    column.missing.assign(rows, 0);
    EncodedColumnSpec spec;
    spec.name = column.name;
    spec.type = ColumnType::kNumeric;
    spec.transform = ColumnTransform::parse("none", column.name);
    spec.missing = MissingPolicy::kMeanImpute;
    specs.push_back(std::move(spec));
    table.columns.push_back(std::move(column));
  }
  double const table_seconds = seconds_since(table_start);
  PropensityParams params;
  params.model_type = PropensityLearner::kLogistic;
  params.logistic = logistic;
  params.validation_fraction = 0.0;
  params.folds = 0;
  params.validate();
  auto const start = std::chrono::steady_clock::now();
  PropensityTraining const trained =
      train_propensity(ctx, table, y, std::move(specs), params, "y", "");
  ModelDocument document = trained.model.to_document();
  document.params = params.to_json();
  document.training_metrics = {{"training", trained.training.to_json()}};
  document.training_data = trained.training_data;
  std::string const text = model_file_text(document);
  double const seconds = seconds_since(start);
  return {{"seconds", seconds},
          {"table_seconds", table_seconds},
          {"log_loss", trained.training.log_loss},
          {"iterations", trained.model.logistic().iterations},
          {"model_bytes", text.size()}};
}

}  // namespace cie::bench
