// Per-customer RFM arithmetic shared by the CPU and CUDA twins (see kernels/hd.hpp).
//
// A customer's rows arrive sorted by (timestamp, original row order); the same sums are taken in
// the same order on both backends, so their results are identical bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/date.hpp"
#include "kernels/hd.hpp"

namespace cie::kernels {

/// Neumaier's compensated sum: the result is the correctly rounded sum in all but pathological
/// cases, and does not depend on how large the running total grows.
struct CompensatedSum {
  double sum = 0.0;
  double compensation = 0.0;

  CIE_HD void add(double value) {
    double total = sum + value;
    if (std::fabs(sum) >= std::fabs(value)) {
      compensation += (sum - total) + value;
    } else {
      compensation += (value - total) + sum;
    }
    sum = total;
  }
  [[nodiscard]] CIE_HD double value() const { return sum + compensation; }
};

/// Everything RFM needs from one customer's transactions before the as-of day.
struct CustomerAggregate {
  std::int32_t first_day = 0;      ///< day of the first transaction (days since 1970-01-01)
  std::int32_t last_day = 0;       ///< day of the last transaction
  std::int32_t purchase_days = 0;  ///< distinct days with at least one transaction
  std::int32_t transactions = 0;   ///< rows; 0 means no transaction before the as-of day
  double monetary_total = 0.0;     ///< net sum of amounts (returns included, negative)
  double repeat_value_total = 0.0; ///< sum of the day totals of every day after the first
};

/// Aggregates `count` rows of one customer, sorted by timestamp, ignoring rows on or after
/// `as_of_day`.
CIE_HD inline CustomerAggregate aggregate_customer(std::int64_t const* timestamp,
                                                   double const* amount, std::int64_t count,
                                                   std::int32_t as_of_day) {
  CustomerAggregate result;
  CompensatedSum total;
  CompensatedSum repeat_total;
  CompensatedSum day_total;
  std::int32_t current_day = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    std::int32_t day = day_of(timestamp[i]);
    if (day >= as_of_day) break;
    if (result.transactions == 0) {
      result.first_day = day;
      current_day = day;
      result.purchase_days = 1;
    } else if (day != current_day) {
      if (current_day != result.first_day) repeat_total.add(day_total.value());
      day_total = CompensatedSum{};
      current_day = day;
      ++result.purchase_days;
    }
    day_total.add(amount[i]);
    total.add(amount[i]);
    ++result.transactions;
  }
  if (result.transactions > 0) {
    if (current_day != result.first_day) repeat_total.add(day_total.value());
    result.last_day = current_day;
    result.monetary_total = total.value();
    result.repeat_value_total = repeat_total.value();
  }
  return result;
}

/// The quantile bin (1..bins) of a 1-based rank among n values, as pandas'
/// `qcut(x.rank(method="first"), bins)` defines it: bin b holds the ranks r with
/// (b-1)/bins < (r-1)/(n-1) <= b/bins, and rank 1 is in bin 1. Exact integer arithmetic.
CIE_HD inline std::int32_t quantile_bin(std::int64_t rank, std::int64_t n, std::int32_t bins) {
  if (n <= 1) return 1;
  std::int64_t scaled = (rank - 1) * bins;
  std::int64_t bin = (scaled + (n - 1) - 1) / (n - 1);
  return bin < 1 ? 1 : static_cast<std::int32_t>(bin);
}

}  // namespace cie::kernels
