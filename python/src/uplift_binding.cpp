// cie._core uplift models: models/uplift's train_uplift on every row (as `cie uplift train
// --validation 0`, one arm against its control) or train_uplift_arms (`--arms`: several arms
// against one control), UpliftModel::predict / UpliftArmsModel::predict (`cie uplift score`) and
// the Qini coefficient and AUUC of models/uplift/uplift_metrics.hpp, on numpy matrices and
// categorical columns as the classifiers take them. A fitted model travels as its model file's
// text, the document `cie uplift train` writes (params, training report, fingerprint).
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "models/model_document.hpp"
#include "models/uplift/treatment_features.hpp"
#include "models/uplift/uplift_arms.hpp"
#include "models/uplift/uplift_metrics.hpp"
#include "models/uplift/uplift_model.hpp"
#include "python/src/matrix_input.hpp"
#include "python/src/propensity_training.hpp"
#include "python/src/support.hpp"

namespace cie::python {
namespace {

/// One 0/1 value per row (treatment groups, responses for the metrics).
using Flags = nb::ndarray<std::uint8_t const, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using Scores = nb::ndarray<double const, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
/// Per row: 0 control, k + 1 arm k.
using Groups = nb::ndarray<std::int32_t const, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
/// Row indices into X.
using Rows = nb::ndarray<std::int64_t const, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

/// The trees' settings from a dict keyed by the model file's names (GbdtParams::to_json: n_trees,
/// learning_rate, ...); a key the uplift learners do not set is a usage error naming it.
GbdtParams gbdt_params(nb::dict const& given) {
  GbdtParams out;
  for (auto const& [key_object, value] : given) {
    std::string const key = nb::cast<std::string>(key_object);
    if (key == "n_trees") {
      out.n_trees = nb::cast<int>(value);
    } else if (key == "learning_rate") {
      out.learning_rate = nb::cast<double>(value);
    } else if (key == "num_leaves") {
      out.num_leaves = nb::cast<int>(value);
    } else if (key == "max_depth") {
      out.max_depth = nb::cast<int>(value);
    } else if (key == "grow_policy") {
      out.growth = parse_tree_growth(nb::cast<std::string>(value));
    } else if (key == "max_bin") {
      out.max_bin = nb::cast<int>(value);
    } else if (key == "min_child_weight") {
      out.min_child_weight = nb::cast<double>(value);
    } else if (key == "min_data_in_leaf") {
      out.min_data_in_leaf = nb::cast<int>(value);
    } else if (key == "lambda") {
      out.lambda = nb::cast<double>(value);
    } else if (key == "alpha") {
      out.alpha = nb::cast<double>(value);
    } else if (key == "min_split_gain") {
      out.min_split_gain = nb::cast<double>(value);
    } else if (key == "subsample") {
      out.subsample = nb::cast<double>(value);
    } else if (key == "colsample_bytree") {
      out.colsample_bytree = nb::cast<double>(value);
    } else if (key == "scale_pos_weight") {
      out.scale_pos_weight = nb::cast<double>(value);
    } else if (key == "seed") {
      out.seed = nb::cast<std::uint64_t>(value);
    } else {
      fail(ExitCode::kUsage, "gbdt: '{}' is not a tree setting of the uplift learners", key);
    }
  }
  return out;
}

/// X as the CLI's table: the numeric columns `names` of `x`, then the categorical ones.
CustomerTable feature_table(MatrixOrColumns const& x, std::vector<std::string> const& names,
                            std::vector<CategoricalColumn> const& categorical) {
  CustomerTable table = matrix_table(x, names);
  add_categorical_columns(table, categorical);
  return table;
}

/// The CLI's default specs (TabularEncoder::default_specs) in X's column order `order`: numeric
/// columns with mean imputation (logistic) or native missing values (gbdt), categorical columns
/// one-hot.
std::vector<EncodedColumnSpec> uplift_specs(CustomerTable const& table,
                                            std::vector<std::string> const& order,
                                            PropensityLearner learner) {
  std::vector<EncodedColumnSpec> specs;
  for (std::string const& name : order) {
    TableColumn const* column = table.find(name);
    CIE_EXPECTS(column != nullptr, "order: {} is not a feature", name);
    EncodedColumnSpec spec;
    spec.name = name;
    spec.type = column->type;
    if (spec.type == ColumnType::kNumeric && learner == PropensityLearner::kGbdt) {
      spec.missing = MissingPolicy::kNative;
    }
    specs.push_back(std::move(spec));
  }
  CIE_EXPECTS(specs.size() == table.columns.size(), "order: expected every feature once");
  return specs;
}

nb::dict uplift_fit(MatrixOrColumns x, std::vector<std::string> const& names,
                    std::vector<CategoricalColumn> const& categorical,
                    std::vector<std::string> const& order, std::optional<Rows> const& rows,
                    Vector response, Groups group, std::vector<std::string> const& arms,
                    bool multi_arm, std::string const& control, std::string const& method,
                    std::string const& learner, std::string const& penalty, double C, double tol,
                    int max_iter, nb::dict const& gbdt, std::uint64_t seed,
                    std::string const& target, std::string const& treatment_column,
                    std::string const& device, int threads) {
  std::size_t const kept = rows ? rows->shape(0) : input_rows(x);
  CIE_EXPECTS(response.shape(0) == kept && group.shape(0) == kept,
              "y and treatment: expected {} values, one per row used, got {} and {}", kept,
              response.shape(0), group.shape(0));
  CIE_EXPECTS(!arms.empty() && (multi_arm || arms.size() == 1),
              "arms: expected one arm, or several with multi_arm");
  std::span<std::int32_t const> const groups(group.data(), kept);
  for (std::int32_t const g : groups) {
    CIE_EXPECTS(g >= 0 && g <= static_cast<std::int64_t>(arms.size()),
                "treatment: group {} is neither the control (0) nor an arm (1..{})", g,
                arms.size());
  }
  uplift::UpliftParams params;
  params.method = uplift::parse_uplift_method(method);
  params.learner = parse_propensity_learner(learner);
  params.logistic.penalty = parse_penalty(penalty);
  params.logistic.C = C;
  params.logistic.tol = tol;
  params.logistic.max_iter = max_iter;
  if (params.learner == PropensityLearner::kGbdt) params.gbdt = gbdt_params(gbdt);
  params.gbdt.seed = seed;
  params.validation_fraction = 0.0;
  params.seed = seed;
  params.validate();
  Context ctx = make_context(device, threads, seed);
  std::vector<std::string> revealing;
  std::string text;
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    CustomerTable table = feature_table(x, names, categorical);
    if (rows) {
      // The rows of the arms and the control, as the CLI keeps them (select_rows after reading
      // the whole table, so categorical levels keep their order of first appearance).
      std::vector<std::size_t> chosen(rows->data(), rows->data() + kept);
      for (std::size_t const row : chosen) {
        CIE_EXPECTS(row < input_rows(x), "rows: {} is not a row of X", row);
      }
      table = select_rows(table, chosen);
    }
    std::vector<EncodedColumnSpec> const specs = uplift_specs(table, order, params.learner);
    revealing = uplift::treatment_revealing_columns(table, groups);
    ModelDocument document;
    if (multi_arm) {
      uplift::UpliftArmsTraining const trained =
          uplift::train_uplift_arms(ctx, table, {response.data(), kept}, groups, arms, control,
                                    treatment_column, specs, params, target);
      document = trained.model.to_document();
      document.params = params.to_json();
      document.params["arms"] = arms;
      document.training_metrics = trained.report;
    } else {
      std::vector<std::uint8_t> const treatment(groups.begin(), groups.end());
      uplift::UpliftTraining const trained = uplift::train_uplift(
          ctx, table, {response.data(), kept}, treatment, specs, params, target);
      document = trained.model.to_document();
      document.params = params.to_json();
      document.params["treated"] = arms.front();
      document.training_metrics = trained.report;
      document.training_data = trained.training_data;
    }
    document.params["treatment_column"] = treatment_column;
    document.params["control"] = control;
    document.params["target"] = target;
    document.params["inputs"] = nlohmann::json::array();
    text = model_file_text(document);
  }
  nb::dict out;
  out["model"] = text;
  out["revealing"] = revealing;
  out["device"] = ctx.device_name();
  return out;
}

/// A model file's model: one arm or several.
struct AnyUpliftModel {
  std::optional<uplift::UpliftModel> one;
  std::optional<uplift::UpliftArmsModel> arms;

  [[nodiscard]] uplift::UpliftModel const& first() const {
    return one ? *one : arms->models().front();
  }
};

AnyUpliftModel read_model(std::string const& text) {
  ModelDocument const document = parse_model_file(text, "model", uplift::kUpliftModelKind);
  AnyUpliftModel model;
  if (uplift::is_multi_arm(document)) {
    model.arms.emplace(uplift::UpliftArmsModel::from_document(document, "model"));
  } else {
    model.one.emplace(uplift::UpliftModel::from_document(document, "model"));
  }
  return model;
}

nb::dict uplift_predict(std::string const& model_text, MatrixOrColumns x,
                        std::vector<std::string> const& names,
                        std::vector<CategoricalColumn> const& categorical,
                        std::string const& device, int threads) {
  AnyUpliftModel const model = read_model(model_text);
  Context ctx = make_context(device, threads);
  std::vector<double> uplift;
  std::vector<double> treated;
  std::vector<double> control;
  uplift::ArmScores scores;
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    CustomerTable const table = feature_table(x, names, categorical);
    if (model.one) {
      uplift = model.one->predict(ctx, table, "model", &treated, &control);
    } else {
      scores = model.arms->predict(ctx, table, "model");
    }
  }
  nb::dict out;
  if (model.arms) {
    std::size_t const rows = scores.uplift.size();
    std::vector<double> by_arm;  // column-major rows × arms
    for (std::vector<double> const& arm : scores.arm_uplift) {
      by_arm.insert(by_arm.end(), arm.begin(), arm.end());
    }
    out["uplift"] = to_numpy(std::move(scores.uplift));
    out["arm_uplift"] = to_numpy_f(std::move(by_arm), rows, scores.arm_uplift.size());
    out["best_arm"] = to_numpy(std::move(scores.best_arm));
    return out;
  }
  out["uplift"] = to_numpy(std::move(uplift));
  if (model.one->has_response_models()) {
    out["p_treated"] = to_numpy(std::move(treated));
    out["p_control"] = to_numpy(std::move(control));
  }
  return out;
}

nb::dict uplift_model(std::string const& model_text) {
  AnyUpliftModel const model = read_model(model_text);
  PropensityModel const& first = model.first().base_models().front();
  std::vector<std::string> inputs;
  std::vector<std::string> categorical;
  for (EncodedColumnSpec const& spec : first.encoder().specs()) {
    inputs.push_back(spec.name);
    if (spec.type == ColumnType::kCategorical) categorical.push_back(spec.name);
  }
  nb::dict out;
  out["method"] = std::string(uplift::to_string(model.first().method()));
  out["learner"] = first.is_gbdt() ? "gbdt" : "logistic";
  out["inputs"] = inputs;
  out["categorical"] = categorical;
  out["features"] = first.encoder().feature_names();
  if (model.arms) {
    out["arms"] = model.arms->arms();
    out["control"] = model.arms->control();
  }
  return out;
}

nb::dict uplift_metrics(Scores uplift, Flags response, Flags treatment) {
  std::size_t const rows = uplift.shape(0);
  CIE_EXPECTS(response.shape(0) == rows && treatment.shape(0) == rows,
              "y and treatment: expected {} values, one per prediction, got {} and {}", rows,
              response.shape(0), treatment.shape(0));
  std::span<double const> const scores(uplift.data(), rows);
  std::span<std::uint8_t const> const y(response.data(), rows);
  std::span<std::uint8_t const> const t(treatment.data(), rows);
  nb::dict out;
  out["qini_coefficient"] = uplift::qini_coefficient(scores, y, t);
  out["auuc"] = uplift::uplift_auc(scores, y, t);
  return out;
}

}  // namespace

void bind_uplift(nb::module_& m) {
  m.def("uplift_fit", &uplift_fit, nb::arg("X"), nb::arg("names"), nb::arg("categorical"),
        nb::arg("order"), nb::arg("rows").none(), nb::arg("response"), nb::arg("group"),
        nb::arg("arms"), nb::arg("multi_arm"), nb::arg("control"), nb::arg("method"),
        nb::arg("learner"), nb::arg("penalty"), nb::arg("C"), nb::arg("tol"), nb::arg("max_iter"),
        nb::arg("gbdt"), nb::arg("seed"), nb::arg("target"), nb::arg("treatment_column"),
        nb::arg("device"), nb::arg("threads"),
        "train_uplift on every row kept (as `cie uplift train --validation 0`; with multi_arm "
        "train_uplift_arms, as `--arms`): returns the model file's text and the columns that "
        "reveal the treatment. X holds the numeric columns `names`, `categorical` the "
        "categorical ones as (name, int32 codes, levels); `order` names every feature in X's "
        "order; `rows` (None: all) the rows of X used, to which response (0/1) and group (0 "
        "control, k + 1 arm k) belong; `gbdt` the tree settings by the model file's names. The "
        "GIL is released while it computes.");
  m.def("uplift_predict", &uplift_predict, nb::arg("model"), nb::arg("X"), nb::arg("names"),
        nb::arg("categorical"), nb::arg("device"), nb::arg("threads"),
        "UpliftModel::predict (as `cie uplift score`): {'uplift'} and, for two-model and "
        "x-learner, 'p_treated' and 'p_control'; a multi-arm model: 'uplift' (the best arm's), "
        "'arm_uplift' (rows x arms) and 'best_arm' (index into the arms).");
  m.def("uplift_model", &uplift_model, nb::arg("model"),
        "The parts of an uplift model file's text: method, learner, inputs, categorical "
        "inputs, the first base model's encoded feature names; arms and control of a multi-arm "
        "model.");
  m.def("uplift_metrics", &uplift_metrics, nb::arg("uplift"), nb::arg("response"),
        nb::arg("treatment"),
        "The Qini coefficient and AUUC of predicted uplift (models/uplift/uplift_metrics.hpp, "
        "as `cie uplift train` reports them).");
}

}  // namespace cie::python
