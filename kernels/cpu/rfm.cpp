// CPU twin of kernels/rfm.hpp (OpenMP).
#include <omp.h>
#include <parallel/algorithm>

#include <algorithm>
#include <limits>
#include <utility>

#include "core/error.hpp"
#include "kernels/rfm.hpp"
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
  CIE_EXPECTS_DATA(transactions.customer.size() < std::numeric_limits<std::uint32_t>::max(),
                   "at most {} transactions per run are supported, got {}",
                   std::numeric_limits<std::uint32_t>::max() - 1, transactions.customer.size());
  CustomerPartition partition =
      partition_by_customer(ctx, transactions.customer, transactions.customer_count);

  std::int64_t const row_count = static_cast<std::int64_t>(partition.rows.size());
  std::vector<std::int64_t> timestamp(partition.rows.size());
  std::vector<double> amount(partition.rows.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t i = 0; i < row_count; ++i) {
    timestamp[i] = transactions.timestamp[partition.rows[i]];
    amount[i] = transactions.amount[partition.rows[i]];
  }
  partition.rows = {};

  std::size_t const customers = static_cast<std::size_t>(transactions.customer_count);
  RfmAggregates result;
  result.first_day.resize(customers);
  result.last_day.resize(customers);
  result.purchase_days.resize(customers);
  result.transactions.resize(customers);
  result.monetary_total.resize(customers);
  result.repeat_value_total.resize(customers);

#pragma omp parallel num_threads(ctx.threads())
  {
    std::vector<std::pair<std::int64_t, double>> unsorted_rows;
#pragma omp for schedule(dynamic, 4096)
    for (std::int64_t c = 0; c < transactions.customer_count; ++c) {
      std::int64_t begin = partition.offsets[c];
      std::int64_t end = partition.offsets[c + 1];
      if (!std::is_sorted(timestamp.begin() + begin, timestamp.begin() + end)) {
        // Rows are in file order; a stable sort by time keeps file order among equal times.
        unsorted_rows.clear();
        for (std::int64_t i = begin; i < end; ++i) unsorted_rows.emplace_back(timestamp[i], amount[i]);
        std::stable_sort(unsorted_rows.begin(), unsorted_rows.end(),
                         [](auto const& a, auto const& b) { return a.first < b.first; });
        for (std::int64_t i = begin; i < end; ++i) {
          timestamp[i] = unsorted_rows[i - begin].first;
          amount[i] = unsorted_rows[i - begin].second;
        }
      }
      CustomerAggregate aggregate = aggregate_customer(timestamp.data() + begin,
                                                       amount.data() + begin, end - begin, as_of_day);
      result.first_day[c] = aggregate.first_day;
      result.last_day[c] = aggregate.last_day;
      result.purchase_days[c] = aggregate.purchase_days;
      result.transactions[c] = aggregate.transactions;
      result.monetary_total[c] = aggregate.monetary_total;
      result.repeat_value_total[c] = aggregate.repeat_value_total;
    }
  }
  return result;
}

std::vector<std::int8_t> quantile_scores(Context const& ctx, std::span<double const> values,
                                         std::int32_t bins, ScoreDirection direction) {
  CIE_ASSERT(bins >= 1 && bins <= 127);
  std::int64_t const n = static_cast<std::int64_t>(values.size());
  // Sorting (value, position) pairs lexicographically is rank(method="first"), and the order is
  // unique, so the parallel sort needs no stability to be deterministic.
  std::vector<std::pair<double, std::int64_t>> ranked(values.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t i = 0; i < n; ++i) ranked[i] = {values[i] + 0.0, i};  // + 0.0: -0.0 -> 0.0
  __gnu_parallel::sort(ranked.begin(), ranked.end(),
                       __gnu_parallel::default_parallel_tag(ctx.threads()));

  std::vector<std::int8_t> scores(values.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t position = 0; position < n; ++position) {
    std::int32_t bin = quantile_bin(position + 1, n, bins);
    std::int32_t score = direction == ScoreDirection::kHighIsBest ? bin : bins + 1 - bin;
    scores[ranked[position].second] = static_cast<std::int8_t>(score);
  }
  return scores;
}

}  // namespace cie::kernels::cpu_impl
