// The nightly configuration as read (host/pipeline/nightly_config.hpp): keys named like the
// command-line options, old names refused with the new one, every unknown key reported at once in
// file order with a did-you-mean, each stage configured from its own section.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "core/toml_support.hpp"
#include "host/pipeline/nightly_config.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using cie::testing::spit;
using ::testing::HasSubstr;

class NightlyConfigTest : public ::testing::Test {
 protected:
  NightlyConfigTest() {
    spit(dir_.file("tx.csv"), "customer_id,date,amount\n");
    spit(dir_.file("attributes.csv"), "id,age\n");
    spit(dir_.file("model.json"), "{}");
  }
  /// Parses `text` as the file dir/nightly.toml.
  NightlyConfig parse(std::string const& text) const {
    return parse_nightly_config(text, dir_.file("nightly.toml"));
  }
  /// The usage error `text` gives (it must give one).
  std::string error_of(std::string const& text) const {
    try {
      (void)parse(text);
    } catch (Error const& error) {
      EXPECT_EQ(error.code(), ExitCode::kUsage) << error.what();
      return error.what();
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return "";
  }

  cie::testing::TempDir dir_;
  std::string const minimal_ =
      "[inputs]\ntransactions = \"tx.csv\"\n[output]\ndirectory = \"out\"\n";
};

TEST_F(NightlyConfigTest, ReaderKeysAreNamedLikeTheCommandLineOptions) {
  NightlyConfig const config = parse(
      "[inputs]\ntransactions = \"tx.csv\"\ndelimiter = \"semicolon\"\nno_header = true\n"
      "id_col = \"CustomerID\"\ndate_col = \"InvoiceDate\"\ndate_format = \"%m/%d/%Y %H:%M\"\n"
      "quantity_col = \"Quantity\"\nprice_col = \"UnitPrice\"\norder_col = \"InvoiceNo\"\n"
      "cancel_prefix = \"C\"\nreturns = \"exclude\"\nattributes = \"attributes.csv\"\n"
      "attributes_id_col = \"id\"\nattributes_delimiter = \"tab\"\n"
      "[output]\ndirectory = \"out\"\n");
  TransactionsFormat const& format = config.transactions_format;
  EXPECT_EQ(format.delimiter, ';');
  EXPECT_FALSE(format.has_header);
  EXPECT_EQ(format.id_column, "CustomerID");
  EXPECT_EQ(format.date_column, "InvoiceDate");
  EXPECT_EQ(format.date_format, "%m/%d/%Y %H:%M");
  EXPECT_EQ(format.quantity_column, "Quantity");
  EXPECT_EQ(format.price_column, "UnitPrice");
  EXPECT_EQ(format.order_column, "InvoiceNo");
  EXPECT_EQ(format.cancel_prefix, "C");
  EXPECT_EQ(format.returns, ReturnsPolicy::kExclude);
  EXPECT_EQ(config.attributes_id_column, "id");
  EXPECT_EQ(config.attributes_delimiter, '\t');
}

TEST_F(NightlyConfigTest, OldKeyNamesAreRefusedWithTheNewName) {
  for (auto const& [old_name, new_name] : std::vector<std::pair<std::string, std::string>>{
           {"id_column", "id_col"},
           {"date_column", "date_col"},
           {"amount_column", "amount_col"},
           {"order_column", "order_col"},
           {"attributes_id_column", "attributes_id_col"}}) {
    std::string const message = error_of("[inputs]\ntransactions = \"tx.csv\"\n" + old_name +
                                         " = \"x\"\n[output]\n"
                                         "directory = \"out\"\n");
    EXPECT_THAT(message, HasSubstr("nightly.toml:3: unknown key '" + old_name + "' in [inputs]"));
    EXPECT_THAT(message, HasSubstr("it is now '" + new_name + "'"));
  }
}

TEST_F(NightlyConfigTest, EveryUnknownKeyIsReportedAtOnceInFileOrder) {
  std::string const message = error_of(
      "[run]\nsede = 7\n"  // line 2: a misspelling
      "[inputs]\ntransactions = \"tx.csv\"\n"
      "zebra = 1\n"                              // line 5: nothing close
      "id_column = \"id\"\n"                     // line 6: renamed
      "seed = 3\n"                               // line 7: another section's key
      "[segments]\nretrain = true\nn_int = 2\n"  // line 10: a stage's section
      "[output]\ndirectory = \"out\"\n"
      "[rmf]\n"                                           // line 13: a misspelt section
      "[[propensity]]\nname = \"a\"\nmodell = \"m\"\n");  // line 16
  EXPECT_THAT(message, HasSubstr("nightly.toml: 7 problems:"));
  std::vector<std::string> const expected = {
      "nightly.toml:2: unknown key 'sede' in [run]; did you mean 'seed'?",
      "nightly.toml:5: unknown key 'zebra' in [inputs]\n",
      "nightly.toml:6: unknown key 'id_column' in [inputs]: it is now 'id_col'",
      "nightly.toml:7: unknown key 'seed' in [inputs]; it belongs in [run]",
      "nightly.toml:10: unknown key 'n_int' in [segments]; did you mean 'n_init'?",
      "nightly.toml:13: unknown key 'rmf' in the file; did you mean 'rfm'?",
      "nightly.toml:16: unknown key 'modell' in [[propensity]]; did you mean 'model'?"};
  std::size_t previous = 0;
  for (std::string const& line : expected) {
    std::size_t const at = message.find(line);
    ASSERT_NE(at, std::string::npos) << line << "\nin:\n" << message;
    EXPECT_GE(at, previous) << "out of file order: " << line;
    previous = at;
  }
}

TEST_F(NightlyConfigTest, EachStageIsConfiguredFromItsSection) {
  std::size_t const without = parse(minimal_).stages.size();
  EXPECT_EQ(without, 4u);  // read, rfm, customers, write
  NightlyConfig const config =
      parse(minimal_ +
            "[segments]\nretrain = true\n[[propensity]]\nname = \"a\"\nmodel = "
            "\"model.json\"\n[[propensity]]\nname = \"b\"\nmodel = \"model.json\"\n"
            "[clv]\nmodel = \"model.json\"\n[[uplift]]\nname = \"u\"\nmodel = "
            "\"model.json\"\n");
  EXPECT_EQ(config.stages.size(), without + 5);
  ASSERT_EQ(config.stage_outputs.size(), 1u);
  EXPECT_EQ(config.stage_outputs[0].path, "segments_model.json");
  EXPECT_THAT(error_of(minimal_ + "[clv]\nmargin = -1\nmodel = \"model.json\"\n"),
              HasSubstr("[clv] margin must be >= 0"));
  EXPECT_THAT(error_of(minimal_ + "[rfm]\nscore_bins = 1\n"), HasSubstr("[rfm]"));
}

TEST(TomlSupport, ClosestNameAllowsFewEditsOnly) {
  EXPECT_EQ(edit_distance("seed", "sede"), 1u);  // a swap of neighbours is one edit
  EXPECT_EQ(edit_distance("n_int", "n_init"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(closest_name("treads", {"seed", "threads"}), "threads");
  EXPECT_EQ(closest_name("zebra", {"seed", "threads"}), "");
  EXPECT_EQ(closest_name("ab", {"ac"}), "");  // one edit is half of two characters: too far
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
