// RFM: per-customer recency, frequency and monetary features as of a date, their 1..bins
// quantile scores, the RFM cell and a named segment; plus the lifetimes-style summary
// (repeat-purchase frequency, recency and T) that CLV models use.
//
// Purchases and returns: a row whose amount has the sign bit set (negative, or a cancelled line
// the reader marked -0.0) is a return; every other row is a purchase. Returns net their money
// into monetary_total but are never purchase occasions: recency, frequency, transactions,
// tenure and the lifetimes summary count purchases only, so repeat values are sums of purchases.
// A customer whose rows before the as-of day are all returns has no purchase to score: it is left
// out of the table and counted in RfmTable::return_only_customers.
//
// Definitions (all "days" are calendar days; the as-of day itself is excluded):
//   recency_days   = as_of - last purchase day            (1 for a purchase the day before as_of)
//   transactions   = purchase occasions: distinct purchase orders when the input has an order
//                    column, purchase rows otherwise
//   frequency      = distinct purchase days, purchase rows or distinct purchase orders
//                    (RfmParams::frequency)
//   returns        = return rows
//   monetary_total = net sum of amounts (returns, negative, are netted in)
//   monetary_mean  = monetary_total / transactions (per order with an order column)
//   tenure_days    = as_of - first purchase day
//   repeat_frequency = distinct purchase days - 1
//   repeat_recency = (last purchase day - first purchase day) / unit
//   T              = (as_of - 1 - first purchase day) / unit: the customer's age at the end of the
//                    observation window, as lifetimes' summary_data_from_transaction_data computes
//                    it with observation_period_end = as_of - 1 day
//   mean_repeat_value = mean over the purchase days after the first of that day's purchase
//                    total (returns excluded); 0 when there are none
// Scores: kernels::quantile_scores, by default tie-aware (equal values, equal scores), or the
// positional pandas recipe (ties by customer-index order, i.e. first appearance in the input).
// recency scores `bins` for the most recent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/transactions.hpp"
#include "kernels/rfm.hpp"
#include "models/rfm/rfm_segments.hpp"

namespace cie {

enum class FrequencyDefinition {
  kPurchaseDays,  ///< distinct days with a transaction (the default)
  kTransactions,  ///< purchase rows
  kOrders,        ///< distinct purchase orders (needs an order column)
};

using kernels::ScoreTies;

enum class MonetaryBasis {
  kTotal,  ///< M scores rank monetary_total (the default)
  kMean,   ///< M scores rank monetary_mean
};

struct RfmParams {
  /// Analysis date as days since 1970-01-01: transactions on or after it are ignored. Unset: the
  /// day after the last transaction.
  std::optional<std::int32_t> as_of_day;
  /// What `frequency` counts.
  FrequencyDefinition frequency = FrequencyDefinition::kPurchaseDays;
  /// Which monetary feature the M score ranks.
  MonetaryBasis monetary_basis = MonetaryBasis::kTotal;
  /// How scores treat equal values: kEqual (equal values, equal scores) or kFirst (pandas'
  /// qcut(rank(method="first"))).
  ScoreTies ties = ScoreTies::kEqual;
  /// Number of score bins: scores run 1..score_bins. Allowed 2..9 (the cell has one digit each).
  int score_bins = 5;
  /// Length in days of the time unit of repeat_recency and T: 1 (days) or 7 (weeks).
  int time_unit_days = 1;

  /// Throws a usage error naming the field and its allowed range.
  void validate() const;
};

/// "days" | "transactions" | "orders", "total" | "mean" and "equal" | "first"; a usage error
/// naming `setting` otherwise.
FrequencyDefinition parse_frequency_definition(std::string_view text, std::string_view setting);
MonetaryBasis parse_monetary_basis(std::string_view text, std::string_view setting);
ScoreTies parse_score_ties(std::string_view text, std::string_view setting);

/// One row per customer with at least one purchase before the as-of day, in customer-index
/// order.
struct RfmTable {
  std::int32_t as_of_day = 0;
  std::size_t transactions_after_as_of = 0;  ///< rows on or after the as-of day, not used
  std::size_t return_rows = 0;               ///< return rows used (netted into monetary values)
  std::size_t return_only_customers = 0;     ///< customers with only returns: not in the table
  /// Days from the latest purchase in the table to the as-of day (the smallest recency_days).
  std::int32_t days_after_last_purchase = 0;
  std::vector<std::int32_t> customer;  ///< index into Transactions::customer_ids
  std::vector<std::int32_t> recency_days;
  std::vector<std::int32_t> frequency;
  std::vector<std::int32_t> transactions;
  std::vector<std::int32_t> returns;
  std::vector<double> monetary_total;
  std::vector<double> monetary_mean;
  std::vector<std::int32_t> first_day;
  std::vector<std::int32_t> last_day;
  std::vector<std::int32_t> tenure_days;
  std::vector<std::int32_t> repeat_frequency;
  std::vector<double> repeat_recency;
  std::vector<double> age_t;  ///< lifetimes' T
  std::vector<double> mean_repeat_value;
  std::vector<std::int8_t> r_score;
  std::vector<std::int8_t> f_score;
  std::vector<std::int8_t> m_score;
  std::vector<std::int16_t> segment;  ///< index into the SegmentTable used

  [[nodiscard]] std::size_t size() const noexcept { return customer.size(); }
  /// The three-digit cell, e.g. 545.
  [[nodiscard]] int cell(std::size_t row) const noexcept {
    return r_score[row] * 100 + f_score[row] * 10 + m_score[row];
  }
};

/// An as-of day more than this many days after the latest purchase is far past the data:
/// compute_rfm warns (recency then measures mostly the gap, and every customer looks lapsed).
inline constexpr std::int32_t kAsOfFarPastDays = 365;

/// Computes RFM for every customer on ctx's device. The segment table must have
/// params.score_bins bins. A monetary value that is not finite is an input-data error; so is
/// having no purchase before the as-of day. kOrders without order ids is a usage error.
RfmTable compute_rfm(Context const& ctx, RfmParams const& params, Transactions const& transactions,
                     SegmentTable const& segments);

/// The day after the last transaction (the default as-of day); a data error when there are none.
std::int32_t default_as_of_day(Transactions const& transactions);

struct SegmentSummary {
  std::string name;
  std::size_t customers = 0;
  double customer_share = 0.0;  ///< of all customers in the table
  double revenue = 0.0;         ///< sum of monetary_total
  double revenue_share = 0.0;   ///< of the total over all customers (0 when that total is 0)
};

/// One entry per segment of the table, in table order, fallback last.
std::vector<SegmentSummary> summarize_segments(RfmTable const& table, SegmentTable const& segments);

}  // namespace cie
