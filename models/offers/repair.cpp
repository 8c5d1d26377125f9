#include "models/offers/repair.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

namespace cie::offers::detail {
namespace {

using kernels::kNoOffer;
using kernels::kOfferSlots;

constexpr double kClosed = std::numeric_limits<double>::infinity();

bool has_room(std::vector<Constraint> const& constraints, int offer) {
  return std::all_of(constraints.begin(), constraints.end(),
                     [&](Constraint const& k) { return k.has_room(offer); });
}

/// Whether the constraints have room for `offer` once `removed`'s contact is given back.
bool has_room_after_exchange(std::vector<Constraint> const& constraints, int offer, int removed) {
  return std::all_of(constraints.begin(), constraints.end(), [&](Constraint const& k) {
    return k.lower || k.used - k.coefficient[removed] + k.coefficient[offer] <= k.capacity;
  });
}

std::uint64_t mask_of(std::uint8_t const* row) {
  std::uint64_t mask = 0;
  for (int s = 0; s < kOfferSlots && row[s] != kNoOffer; ++s) mask |= std::uint64_t{1} << row[s];
  return mask;
}

void pack(std::uint8_t* row) {
  std::stable_partition(row, row + kOfferSlots, [](std::uint8_t o) { return o != kNoOffer; });
}

/// Step 1: rounds of choices among the short offers; returns the contacts admitted.
std::int64_t add_contacts(kernels::OfferInstance const& view,
                          std::span<std::int64_t const> min_volume,
                          std::vector<Constraint>& constraints, std::vector<std::uint8_t>& slots,
                          std::vector<std::int64_t>& counts, int rounds, ChoosePass const& choose) {
  int const offers = view.offers;
  std::int64_t total = 0;
  for (int round = 0; round < rounds; ++round) {
    std::vector<double> price(static_cast<std::size_t>(offers), kClosed);
    bool any_open = false;
    for (int o = 0; o < offers; ++o) {
      if (counts[o] < min_volume[o] && has_room(constraints, o)) {
        price[o] = 0.0;
        any_open = true;
      }
    }
    if (!any_open) break;
    std::vector<std::uint8_t> added(slots.size(), kNoOffer);
    choose(price, slots, added);
    std::vector<std::tuple<double, std::int64_t, int, int>> chosen;  // -ev, row, offer, slot
    for (std::int64_t i = 0; i < view.customers; ++i) {
      for (int s = 0; s < kOfferSlots; ++s) {
        std::uint8_t const o = added[static_cast<std::size_t>(i) * kOfferSlots + s];
        if (o == kNoOffer) break;
        chosen.emplace_back(-view.expected_value[i * offers + o], i, o, s);
      }
    }
    std::sort(chosen.begin(), chosen.end());
    std::int64_t admitted = 0;
    for (auto const& [negative_ev, i, o, s] : chosen) {
      if (counts[o] < min_volume[o] && has_room(constraints, o)) {
        for (Constraint& k : constraints) k.used += k.coefficient[o];
        ++counts[o];
        ++admitted;
      } else {
        added[static_cast<std::size_t>(i) * kOfferSlots + s] = kNoOffer;
      }
    }
    for (std::int64_t i = 0; i < view.customers && admitted > 0; ++i) {
      std::uint8_t* row = slots.data() + i * kOfferSlots;
      std::uint8_t* extra = added.data() + i * kOfferSlots;
      pack(extra);
      int free_slot = 0;
      while (free_slot < kOfferSlots && row[free_slot] != kNoOffer) ++free_slot;
      for (int s = 0; s < kOfferSlots && extra[s] != kNoOffer; ++s) row[free_slot++] = extra[s];
    }
    total += admitted;
    if (admitted == 0) break;
  }
  return total;
}

/// Step 2: exchanges for one short offer `o`; returns how many were made.
std::int64_t swap_contacts(kernels::OfferInstance const& view,
                           std::span<std::int64_t const> min_volume,
                           std::vector<Constraint>& constraints, std::vector<std::uint8_t>& slots,
                           std::vector<std::int64_t>& counts, int o) {
  int const offers = view.offers;
  std::vector<std::tuple<double, std::int64_t, int, int>> exchanges;  // loss, row, offer, slot
  for (std::int64_t i = 0; i < view.customers; ++i) {
    float const* ev = view.expected_value + i * offers;
    if (!(ev[o] == ev[o])) continue;  // not a candidate
    std::uint8_t const* row = slots.data() + i * kOfferSlots;
    if ((mask_of(row) >> o) & 1U) continue;
    for (int s = 0; s < kOfferSlots && row[s] != kNoOffer; ++s) {
      int const p = row[s];
      if (min_volume[p] > 0 && counts[p] <= min_volume[p]) continue;
      exchanges.emplace_back(static_cast<double>(ev[p]) - ev[o], i, p, s);
    }
  }
  std::sort(exchanges.begin(), exchanges.end());
  std::vector<double> price(static_cast<std::size_t>(offers), kClosed);
  price[o] = 0.0;
  std::int64_t swapped = 0;
  for (auto const& [loss, i, p, s] : exchanges) {
    if (counts[o] >= min_volume[o]) break;
    std::uint8_t* row = slots.data() + i * kOfferSlots;
    std::uint64_t const mask = mask_of(row);
    // Still as listed (not exchanged already), the other offer still above its minimum.
    if (row[s] != p || ((mask >> o) & 1U) || (min_volume[p] > 0 && counts[p] <= min_volume[p])) {
      continue;
    }
    if (!has_room_after_exchange(constraints, o, p)) continue;
    std::uint8_t scratch[kOfferSlots];
    kernels::OfferChoice const choice = kernels::choose_offers(
        view.expected_value + i * offers, offers, price.data(), view.allowance[i],
        view.channel_allowance + i * kernels::kOfferChannels, view.offer_channel, view.conflicts,
        view.tie_offset[i], mask & ~(std::uint64_t{1} << p), scratch);
    if (choice.added != 1) continue;  // the policy does not allow o in p's place
    row[s] = static_cast<std::uint8_t>(o);
    for (Constraint& k : constraints) k.used += k.coefficient[o] - k.coefficient[p];
    ++counts[o];
    --counts[p];
    ++swapped;
  }
  return swapped;
}

}  // namespace

std::vector<std::int64_t> count_contacts(kernels::OfferInstance const& view,
                                         std::span<std::uint8_t const> slots) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(view.offers), 0);
  for (std::uint8_t const o : slots) {
    if (o != kNoOffer) ++counts[o];
  }
  return counts;
}

MinVolumeOutcome meet_min_volumes(kernels::OfferInstance const& view,
                                  std::span<std::int64_t const> min_volume,
                                  std::vector<Constraint>& constraints,
                                  std::vector<std::uint8_t>& slots, int rounds,
                                  ChoosePass const& choose) {
  MinVolumeOutcome outcome;
  outcome.candidates.assign(static_cast<std::size_t>(view.offers), 0);
  std::vector<std::int64_t> counts = count_contacts(view, slots);
  auto const short_of_min = [&](int o) { return counts[o] < min_volume[o]; };
  bool any_short = false;
  for (int o = 0; o < view.offers; ++o) any_short = any_short || short_of_min(o);
  if (!any_short) return outcome;
  outcome.added = add_contacts(view, min_volume, constraints, slots, counts, rounds, choose);
  for (int o = 0; o < view.offers; ++o) {
    if (short_of_min(o)) {
      outcome.swapped += swap_contacts(view, min_volume, constraints, slots, counts, o);
    }
  }
  for (int o = 0; o < view.offers; ++o) {
    if (!short_of_min(o)) continue;
    for (std::int64_t i = 0; i < view.customers; ++i) {
      float const ev = view.expected_value[i * view.offers + o];
      if (ev == ev) ++outcome.candidates[o];
    }
  }
  return outcome;
}

void collect_contacts(Catalog const& catalog, OfferProblem const& problem,
                      std::span<std::uint8_t const> slots, AssignmentResult& result) {
  int const offers = problem.offers;
  result.offer_contacts.assign(static_cast<std::size_t>(offers), 0);
  result.offer_cost.assign(static_cast<std::size_t>(offers), 0.0);
  result.channel_contacts.assign(catalog.channels.size(), 0);
  for (std::int64_t i = 0; i < problem.customers; ++i) {
    std::size_t const first = result.contacts.size();
    for (int s = 0; s < kOfferSlots; ++s) {
      std::uint8_t const o = slots[static_cast<std::size_t>(i) * kOfferSlots + s];
      if (o == kNoOffer) break;
      float const ev = problem.expected_value[static_cast<std::size_t>(i) * offers + o];
      result.contacts.push_back({i, o, 0, ev});
    }
    std::sort(result.contacts.begin() + static_cast<std::ptrdiff_t>(first), result.contacts.end(),
              [](Contact const& a, Contact const& b) {
                return a.expected_value != b.expected_value ? a.expected_value > b.expected_value
                                                            : a.offer < b.offer;
              });
    for (std::size_t k = first; k < result.contacts.size(); ++k) {
      Contact& contact = result.contacts[k];
      contact.rank = static_cast<int>(k - first) + 1;
      ++result.offer_contacts[contact.offer];
      ++result.channel_contacts[catalog.offers[contact.offer].channel];
      result.expected_value += contact.expected_value;
    }
  }
  for (int o = 0; o < offers; ++o) {
    result.offer_cost[o] = catalog.offers[o].cost * static_cast<double>(result.offer_contacts[o]);
    result.total_cost += result.offer_cost[o];
  }
}

}  // namespace cie::offers::detail
