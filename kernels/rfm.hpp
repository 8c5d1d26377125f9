// RFM kernels: per-customer aggregation of transactions and rank-based quantile scores.
//
// Twins: kernels/cpu/rfm.cpp (OpenMP) and kernels/cuda/rfm.cu (Thrust sorts + own kernels).
// Both order every customer's rows by (timestamp, row) and apply the same per-customer functions
// (kernels/rfm_rules.hpp), so they return identical results.
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
};

/// Per-customer aggregates, one entry per customer index (see CustomerAggregate).
struct RfmAggregates {
  std::vector<std::int32_t> first_day;
  std::vector<std::int32_t> last_day;
  std::vector<std::int32_t> purchase_days;
  std::vector<std::int32_t> transactions;  ///< 0 for a customer with no row before as_of_day
  std::vector<double> monetary_total;
  std::vector<double> repeat_value_total;
};

/// Which end of a ranked feature earns the top score.
enum class ScoreDirection {
  kHighIsBest,  ///< frequency, monetary: the largest values score `bins`
  kLowIsBest,   ///< recency: the smallest values (most recent) score `bins`
};

namespace cpu_impl {
RfmAggregates aggregate_rfm(Context const& ctx, TransactionColumns transactions,
                            std::int32_t as_of_day);
std::vector<std::int8_t> quantile_scores(Context const& ctx, std::span<double const> values,
                                         std::int32_t bins, ScoreDirection direction);
}  // namespace cpu_impl

namespace cuda_impl {
RfmAggregates aggregate_rfm(Context const& ctx, TransactionColumns transactions,
                            std::int32_t as_of_day);
std::vector<std::int8_t> quantile_scores(Context const& ctx, std::span<double const> values,
                                         std::int32_t bins, ScoreDirection direction);
}  // namespace cuda_impl

/// Aggregates every customer's rows before `as_of_day`. O(rows) memory traffic plus a sort of
/// each customer's rows by time.
inline RfmAggregates aggregate_rfm(Context const& ctx, TransactionColumns transactions,
                                   std::int32_t as_of_day) {
  return ctx.is_cuda() ? cuda_impl::aggregate_rfm(ctx, transactions, as_of_day)
                       : cpu_impl::aggregate_rfm(ctx, transactions, as_of_day);
}

/// Scores values 1..bins by quantiles of their rank: values are ranked ascending with ties
/// broken by position (pandas' rank(method="first")), ranks are cut into `bins` equal-count
/// bins (quantile_bin), and kLowIsBest reverses the scale. Values must be finite; -0.0 and 0.0
/// rank as equal. O(n log n).
inline std::vector<std::int8_t> quantile_scores(Context const& ctx, std::span<double const> values,
                                                std::int32_t bins, ScoreDirection direction) {
  return ctx.is_cuda() ? cuda_impl::quantile_scores(ctx, values, bins, direction)
                       : cpu_impl::quantile_scores(ctx, values, bins, direction);
}

}  // namespace cie::kernels
