// PropensityModel::score: batch by batch through the scoring pipeline, it gives exactly what
// encoding the whole table, logistic_predict_proba and the calibrator give; it reports each batch
// once, in order, in table rows, and resumes from a row without touching the rows before it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "host/io/customer_table_reader.hpp"
#include "models/propensity/propensity.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using Range = std::pair<std::size_t, std::size_t>;

/// 300 customers: spend (some missing), region (categorical, some missing), visits; responses
/// drawn from a logistic model of spend and region.
struct ScoringFixture {
  CustomerTable table;
  std::vector<float> label;
};

ScoringFixture make_scoring_fixture() {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::string text = "customer_id,spend,region,visits\n";
  std::vector<float> label;
  char const* regions[] = {"n", "s", "e", "w"};
  for (int i = 0; i < 300; ++i) {
    double const spend = 100.0 * unit(rng);
    int const region = static_cast<int>(unit(rng) * 4);
    bool const spend_missing = i % 17 == 3;
    text += "c" + std::to_string(i) + "," + (spend_missing ? "" : std::to_string(spend)) + "," +
            (i % 23 == 5 ? "" : regions[region]) + "," + std::to_string(i % 9) + "\n";
    double const z = 0.03 * spend - 1.5 + (region == 2 ? 1.0 : 0.0);
    label.push_back(unit(rng) < 1.0 / (1.0 + std::exp(-z)) ? 1.0F : 0.0F);
  }
  return {parse_customer_table(text, "customers.csv", {}), std::move(label)};
}

PropensityModel const& trained() {
  static PropensityModel const model = [] {
    ScoringFixture const f = make_scoring_fixture();
    PropensityParams params;
    params.validation_fraction = 0.3;
    params.calibration = Calibrator::Kind::kPlatt;
    return train_propensity(Context::cpu(2), f.table, f.label,
                            TabularEncoder::default_specs(f.table), params, "responded", "1")
        .model;
  }();
  return model;
}

/// Encode the whole table, predict, calibrate: the unbatched reference.
std::vector<double> reference(PropensityModel const& model, CustomerTable const& table) {
  Context const ctx = Context::cpu(1);
  std::vector<float> const x = model.encoder().apply(ctx, table);
  std::vector<double> probability(table.rows());
  logistic_predict_proba(ctx, model.logistic(),
                         {x.data(), table.rows(), model.encoder().feature_names().size()},
                         probability);
  model.calibrator().apply(probability);
  return probability;
}

TEST(PropensityScoring, BatchedScoresEqualTheUnbatchedReferenceBitForBit) {
  PropensityModel const& model = trained();
  ASSERT_EQ(model.calibrator().kind(), Calibrator::Kind::kPlatt);
  CustomerTable const table = make_scoring_fixture().table;
  std::vector<double> const expected = reference(model, table);
  Context const ctx = Context::cpu(3);
  for (std::size_t const batch_rows : {std::size_t{1}, std::size_t{7}, std::size_t{100},
                                       std::size_t{300}, std::size_t{301}, std::size_t{1} << 20}) {
    std::vector<double> probability(table.rows(), -1.0);
    std::vector<Range> done;
    model.score(ctx, table, "m.json", batch_rows, probability,
                [&](std::size_t begin, std::size_t end) { done.emplace_back(begin, end); });
    EXPECT_EQ(std::memcmp(probability.data(), expected.data(), expected.size() * sizeof(double)), 0)
        << "batch_rows " << batch_rows;
    std::size_t const batches = (table.rows() + batch_rows - 1) / batch_rows;
    ASSERT_EQ(done.size(), batches) << "batch_rows " << batch_rows;
    for (std::size_t k = 0; k < batches; ++k) {
      EXPECT_EQ(done[k], Range(k * batch_rows, std::min(table.rows(), (k + 1) * batch_rows)));
    }
  }
  EXPECT_EQ(model.predict(ctx, table, "m.json", 64), expected);
}

TEST(PropensityScoring, ResumesFromARowLeavingTheRowsBeforeItAlone) {
  PropensityModel const& model = trained();
  CustomerTable const table = make_scoring_fixture().table;
  std::vector<double> const expected = reference(model, table);
  std::vector<double> probability(table.rows(), -1.0);
  std::vector<Range> done;
  model.score(
      Context::cpu(2), table, "m.json", 50, probability,
      [&](std::size_t begin, std::size_t end) { done.emplace_back(begin, end); }, 130);
  EXPECT_EQ(done, (std::vector<Range>{{130, 180}, {180, 230}, {230, 280}, {280, 300}}));
  for (std::size_t i = 0; i < table.rows(); ++i) {
    EXPECT_EQ(probability[i], i < 130 ? -1.0 : expected[i]) << "row " << i;
  }
}

TEST(PropensityScoring, ATableThatDoesNotFitTheModelNamesTheModelFile) {
  CustomerTable table = make_scoring_fixture().table;
  (void)table.take("region");
  std::vector<double> probability(table.rows());
  try {
    trained().score(Context::cpu(1), table, "m.json", 10, probability);
    ADD_FAILURE() << "no error";
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kUsage);
    EXPECT_THAT(error.what(), ::testing::HasSubstr("model file m.json"));
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
