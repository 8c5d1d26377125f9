#include "models/propensity/propensity.hpp"

#include <algorithm>
#include <utility>

#include "core/error.hpp"
#include "models/metrics/data_split.hpp"
#include "models/propensity/calibration_check.hpp"

namespace cie {
namespace {

constexpr char kModelKind[] = "propensity";

/// An encoder and a learner fitted on one set of rows.
struct Fit {
  TabularEncoder encoder;
  PropensityModel::Learner learner;
  DataFingerprint fingerprint;
};

std::vector<float> pick(std::span<float const> values, std::span<std::size_t const> rows) {
  std::vector<float> picked;
  picked.reserve(rows.size());
  for (std::size_t const row : rows) picked.push_back(values[row]);
  return picked;
}

/// Rows `rows` of a column-major matrix of `cols` columns.
std::vector<float> pick_rows(std::vector<float> const& x, std::size_t row_count, std::size_t cols,
                             std::span<std::size_t const> rows) {
  std::vector<float> out(rows.size() * cols);
  for (std::size_t j = 0; j < cols; ++j) {
    for (std::size_t i = 0; i < rows.size(); ++i)
      out[j * rows.size() + i] = x[j * row_count + rows[i]];
  }
  return out;
}

/// Boosted trees on the encoded matrix; with early stopping, a stratified share of the rows is
/// held out to choose the number of trees (the model keeps the best iteration's trees).
GbdtModel fit_gbdt(Context const& ctx, PropensityParams const& params, std::vector<float> const& x,
                   std::size_t rows, std::size_t cols, std::span<float const> label,
                   std::span<float const> weight) {
  if (params.gbdt.early_stopping_rounds == 0) {
    return gbdt_fit(ctx, params.gbdt, {x.data(), rows, cols}, label, weight);
  }
  std::vector<std::uint8_t> const is_stop =
      stratified_split(label, params.early_stopping_fraction, params.seed ^ 0x5709ULL);
  std::vector<std::size_t> fit_rows, stop_rows;
  for (std::size_t row = 0; row < rows; ++row)
    (is_stop[row] != 0 ? stop_rows : fit_rows).push_back(row);
  CIE_EXPECTS_DATA(!fit_rows.empty() && !stop_rows.empty(),
                   "early stopping needs rows to fit on and rows to stop on; {} rows are too few",
                   rows);
  std::vector<float> const fit_x = pick_rows(x, rows, cols, fit_rows);
  std::vector<float> const stop_x = pick_rows(x, rows, cols, stop_rows);
  std::vector<float> const fit_label = pick(label, fit_rows), stop_label = pick(label, stop_rows);
  std::vector<float> const fit_weight =
      weight.empty() ? std::vector<float>() : pick(weight, fit_rows);
  std::vector<float> const stop_weight =
      weight.empty() ? std::vector<float>() : pick(weight, stop_rows);
  GbdtValidation const stop{{stop_x.data(), stop_rows.size(), cols}, stop_label, stop_weight};
  return gbdt_fit(ctx, params.gbdt, {fit_x.data(), fit_rows.size(), cols}, fit_label, fit_weight,
                  &stop);
}

Fit fit_rows(Context const& ctx, CustomerTable const& rows, std::span<float const> label,
             std::span<float const> weight, std::vector<EncodedColumnSpec> const& specs,
             PropensityParams const& params) {
  TabularEncoder encoder(specs);
  encoder.fit(ctx, rows);
  std::vector<float> const x = encoder.apply(ctx, rows);
  std::size_t const cols = encoder.feature_names().size();
  DataFingerprint fingerprint = fingerprint_matrix(x, rows.rows());
  if (params.model_type == PropensityLearner::kGbdt) {
    PropensityParams native = params;
    native.gbdt.categorical_features = encoder.level_code_features();
    GbdtModel gbdt = fit_gbdt(ctx, native, x, rows.rows(), cols, label, weight);
    return {std::move(encoder), std::move(gbdt), fingerprint};
  }
  FeatureMatrix const matrix{x.data(), rows.rows(), cols};
  LogisticModel logistic = logistic_fit(ctx, params.logistic, matrix, label, weight);
  return {std::move(encoder), std::move(logistic), fingerprint};
}

std::vector<double> predict_rows(Context const& ctx, TabularEncoder const& encoder,
                                 PropensityModel::Learner const& learner,
                                 CustomerTable const& rows) {
  std::vector<float> const x = encoder.apply(ctx, rows);
  std::vector<double> probability(rows.rows());
  FeatureMatrix const matrix{x.data(), rows.rows(), encoder.feature_names().size()};
  if (auto const* gbdt = std::get_if<GbdtModel>(&learner)) {
    gbdt->predict(ctx, matrix, probability);
  } else {
    logistic_predict_proba(ctx, std::get<LogisticModel>(learner), matrix, probability);
  }
  return probability;
}

}  // namespace

PropensityLearner parse_propensity_learner(std::string_view text) {
  if (text == "logistic") return PropensityLearner::kLogistic;
  if (text == "gbdt") return PropensityLearner::kGbdt;
  fail(ExitCode::kUsage, "model type: expected logistic or gbdt, got '{}'", text);
}

void PropensityParams::validate() const {
  if (model_type == PropensityLearner::kGbdt) {
    gbdt.validate();
    CIE_EXPECTS(gbdt.objective == GbdtObjective::kBinaryLogloss,
                "a propensity model needs the binary objective");
    CIE_EXPECTS(early_stopping_fraction > 0.0 && early_stopping_fraction <= 0.5,
                "early_stopping_fraction must be in (0, 0.5], got {}", early_stopping_fraction);
  }
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
  CIE_EXPECTS(threshold > 0.0 && threshold < 1.0, "threshold must be in (0, 1), got {}", threshold);
  CIE_EXPECTS(bins >= 2 && bins <= 100, "bins must be in [2, 100], got {}", bins);
}

nlohmann::json PropensityParams::to_json() const {
  nlohmann::json out = to_json_common();
  if (model_type == PropensityLearner::kGbdt) {
    out["model_type"] = "gbdt";
    out["gbdt"] = gbdt.to_json();
    out["early_stopping_fraction"] = early_stopping_fraction;
    out.erase("logistic");
  } else {
    out["model_type"] = "logistic";
  }
  return out;
}

nlohmann::json PropensityParams::to_json_common() const {
  return {
      {"logistic",
       {{"penalty", to_string(logistic.penalty)},
        {"C", logistic.C},
        {"l1_ratio", logistic.l1_ratio},
        {"fit_intercept", logistic.fit_intercept},
        {"class_weight", logistic.class_weight.kind == ClassWeight::Kind::kNone       ? "none"
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

PropensityModel::PropensityModel(TabularEncoder encoder, Learner learner, Calibrator calibrator,
                                 std::string target, std::string positive)
    : encoder_(std::move(encoder)),
      learner_(std::move(learner)),
      calibrator_(std::move(calibrator)),
      target_(std::move(target)),
      positive_(std::move(positive)) {
  CIE_ASSERT(encoder_.fitted());
  std::size_t const features = is_gbdt() ? gbdt().features() : logistic().coef.size();
  CIE_ASSERT(features == encoder_.feature_names().size());
}

void PropensityModel::score(Context const& ctx, CustomerTable const& table,
                            std::string const& model_source, std::size_t batch_rows,
                            std::span<double> probability, BatchDone const& on_batch_done,
                            std::size_t first_row) const {
  CIE_ASSERT(batch_rows > 0 && probability.size() == table.rows() && first_row <= table.rows());
  encoder_.check_schema(table, model_source);
  if (first_row == 0) encoder_.warn_unseen_levels(ctx, table);
  std::span<double> const out = probability.subspan(first_row);
  EncodeBatch const encode = [&](std::size_t begin, std::size_t end, float* x) {
    encoder_.apply_rows(ctx, table, first_row + begin, first_row + end, x);
  };
  BatchDone const done = [&](std::size_t begin, std::size_t end) {
    calibrator_.apply(out.subspan(begin, end - begin));
    if (on_batch_done) on_batch_done(first_row + begin, first_row + end);
  };
  std::size_t const cols = encoder_.feature_names().size();
  if (is_gbdt()) {
    kernels::score_gbdt_batches(ctx, out.size(), batch_rows, cols, encode, gbdt().forest(),
                                gbdt().base_score, true, out, done);
  } else {
    score_logistic_batches(ctx, out.size(), batch_rows, cols, encode, logistic().coef,
                           logistic().intercept, out, done);
  }
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
  document.fitted = {
      {"calibrator", calibrator_.to_json()}, {"target", target_}, {"positive", positive_}};
  if (is_gbdt()) {
    document.fitted["gbdt"] = gbdt().to_json();
  } else {
    document.fitted["logistic"] = logistic().to_json();
  }
  return document;
}

PropensityModel PropensityModel::from_document(ModelDocument const& document,
                                               std::string const& source) {
  CIE_EXPECTS(document.kind == kModelKind, "model file {} holds a {} model, not a {} model", source,
              document.kind, kModelKind);
  nlohmann::json const& fitted = document.fitted;
  bool const is_gbdt = fitted.contains("gbdt");
  for (char const* key : {is_gbdt ? "gbdt" : "logistic", "calibrator", "target", "positive"}) {
    CIE_EXPECTS(fitted.contains(key), "model file {} is damaged: fitted.{} is missing", source,
                key);
  }
  CIE_EXPECTS(fitted["target"].is_string() && fitted["positive"].is_string(),
              "model file {} is damaged: fitted.target and fitted.positive must be strings",
              source);
  TabularEncoder encoder = TabularEncoder::from_json(document.features, source);
  Learner learner = LogisticModel{};
  if (is_gbdt) {
    GbdtModel gbdt = GbdtModel::from_json(fitted["gbdt"], source);
    CIE_EXPECTS(gbdt.features() == encoder.feature_names().size() &&
                    gbdt.objective == GbdtObjective::kBinaryLogloss,
                "model file {} is damaged: a {} gbdt of {} features for {} encoded features",
                source, to_string(gbdt.objective), gbdt.features(), encoder.feature_names().size());
    std::vector<std::int32_t> categorical;
    for (std::size_t j = 0; j < gbdt.categorical.size(); ++j) {
      if (gbdt.categorical[j] != 0) categorical.push_back(static_cast<std::int32_t>(j));
    }
    CIE_EXPECTS(categorical == encoder.level_code_features(),
                "model file {} is damaged: the gbdt's categorical features are not the encoder's "
                "level-code features",
                source);
    learner = std::move(gbdt);
  } else {
    LogisticModel logistic = LogisticModel::from_json(fitted["logistic"], source);
    CIE_EXPECTS(logistic.coef.size() == encoder.feature_names().size(),
                "model file {} is damaged: {} coefficients for {} features", source,
                logistic.coef.size(), encoder.feature_names().size());
    learner = std::move(logistic);
  }
  return {std::move(encoder), std::move(learner),
          Calibrator::from_json(fitted["calibrator"], source), fitted["target"].get<std::string>(),
          fitted["positive"].get<std::string>()};
}

PropensityTraining train_propensity(Context const& ctx, CustomerTable const& table,
                                    std::span<float const> label,
                                    std::vector<EncodedColumnSpec> specs,
                                    PropensityParams const& params, std::string target,
                                    std::string positive, std::span<float const> sample_weight) {
  params.validate();
  for (EncodedColumnSpec const& spec : specs) {
    CIE_EXPECTS(
        spec.missing != MissingPolicy::kNative || params.model_type == PropensityLearner::kGbdt,
        "column {}: missing values kept as missing (native) need --model-type gbdt; the "
        "logistic model takes mean or error",
        spec.name);
    CIE_EXPECTS(!spec.level_codes || params.model_type == PropensityLearner::kGbdt,
                "column {}: native categorical splits (level codes) need --model-type gbdt; the "
                "logistic model takes one-hot columns",
                spec.name);
  }
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
  std::vector<ClassificationReport> fold_reports;
  std::vector<std::int32_t> fold;      // with folds >= 2: every row's fold
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
    fit = fit_rows(ctx, train_table, train_label, weights_of(train_rows), specs, params);
    training = evaluate(predict_rows(ctx, fit->encoder, fit->learner, train_table), train_label);
    held_out_label = pick(label, valid_rows);
    held_out_score = predict_rows(ctx, fit->encoder, fit->learner, select_rows(table, valid_rows));
    validation = evaluate(held_out_score, held_out_label);
    validation_rows = valid_rows.size();
  } else {
    if (params.folds >= 2) {
      fold = stratified_folds(label, params.folds, params.seed);
      held_out_score.assign(table.rows(), 0.0);
      held_out_label.assign(label.begin(), label.end());
      for (int f = 0; f < params.folds; ++f) {
        std::vector<std::size_t> train_rows, test_rows;
        for (std::size_t row = 0; row < table.rows(); ++row) {
          (fold[row] == f ? test_rows : train_rows).push_back(row);
        }
        Fit const fold_fit = fit_rows(ctx, select_rows(table, train_rows), pick(label, train_rows),
                                      weights_of(train_rows), specs, params);
        std::vector<double> const score =
            predict_rows(ctx, fold_fit.encoder, fold_fit.learner, select_rows(table, test_rows));
        for (std::size_t i = 0; i < test_rows.size(); ++i) held_out_score[test_rows[i]] = score[i];
        fold_reports.push_back(evaluate(score, pick(label, test_rows)));
      }
      validation = evaluate(held_out_score, held_out_label);
      validation_rows = table.rows();
    }
    fit = fit_rows(ctx, table, label, sample_weight, specs, params);
    training = evaluate(predict_rows(ctx, fit->encoder, fit->learner, table), label);
  }

  // Cross-fitted over the model's folds, or over folds of the validation rows.
  Calibrator calibrator;
  std::optional<CalibrationCheck> calibration;
  if (params.calibration != Calibrator::Kind::kNone) {
    if (fold.empty()) fold = calibration_folds(held_out_label, params.seed);
    int const folds =
        params.folds >= 2 ? params.folds : *std::max_element(fold.begin(), fold.end()) + 1;
    calibration = check_calibration(params.calibration, held_out_score, held_out_label, fold, folds,
                                    *validation);
    calibrator = calibration->calibrator;
  }
  std::size_t const training_rows = fit->fingerprint.rows;
  DataFingerprint const fingerprint = fit->fingerprint;
  return {PropensityModel(std::move(fit->encoder), std::move(fit->learner), std::move(calibrator),
                          std::move(target), std::move(positive)),
          training_rows,
          validation_rows,
          std::move(*training),
          std::move(validation),
          std::move(fold_reports),
          std::move(calibration),
          fingerprint};
}

}  // namespace cie
