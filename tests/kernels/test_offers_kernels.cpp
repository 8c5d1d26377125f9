// Offer assignment pass (kernels/offers.hpp): both twins against a plain loop over customers in
// row order, summed per batch of kOfferBatchRows and folded in batch order, bit for bit: the
// usage, the value, the dual function's customer part and every customer's slots, with and
// without pair rules and fixed offers, across sizes around the batch size, and a workspace
// reused across prices. The CUDA instance runs in the CUDA emulation build (cuda-emulated).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/offers.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

struct InstanceData {
  std::int64_t customers = 0;
  int offers = 0;
  std::vector<float> expected_value;
  std::vector<std::uint8_t> allowance;
  std::vector<std::uint8_t> channel_allowance;
  std::vector<std::uint8_t> tie_offset;
  std::vector<std::int8_t> offer_channel;
  std::vector<std::uint64_t> conflicts;

  [[nodiscard]] OfferInstance view() const {
    return {customers,
            offers,
            expected_value.data(),
            allowance.data(),
            channel_allowance.data(),
            tie_offset.data(),
            offer_channel.data(),
            conflicts.empty() ? nullptr : conflicts.data()};
  }
};

/// Random values with ties (a grid of 0.25 times a scale per customer), missing candidates,
/// allowances 0..3, channel allowances 0..2 over three channels and, with `pairs`, offers 0-1 and
/// 2-5 in conflict.
InstanceData random_instance(std::int64_t customers, int offers, bool pairs, unsigned seed) {
  std::mt19937_64 random(seed);
  InstanceData data;
  data.customers = customers;
  data.offers = offers;
  for (int o = 0; o < offers; ++o) data.offer_channel.push_back(static_cast<std::int8_t>(o % 3));
  if (pairs) {
    data.conflicts.assign(static_cast<std::size_t>(offers), 0);
    auto const conflict = [&](int a, int b) {
      data.conflicts[a] |= std::uint64_t{1} << b;
      data.conflicts[b] |= std::uint64_t{1} << a;
    };
    conflict(0, 1);
    conflict(2, 5);
  }
  std::uniform_int_distribution<int> grid(0, 40);
  std::uniform_int_distribution<int> allowance(0, 3);
  std::uniform_int_distribution<int> channel(0, 2);
  std::uniform_int_distribution<int> tie(0, offers - 1);
  std::uniform_real_distribution<float> scale(1.0F, 1.1F);
  for (std::int64_t i = 0; i < customers; ++i) {
    // Ties within a customer (one scale per customer).
    float const customer_scale = scale(random);
    for (int o = 0; o < offers; ++o) {
      int const g = grid(random);
      data.expected_value.push_back(g < 8 ? std::numeric_limits<float>::quiet_NaN()
                                          : 0.25F * static_cast<float>(g - 8) * customer_scale);
    }
    data.allowance.push_back(static_cast<std::uint8_t>(allowance(random)));
    for (int c = 0; c < kOfferChannels; ++c) {
      data.channel_allowance.push_back(static_cast<std::uint8_t>(channel(random)));
    }
    data.tie_offset.push_back(static_cast<std::uint8_t>(tie(random)));
  }
  return data;
}

/// The reference: choose_offers per customer in row order, sums per batch, batches in order.
OfferPassResult reference_pass(OfferInstance const& in, std::vector<double> const& price,
                               std::vector<std::uint8_t> const& fixed,
                               std::vector<std::uint8_t>& slots) {
  OfferPassResult result;
  result.usage.assign(static_cast<std::size_t>(in.offers), 0.0);
  slots.assign(static_cast<std::size_t>(in.customers) * kOfferSlots, kNoOffer);
  for (std::int64_t first = 0; first < in.customers; first += kOfferBatchRows) {
    double value = 0.0;
    double reduced = 0.0;
    for (std::int64_t row = first; row < std::min(in.customers, first + kOfferBatchRows); ++row) {
      std::uint64_t mask = 0;
      for (int s = 0; s < kOfferSlots && !fixed.empty(); ++s) {
        std::uint8_t const o = fixed[row * kOfferSlots + s];
        if (o != kNoOffer) mask |= std::uint64_t{1} << o;
      }
      float const* ev = in.expected_value + row * in.offers;
      std::uint8_t const* channel = in.channel_allowance + row * kOfferChannels;
      OfferChoice const choice =
          choose_offers(ev, in.offers, price.data(), in.allowance[row], channel, in.offer_channel,
                        in.conflicts, in.tie_offset[row], mask, slots.data() + row * kOfferSlots);
      for (int s = 0; s < choice.added; ++s) result.usage[slots[row * kOfferSlots + s]] += 1.0;
      value += choice.value;
      if (fixed.empty()) {
        std::uint8_t relaxed[kOfferSlots];
        reduced += choose_offers(ev, in.offers, price.data(), in.allowance[row], channel,
                                 in.offer_channel, nullptr, in.tie_offset[row], 0, relaxed)
                       .reduced;
      }
    }
    result.value += value;
    result.relaxed_reduced += reduced;
  }
  return result;
}

/// Every customer's first chosen offer (at zero prices) as a fixed offer.
std::vector<std::uint8_t> fixed_from_a_pass(OfferInstance const& in, int offers) {
  std::vector<std::uint8_t> slots;
  reference_pass(in, std::vector<double>(static_cast<std::size_t>(offers), 0.0), {}, slots);
  std::vector<std::uint8_t> fixed(slots.size(), kNoOffer);
  for (std::int64_t i = 0; i < in.customers; ++i) fixed[i * kOfferSlots] = slots[i * kOfferSlots];
  return fixed;
}

void expect_same(OfferPassResult const& got, OfferPassResult const& want,
                 std::vector<std::uint8_t> const& got_slots,
                 std::vector<std::uint8_t> const& want_slots) {
  EXPECT_EQ(got.usage, want.usage);
  EXPECT_EQ(got.value, want.value);  // the same bits: the same order of additions
  EXPECT_EQ(got.relaxed_reduced, want.relaxed_reduced);
  EXPECT_EQ(got_slots, want_slots);
}

class OfferPassBackends : public cie::testing::BackendTest {};

TEST_P(OfferPassBackends, MatchesTheReferenceBitForBitAcrossSizes) {
  int const offers = 11;
  for (std::int64_t customers :
       {std::int64_t{1}, kOfferBatchRows - 1, kOfferBatchRows, 2 * kOfferBatchRows + 37}) {
    for (bool pairs : {false, true}) {
      SCOPED_TRACE(::testing::Message() << customers << " customers, pairs " << pairs);
      InstanceData const data = random_instance(customers, offers, pairs, 17);
      OfferInstance const in = data.view();
      std::vector<double> price(offers);
      // Offers o and o + 4 tie in price; reduced values that round, so that the sums depend
      // on the order of additions (a sum of floats alone would be exact in double).
      for (int o = 0; o < offers; ++o) price[o] = 0.1 * (o % 4) + 0.013;
      std::unique_ptr<OfferPassWorkspace> workspace = make_offer_workspace(context(), in);
      std::vector<std::uint8_t> want_slots;
      OfferPassResult const want = reference_pass(in, price, {}, want_slots);
      std::vector<std::uint8_t> slots(want_slots.size(), 7);
      expect_same(workspace->pass(price, {}, slots), want, slots, want_slots);
      EXPECT_GT(want.value, 0.0);
      EXPECT_GT(want.relaxed_reduced, 0.0);

      // Fixed offers count against the limits; the dual part is then not summed.
      std::vector<std::uint8_t> const fixed = fixed_from_a_pass(in, offers);
      OfferPassResult const want_fixed = reference_pass(in, price, fixed, want_slots);
      expect_same(workspace->pass(price, fixed, slots), want_fixed, slots, want_slots);
      EXPECT_EQ(want_fixed.relaxed_reduced, 0.0);

      // No slots kept: the same sums.
      OfferPassResult const without = workspace->pass(price, {}, {});
      EXPECT_EQ(without.usage, want.usage);
      EXPECT_EQ(without.value, want.value);
      EXPECT_EQ(without.relaxed_reduced, want.relaxed_reduced);
    }
  }
}

TEST_P(OfferPassBackends, AReusedWorkspaceFollowsThePrices) {
  int const offers = 20;
  InstanceData const data =
      random_instance(cie::testing::emulated_size<std::int64_t>(50000, 20000), offers, true, 3);
  OfferInstance const in = data.view();
  std::unique_ptr<OfferPassWorkspace> workspace = make_offer_workspace(context(), in);
  std::vector<double> price(offers, 0.0);
  double last_usage = std::numeric_limits<double>::infinity();
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(::testing::Message() << "round " << round);
    std::vector<std::uint8_t> want_slots;
    OfferPassResult const want = reference_pass(in, price, {}, want_slots);
    std::vector<std::uint8_t> slots(want_slots.size());
    expect_same(workspace->pass(price, {}, slots), want, slots, want_slots);
    double usage = 0.0;
    for (double u : want.usage) usage += u;
    EXPECT_LT(usage, last_usage);  // higher prices, fewer contacts
    last_usage = usage;
    for (int o = 0; o < offers; ++o) price[o] += 1.01 + 0.25 * (o % 3);
  }
  // Infinite prices close offers, as the fill does.
  std::fill(price.begin(), price.end(), std::numeric_limits<double>::infinity());
  price[4] = 0.0;
  OfferPassResult const closed = workspace->pass(price, {}, {});
  for (int o = 0; o < offers; ++o) {
    if (o != 4) EXPECT_EQ(closed.usage[o], 0.0) << o;
  }
  EXPECT_GT(closed.usage[4], 0.0);
}

INSTANTIATE_TEST_SUITE_P(Backends, OfferPassBackends,
                         ::testing::Values(Backend::kCpu, Backend::kCuda),
                         cie::testing::backend_name);

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels
