#include "models/offers/contact_order.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <utility>

namespace cie::offers::detail {

std::uint64_t descending_key(double x) {
  auto const bits = std::bit_cast<std::uint64_t>(x + 0.0);  // + 0.0: −0 becomes +0
  std::uint64_t const sign = std::uint64_t{1} << 63;
  std::uint64_t const ascending = (bits & sign) != 0 ? ~bits : bits | sign;
  return ~ascending;
}

void sort_by_key(std::vector<RankedContact>& contacts) {
  constexpr int kBits = 11;
  constexpr int kDigits = (64 + kBits - 1) / kBits;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  std::vector<std::array<std::size_t, kBuckets>> count(kDigits);
  for (auto& digit : count) digit.fill(0);
  for (RankedContact const& c : contacts) {
    for (int d = 0; d < kDigits; ++d) ++count[d][(c.key >> (d * kBits)) & (kBuckets - 1)];
  }
  std::vector<RankedContact> buffer;
  for (int d = 0; d < kDigits; ++d) {
    auto& digit = count[d];
    if (std::ranges::any_of(digit, [&](std::size_t n) { return n == contacts.size(); })) continue;
    std::size_t position = 0;
    for (std::size_t& n : digit) position += std::exchange(n, position);
    buffer.resize(contacts.size());
    for (RankedContact const& c : contacts) {
      buffer[digit[(c.key >> (d * kBits)) & (kBuckets - 1)]++] = c;
    }
    contacts.swap(buffer);
  }
}

}  // namespace cie::offers::detail
