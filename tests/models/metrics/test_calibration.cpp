// Calibrator: Platt scaling recovers a known logistic calibration map, isotonic regression equals
// the max-min closed form of the least-squares monotone fit, interpolation and clamping, model
// file round trips and their errors, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "models/metrics/classification_metrics.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::expect_error;

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

TEST(PlattCalibration, RecoversAKnownCalibrationMap) {
  // Scores p = σ(f), f ~ N(0, 1.5²); labels drawn with probability σ(a·f + b). With 200,000 rows
  // the maximum-likelihood estimates are within about 0.01 of (a, b) (standard errors ~ 0.005),
  // and Platt's smoothed targets move them by O(1/n).
  for (auto const [a, b, seed] : {std::tuple{1.7, -0.6, 7u}, std::tuple{0.5, 0.8, 8u}}) {
    std::mt19937_64 engine(seed);
    std::normal_distribution<double> logit(0.0, 1.5);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<double> score;
    std::vector<float> label;
    for (int i = 0; i < 200'000; ++i) {
      double const f = logit(engine);
      score.push_back(sigmoid(f));
      label.push_back(uniform(engine) < sigmoid(a * f + b) ? 1.0F : 0.0F);
    }
    Calibrator const calibrator = Calibrator::fit(Calibrator::Kind::kPlatt, score, label);
    ASSERT_EQ(calibrator.kind(), Calibrator::Kind::kPlatt);
    nlohmann::json const json = calibrator.to_json();
    EXPECT_NEAR(json["a"].get<double>(), a, 0.03) << "seed " << seed;
    EXPECT_NEAR(json["b"].get<double>(), b, 0.03) << "seed " << seed;
    std::vector<double> calibrated{0.1, 0.5, 0.9};
    calibrator.apply(calibrated);
    EXPECT_NEAR(calibrated[1], sigmoid(b), 0.01);
    EXPECT_NEAR(calibrated[2], sigmoid(a * std::log(9.0) + b), 0.01);
  }
}

TEST(PlattCalibration, FitsAStationaryPointOfTheSmoothedLikelihood) {
  // The gradient of Σ −t log q − (1 − t) log(1 − q), q = σ(a·logit(p) + b), with Platt's targets,
  // computed here directly, vanishes at the fitted (a, b).
  std::vector<double> const score{0.05, 0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7, 0.8, 0.95, 0.97};
  std::vector<float> const label{0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0};
  Calibrator const calibrator = Calibrator::fit(Calibrator::Kind::kPlatt, score, label);
  double const a = calibrator.to_json()["a"].get<double>();
  double const b = calibrator.to_json()["b"].get<double>();
  double const positive_target = (5.0 + 1.0) / (5.0 + 2.0);
  double const negative_target = 1.0 / (6.0 + 2.0);
  double gradient_a = 0.0, gradient_b = 0.0;
  for (std::size_t i = 0; i < score.size(); ++i) {
    double const f = std::log(score[i] / (1.0 - score[i]));
    double const residual =
        sigmoid(a * f + b) - (label[i] == 1.0F ? positive_target : negative_target);
    gradient_a += residual * f;
    gradient_b += residual;
  }
  EXPECT_NEAR(gradient_a, 0.0, 1e-8);
  EXPECT_NEAR(gradient_b, 0.0, 1e-8);
}

TEST(PlattCalibration, CertainScoresStayFinite) {
  std::vector<double> const score{0.0, 0.0, 1.0, 1.0, 0.5};
  std::vector<float> const label{0, 1, 1, 0, 1};
  Calibrator const calibrator = Calibrator::fit(Calibrator::Kind::kPlatt, score, label);
  std::vector<double> calibrated = score;
  calibrator.apply(calibrated);
  for (double p : calibrated) EXPECT_TRUE(std::isfinite(p) && p >= 0.0 && p <= 1.0) << p;
}

/// The isotonic (non-decreasing, weighted least-squares) fit by its closed form:
/// ŷ_i = max over j <= i of min over k >= i of the weighted mean of y_j..y_k.
std::vector<double> max_min_isotonic(std::vector<double> const& y, std::vector<double> const& w) {
  std::size_t const n = y.size();
  std::vector<double> fitted(n);
  for (std::size_t i = 0; i < n; ++i) {
    double best = -1e300;
    for (std::size_t j = 0; j <= i; ++j) {
      double lowest = 1e300;
      for (std::size_t k = i; k < n; ++k) {
        double sum = 0.0, weight = 0.0;
        for (std::size_t m = j; m <= k; ++m) {
          sum += w[m] * y[m];
          weight += w[m];
        }
        lowest = std::min(lowest, sum / weight);
      }
      best = std::max(best, lowest);
    }
    fitted[i] = best;
  }
  return fitted;
}

TEST(IsotonicCalibration, EqualsTheClosedFormWithRepeatedScores) {
  // Distinct scores 0.1 .. 0.8; 0.2 appears 3 times and 0.6 twice, so those points weigh 3 and 2.
  std::vector<double> const score{0.6, 0.1, 0.2, 0.2, 0.3, 0.4, 0.2, 0.5, 0.6, 0.7, 0.8};
  std::vector<float> const label{0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1};
  std::vector<double> const x{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
  std::vector<double> const mean_label{1.0, 2.0 / 3.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0};
  std::vector<double> const count{1, 3, 1, 1, 1, 2, 1, 1};
  std::vector<double> const expected = max_min_isotonic(mean_label, count);

  Calibrator const calibrator = Calibrator::fit(Calibrator::Kind::kIsotonic, score, label);
  std::vector<double> fitted = x;
  calibrator.apply(fitted);
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(fitted[i], expected[i], 1e-12) << "x " << x[i];
  }
  // Linear between fitted points, clamped outside [0.1, 0.8].
  std::vector<double> probe{0.0, 0.05, 0.45, 0.55, 0.9, 1.0};
  calibrator.apply(probe);
  EXPECT_NEAR(probe[0], expected.front(), 1e-12);
  EXPECT_NEAR(probe[1], expected.front(), 1e-12);
  EXPECT_NEAR(probe[2], (expected[3] + expected[4]) / 2.0, 1e-12);
  EXPECT_NEAR(probe[3], (expected[4] + expected[5]) / 2.0, 1e-12);
  EXPECT_NEAR(probe[4], expected.back(), 1e-12);
  EXPECT_NEAR(probe[5], expected.back(), 1e-12);
}

TEST(IsotonicCalibration, OutputIsNonDecreasingOnRandomData) {
  std::mt19937_64 engine(21);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> score;
  std::vector<float> label;
  for (int i = 0; i < 5000; ++i) {
    double const p = std::round(uniform(engine) * 300.0) / 300.0;
    score.push_back(p);
    label.push_back(uniform(engine) < p * p ? 1.0F : 0.0F);
  }
  Calibrator const calibrator = Calibrator::fit(Calibrator::Kind::kIsotonic, score, label);
  std::vector<double> grid;
  for (int i = 0; i <= 2000; ++i) grid.push_back(i / 2000.0);
  calibrator.apply(grid);
  for (std::size_t i = 1; i < grid.size(); ++i) EXPECT_LE(grid[i - 1], grid[i]) << "at " << i;
  EXPECT_GE(grid.front(), 0.0);
  EXPECT_LE(grid.back(), 1.0);
}

TEST(Calibrator, JsonRoundTripsExactly) {
  std::vector<double> const score{0.05, 0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7, 0.8, 0.95, 0.97};
  std::vector<float> const label{0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0};
  for (Calibrator::Kind kind :
       {Calibrator::Kind::kNone, Calibrator::Kind::kPlatt, Calibrator::Kind::kIsotonic}) {
    Calibrator const fitted = Calibrator::fit(kind, score, label);
    std::string const file = fitted.to_json().dump();
    Calibrator const loaded = Calibrator::from_json(nlohmann::json::parse(file), "m.json");
    EXPECT_EQ(loaded.kind(), kind);
    std::vector<double> expected{0.0, 0.07, 0.33, 0.61, 0.99, 1.0};
    std::vector<double> actual = expected;
    fitted.apply(expected);
    loaded.apply(actual);
    EXPECT_EQ(actual, expected) << file;
  }
  EXPECT_EQ(Calibrator().to_json(), nlohmann::json({{"kind", "none"}}));
}

TEST(Calibrator, DamagedModelFilesAreUsageErrorsNamingTheFile) {
  for (char const* text :
       {R"([])", R"({"kind": "sigmoid"})", R"({"kind": "platt", "a": 1})",
        R"({"kind": "platt", "a": null, "b": 0})", R"({"kind": "isotonic", "x": [0.1], "y": []})",
        R"({"kind": "isotonic", "x": [0.2, 0.1], "y": [0.1, 0.2]})",
        R"({"kind": "isotonic", "x": [0.1, 0.2], "y": [0.3, 0.2]})",
        R"({"kind": "isotonic", "x": [0.1, 0.2], "y": [0.3, 1.2]})"}) {
    expect_error([&] { Calibrator::from_json(nlohmann::json::parse(text), "m.json"); },
                 ExitCode::kUsage, "model file m.json");
  }
}

TEST(Calibrator, ParsesKindsAndRejectsBadInput) {
  EXPECT_EQ(parse_calibration("none"), Calibrator::Kind::kNone);
  EXPECT_EQ(parse_calibration("platt"), Calibrator::Kind::kPlatt);
  EXPECT_EQ(parse_calibration("isotonic"), Calibrator::Kind::kIsotonic);
  expect_error([] { parse_calibration("sigmoid"); }, ExitCode::kUsage, "sigmoid");

  std::vector<double> const score{0.2, std::nan(""), 0.6};
  std::vector<float> const label{0, 1, 1};
  expect_error([&] { Calibrator::fit(Calibrator::Kind::kPlatt, score, label); },
               ExitCode::kInputData, "row 2 is NaN");
  std::vector<double> const good{0.2, 0.4, 0.6};
  std::vector<float> const one_class{1, 1, 1};
  for (Calibrator::Kind kind : {Calibrator::Kind::kPlatt, Calibrator::Kind::kIsotonic}) {
    expect_error([&] { Calibrator::fit(kind, good, one_class); }, ExitCode::kInputData,
                 "both classes");
  }
  Calibrator const isotonic = Calibrator::fit(Calibrator::Kind::kIsotonic, good, label);
  std::vector<double> to_apply{0.3, 0.5, std::nan("")};
  expect_error([&] { isotonic.apply(to_apply); }, ExitCode::kInputData, "row 3 is NaN");
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
