// Feature preparation: transforms, z-score, refusal of NaN/Inf and of log1p's bad domain, and
// the JSON form stored in model files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "models/features/feature_pipeline.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;

/// Columns that own their values, viewed as RawColumns.
struct Columns {
  std::vector<std::vector<double>> values;
  RawColumns raw;
  Columns(std::initializer_list<std::vector<double>> columns) : values(columns) {
    for (auto const& column : values) raw.columns.emplace_back(column);
    raw.rows = values.front().size();
  }
  Columns(Columns const&) = delete;
  Columns& operator=(Columns const&) = delete;
};

FeaturePipeline pipeline_of(std::vector<std::pair<std::string, std::string>> const& specs,
                            bool standardize = true) {
  std::vector<FeatureSpec> features;
  for (auto const& [column, spec] : specs) {
    features.push_back({column, ColumnTransform::parse(spec, column)});
  }
  return FeaturePipeline(std::move(features), standardize);
}

/// The message of the Error that `action` throws, checking its exit code.
template <typename Action>
std::string error_of(Action&& action, ExitCode expected) {
  try {
    action();
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), expected) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return {};
}

TEST(FeaturePipeline, Log1pThenZScoreMatchesHandValues) {
  Context const ctx = Context::cpu(2);
  std::vector<double> const recency = {0.0, std::exp(1.0) - 1.0, std::exp(2.0) - 1.0};
  Columns const data{recency};
  RawColumns const& raw = data.raw;
  FeaturePipeline pipeline = pipeline_of({{"recency_days", "log1p"}});
  pipeline.fit(ctx, raw);
  // log1p gives 0, 1, 2: mean 1, population deviation sqrt(2/3).
  EXPECT_NEAR(pipeline.means()[0], 1.0, 1e-12);
  EXPECT_NEAR(pipeline.scales()[0], std::sqrt(2.0 / 3.0), 1e-12);
  std::vector<float> const x = pipeline.apply(ctx, raw);
  float const z = static_cast<float>(1.0 / std::sqrt(2.0 / 3.0));
  EXPECT_THAT(x,
              ::testing::Pointwise(::testing::FloatNear(1e-6f), std::vector<float>{-z, 0.0f, z}));
}

TEST(FeaturePipeline, ConstantColumnStandardizesToZero) {
  Context const ctx = Context::cpu(2);
  Columns const data{{3.0, 3.0, 3.0}, {1.0, 2.0, 3.0}};
  RawColumns const& raw = data.raw;
  FeaturePipeline pipeline = pipeline_of({{"frequency", "none"}, {"recency_days", "none"}});
  pipeline.fit(ctx, raw);
  EXPECT_EQ(pipeline.scales()[0], 1.0);
  std::vector<float> const x = pipeline.apply(ctx, raw);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[1], 0.0f);
  EXPECT_EQ(x[2], 0.0f);
  EXPECT_FLOAT_EQ(x[5], static_cast<float>(1.0 / std::sqrt(2.0 / 3.0)));
}

TEST(FeaturePipeline, ClipAtTheTrainingQuantileAndFloorBeforeLog1p) {
  Context const ctx = Context::cpu(2);
  FeaturePipeline pipeline =
      pipeline_of({{"monetary_total", "clip:0.5"}, {"net", "floor:0+log1p"}}, false);
  pipeline.fit(ctx, Columns{{1.0, 2.0, 3.0, 4.0, 5.0}, {-5.0, 0.0, 1.0, 3.0, -0.5}}.raw);
  EXPECT_EQ(pipeline.clip_values()[0], 3.0);  // the median of 1..5
  std::vector<float> const x =
      pipeline.apply(ctx, Columns{{100.0, 2.5, 0.0, 3.0, -7.0}, {-5.0, 0.0, 1.0, 3.0, -0.5}}.raw);
  EXPECT_THAT(std::vector<float>(x.begin(), x.begin() + 5),
              ::testing::ElementsAre(3.0f, 2.5f, 0.0f, 3.0f, -7.0f));
  EXPECT_THAT(std::vector<float>(x.begin() + 5, x.end()),
              ::testing::Pointwise(::testing::FloatNear(1e-6f),
                                   std::vector<float>{0.0f, 0.0f, static_cast<float>(std::log(2.0)),
                                                      static_cast<float>(std::log(4.0)), 0.0f}));
}

TEST(FeaturePipeline, ClipQuantileInterpolatesLinearlyAsNumpy) {
  Context const ctx = Context::cpu(2);
  FeaturePipeline pipeline = pipeline_of({{"monetary_total", "clip:0.9"}}, false);
  pipeline.fit(ctx, Columns{{10.0, 1.0, 4.0, 2.0, 3.0}}.raw);
  // numpy.quantile([1, 2, 3, 4, 10], 0.9) = 4 + 0.6 × (10 - 4).
  EXPECT_NEAR(pipeline.clip_values()[0], 7.6, 1e-12);
}

TEST(FeaturePipeline, NaNOrInfIsAnInputErrorNamingColumnAndRow) {
  Context const ctx = Context::cpu(2);
  FeaturePipeline pipeline = pipeline_of({{"recency_days", "none"}, {"monetary_total", "none"}});
  double const nan = std::numeric_limits<double>::quiet_NaN();
  double const inf = std::numeric_limits<double>::infinity();
  std::string message = error_of(
      [&] {
        pipeline.fit(ctx, Columns{{1.0, 2.0, 3.0}, {1.0, nan, nan}}.raw);
      },
      ExitCode::kInputData);
  EXPECT_THAT(message, HasSubstr("column monetary_total, row 2: NaN"));
  pipeline.fit(ctx, Columns{{1.0, 2.0, 3.0}, {1.0, 2.0, 4.0}}.raw);
  Columns data{{1.0, -inf, 3.0}, {1.0, 2.0, 3.0}};
  RawColumns& input = data.raw;
  input.describe_row = [](std::size_t row) { return "rfm.csv:" + std::to_string(row + 2); };
  message = error_of([&] { (void)pipeline.apply(ctx, input); }, ExitCode::kInputData);
  EXPECT_THAT(message, HasSubstr("column recency_days, rfm.csv:3: Inf"));
}

TEST(FeaturePipeline, Log1pOfMinusOneOrLessIsAnInputError) {
  Context const ctx = Context::cpu(2);
  FeaturePipeline pipeline = pipeline_of({{"monetary_total", "log1p"}});
  std::string const message = error_of(
      [&] {
        pipeline.fit(ctx, Columns{{5.0, 0.0, -1.0, -3.0}}.raw);
      },
      ExitCode::kInputData);
  EXPECT_THAT(message, HasSubstr("column monetary_total, row 3: log1p needs values > -1"));
  EXPECT_THAT(message, HasSubstr("floor:0+log1p"));
}

TEST(FeaturePipeline, TransformSpecsParseAndPrintBack) {
  EXPECT_EQ(ColumnTransform::parse("none", "c").to_string(), "none");
  EXPECT_EQ(ColumnTransform::parse("log1p+floor:0", "c").to_string(), "floor:0+log1p");
  EXPECT_EQ(ColumnTransform::parse("clip:0.99+log1p", "c").to_string(), "clip:0.99+log1p");
  for (char const* bad : {"sqrt", "clip:1.5", "clip:0", "floor:x", "log1p+log1p", "", "log1p+"}) {
    std::string const message =
        error_of([&] { (void)ColumnTransform::parse(bad, "frequency"); }, ExitCode::kUsage);
    EXPECT_THAT(message, HasSubstr("frequency")) << bad;
  }
}

TEST(FeaturePipeline, RepeatedColumnIsAUsageError) {
  EXPECT_THAT(error_of(
                  [] {
                    (void)pipeline_of({{"a", "none"}, {"a", "log1p"}});
                  },
                  ExitCode::kUsage),
              HasSubstr("a is listed twice"));
}

TEST(FeaturePipeline, JsonRoundTripAppliesTheSameTransform) {
  Context const ctx = Context::cpu(2);
  Columns const data{{3.0, 40.0, 200.0, 7.0}, {1.0, 1.0, 5.0, 2.0}, {-20.0, 35.5, 900.0, 12.0}};
  RawColumns const& raw = data.raw;
  FeaturePipeline pipeline = pipeline_of(
      {{"recency_days", "log1p"}, {"frequency", "clip:0.75"}, {"monetary_total", "floor:0+log1p"}});
  pipeline.fit(ctx, raw);
  FeaturePipeline const loaded =
      FeaturePipeline::from_json(nlohmann::json::parse(pipeline.to_json().dump()), "m.json");
  EXPECT_EQ(loaded.column_names(), pipeline.column_names());
  EXPECT_EQ(loaded.apply(ctx, raw), pipeline.apply(ctx, raw));
}

TEST(FeaturePipeline, DamagedSchemaIsRefused) {
  Context const ctx = Context::cpu(2);
  FeaturePipeline pipeline = pipeline_of({{"recency_days", "log1p"}});
  pipeline.fit(ctx, Columns{{1.0, 2.0}}.raw);
  nlohmann::json json = pipeline.to_json();
  json["columns"][0]["scale"] = 0.0;
  EXPECT_THAT(error_of([&] { (void)FeaturePipeline::from_json(json, "m.json"); }, ExitCode::kUsage),
              HasSubstr("model file m.json has a damaged feature schema"));
  json["columns"][0].erase("scale");
  EXPECT_THAT(error_of([&] { (void)FeaturePipeline::from_json(json, "m.json"); }, ExitCode::kUsage),
              HasSubstr("'scale'"));
}

TEST(Standardization, OrdinaryDataGivesTheTwoPassBits) {
  std::vector<double> const values = {3.25, -1.5, 1e3, 7.0 / 3.0, 0.1, 42.0};
  double sum = 0.0;
  for (double const x : values) sum += x;
  double const mean = sum / 6.0;
  double squares = 0.0;
  for (double const x : values) squares += (x - mean) * (x - mean);
  Standardization const fitted = fit_standardization(values);
  EXPECT_EQ(fitted.mean, mean);
  EXPECT_EQ(fitted.scale, std::sqrt(squares / 6.0));
}

TEST(Standardization, ValuesNearTheDoubleLimitDoNotOverflow) {
  std::vector<double> const values = {1e308, -1e308, 1.5e308, 0.0};
  Standardization const fitted = fit_standardization(values);
  ASSERT_TRUE(std::isfinite(fitted.mean));
  ASSERT_TRUE(std::isfinite(fitted.scale));
  // Same as the computation on values a power of two smaller, scaled back.
  std::vector<double> small;
  for (double const x : values) small.push_back(std::ldexp(x, -600));
  Standardization const reference = fit_standardization(small);
  EXPECT_EQ(fitted.mean, std::ldexp(reference.mean, 600));
  EXPECT_EQ(fitted.scale, std::ldexp(reference.scale, 600));
  EXPECT_NEAR(fitted.scale / 1e308, std::sqrt((1.0 + 1.0 + 2.25) / 4 - 0.375 * 0.375), 1e-12);
}

TEST(Standardization, AConstantColumnHasScaleOneAndStandardizesToZero) {
  // 0.1 summed ten times is not 10 x 0.1: the mean of a constant column is its value exactly.
  std::vector<double> const values(10, 0.1);
  Standardization const fitted = fit_standardization(values);
  EXPECT_EQ(fitted.mean, 0.1);
  EXPECT_EQ(fitted.scale, 1.0);
  EXPECT_EQ((values[3] - fitted.mean) / fitted.scale, 0.0);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
