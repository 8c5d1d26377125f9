// cie._core CLV: models/clv's fits (the path of `cie clv fit --summary`) and predict_clv (`cie clv
// predict`) on numpy columns. A fitted purchase model travels as its model-file text (kind "clv",
// spend null); a Gamma-Gamma fit as the JSON of its two sections (fitted.spend and
// training_metrics.spend), which clv_join puts into a purchase model's file as the CLI writes it
// with --spend gamma-gamma, and clv_split takes out again.
#include <cmath>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "kernels/clv_rules.hpp"
#include "models/clv/clv_fit.hpp"
#include "models/clv/clv_model.hpp"
#include "models/model_document.hpp"
#include "python/src/support.hpp"

namespace cie::python {
namespace {

using nlohmann::json;
using Column = nb::ndarray<double const, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

std::span<double const> column_view(Column const& column) {
  return {column.data(), column.shape(0)};
}

/// The summary of the columns, read in place (the arrays outlive the call): value the given
/// column or none (as 0 for every row: the CLI's summary without --spend); every column as long
/// as frequency.
kernels::ClvRows summary_view(Column const& frequency, Column const& recency, Column const& age,
                              std::optional<Column> const& value,
                              std::optional<Column> const& weights) {
  std::size_t const n = frequency.shape(0);
  CIE_EXPECTS(recency.shape(0) == n && age.shape(0) == n, "columns of unequal length");
  CIE_EXPECTS(!value || value->shape(0) == n, "monetary_value: expected {} values, got {}", n,
              value ? value->shape(0) : 0);
  CIE_EXPECTS(!weights || weights->shape(0) == n, "weights: expected {} values, got {}", n,
              weights ? weights->shape(0) : 0);
  return {column_view(frequency), column_view(recency), column_view(age),
          value ? column_view(*value) : std::span<double const>(),
          weights ? column_view(*weights) : std::span<double const>()};
}

/// The Python package checks its inputs column by column first; this is the engine's own check
/// (its reason names the column, the row is the 0-based index).
void check_summary(kernels::ClvRows const& summary, bool discrete) {
  std::optional<InvalidRow> invalid = find_invalid_row(summary);
  if (!invalid && discrete) invalid = find_invalid_discrete_row(summary);
  CIE_EXPECTS(!invalid, "row {}: {}", invalid ? invalid->row : 0,
              invalid ? invalid->reason : std::string());
}

/// Whether every row passes check_summary (one branch-free screen of the columns; the same
/// checks as the Python package's column-by-column ones, which name the column and run only
/// when this says false).
bool clv_summary_valid(Column frequency, Column recency, Column age, bool discrete) {
  CIE_EXPECTS(recency.shape(0) == frequency.shape(0) && age.shape(0) == frequency.shape(0),
              "columns of unequal length");
  nb::gil_scoped_release released;
  kernels::ClvRows const summary{
      column_view(frequency), column_view(recency), column_view(age), {}, {}};
  return !(discrete ? find_invalid_discrete_row(summary) : find_invalid_row(summary)).has_value();
}

ClvFitParams fit_params(double penalizer, int max_iter, double tol) {
  ClvFitParams params;
  params.penalizer = penalizer;
  params.max_iter = max_iter;
  params.tol = tol;
  params.validate();
  return params;
}

void require_fit_converged(FittedDistribution const& fit, std::string_view title) {
  if (!fit.converged) {
    fail(ExitCode::kInputData,
         "{} fit did not converge after {} iterations (|gradient| {:.3g}). A penalizer_coef such "
         "as 0.001 often helps",
         title, fit.iterations, fit.gradient_norm);
  }
}

std::string clv_fit_purchases(std::string const& model_type, Column frequency, Column recency,
                              Column age, std::optional<Column> weights, double penalizer,
                              int max_iter, double tol, int time_unit_days, int threads,
                              bool checked) {
  (void)purchase_likelihood(model_type);
  CIE_EXPECTS(time_unit_days == 1 || time_unit_days == 7, "time unit: expected days or weeks");
  ClvFitParams const params = fit_params(penalizer, max_iter, tol);
  Context ctx = make_context("cpu", threads);
  std::string text;
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    kernels::ClvRows const summary = summary_view(frequency, recency, age, std::nullopt, weights);
    if (!checked) check_summary(summary, model_type == "bgbb");
    ClvModel model;
    model.time_unit_days = time_unit_days;
    model.penalizer = penalizer;
    model.transactions = fit_purchases(ctx, params, model_type, summary);
    require_fit_converged(model.transactions, model_type);
    text = model_file_text(model.to_document(fingerprint_summary(summary)));
  }
  return text;
}

/// The spend sections of a model document: {"fitted": fitted.spend, "training_metrics":
/// training_metrics.spend}.
std::string spend_sections(ModelDocument const& document) {
  return json{{"fitted", document.fitted.at("spend")},
              {"training_metrics", document.training_metrics.at("spend")}}
      .dump();
}

std::string clv_fit_spend(Column frequency, Column value, std::optional<Column> weights,
                          double penalizer, int max_iter, double tol, int threads) {
  ClvFitParams const params = fit_params(penalizer, max_iter, tol);
  Context ctx = make_context("cpu", threads);
  std::string text;
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    // Recency and T do not enter Gamma-Gamma: t_x = T = 0 for x = 0 and 1 (any valid t_x = T)
    // for a repeat buyer pass the summary's checks.
    std::size_t const n = frequency.shape(0);
    CIE_EXPECTS(value.shape(0) == n, "monetary_value: expected {} values, got {}", n,
                value.shape(0));
    CIE_EXPECTS(!weights || weights->shape(0) == n, "weights: expected {} values, got {}", n,
                weights ? weights->shape(0) : 0);
    std::vector<double> times(n);
    for (std::size_t i = 0; i < n; ++i) times[i] = frequency.data()[i] == 0.0 ? 0.0 : 1.0;
    kernels::ClvRows const summary{column_view(frequency), times, times, column_view(value),
                                   weights ? column_view(*weights) : std::span<double const>()};
    check_summary(summary, false);
    ClvModel model;  // the spend fit's sections as to_document writes them
    model.transactions.model = "bgnbd";
    model.spend = fit_gamma_gamma(ctx, params, summary);
    require_fit_converged(model.spend->fit, "Gamma-Gamma");
    text = spend_sections(model.to_document({}));
  }
  return text;
}

ModelDocument read_document(std::string const& text) {
  return parse_model_file(text, "model", kClvModelKind);
}

std::string clv_join(std::string const& purchases_text, std::string const& spend) {
  ModelDocument document = read_document(purchases_text);
  json const sections = json::parse(spend);
  document.fitted["spend"] = sections.at("fitted");
  document.training_metrics["spend"] = sections.at("training_metrics");
  document.params["spend_model"] = "gamma-gamma";
  document.created_utc.clear();
  (void)ClvModel::from_document(document, "model");  // a usage error when it does not read back
  return model_file_text(document);
}

nb::tuple clv_split(std::string const& text) {
  ModelDocument document = read_document(text);
  (void)ClvModel::from_document(document, "model");
  std::optional<std::string> spend;
  if (!document.fitted.value("spend", json()).is_null()) {
    spend = spend_sections(document);
    document.fitted["spend"] = nullptr;
    document.training_metrics.erase("spend");
    document.params["spend_model"] = nullptr;
  }
  return nb::make_tuple(model_file_text(document), spend);
}

nb::dict clv_predict(std::string const& text, Column frequency, Column recency, Column age,
                     std::optional<Column> value, double horizon, int clv_months,
                     double monthly_discount, double margin, int max_purchases,
                     std::vector<std::string> const& outputs, int threads, bool checked) {
  ClvModel const model = ClvModel::from_document(read_document(text), "model");
  CIE_EXPECTS(!model.spend || value, "monetary_value is needed with a spend model");
  ClvPredictParams params;
  params.horizon = horizon;
  params.clv_months = clv_months;
  params.monthly_discount = monthly_discount;
  params.margin = margin;
  params.max_purchases = max_purchases;
  params.outputs = {};
  for (std::string const& name : outputs) {
    bool* const asked = name == "p_alive"              ? &params.outputs.p_alive
                        : name == "expected_purchases" ? &params.outputs.expected_purchases
                        : name == "expected_value"     ? &params.outputs.expected_value
                        : name == "clv"                ? &params.outputs.clv
                                                       : nullptr;
    CIE_EXPECTS(asked != nullptr,
                "outputs: '{}' is not p_alive, expected_purchases, expected_value or clv", name);
    *asked = true;
  }
  Context ctx = make_context("cpu", threads);
  ClvPredictions predictions;
  std::size_t const n = frequency.shape(0);
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    kernels::ClvRows const summary = summary_view(frequency, recency, age, value, std::nullopt);
    if (!checked) check_summary(summary, false);  // as `cie clv predict --summary`
    predictions = predict_clv(ctx, model, params, summary);
  }
  nb::dict out;
  if (params.outputs.p_alive) out["p_alive"] = to_numpy(std::move(predictions.p_alive));
  if (params.outputs.expected_purchases) {
    out["expected_purchases"] = to_numpy(std::move(predictions.expected_purchases));
  }
  if (params.outputs.expected_value) {
    out["expected_value"] = to_numpy(std::move(predictions.expected_value));
  }
  if (params.outputs.clv) out["clv"] = to_numpy(std::move(predictions.clv));
  if (max_purchases >= 0) {
    out["p_purchases"] = nb::cast(to_numpy_f(std::move(predictions.p_purchases),
                                             static_cast<std::size_t>(max_purchases + 1), n))
                             .attr("T");
  }
  return out;
}

nb::ndarray<nb::numpy, double, nb::ndim<1>> clv_expected_from_start(std::string const& text,
                                                                    Column t) {
  ClvModel const model = ClvModel::from_document(read_document(text), "model");
  CIE_EXPECTS(model.transactions.model != "bgbb",
              "expected_number_of_purchases_up_to_time is not defined for a bgbb model");
  std::vector<double> out(t.shape(0));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = expected_purchases_from_start(model.transactions, t.data()[i]);
  }
  return to_numpy(std::move(out));
}

/// Gamma-Gamma's conditional expected mean spend as predict_clv computes it: a customer with a
/// mean value <= 0 (left out of the fit) gets the population mean.
nb::ndarray<nb::numpy, double, nb::ndim<1>> clv_expected_spend(std::string const& spend,
                                                               Column frequency, Column value) {
  json const parameters = json::parse(spend).at("fitted").at("parameters");
  double const p = parameters.at("p").get<double>(), q = parameters.at("q").get<double>(),
               scale = parameters.at("gamma").get<double>();
  CIE_EXPECTS(value.shape(0) == frequency.shape(0), "monetary_value: expected {} values, got {}",
              frequency.shape(0), value.shape(0));
  std::vector<double> out(frequency.shape(0));
  for (std::size_t i = 0; i < out.size(); ++i) {
    double const x = frequency.data()[i], m = value.data()[i];
    out[i] = kernels::gamma_gamma_expected_spend(p, q, scale, m > 0.0 ? x : 0.0, m);
  }
  return to_numpy(std::move(out));
}

}  // namespace

void bind_clv(nb::module_& m) {
  m.def("clv_fit_purchases", &clv_fit_purchases, nb::arg("model_type"), nb::arg("frequency"),
        nb::arg("recency"), nb::arg("T"), nb::arg("weights").none(), nb::arg("penalizer"),
        nb::arg("max_iter"), nb::arg("tol"), nb::arg("time_unit_days"), nb::arg("threads"),
        nb::arg("checked") = false,
        "fit_purchases (as `cie clv fit --summary`) on float64 columns: the model file's text "
        "(spend null). The GIL is released while it computes; Ctrl-C stops it. checked: the "
        "caller has checked the columns as the engine does (the Python package's _summary and "
        "_weights), so it skips its own scan.");
  m.def("clv_fit_spend", &clv_fit_spend, nb::arg("frequency"), nb::arg("monetary_value"),
        nb::arg("weights").none(), nb::arg("penalizer"), nb::arg("max_iter"), nb::arg("tol"),
        nb::arg("threads"),
        "fit_gamma_gamma (as `cie clv fit --spend gamma-gamma`): the JSON of the spend sections.");
  m.def("clv_summary_valid", &clv_summary_valid, nb::arg("frequency"), nb::arg("recency"),
        nb::arg("T"), nb::arg("discrete"),
        "Whether every row of the summary passes the engine's checks (BG/BB's too with discrete).");
  m.def("clv_join", &clv_join, nb::arg("purchases"), nb::arg("spend"),
        "A purchase model's file text with the spend sections added (as the CLI writes it).");
  m.def("clv_split", &clv_split, nb::arg("model"),
        "(purchase model file text with spend null, spend sections JSON or None).");
  m.def("clv_predict", &clv_predict, nb::arg("model"), nb::arg("frequency"), nb::arg("recency"),
        nb::arg("T"), nb::arg("monetary_value").none(), nb::arg("horizon"), nb::arg("clv_months"),
        nb::arg("discount_rate"), nb::arg("margin"), nb::arg("max_purchases"), nb::arg("outputs"),
        nb::arg("threads"), nb::arg("checked") = false,
        "predict_clv (as `cie clv predict`): of p_alive, expected_purchases, expected_value and "
        "clv those named in outputs (each the same bits whatever else is asked for), and with "
        "max_purchases >= 0 p_purchases (rows x max_purchases + 1). checked: as for "
        "clv_fit_purchases (with _monetary for monetary_value).");
  m.def("clv_expected_from_start", &clv_expected_from_start, nb::arg("model"), nb::arg("t"),
        "A new customer's expected repeat purchases over its first t time units.");
  m.def("clv_expected_spend", &clv_expected_spend, nb::arg("spend"), nb::arg("frequency"),
        nb::arg("monetary_value"), "Gamma-Gamma's conditional expected mean spend per customer.");
}

}  // namespace cie::python
