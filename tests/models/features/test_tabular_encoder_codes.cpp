// TabularEncoder's level_codes encoding (native categorical splits): one feature per categorical
// column holding the level's index, NaN for missing, unseen and dropped levels, the same after
// a JSON round trip; the indexes of the code features.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "host/io/customer_table_reader.hpp"
#include "models/features/tabular_encoder.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::ElementsAre;

CustomerTable codes_table_of(std::string_view text) {
  return parse_customer_table(text, "t.csv", {});
}

std::vector<EncodedColumnSpec> code_specs(CustomerTable const& table, int max_levels) {
  std::vector<EncodedColumnSpec> specs = TabularEncoder::default_specs(table);
  for (EncodedColumnSpec& spec : specs) {
    spec.level_codes = spec.type == ColumnType::kCategorical;
    spec.max_levels = max_levels;
  }
  return specs;
}

TEST(TabularEncoderCodes, OneFeaturePerColumnWithNaNForMissingUnseenAndDroppedLevels) {
  Context const ctx = Context::cpu(2);
  CustomerTable const training = codes_table_of(
      "customer_id,region,spend,tier\na,n,1,x\nb,s,2,y\nc,n,3,x\nd,e,4,z\ne,n,5,x\n"
      "f,s,6,y\n");
  TabularEncoder encoder(code_specs(training, 2));
  encoder.fit(ctx, training);
  // spend has no missing value in training: no indicator.
  EXPECT_THAT(encoder.feature_names(), ElementsAre("region", "spend", "tier"));
  EXPECT_THAT(encoder.level_code_features(), ElementsAre(0, 2));
  CustomerTable const scoring =
      codes_table_of("customer_id,region,spend,tier\nx,s,1,x\ny,,2,y\nz,e,3,q\nw,n,4,z\n");
  std::vector<float> const m = encoder.apply(ctx, scoring);
  // region levels by count: n (3), s (2); e beyond max_levels 2.
  EXPECT_EQ(m[0], 1.0f);
  EXPECT_TRUE(std::isnan(m[1]));  // missing
  EXPECT_TRUE(std::isnan(m[2]));  // e: dropped by max_levels
  EXPECT_EQ(m[3], 0.0f);
  float const* tier = m.data() + 2 * 4;
  EXPECT_EQ(tier[0], 0.0f);
  EXPECT_EQ(tier[1], 1.0f);
  EXPECT_TRUE(std::isnan(tier[2]));  // q: never seen
  EXPECT_TRUE(std::isnan(tier[3]));  // z: dropped

  TabularEncoder const back = TabularEncoder::from_json(encoder.to_json(), "m.json");
  EXPECT_EQ(back.to_json(), encoder.to_json());
  EXPECT_EQ(encoder.to_json()["columns"][0]["encoding"], "codes");
  std::vector<float> const again = back.apply(ctx, scoring);
  ASSERT_EQ(again.size(), m.size());
  for (std::size_t i = 0; i < m.size(); ++i) {
    EXPECT_TRUE(again[i] == m[i] || (std::isnan(again[i]) && std::isnan(m[i]))) << i;
  }
  nlohmann::json damaged = encoder.to_json();
  damaged["columns"][0]["encoding"] = "binary";
  EXPECT_THROW(TabularEncoder::from_json(damaged, "m.json"), Error);
}

TEST(TabularEncoderCodes, AtMost255Levels) {
  CustomerTable const table = codes_table_of("customer_id,c\n1,a\n");
  EXPECT_THROW(TabularEncoder(code_specs(table, 256)), Error);
  EXPECT_NO_THROW(TabularEncoder(code_specs(table, 255)));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
