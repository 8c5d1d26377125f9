// RFM kernels: per-customer aggregation of transactions and rank-based quantile scores.
//
// Twins: kernels/cpu/rfm.cpp (OpenMP) and kernels/cuda/rfm.cu (Thrust sorts + own kernels).
// Both order every customer's rows by (timestamp, row) and apply the same per-customer functions
// (kernels/rfm_rules.hpp), so they return identical results. Counting distinct orders has only
// the CPU twin so far: aggregate_rfm with order ids runs on the CPU whatever the device (the
// CUDA twin is left for later).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/context.hpp"

namespace cie::kernels {

/// Transactions as host columns; row i is (customer[i], timestamp[i], amount[i]) and every
/// customer index lies in [0, customer_count).
struct TransactionColumns {
  std::span<std::int32_t const> customer;
  std::span<std::int64_t const> timestamp;  ///< seconds since the epoch
  std::span<double const> amount;
  std::int32_t customer_count = 0;
  /// Optional: a 64-bit hash of each row's order (invoice) id, or empty. Distinct purchase
  /// orders are counted by hash within each customer (a collision among one customer's orders,
  /// about n^2 / 2^65 for n orders, would merge two of them).
  std::span<std::uint64_t const> order = {};
};

/// Per-customer aggregates, one entry per customer index (see CustomerAggregate).
struct RfmAggregates {
  std::vector<std::int32_t> first_day;
  std::vector<std::int32_t> last_day;
  std::vector<std::int32_t> purchase_days;
  std::vector<std::int32_t> transactions;  ///< purchase rows; 0: no purchase before as_of_day
  std::vector<std::int32_t> return_rows;
  std::vector<double> monetary_total;
  std::vector<double> repeat_value_total;
  /// Distinct orders with a purchase row before as_of_day; filled only when order ids are given.
  std::vector<std::int32_t> purchase_orders;
};

/// Which end of a ranked feature earns the top score.
enum class ScoreDirection {
  kHighIsBest,  ///< frequency, monetary: the largest values score `bins`
  kLowIsBest,   ///< recency: the smallest values (most recent) score `bins`
};

/// How quantile scores treat equal values.
enum class ScoreTies {
  kEqual,  ///< equal values share a score; cuts at the nearest tie boundaries (tie_aware_cuts)
  kFirst,  ///< pandas' qcut(x.rank(method="first"), bins): ties broken by position
};

namespace cpu_impl {
RfmAggregates aggregate_rfm(Context const& ctx, TransactionColumns transactions,
                            std::int32_t as_of_day);
std::vector<std::int8_t> quantile_scores(Context const& ctx, std::span<double const> values,
                                         std::int32_t bins, ScoreDirection direction,
                                         ScoreTies ties);
}  // namespace cpu_impl

namespace cuda_impl {
RfmAggregates aggregate_rfm(Context const& ctx, TransactionColumns transactions,
                            std::int32_t as_of_day);
std::vector<std::int8_t> quantile_scores(Context const& ctx, std::span<double const> values,
                                         std::int32_t bins, ScoreDirection direction,
                                         ScoreTies ties);
}  // namespace cuda_impl

/// Aggregates every customer's rows before `as_of_day`. O(rows) memory traffic plus a sort of
/// each customer's rows by time.
inline RfmAggregates aggregate_rfm(Context const& ctx, TransactionColumns transactions,
                                   std::int32_t as_of_day) {
  return ctx.is_cuda() && transactions.order.empty()
             ? cuda_impl::aggregate_rfm(ctx, transactions, as_of_day)
             : cpu_impl::aggregate_rfm(ctx, transactions, as_of_day);
}

/// Scores values 1..bins (bins <= kMaxScoreBins) by quantiles. Values must be finite; -0.0 and
/// 0.0 are equal. O(n log n).
///  - kEqual: values are ordered from worst to best (ascending; descending for kLowIsBest) and
///    cut by tie_aware_cuts: equal values get equal scores, the worst values score 1 and the
///    best `bins` (all 1 when every value is equal).
///  - kFirst: values are ranked ascending with ties broken by position (pandas'
///    rank(method="first")), ranks are cut into `bins` equal-count bins (quantile_bin), and
///    kLowIsBest reverses the scale.
inline std::vector<std::int8_t> quantile_scores(Context const& ctx, std::span<double const> values,
                                                std::int32_t bins, ScoreDirection direction,
                                                ScoreTies ties) {
  return ctx.is_cuda() ? cuda_impl::quantile_scores(ctx, values, bins, direction, ties)
                       : cpu_impl::quantile_scores(ctx, values, bins, direction, ties);
}

}  // namespace cie::kernels
