// Per-customer RFM arithmetic shared by the CPU and CUDA twins (see kernels/hd.hpp).
//
// A customer's rows arrive sorted by (timestamp, original row order); the same sums are taken in
// the same order on both backends, so their results are identical bit for bit.
#pragma once

#include <algorithm>
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

/// A row is a return (or a cancellation) when its amount has the sign bit set: a negative amount,
/// or -0.0 (the reader gives a cancelled line of zero value that sign). Returns net money into the
/// customer's total but are never purchase occasions.
CIE_HD inline bool is_return(double amount) { return std::signbit(amount); }

/// Everything RFM needs from one customer's transactions before the as-of day. Purchase
/// occasions (days, rows) count purchases only; returns count only in monetary_total and
/// return_rows.
struct CustomerAggregate {
  std::int32_t first_day = 0;       ///< day of the first purchase (days since 1970-01-01)
  std::int32_t last_day = 0;        ///< day of the last purchase
  std::int32_t purchase_days = 0;   ///< distinct days with at least one purchase row
  std::int32_t transactions = 0;    ///< purchase rows; 0 means no purchase before the as-of day
  std::int32_t return_rows = 0;     ///< return rows before the as-of day
  double monetary_total = 0.0;      ///< net sum of all amounts (returns included, negative)
  double repeat_value_total = 0.0;  ///< sum of the purchase totals of every purchase day after the
                                    ///< first (returns excluded, so never negative for purchases
                                    ///< >= 0)
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
    total.add(amount[i]);
    if (is_return(amount[i])) {
      ++result.return_rows;
      continue;
    }
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
    ++result.transactions;
  }
  result.monetary_total = total.value();
  if (result.transactions > 0) {
    if (current_day != result.first_day) repeat_total.add(day_total.value());
    result.last_day = current_day;
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

/// The most score bins (the RFM cell has one digit per score).
constexpr std::int32_t kMaxScoreBins = 9;

/// Where the score bins start in the ascending order of n values: sorted position p (0-based)
/// is in bin 1 + #{b : start[b] <= p}, b = 0..bins-2.
struct ScoreCuts {
  std::int64_t start[kMaxScoreBins - 1] = {};
  std::int32_t bins = 1;
};

CIE_HD inline std::int32_t bin_of_position(ScoreCuts const& cuts, std::int64_t position) {
  std::int32_t bin = 1;
  for (std::int32_t b = 0; b + 1 < cuts.bins; ++b) bin += position >= cuts.start[b] ? 1 : 0;
  return bin;
}

/// The tie-aware cuts of n sorted values into `bins` bins: equal values always share a bin, and
/// each cut sits at the tie-group boundary nearest to its ideal position b*n/bins (b = 1..bins-1),
/// so bins are as close to equal-sized as the ties allow. Only boundaries strictly inside the
/// values count (a boundary is a position p, 0 < p < n, whose value differs from the one before),
/// so the lowest values always score 1 and the highest `bins`; a bin is empty only when a tie
/// group spans more than its share (its score is then skipped, not renumbered). Of two
/// boundaries equally near, the later one wins (the straddling group takes the lower score). When
/// all values are equal there is no boundary and every value scores 1.
/// `group_at(m)` returns the half-open sorted range [lo, hi) of the values equal to the one at
/// sorted position m. Exact integer arithmetic; bins - 1 calls of group_at.
template <typename GroupAt>
ScoreCuts tie_aware_cuts(std::int64_t n, std::int32_t bins, GroupAt group_at) {
  ScoreCuts cuts;
  cuts.bins = bins;
  for (std::int32_t b = 1; b < bins; ++b) {
    std::int64_t const ideal_scaled = b * n;  // the ideal position times bins
    std::int64_t const m = n > 0 ? std::min<std::int64_t>(ideal_scaled / bins, n - 1) : 0;
    std::int64_t cut = n;
    if (n > 0) {
      auto const [lo, hi] = group_at(m);  // lo <= ideal < hi: the nearest boundaries either side
      bool const lo_inside = lo > 0;
      bool const hi_inside = hi < n;
      if (lo_inside && hi_inside) {
        cut = ideal_scaled - lo * bins < hi * bins - ideal_scaled ? lo : hi;
      } else if (lo_inside) {
        cut = lo;
      } else if (hi_inside) {
        cut = hi;
      }
    }
    cuts.start[b - 1] = cut;
  }
  return cuts;
}

}  // namespace cie::kernels
