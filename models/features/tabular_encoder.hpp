// Turning a CustomerTable (core/customer_table.hpp) into a model's feature matrix, stored in the
// model file so scoring applies exactly what training applied.
//
// Numeric column: its ColumnTransform (models/features/feature_pipeline.hpp: floor, clip at a
// training quantile, log1p), then z-score with the training mean and population standard deviation
// (a constant column scales by 1 and becomes 0, never NaN). Missing values follow the column's
// policy: kError (an input error naming the column and the first missing row), kNative (the
// value is written as NaN, no indicator: only for learners that route missing values
// themselves, gradient-boosted trees; every other output value is finite) or kMeanImpute
// (the training mean of the transformed column is used, and an indicator feature
// "NAME__missing" (1 where missing) is added after the column when the training data had missing
// values in it, as scikit-learn's MissingIndicator(features="missing-only"); a column with none
// gets no indicator, and a value missing at scoring time is then imputed without one).
//
// Categorical column: one-hot over the training levels (most frequent first, ties by first
// appearance, at most max_levels), features "NAME=LEVEL", plus one "NAME=<other>" feature that is
// 1 for a missing value, a level not seen in training, or a level beyond max_levels. The
// features are not standardized.
//
// With level_codes, a categorical column is one feature NAME holding the level's index (a
// float; NaN for missing, unseen and dropped levels) instead of the one-hot features.
//
// Output features, in order: for each input column in spec order, its feature(s). The matrix is
// column-major float32 (feature j of row i at [j * rows + i]), as FeatureMatrix expects.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "models/features/feature_pipeline.hpp"  // ColumnTransform

namespace cie {

/// EncodedColumnFit::clip_value of a column without clip.
inline constexpr double kNoClip = std::numeric_limits<double>::infinity();

enum class MissingPolicy { kError, kMeanImpute, kNative };

/// "numeric" / "categorical" and "error" / "mean_impute" / "native", as model files spell them.
std::string_view column_type_name(ColumnType type);
std::string_view missing_policy_name(MissingPolicy policy);

struct EncodedColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  ColumnTransform transform;                           ///< numeric only
  MissingPolicy missing = MissingPolicy::kMeanImpute;  ///< numeric only
  int max_levels = 32;                                 ///< categorical only; >= 1
  /// Categorical only: one feature NAME holding the level's index among the training levels
  /// (0 = the most frequent), NaN for a missing value, an unseen level or one beyond max_levels
  /// (<= 255 levels): for learners that split categories natively (gradient-boosted trees).
  /// Otherwise one-hot.
  bool level_codes = false;
};

class TabularEncoder {
 public:
  /// Specs for every column of `table` with its detected type and default transform/policy.
  static std::vector<EncodedColumnSpec> default_specs(CustomerTable const& table);

  /// An unfitted encoder; a usage error for no columns, a repeated name or max_levels < 1.
  explicit TabularEncoder(std::vector<EncodedColumnSpec> specs);

  /// Fits levels, clip values, means and scales on the training table (>= 1 row). A spec whose
  /// column is missing from the table, or whose type differs from the table's, is a usage error
  /// naming the column. Input errors: a kError column with a missing value, a kMeanImpute column
  /// with no value at all, a log1p of a value <= -1, two features with the same name (a level
  /// "b" of column "a" and a column "a=b").
  void fit(Context const& ctx, CustomerTable const& training);

  /// The encoded matrix (rows × feature_names().size(), column-major). Requires a fitted encoder
  /// and a table that passes check_schema() (apply calls it with the source "(in memory)": call
  /// check_schema() with the model file's path first for a message that names it). Columns the
  /// model does not use are ignored. The input errors are apply_rows()'s.
  [[nodiscard]] std::vector<float> apply(Context const& ctx, CustomerTable const& table) const;

  /// Encodes rows [begin, end) of `table` into `out`, column-major with leading dimension
  /// end − begin (feature j of row begin + i at out[j * (end − begin) + i]), writing every one
  /// of its (end − begin) × feature_names().size() floats: the values apply() gives for those
  /// rows, without copying the table (batch scoring encodes each batch straight into a pinned
  /// buffer). Requires a fitted encoder, begin <= end <= table.rows() and a table that passes
  /// check_schema(). Input errors name the table's row (FILE:LINE): a missing value in a kError
  /// column, a log1p of a value <= -1, a standardized value beyond float32's range (so the output
  /// is always finite). O((end − begin) × features) plus O(levels) per categorical column.
  void apply_rows(Context const& ctx, CustomerTable const& table, std::size_t begin,
                  std::size_t end, float* out) const;

  /// Throws a usage error starting with "model file `model_source`" that names every input column
  /// the table lacks and every one whose type differs (e.g. categorical in the model, numeric in
  /// the table), and lists the table's columns the model does not use ("extra: ..."), when the
  /// table cannot be encoded. Extra columns alone are not an error.
  void check_schema(CustomerTable const& table, std::string const& model_source) const;

  [[nodiscard]] std::vector<EncodedColumnSpec> const& specs() const noexcept { return specs_; }
  [[nodiscard]] std::vector<std::string> input_columns() const;
  /// Output feature names, in matrix order (valid once fitted).
  [[nodiscard]] std::vector<std::string> const& feature_names() const noexcept { return names_; }
  [[nodiscard]] bool fitted() const noexcept { return fitted_; }
  /// The indexes of the output features that hold level codes (level_codes columns), ascending.
  [[nodiscard]] std::vector<std::int32_t> level_code_features() const;

  /// For each categorical column of `table`: the share of its present values whose level the
  /// encoder never saw in training (they encode as NAME=<other>). When it is above half, a
  /// warning on ctx's logger names the column and the counts (no values): a column coded another
  /// way at scoring time ("1"/"2" for "north"/"south") would otherwise score silently wrong.
  void warn_unseen_levels(Context const& ctx, CustomerTable const& table) const;

  /// {"columns": [{"name", "type": "numeric", "transform", "missing": "error" | "mean_impute" |
  /// "native",
  ///              "clip_value"?, "mean", "scale", "indicator"? (mean_impute: whether NAME__missing
  ///              is a feature; read as true when absent, as model files before it had)} |
  ///  {"name", "type": "categorical", "max_levels", "levels": [...], "encoding"?: "codes"}],
  ///  "features": [...]} ("encoding" written only for level_codes).
  [[nodiscard]] nlohmann::json to_json() const;
  /// Reads to_json()'s form; a usage error starting with "model file `source`" when it is not.
  static TabularEncoder from_json(nlohmann::json const& json, std::string const& source);

 private:
  struct Fitted {
    double clip_value = 0.0;
    double mean = 0.0;
    double scale = 1.0;
    std::vector<std::string> levels;
    bool indicator = false;  ///< kMeanImpute column with missing training values: NAME__missing
  };
  /// The output feature names of fitted columns; an input error when two names coincide.
  static std::vector<std::string> feature_names_of(std::vector<EncodedColumnSpec> const& specs,
                                                   std::vector<Fitted> const& fitted);

  std::vector<EncodedColumnSpec> specs_;
  std::vector<Fitted> fitted_columns_;
  std::vector<std::string> names_;
  bool fitted_ = false;
};

}  // namespace cie
