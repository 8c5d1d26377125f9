// Per-customer maths of offer assignment (kernels/offers.hpp), shared by the CPU and CUDA twins.
//
// choose_offers: one customer's greedy choice given prices. The reduced value of offer o is
// ev[o] − price[o]; offers are taken in decreasing reduced value while it is > 0, at most
// `allowance` in all and channel_allowance[c] per channel, never one conflicting (pair rule)
// with an offer already taken. Offers already in `fixed_mask` stay chosen and count against the
// limits. Ties go to the first offer in the order rotated by `tie_offset` (a seeded per-customer
// value), so equal offers share customers evenly and the result is deterministic.
//
// Without pair rules (conflicts ignored) this greedy is exact: the sets allowed by a total limit
// and per-channel limits are the independent sets of a truncated partition matroid, on which
// greedy maximizes a sum. Its value is then the customer's term of the Lagrangian dual bound.
#pragma once

#include <cstdint>

#include "kernels/hd.hpp"

namespace cie::kernels {

inline constexpr int kOfferChannels = 8;  ///< channels a catalogue may have
inline constexpr int kOfferSlots = 8;     ///< offers one customer may get in a run
inline constexpr std::uint8_t kNoOffer = 0xFF;

struct OfferChoice {
  std::uint64_t mask = 0;     ///< chosen offers (fixed ones included)
  double reduced = 0.0;       ///< sum of the reduced values of the newly chosen offers
  double value = 0.0;         ///< sum of ev of the newly chosen offers
  int added = 0;              ///< newly chosen offers
  bool pair_blocked = false;  ///< a pair rule turned down an offer that would have been taken
};

/// `ev`: the customer's expected values (NaN: not a candidate); `offer_channel[o]`: channel of
/// offer o; `conflicts[o]`: mask of offers that may not go with o (nullptr: ignore pair rules).
/// Newly chosen offers are appended to slots[0 .. added) in the order taken.
CIE_HD inline OfferChoice choose_offers(float const* ev, int offers, double const* price,
                                        int allowance, std::uint8_t const* channel_allowance,
                                        std::int8_t const* offer_channel,
                                        std::uint64_t const* conflicts, int tie_offset,
                                        std::uint64_t fixed_mask, std::uint8_t* slots) {
  OfferChoice choice;
  choice.mask = fixed_mask;
  int channel_used[kOfferChannels] = {0, 0, 0, 0, 0, 0, 0, 0};
  int used = 0;
  for (int o = 0; o < offers; ++o) {
    if ((fixed_mask >> o) & 1U) {
      ++channel_used[offer_channel[o]];
      ++used;
    }
  }
  if (used >= allowance) return choice;  // no room: skip reading the customer's values
  // The candidates with a positive reduced value, in the rotated tie order, read once.
  double reduced[64];
  std::int8_t candidate[64];
  int candidates = 0;
  for (int j = 0, o = tie_offset; j < offers; ++j, o = o + 1 == offers ? 0 : o + 1) {
    float const value = ev[o];
    if (!(value == value) || ((fixed_mask >> o) & 1U)) continue;  // NaN: not a candidate
    double const r = static_cast<double>(value) - price[o];
    if (!(r > 0.0)) continue;
    reduced[candidates] = r;
    candidate[candidates++] = static_cast<std::int8_t>(o);
  }
  while (used < allowance) {
    int best = -1;
    double best_reduced = 0.0;
    for (int k = 0; k < candidates; ++k) {
      if (!(reduced[k] > best_reduced)) continue;
      int const o = candidate[k];
      if ((choice.mask >> o) & 1U) continue;
      if (channel_used[offer_channel[o]] >= channel_allowance[offer_channel[o]]) continue;
      if (conflicts != nullptr && (conflicts[o] & choice.mask) != 0) {
        choice.pair_blocked = true;
        continue;
      }
      best = k;
      best_reduced = reduced[k];
    }
    if (best < 0) break;
    int const o = candidate[best];
    choice.mask |= std::uint64_t{1} << o;
    ++channel_used[offer_channel[o]];
    slots[choice.added] = static_cast<std::uint8_t>(o);
    choice.reduced += best_reduced;
    choice.value += static_cast<double>(ev[o]);
    ++choice.added;
    ++used;
  }
  return choice;
}

}  // namespace cie::kernels
