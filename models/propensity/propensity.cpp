#include "models/propensity/propensity.hpp"

#include <utility>

#include "core/error.hpp"
#include "models/metrics/data_split.hpp"

namespace cie {
namespace {

constexpr char kModelKind[] = "propensity";

/// An encoder and a regression fitted on one set of rows.
struct Fit {
  TabularEncoder encoder;
  LogisticModel logistic;
  DataFingerprint fingerprint;
};

Fit fit_rows(Context const& ctx, CustomerTable const& rows, std::span<float const> label,
             std::span<float const> weight, std::vector<EncodedColumnSpec> const& specs,
             LogisticParams const& params) {
  TabularEncoder encoder(specs);
  encoder.fit(ctx, rows);
  std::vector<float> const x = encoder.apply(ctx, rows);
  FeatureMatrix const matrix{x.data(), rows.rows(), encoder.feature_names().size()};
  LogisticModel logistic = logistic_fit(ctx, params, matrix, label, weight);
  return {std::move(encoder), std::move(logistic), fingerprint_matrix(x, rows.rows())};
}

std::vector<double> predict_rows(Context const& ctx, TabularEncoder const& encoder,
                                 LogisticModel const& logistic, CustomerTable const& rows) {
  std::vector<float> const x = encoder.apply(ctx, rows);
  std::vector<double> probability(rows.rows());
  logistic_predict_proba(ctx, logistic,
                         {x.data(), rows.rows(), encoder.feature_names().size()}, probability);
  return probability;
}

std::vector<float> pick(std::span<float const> values, std::span<std::size_t const> rows) {
  std::vector<float> picked;
  picked.reserve(rows.size());
  for (std::size_t const row : rows) picked.push_back(values[row]);
  return picked;
}

}  // namespace

void PropensityParams::validate() const {
  CIE_EXPECTS(validation_fraction >= 0.0 && validation_fraction < 1.0,
              "validation_fraction must be in [0, 1), got {}", validation_fraction);
  CIE_EXPECTS(folds == 0 || (folds >= 2 && folds <= 100),
              "folds must be 0 (no cross-validation) or in [2, 100], got {}", folds);
  CIE_EXPECTS(folds == 0 || validation_fraction == 0.0,
              "folds and validation_fraction exclude each other: set validation_fraction to 0 to "
              "cross-validate (got folds {}, validation_fraction {})",
              folds, validation_fraction);
  CIE_EXPECTS(calibration == Calibrator::Kind::kNone || folds >= 2 || validation_fraction > 0.0,
              "calibration needs held-out predictions: a validation_fraction > 0 or folds >= 2");
  CIE_EXPECTS(threshold > 0.0 && threshold < 1.0, "threshold must be in (0, 1), got {}",
              threshold);
  CIE_EXPECTS(bins >= 2 && bins <= 100, "bins must be in [2, 100], got {}", bins);
}

nlohmann::json PropensityParams::to_json() const {
  return {{"logistic",
           {{"penalty", to_string(logistic.penalty)},
            {"C", logistic.C},
            {"l1_ratio", logistic.l1_ratio},
            {"fit_intercept", logistic.fit_intercept},
            {"class_weight",
             logistic.class_weight.kind == ClassWeight::Kind::kNone       ? "none"
             : logistic.class_weight.kind == ClassWeight::Kind::kBalanced ? "balanced"
                                                                          : "given"},
            {"class_weight_negative", logistic.class_weight.negative},
            {"class_weight_positive", logistic.class_weight.positive},
            {"solver", to_string(logistic.solver)},
            {"max_iter", logistic.max_iter},
            {"tol", logistic.tol},
            {"memory", logistic.memory}}},
          {"validation_fraction", validation_fraction},
          {"folds", folds},
          {"calibration", calibration == Calibrator::Kind::kNone    ? "none"
                          : calibration == Calibrator::Kind::kPlatt ? "platt"
                                                                    : "isotonic"},
          {"threshold", threshold},
          {"bins", bins},
          {"seed", seed}};
}

PropensityModel::PropensityModel(TabularEncoder encoder, LogisticModel logistic,
                                 Calibrator calibrator, std::string target, std::string positive)
    : encoder_(std::move(encoder)),
      logistic_(std::move(logistic)),
      calibrator_(std::move(calibrator)),
      target_(std::move(target)),
      positive_(std::move(positive)) {
  CIE_ASSERT(encoder_.fitted() && logistic_.coef.size() == encoder_.feature_names().size());
}

void PropensityModel::score(Context const& ctx, CustomerTable const& table,
                            std::string const& model_source, std::size_t batch_rows,
                            std::span<double> probability, BatchDone const& on_batch_done,
                            std::size_t first_row) const {
  CIE_ASSERT(batch_rows > 0 && probability.size() == table.rows() && first_row <= table.rows());
  encoder_.check_schema(table, model_source);
  if (first_row == 0) encoder_.warn_unseen_levels(ctx, table);
  std::span<double> const out = probability.subspan(first_row);
  score_logistic_batches(
      ctx, out.size(), batch_rows, encoder_.feature_names().size(),
      [&](std::size_t begin, std::size_t end, float* x) {
        encoder_.apply_rows(ctx, table, first_row + begin, first_row + end, x);
      },
      logistic_.coef, logistic_.intercept, out,
      [&](std::size_t begin, std::size_t end) {
        calibrator_.apply(out.subspan(begin, end - begin));
        if (on_batch_done) on_batch_done(first_row + begin, first_row + end);
      });
}

std::vector<double> PropensityModel::predict(Context const& ctx, CustomerTable const& table,
                                             std::string const& model_source,
                                             std::size_t batch_rows) const {
  std::vector<double> probability(table.rows());
  score(ctx, table, model_source, batch_rows, probability);
  return probability;
}

ModelDocument PropensityModel::to_document() const {
  ModelDocument document;
  document.kind = kModelKind;
  document.features = encoder_.to_json();
  document.fitted = {{"logistic", logistic_.to_json()},
                     {"calibrator", calibrator_.to_json()},
                     {"target", target_},
                     {"positive", positive_}};
  return document;
}

PropensityModel PropensityModel::from_document(ModelDocument const& document,
                                               std::string const& source) {
  CIE_EXPECTS(document.kind == kModelKind, "model file {} holds a {} model, not a {} model",
              source, document.kind, kModelKind);
  nlohmann::json const& fitted = document.fitted;
  for (char const* key : {"logistic", "calibrator", "target", "positive"}) {
    CIE_EXPECTS(fitted.contains(key), "model file {} is damaged: fitted.{} is missing", source,
                key);
  }
  CIE_EXPECTS(fitted["target"].is_string() && fitted["positive"].is_string(),
              "model file {} is damaged: fitted.target and fitted.positive must be strings",
              source);
  TabularEncoder encoder = TabularEncoder::from_json(document.features, source);
  LogisticModel logistic = LogisticModel::from_json(fitted["logistic"], source);
  CIE_EXPECTS(logistic.coef.size() == encoder.feature_names().size(),
              "model file {} is damaged: {} coefficients for {} features", source,
              logistic.coef.size(), encoder.feature_names().size());
  return {std::move(encoder), std::move(logistic),
          Calibrator::from_json(fitted["calibrator"], source),
          fitted["target"].get<std::string>(), fitted["positive"].get<std::string>()};
}

PropensityTraining train_propensity(Context const& ctx, CustomerTable const& table,
                                    std::span<float const> label,
                                    std::vector<EncodedColumnSpec> specs,
                                    PropensityParams const& params, std::string target,
                                    std::string positive, std::span<float const> sample_weight) {
  params.validate();
  CIE_EXPECTS(sample_weight.empty() || sample_weight.size() == table.rows(),
              "{} sample weights for {} rows", sample_weight.size(), table.rows());
  auto const weights_of = [&](std::span<std::size_t const> rows) {
    return sample_weight.empty() ? std::vector<float>() : pick(sample_weight, rows);
  };
  CIE_EXPECTS(label.size() == table.rows(), "{} labels for {} rows", label.size(), table.rows());
  CIE_EXPECTS_DATA(table.rows() >= 2, "{}: at least 2 rows are needed to train, got {}",
                   table.source, table.rows());
  auto const evaluate = [&](std::span<double const> score, std::span<float const> y) {
    return evaluate_classifier(score, y, params.threshold, params.bins);
  };

  std::optional<ClassificationReport> validation;
  std::optional<ClassificationReport> calibrated;
  std::vector<ClassificationReport> fold_reports;
  std::vector<double> held_out_score;  // predictions on held-out rows, for calibration
  std::vector<float> held_out_label;
  std::size_t validation_rows = 0;
  std::optional<Fit> fit;
  std::optional<ClassificationReport> training;

  if (params.validation_fraction > 0.0) {
    std::vector<std::uint8_t> const is_validation =
        stratified_split(label, params.validation_fraction, params.seed);
    std::vector<std::size_t> train_rows, valid_rows;
    for (std::size_t row = 0; row < table.rows(); ++row) {
      (is_validation[row] != 0 ? valid_rows : train_rows).push_back(row);
    }
    CustomerTable const train_table = select_rows(table, train_rows);
    std::vector<float> const train_label = pick(label, train_rows);
    fit = fit_rows(ctx, train_table, train_label, weights_of(train_rows), specs, params.logistic);
    training = evaluate(predict_rows(ctx, fit->encoder, fit->logistic, train_table), train_label);
    held_out_label = pick(label, valid_rows);
    held_out_score =
        predict_rows(ctx, fit->encoder, fit->logistic, select_rows(table, valid_rows));
    validation = evaluate(held_out_score, held_out_label);
    validation_rows = valid_rows.size();
  } else {
    if (params.folds >= 2) {
      std::vector<std::int32_t> const fold = stratified_folds(label, params.folds, params.seed);
      held_out_score.assign(table.rows(), 0.0);
      held_out_label.assign(label.begin(), label.end());
      for (int f = 0; f < params.folds; ++f) {
        std::vector<std::size_t> train_rows, test_rows;
        for (std::size_t row = 0; row < table.rows(); ++row) {
          (fold[row] == f ? test_rows : train_rows).push_back(row);
        }
        Fit const fold_fit = fit_rows(ctx, select_rows(table, train_rows), pick(label, train_rows),
                                      weights_of(train_rows), specs, params.logistic);
        std::vector<double> const score =
            predict_rows(ctx, fold_fit.encoder, fold_fit.logistic, select_rows(table, test_rows));
        for (std::size_t i = 0; i < test_rows.size(); ++i) held_out_score[test_rows[i]] = score[i];
        fold_reports.push_back(evaluate(score, pick(label, test_rows)));
      }
      validation = evaluate(held_out_score, held_out_label);
      validation_rows = table.rows();
    }
    fit = fit_rows(ctx, table, label, sample_weight, specs, params.logistic);
    training = evaluate(predict_rows(ctx, fit->encoder, fit->logistic, table), label);
  }

  Calibrator calibrator;
  if (params.calibration != Calibrator::Kind::kNone) {
    calibrator = Calibrator::fit(params.calibration, held_out_score, held_out_label);
    calibrator.apply(held_out_score);
    calibrated = evaluate(held_out_score, held_out_label);
  }
  std::size_t const training_rows = fit->fingerprint.rows;
  DataFingerprint const fingerprint = fit->fingerprint;
  return {PropensityModel(std::move(fit->encoder), std::move(fit->logistic), std::move(calibrator),
                          std::move(target), std::move(positive)),
          training_rows,
          validation_rows,
          std::move(*training),
          std::move(validation),
          std::move(fold_reports),
          std::move(calibrated),
          fingerprint};
}

}  // namespace cie
