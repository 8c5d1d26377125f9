// LogisticModel's JSON form (models/propensity/logistic.hpp).
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "models/propensity/logistic.hpp"

namespace cie {
namespace {

[[noreturn]] void damaged(std::string const& source, std::string const& why) {
  fail(ExitCode::kUsage, "model file {} has a damaged logistic model: {}", source, why);
}

double finite_number(nlohmann::json const& json, char const* key, std::string const& source) {
  if (!json.contains(key) || !json.at(key).is_number()) {
    damaged(source, std::string("'") + key + "' is missing or not a number");
  }
  double const value = json.at(key).get<double>();
  if (!std::isfinite(value)) damaged(source, std::string("'") + key + "' is not finite");
  return value;
}

}  // namespace

nlohmann::json LogisticModel::to_json() const {
  return {{"coef", coef},
          {"intercept", intercept},
          {"iterations", iterations},
          {"converged", converged},
          {"objective", objective},
          {"gradient_norm", gradient_norm},
          {"log_loss", log_loss},
          {"solver", std::string(to_string(solver_used))},
          {"feature_mean", feature_mean}};
}

LogisticModel LogisticModel::from_json(nlohmann::json const& json, std::string const& source) {
  if (!json.is_object()) damaged(source, "not a JSON object");
  LogisticModel model;
  if (!json.contains("coef") || !json.at("coef").is_array() || json.at("coef").empty()) {
    damaged(source, "'coef' is missing or not a non-empty array");
  }
  for (nlohmann::json const& value : json.at("coef")) {
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      damaged(source, "'coef' holds a value that is not a finite number");
    }
    model.coef.push_back(value.get<double>());
  }
  model.intercept = finite_number(json, "intercept", source);
  model.objective = finite_number(json, "objective", source);
  model.gradient_norm = finite_number(json, "gradient_norm", source);
  model.log_loss = finite_number(json, "log_loss", source);
  if (!json.contains("iterations") || !json.at("iterations").is_number_integer() ||
      json.at("iterations").get<long long>() < 0) {
    damaged(source, "'iterations' is missing or not a non-negative integer");
  }
  model.iterations = json.at("iterations").get<int>();
  if (!json.contains("converged") || !json.at("converged").is_boolean()) {
    damaged(source, "'converged' is missing or not true/false");
  }
  model.converged = json.at("converged").get<bool>();
  if (!json.contains("solver") || !json.at("solver").is_string()) {
    damaged(source, "'solver' is missing or not a string");
  }
  std::string const solver = json.at("solver").get<std::string>();
  if (solver != "lbfgs" && solver != "owlqn" && solver != "newton") {
    damaged(source, "unknown solver '" + solver + "'");
  }
  model.solver_used = parse_solver(solver);
  model.feature_mean.assign(model.coef.size(), 0.0);
  if (json.contains("feature_mean")) {
    nlohmann::json const& mean = json.at("feature_mean");
    if (!mean.is_array() || mean.size() != model.coef.size()) {
      damaged(source, "'feature_mean' is not an array of one number per coefficient");
    }
    for (std::size_t j = 0; j < mean.size(); ++j) {
      if (!mean[j].is_number() || !std::isfinite(mean[j].get<double>())) {
        damaged(source, "'feature_mean' holds a value that is not a finite number");
      }
      model.feature_mean[j] = mean[j].get<double>();
    }
  }
  return model;
}

void logistic_contributions(LogisticModel const& model, FeatureMatrix x, std::span<double> out) {
  std::size_t const width = x.cols + 1;
  CIE_ASSERT(model.coef.size() == x.cols && out.size() == x.rows * width &&
             (model.feature_mean.empty() || model.feature_mean.size() == x.cols));
  auto const mean = [&](std::size_t j) {
    return model.feature_mean.empty() ? 0.0 : model.feature_mean[j];
  };
  double expected = model.intercept;
  for (std::size_t j = 0; j < x.cols; ++j) expected += model.coef[j] * mean(j);
  for (std::size_t i = 0; i < x.rows; ++i) out[i * width + x.cols] = expected;
  for (std::size_t j = 0; j < x.cols; ++j) {
    float const* column = x.column(j);
    for (std::size_t i = 0; i < x.rows; ++i) {
      out[i * width + j] = model.coef[j] * (double{column[i]} - mean(j));
    }
  }
}

}  // namespace cie
