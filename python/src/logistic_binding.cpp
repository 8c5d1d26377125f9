// cie._core logistic regression: models/propensity's train_propensity (the path of `cie
// propensity train`, with the logistic learner, all rows, no calibration) and
// PropensityModel::predict (`cie propensity score`) on a numpy matrix. A fitted model travels as
// its model-file text, so Python and the CLI read and write the same files.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "models/features/tabular_encoder.hpp"
#include "models/model_document.hpp"
#include "models/propensity/propensity.hpp"
#include "python/src/matrix_input.hpp"
#include "python/src/propensity_training.hpp"
#include "python/src/support.hpp"

namespace cie::python {
namespace {

nb::dict logistic_fit(MatrixOrColumns x, std::vector<std::string> const& names, Vector y,
                      std::optional<Vector> sample_weight,
                      std::vector<std::string> const& transforms, std::string const& missing,
                      std::string const& penalty, double C, double l1_ratio, bool fit_intercept,
                      std::string const& class_weight, double negative_weight,
                      double positive_weight, std::string const& solver, int max_iter, double tol,
                      std::string const& target, std::string const& positive,
                      std::string const& device, int threads) {
  CIE_EXPECTS(missing == "error" || missing == "mean_impute",
              "missing: expected 'error' or 'mean_impute', got '{}'", missing);
  PropensityParams params;
  params.model_type = PropensityLearner::kLogistic;
  params.logistic.penalty = parse_penalty(penalty);
  params.logistic.C = C;
  params.logistic.l1_ratio = l1_ratio;
  params.logistic.fit_intercept = fit_intercept;
  if (class_weight == "balanced") {
    params.logistic.class_weight.kind = ClassWeight::Kind::kBalanced;
  } else if (class_weight == "given") {
    params.logistic.class_weight = {ClassWeight::Kind::kGiven, negative_weight, positive_weight};
  } else {
    CIE_EXPECTS(class_weight == "none", "class_weight: expected None, 'balanced' or a dict");
  }
  params.logistic.solver = parse_solver(solver);
  params.logistic.max_iter = max_iter;
  params.logistic.tol = tol;
  return train_propensity_file(x, names, y, sample_weight, {},
                               numeric_specs(names, transforms, missing), params, target, positive,
                               device, threads);
}

PropensityModel read_model(std::string const& text) {
  return PropensityModel::from_document(parse_model_file(text, "model", "propensity"), "model");
}

nb::ndarray<nb::numpy, double, nb::ndim<1>> propensity_predict(
    std::string const& model_text, MatrixOrColumns x, std::vector<std::string> const& names,
    std::vector<CategoricalColumn> const& categorical, std::string const& device, int threads) {
  PropensityModel const model = read_model(model_text);
  Context ctx = make_context(device, threads);
  std::vector<double> probability;
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    CustomerTable table = matrix_table(x, names);
    add_categorical_columns(table, categorical);
    probability = model.predict(ctx, table, "model");
  }
  return to_numpy(std::move(probability));
}

nb::dict propensity_model(std::string const& model_text) {
  PropensityModel const model = read_model(model_text);
  nb::dict out;
  std::vector<std::string> inputs;
  std::vector<std::string> transforms;
  for (EncodedColumnSpec const& spec : model.encoder().specs()) {
    inputs.push_back(spec.name);
    transforms.push_back(spec.type == ColumnType::kNumeric ? spec.transform.to_string() : "");
  }
  std::vector<std::string> categorical;
  for (EncodedColumnSpec const& spec : model.encoder().specs()) {
    if (spec.type == ColumnType::kCategorical) categorical.push_back(spec.name);
  }
  out["inputs"] = inputs;
  out["categorical"] = categorical;
  out["transforms"] = transforms;
  out["features"] = model.encoder().feature_names();
  out["target"] = model.target();
  out["positive"] = model.positive();
  out["learner"] = model.is_gbdt() ? "gbdt" : "logistic";
  if (!model.is_gbdt()) {
    std::vector<double> coef = model.logistic().coef;
    out["coef"] = to_numpy(std::move(coef));
    out["intercept"] = model.logistic().intercept;
    out["iterations"] = model.logistic().iterations;
    out["converged"] = model.logistic().converged;
  } else {
    FeatureImportance const importance = model.gbdt().importance();
    std::vector<double> gain = importance.gain;
    out["importance_gain"] = to_numpy(std::move(gain));
    out["trees"] = model.gbdt().roots.size();
  }
  return out;
}

}  // namespace

void bind_logistic(nb::module_& m) {
  m.def("logistic_fit", &logistic_fit, nb::arg("X"), nb::arg("names"), nb::arg("y"),
        nb::arg("sample_weight").none(), nb::arg("transforms"), nb::arg("missing"),
        nb::arg("penalty"), nb::arg("C"), nb::arg("l1_ratio"), nb::arg("fit_intercept"),
        nb::arg("class_weight"), nb::arg("negative_weight"), nb::arg("positive_weight"),
        nb::arg("solver"), nb::arg("max_iter"), nb::arg("tol"), nb::arg("target"),
        nb::arg("positive"), nb::arg("device"), nb::arg("threads"),
        "train_propensity with the logistic learner on every row (as `cie propensity train "
        "--validation 0`): returns the model file's text. X: a matrix, or a list of its "
        "columns (Arrow buffers). y holds 0/1. The GIL is released while it computes.");
  m.def("propensity_predict", &propensity_predict, nb::arg("model"), nb::arg("X"), nb::arg("names"),
        nb::arg("categorical"), nb::arg("device"), nb::arg("threads"),
        "PropensityModel::predict (as `cie propensity score`): the probability of each row.");
  m.def("propensity_model", &propensity_model, nb::arg("model"),
        "The parts of a propensity model file's text: inputs, transforms, encoded feature "
        "names, target, positive, and the logistic coefficients.");
  m.def("table_addresses", &table_addresses, nb::arg("X"),
        "The address of each column's values in the table the classifiers' encoder reads for X, "
        "a matrix or a list of columns (X's own columns when X is read without a copy).");
  m.def("matrix_address", &matrix_address, nb::arg("X"),
        "The address of the first value the engine reads for X (its own buffer when X is read "
        "without a copy).");
}

}  // namespace cie::python
