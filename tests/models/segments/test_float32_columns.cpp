// float32 input columns (RawColumn's float32 views, read in place by the Python package): the
// feature pipeline, the finiteness check, the cluster names and the whole segments training give
// the results of float64 columns holding the same values, bit for bit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/feature_matrix.hpp"
#include "models/features/feature_pipeline.hpp"
#include "models/model_document.hpp"
#include "models/segments/train_segments.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;

/// The same values as float32 columns and as float64 columns (widened exactly).
struct TwinColumns {
  std::vector<std::vector<float>> narrow;
  std::vector<std::vector<double>> wide;

  [[nodiscard]] RawColumns raw(bool float32) const {
    RawColumns raw;
    raw.rows = narrow.front().size();
    for (std::size_t j = 0; j < narrow.size(); ++j) {
      if (float32) {
        raw.columns.emplace_back(narrow[j]);
      } else {
        raw.columns.emplace_back(wide[j]);
      }
    }
    return raw;
  }
};

/// RFM-like columns: skewed, with ties (rounded values) and a few negatives in the amounts.
TwinColumns rfm_like(std::size_t rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<float> recency(0.02F);
  std::poisson_distribution<int> frequency(3.0);
  std::lognormal_distribution<float> amount(4.0F, 1.0F);
  TwinColumns columns;
  columns.narrow.resize(3);
  for (std::size_t i = 0; i < rows; ++i) {
    columns.narrow[0].push_back(std::round(recency(rng)));
    columns.narrow[1].push_back(static_cast<float>(frequency(rng)));
    columns.narrow[2].push_back(i % 97 == 0 ? -12.5F : amount(rng));
  }
  for (auto const& column : columns.narrow) columns.wide.emplace_back(column.begin(), column.end());
  return columns;
}

FeaturePipeline rfm_pipeline() {
  return FeaturePipeline(
      {{"recency_days", ColumnTransform::parse("log1p", "recency_days")},
       {"frequency", ColumnTransform::parse("log1p", "frequency")},
       {"monetary_total", ColumnTransform::parse("floor:0+clip:0.99+log1p", "monetary_total")}},
      true);
}

TEST(Float32Columns, AreViewsThatReadAsTheDoublesTheyEqual) {
  std::vector<float> const values = {1.5F, -0.1F, 3e38F};
  RawColumn const column(values);
  EXPECT_TRUE(column.is_float32());
  EXPECT_EQ(column.size(), 3U);
  EXPECT_EQ(column.data(), static_cast<void const*>(values.data()));
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(column[i], static_cast<double>(values[i]));
  }
  std::vector<double> const wide = {2.0};
  EXPECT_FALSE(RawColumn(wide).is_float32());
  EXPECT_EQ(RawColumn(wide).float64().data(), wide.data());
}

TEST(Float32Columns, FeaturePipelineGivesTheFloat64Results) {
  TwinColumns const columns = rfm_like(5000, 11);
  Context const ctx = Context::cpu(2);
  FeaturePipeline narrow = rfm_pipeline();
  FeaturePipeline wide = rfm_pipeline();
  narrow.fit(ctx, columns.raw(true));
  wide.fit(ctx, columns.raw(false));
  EXPECT_EQ(narrow.to_json().dump(), wide.to_json().dump());
  std::vector<float> const a = narrow.apply(ctx, columns.raw(true));
  std::vector<float> const b = wide.apply(ctx, columns.raw(false));
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

TEST(Float32Columns, NonFiniteValuesAreRefusedNamingColumnAndRow) {
  for (float const bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    TwinColumns columns = rfm_like(50, 2);
    columns.narrow[1][17] = bad;
    RawColumns const raw = columns.raw(true);
    std::vector<std::string> const names = {"recency_days", "frequency", "monetary_total"};
    try {
      check_finite_columns(raw, names);
      ADD_FAILURE() << "no error";
    } catch (Error const& e) {
      EXPECT_EQ(e.code(), ExitCode::kInputData);
      EXPECT_THAT(e.what(), HasSubstr("column frequency, row 18:"));
      EXPECT_THAT(e.what(), HasSubstr(std::isnan(bad) ? "NaN" : "Inf"));
    }
  }
}

TEST(Float32Columns, SegmentsTrainingWritesTheFloat64ModelFile) {
  TwinColumns const columns = rfm_like(3000, 5);
  SegmentTrainingParams params;
  params.kmeans.n_clusters = 4;
  params.kmeans.seed = 9;
  params.metrics.silhouette_exact_limit = 1000;
  params.metrics.silhouette_sample_size = 1000;
  Context const ctx = Context::cpu(2);
  TrainedSegments const narrow = train_segments(ctx, rfm_pipeline(), params, columns.raw(true));
  TrainedSegments const wide = train_segments(ctx, rfm_pipeline(), params, columns.raw(false));
  EXPECT_EQ(narrow.result.labels, wide.result.labels);
  EXPECT_EQ(narrow.result.inertia, wide.result.inertia);
  EXPECT_EQ(narrow.model.names(), wide.model.names());
  // The whole file: pipeline, centroids, names (from the columns' ranks), metrics, fingerprint.
  ModelDocument a = narrow.document;
  ModelDocument b = wide.document;
  a.created_utc = b.created_utc = "2026-01-01T00:00:00Z";
  EXPECT_EQ(model_file_text(a), model_file_text(b));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
