// Keyed hashes of customer ids (core/pseudonymize.hpp): the HMAC-SHA-256 test vectors of RFC
// 4231, the key file rules, and the readers replacing ids while a key is set.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <sys/stat.h>
#include <vector>

#include "core/context.hpp"
#include "core/pseudonymize.hpp"
#include "host/io/customer_table_reader.hpp"
#include "host/io/transactions_reader.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;
using ::testing::Not;

/// A key set for one test, cleared at its end.
class WithKey {
 public:
  explicit WithKey(std::string_view key) { set_pseudonym_key(key); }
  WithKey(WithKey const&) = delete;
  WithKey& operator=(WithKey const&) = delete;
  ~WithKey() { set_pseudonym_key(""); }
};

std::string const kKey = "0123456789abcdef0123456789ABCDEF-key";

TEST(KeyedIdHash, MatchesTheRfc4231TestVectors) {
  // RFC 4231, test cases 1 and 2 (HMAC-SHA-256).
  EXPECT_EQ(keyed_id_hash(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(keyed_id_hash("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(keyed_id_hash(std::string(131, '\xaa'),
                          "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(KeyedIdHash, SameIdSameHashOtherKeyOtherHash) {
  EXPECT_EQ(keyed_id_hash(kKey, "C-1001"), keyed_id_hash(kKey, "C-1001"));
  EXPECT_NE(keyed_id_hash(kKey, "C-1001"), keyed_id_hash(kKey, "C-1002"));
  EXPECT_NE(keyed_id_hash(kKey, "C-1001"), keyed_id_hash(kKey + "x", "C-1001"));
  EXPECT_EQ(keyed_id_hash(kKey, "").size(), 64U);
}

TEST(PseudonymizeIds, ReplacesEveryIdOnlyWhileAKeyIsSet) {
  std::vector<std::string> ids = {"a", "b", "a", std::string(1000, 'z')};
  std::vector<std::string> const original = ids;
  pseudonymize_ids(ids);
  EXPECT_EQ(ids, original);
  EXPECT_FALSE(pseudonymizing_ids());
  std::vector<std::string> many(10007);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = "id" + std::to_string(i);
  std::vector<std::string> const many_original = many;
  {
    WithKey const key(kKey);
    EXPECT_TRUE(pseudonymizing_ids());
    pseudonymize_ids(ids);
    pseudonymize_ids(many);
  }
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], keyed_id_hash(kKey, original[i]));
  for (std::size_t i = 0; i < many.size(); ++i) {
    ASSERT_EQ(many[i], keyed_id_hash(kKey, many_original[i])) << i;
  }
}

class PseudonymKeyFile : public ::testing::Test {
 protected:
  void TearDown() override { set_pseudonym_key(""); }
  std::string write_key(std::string const& name, std::string const& bytes, mode_t mode) {
    std::string const path = dir.file(name);
    testing::spit(path, bytes);
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
  testing::TempDir dir;
};

TEST_F(PseudonymKeyFile, APrivateFileOfEnoughBytesIsTheKeyByteForByte) {
  std::string const key = kKey + "\n";  // the newline is part of the key
  set_pseudonym_key_file(write_key("k", key, 0600));
  std::vector<std::string> ids = {"C-1"};
  pseudonymize_ids(ids);
  EXPECT_EQ(ids[0], keyed_id_hash(key, "C-1"));
  set_pseudonym_key_file(write_key("r", kKey, 0400));
  EXPECT_TRUE(pseudonymizing_ids());
}

TEST_F(PseudonymKeyFile, EveryBrokenRuleIsAUsageErrorThatNeverShowsTheKey) {
  struct Case {
    std::string path;
    std::string fragment;
  };
  std::string const secret = "SECRET-" + std::string(40, 'k');
  std::vector<Case> const cases = {
      {write_key("group", secret, 0640), "may be read by group or others (mode 0640)"},
      {write_key("world", secret, 0604), "may be read by group or others (mode 0604)"},
      {write_key("short", secret.substr(0, 31), 0600), "holds 31 bytes; a key needs at least 32"},
      {write_key("long", std::string(4097, 'k'), 0600), "more than the 4.0 KiB allowed"},
      {dir.path().string(), "it is a directory, not a regular file"},
      {"/dev/zero", "it is a character device"},
      {dir.file("missing"), "No such file or directory"},
  };
  for (Case const& c : cases) {
    SCOPED_TRACE(c.path);
    try {
      set_pseudonym_key_file(c.path);
      ADD_FAILURE() << "no error";
    } catch (Error const& error) {
      EXPECT_EQ(error.code(), ExitCode::kUsage);
      EXPECT_THAT(error.what(), HasSubstr(c.path));
      EXPECT_THAT(error.what(), HasSubstr(c.fragment));
      EXPECT_THAT(error.what(), Not(HasSubstr("SECRET")));
    }
    EXPECT_FALSE(pseudonymizing_ids());
  }
}

TEST(PseudonymizedReaders, TransactionsAndTablesCarryTheHashesSoJoinsStillMatch) {
  WithKey const key(kKey);
  Context const ctx = Context::cpu(2);
  ReadReport report;
  Transactions const t = parse_transactions(
      ctx, "customer_id,date,amount\nann,2024-01-01,5\nbob,2024-01-02,7\nann,2024-01-03,1\n",
      "t.csv", {}, report);
  EXPECT_EQ(t.customer_ids,
            (std::vector<std::string>{keyed_id_hash(kKey, "ann"), keyed_id_hash(kKey, "bob")}));
  EXPECT_EQ(t.customer, (std::vector<std::int32_t>{0, 1, 0}));

  CustomerTableRequest request;
  CustomerTable const table =
      parse_customer_table("customer_id,x\nbob,1\nann,2\n", "c.csv", request);
  EXPECT_EQ(table.ids,
            (std::vector<std::string>{keyed_id_hash(kKey, "bob"), keyed_id_hash(kKey, "ann")}));
  // Duplicates are still found (on the ids as read), and the message names lines, not ids.
  testing::expect_error(
      [&] { (void)parse_customer_table("customer_id,x\nann,1\nann,2\n", "c.csv", request); },
      ExitCode::kInputData, "duplicate customer id (first on line 2)");
  // A table without ids keeps its row numbers: they identify no one.
  request.id_column = "";
  EXPECT_EQ(parse_customer_table("x\n1\n2\n", "c.csv", request).ids,
            (std::vector<std::string>{"1", "2"}));
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
