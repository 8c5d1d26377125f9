// Offer assignment on a CUDA context (kernels/cuda/offers.cu) gives the CPU's assignment: the
// same contacts, value, bound, iterations and passes, on an instance with a pair rule, offer
// volumes and budgets, a channel capacity, the overall budget and a minimum volume (so the dual
// passes, the minimum-volume step's fixed passes and the fill all run on the device). Runs in
// the CUDA emulation build (cuda-emulated); skips with the reason where no GPU is usable.
#include <gtest/gtest.h>

#include <string>

#include "core/date.hpp"
#include "core/random.hpp"
#include "host/io/customer_table_reader.hpp"
#include "models/offers/assignment.hpp"
#include "tests/test_support.hpp"

namespace cie::offers {
namespace CIE_TEST_FILE_ID {

struct Instance {
  CustomerTable table;
  Catalog catalog;
};

Instance pair_rule_instance(int customers, int offers, std::uint64_t seed) {
  std::string toml =
      fmt::format("seed = {}\nmax_contacts_per_run = 2\nbudget = {}\n", seed, customers * 0.08);
  toml += "[[channel]]\nname = \"email\"\n";
  toml += fmt::format("[[channel]]\nname = \"sms\"\ncapacity = {}\n", customers / 10);
  toml += "[[pair]]\noffers = [\"o0\", \"o1\"]\n";
  for (int o = 0; o < offers; ++o) {
    toml += fmt::format(
        "[[offer]]\nname = \"o{}\"\nchannel = \"{}\"\ncost = {}\nresponse_column = \"p{}\"\n"
        "value = {}\nmax_volume = {}\nbudget = {}\ncontrol_share = 0.05\n",
        o, o % 3 == 2 ? "sms" : "email", 0.05 + 0.02 * o, o, 5.0 + o, customers / (2 + o % 4),
        customers * 0.01 * (1 + o % 3));
    if (o == 3) toml += fmt::format("min_volume = {}\n", customers * 8 / 90);
  }
  std::string text = "customer_id";
  for (int o = 0; o < offers; ++o) text += fmt::format(",p{}", o);
  text += "\n";
  for (int i = 0; i < customers; ++i) {
    Random random(seed, static_cast<std::uint64_t>(i));
    text += fmt::format("c{}", i);
    for (int o = 0; o < offers; ++o) text += fmt::format(",{:.4f}", 0.2 * random.uniform());
    text += "\n";
  }
  return {parse_customer_table(text, "customers.csv", CustomerTableRequest{}),
          Catalog::from_toml(toml, "random.toml")};
}

TEST(OffersAssignmentCuda, SameAssignmentAsTheCpu) {
  std::string skip_reason;
  auto const cuda = cie::testing::make_backend_context(Backend::kCuda, skip_reason);
  if (!cuda) GTEST_SKIP() << skip_reason;
  auto const cpu = cie::testing::make_backend_context(Backend::kCpu, skip_reason);
  ASSERT_TRUE(cpu);
  Instance const instance = pair_rule_instance(9000, 7, 21);
  std::int32_t const as_of = *parse_date("2026-01-01");
  OfferProblem const problem =
      build_offer_problem(*cpu, instance.catalog, instance.table, {}, as_of);
  AssignParams params;
  params.max_iterations = 60;
  AssignmentResult const want = assign_offers(*cpu, params, instance.catalog, problem);
  AssignmentResult const got = assign_offers(*cuda, params, instance.catalog, problem);
  ASSERT_EQ(got.contacts.size(), want.contacts.size());
  for (std::size_t k = 0; k < want.contacts.size(); ++k) {
    ASSERT_EQ(got.contacts[k].customer, want.contacts[k].customer) << k;
    ASSERT_EQ(got.contacts[k].offer, want.contacts[k].offer) << k;
    ASSERT_EQ(got.contacts[k].rank, want.contacts[k].rank) << k;
  }
  EXPECT_EQ(got.expected_value, want.expected_value);
  EXPECT_EQ(got.dual_bound, want.dual_bound);
  EXPECT_EQ(got.dual_iterations, want.dual_iterations);
  EXPECT_EQ(got.passes, want.passes);
  EXPECT_EQ(got.offer_price, want.offer_price);
  EXPECT_EQ(got.added_for_min_volume, want.added_for_min_volume);
  EXPECT_EQ(got.added_in_fill, want.added_in_fill);
  // The instance exercises what it claims: the minimum met (its subsidy in the dual), passes
  // with fixed offers after the dual (the fill), every limit held.
  auto const rows = static_cast<std::int64_t>(instance.table.rows());
  EXPECT_EQ(want.shortfall[3], 0);
  EXPECT_GE(want.offer_contacts[3], rows * 8 / 90);
  EXPECT_GT(want.added_in_fill, 0);
  EXPECT_GT(want.passes, want.dual_iterations);
  EXPECT_LE(want.channel_contacts[1], rows / 10);
  EXPECT_LE(want.total_cost, instance.catalog.budget + 1e-9);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::offers
