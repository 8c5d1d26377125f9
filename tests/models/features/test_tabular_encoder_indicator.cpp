// Missing-value indicators (models/features/tabular_encoder.hpp): NAME__missing only for a
// mean-imputed column that had missing values in training; a value missing at scoring time in a
// column without one is imputed with the training mean; the model file says which columns have
// one, and a model file from before that field reads as "every mean-imputed column has one".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "host/io/customer_table_reader.hpp"
#include "models/features/tabular_encoder.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::ElementsAre;

CustomerTable table_of(std::string_view text) { return parse_customer_table(text, "t.csv", {}); }

TEST(TabularEncoderIndicator, OnlyColumnsWithMissingTrainingValuesGetOne) {
  Context const ctx = Context::cpu(1);
  CustomerTable const training =
      table_of("customer_id,full,gappy,region\na,1,,n\nb,2,5,s\nc,3,7,n\nd,6,9,s\n");
  TabularEncoder encoder(TabularEncoder::default_specs(training));
  encoder.fit(ctx, training);
  EXPECT_THAT(encoder.feature_names(), ElementsAre("full", "gappy", "gappy__missing", "region=n",
                                                   "region=s", "region=<other>"));
  // Scoring: full is missing in row y (no indicator: the training mean, standardized 0).
  CustomerTable const scoring = table_of("customer_id,full,gappy,region\nx,5,,n\ny,,5,s\n");
  std::vector<float> const m = encoder.apply(ctx, scoring);
  ASSERT_EQ(m.size(), 2u * 6u);
  EXPECT_FLOAT_EQ(m[1], 0.0F);  // full, row y: the mean
  EXPECT_GT(m[0], 0.0F);        // full, row x: 5 is above the mean 3
  EXPECT_FLOAT_EQ(m[2], 0.0F);  // gappy, row x: the mean
  EXPECT_FLOAT_EQ(m[4], 1.0F);  // gappy__missing, row x
  EXPECT_FLOAT_EQ(m[5], 0.0F);  // gappy__missing, row y

  nlohmann::json const json = encoder.to_json();
  EXPECT_EQ(json["columns"][0]["indicator"], false);
  EXPECT_EQ(json["columns"][1]["indicator"], true);
  TabularEncoder const back = TabularEncoder::from_json(json, "m.json");
  EXPECT_EQ(back.feature_names(), encoder.feature_names());
  EXPECT_EQ(back.apply(ctx, scoring), m);
}

TEST(TabularEncoderIndicator, AModelFileWithoutTheFieldKeepsEveryIndicator) {
  Context const ctx = Context::cpu(1);
  CustomerTable const training = table_of("customer_id,full\na,1\nb,2\nc,4\n");
  TabularEncoder encoder(TabularEncoder::default_specs(training));
  encoder.fit(ctx, training);
  nlohmann::json old = encoder.to_json();
  old["columns"][0].erase("indicator");
  EXPECT_THROW(TabularEncoder::from_json(old, "old.json"), Error);  // features list: [full]
  old["features"] = {"full", "full__missing"};
  TabularEncoder const back = TabularEncoder::from_json(old, "old.json");
  EXPECT_THAT(back.feature_names(), ElementsAre("full", "full__missing"));
  nlohmann::json bad = encoder.to_json();
  bad["columns"][0]["indicator"] = "yes";
  cie::testing::expect_error([&] { TabularEncoder::from_json(bad, "bad.json"); }, ExitCode::kUsage,
                             "'indicator' must be a boolean");
}

TEST(TabularEncoderIndicator, OtherPoliciesNeverHaveOne) {
  Context const ctx = Context::cpu(1);
  CustomerTable const training = table_of("customer_id,v\na,1\nb,\nc,4\n");
  std::vector<EncodedColumnSpec> specs = TabularEncoder::default_specs(training);
  specs[0].missing = MissingPolicy::kNative;
  TabularEncoder native(specs);
  native.fit(ctx, training);
  EXPECT_THAT(native.feature_names(), ElementsAre("v"));
  EXPECT_FALSE(native.to_json()["columns"][0].contains("indicator"));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
