// PropensityModel::contributions and ::explain: for the logistic model the contributions are
// β_j·(x_j − training mean_j) and sum to the margin; for both learners the reasons are the
// largest |contributions| in order, the same for any batch size, and the expected margin plus
// every contribution is the uncalibrated margin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "host/io/customer_table_reader.hpp"
#include "kernels/linear_rules.hpp"
#include "models/propensity/propensity.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

struct Fixture {
  CustomerTable table;
  std::vector<float> label;
};

/// 400 customers: spend (some missing), region (categorical), visits; responses from spend,
/// region and visits.
Fixture make_fixture() {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::string text = "customer_id,spend,region,visits\n";
  std::vector<float> label;
  char const* regions[] = {"n", "s", "e", "w"};
  for (int i = 0; i < 400; ++i) {
    double const spend = 100.0 * unit(rng);
    int const region = static_cast<int>(unit(rng) * 4);
    text += "c" + std::to_string(i) + "," + (i % 13 == 3 ? "" : std::to_string(spend)) + "," +
            regions[region] + "," + std::to_string(i % 9) + "\n";
    double const z = 0.03 * spend - 1.5 + (region == 2 ? 1.0 : 0.0) - 0.1 * (i % 9);
    label.push_back(unit(rng) < 1.0 / (1.0 + std::exp(-z)) ? 1.0F : 0.0F);
  }
  return {parse_customer_table(text, "customers.csv", {}), std::move(label)};
}

PropensityModel train(Fixture const& f, PropensityLearner learner) {
  PropensityParams params;
  params.model_type = learner;
  params.validation_fraction = 0.0;
  params.gbdt.n_trees = 20;
  params.gbdt.min_data_in_leaf = 5;
  std::vector<EncodedColumnSpec> specs = TabularEncoder::default_specs(f.table);
  if (learner == PropensityLearner::kGbdt) {
    for (EncodedColumnSpec& spec : specs) spec.missing = MissingPolicy::kNative;
  }
  return train_propensity(Context::cpu(2), f.table, f.label, specs, params, "responded", "1").model;
}

/// Margins (log-odds) of the uncalibrated model.
std::vector<double> margins(PropensityModel const& model, CustomerTable const& table) {
  std::vector<double> p = model.predict(Context::cpu(1), table, "model.json");
  for (double& value : p) value = std::log(value / (1.0 - value));
  return p;
}

TEST(PropensityExplain, LogisticContributionsAreCoefficientTimesDeviationFromTheMean) {
  Fixture const f = make_fixture();
  PropensityModel const model = train(f, PropensityLearner::kLogistic);
  LogisticModel const& logistic = model.logistic();
  std::size_t const cols = logistic.coef.size();
  std::vector<float> const x = model.encoder().apply(Context::cpu(1), f.table);
  ASSERT_EQ(logistic.feature_mean.size(), cols);
  for (std::size_t j = 0; j < cols; ++j) {
    double sum = 0.0;
    for (std::size_t i = 0; i < f.table.rows(); ++i) sum += x[j * f.table.rows() + i];
    EXPECT_NEAR(logistic.feature_mean[j], sum / static_cast<double>(f.table.rows()), 1e-9);
  }
  std::vector<double> out(f.table.rows() * (cols + 1));
  model.contributions(Context::cpu(1), {x.data(), f.table.rows(), cols}, out);
  std::vector<double> const margin = margins(model, f.table);
  for (std::size_t i = 0; i < f.table.rows(); ++i) {
    double sum = 0.0;
    for (std::size_t j = 0; j < cols; ++j) {
      double const phi = out[i * (cols + 1) + j];
      EXPECT_DOUBLE_EQ(phi,
                       logistic.coef[j] * (x[j * f.table.rows() + i] - logistic.feature_mean[j]));
      sum += phi;
    }
    sum += out[i * (cols + 1) + cols];
    EXPECT_NEAR(sum, margin[i], 1e-9) << "row " << i;
  }
}

TEST(PropensityExplain, ALogisticModelFileWithoutMeansExplainsAgainstZero) {
  Fixture const f = make_fixture();
  PropensityModel const model = train(f, PropensityLearner::kLogistic);
  nlohmann::json old = model.logistic().to_json();
  old.erase("feature_mean");
  LogisticModel const back = LogisticModel::from_json(old, "old.json");
  EXPECT_EQ(back.feature_mean, std::vector<double>(back.coef.size(), 0.0));
  old["feature_mean"] = {1.0};
  EXPECT_THROW(LogisticModel::from_json(old, "old.json"), Error);
}

TEST(PropensityExplain, ReasonsAreTheLargestContributionsInOrderForAnyBatchSize) {
  Fixture const f = make_fixture();
  for (PropensityLearner const learner : {PropensityLearner::kLogistic, PropensityLearner::kGbdt}) {
    PropensityModel const model = train(f, learner);
    std::size_t const cols = model.encoder().feature_names().size();
    std::vector<float> const x = model.encoder().apply(Context::cpu(1), f.table);
    std::vector<double> all(f.table.rows() * (cols + 1));
    model.contributions(Context::cpu(1), {x.data(), f.table.rows(), cols}, all);
    // All reasons: their sum is the margin.
    PropensityReasons const every = model.explain(Context::cpu(2), f.table, "model.json", 64, cols);
    std::vector<double> const margin = margins(model, f.table);
    for (std::size_t i = 0; i < f.table.rows(); ++i) {
      double sum = every.expected_margin;
      for (std::size_t r = 0; r < cols; ++r) sum += every.contribution[i * cols + r];
      EXPECT_NEAR(sum, margin[i], 1e-9) << "row " << i;
    }
    PropensityReasons const three = model.explain(Context::cpu(3), f.table, "model.json", 1000, 3);
    for (std::size_t const batch : {std::size_t{1}, std::size_t{7}, std::size_t{400}}) {
      PropensityReasons const again =
          model.explain(Context::cpu(1), f.table, "model.json", batch, 3);
      EXPECT_EQ(again.feature, three.feature);
      EXPECT_EQ(again.contribution, three.contribution);
    }
    for (std::size_t i = 0; i < f.table.rows(); ++i) {
      double const* row = all.data() + i * (cols + 1);
      for (std::size_t r = 0; r < 3; ++r) {
        std::int32_t const feature = three.feature[i * 3 + r];
        if (feature < 0) {
          // Fewer than r + 1 features contribute.
          std::size_t nonzero = 0;
          for (std::size_t j = 0; j < cols; ++j) nonzero += row[j] != 0.0 ? 1 : 0;
          EXPECT_EQ(nonzero, r);
          break;
        }
        EXPECT_EQ(three.contribution[i * 3 + r], row[feature]);
        // No feature outside the first r reasons is larger.
        for (std::size_t j = 0; j < cols; ++j) {
          bool taken = false;
          for (std::size_t q = 0; q <= r; ++q)
            taken |= three.feature[i * 3 + q] == static_cast<std::int32_t>(j);
          if (!taken) EXPECT_LE(std::abs(row[j]), std::abs(row[feature])) << "row " << i;
        }
      }
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
