#include "models/features/feature_pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/error.hpp"

namespace cie {
namespace {

using nlohmann::json;

constexpr double kUnclipped = std::numeric_limits<double>::infinity();

/// A whole string as a finite double.
std::optional<double> parse_double(std::string_view text) {
  std::string const copy(text);
  char* end = nullptr;
  double const value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value)) return {};
  return value;
}

/// Linear-interpolation quantile of `values` (reordered), as numpy.quantile's default.
double quantile(std::vector<double>& values, double q) {
  double const position = q * static_cast<double>(values.size() - 1);
  auto const below = static_cast<std::size_t>(position);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(below),
                   values.end());
  double const low = values[below];
  if (below + 1 >= values.size()) return low;
  double const high =
      *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(below) + 1, values.end());
  return low + (position - static_cast<double>(below)) * (high - low);
}

/// Transforms column j of `input` into `out` (one value per row); an input error for the first
/// row where log1p is undefined.
template <typename T>
void transform_column(Context const& ctx, RawColumns const& input, std::size_t j,
                      ColumnTransform const& transform, double clip, std::string const& name,
                      T* out) {
  auto const rows = static_cast<std::ptrdiff_t>(input.rows);
  std::size_t first_bad = input.rows;
  // A float32 column's values are widened to double before the transform: its results are a
  // float64 column's with the same values.
  input.columns[j].visit([&](auto column) {
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) reduction(min : first_bad)
    for (std::ptrdiff_t i = 0; i < rows; ++i) {
      double const x =
          transform.apply(static_cast<double>(column[static_cast<std::size_t>(i)]), clip);
      if (std::isnan(x)) {
        first_bad = std::min(first_bad, static_cast<std::size_t>(i));
        continue;
      }
      out[i] = static_cast<T>(x);
    }
  });
  CIE_EXPECTS_DATA(first_bad == input.rows,
                   "column {}, {}: log1p needs values > -1 (after floor and clip); use "
                   "floor:0+log1p for a column that can be negative",
                   name, describe_row(input, first_bad));
}

}  // namespace

std::string default_rfm_transform(std::string_view column) {
  if (column == "recency_days" || column == "frequency") return "log1p";
  if (column == "monetary_total" || column == "monetary_mean") return "floor:0+log1p";
  return "none";
}

ColumnTransform ColumnTransform::parse(std::string_view spec, std::string_view column) {
  ColumnTransform transform;
  if (spec == "none") return transform;
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t end = spec.find('+', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view const step = spec.substr(start, end - start);
    std::string_view const argument = step.find(':') == std::string_view::npos
                                          ? std::string_view()
                                          : step.substr(step.find(':') + 1);
    if (step == "log1p" && !transform.log1p) {
      transform.log1p = true;
    } else if (step.starts_with("clip:") && !transform.clip_quantile) {
      std::optional<double> const q = parse_double(argument);
      CIE_EXPECTS(q && *q > 0.0 && *q <= 1.0,
                  "transform of {}: clip:Q needs a quantile 0 < Q <= 1, got '{}'", column,
                  argument);
      transform.clip_quantile = q;
    } else if (step.starts_with("floor:") && !transform.floor) {
      std::optional<double> const value = parse_double(argument);
      CIE_EXPECTS(value.has_value(), "transform of {}: floor:V needs a number, got '{}'", column,
                  argument);
      transform.floor = value;
    } else {
      fail(ExitCode::kUsage,
           "transform of {}: '{}' is not a step (or is repeated) in '{}'; expected none, or "
           "floor:V, clip:Q and log1p joined by '+'",
           column, step, spec);
    }
    start = end + 1;
  }
  return transform;
}

std::string ColumnTransform::to_string() const {
  std::string spec;
  auto const append = [&](std::string const& step) { spec += (spec.empty() ? "" : "+") + step; };
  if (floor) append(fmt::format("floor:{}", *floor));
  if (clip_quantile) append(fmt::format("clip:{}", *clip_quantile));
  if (log1p) append("log1p");
  return spec.empty() ? "none" : spec;
}

double ColumnTransform::fit_clip_value(std::vector<double>& values) const {
  if (!clip_quantile) return kUnclipped;
  if (floor) {
    for (double& x : values) x = std::max(x, *floor);
  }
  return quantile(values, *clip_quantile);
}

double ColumnTransform::apply(double x, double clip_value) const noexcept {
  if (floor && x < *floor) x = *floor;
  x = std::min(x, clip_value);
  if (!log1p) return x;
  return x > -1.0 ? std::log1p(x) : std::numeric_limits<double>::quiet_NaN();
}

Standardization fit_standardization(std::span<double const> values) {
  // A constant column (every value equal, exactly): scale 1, as StandardScaler, and its own value
  // as the mean, so it standardizes to exactly 0 (summing n equal values may not give n x).
  double const first = values.front();
  if (std::all_of(values.begin(), values.end(), [&](double x) { return x == first; })) {
    return {first, 1.0};
  }
  // Sums over values near the double limit overflow: work on values scaled by a power of two
  // that brings the largest magnitude into [0.5, 1). Power-of-two scaling is exact, so for
  // ordinary data the result has the same bits as the unscaled two-pass computation.
  double largest = 0.0;
  for (double const x : values) largest = std::max(largest, std::abs(x));
  int exponent = 0;
  (void)std::frexp(largest, &exponent);
  double sum = 0.0;
  for (double const x : values) sum += std::ldexp(x, -exponent);
  double const mean = sum / static_cast<double>(values.size());
  double squares = 0.0;
  for (double const x : values) {
    double const deviation = std::ldexp(x, -exponent) - mean;
    squares += deviation * deviation;
  }
  double const deviation = std::sqrt(squares / static_cast<double>(values.size()));
  return {std::ldexp(mean, exponent), deviation > 0.0 ? std::ldexp(deviation, exponent) : 1.0};
}

FeaturePipeline::FeaturePipeline(std::vector<FeatureSpec> features, bool standardize)
    : features_(std::move(features)), standardize_(standardize) {
  CIE_EXPECTS(!features_.empty(), "a feature pipeline needs at least one column");
  for (std::size_t j = 0; j < features_.size(); ++j) {
    CIE_EXPECTS(!features_[j].column.empty(), "feature {} has an empty column name", j + 1);
    for (std::size_t other = 0; other < j; ++other) {
      CIE_EXPECTS(features_[other].column != features_[j].column,
                  "feature column {} is listed twice", features_[j].column);
    }
  }
}

std::vector<std::string> FeaturePipeline::column_names() const {
  std::vector<std::string> names;
  for (FeatureSpec const& feature : features_) names.push_back(feature.column);
  return names;
}

void FeaturePipeline::fit(Context const& ctx, RawColumns const& training) {
  CIE_EXPECTS(training.columns.size() == features_.size(),
              "the pipeline has {} features but {} columns were given", features_.size(),
              training.columns.size());
  CIE_EXPECTS_DATA(training.rows > 0, "no rows to fit the feature pipeline on");
  std::vector<std::string> const names = column_names();
  check_finite_columns(training, names);
  std::size_t const d = features_.size();
  clip_value_.assign(d, kUnclipped);
  mean_.assign(d, 0.0);
  scale_.assign(d, 1.0);
  std::vector<double> values(training.rows);
  for (std::size_t j = 0; j < d; ++j) {
    ColumnTransform const& transform = features_[j].transform;
    if (transform.clip_quantile) {
      training.columns[j].visit([&](auto column) { values.assign(column.begin(), column.end()); });
      clip_value_[j] = transform.fit_clip_value(values);
    }
    if (!standardize_) continue;
    transform_column(ctx, training, j, transform, clip_value_[j], names[j], values.data());
    Standardization const fitted = fit_standardization(values);
    mean_[j] = fitted.mean;
    scale_[j] = fitted.scale;
  }
  fitted_ = true;
}

std::vector<float> FeaturePipeline::apply(Context const& ctx, RawColumns const& input) const {
  CIE_ASSERT(fitted_);
  CIE_EXPECTS(input.columns.size() == features_.size(),
              "the pipeline has {} features but {} columns were given", features_.size(),
              input.columns.size());
  std::vector<std::string> const names = column_names();
  check_finite_columns(input, names);
  std::size_t const rows = input.rows;
  std::vector<double> values(rows);
  std::vector<float> out(rows * features_.size());
  for (std::size_t j = 0; j < features_.size(); ++j) {
    transform_column(ctx, input, j, features_[j].transform, clip_value_[j], names[j],
                     values.data());
    double const mean = mean_[j];
    double const inverse_scale = 1.0 / scale_[j];
    float* const column = out.data() + j * rows;
    auto const count = static_cast<std::ptrdiff_t>(rows);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
    for (std::ptrdiff_t i = 0; i < count; ++i) {
      column[i] = static_cast<float>((values[static_cast<std::size_t>(i)] - mean) * inverse_scale);
    }
  }
  return out;
}

json FeaturePipeline::to_json() const {
  CIE_ASSERT(fitted_);
  json columns = json::array();
  for (std::size_t j = 0; j < features_.size(); ++j) {
    json column = {{"name", features_[j].column},
                   {"transform", features_[j].transform.to_string()},
                   {"mean", mean_[j]},
                   {"scale", scale_[j]}};
    if (features_[j].transform.clip_quantile) column["clip_value"] = clip_value_[j];
    columns.push_back(std::move(column));
  }
  return {{"standardize", standardize_}, {"columns", std::move(columns)}};
}

FeaturePipeline FeaturePipeline::from_json(json const& json, std::string const& source) {
  auto const damaged = [&](std::string const& why) {
    fail(ExitCode::kUsage, "model file {} has a damaged feature schema: {}", source, why);
  };
  if (!json.is_object() || !json.contains("standardize") || !json["standardize"].is_boolean() ||
      !json.contains("columns") || !json["columns"].is_array() || json["columns"].empty()) {
    damaged("expected {\"standardize\": bool, \"columns\": [...]} with at least one column");
  }
  std::vector<FeatureSpec> features;
  std::vector<double> clip_values;
  std::vector<double> means;
  std::vector<double> scales;
  auto const number = [&](nlohmann::json const& column, char const* key) {
    if (!column.contains(key) || !column[key].is_number())
      damaged(fmt::format("no number '{}'", key));
    double const value = column[key].get<double>();
    if (!std::isfinite(value)) damaged(fmt::format("'{}' is not finite", key));
    return value;
  };
  for (nlohmann::json const& column : json["columns"]) {
    if (!column.is_object() || !column.contains("name") || !column["name"].is_string() ||
        !column.contains("transform") || !column["transform"].is_string()) {
      damaged("a column lacks a string 'name' or 'transform'");
    }
    std::string const name = column["name"].get<std::string>();
    features.push_back(
        {name, ColumnTransform::parse(column["transform"].get<std::string>(), name)});
    clip_values.push_back(features.back().transform.clip_quantile ? number(column, "clip_value")
                                                                  : kUnclipped);
    means.push_back(number(column, "mean"));
    scales.push_back(number(column, "scale"));
    if (scales.back() <= 0.0) damaged(fmt::format("the scale of {} is not positive", name));
  }
  FeaturePipeline pipeline(std::move(features), json["standardize"].get<bool>());
  pipeline.clip_value_ = std::move(clip_values);
  pipeline.mean_ = std::move(means);
  pipeline.scale_ = std::move(scales);
  pipeline.fitted_ = true;
  return pipeline;
}

}  // namespace cie
