// Minimum volumes per offer (models/offers/repair.hpp): the repair meets them when the rules
// leave room (adds, then exchanges that the contact policy allows), never over another rule, and
// reports the offer and its shortfall when it cannot; contradictory minimums are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "core/date.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "host/io/customer_table_reader.hpp"
#include "models/offers/assignment.hpp"
#include "models/offers/assignment_summary.hpp"
#include "models/offers/repair.hpp"

namespace cie::offers {
namespace CIE_TEST_FILE_ID {

using kernels::kNoOffer;
using kernels::kOfferSlots;

constexpr float kNone = std::numeric_limits<float>::quiet_NaN();

/// `customers` customers, 7 offers on email and sms with capacities and budgets (as the
/// assignment tests' random instance); offer o0 (the cheapest value) gets `min_volume`.
std::pair<CustomerTable, Catalog> instance(int customers, double min_volume) {
  std::string toml =
      fmt::format("seed = 11\nmax_contacts_per_run = 2\nbudget = {}\n", customers * 0.08);
  toml += "[[channel]]\nname = \"email\"\n";
  toml += fmt::format("[[channel]]\nname = \"sms\"\ncapacity = {}\n", customers / 10);
  for (int o = 0; o < 7; ++o) {
    toml += fmt::format(
        "[[offer]]\nname = \"o{}\"\nchannel = \"{}\"\ncost = {}\nresponse_column = \"p{}\"\n"
        "value = {}\nmax_volume = {}\nbudget = {}\n",
        o, o % 3 == 2 ? "sms" : "email", 0.05 + 0.02 * o, o, 5.0 + o, customers / (2 + o % 4),
        customers * 0.01 * (1 + o % 3));
    if (o == 0 && min_volume > 0) toml += fmt::format("min_volume = {}\n", min_volume);
  }
  std::string text = "customer_id,p0,p1,p2,p3,p4,p5,p6\n";
  for (int i = 0; i < customers; ++i) {
    Random random(11, static_cast<std::uint64_t>(i));
    text += fmt::format("c{}", i);
    for (int o = 0; o < 7; ++o) text += fmt::format(",{:.4f}", 0.2 * random.uniform());
    text += "\n";
  }
  return {parse_customer_table(text, "customers.csv", CustomerTableRequest{}),
          Catalog::from_toml(toml, "min_volume.toml")};
}

AssignmentResult assign(Catalog const& catalog, CustomerTable const& table) {
  Context const ctx = Context::cpu(2, 3);
  OfferProblem const problem =
      build_offer_problem(ctx, catalog, table, {}, *parse_date("2026-01-01"));
  return assign_offers(ctx, AssignParams{}, catalog, problem);
}

void expect_every_limit_holds(Catalog const& catalog, AssignmentResult const& result) {
  double cost = 0.0;
  for (std::size_t o = 0; o < catalog.offers.size(); ++o) {
    EXPECT_LE(result.offer_contacts[o], catalog.offers[o].capacity()) << o;
    EXPECT_LE(result.offer_cost[o], catalog.offers[o].budget + 1e-9) << o;
    cost += result.offer_cost[o];
  }
  EXPECT_LE(cost, catalog.budget + 1e-9);
  EXPECT_LE(result.channel_contacts[1], catalog.channels[1].capacity);
  std::map<std::int64_t, int> per_customer;
  for (Contact const& contact : result.contacts) ++per_customer[contact.customer];
  for (auto const& [customer, count] : per_customer) EXPECT_LE(count, 2);
}

TEST(OffersMinVolume, AFeasibleMinimumIsMetWithinEveryOtherLimit) {
  auto const [table, plain] = instance(5000, 0.0);
  AssignmentResult const without = assign(plain, table);
  std::int64_t const before = without.offer_contacts[0];
  // o0 may get 1000 contacts (its budget); ask for more than it gets without a minimum.
  double const minimum = std::min(1000.0, static_cast<double>(before) + 400.0);
  ASSERT_GT(minimum, static_cast<double>(before));
  auto const [same_table, catalog] = instance(5000, minimum);
  AssignmentResult const with = assign(catalog, same_table);
  EXPECT_GE(static_cast<double>(with.offer_contacts[0]), minimum);
  for (std::int64_t shortfall : with.shortfall) EXPECT_EQ(shortfall, 0);
  expect_every_limit_holds(catalog, with);
  // The minimum costs value, and the bound still bounds the result.
  EXPECT_LE(with.expected_value, without.dual_bound + 1e-6);
  EXPECT_GE(with.dual_bound + 1e-9, with.expected_value);
  nlohmann::json const summary = assignment_summary_json(
      catalog,
      build_offer_problem(Context::cpu(2, 3), catalog, same_table, {}, *parse_date("2026-01-01")),
      with, {});
  EXPECT_TRUE(summary["min_volume_not_met"].empty());
  EXPECT_EQ(summary["offers"][0]["min_volume"].get<double>(), minimum);
}

TEST(OffersMinVolume, AnUnreachableMinimumIsReportedWithItsShortfall) {
  // b has 3 candidates: c4 has no value for it and c5 a negative one.
  std::string const toml = R"(seed = 1
max_contacts_per_run = 1
[[channel]]
name = "email"
[[offer]]
name = "a"
channel = "email"
expected_value_column = "ev_a"
[[offer]]
name = "b"
channel = "email"
expected_value_column = "ev_b"
min_volume = 5
)";
  Catalog const catalog = Catalog::from_toml(toml, "short.toml");
  CustomerTable const table =
      parse_customer_table("customer_id,ev_a,ev_b\nc1,9,1\nc2,8,2\nc3,7,3\nc4,6,\nc5,5,-1\n",
                           "customers.csv", CustomerTableRequest{});
  Context const ctx = Context::cpu(1, 3);
  OfferProblem const problem =
      build_offer_problem(ctx, catalog, table, {}, *parse_date("2026-01-01"));
  AssignmentResult const result = assign_offers(ctx, AssignParams{}, catalog, problem);
  EXPECT_EQ(result.offer_contacts[1], 3);  // every candidate, in place of a where needed
  EXPECT_EQ(result.shortfall[1], 2);
  EXPECT_EQ(result.min_volume_candidates[1], 3);
  EXPECT_EQ(result.offer_contacts[0], 2);  // c4 and c5 keep a
  nlohmann::json const summary = assignment_summary_json(catalog, problem, result, {});
  ASSERT_EQ(summary["min_volume_not_met"].size(), 1u);
  EXPECT_EQ(summary["min_volume_not_met"][0]["offer"], "b");
  EXPECT_EQ(summary["min_volume_not_met"][0]["short"], 2);
  EXPECT_NE(format_assignment_summary(summary).find(
                "min_volume not met: offer b: 3 contacts of at least 5 (2 short; 3 customers are "
                "candidates after the contact rules)"),
            std::string::npos)
      << format_assignment_summary(summary);
}

/// The step alone: four customers all holding offer 0; offer 1 needs 3 contacts.
struct StepInstance {
  std::vector<float> ev = {9, 1, 8, 4, 7, 2, 6, kNone};  // customers × 2 offers
  std::vector<std::uint8_t> allowance = {1, 2, 1, 1};
  std::vector<std::uint8_t> channel_allowance = std::vector<std::uint8_t>(4 * 8, 8);
  std::vector<std::uint8_t> tie_offset = {0, 0, 0, 0};
  std::vector<std::int8_t> offer_channel = {0, 0};
  std::vector<std::uint64_t> conflicts = {2, 1};  // 0 and 1 never together
  std::vector<std::uint8_t> slots = std::vector<std::uint8_t>(4 * kOfferSlots, kNoOffer);

  StepInstance() {
    for (int i = 0; i < 4; ++i) slots[static_cast<std::size_t>(i) * kOfferSlots] = 0;
  }
  [[nodiscard]] kernels::OfferInstance view(bool pair_rule) const {
    return {4,
            2,
            ev.data(),
            allowance.data(),
            channel_allowance.data(),
            tie_offset.data(),
            offer_channel.data(),
            pair_rule ? conflicts.data() : nullptr};
  }
};

/// The pass of the adds, run on the host for the step's test.
detail::ChoosePass host_pass(kernels::OfferInstance const& view) {
  return [view](std::vector<double> const& price, std::span<std::uint8_t const> fixed,
                std::span<std::uint8_t> added) {
    for (std::int64_t i = 0; i < view.customers; ++i) {
      std::uint64_t mask = 0;
      for (int s = 0; s < kOfferSlots; ++s) {
        std::uint8_t const o = fixed[static_cast<std::size_t>(i) * kOfferSlots + s];
        if (o != kNoOffer) mask |= std::uint64_t{1} << o;
      }
      kernels::choose_offers(view.expected_value + i * view.offers, view.offers, price.data(),
                             view.allowance[i], view.channel_allowance + i * 8, view.offer_channel,
                             view.conflicts, view.tie_offset[i], mask,
                             added.data() + i * kOfferSlots);
    }
  };
}

TEST(OffersMinVolume, StepAddsWhereThereIsRoomThenExchangesByLeastLoss) {
  std::vector<std::int64_t> const min_volume = {0, 3};
  {  // Without the pair rule: customer 1 has room (adds b), then the exchanges with the least
     // loss: customer 2 (7 − 2 = 5) before customer 0 (9 − 1 = 8); customer 3 has no value for b.
    StepInstance step;
    std::vector<detail::Constraint> constraints;
    detail::MinVolumeOutcome const outcome = detail::meet_min_volumes(
        step.view(false), min_volume, constraints, step.slots, 3, host_pass(step.view(false)));
    EXPECT_EQ(outcome.added, 1);
    EXPECT_EQ(outcome.swapped, 2);
    EXPECT_EQ(detail::count_contacts(step.view(false), step.slots),
              (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(step.slots[0 * kOfferSlots + 0], 1);  // customer 0: b
    EXPECT_EQ(step.slots[1 * kOfferSlots + 0], 0);  // customer 1: a and b
    EXPECT_EQ(step.slots[1 * kOfferSlots + 1], 1);
    EXPECT_EQ(step.slots[2 * kOfferSlots + 0], 1);  // customer 2: b
    EXPECT_EQ(step.slots[3 * kOfferSlots + 0], 0);  // customer 3 keeps a
  }
  {  // With it, customer 1 cannot hold both: exchanges only (1, then 2, then 0).
    StepInstance step;
    std::vector<detail::Constraint> constraints;
    detail::MinVolumeOutcome const outcome = detail::meet_min_volumes(
        step.view(true), min_volume, constraints, step.slots, 3, host_pass(step.view(true)));
    EXPECT_EQ(outcome.added, 0);
    EXPECT_EQ(outcome.swapped, 3);
    EXPECT_EQ(detail::count_contacts(step.view(true), step.slots),
              (std::vector<std::int64_t>{1, 3}));
    EXPECT_EQ(step.slots[3 * kOfferSlots + 0], 0);  // the one without a value for b keeps a
  }
  {  // A full capacity over both offers: no add, and the exchanges keep it full.
    StepInstance step;
    std::vector<detail::Constraint> constraints(1);
    constraints[0].coefficient = {1.0, 1.0};
    constraints[0].capacity = 4.0;
    constraints[0].used = 4.0;
    detail::MinVolumeOutcome const outcome = detail::meet_min_volumes(
        step.view(false), min_volume, constraints, step.slots, 3, host_pass(step.view(false)));
    EXPECT_EQ(outcome.added, 0);
    EXPECT_EQ(outcome.swapped, 3);
    EXPECT_EQ(constraints[0].used, 4.0);
  }
}

TEST(OffersMinVolume, ContradictoryMinimumsAreRefused) {
  auto const message = [](std::string const& toml) {
    try {
      Catalog::from_toml(toml, "bad.toml");
    } catch (Error const& error) {
      EXPECT_EQ(error.code(), ExitCode::kUsage);
      return std::string(error.what());
    }
    return std::string("no error");
  };
  std::string const head = "seed = 1\nbudget = 10.0\n[[channel]]\nname = \"sms\"\ncapacity = 100\n";
  std::string const offer =
      "[[offer]]\nname = \"{}\"\nchannel = \"sms\"\ncost = 0.05\nexpected_value_column = "
      "\"ev\"\n";
  EXPECT_NE(
      message(head + fmt::format(fmt::runtime(offer), "a") + "max_volume = 50\nmin_volume = 60\n")
          .find("bad.toml:6: offer 'a': min_volume 60 exceeds the 50 contacts"),
      std::string::npos);
  EXPECT_NE(message(head + fmt::format(fmt::runtime(offer), "a") + "min_volume = 60\n" +
                    fmt::format(fmt::runtime(offer), "b") + "min_volume = 60\n")
                .find("the min_volume of the offers on channel 'sms' add up to 120, more than its "
                      "capacity 100"),
            std::string::npos);
  EXPECT_NE(message("seed = 1\nbudget = 1.0\n[[channel]]\nname = \"sms\"\n" +
                    fmt::format(fmt::runtime(offer), "a") + "min_volume = 30\n")
                .find("min_volume contacts cost 1.50 together, more than the budget 1.00"),
            std::string::npos);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::offers
