// models/offers/contact_order.hpp: the radix order equals a comparison sort by decreasing value,
// then customer, then offer, on keys with many ties, both zeros, negatives and large magnitudes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "models/offers/contact_order.hpp"

namespace cie::offers::detail {
namespace CIE_TEST_FILE_ID {

struct Plain {
  double value;
  std::int64_t customer;
  int offer;
  int slot;
};

TEST(OffersContactOrder, RadixOrderEqualsTheComparisonSort) {
  std::mt19937_64 random(18);
  std::uniform_int_distribution<int> pick(0, 9);
  std::uniform_real_distribution<double> spread(-1e6, 1e6);
  for (int contacts_per_trial : {0, 1, 5, 3000, 200000}) {
    std::vector<Plain> plain;
    std::vector<RankedContact> ranked;
    std::int64_t customer = 0;
    while (static_cast<int>(plain.size()) < contacts_per_trial) {
      int const offers = 1 + pick(random) % 3;
      for (int o = 0; o < offers; ++o) {
        int const kind = pick(random);
        double const value = kind == 0   ? 0.0
                             : kind == 1 ? -0.0
                             : kind < 5  ? 0.5 * static_cast<double>(pick(random) - 4)
                                         : spread(random);
        int const offer = 5 * o + pick(random) % 5;  // ascending within the customer
        plain.push_back({value, customer, offer, o});
        ranked.push_back({descending_key(value), static_cast<std::uint64_t>(customer) << 9 |
                                                     static_cast<std::uint64_t>(offer) << 3 |
                                                     static_cast<std::uint64_t>(o)});
      }
      customer += 1 + pick(random) * 1000;  // large customer numbers too
    }
    std::sort(plain.begin(), plain.end(), [](Plain const& a, Plain const& b) {
      if (a.value != b.value) return a.value > b.value;
      if (a.customer != b.customer) return a.customer < b.customer;
      return a.offer < b.offer;
    });
    sort_by_key(ranked);
    ASSERT_EQ(ranked.size(), plain.size());
    for (std::size_t k = 0; k < plain.size(); ++k) {
      ASSERT_EQ(ranked[k].customer(), plain[k].customer) << k;
      ASSERT_EQ(ranked[k].offer(), plain[k].offer) << k;
      ASSERT_EQ(ranked[k].slot(), plain[k].slot) << k;
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::offers::detail
