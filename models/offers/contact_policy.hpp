// The contact policy applied to one run: from the catalogue, the customer table and the contact
// history, the candidate contacts of every customer and how many each may still receive.
//
// Per customer, on the run's day `as_of` (history after as_of is ignored):
//   allowance = min(max_contacts_per_run, segment limits, max_contacts − contacts in each
//               window (as_of − days, as_of]); 0 when opted out (opt_out_column non-zero) or
//               when the last contact is fewer than min_days_between days before as_of;
//   per channel: min(allowance, max_contacts − channel contacts in its window); 0 when opted
//               out of the channel.
// Per customer and offer, the candidate's expected value (NaN when not a candidate): not
// eligible (a rule fails or a needed value is missing), in the offer's control group, blocked by
// the policy, or of expected value <= 0.
//
// Control groups: customer id c is in offer o's group when the top 53 bits of
// XXH3_64(c, seed ^ XXH3_64(o's name)) / 2^53 < control_share: a keyed hash of the id alone, so
// the group stays the same across nights, row orders and table sizes while seed and share stay.
//
// Suppressed candidates: every eligible customer × offer pair with a positive expected value that
// the policy removes is counted once, under the first rule that removes it, in this order:
// control_group, opt_out, channel_opt_out, min_days_between, window_<days>d, channel_window,
// pair_history. Limits that only lower an allowance (to above 0) suppress nothing here; the
// contacts they cost are visible in the assignment.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "kernels/offers.hpp"
#include "models/offers/catalog.hpp"

namespace cie::offers {

/// Past contacts, one entry per contact.
struct ContactHistory {
  std::vector<std::int64_t> customer;  ///< row in the customer table; -1: not a customer of it
  std::vector<std::int32_t> day;       ///< days since 1970-01-01
  std::vector<std::int32_t> channel;   ///< catalogue channel index; -1: another channel
  std::vector<std::int32_t> offer;     ///< catalogue offer index; -1: another offer

  [[nodiscard]] std::size_t size() const noexcept { return customer.size(); }
};

/// An assignment instance and what the policy did to build it.
struct OfferProblem {
  std::int64_t customers = 0;
  int offers = 0;
  std::vector<float> expected_value;  ///< customers × offers; NaN: not a candidate
  std::vector<std::uint8_t> allowance;
  std::vector<std::uint8_t> channel_allowance;  ///< customers × kernels::kOfferChannels
  std::vector<std::uint8_t> tie_offset;
  std::vector<std::int8_t> offer_channel;
  std::vector<std::uint64_t> conflicts;  ///< empty when the catalogue has no pair rule

  std::vector<std::int64_t> control_size;  ///< customers in each offer's control group
  std::vector<std::int64_t> eligible;      ///< eligible customers with ev > 0, per offer
  std::vector<std::pair<std::string, std::int64_t>> suppressed;  ///< per rule, in rule order

  [[nodiscard]] kernels::OfferInstance view() const;
};

/// Whether customer `id` is in the control group of `offer` (see above).
bool in_control_group(Catalog const& catalog, int offer, std::string_view id);

/// Builds the instance. The table must have every column of catalog.columns() (a usage error
/// naming the column and the catalogue otherwise); response, value, expected-value and opt-out
/// columns must be numeric. Ties are keyed by ctx.seed() and the customer id.
OfferProblem build_offer_problem(Context const& ctx, Catalog const& catalog,
                                 CustomerTable const& table, ContactHistory const& history,
                                 std::int32_t as_of);

}  // namespace cie::offers
