// CPU twin of kernels/rfm.hpp (OpenMP).
#include "kernels/rfm.hpp"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <parallel/algorithm>
#include <utility>

#include "core/error.hpp"
#include "kernels/rfm_rules.hpp"

namespace cie::kernels::cpu_impl {
namespace {

/// Row indices grouped by customer, keeping row order within a customer (a stable, parallel
/// counting sort): customer c owns rows[offsets[c] .. offsets[c+1]).
struct CustomerPartition {
  std::vector<std::int64_t> offsets;
  std::vector<std::uint32_t> rows;
};

CustomerPartition partition_by_customer(Context const& ctx, std::span<std::int32_t const> customer,
                                        std::int32_t customer_count) {
  std::int64_t const row_count = static_cast<std::int64_t>(customer.size());
  int const threads = ctx.threads();
  std::size_t const customers = static_cast<std::size_t>(customer_count);
  // counts[t * customers + c]: rows of customer c in thread t's contiguous slice of rows.
  std::vector<std::int64_t> counts(static_cast<std::size_t>(threads) * customers, 0);
  auto slice_begin = [&](int t) { return row_count * t / threads; };

#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num();
    std::int64_t* local = counts.data() + static_cast<std::size_t>(t) * customers;
    for (std::int64_t i = slice_begin(t); i < slice_begin(t + 1); ++i) ++local[customer[i]];
  }

  CustomerPartition partition;
  partition.offsets.assign(customers + 1, 0);
  std::int64_t running = 0;
  for (std::size_t c = 0; c < customers; ++c) {
    partition.offsets[c] = running;
    for (int t = 0; t < threads; ++t) {
      std::int64_t& slot = counts[static_cast<std::size_t>(t) * customers + c];
      std::int64_t count = slot;
      slot = running;  // becomes thread t's next write position for customer c
      running += count;
    }
  }
  partition.offsets[customers] = running;

  partition.rows.resize(static_cast<std::size_t>(row_count));
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num();
    std::int64_t* next = counts.data() + static_cast<std::size_t>(t) * customers;
    for (std::int64_t i = slice_begin(t); i < slice_begin(t + 1); ++i) {
      partition.rows[next[customer[i]]++] = static_cast<std::uint32_t>(i);
    }
  }
  return partition;
}

}  // namespace

RfmAggregates aggregate_rfm(Context const& ctx, TransactionColumns transactions,
                            std::int32_t as_of_day) {
  CIE_ASSERT(transactions.customer.size() == transactions.timestamp.size() &&
             transactions.customer.size() == transactions.amount.size());
  CIE_ASSERT(transactions.order.empty() ||
             transactions.order.size() == transactions.customer.size());
  CIE_EXPECTS_DATA(transactions.customer.size() < std::numeric_limits<std::uint32_t>::max(),
                   "at most {} transactions per run are supported, got {}",
                   std::numeric_limits<std::uint32_t>::max() - 1, transactions.customer.size());
  CustomerPartition partition =
      partition_by_customer(ctx, transactions.customer, transactions.customer_count);
  bool const with_orders = !transactions.order.empty();

  std::int64_t const row_count = static_cast<std::int64_t>(partition.rows.size());
  std::vector<std::int64_t> timestamp(partition.rows.size());
  std::vector<double> amount(partition.rows.size());
  std::vector<std::uint64_t> order(with_orders ? partition.rows.size() : 0);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t i = 0; i < row_count; ++i) {
    timestamp[i] = transactions.timestamp[partition.rows[i]];
    amount[i] = transactions.amount[partition.rows[i]];
    if (with_orders) order[i] = transactions.order[partition.rows[i]];
  }
  partition.rows = {};

  std::size_t const customers = static_cast<std::size_t>(transactions.customer_count);
  RfmAggregates result;
  result.first_day.resize(customers);
  result.last_day.resize(customers);
  result.purchase_days.resize(customers);
  result.transactions.resize(customers);
  result.return_rows.resize(customers);
  result.monetary_total.resize(customers);
  result.repeat_value_total.resize(customers);
  if (with_orders) result.purchase_orders.resize(customers);

#pragma omp parallel num_threads(ctx.threads())
  {
    std::vector<std::int64_t> permutation;
    std::vector<std::int64_t> sorted_timestamp;
    std::vector<double> sorted_amount;
    std::vector<std::uint64_t> sorted_order;
    std::vector<std::uint64_t> purchase_orders;
#pragma omp for schedule(dynamic, 4096)
    for (std::int64_t c = 0; c < transactions.customer_count; ++c) {
      std::int64_t begin = partition.offsets[c];
      std::int64_t end = partition.offsets[c + 1];
      if (!std::is_sorted(timestamp.begin() + begin, timestamp.begin() + end)) {
        // Rows are in file order; a stable sort by time keeps file order among equal times.
        permutation.resize(static_cast<std::size_t>(end - begin));
        std::iota(permutation.begin(), permutation.end(), begin);
        std::stable_sort(
            permutation.begin(), permutation.end(),
            [&](std::int64_t a, std::int64_t b) { return timestamp[a] < timestamp[b]; });
        auto apply = [&](auto& column, auto& scratch) {
          scratch.clear();
          for (std::int64_t i : permutation) scratch.push_back(column[i]);
          std::copy(scratch.begin(), scratch.end(), column.begin() + begin);
        };
        apply(timestamp, sorted_timestamp);
        apply(amount, sorted_amount);
        if (with_orders) apply(order, sorted_order);
      }
      CustomerAggregate aggregate = aggregate_customer(
          timestamp.data() + begin, amount.data() + begin, end - begin, as_of_day);
      result.first_day[c] = aggregate.first_day;
      result.last_day[c] = aggregate.last_day;
      result.purchase_days[c] = aggregate.purchase_days;
      result.transactions[c] = aggregate.transactions;
      result.return_rows[c] = aggregate.return_rows;
      result.monetary_total[c] = aggregate.monetary_total;
      result.repeat_value_total[c] = aggregate.repeat_value_total;
      if (with_orders) {
        purchase_orders.clear();
        for (std::int64_t i = begin; i < end && day_of(timestamp[i]) < as_of_day; ++i) {
          if (!is_return(amount[i])) purchase_orders.push_back(order[i]);
        }
        std::sort(purchase_orders.begin(), purchase_orders.end());
        result.purchase_orders[c] = static_cast<std::int32_t>(
            std::unique(purchase_orders.begin(), purchase_orders.end()) - purchase_orders.begin());
      }
    }
  }
  return result;
}

std::vector<std::int8_t> quantile_scores(Context const& ctx, std::span<double const> values,
                                         std::int32_t bins, ScoreDirection direction,
                                         ScoreTies ties) {
  CIE_ASSERT(bins >= 1 && bins <= kMaxScoreBins);
  std::int64_t const n = static_cast<std::int64_t>(values.size());
  // Tie-aware scores order from worst to best, so recency is negated; the positional recipe
  // ranks ascending and reverses the bins instead (the two differ where ties are broken).
  bool const negate = ties == ScoreTies::kEqual && direction == ScoreDirection::kLowIsBest;
  // Sorting (value, position) pairs lexicographically is rank(method="first"), and the order is
  // unique, so the parallel sort needs no stability to be deterministic.
  std::vector<std::pair<double, std::int64_t>> ranked(values.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    ranked[i] = {(negate ? -values[i] : values[i]) + 0.0, i};  // + 0.0: -0.0 -> 0.0
  }
  __gnu_parallel::sort(ranked.begin(), ranked.end(),
                       __gnu_parallel::default_parallel_tag(ctx.threads()));

  std::vector<std::int8_t> scores(values.size());
  if (ties == ScoreTies::kEqual) {
    auto by_value = [](auto const& a, auto const& b) { return a.first < b.first; };
    ScoreCuts const cuts = tie_aware_cuts(n, bins, [&](std::int64_t m) {
      auto const [lo, hi] = std::equal_range(ranked.begin(), ranked.end(), ranked[m], by_value);
      return std::pair<std::int64_t, std::int64_t>{lo - ranked.begin(), hi - ranked.begin()};
    });
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
    for (std::int64_t position = 0; position < n; ++position) {
      scores[ranked[position].second] = static_cast<std::int8_t>(bin_of_position(cuts, position));
    }
    return scores;
  }
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t position = 0; position < n; ++position) {
    std::int32_t bin = quantile_bin(position + 1, n, bins);
    std::int32_t score = direction == ScoreDirection::kHighIsBest ? bin : bins + 1 - bin;
    scores[ranked[position].second] = static_cast<std::int8_t>(score);
  }
  return scores;
}

}  // namespace cie::kernels::cpu_impl
