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

#if defined(__SSE2__) && !defined(__CUDA_ARCH__)
#include <emmintrin.h>
#endif

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

/// Index of the lowest set bit of `bits` (not 0).
CIE_HD inline int lowest_bit(std::uint64_t bits) {
#if defined(__CUDA_ARCH__)
  return __ffsll(static_cast<long long>(bits)) - 1;
#else
  return __builtin_ctzll(bits);
#endif
}

/// reduced[o] = ev[o] − price[o] in double for every offer; returns the mask of those > 0 (a
/// NaN value never is). On x86 hosts four offers at a time with SSE2 (the same conversions,
/// subtractions and comparisons, so the same bits as the plain loop the device runs).
CIE_HD inline std::uint64_t reduced_values(float const* ev, int offers, double const* price,
                                           double* reduced) {
  std::uint64_t positive = 0;
  int o = 0;
#if defined(__SSE2__) && !defined(__CUDA_ARCH__)
  __m128d const zero = _mm_setzero_pd();
  for (; o + 4 <= offers; o += 4) {
    __m128 const values = _mm_loadu_ps(ev + o);
    __m128d const low = _mm_sub_pd(_mm_cvtps_pd(values), _mm_loadu_pd(price + o));
    __m128d const high =
        _mm_sub_pd(_mm_cvtps_pd(_mm_movehl_ps(values, values)), _mm_loadu_pd(price + o + 2));
    _mm_storeu_pd(reduced + o, low);
    _mm_storeu_pd(reduced + o + 2, high);
    auto const bits = static_cast<unsigned>(_mm_movemask_pd(_mm_cmpgt_pd(low, zero)) |
                                            (_mm_movemask_pd(_mm_cmpgt_pd(high, zero)) << 2));
    positive |= static_cast<std::uint64_t>(bits) << o;
  }
#endif
  for (; o < offers; ++o) {
    double const r = static_cast<double>(ev[o]) - price[o];
    reduced[o] = r;
    positive |= static_cast<std::uint64_t>(r > 0.0) << o;
  }
  return positive;
}

/// `ev`: the customer's expected values (NaN: not a candidate); `offer_channel[o]`: channel of
/// offer o; `conflicts[o]`: mask of offers that may not go with o (nullptr: ignore pair rules).
/// Newly chosen offers are appended to slots[0 .. added) in the order taken.
///
/// The reduced values are computed for every offer without a branch (a NaN value gives a NaN
/// reduced value, never > 0), the candidates kept as a bit mask in the rotated tie order, and
/// each round scans the remaining candidates in that order for the first largest reduced value;
/// a candidate whose channel is full or that conflicts with a chosen offer leaves the mask.
CIE_HD inline OfferChoice choose_offers(float const* ev, int offers, double const* price,
                                        int allowance, std::uint8_t const* channel_allowance,
                                        std::int8_t const* offer_channel,
                                        std::uint64_t const* conflicts, int tie_offset,
                                        std::uint64_t fixed_mask, std::uint8_t* slots) {
  OfferChoice choice;
  choice.mask = fixed_mask;
  int channel_used[kOfferChannels] = {0, 0, 0, 0, 0, 0, 0, 0};
  int used = 0;
  for (std::uint64_t bits = fixed_mask; bits != 0; bits &= bits - 1) {
    ++channel_used[offer_channel[lowest_bit(bits)]];
    ++used;
  }
  if (used >= allowance) return choice;  // no room: skip reading the customer's values
  double reduced[64];
  std::uint64_t positive = reduced_values(ev, offers, price, reduced) & ~fixed_mask;
  // Bit p of `remaining` is offer (tie_offset + p) mod offers: the rotated tie order.
  std::uint64_t const all = offers == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << offers) - 1;
  std::uint64_t remaining =
      tie_offset == 0 ? positive
                      : ((positive >> tie_offset) | (positive << (offers - tie_offset))) & all;
  while (used < allowance && remaining != 0) {
    int best = -1;
    int best_position = -1;
    double best_reduced = 0.0;
    for (std::uint64_t bits = remaining; bits != 0; bits &= bits - 1) {
      int const position = lowest_bit(bits);
      int o = tie_offset + position;
      if (o >= offers) o -= offers;
      if (!(reduced[o] > best_reduced)) continue;
      int const channel = offer_channel[o];
      if (channel_used[channel] >= channel_allowance[channel]) {
        remaining &= ~(std::uint64_t{1} << position);  // its channel stays full
        continue;
      }
      if (conflicts != nullptr && (conflicts[o] & choice.mask) != 0) {
        choice.pair_blocked = true;
        remaining &= ~(std::uint64_t{1} << position);  // the conflict stays
        continue;
      }
      best = o;
      best_position = position;
      best_reduced = reduced[o];
    }
    if (best < 0) break;
    remaining &= ~(std::uint64_t{1} << best_position);
    choice.mask |= std::uint64_t{1} << best;
    ++channel_used[offer_channel[best]];
    slots[choice.added] = static_cast<std::uint8_t>(best);
    choice.reduced += best_reduced;
    choice.value += static_cast<double>(ev[best]);
    ++choice.added;
    ++used;
  }
  return choice;
}

}  // namespace cie::kernels
