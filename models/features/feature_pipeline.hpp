// Feature preparation for models that work in a scaled space (k-means first): which columns, a
// transform per column, and z-score standardization fitted on the training data. It is stored in
// the model file (the "features" section), so scoring applies exactly what training applied.
//
// Per column, in this fixed order whatever order the spec names them in:
//   floor:V   values below V become V (original units). Net monetary values can be negative
//             (returns); "floor:0+log1p" treats a net refund as no spend rather than failing.
//   clip:Q    values above the training data's Q-quantile (0 < Q <= 1, linear interpolation
//             between order statistics as numpy's default) become that quantile; the quantile is
//             fitted once and stored, so scoring clips at the training value.
//   log1p     log(1 + x). A value <= -1 (after floor and clip) is an input error: log1p is -Inf
//             or NaN there.
// A spec is "none" or steps joined by '+': "log1p", "clip:0.99", "floor:0+log1p".
//
// Standardization: z = (t - mean) / scale with mean and population standard deviation (ddof 0,
// as scikit-learn's StandardScaler) of the transformed training column, computed in double. A
// constant column has scale 1, so it standardizes to 0, never NaN.
//
// NaN or Inf in an input column is an input error (exit code 3) naming the column and the first
// bad row; so is a log1p of a value <= -1.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"

namespace cie {

/// The transform of one column; see the file comment for the order and meaning of the steps.
struct ColumnTransform {
  std::optional<double> floor;          ///< lower bound in original units
  std::optional<double> clip_quantile;  ///< upper clip at this training quantile, (0, 1]
  bool log1p = false;

  /// Parses "none" or steps joined by '+'; a usage error (exit 2) naming `column` otherwise.
  static ColumnTransform parse(std::string_view spec, std::string_view column);
  /// The spec string, as parse() reads it ("none" for no step).
  [[nodiscard]] std::string to_string() const;

  /// The clip bound fitted on training values in original units: the clip_quantile quantile of
  /// the floored values (linear interpolation, as numpy.quantile's default), +Inf without clip.
  /// `values` (finite, at least one) is overwritten.
  [[nodiscard]] double fit_clip_value(std::vector<double>& values) const;
  /// Floor, clip at `clip_value` (from fit_clip_value()), then log1p: the transformed value of a
  /// finite x, or NaN where log1p is undefined (a value <= -1 after floor and clip).
  [[nodiscard]] double apply(double x, double clip_value) const noexcept;
};

/// The z-score parameters of one transformed training column: mean and population standard
/// deviation (ddof 0), in double, two passes in order (deterministic, accurate for a large
/// mean); scale 1 for a constant column, so it standardizes to 0 rather than NaN.
struct Standardization {
  double mean = 0.0;
  double scale = 1.0;
};
/// Requires at least one value.
Standardization fit_standardization(std::span<double const> values);

/// The transform spec the RFM columns get when none is named: "log1p" for recency_days and
/// frequency, "floor:0+log1p" for monetary_total and monetary_mean (net returns can make them
/// negative), "none" for any other column.
std::string default_rfm_transform(std::string_view column);

/// One input column and what to do with it.
struct FeatureSpec {
  std::string column;
  ColumnTransform transform;
};

class FeaturePipeline {
 public:
  /// An unfitted pipeline. A usage error for no features, a repeated column or a bad transform.
  explicit FeaturePipeline(std::vector<FeatureSpec> features, bool standardize = true);

  /// Fits clip quantiles and the scaler on the training columns (at least one row).
  void fit(Context const& ctx, RawColumns const& training);
  /// The prepared matrix, column-major float32: feature j of row i at [j * rows + i]. Requires a
  /// fitted pipeline.
  [[nodiscard]] std::vector<float> apply(Context const& ctx, RawColumns const& input) const;

  [[nodiscard]] std::vector<FeatureSpec> const& features() const noexcept { return features_; }
  [[nodiscard]] std::vector<std::string> column_names() const;
  [[nodiscard]] std::size_t size() const noexcept { return features_.size(); }
  [[nodiscard]] bool fitted() const noexcept { return fitted_; }
  [[nodiscard]] bool standardizes() const noexcept { return standardize_; }
  /// Fitted values per feature: the clip bound (original units, +Inf without clip), the scaler's
  /// mean and scale (0 and 1 without standardization).
  [[nodiscard]] std::vector<double> const& clip_values() const noexcept { return clip_value_; }
  [[nodiscard]] std::vector<double> const& means() const noexcept { return mean_; }
  [[nodiscard]] std::vector<double> const& scales() const noexcept { return scale_; }

  /// {"standardize": bool, "columns": [{"name", "transform", "clip_value"?, "mean", "scale"}]}.
  /// Requires a fitted pipeline.
  [[nodiscard]] nlohmann::json to_json() const;
  /// Reads to_json()'s form; a usage error starting with "model file `source`" when it is not.
  static FeaturePipeline from_json(nlohmann::json const& json, std::string const& source);

 private:
  std::vector<FeatureSpec> features_;
  bool standardize_ = true;
  bool fitted_ = false;
  std::vector<double> clip_value_;
  std::vector<double> mean_;
  std::vector<double> scale_;
};

}  // namespace cie
