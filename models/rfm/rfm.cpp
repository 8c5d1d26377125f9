#include "models/rfm/rfm.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "kernels/rfm.hpp"
#include "kernels/rfm_rules.hpp"

namespace cie {

FrequencyDefinition parse_frequency_definition(std::string_view text, std::string_view setting) {
  if (text == "days") return FrequencyDefinition::kPurchaseDays;
  if (text == "transactions") return FrequencyDefinition::kTransactions;
  if (text == "orders") return FrequencyDefinition::kOrders;
  fail(ExitCode::kUsage, "{}: expected days, transactions or orders, got '{}'", setting, text);
}

ScoreTies parse_score_ties(std::string_view text, std::string_view setting) {
  if (text == "equal") return ScoreTies::kEqual;
  if (text == "first") return ScoreTies::kFirst;
  fail(ExitCode::kUsage, "{}: expected equal or first, got '{}'", setting, text);
}

MonetaryBasis parse_monetary_basis(std::string_view text, std::string_view setting) {
  if (text == "total") return MonetaryBasis::kTotal;
  if (text == "mean") return MonetaryBasis::kMean;
  fail(ExitCode::kUsage, "{}: expected total or mean, got '{}'", setting, text);
}

void RfmParams::validate() const {
  CIE_EXPECTS(score_bins >= 2 && score_bins <= 9, "score_bins must be in 2..9, got {}", score_bins);
  CIE_EXPECTS(time_unit_days == 1 || time_unit_days == 7,
              "time unit must be days (1) or weeks (7), got {} days", time_unit_days);
}

std::int32_t default_as_of_day(Transactions const& transactions) {
  CIE_EXPECTS_DATA(transactions.size() > 0, "no transactions to compute RFM from");
  // A return counts too: the window ends after the last activity, whatever it was.
  std::int64_t last =
      *std::max_element(transactions.timestamp.begin(), transactions.timestamp.end());
  return day_of(last) + 1;
}

RfmTable compute_rfm(Context const& ctx, RfmParams const& params, Transactions const& transactions,
                     SegmentTable const& segments) {
  params.validate();
  CIE_EXPECTS(segments.score_bins() == params.score_bins,
              "the segment table is for {} score bins but scores use {}", segments.score_bins(),
              params.score_bins);
  RfmTable table;
  table.as_of_day = params.as_of_day ? *params.as_of_day : default_as_of_day(transactions);

  bool const with_orders = !transactions.order.empty();
  CIE_EXPECTS(with_orders || params.frequency != FrequencyDefinition::kOrders,
              "frequency = orders needs an order column (--order-col)");
  CIE_ASSERT(!with_orders || transactions.order.size() == transactions.size());
  kernels::TransactionColumns columns{
      transactions.customer, transactions.timestamp, transactions.amount,
      static_cast<std::int32_t>(transactions.customer_count()), transactions.order};
  kernels::RfmAggregates aggregates = kernels::aggregate_rfm(ctx, columns, table.as_of_day);

  std::size_t const customers = transactions.customer_count();
  std::size_t rows_used = 0;
  for (std::size_t c = 0; c < customers; ++c) {
    rows_used += static_cast<std::size_t>(aggregates.transactions[c]) +
                 static_cast<std::size_t>(aggregates.return_rows[c]);
    table.return_rows += static_cast<std::size_t>(aggregates.return_rows[c]);
    if (aggregates.transactions[c] > 0) {
      table.customer.push_back(static_cast<std::int32_t>(c));
    } else if (aggregates.return_rows[c] > 0) {
      ++table.return_only_customers;
    }
  }
  table.transactions_after_as_of = transactions.size() - rows_used;
  std::size_t const n = table.customer.size();
  CIE_EXPECTS_DATA(n > 0, "no purchases before the as-of date {}", format_date(table.as_of_day));

  auto resize = [n](auto&... columns) { (columns.resize(n), ...); };
  resize(table.recency_days, table.frequency, table.transactions, table.returns,
         table.monetary_total, table.monetary_mean, table.first_day, table.last_day,
         table.tenure_days, table.repeat_frequency, table.repeat_recency, table.age_t,
         table.mean_repeat_value);
  double const unit = params.time_unit_days;
  std::vector<double> recency_key(n), frequency_key(n), monetary_key(n);
  std::int64_t bad_monetary = -1;

#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::size_t row = 0; row < n; ++row) {
    std::size_t c = static_cast<std::size_t>(table.customer[row]);
    std::int32_t first = aggregates.first_day[c];
    std::int32_t last = aggregates.last_day[c];
    std::int32_t days = aggregates.purchase_days[c];
    std::int32_t rows = aggregates.transactions[c];
    std::int32_t occasions = with_orders ? aggregates.purchase_orders[c] : rows;
    table.recency_days[row] = table.as_of_day - last;
    switch (params.frequency) {
      case FrequencyDefinition::kPurchaseDays:
        table.frequency[row] = days;
        break;
      case FrequencyDefinition::kTransactions:
        table.frequency[row] = rows;
        break;
      case FrequencyDefinition::kOrders:
        table.frequency[row] = occasions;
        break;
    }
    table.transactions[row] = occasions;
    table.returns[row] = aggregates.return_rows[c];
    table.monetary_total[row] = aggregates.monetary_total[c];
    table.monetary_mean[row] = aggregates.monetary_total[c] / occasions;
    table.first_day[row] = first;
    table.last_day[row] = last;
    table.tenure_days[row] = table.as_of_day - first;
    table.repeat_frequency[row] = days - 1;
    table.repeat_recency[row] = (last - first) / unit;
    table.age_t[row] = (table.as_of_day - 1 - first) / unit;
    table.mean_repeat_value[row] = days > 1 ? aggregates.repeat_value_total[c] / (days - 1) : 0.0;
    if (!std::isfinite(table.monetary_total[row]) || !std::isfinite(table.mean_repeat_value[row])) {
#pragma omp critical
      bad_monetary = std::max<std::int64_t>(bad_monetary, static_cast<std::int64_t>(row));
    }
    recency_key[row] = table.recency_days[row];
    frequency_key[row] = table.frequency[row];
    monetary_key[row] = params.monetary_basis == MonetaryBasis::kTotal ? table.monetary_total[row]
                                                                       : table.monetary_mean[row];
  }
  CIE_EXPECTS_DATA(bad_monetary < 0,
                   "the monetary value of a customer overflows to infinity: amounts are too large");

  table.days_after_last_purchase =
      *std::min_element(table.recency_days.begin(), table.recency_days.end());
  if (table.days_after_last_purchase > kAsOfFarPastDays) {
    ctx.logger().warn(
        "the as-of date {} is {} days after the last purchase in the data (more than {}): "
        "every customer looks lapsed; is the as-of date meant for these data?",
        format_date(table.as_of_day), table.days_after_last_purchase, kAsOfFarPastDays);
  }

  using kernels::ScoreDirection;
  table.r_score = kernels::quantile_scores(ctx, recency_key, params.score_bins,
                                           ScoreDirection::kLowIsBest, params.ties);
  table.f_score = kernels::quantile_scores(ctx, frequency_key, params.score_bins,
                                           ScoreDirection::kHighIsBest, params.ties);
  table.m_score = kernels::quantile_scores(ctx, monetary_key, params.score_bins,
                                           ScoreDirection::kHighIsBest, params.ties);

  // Every (R, F, M) cell is classified once; rows then look their cell up.
  int const bins = params.score_bins;
  std::vector<std::int16_t> segment_of_cell(
      static_cast<std::size_t>((bins + 1) * (bins + 1) * (bins + 1)));
  for (int r = 1; r <= bins; ++r)
    for (int f = 1; f <= bins; ++f)
      for (int m = 1; m <= bins; ++m)
        segment_of_cell[(r * (bins + 1) + f) * (bins + 1) + m] = segments.classify(r, f, m);
  table.segment.resize(n);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::size_t row = 0; row < n; ++row) {
    table.segment[row] =
        segment_of_cell[(table.r_score[row] * (bins + 1) + table.f_score[row]) * (bins + 1) +
                        table.m_score[row]];
  }
  return table;
}

std::vector<SegmentSummary> summarize_segments(RfmTable const& table,
                                               SegmentTable const& segments) {
  std::vector<SegmentSummary> summary(segments.segment_count());
  std::vector<kernels::CompensatedSum> revenue(segments.segment_count());
  kernels::CompensatedSum total_revenue;
  for (std::size_t row = 0; row < table.size(); ++row) {
    SegmentSummary& entry = summary[static_cast<std::size_t>(table.segment[row])];
    ++entry.customers;
    revenue[static_cast<std::size_t>(table.segment[row])].add(table.monetary_total[row]);
    total_revenue.add(table.monetary_total[row]);
  }
  double const total = total_revenue.value();
  for (std::size_t s = 0; s < summary.size(); ++s) {
    summary[s].name = segments.name(s);
    summary[s].customer_share =
        table.size() > 0 ? static_cast<double>(summary[s].customers) / table.size() : 0.0;
    summary[s].revenue = revenue[s].value();
    summary[s].revenue_share = total != 0.0 ? summary[s].revenue / total : 0.0;
  }
  return summary;
}

}  // namespace cie
