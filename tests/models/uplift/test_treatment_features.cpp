// models/uplift/treatment_features.hpp: which columns reveal the treatment (one side's rows all
// hold one value, a missing one included, that the other side never holds, with at least 20 rows
// on that side), and how the default features and named ones are treated.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "core/feature_matrix.hpp"
#include "models/uplift/treatment_features.hpp"

namespace cie::uplift {
namespace CIE_TEST_FILE_ID {

/// A categorical column from values, "" for missing.
TableColumn categorical(std::string name, std::vector<std::string> const& values) {
  TableColumn column;
  column.name = std::move(name);
  column.type = ColumnType::kCategorical;
  for (std::string const& value : values) {
    column.missing.push_back(value.empty() ? 1 : 0);
    if (value.empty()) {
      column.codes.push_back(-1);
      continue;
    }
    auto found = std::find(column.levels.begin(), column.levels.end(), value);
    if (found == column.levels.end()) found = column.levels.insert(found, value);
    column.codes.push_back(static_cast<std::int32_t>(found - column.levels.begin()));
  }
  return column;
}

TableColumn numeric(std::string name, std::vector<double> const& values) {
  TableColumn column;
  column.name = std::move(name);
  column.numbers = values;
  column.missing.assign(values.size(), 0);
  return column;
}

/// 60 rows: groups 0 (control), 1 and 2 in turn, 20 of each.
struct Campaign {
  std::vector<std::int32_t> group;
  CustomerTable table;
};

Campaign campaign() {
  Campaign c;
  std::vector<std::string> region, channel, offer, constant, mixed;
  std::vector<double> spend, contacted;
  for (int row = 0; row < 60; ++row) {
    std::int32_t const g = row % 3;
    c.group.push_back(g);
    c.table.ids.push_back("c" + std::to_string(row));
    region.push_back(row % 4 < 2 ? "a" : "b");
    channel.push_back(g == 0 ? "" : g == 1 ? "mail" : "email");
    offer.push_back(g == 0 ? "none" : "10pct_off");
    constant.push_back("x");
    mixed.push_back(g == 0 ? "" : row % 2 == 0 ? "" : "email");  // missing on both sides
    spend.push_back(10.0 + row);
    contacted.push_back(g == 0 ? 0.0 : 1.0);
  }
  c.table.columns = {categorical("region", region),  categorical("contact_channel", channel),
                     categorical("offer", offer),    categorical("constant", constant),
                     categorical("mixed", mixed),    numeric("spend", spend),
                     numeric("contacted", contacted)};
  return c;
}

TEST(TreatmentFeatures, FindsTheColumnsThatTellTheGroupsApart) {
  Campaign const c = campaign();
  EXPECT_EQ(treatment_revealing_columns(c.table, c.group),
            (std::vector<std::string>{"contact_channel", "offer", "contacted"}));
}

TEST(TreatmentFeatures, BorrowedNumericColumnsAreReadAsOwnedOnes) {
  // The Python package's tables borrow X's columns (NaN where missing, no `numbers`/`missing`).
  Campaign const c = campaign();
  std::vector<double> contacted;
  std::vector<double> spend_with_holes;
  for (std::size_t row = 0; row < c.group.size(); ++row) {
    contacted.push_back(c.group[row] == 0 ? std::nan("") : 1.0);  // missing for the control
    spend_with_holes.push_back(row % 5 == 0 ? std::nan("") : static_cast<double>(row));
  }
  CustomerTable table;
  table.ids = c.table.ids;
  for (auto const& [name, values] :
       {std::pair{"contacted", &contacted}, std::pair{"spend", &spend_with_holes}}) {
    TableColumn column;
    column.name = name;
    column.is_borrowed = true;
    column.borrowed = RawColumn(*values);
    table.columns.push_back(std::move(column));
  }
  EXPECT_EQ(treatment_revealing_columns(table, c.group), (std::vector<std::string>{"contacted"}));
}

TEST(TreatmentFeatures, TheSingleSideNeedsAtLeast20Rows) {
  // The control's offer is "none" in every row and the treated rows hold "x" or "y": the column
  // reveals the control once the control has 20 rows, not with 19 (a tiny side could hold one
  // value by chance).
  for (int const control_rows : {19, 20}) {
    std::vector<std::int32_t> group(static_cast<std::size_t>(control_rows), 0);
    std::vector<std::string> offer(group.size(), "none");
    for (int row = 0; row < 40; ++row) {
      group.push_back(1);
      offer.push_back(row % 2 == 0 ? "x" : "y");
    }
    CustomerTable table;
    table.ids.resize(group.size());
    table.columns = {categorical("offer", offer)};
    EXPECT_EQ(treatment_revealing_columns(table, group).size(), control_rows >= 20 ? 1u : 0u)
        << control_rows;
  }
  // One side empty: nothing to tell apart.
  Campaign const c = campaign();
  std::vector<std::int32_t> const all_treated(c.group.size(), 1);
  EXPECT_TRUE(treatment_revealing_columns(c.table, all_treated).empty());
}

TEST(TreatmentFeatures, DefaultFeaturesLoseThemNamedOnesKeepThem) {
  Campaign const c = campaign();
  Context ctx = Context::cpu(1, 1);
  std::vector<EncodedColumnSpec> specs = TabularEncoder::default_specs(c.table);
  drop_treatment_revealing_features(ctx, c.table, c.group, specs, false);
  std::vector<std::string> names;
  for (EncodedColumnSpec const& spec : specs) names.push_back(spec.name);
  EXPECT_EQ(names, (std::vector<std::string>{"region", "constant", "mixed", "spend"}));
  std::vector<EncodedColumnSpec> named = TabularEncoder::default_specs(c.table);
  drop_treatment_revealing_features(ctx, c.table, c.group, named, true);
  EXPECT_EQ(named.size(), c.table.columns.size());
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::uplift
