// choose_offers (kernels/offers_rules.hpp) against the scan it replaced (below, verbatim from
// commit 7418c3c): the same chosen offers in the same order, the same mask, the same reduced and
// value bits, on random customers with ties, NaN values, fixed offers, full and closed channels,
// pair rules and up to 64 offers; and whenever the new pair_blocked is false, the choice without
// pair rules is the same (the pass then skips that second choice).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/offers_rules.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

/// The previous choose_offers: each round scans the remaining candidates in the rotated order
/// for the first largest reduced value, dropping those whose channel is full or that conflict.
OfferChoice previous_choose_offers(float const* ev, int offers, double const* price, int allowance,
                                   std::uint8_t const* channel_allowance,
                                   std::int8_t const* offer_channel, std::uint64_t const* conflicts,
                                   int tie_offset, std::uint64_t fixed_mask, std::uint8_t* slots) {
  OfferChoice choice;
  choice.mask = fixed_mask;
  int channel_used[kOfferChannels] = {0, 0, 0, 0, 0, 0, 0, 0};
  int used = 0;
  for (std::uint64_t bits = fixed_mask; bits != 0; bits &= bits - 1) {
    ++channel_used[offer_channel[lowest_bit(bits)]];
    ++used;
  }
  if (used >= allowance) return choice;
  double reduced[64];
  std::uint64_t positive = 0;
  for (int o = 0; o < offers; ++o) {
    double const r = static_cast<double>(ev[o]) - price[o];
    reduced[o] = r;
    positive |= static_cast<std::uint64_t>(r > 0.0) << o;
  }
  positive &= ~fixed_mask;
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
        remaining &= ~(std::uint64_t{1} << position);
        continue;
      }
      if (conflicts != nullptr && (conflicts[o] & choice.mask) != 0) {
        choice.pair_blocked = true;
        remaining &= ~(std::uint64_t{1} << position);
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

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(ChooseOffers, SameChoicesAsThePreviousScan) {
  std::mt19937_64 random(18);
  std::int64_t compared = 0, blocked = 0, taken = 0;
  for (int offers : {1, 2, 3, 7, 11, 20, 33, 64}) {
    std::uniform_int_distribution<int> grid(0, 24);
    std::uniform_int_distribution<int> channel_of(0, 3);
    std::uniform_int_distribution<int> allowance_of(0, 4);
    std::uniform_int_distribution<int> channel_allowance_of(0, 3);
    std::uniform_int_distribution<int> offer_of(0, offers - 1);
    std::vector<std::int8_t> channel(static_cast<std::size_t>(offers));
    for (auto& c : channel) c = static_cast<std::int8_t>(channel_of(random));
    std::vector<std::uint64_t> conflicts(static_cast<std::size_t>(offers), 0);
    for (int pair = 0; pair < 2 + offers / 4; ++pair) {
      int const a = offer_of(random), b = offer_of(random);
      if (a == b) continue;
      conflicts[a] |= std::uint64_t{1} << b;
      conflicts[b] |= std::uint64_t{1} << a;
    }
    std::vector<float> ev(static_cast<std::size_t>(offers));
    std::vector<double> price(static_cast<std::size_t>(offers));
    for (int customer = 0; customer < 40000; ++customer) {
      bool const coarse = customer % 2 == 0;  // a coarse grid: many ties
      for (int o = 0; o < offers; ++o) {
        int const g = grid(random);
        ev[o] = g < 5 ? std::numeric_limits<float>::quiet_NaN()
                      : (coarse ? 0.5F * static_cast<float>(g - 5)
                                : static_cast<float>(g) * 0.37F + 0.001F * static_cast<float>(o));
        price[o] = customer % 3 == 0 ? 0.0 : 0.25 * static_cast<double>(grid(random) % 9) - 0.5;
      }
      if (customer % 17 == 0) price[offer_of(random)] = std::numeric_limits<double>::infinity();
      std::uint8_t channel_allowance[kOfferChannels];
      for (auto& a : channel_allowance) a = static_cast<std::uint8_t>(channel_allowance_of(random));
      int const allowance = allowance_of(random);
      int const tie = offer_of(random);
      std::uint64_t fixed = 0;
      if (customer % 5 == 0) fixed |= std::uint64_t{1} << offer_of(random);
      for (bool pairs : {false, true}) {
        std::uint64_t const* conflict = pairs ? conflicts.data() : nullptr;
        std::uint8_t got_slots[kOfferSlots], want_slots[kOfferSlots];
        OfferChoice const got =
            choose_offers(ev.data(), offers, price.data(), allowance, channel_allowance,
                          channel.data(), conflict, tie, fixed, got_slots);
        OfferChoice const want =
            previous_choose_offers(ev.data(), offers, price.data(), allowance, channel_allowance,
                                   channel.data(), conflict, tie, fixed, want_slots);
        ASSERT_EQ(got.added, want.added) << offers << " offers, customer " << customer;
        ASSERT_EQ(got.mask, want.mask) << offers << " offers, customer " << customer;
        for (int s = 0; s < got.added; ++s) ASSERT_EQ(got_slots[s], want_slots[s]);
        ASSERT_TRUE(same_bits(got.reduced, want.reduced));
        ASSERT_TRUE(same_bits(got.value, want.value));
        if (got.pair_blocked) ++blocked;
        if (pairs && !got.pair_blocked) {  // then the relaxed choice is the same
          std::uint8_t relaxed_slots[kOfferSlots];
          OfferChoice const relaxed =
              previous_choose_offers(ev.data(), offers, price.data(), allowance, channel_allowance,
                                     channel.data(), nullptr, tie, fixed, relaxed_slots);
          ASSERT_EQ(relaxed.mask, got.mask);
          ASSERT_TRUE(same_bits(relaxed.reduced, got.reduced));
        }
        if (!pairs) EXPECT_FALSE(got.pair_blocked);
        taken += got.added;
        ++compared;
      }
    }
  }
  // The instances exercise what they should: choices, pair rules that bite.
  EXPECT_GT(taken, compared / 2);
  EXPECT_GT(blocked, compared / 100);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels
