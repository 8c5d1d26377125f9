// Borrowed numeric columns (TableColumn::borrowed: the Python classifiers' X read in place,
// float64 or float32, NaN where missing): the tabular encoder, missing_count, select_rows and the
// logistic training give the results of owned columns holding the same values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/customer_table.hpp"
#include "core/error.hpp"
#include "models/features/tabular_encoder.hpp"
#include "models/model_document.hpp"
#include "models/propensity/propensity.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Columns of float32-exact values (some NaN) kept as float32, float64 and an owned table.
struct Values {
  std::vector<std::vector<float>> narrow;
  std::vector<std::vector<double>> wide;
  std::size_t rows = 0;

  [[nodiscard]] CustomerTable table(int kind) const {  // 0 owned, 1 float64, 2 float32
    CustomerTable table;
    table.source = "X";
    table.ids.resize(rows);
    for (std::size_t i = 0; i < rows; ++i) table.line_numbers.push_back(i + 1);
    for (std::size_t j = 0; j < wide.size(); ++j) {
      TableColumn column;
      column.name = "x" + std::to_string(j);
      if (kind == 0) {
        for (double const value : wide[j]) {
          column.numbers.push_back(std::isnan(value) ? 0.0 : value);
          column.missing.push_back(std::isnan(value) ? 1 : 0);
        }
      } else {
        column.is_borrowed = true;
        column.borrowed = kind == 1 ? RawColumn(wide[j]) : RawColumn(narrow[j]);
      }
      table.columns.push_back(std::move(column));
    }
    return table;
  }
};

Values values(std::size_t rows, bool with_missing) {
  std::mt19937_64 rng(21);
  std::normal_distribution<float> normal(3.0F, 2.0F);
  Values v;
  v.rows = rows;
  v.narrow.resize(3);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      float value = std::abs(normal(rng));
      if (with_missing && j == 1 && i % 7 == 3) value = std::numeric_limits<float>::quiet_NaN();
      v.narrow[j].push_back(value);
    }
  }
  for (auto const& column : v.narrow) v.wide.emplace_back(column.begin(), column.end());
  return v;
}

std::vector<EncodedColumnSpec> specs(MissingPolicy missing) {
  std::vector<EncodedColumnSpec> out;
  for (std::size_t j = 0; j < 3; ++j) {
    EncodedColumnSpec spec;
    spec.name = "x" + std::to_string(j);
    spec.type = ColumnType::kNumeric;
    spec.transform = ColumnTransform::parse(j == 2 ? "clip:0.95+log1p" : "none", spec.name);
    spec.missing = missing;
    out.push_back(spec);
  }
  return out;
}

TEST(BorrowedColumns, EncoderGivesTheOwnedColumnsMatrix) {
  Values const v = values(2000, true);
  Context const ctx = Context::cpu(2);
  TabularEncoder owned(specs(MissingPolicy::kMeanImpute));
  owned.fit(ctx, v.table(0));
  std::vector<float> const expected = owned.apply(ctx, v.table(0));
  for (int kind : {1, 2}) {
    CustomerTable const table = v.table(kind);
    EXPECT_EQ(table.columns[1].missing_count(), v.table(0).columns[1].missing_count());
    TabularEncoder borrowed(specs(MissingPolicy::kMeanImpute));
    borrowed.fit(ctx, table);
    EXPECT_EQ(borrowed.to_json().dump(), owned.to_json().dump());  // with x1__missing
    std::vector<float> const got = borrowed.apply(ctx, table);
    ASSERT_EQ(got.size(), expected.size());
    EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.size() * sizeof(float)), 0);
  }
}

TEST(BorrowedColumns, MissingValuesAreRefusedNamingTheRowUnderTheErrorPolicy) {
  Values const v = values(50, true);
  TabularEncoder encoder(specs(MissingPolicy::kError));
  try {
    encoder.fit(Context::cpu(1), v.table(2));
    ADD_FAILURE() << "no error";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kInputData);
    EXPECT_THAT(e.what(), HasSubstr("x1"));
    EXPECT_THAT(e.what(), HasSubstr(v.table(0).describe_row(3)));
  }
}

TEST(BorrowedColumns, SelectedRowsAreAnOwnedCopy) {
  Values const v = values(30, true);
  std::vector<std::size_t> const rows = {3, 0, 10, 29};
  CustomerTable const owned = select_rows(v.table(0), rows);
  CustomerTable const picked = select_rows(v.table(2), rows);
  for (std::size_t j = 0; j < 3; ++j) {
    EXPECT_FALSE(picked.columns[j].is_borrowed);
    EXPECT_EQ(picked.columns[j].numbers, owned.columns[j].numbers);
    EXPECT_EQ(picked.columns[j].missing, owned.columns[j].missing);
  }
}

TEST(BorrowedColumns, LogisticTrainingWritesTheOwnedColumnsModel) {
  Values const v = values(3000, true);
  std::vector<float> label;
  for (std::size_t i = 0; i < v.rows; ++i) {
    label.push_back(v.wide[0][i] + 0.3 * v.wide[2][i] > 4.0 ? 1.0F : 0.0F);
  }
  PropensityParams params;
  params.model_type = PropensityLearner::kLogistic;
  params.validation_fraction = 0.2;  // select_rows on the borrowed table
  Context const ctx = Context::cpu(2);
  auto const text = [&](int kind) {
    PropensityTraining const trained = train_propensity(
        ctx, v.table(kind), label, specs(MissingPolicy::kMeanImpute), params, "y", "");
    ModelDocument document = trained.model.to_document();
    document.training_data = trained.training_data;
    document.training_metrics = trained.training.to_json();
    document.created_utc = "2026-01-01T00:00:00Z";
    return model_file_text(document);
  };
  std::string const expected = text(0);
  EXPECT_EQ(text(1), expected);
  EXPECT_EQ(text(2), expected);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
