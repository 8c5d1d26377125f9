#include "core/id_dictionary.hpp"

#include <atomic>
#include <exception>
#include <limits>
#include <numeric>

namespace cie {
namespace {

// A few partitions per thread balance the load; at most 256 because the partition is taken from
// hash bits 32-39, which the dictionary slots do not compare, so that a partition's dictionary
// loses none of its hash bits.
constexpr std::size_t kPartitionsPerThread = 4;
constexpr std::size_t kMaxPartitions = 256;
// Lookups ahead whose slots are prefetched.
constexpr std::size_t kLookAhead = 16;
constexpr std::size_t kMaxIds = std::numeric_limits<std::int32_t>::max();
// Marks the first appearance of an id in the partition results.
constexpr std::uint32_t kFirstAppearance = std::uint32_t{1} << 31;

/// One part's ids grouped by partition (a counting sort), so that a partition reads only its own
/// ids; within a group they stay in local order.
struct GroupedPart {
  std::vector<std::uint32_t> order;         ///< local indices, partition after partition
  std::vector<std::size_t> group_begin;     ///< where each partition's group starts in `order`
  std::vector<std::uint32_t> in_partition;  ///< per `order` entry: partition index | first flag
};

class PartitionedMerge {
 public:
  PartitionedMerge(std::vector<IdDictionary const*> const& parts, std::size_t partition_count)
      : parts_(parts),
        partition_count_(partition_count),
        grouped_(parts.size()),
        merged_index_(partition_count) {}

  [[nodiscard]] std::size_t partition_of(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>((hash >> 32) & 0xFF) % partition_count_;
  }

  void group(std::size_t p) {
    IdDictionary const& part = *parts_[p];
    GroupedPart& grouped = grouped_[p];
    grouped.group_begin.assign(partition_count_ + 1, 0);
    for (std::size_t i = 0; i < part.size(); ++i)
      ++grouped.group_begin[partition_of(part.hash(i)) + 1];
    std::partial_sum(grouped.group_begin.begin(), grouped.group_begin.end(),
                     grouped.group_begin.begin());
    std::vector<std::size_t> cursor(grouped.group_begin.begin(), grouped.group_begin.end() - 1);
    grouped.order.resize(part.size());
    for (std::size_t i = 0; i < part.size(); ++i) {
      grouped.order[cursor[partition_of(part.hash(i))]++] = static_cast<std::uint32_t>(i);
    }
    grouped.in_partition.resize(part.size());
  }

  /// Merges partition q's ids part after part; its new ids come in order of first appearance.
  void merge_partition(std::size_t q) {
    IdDictionary merged;
    for (std::size_t p = 0; p < parts_.size(); ++p) {
      IdDictionary const& part = *parts_[p];
      GroupedPart& grouped = grouped_[p];
      std::size_t const end = grouped.group_begin[q + 1];
      for (std::size_t k = grouped.group_begin[q]; k < end; ++k) {
        if (k + kLookAhead < end) merged.prefetch(part.hash(grouped.order[k + kLookAhead]));
        std::uint32_t const local = grouped.order[k];
        std::int32_t const index = merged.find(part.id(local), part.hash(local));
        grouped.in_partition[k] =
            index >= 0
                ? static_cast<std::uint32_t>(index)
                : static_cast<std::uint32_t>(merged.insert(part.id(local), part.hash(local))) |
                      kFirstAppearance;
      }
    }
    merged_index_[q].resize(merged.size());
  }

  /// Puts part p's partition results back in local order and returns its count of first
  /// appearances.
  std::size_t to_local_order(std::size_t p, std::vector<std::uint32_t>& in_partition) const {
    GroupedPart const& grouped = grouped_[p];
    in_partition.resize(grouped.order.size());
    std::size_t firsts = 0;
    for (std::size_t k = 0; k < grouped.order.size(); ++k) {
      in_partition[grouped.order[k]] = grouped.in_partition[k];
      if ((grouped.in_partition[k] & kFirstAppearance) != 0) ++firsts;
    }
    return firsts;
  }

  /// Numbers part p's first appearances from `next` on, in local order.
  void number_firsts(std::size_t p, std::vector<std::uint32_t> const& in_partition,
                     std::int32_t next, std::vector<std::string_view>& ids) {
    IdDictionary const& part = *parts_[p];
    for (std::size_t i = 0; i < in_partition.size(); ++i) {
      if ((in_partition[i] & kFirstAppearance) == 0) continue;
      merged_index_[partition_of(part.hash(i))][in_partition[i] & ~kFirstAppearance] = next;
      ids[static_cast<std::size_t>(next)] = part.id(i);
      ++next;
    }
  }

  void map_part(std::size_t p, std::vector<std::uint32_t> const& in_partition,
                std::vector<std::int32_t>& map) const {
    IdDictionary const& part = *parts_[p];
    map.resize(in_partition.size());
    for (std::size_t i = 0; i < in_partition.size(); ++i) {
      map[i] = merged_index_[partition_of(part.hash(i))][in_partition[i] & ~kFirstAppearance];
    }
  }

 private:
  std::vector<IdDictionary const*> const& parts_;
  std::size_t partition_count_;
  std::vector<GroupedPart> grouped_;
  std::vector<std::vector<std::int32_t>> merged_index_;  ///< per partition: index → merged index
};

}  // namespace

std::optional<IdDictionary> IdDictionary::of_distinct(Context const& ctx,
                                                      std::span<std::string const> ids) {
  CIE_EXPECTS_DATA(ids.size() <= kMaxIds, "more than {} distinct customer ids", kMaxIds);
  IdDictionary dictionary;
  dictionary.reserve(ids.size());
  dictionary.ids_.resize(ids.size());
  dictionary.hashes_.resize(ids.size());
  auto const count = static_cast<std::ptrdiff_t>(ids.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::ptrdiff_t i = 0; i < count; ++i) {
    auto const index = static_cast<std::size_t>(i);
    dictionary.ids_[index] = ids[index];
    dictionary.hashes_[index] = hash_id(ids[index]);
  }
  // Each id claims the first free slot from its home slot with a compare-and-swap of the slot's
  // index; a thread that finds a slot taken compares the ids through the index, so the slot's
  // copy of the key, written by its owner after the claim, is never read before the end.
  std::atomic<bool> repeated{false};
  std::size_t const mask = dictionary.mask();
  std::vector<Slot>& slots = dictionary.slots_;
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::ptrdiff_t i = 0; i < count; ++i) {
    auto const index = static_cast<std::size_t>(i);
    if (i + static_cast<std::ptrdiff_t>(kLookAhead) < count) {
      dictionary.prefetch(dictionary.hashes_[index + kLookAhead]);
    }
    std::uint64_t const hash = dictionary.hashes_[index];
    for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      std::atomic_ref<std::uint32_t> const claimed(slots[slot].index_plus_one);
      std::uint32_t other = 0;
      if (claimed.compare_exchange_strong(other, static_cast<std::uint32_t>(index + 1),
                                          std::memory_order_relaxed)) {
        Slot const key = key_of(ids[index], hash);
        slots[slot].check = key.check;
        slots[slot].prefix = key.prefix;
        break;
      }
      if (dictionary.hashes_[other - 1] == hash && ids[other - 1] == ids[index]) {
        repeated.store(true, std::memory_order_relaxed);
        break;
      }
    }
  }
  if (repeated.load()) return std::nullopt;
  return dictionary;
}

std::vector<std::string_view> merge_in_order(Context const& ctx,
                                             std::vector<IdDictionary const*> const& parts,
                                             std::vector<std::vector<std::int32_t>>& index_maps) {
  int const threads = ctx.threads();
  std::size_t const partition_count =
      std::min(kMaxPartitions, static_cast<std::size_t>(threads) * kPartitionsPerThread);
  auto const part_count = static_cast<std::ptrdiff_t>(parts.size());
  PartitionedMerge merge(parts, partition_count);

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::ptrdiff_t p = 0; p < part_count; ++p) merge.group(static_cast<std::size_t>(p));

  std::vector<std::exception_ptr> failures(partition_count);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::ptrdiff_t q = 0; q < static_cast<std::ptrdiff_t>(partition_count); ++q) {
    try {
      merge.merge_partition(static_cast<std::size_t>(q));
    } catch (...) {
      failures[static_cast<std::size_t>(q)] = std::current_exception();
    }
  }
  for (std::exception_ptr const& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }

  // The first appearances in part p are numbered after those in the parts before it.
  std::vector<std::vector<std::uint32_t>> in_partition(parts.size());
  std::vector<std::size_t> first_begin(parts.size() + 1, 0);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::ptrdiff_t p = 0; p < part_count; ++p) {
    auto const part = static_cast<std::size_t>(p);
    first_begin[part + 1] = merge.to_local_order(part, in_partition[part]);
  }
  std::partial_sum(first_begin.begin(), first_begin.end(), first_begin.begin());
  CIE_EXPECTS_DATA(first_begin.back() <= kMaxIds, "more than {} distinct customer ids", kMaxIds);

  std::vector<std::string_view> ids(first_begin.back());
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::ptrdiff_t p = 0; p < part_count; ++p) {
    auto const part = static_cast<std::size_t>(p);
    merge.number_firsts(part, in_partition[part], static_cast<std::int32_t>(first_begin[part]),
                        ids);
  }
  index_maps.assign(parts.size(), {});
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::ptrdiff_t p = 0; p < part_count; ++p) {
    auto const part = static_cast<std::size_t>(p);
    merge.map_part(part, in_partition[part], index_maps[part]);
  }
  return ids;
}

}  // namespace cie
