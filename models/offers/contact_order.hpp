// The order in which the repair admits contacts (models/offers/assignment.cpp): decreasing key
// (reduced value or expected value), ties by customer then offer, both ascending. A key is made
// an unsigned integer whose ascending order is the key's decreasing order, so the sort is a
// stable LSD radix sort on it (6 passes of 11 bits, a pass skipped when every contact has the
// same digit) over contacts listed by customer then offer: O(contacts), no comparisons.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace cie::offers::detail {

struct RankedContact {
  std::uint64_t key = 0;    ///< descending_key of the contact's value
  std::uint64_t where = 0;  ///< customer << 9 | offer << 3 | slot (offer < 64, slot < 8)

  [[nodiscard]] std::int64_t customer() const { return static_cast<std::int64_t>(where >> 9); }
  [[nodiscard]] int offer() const { return static_cast<int>((where >> 3) & 63U); }
  [[nodiscard]] int slot() const { return static_cast<int>(where & 7U); }
};

/// Ascending order of the result = decreasing order of x (not NaN); −0 is +0, as in a == test.
std::uint64_t descending_key(double x);

/// `contacts` listed by customer, then offer (ascending `where`), sorted by key, stably.
void sort_by_key(std::vector<RankedContact>& contacts);

/// The contacts of `slots` (customers × slots_per_customer offers, 0xFF after the last), each
/// keyed by descending_key(value(customer, offer)), in the admission order.
template <typename Value>
std::vector<RankedContact> ranked_contacts(std::span<std::uint8_t const> slots,
                                           int slots_per_customer, Value&& value) {
  std::vector<RankedContact> contacts;
  auto const customers = static_cast<std::int64_t>(slots.size()) / slots_per_customer;
  for (std::int64_t i = 0; i < customers; ++i) {
    std::size_t const first = contacts.size();
    for (int s = 0; s < slots_per_customer; ++s) {
      std::uint8_t const o = slots[static_cast<std::size_t>(i * slots_per_customer + s)];
      if (o == 0xFF) break;
      contacts.push_back({descending_key(value(i, o)), static_cast<std::uint64_t>(i) << 9 |
                                                           std::uint64_t{o} << 3 |
                                                           static_cast<std::uint64_t>(s)});
    }
    std::sort(contacts.begin() + static_cast<std::ptrdiff_t>(first), contacts.end(),
              [](RankedContact const& a, RankedContact const& b) { return a.where < b.where; });
  }
  sort_by_key(contacts);
  return contacts;
}

}  // namespace cie::offers::detail
