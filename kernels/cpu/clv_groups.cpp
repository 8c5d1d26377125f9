#include "kernels/cpu/clv_groups.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cie::kernels::cpu_impl {

namespace {

std::uint64_t frequency_age_hash(std::uint64_t x, std::uint64_t age) {
  std::uint64_t h = (x * 0x9E3779B97F4A7C15ull) ^ (age + 0x632BE59BD9B4E019ull + (x << 6));
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 32);
}

}  // namespace

/// The table holds group numbers and doubles when half full; the groups' keys lie in their own
/// array (small, unlike the columns a group's first row would be read from at random).
FrequencyAgeGroups group_by_frequency_and_age(ClvRows const& rows) {
  std::size_t const n = rows.size();
  struct Key {
    std::uint64_t frequency, age;
  };
  std::vector<Key> keys;
  std::vector<std::int32_t> slots(1024, -1);
  auto const home = [&](Key const& key) {
    return static_cast<std::size_t>(frequency_age_hash(key.frequency, key.age)) &
           (slots.size() - 1);
  };
  FrequencyAgeGroups groups;
  groups.group.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    Key const key{std::bit_cast<std::uint64_t>(rows.frequency[i]),
                  std::bit_cast<std::uint64_t>(rows.age[i])};
    std::size_t slot = home(key);
    while (true) {
      std::int32_t const g = slots[slot];
      if (g < 0) break;
      Key const& other = keys[static_cast<std::size_t>(g)];
      if (other.frequency == key.frequency && other.age == key.age) break;
      slot = (slot + 1) & (slots.size() - 1);
    }
    if (slots[slot] >= 0) {
      groups.group[i] = slots[slot];
      continue;
    }
    std::int32_t const g = static_cast<std::int32_t>(groups.first_row.size());
    slots[slot] = g;
    groups.group[i] = g;
    groups.first_row.push_back(static_cast<std::int64_t>(i));
    keys.push_back(key);
    if (2 * keys.size() > slots.size()) {  // rehash into twice the slots
      slots.assign(2 * slots.size(), -1);
      for (std::size_t h = 0; h < keys.size(); ++h) {
        std::size_t s = home(keys[h]);
        while (slots[s] >= 0) s = (s + 1) & (slots.size() - 1);
        slots[s] = static_cast<std::int32_t>(h);
      }
    }
  }
  return groups;
}

GroupAges distinct_group_ages(ClvRows const& rows, FrequencyAgeGroups const& groups) {
  GroupAges ages;
  ages.index.resize(groups.first_row.size());
  std::size_t slot_count = 64;
  while (slot_count < 2 * groups.first_row.size()) slot_count *= 2;
  std::vector<std::int32_t> slots(slot_count, -1);
  for (std::size_t g = 0; g < groups.first_row.size(); ++g) {
    double const age = rows.age[static_cast<std::size_t>(groups.first_row[g])];
    std::uint64_t const bits = std::bit_cast<std::uint64_t>(age);
    std::size_t slot = static_cast<std::size_t>(frequency_age_hash(0, bits)) & (slot_count - 1);
    while (slots[slot] >= 0 && std::bit_cast<std::uint64_t>(
                                   ages.values[static_cast<std::size_t>(slots[slot])]) != bits) {
      slot = (slot + 1) & (slot_count - 1);
    }
    if (slots[slot] < 0) {
      slots[slot] = static_cast<std::int32_t>(ages.values.size());
      ages.values.push_back(age);
    }
    ages.index[g] = slots[slot];
  }
  return ages;
}

}  // namespace cie::kernels::cpu_impl
