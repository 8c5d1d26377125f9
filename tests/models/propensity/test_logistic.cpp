// Logistic regression: optimality and agreement of the solvers, penalties, weights, hard data
// (separable, constant columns), input and parameter errors, determinism, the JSON form, and the
// CUDA twin against the CPU (skipping with the reason where no GPU is usable).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "models/propensity/logistic.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Data {
  std::vector<float> x;  // column-major
  std::vector<float> y;
  std::size_t rows = 0;
  std::size_t cols = 0;
  [[nodiscard]] FeatureMatrix matrix() const { return {x.data(), rows, cols}; }
};

/// Rows from a known logistic model: x ~ N(0, 1), P(y = 1) = σ(xᵀβ − 0.5) with β_j = (−1)^j ·
/// (j + 1) / cols for the first `informative` columns and 0 for the rest.
Data make_data(std::size_t rows, std::size_t cols, std::uint64_t seed, std::size_t informative) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Data d{std::vector<float>(rows * cols), std::vector<float>(rows), rows, cols};
  for (float& v : d.x) v = normal(rng);
  for (std::size_t i = 0; i < rows; ++i) {
    double z = -0.5;
    for (std::size_t j = 0; j < informative; ++j) {
      z += (j % 2 == 0 ? 1.0 : -1.0) * double(j + 1) / double(cols) * d.x[j * rows + i];
    }
    d.y[i] = uniform(rng) < 1.0 / (1.0 + std::exp(-z)) ? 1.0f : 0.0f;
  }
  return d;
}

/// `d` with row i repeated repeat[i] times.
Data repeat_rows(Data const& d, std::vector<int> const& repeat) {
  Data out;
  out.cols = d.cols;
  for (int r : repeat) out.rows += static_cast<std::size_t>(r);
  out.x.resize(out.rows * out.cols);
  std::size_t next = 0;
  for (std::size_t i = 0; i < d.rows; ++i) {
    for (int copy = 0; copy < repeat[i]; ++copy, ++next) {
      for (std::size_t j = 0; j < d.cols; ++j) out.x[j * out.rows + next] = d.x[j * d.rows + i];
      out.y.push_back(d.y[i]);
    }
  }
  return out;
}

LogisticParams tight(Penalty penalty, LogisticSolver solver, double C = 1.0) {
  LogisticParams params;
  params.penalty = penalty;
  params.solver = solver;
  params.C = C;
  params.tol = 1e-10;
  return params;
}

void expect_same_coefficients(LogisticModel const& a, LogisticModel const& b, double tolerance) {
  ASSERT_EQ(a.coef.size(), b.coef.size());
  for (std::size_t j = 0; j < a.coef.size(); ++j) {
    EXPECT_NEAR(a.coef[j], b.coef[j], tolerance) << "coef " << j;
  }
  EXPECT_NEAR(a.intercept, b.intercept, tolerance);
}

void expect_finite(LogisticModel const& model) {
  for (double c : model.coef) EXPECT_TRUE(std::isfinite(c));
  EXPECT_TRUE(std::isfinite(model.intercept));
  EXPECT_TRUE(std::isfinite(model.objective));
  EXPECT_TRUE(std::isfinite(model.log_loss));
  EXPECT_TRUE(std::isfinite(model.gradient_norm));
}

/// ∇f at the model's coefficients, computed directly in double (L2 objective of the header).
std::vector<double> l2_gradient(Data const& d, LogisticModel const& m, double C) {
  std::vector<double> g(d.cols + 1, 0.0);
  for (std::size_t i = 0; i < d.rows; ++i) {
    double z = m.intercept;
    for (std::size_t j = 0; j < d.cols; ++j) z += m.coef[j] * d.x[j * d.rows + i];
    double const r = 1.0 / (1.0 + std::exp(-z)) - d.y[i];
    for (std::size_t j = 0; j < d.cols; ++j) g[j] += r * d.x[j * d.rows + i] / double(d.rows);
    g[d.cols] += r / double(d.rows);
  }
  for (std::size_t j = 0; j < d.cols; ++j) g[j] += m.coef[j] / (C * double(d.rows));
  return g;
}

TEST(Logistic, EverySolverReachesTheSameL2Optimum) {
  Data const d = make_data(3000, 6, 1, 6);
  Context ctx = Context::cpu(2);
  LogisticModel const newton =
      logistic_fit(ctx, tight(Penalty::kL2, LogisticSolver::kNewton), d.matrix(), d.y);
  for (double g : l2_gradient(d, newton, 1.0)) EXPECT_NEAR(g, 0.0, 1e-9);
  EXPECT_TRUE(newton.converged);
  EXPECT_EQ(newton.solver_used, LogisticSolver::kNewton);
  EXPECT_LE(newton.gradient_norm, 1e-10);
  EXPECT_LT(newton.log_loss, newton.objective);  // the penalty is positive
  for (LogisticSolver solver :
       {LogisticSolver::kLbfgs, LogisticSolver::kOwlqn, LogisticSolver::kAuto}) {
    SCOPED_TRACE(std::string(to_string(solver)));
    LogisticModel const model = logistic_fit(ctx, tight(Penalty::kL2, solver), d.matrix(), d.y);
    EXPECT_TRUE(model.converged);
    expect_same_coefficients(model, newton, 1e-6);
    EXPECT_NEAR(model.log_loss, newton.log_loss, 1e-12);
  }
  EXPECT_EQ(
      logistic_fit(ctx, tight(Penalty::kL2, LogisticSolver::kAuto), d.matrix(), d.y).solver_used,
      LogisticSolver::kNewton);
}

TEST(Logistic, NoInterceptKeepsItZero) {
  Data const d = make_data(2000, 4, 2, 4);
  Context ctx = Context::cpu(2);
  LogisticParams params = tight(Penalty::kL2, LogisticSolver::kNewton);
  params.fit_intercept = false;
  LogisticModel const newton = logistic_fit(ctx, params, d.matrix(), d.y);
  params.solver = LogisticSolver::kLbfgs;
  LogisticModel const lbfgs = logistic_fit(ctx, params, d.matrix(), d.y);
  EXPECT_EQ(newton.intercept, 0.0);
  EXPECT_EQ(lbfgs.intercept, 0.0);
  expect_same_coefficients(newton, lbfgs, 1e-6);
}

double l1_norm(LogisticModel const& m) {
  double sum = 0.0;
  for (double c : m.coef) sum += std::abs(c);
  return sum;
}
int zeros(LogisticModel const& m) {
  int count = 0;
  for (double c : m.coef) count += c == 0.0 ? 1 : 0;
  return count;
}

TEST(Logistic, L1GivesExactZerosAndShrinksWithThePenalty) {
  Data const d = make_data(4000, 10, 3, 4);  // columns 4..9 carry no signal
  Context ctx = Context::cpu(2);
  LogisticModel const light =
      logistic_fit(ctx, tight(Penalty::kL1, LogisticSolver::kAuto, 0.05), d.matrix(), d.y);
  LogisticModel const heavy =
      logistic_fit(ctx, tight(Penalty::kL1, LogisticSolver::kOwlqn, 0.005), d.matrix(), d.y);
  EXPECT_EQ(light.solver_used, LogisticSolver::kOwlqn);
  EXPECT_TRUE(light.converged);
  EXPECT_TRUE(heavy.converged);
  EXPECT_GE(zeros(light), 3);
  EXPECT_GT(zeros(heavy), zeros(light));
  EXPECT_LT(l1_norm(heavy), l1_norm(light));
  for (std::size_t j = 0; j < 2; ++j) EXPECT_NE(light.coef[j], 0.0) << "informative coef " << j;
  expect_finite(heavy);
}

TEST(Logistic, ElasticNetLiesBetweenL2AndL1) {
  Data const d = make_data(4000, 10, 4, 4);
  Context ctx = Context::cpu(2);
  double const C = 0.02;
  LogisticModel const l1 =
      logistic_fit(ctx, tight(Penalty::kL1, LogisticSolver::kAuto, C), d.matrix(), d.y);
  LogisticModel const l2 =
      logistic_fit(ctx, tight(Penalty::kL2, LogisticSolver::kAuto, C), d.matrix(), d.y);
  LogisticParams en = tight(Penalty::kElasticNet, LogisticSolver::kAuto, C);
  en.l1_ratio = 0.5;
  LogisticModel const half = logistic_fit(ctx, en, d.matrix(), d.y);
  EXPECT_EQ(zeros(l2), 0);
  EXPECT_LE(zeros(half), zeros(l1));
  EXPECT_GE(zeros(half), zeros(l2));
  EXPECT_GT(zeros(l1), 0);
  // The ends of the l1_ratio range are the pure penalties.
  en.l1_ratio = 1.0;
  expect_same_coefficients(logistic_fit(ctx, en, d.matrix(), d.y), l1, 1e-6);
  en.l1_ratio = 0.0;
  expect_same_coefficients(logistic_fit(ctx, en, d.matrix(), d.y), l2, 1e-6);
}

TEST(Logistic, ClassAndSampleWeightsEqualDuplicatedRows) {
  Data const d = make_data(1500, 5, 5, 5);
  Context ctx = Context::cpu(2);
  LogisticParams params = tight(Penalty::kL2, LogisticSolver::kNewton);
  // Integer sample weights (0 included) against repeated rows.
  std::vector<int> repeat(d.rows);
  std::vector<float> sample_weight(d.rows);
  for (std::size_t i = 0; i < d.rows; ++i) {
    repeat[i] = static_cast<int>(i % 4);
    sample_weight[i] = static_cast<float>(repeat[i]);
  }
  Data const repeated = repeat_rows(d, repeat);
  // The objective is scaled by 1/W, the penalty by 1/(C·W): the same W on both sides.
  expect_same_coefficients(logistic_fit(ctx, params, d.matrix(), d.y, sample_weight),
                           logistic_fit(ctx, params, repeated.matrix(), repeated.y), 1e-6);

  // Class weight 3 on the positives against each positive row three times.
  for (std::size_t i = 0; i < d.rows; ++i) repeat[i] = d.y[i] == 1.0f ? 3 : 1;
  Data const tripled = repeat_rows(d, repeat);
  params.class_weight = {ClassWeight::Kind::kGiven, 1.0, 3.0};
  expect_same_coefficients(
      logistic_fit(ctx, params, d.matrix(), d.y),
      logistic_fit(ctx, tight(Penalty::kL2, LogisticSolver::kNewton), tripled.matrix(), tripled.y),
      1e-6);

  // Balanced: W_total / (2 W_class), by hand.
  double positives = 0.0;
  for (float y : d.y) positives += y;
  double const n = static_cast<double>(d.rows);
  LogisticParams by_hand = tight(Penalty::kL2, LogisticSolver::kNewton);
  by_hand.class_weight = {ClassWeight::Kind::kGiven, n / (2 * (n - positives)),
                          n / (2 * positives)};
  params.class_weight = {ClassWeight::Kind::kBalanced};
  LogisticModel const balanced = logistic_fit(ctx, params, d.matrix(), d.y);
  LogisticModel const given = logistic_fit(ctx, by_hand, d.matrix(), d.y);
  EXPECT_EQ(balanced.coef, given.coef);
  EXPECT_EQ(balanced.intercept, given.intercept);
}

Data separable_data() {
  Data d = make_data(400, 2, 6, 2);
  for (std::size_t i = 0; i < d.rows; ++i)
    d.y[i] = d.x[i] + 0.5f * d.x[d.rows + i] > 0.0f ? 1.0f : 0.0f;
  return d;
}

TEST(Logistic, SeparableDataUnderL2IsFinite) {
  Data const d = separable_data();
  Context ctx = Context::cpu(2);
  for (LogisticSolver solver :
       {LogisticSolver::kNewton, LogisticSolver::kLbfgs, LogisticSolver::kOwlqn}) {
    SCOPED_TRACE(std::string(to_string(solver)));
    LogisticModel const model =
        logistic_fit(ctx, tight(Penalty::kL2, solver, 1e4), d.matrix(), d.y);
    expect_finite(model);
    EXPECT_TRUE(model.converged);
    std::vector<double> probability(d.rows);
    logistic_predict_proba(ctx, model, d.matrix(), probability);
    for (double p : probability) ASSERT_TRUE(p >= 0.0 && p <= 1.0);
  }
}

TEST(Logistic, SeparableDataWithoutPenaltyStopsFiniteAndUnconverged) {
  Data const d = separable_data();
  Context ctx = Context::cpu(2);
  for (LogisticSolver solver :
       {LogisticSolver::kNewton, LogisticSolver::kLbfgs, LogisticSolver::kOwlqn}) {
    SCOPED_TRACE(std::string(to_string(solver)));
    LogisticParams params = tight(Penalty::kNone, solver);
    params.max_iter = 200;
    LogisticModel const model = logistic_fit(ctx, params, d.matrix(), d.y);
    expect_finite(model);
    EXPECT_FALSE(model.converged);
    EXPECT_LT(model.log_loss, 1e-3);
  }
}

TEST(Logistic, ConstantColumn) {
  Data d = make_data(2000, 3, 7, 2);
  std::fill_n(d.x.begin() + 2 * d.rows, d.rows, 5.0f);
  Context ctx = Context::cpu(2);
  LogisticModel const newton =
      logistic_fit(ctx, tight(Penalty::kL2, LogisticSolver::kNewton), d.matrix(), d.y);
  LogisticModel const lbfgs =
      logistic_fit(ctx, tight(Penalty::kL2, LogisticSolver::kLbfgs), d.matrix(), d.y);
  EXPECT_NEAR(newton.coef[2], 0.0, 1e-8);  // the unpenalized intercept absorbs it
  expect_same_coefficients(newton, lbfgs, 1e-6);
  // Without a penalty the constant column and the intercept are interchangeable: any split is
  // an optimum, but it must be finite and fit as well.
  for (LogisticSolver solver : {LogisticSolver::kNewton, LogisticSolver::kLbfgs}) {
    LogisticModel const none = logistic_fit(ctx, tight(Penalty::kNone, solver), d.matrix(), d.y);
    expect_finite(none);
    EXPECT_NEAR(none.log_loss, newton.log_loss, 1e-3);
    EXPECT_NEAR(none.coef[0], newton.coef[0], 1e-2);
  }
}

ExitCode code_of(std::function<void()> const& body, std::string& message) {
  try {
    body();
  } catch (Error const& e) {
    message = e.what();
    return e.code();
  }
  return ExitCode::kSuccess;
}

TEST(Logistic, RejectsBadLabelsWeightsAndNonFiniteFeatures) {
  Data d = make_data(50, 3, 8, 3);
  Context ctx = Context::cpu(1);
  std::string message;
  auto fit = [&](Data const& data, std::span<float const> w = {}) {
    return [&, w] { logistic_fit(ctx, LogisticParams{}, data.matrix(), data.y, w); };
  };
  Data bad = d;
  bad.y[2] = 2.0f;
  EXPECT_EQ(code_of(fit(bad), message), ExitCode::kInputData);
  EXPECT_EQ(message, "label at row 3 is 2; logistic regression needs labels 0 or 1");
  bad.y[2] = std::nanf("");
  EXPECT_EQ(code_of(fit(bad), message), ExitCode::kInputData);
  EXPECT_THAT(message, StartsWith("label at row 3 is nan"));
  bad = d;
  bad.x[1 * d.rows + 3] = std::nanf("");
  EXPECT_EQ(code_of(fit(bad), message), ExitCode::kInputData);
  EXPECT_EQ(message, "column '#2' has NaN at row 4");
  bad = d;
  std::fill(bad.y.begin(), bad.y.end(), 1.0f);
  EXPECT_EQ(code_of(fit(bad), message), ExitCode::kInputData);
  EXPECT_THAT(message, HasSubstr("only class 1"));
  std::vector<float> weight(d.rows, 1.0f);
  weight[4] = -1.0f;
  EXPECT_EQ(code_of(fit(d, weight), message), ExitCode::kInputData);
  EXPECT_EQ(message, "sample weight at row 5 is -1; weights must be finite and >= 0");
  weight.pop_back();
  EXPECT_EQ(code_of(fit(d, weight), message), ExitCode::kUsage);
  EXPECT_EQ(message, "sample_weight must hold one weight per row (50), got 49");
}

TEST(Logistic, ParamsValidationNamesTheField) {
  auto message_for = [](auto change) {
    LogisticParams params;
    change(params);
    std::string message;
    EXPECT_EQ(code_of([&] { params.validate(10, 2); }, message), ExitCode::kUsage);
    return message;
  };
  EXPECT_EQ(message_for([](LogisticParams& p) { p.C = 0.0; }), "C must be finite and > 0, got 0");
  EXPECT_EQ(message_for([](LogisticParams& p) { p.l1_ratio = 1.5; }),
            "l1_ratio must be in [0, 1], got 1.5");
  EXPECT_EQ(message_for([](LogisticParams& p) { p.max_iter = 0; }), "max_iter must be >= 1, got 0");
  EXPECT_EQ(message_for([](LogisticParams& p) { p.tol = 0.0; }),
            "tol must be finite and > 0, got 0");
  EXPECT_EQ(message_for([](LogisticParams& p) { p.memory = 101; }),
            "memory must be in [1, 100], got 101");
  EXPECT_EQ(message_for([](LogisticParams& p) {
              p.class_weight = {ClassWeight::Kind::kGiven, 0.0, 1.0};
            }),
            "class weights must be finite and > 0, got 0 (class 0) and 1 (class 1)");
  EXPECT_EQ(message_for([](LogisticParams& p) {
              p.penalty = Penalty::kL1;
              p.solver = LogisticSolver::kNewton;
            }),
            "solver newton supports penalty l2 or none, not l1; use owlqn or auto");
  LogisticParams none;
  none.penalty = Penalty::kNone;
  none.C = 0.0;  // ignored without a penalty
  EXPECT_NO_THROW(none.validate(10, 2));
}

TEST(Logistic, ParsesAndNamesPenaltiesAndSolvers) {
  for (Penalty p : {Penalty::kNone, Penalty::kL2, Penalty::kL1, Penalty::kElasticNet}) {
    EXPECT_EQ(parse_penalty(to_string(p)), p);
  }
  for (LogisticSolver s : {LogisticSolver::kAuto, LogisticSolver::kLbfgs, LogisticSolver::kOwlqn,
                           LogisticSolver::kNewton}) {
    EXPECT_EQ(parse_solver(to_string(s)), s);
  }
  std::string message;
  EXPECT_EQ(code_of([] { parse_penalty("ridge"); }, message), ExitCode::kUsage);
  EXPECT_EQ(message, "unknown penalty 'ridge'; use none, l2, l1 or elasticnet");
  EXPECT_EQ(code_of([] { parse_solver("sgd"); }, message), ExitCode::kUsage);
  EXPECT_EQ(message, "unknown solver 'sgd'; use auto, lbfgs, owlqn or newton");
}

TEST(Logistic, JsonRoundTripAndDamagedModels) {
  Data const d = make_data(500, 3, 9, 3);
  Context ctx = Context::cpu(1);
  LogisticModel const model = logistic_fit(ctx, LogisticParams{}, d.matrix(), d.y);
  nlohmann::json const json = model.to_json();
  LogisticModel const back = LogisticModel::from_json(nlohmann::json::parse(json.dump()), "m.json");
  EXPECT_EQ(back.coef, model.coef);
  EXPECT_EQ(back.intercept, model.intercept);
  EXPECT_EQ(back.iterations, model.iterations);
  EXPECT_EQ(back.converged, model.converged);
  EXPECT_EQ(back.objective, model.objective);
  EXPECT_EQ(back.gradient_norm, model.gradient_norm);
  EXPECT_EQ(back.log_loss, model.log_loss);
  EXPECT_EQ(back.solver_used, model.solver_used);
  EXPECT_EQ(json.at("solver"), "newton");

  std::string message;
  for (auto damage : std::vector<std::function<void(nlohmann::json&)>>{
           [](nlohmann::json& j) { j.erase("coef"); },
           [](nlohmann::json& j) { j["coef"][0] = "x"; },
           [](nlohmann::json& j) { j["intercept"] = nullptr; },
           [](nlohmann::json& j) { j["converged"] = 1; },
           [](nlohmann::json& j) { j["solver"] = "auto"; },
           [](nlohmann::json& j) { j = nlohmann::json::array(); }}) {
    nlohmann::json broken = json;
    damage(broken);
    EXPECT_EQ(code_of([&] { LogisticModel::from_json(broken, "m.json"); }, message),
              ExitCode::kUsage);
    EXPECT_THAT(message, StartsWith("model file m.json has a damaged logistic model: "));
  }
}

TEST(Logistic, PredictProbaChecksTheShape) {
  Data const d = make_data(300, 3, 10, 3);
  Context ctx = Context::cpu(1);
  LogisticModel model = logistic_fit(ctx, LogisticParams{}, d.matrix(), d.y);
  std::vector<double> probability(d.rows);
  logistic_predict_proba(ctx, model, d.matrix(), probability);
  double z = model.intercept;
  for (std::size_t j = 0; j < d.cols; ++j) z += model.coef[j] * d.x[j * d.rows];
  EXPECT_NEAR(probability[0], 1.0 / (1.0 + std::exp(-z)), 1e-15);
  model.coef.pop_back();
  std::string message;
  EXPECT_EQ(code_of([&] { logistic_predict_proba(ctx, model, d.matrix(), probability); }, message),
            ExitCode::kUsage);
  EXPECT_EQ(message, "the logistic model has 2 coefficients but the data have 3 feature columns");
}

TEST(Logistic, SameBitsWithOneAndTwoThreads) {
  Data const d = make_data(70001, 6, 12, 6);  // several batches
  for (LogisticSolver solver :
       {LogisticSolver::kNewton, LogisticSolver::kLbfgs, LogisticSolver::kOwlqn}) {
    SCOPED_TRACE(std::string(to_string(solver)));
    LogisticParams params =
        tight(solver == LogisticSolver::kOwlqn ? Penalty::kElasticNet : Penalty::kL2, solver);
    LogisticModel const one = logistic_fit(Context::cpu(1), params, d.matrix(), d.y);
    LogisticModel const two = logistic_fit(Context::cpu(2), params, d.matrix(), d.y);
    EXPECT_EQ(one.coef, two.coef);
    EXPECT_EQ(one.intercept, two.intercept);
    EXPECT_EQ(one.iterations, two.iterations);
    EXPECT_EQ(one.log_loss, two.log_loss);
  }
}

class LogisticBackends : public cie::testing::BackendTest {};

TEST_P(LogisticBackends, FitAndScoreAgreeWithTheCpu) {
  Data const d = make_data(50000, 12, 13, 8);
  Context cpu = Context::cpu(2);
  for (LogisticSolver solver :
       {LogisticSolver::kNewton, LogisticSolver::kLbfgs, LogisticSolver::kOwlqn}) {
    SCOPED_TRACE(::testing::Message() << to_string(solver) << ", 50000 x 12, seed 13");
    LogisticParams params =
        tight(solver == LogisticSolver::kOwlqn ? Penalty::kL1 : Penalty::kL2, solver, 0.1);
    LogisticModel const here = logistic_fit(context(), params, d.matrix(), d.y);
    LogisticModel const reference = logistic_fit(cpu, params, d.matrix(), d.y);
    EXPECT_TRUE(here.converged);
    expect_same_coefficients(here, reference, 1e-6);
    EXPECT_NEAR(here.log_loss, reference.log_loss, 1e-10);
    std::vector<double> p_here(d.rows), p_reference(d.rows);
    logistic_predict_proba(context(), here, d.matrix(), p_here);
    logistic_predict_proba(cpu, here, d.matrix(), p_reference);
    for (std::size_t i = 0; i < d.rows; ++i)
      ASSERT_NEAR(p_here[i], p_reference[i], 1e-14) << "row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, LogisticBackends,
                         ::testing::Values(Backend::kCpu, Backend::kCuda),
                         cie::testing::backend_name);

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
