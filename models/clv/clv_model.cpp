#include "models/clv/clv_model.hpp"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "core/error.hpp"
#include "kernels/clv_mbgnbd_rules.hpp"
#include "kernels/clv_pareto_rules.hpp"

namespace cie {

using nlohmann::json;

namespace {

json number_or_null(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

json distribution_json(FittedDistribution const& fit) {
  json parameters = json::object(), errors = json::object();
  for (std::size_t j = 0; j < fit.names.size(); ++j) {
    parameters[fit.names[j]] = fit.values[j];
    errors[fit.names[j]] = number_or_null(fit.std_errors[j]);
  }
  return {{"model", fit.model}, {"parameters", parameters}, {"std_errors", errors}};
}

json metrics_json(FittedDistribution const& fit) {
  return {{"log_likelihood", fit.log_likelihood},
          {"customers", fit.customers},
          {"rows", fit.rows},
          {"iterations", fit.iterations},
          {"gradient_norm", fit.gradient_norm},
          {"converged", fit.converged},
          {"warnings", fit.warnings}};
}

FittedDistribution read_distribution(json const& fitted, json const& metrics,
                                     std::vector<std::string> const& names,
                                     std::string const& expected_model, std::string const& source) {
  auto const damaged = [&](std::string_view what) {
    fail(ExitCode::kUsage, "model file {} is damaged: {}", source, what);
  };
  if (!fitted.is_object() || fitted.value("model", "") != expected_model) damaged("model type");
  FittedDistribution fit;
  fit.model = expected_model;
  fit.names = names;
  for (std::string const& name : names) {
    json const& value = fitted["parameters"].value(name, json());
    if (!value.is_number() || !(value.get<double>() > 0.0)) {
      damaged(fmt::format("parameter {} is not a positive number", name));
    }
    fit.values.push_back(value.get<double>());
    json const& error = fitted["std_errors"].value(name, json());
    fit.std_errors.push_back(error.is_number() ? error.get<double>() : std::nan(""));
  }
  if (metrics.is_object()) {
    fit.log_likelihood = metrics.value("log_likelihood", std::nan(""));
    fit.customers = metrics.value("customers", 0.0);
    fit.rows = metrics.value("rows", std::size_t{0});
    fit.iterations = metrics.value("iterations", 0);
    fit.gradient_norm = metrics.value("gradient_norm", 0.0);
    fit.converged = metrics.value("converged", false);
    fit.warnings = metrics.value("warnings", std::vector<std::string>{});
  }
  return fit;
}

}  // namespace

ModelDocument ClvModel::to_document(DataFingerprint const& training_data) const {
  ModelDocument document;
  document.kind = kClvModelKind;
  document.params = {{"model_type", transactions.model},
                     {"spend_model", spend ? json("gamma-gamma") : json(nullptr)},
                     {"time_unit_days", time_unit_days},
                     {"penalizer", penalizer},
                     {"calibration_end", calibration_end}};
  document.fitted = {{"transactions", distribution_json(transactions)},
                     {"spend", spend ? distribution_json(spend->fit) : json(nullptr)}};
  document.training_metrics = {{"transactions", metrics_json(transactions)}};
  if (spend) {
    json metrics = metrics_json(spend->fit);
    metrics["excluded_nonpositive"] = spend->excluded_nonpositive;
    metrics["no_repeat"] = spend->no_repeat;
    metrics["frequency_value_correlation"] = spend->frequency_value_correlation;
    document.training_metrics["spend"] = std::move(metrics);
  }
  document.training_data = training_data;
  return document;
}

ClvModel ClvModel::from_document(ModelDocument const& document, std::string const& source) {
  CIE_EXPECTS(document.kind == kClvModelKind, "model file {} holds a {} model, not a {} model",
              source, document.kind, kClvModelKind);
  ClvModel model;
  json const& params = document.params;
  std::string const model_type = params.value("model_type", "");
  CIE_EXPECTS(model_type == "bgnbd" || model_type == "mbgnbd" || model_type == "pareto-nbd" ||
                  model_type == "bgbb",
              "model file {} is damaged: params.model_type '{}' is not bgnbd, mbgnbd, pareto-nbd "
              "or bgbb",
              source, model_type);
  model.time_unit_days = params.value("time_unit_days", 0);
  CIE_EXPECTS(model.time_unit_days == 1 || model.time_unit_days == 7,
              "model file {} is damaged: params.time_unit_days is not 1 or 7", source);
  model.penalizer = params.value("penalizer", 0.0);
  model.calibration_end = params.value("calibration_end", "");
  json const& metrics = document.training_metrics;
  model.transactions = read_distribution(document.fitted.value("transactions", json()),
                                         metrics.value("transactions", json()),
                                         parameter_names(model_type), model_type, source);
  json const& spend = document.fitted.value("spend", json());
  if (!spend.is_null()) {
    SpendFit fit;
    json const& spend_metrics = metrics.value("spend", json());
    fit.fit = read_distribution(spend, spend_metrics, {"p", "q", "gamma"}, "gamma-gamma", source);
    if (spend_metrics.is_object()) {
      fit.excluded_nonpositive = spend_metrics.value("excluded_nonpositive", 0.0);
      fit.no_repeat = spend_metrics.value("no_repeat", 0.0);
      fit.frequency_value_correlation = spend_metrics.value("frequency_value_correlation", 0.0);
    }
    model.spend = std::move(fit);
  }
  return model;
}

double expected_purchases_from_start(FittedDistribution const& transactions, double t) {
  std::vector<double> const& p = transactions.values;
  switch (purchase_likelihood(transactions.model)) {
    case kernels::ClvLikelihood::kBgNbd:
      return kernels::bgnbd_expected_purchases(p[0], p[1], p[2], p[3], 0.0, 0.0, 0.0, t);
    case kernels::ClvLikelihood::kMbgNbd:
      return kernels::mbgnbd_expected_purchases(p[0], p[1], p[2], p[3], 0.0, 0.0, 0.0, t);
    case kernels::ClvLikelihood::kParetoNbd:
      return kernels::pareto_nbd_expected_purchases(p[0], p[1], p[2], p[3], 0.0, 0.0, 0.0, t);
    default:
      CIE_ASSERT(false);
  }
  return 0.0;
}

double units_per_month(int time_unit_days) { return time_unit_days == 7 ? 4.345 : 30.0; }

ClvPredictions predict_clv(Context const& ctx, ClvModel const& model,
                           ClvPredictParams const& params, kernels::ClvRows const& summary) {
  CIE_EXPECTS(std::isfinite(params.horizon) && params.horizon > 0.0, "horizon must be > 0, got {}",
              params.horizon);
  CIE_EXPECTS(params.clv_months >= 1 && params.clv_months <= 1200,
              "clv_months must be in 1..1200, got {}", params.clv_months);
  CIE_EXPECTS(std::isfinite(params.monthly_discount) && params.monthly_discount >= 0.0,
              "discount rate must be >= 0, got {}", params.monthly_discount);
  CIE_EXPECTS(std::isfinite(params.margin) && params.margin >= 0.0, "margin must be >= 0, got {}",
              params.margin);
  CIE_EXPECTS(params.max_purchases >= -1 && params.max_purchases <= 100,
              "max_purchases must be in -1..100, got {}", params.max_purchases);
  kernels::ClvLikelihood const purchases = purchase_likelihood(model.transactions.model);
  CIE_EXPECTS(params.max_purchases < 0 || purchases != kernels::ClvLikelihood::kBgBb ||
                  (params.horizon == std::floor(params.horizon) && params.horizon <= 1e6),
              "P(n purchases) with a bgbb model needs a whole number of future opportunities "
              "as the horizon (at most 1e6), got {}",
              params.horizon);
  CIE_ASSERT(summary.value.size() == summary.size() || (summary.value.empty() && !model.spend));
  std::size_t const n = summary.size();
  auto const column = [n](bool asked) { return std::vector<double>(asked ? n : 0); };
  ClvPredictions out{column(params.outputs.p_alive),
                     column(params.outputs.expected_purchases),
                     column(params.outputs.expected_value),
                     column(params.outputs.clv),
                     {}};
  out.p_purchases.resize(n * static_cast<std::size_t>(params.max_purchases + 1));
  kernels::ClvPredictionSettings settings;
  settings.horizon = params.horizon;
  settings.clv_months = params.clv_months;
  settings.monthly_discount = params.monthly_discount;
  settings.margin = params.margin;
  settings.units_per_month = units_per_month(model.time_unit_days);
  settings.max_purchases = params.max_purchases;
  std::span<double const> const spend =
      model.spend ? std::span<double const>(model.spend->fit.values) : std::span<double const>();
  kernels::clv_predict(
      ctx, purchases, model.transactions.values, spend, settings, summary,
      {out.p_alive, out.expected_purchases, out.expected_value, out.clv, out.p_purchases});
  return out;
}

DataFingerprint fingerprint_summary(kernels::ClvRows const& summary) {
  // fingerprint_matrix of the 4n-float column-major matrix, hashed in chunks as it is converted.
  std::size_t const n = summary.size();
  std::unique_ptr<XXH64_state_t, XXH_errorcode (*)(XXH64_state_t*)> const state(XXH64_createState(),
                                                                                &XXH64_freeState);
  CIE_ASSERT(state != nullptr);
  XXH64_reset(state.get(), n);
  std::array<float, 4096> chunk;
  for (auto const* column : {&summary.frequency, &summary.recency, &summary.age, &summary.value}) {
    for (std::size_t start = 0; start < n; start += chunk.size()) {
      std::size_t const count = std::min(chunk.size(), n - start);
      for (std::size_t i = 0; i < count; ++i) {
        chunk[i] = column->size() == n ? static_cast<float>((*column)[start + i]) : 0.0f;
      }
      XXH64_update(state.get(), chunk.data(), count * sizeof(float));
    }
  }
  return {XXH64_digest(state.get()), n, n == 0 ? 0 : std::size_t{4}};
}

}  // namespace cie
