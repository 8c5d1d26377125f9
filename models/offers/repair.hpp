// Internal to models/offers/assignment.cpp: its coupling constraints, the minimum-volume step of
// its repair, and the contacts collected from the chosen slots.
//
// After the repair has admitted the dual's choices, an offer with fewer contacts than its
// min_volume gets more, never breaking a rule:
//   1. adds: up to `rounds` times, customers with room left choose among the short offers that
//      every constraint still has room for (the pass with their contacts fixed), and those
//      contacts are admitted in decreasing expected value (ties: row, offer) while the offer is
//      short and every constraint has room;
//   2. swaps: a customer's contact with another offer (one without a minimum, or above it) is
//      replaced by the short offer, in increasing loss of expected value (ties: row, offer),
//      where the contact policy allows the new set (kernels::choose_offers: allowance, channel
//      allowances, pair rules) and every constraint has room after the exchange.
// What is still short then is reported (assignment.hpp: shortfall) with the offer's candidates.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "kernels/offers.hpp"
#include "models/offers/assignment.hpp"

namespace cie::offers::detail {

/// A coupling constraint Σ_o coefficient[o] · contacts_o <= capacity. A minimum volume
/// contacts_o >= m is one too (coefficient −1, capacity −m: its price is a subsidy), marked
/// `lower`: adding contacts never breaks it, so room checks skip it.
struct Constraint {
  std::vector<double> coefficient;
  double capacity = 0.0;
  double price = 0.0;
  double step = 0.0;
  int last_direction = 0;
  double used = 0.0;  ///< admitted so far (repair and fill)
  bool lower = false;

  [[nodiscard]] double usage(std::vector<double> const& per_offer) const {
    double total = 0.0;
    for (std::size_t o = 0; o < per_offer.size(); ++o) total += coefficient[o] * per_offer[o];
    return total;
  }
  [[nodiscard]] bool has_room(int offer) const {
    return lower || used + coefficient[offer] <= capacity;
  }
  [[nodiscard]] double scale() const { return std::max(std::abs(capacity), 1.0); }
};

/// Runs the pass at `price` with `fixed` contacts kept, the new ones into `added`.
using ChoosePass =
    std::function<void(std::vector<double> const& price, std::span<std::uint8_t const> fixed,
                       std::span<std::uint8_t> added)>;

struct MinVolumeOutcome {
  std::int64_t added = 0;
  std::int64_t swapped = 0;
  /// Per offer: customers with a candidate contact (after the contact policy), counted for the
  /// offers still short; 0 elsewhere.
  std::vector<std::int64_t> candidates;
};

/// Contacts per offer in `slots` (customers × kOfferSlots).
std::vector<std::int64_t> count_contacts(kernels::OfferInstance const& view,
                                         std::span<std::uint8_t const> slots);

/// The minimum-volume step (above) on `slots`, updating the constraints' `used`.
MinVolumeOutcome meet_min_volumes(kernels::OfferInstance const& view,
                                  std::span<std::int64_t const> min_volume,
                                  std::vector<Constraint>& constraints,
                                  std::vector<std::uint8_t>& slots, int rounds,
                                  ChoosePass const& choose);

/// The contacts of `slots` into result.contacts (by customer row, then rank: decreasing expected
/// value, ties by offer), with the contacts and cost per offer and channel and the total value.
void collect_contacts(Catalog const& catalog, OfferProblem const& problem,
                      std::span<std::uint8_t const> slots, AssignmentResult& result);

}  // namespace cie::offers::detail
