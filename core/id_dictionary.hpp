// Dictionary encoding of string ids (customer ids) into dense indices 0, 1, 2, ... in order of
// first insertion, and the order-preserving merge of dictionaries built in parallel.
//
// Open addressing with linear probing over 64-bit XXH3 hashes that the caller computes once
// (hash_id) and that the dictionary keeps, so dictionaries can be merged without hashing again.
// The dictionary stores views: the id texts must outlive it.
#pragma once

#include <xxhash.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/error.hpp"

namespace cie {

inline std::uint64_t hash_id(std::string_view id) noexcept {
  return XXH3_64bits(id.data(), id.size());
}

class IdDictionary {
 public:
  IdDictionary() : slots_(kInitialSlots) {}

  [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
  [[nodiscard]] std::string_view id(std::size_t index) const noexcept { return ids_[index]; }
  [[nodiscard]] std::uint64_t hash(std::size_t index) const noexcept { return hashes_[index]; }

  /// The index of `id` (whose hash_id is `hash`), or -1 if it is not in the dictionary.
  [[nodiscard]] std::int32_t find(std::string_view id, std::uint64_t hash) const noexcept {
    Slot const key = key_of(id, hash);
    for (std::size_t slot = hash & mask();; slot = (slot + 1) & mask()) {
      Slot const& entry = slots_[slot];
      if (entry.index_plus_one == 0) return -1;
      std::uint32_t const index = entry.index_plus_one - 1;
      if (entry.check == key.check && entry.prefix == key.prefix &&
          (id.size() <= sizeof(key.prefix) || ids_[index] == id)) {
        return static_cast<std::int32_t>(index);
      }
    }
  }

  /// Makes room for `count` ids in all, so that inserting up to that many never grows the table.
  void reserve(std::size_t count) {
    std::size_t slots = slots_.size();
    while (slots < 2 * count) slots *= 2;
    if (slots > slots_.size()) rehash(slots);
    ids_.reserve(count);
    hashes_.reserve(count);
  }

  /// Starts loading the slot where a lookup of `hash` begins: lookups issued a little later then
  /// find it in cache, instead of each waiting for memory in turn.
  void prefetch(std::uint64_t hash) const noexcept { __builtin_prefetch(&slots_[hash & mask()]); }

  /// The dictionary of `ids` in which ids[i] has index i, built on ctx's threads, or nullopt
  /// when some id appears twice (core/customer_table.hpp's index_ids then names the first
  /// repeat). Lookups find what inserting the ids one by one would give; only the slots' order
  /// may differ. The ids must outlive it.
  static std::optional<IdDictionary> of_distinct(Context const& ctx,
                                                 std::span<std::string const> ids);

  /// Adds an id that find() does not know and returns its index (the previous size). A data
  /// error (exit 3) past 2^31 - 1 ids, the range of the int32 indices.
  std::int32_t insert(std::string_view id, std::uint64_t hash) {
    CIE_EXPECTS_DATA(ids_.size() < kMaxIds, "more than {} distinct customer ids", kMaxIds);
    // At most half full keeps linear probes short.
    if (2 * (ids_.size() + 1) > slots_.size()) rehash(slots_.size() * 2);
    auto const index = static_cast<std::uint32_t>(ids_.size());
    ids_.push_back(id);
    hashes_.push_back(hash);
    Slot entry = key_of(id, hash);
    entry.index_plus_one = index + 1;
    place(hash, entry);
    return static_cast<std::int32_t>(index);
  }

 private:
  // A slot holds enough of its id to decide most lookups without reading the id itself, which
  // lies elsewhere in memory: short ids (the usual customer numbers) are compared whole here.
  struct Slot {
    std::uint32_t index_plus_one = 0;  ///< 0 marks an empty slot
    std::uint32_t check = 0;   ///< bits 40-63 of the hash, then the id length (capped) in 8 bits
    std::uint64_t prefix = 0;  ///< the first 8 bytes of the id, zero-padded
  };
  static constexpr std::size_t kInitialSlots = 1024;  // a power of two
  static constexpr std::size_t kMaxIds = std::numeric_limits<std::int32_t>::max();
  // Slots ahead whose hashes are prefetched while rehashing.
  static constexpr std::size_t kRehashPrefetch = 8;

  static Slot key_of(std::string_view id, std::uint64_t hash) noexcept {
    Slot key;
    key.check = (static_cast<std::uint32_t>(hash >> 32) & ~std::uint32_t{0xFF}) |
                static_cast<std::uint32_t>(std::min<std::size_t>(id.size(), 0xFF));
    if (id.size() >= sizeof(key.prefix)) {
      std::memcpy(&key.prefix, id.data(), sizeof(key.prefix));
    } else {
      for (std::size_t i = 0; i < id.size(); ++i) {
        key.prefix |= static_cast<std::uint64_t>(static_cast<unsigned char>(id[i])) << (8 * i);
      }
    }
    return key;
  }
  [[nodiscard]] std::size_t mask() const noexcept { return slots_.size() - 1; }

  void place(std::uint64_t hash, Slot const& entry) noexcept {
    std::size_t slot = hash & mask();
    while (slots_[slot].index_plus_one != 0) slot = (slot + 1) & mask();
    slots_[slot] = entry;
  }

  /// Moves every id into a table of `slot_count` slots (a power of two, at least twice the ids).
  void rehash(std::size_t slot_count) {
    std::vector<Slot> old(slot_count);
    old.swap(slots_);
    for (std::size_t i = 0; i < old.size(); ++i) {
      if (i + kRehashPrefetch < old.size() && old[i + kRehashPrefetch].index_plus_one != 0) {
        __builtin_prefetch(&hashes_[old[i + kRehashPrefetch].index_plus_one - 1]);
      }
      if (old[i].index_plus_one != 0) place(hashes_[old[i].index_plus_one - 1], old[i]);
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::string_view> ids_;
  std::vector<std::uint64_t> hashes_;
};

/// Merges dictionaries built over consecutive parts of one sequence of ids (parts[0] first) into
/// the list of distinct ids in order of first appearance in the whole sequence, and sets
/// index_maps[p][i] to the merged index of parts[p]->id(i). The ids are split by hash into
/// partitions merged on all threads; the result does not depend on the thread count.
std::vector<std::string_view> merge_in_order(Context const& ctx,
                                             std::vector<IdDictionary const*> const& parts,
                                             std::vector<std::vector<std::int32_t>>& index_maps);

}  // namespace cie
