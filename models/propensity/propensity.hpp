// A response-propensity model: the tabular encoder (models/features/tabular_encoder.hpp), a learner
// (a logistic regression, models/propensity/logistic.hpp, or gradient-boosted trees,
// models/gbdt/gbdt.hpp) and an optional calibrator (models/metrics/classification_metrics.hpp),
// trained and evaluated as one unit and stored as one model file (kind "propensity"; the learner
// is fitted.logistic or fitted.gbdt, so every reader of propensity model files takes both).
//
// Boosted trees see the encoded matrix too (the z-score changes no split); their numeric columns
// may use the encoder's native missing policy (NaN in, the trees' learned default direction),
// which the logistic model refuses (usage error). Early
// stopping (gbdt.early_stopping_rounds > 0) holds out early_stopping_fraction of each fit's
// training rows (stratified, seeded) to pick the number of trees, so the validation or fold rows
// that the report evaluates are never used to choose it.
//
// Training with a hold-out split (validation_fraction > 0): the rows are split stratified by the
// label (models/metrics/data_split.hpp, seeded); the encoder and the regression are fitted on the
// training part only, and the model is exactly what the validation report evaluates. The
// calibrator, when asked for, is fitted on the validation predictions (so the validation report
// shows the uncalibrated model) and checked cross-fitted over stratified folds of the validation
// rows (models/propensity/calibration_check.hpp: the calibrated report counts each row calibrated
// by a calibrator that never saw it). With folds >= 2: each fold is held out in turn (encoder and
// regression refitted on the other folds), the report gives each fold's metrics and the
// out-of-fold metrics, the calibrator is fitted on the out-of-fold predictions and checked
// cross-fitted over the same folds, and the stored model is refitted on all rows.
// validation_fraction 0 and folds 0: fitted on all rows, training metrics only.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "kernels/score_pipeline.hpp"
#include "models/features/tabular_encoder.hpp"
#include "models/gbdt/gbdt.hpp"
#include "models/metrics/classification_metrics.hpp"
#include "models/model_document.hpp"
#include "models/propensity/calibration_check.hpp"
#include "models/propensity/logistic.hpp"

namespace cie {

enum class PropensityLearner { kLogistic, kGbdt };

/// "logistic" | "gbdt"; a usage error naming the allowed values otherwise.
PropensityLearner parse_propensity_learner(std::string_view text);

struct PropensityParams {
  PropensityLearner model_type = PropensityLearner::kLogistic;
  LogisticParams logistic;
  GbdtParams gbdt;
  /// gbdt with early_stopping_rounds > 0: share of each fit's training rows held out to choose
  /// the number of trees, in (0, 0.5].
  double early_stopping_fraction = 0.1;
  /// Share of rows held out for validation, in [0, 1); 0 with folds 0 trains on all rows.
  double validation_fraction = 0.2;
  /// k-fold cross-validation when >= 2 (then validation_fraction must be 0); 0 for none.
  int folds = 0;
  /// Recalibration fitted on held-out predictions; needs a hold-out split or folds.
  Calibrator::Kind calibration = Calibrator::Kind::kNone;
  /// Threshold for the reported accuracy, in (0, 1).
  double threshold = 0.5;
  /// Groups of the lift table, in [2, 100].
  int bins = 10;
  /// Seed of the split.
  std::uint64_t seed = 42;

  /// Throws a usage error naming the field and its allowed range.
  void validate() const;
  [[nodiscard]] nlohmann::json to_json() const;

 private:
  [[nodiscard]] nlohmann::json to_json_common() const;
};

/// The strongest reasons behind each row's score (PropensityModel::explain).
struct PropensityReasons {
  std::size_t k = 0;                  ///< reasons per row
  std::vector<std::int32_t> feature;  ///< rows × k, row-major: an encoder feature index, or −1
  std::vector<double> contribution;   ///< rows × k: log-odds; 0 where feature is −1
  double expected_margin = 0.0;       ///< margin = expected_margin + Σ every contribution
};

class PropensityModel {
 public:
  using Learner = std::variant<LogisticModel, GbdtModel>;

  PropensityModel(TabularEncoder encoder, Learner learner, Calibrator calibrator,
                  std::string target, std::string positive);

  /// Calibrated probabilities for rows [first_row, table.rows()) of `table` (which must pass the
  /// encoder's schema check, else a usage error naming `model_source`) into the same slots of
  /// `probability` (table.rows() slots; the others are left alone), through the batch scoring
  /// pipeline (kernels/score_pipeline.hpp) on ctx's device: each batch of `batch_rows` (>= 1) rows
  /// is encoded straight from the table into the pipeline's buffer (TabularEncoder::apply_rows),
  /// scored and calibrated, then `on_batch_done(begin, end)` (table rows, in order; may be
  /// empty) reports it final. Errors: the encoder's input errors (naming FILE:LINE), and device
  /// errors (ExitCode::kDevice) from the GPU, after which rows up to the last reported batch are
  /// final and a caller may resume from there with first_row.
  void score(Context const& ctx, CustomerTable const& table, std::string const& model_source,
             std::size_t batch_rows, std::span<double> probability,
             BatchDone const& on_batch_done = {}, std::size_t first_row = 0) const;

  /// score() of every row, into a new vector.
  [[nodiscard]] std::vector<double> predict(Context const& ctx, CustomerTable const& table,
                                            std::string const& model_source,
                                            std::size_t batch_rows = std::size_t{1} << 20) const;

  /// Contributions of every encoded feature to the uncalibrated margin (log-odds) of x's rows
  /// (x.cols = encoder().feature_names().size()): exact TreeSHAP for gbdt
  /// (GbdtModel::contributions), β_j·(x_j − mean_j) for logistic (logistic_contributions); out
  /// holds x.rows × (cols + 1) values, row-major, each row's features then the expected margin,
  /// and a row's values sum to its margin.
  void contributions(Context const& ctx, FeatureMatrix x, std::span<double> out) const;

  /// For every row of `table` (schema checked as score()): the k >= 1 encoded features with the
  /// largest |contribution| to its uncalibrated margin, in decreasing |contribution| (ties: the
  /// earlier feature); a feature contributing exactly 0 is never a reason (feature −1 fills the
  /// rest). Rows are encoded `batch_rows` (>= 1) at a time; the same result for any batch size
  /// and thread count.
  [[nodiscard]] PropensityReasons explain(Context const& ctx, CustomerTable const& table,
                                          std::string const& model_source, std::size_t batch_rows,
                                          std::size_t k) const;

  [[nodiscard]] TabularEncoder const& encoder() const noexcept { return encoder_; }
  [[nodiscard]] bool is_gbdt() const noexcept {
    return std::holds_alternative<GbdtModel>(learner_);
  }
  /// The learner; logistic() requires !is_gbdt(), gbdt() requires is_gbdt().
  [[nodiscard]] LogisticModel const& logistic() const { return std::get<LogisticModel>(learner_); }
  [[nodiscard]] GbdtModel const& gbdt() const { return std::get<GbdtModel>(learner_); }
  [[nodiscard]] Calibrator const& calibrator() const noexcept { return calibrator_; }
  [[nodiscard]] std::string const& target() const noexcept { return target_; }
  [[nodiscard]] std::string const& positive() const noexcept { return positive_; }

  /// The model file sections (kind "propensity"): features = encoder, fitted = {logistic or
  /// gbdt, calibrator, target, positive}. The caller adds params, metrics and the fingerprint.
  [[nodiscard]] ModelDocument to_document() const;
  static PropensityModel from_document(ModelDocument const& document, std::string const& source);

 private:
  TabularEncoder encoder_;
  Learner learner_;
  Calibrator calibrator_;
  std::string target_;
  std::string positive_;
};

struct PropensityTraining {
  PropensityModel model;
  std::size_t training_rows = 0;
  std::size_t validation_rows = 0;
  ClassificationReport training;                   ///< the stored model on its training rows
  std::optional<ClassificationReport> validation;  ///< hold-out, or out-of-fold with folds
  std::vector<ClassificationReport> folds;         ///< one per fold (folds >= 2)
  /// With calibration: the calibrated held-out predictions, cross-fitted.
  std::optional<CalibrationCheck> calibration;
  DataFingerprint training_data;  ///< of the encoded training matrix
};

/// Trains on `table` with `label` (one 0/1 per row), encoding the columns of `specs`.
/// `sample_weight` is empty (all 1) or one finite weight >= 0 per row; it weights the learner
/// (models/propensity/logistic.hpp, models/gbdt/gbdt.hpp), not the reported metrics, which count
/// customers.
PropensityTraining train_propensity(Context const& ctx, CustomerTable const& table,
                                    std::span<float const> label,
                                    std::vector<EncodedColumnSpec> specs,
                                    PropensityParams const& params, std::string target,
                                    std::string positive,
                                    std::span<float const> sample_weight = {});

}  // namespace cie
