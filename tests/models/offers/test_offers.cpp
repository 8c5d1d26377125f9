// Offer assignment: the contact policy on a hand-made history, control groups, capacities and
// budgets, determinism (models/offers/, kernels/offers.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "core/date.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "host/io/customer_table_reader.hpp"
#include "models/offers/assignment.hpp"

namespace cie::offers {
namespace CIE_TEST_FILE_ID {

std::int32_t day(char const* text) { return *parse_date(text); }

CustomerTable offers_table_of(std::string const& text) {
  return parse_customer_table(text, "customers.csv", CustomerTableRequest{});
}

/// customer id -> its offers, in rank order.
std::map<std::string, std::vector<std::string>> assigned(Catalog const& catalog,
                                                         CustomerTable const& table,
                                                         AssignmentResult const& result) {
  std::map<std::string, std::vector<std::string>> out;
  for (Contact const& contact : result.contacts) {
    out[table.ids[contact.customer]].push_back(catalog.offers[contact.offer].name);
  }
  return out;
}

constexpr char const* kPolicyCatalog = R"(
seed = 7
max_contacts_per_run = 2
min_days_between = 3
opt_out_column = "opt_out"
[[window]]
days = 7
max_contacts = 2
[[window]]
days = 30
max_contacts = 3
[[channel]]
name = "email"
[[channel]]
name = "sms"
window_days = 30
max_contacts = 1
[[pair]]
offers = ["a", "b"]
days = 10
[[offer]]
name = "a"
channel = "email"
expected_value_column = "ev_a"
[[offer]]
name = "b"
channel = "email"
expected_value_column = "ev_b"
[[offer]]
name = "s"
channel = "sms"
cost = 0.5
response_column = "p_s"
value = 3.0
)";

TEST(OffersPolicy, HandMadeHistoryAppliesEveryRule) {
  Catalog const catalog = Catalog::from_toml(kPolicyCatalog, "policy.toml");
  std::string text = "customer_id,ev_a,ev_b,p_s,opt_out\n";
  for (char const* id : {"u01", "u02", "u03", "u04", "u05", "u06", "u07", "u08", "u09", "u10"}) {
    text += std::string(id) + ",3,2,0.5," + (std::string(id) == "u06" ? "1" : "0") + "\n";
  }
  CustomerTable const table = offers_table_of(text);
  std::int32_t const as_of = day("2026-03-31");
  ContactHistory history;
  auto const add = [&](std::int64_t row, int days_before, int channel, int offer) {
    history.customer.push_back(row);
    history.day.push_back(as_of - days_before);
    history.channel.push_back(channel);
    history.offer.push_back(offer);
  };
  add(1, 2, 0, -1);  // u02: 2 days ago, minimum gap 3
  add(2, 5, 0, -1);  // u03: two in the 7-day window
  add(2, 6, -1, -1);
  add(3, 10, 0, -1);  // u04: three in the 30-day window
  add(3, 15, 0, -1);
  add(3, 29, 0, -1);
  add(4, 10, 0, -1);  // u05: two in 30 days: one left
  add(4, 15, 0, -1);
  add(6, 20, 1, 2);   // u07: sms 20 days ago: sms window full
  add(7, 5, 0, 1);    // u08: offer b 5 days ago: a is blocked (pair, 10 d)
  add(8, 40, 1, 2);   // u09: outside every window
  add(9, -1, 0, -1);  // u10: after as_of: ignored
  add(-1, 1, 0, 0);   // not a customer of the table
  Context const ctx = Context::cpu(2, 5);
  OfferProblem const problem = build_offer_problem(ctx, catalog, table, history, as_of);
  AssignmentResult const result = assign_offers(ctx, AssignParams{}, catalog, problem);
  auto const got = assigned(catalog, table, result);
  using V = std::vector<std::string>;
  EXPECT_EQ(got.at("u01"), (V{"a", "s"}));  // a and b never together; s has ev 1
  EXPECT_FALSE(got.contains("u02"));
  EXPECT_FALSE(got.contains("u03"));
  EXPECT_FALSE(got.contains("u04"));
  EXPECT_EQ(got.at("u05"), (V{"a"}));
  EXPECT_FALSE(got.contains("u06"));
  EXPECT_EQ(got.at("u07"), (V{"a"}));
  EXPECT_EQ(got.at("u08"), (V{"b"}));
  EXPECT_EQ(got.at("u09"), (V{"a", "s"}));
  EXPECT_EQ(got.at("u10"), (V{"a", "s"}));
  std::map<std::string, std::int64_t> const suppressed(problem.suppressed.begin(),
                                                       problem.suppressed.end());
  EXPECT_EQ(suppressed.at("min_days_between"), 3);  // u02: a, b, s
  EXPECT_EQ(suppressed.at("window_7d"), 3);
  EXPECT_EQ(suppressed.at("window_30d"), 3);
  EXPECT_EQ(suppressed.at("opt_out"), 3);
  EXPECT_EQ(suppressed.at("channel_window"), 1);  // u07's s
  EXPECT_EQ(suppressed.at("pair_history"), 1);    // u08's a
  EXPECT_EQ(suppressed.at("control_group"), 0);
  EXPECT_EQ(result.offer_contacts, (std::vector<std::int64_t>{5, 1, 3}));
  EXPECT_NEAR(result.expected_value, 5 * 3.0 + 2.0 + 3 * 1.0, 1e-9);
  // The bound drops the pair rules: u01, u07, u09 and u10 could take a and b (5).
  EXPECT_NEAR(result.dual_bound, 25.0, 1e-9);
}

/// A random instance: `customers` customers, `offers` offers with scores, capacities, budgets.
struct RandomInstance {
  CustomerTable table;
  Catalog catalog;
};

RandomInstance random_instance(int customers, int offers, std::uint64_t seed, double control) {
  std::string toml =
      fmt::format("seed = {}\nmax_contacts_per_run = 2\nbudget = {}\n", seed, customers * 0.08);
  toml += "[[channel]]\nname = \"email\"\n";
  toml += fmt::format("[[channel]]\nname = \"sms\"\ncapacity = {}\n", customers / 10);
  for (int o = 0; o < offers; ++o) {
    toml += fmt::format(
        "[[offer]]\nname = \"o{}\"\nchannel = \"{}\"\ncost = {}\nresponse_column = \"p{}\"\n"
        "value = {}\nmax_volume = {}\nbudget = {}\ncontrol_share = {}\n",
        o, o % 3 == 2 ? "sms" : "email", 0.05 + 0.02 * o, o, 5.0 + o, customers / (2 + o % 4),
        customers * 0.01 * (1 + o % 3), control);
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
  return {offers_table_of(text), Catalog::from_toml(toml, "random.toml")};
}

TEST(OffersAssignment, CapacitiesAndBudgetsHoldAndTheGapIsSmall) {
  for (int customers : {1, 257, 5000}) {
    RandomInstance const instance = random_instance(customers, 7, 11, 0.0);
    Context const ctx = Context::cpu(2, 3);
    OfferProblem const problem =
        build_offer_problem(ctx, instance.catalog, instance.table, {}, day("2026-01-01"));
    AssignmentResult const result = assign_offers(ctx, AssignParams{}, instance.catalog, problem);
    SCOPED_TRACE(fmt::format("{} customers, 7 offers, seed 11", customers));
    double cost = 0.0;
    for (std::size_t o = 0; o < instance.catalog.offers.size(); ++o) {
      Offer const& offer = instance.catalog.offers[o];
      EXPECT_LE(result.offer_contacts[o], offer.capacity());
      EXPECT_LE(result.offer_cost[o], offer.budget + 1e-9);
      cost += result.offer_cost[o];
    }
    EXPECT_LE(cost, instance.catalog.budget + 1e-9);
    EXPECT_LE(result.channel_contacts[1], customers / 10);
    std::map<std::int64_t, int> per_customer;
    for (Contact const& contact : result.contacts) ++per_customer[contact.customer];
    for (auto const& [customer, count] : per_customer) EXPECT_LE(count, 2);
    EXPECT_GE(result.dual_bound + 1e-9, result.expected_value);
    // The overall budget and the offer budgets bind together here, the case where the dual
    // update converges slowest: after 150 passes the gap to the bound is 0.6% (HiGHS: cie is
    // 0.43% below the LP optimum of 5299.0, the bound 0.2% above it).
    if (customers >= 5000) EXPECT_LT(result.gap, 0.01);
  }
}

TEST(OffersAssignment, SameResultForAnyThreadCountAndRun) {
  RandomInstance const instance = random_instance(20000, 9, 5, 0.05);
  auto const run = [&](int threads) {
    Context const ctx = Context::cpu(threads, 3);
    OfferProblem const problem =
        build_offer_problem(ctx, instance.catalog, instance.table, {}, day("2026-01-01"));
    return assign_offers(ctx, AssignParams{}, instance.catalog, problem);
  };
  AssignmentResult const one = run(1);
  AssignmentResult const two = run(2);
  AssignmentResult const again = run(2);
  for (AssignmentResult const* other : {&two, &again}) {
    ASSERT_EQ(one.contacts.size(), other->contacts.size());
    for (std::size_t k = 0; k < one.contacts.size(); ++k) {
      ASSERT_EQ(one.contacts[k].customer, other->contacts[k].customer) << k;
      ASSERT_EQ(one.contacts[k].offer, other->contacts[k].offer) << k;
    }
    EXPECT_EQ(one.dual_bound, other->dual_bound);
    EXPECT_EQ(one.expected_value, other->expected_value);
  }
}

TEST(OffersPolicy, ControlGroupsAreStableAcrossNightsAndNeverContacted) {
  RandomInstance const night1 = random_instance(6000, 4, 9, 0.2);
  // The next night: other customers' scores change, rows come in another order, some are new.
  std::string text = "customer_id,p0,p1,p2,p3\n";
  for (int i = 8000; i-- > 2000;) text += fmt::format("c{},0.15,0.1,0.12,0.19\n", i);
  CustomerTable const night2 = offers_table_of(text);
  Context const ctx = Context::cpu(2, 3);
  std::map<std::string, std::set<int>> control1;
  for (CustomerTable const* table : {&night1.table, &night2}) {
    OfferProblem const problem =
        build_offer_problem(ctx, night1.catalog, *table, {}, day("2026-01-01"));
    AssignmentResult const result = assign_offers(ctx, AssignParams{}, night1.catalog, problem);
    std::map<std::string, std::set<int>> control;
    for (std::size_t row = 0; row < table->rows(); ++row) {
      for (int o = 0; o < 4; ++o) {
        if (in_control_group(night1.catalog, o, table->ids[row]))
          control[table->ids[row]].insert(o);
      }
    }
    for (int o = 0; o < 4; ++o) {
      double const share = static_cast<double>(problem.control_size[o]) / table->rows();
      EXPECT_NEAR(share, 0.2, 0.02) << "offer " << o;
    }
    for (Contact const& contact : result.contacts) {
      EXPECT_FALSE(control[table->ids[contact.customer]].contains(contact.offer))
          << "a control customer was contacted";
    }
    if (table == &night1.table) {
      control1 = control;
      continue;
    }
    std::size_t common = 0;
    for (std::size_t row = 0; row < table->rows(); ++row) {
      std::string const& id = table->ids[row];
      if (std::stoi(id.substr(1)) >= 6000) continue;
      ++common;
      EXPECT_EQ(control[id], control1[id]) << "control groups changed between nights";
    }
    EXPECT_EQ(common, 4000U);
  }
}

TEST(OffersCatalog, BadCataloguesNameTheFileAndLine) {
  auto const message = [](std::string const& toml) {
    try {
      Catalog::from_toml(toml, "bad.toml");
    } catch (Error const& error) {
      EXPECT_EQ(error.code(), ExitCode::kUsage);
      return std::string(error.what());
    }
    return std::string("no error");
  };
  std::string const base = "seed = 1\n[[channel]]\nname = \"email\"\n";
  EXPECT_NE(message(base + "[[offer]]\nname = \"a\"\nchannel = \"sms\"\nvalue = 1\n"
                           "response_column = \"p\"\n")
                .find("bad.toml:4: offer 'a' names channel 'sms'"),
            std::string::npos);
  EXPECT_NE(message(base + "colour = 1\n").find("unknown key 'colour'"), std::string::npos);
  EXPECT_NE(
      message(base + "[[offer]]\nname = \"a\"\nchannel = \"email\"\nresponse_column = \"p\"\n")
          .find("needs 'value' or 'value_column'"),
      std::string::npos);
  EXPECT_NE(message("[[channel]]\nname = \"email\"\n").find("needs 'seed'"), std::string::npos);
  EXPECT_NE(message("max_contacts_per_run = 9\n" + base).find("must be an integer in 1..8"),
            std::string::npos);
  EXPECT_NE(message("seed = [").find("bad.toml:1:"), std::string::npos);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::offers
