#include "models/offers/contact_policy.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/id_dictionary.hpp"
#include "core/random.hpp"

namespace cie::offers {
namespace {

using kernels::kOfferChannels;

enum Rule : int {
  kControlGroup,
  kOptOut,
  kSegmentLimit,
  kChannelOptOut,
  kMinDaysBetween,
  kChannelWindow,
  kPairHistory,
  kFirstWindow,  // then one per catalogue window
};

/// A condition on one column: accepted categorical codes, or accepted numbers / a range.
struct Condition {
  TableColumn const* column = nullptr;
  std::vector<std::uint8_t> accepted_codes;  ///< categorical
  std::vector<double> accepted_numbers;      ///< numeric with levels
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();

  [[nodiscard]] bool holds(std::size_t row) const {
    if (column->missing[row] != 0) return false;
    if (column->type == ColumnType::kCategorical) return accepted_codes[column->codes[row]] != 0;
    double const x = column->numbers[row];
    if (!accepted_numbers.empty()) {
      return std::find(accepted_numbers.begin(), accepted_numbers.end(), x) !=
             accepted_numbers.end();
    }
    return x >= min && x <= max;
  }
};

TableColumn const& find_column(CustomerTable const& table, Catalog const& catalog,
                               std::string const& name, bool numeric) {
  TableColumn const* column = table.find(name);
  CIE_EXPECTS(column != nullptr, "{}: column '{}' (named by {}) is not in the customer table",
              table.source, name, catalog.source);
  CIE_EXPECTS(!numeric || column->type == ColumnType::kNumeric,
              "{}: column '{}' (named by {}) must be numeric", table.source, name, catalog.source);
  return *column;
}

Condition make_condition(CustomerTable const& table, Catalog const& catalog,
                         std::string const& name, std::vector<std::string> const& levels,
                         double min, double max) {
  Condition condition;
  condition.column = &find_column(table, catalog, name, false);
  condition.min = min;
  condition.max = max;
  if (condition.column->type == ColumnType::kCategorical) {
    CIE_EXPECTS(!levels.empty(), "{}: column '{}' is categorical: its condition needs 'levels'",
                catalog.source, name);
    condition.accepted_codes.assign(condition.column->levels.size(), 0);
    for (std::size_t code = 0; code < condition.column->levels.size(); ++code) {
      condition.accepted_codes[code] =
          std::find(levels.begin(), levels.end(), condition.column->levels[code]) != levels.end();
    }
  } else {
    for (std::string const& level : levels) {
      char* end = nullptr;
      double const x = std::strtod(level.c_str(), &end);
      CIE_EXPECTS(end != level.c_str() && *end == '\0',
                  "{}: column '{}' is numeric: level '{}' is not a number", catalog.source, name,
                  level);
      condition.accepted_numbers.push_back(x);
    }
  }
  return condition;
}

bool flag_set(TableColumn const* column, std::size_t row) {
  return column != nullptr && column->missing[row] == 0 && column->numbers[row] != 0.0;
}

struct OfferColumns {
  TableColumn const* response = nullptr;
  TableColumn const* value = nullptr;
  TableColumn const* expected_value = nullptr;
  std::vector<Condition> eligible;
};

}  // namespace

kernels::OfferInstance OfferProblem::view() const {
  kernels::OfferInstance view;
  view.customers = customers;
  view.offers = offers;
  view.expected_value = expected_value.data();
  view.allowance = allowance.data();
  view.channel_allowance = channel_allowance.data();
  view.tie_offset = tie_offset.data();
  view.offer_channel = offer_channel.data();
  view.conflicts = conflicts.empty() ? nullptr : conflicts.data();
  return view;
}

namespace {

/// The key of offer o's control group (see the header).
std::uint64_t control_group_key(Catalog const& catalog, Offer const& offer) {
  return catalog.seed ^ XXH3_64bits(offer.name.data(), offer.name.size());
}

bool in_control_group_keyed(std::uint64_t key, double share, std::string_view id) {
  if (share <= 0.0) return false;
  std::uint64_t const hash = XXH3_64bits_withSeed(id.data(), id.size(), key);
  return static_cast<double>(hash >> 11) * 0x1.0p-53 < share;
}

}  // namespace

bool in_control_group(Catalog const& catalog, int offer, std::string_view id) {
  Offer const& o = catalog.offers[static_cast<std::size_t>(offer)];
  return in_control_group_keyed(control_group_key(catalog, o), o.control_share, id);
}

OfferProblem build_offer_problem(Context const& ctx, Catalog const& catalog,
                                 CustomerTable const& table, ContactHistory const& history,
                                 std::int32_t as_of) {
  int const offers = static_cast<int>(catalog.offers.size());
  int const channels = static_cast<int>(catalog.channels.size());
  auto const customers = static_cast<std::int64_t>(table.rows());
  CIE_ASSERT(offers <= kMaxOffers && channels <= kOfferChannels);

  std::vector<OfferColumns> offer_columns(static_cast<std::size_t>(offers));
  for (int o = 0; o < offers; ++o) {
    Offer const& offer = catalog.offers[o];
    OfferColumns& columns = offer_columns[o];
    auto const numeric = [&](std::string const& name) {
      return name.empty() ? nullptr : &find_column(table, catalog, name, true);
    };
    columns.response = numeric(offer.response_column);
    columns.value = numeric(offer.value_column);
    columns.expected_value = numeric(offer.expected_value_column);
    for (EligibilityRule const& rule : offer.eligible) {
      columns.eligible.push_back(
          make_condition(table, catalog, rule.column, rule.levels, rule.min, rule.max));
    }
  }
  TableColumn const* opt_out = catalog.opt_out_column.empty()
                                   ? nullptr
                                   : &find_column(table, catalog, catalog.opt_out_column, true);
  std::vector<TableColumn const*> channel_opt_out(static_cast<std::size_t>(channels), nullptr);
  for (int c = 0; c < channels; ++c) {
    std::string const& name = catalog.channels[c].opt_out_column;
    if (!name.empty()) channel_opt_out[c] = &find_column(table, catalog, name, true);
  }
  std::vector<Condition> segment_conditions;
  for (SegmentLimit const& limit : catalog.segment_limits) {
    segment_conditions.push_back(make_condition(table, catalog, limit.column, limit.levels,
                                                -std::numeric_limits<double>::infinity(),
                                                std::numeric_limits<double>::infinity()));
  }

  // The history grouped by customer (a counting sort that keeps the file order).
  std::vector<std::int64_t> start(static_cast<std::size_t>(customers) + 1, 0);
  for (std::size_t k = 0; k < history.size(); ++k) {
    if (history.customer[k] >= 0 && history.day[k] <= as_of) ++start[history.customer[k] + 1];
  }
  for (std::int64_t i = 0; i < customers; ++i) start[i + 1] += start[i];
  std::vector<std::int64_t> order(static_cast<std::size_t>(start[customers]));
  {
    std::vector<std::int64_t> next(start.begin(), start.end() - 1);
    for (std::size_t k = 0; k < history.size(); ++k) {
      if (history.customer[k] >= 0 && history.day[k] <= as_of) {
        order[next[history.customer[k]]++] = static_cast<std::int64_t>(k);
      }
    }
  }

  OfferProblem problem;
  problem.customers = customers;
  problem.offers = offers;
  problem.expected_value.assign(static_cast<std::size_t>(customers * offers),
                                std::numeric_limits<float>::quiet_NaN());
  problem.allowance.assign(static_cast<std::size_t>(customers), 0);
  problem.channel_allowance.assign(static_cast<std::size_t>(customers) * kOfferChannels, 0);
  problem.tie_offset.assign(static_cast<std::size_t>(customers), 0);
  for (Offer const& offer : catalog.offers) {
    problem.offer_channel.push_back(static_cast<std::int8_t>(offer.channel));
  }
  if (!catalog.pairs.empty()) {
    problem.conflicts.assign(static_cast<std::size_t>(offers), 0);
    for (PairRule const& pair : catalog.pairs) {
      problem.conflicts[pair.first] |= std::uint64_t{1} << pair.second;
      problem.conflicts[pair.second] |= std::uint64_t{1} << pair.first;
    }
  }

  std::size_t const rules = kFirstWindow + catalog.windows.size();
  std::size_t const counters = rules + 2 * static_cast<std::size_t>(offers);
  std::vector<std::int64_t> totals(counters, 0);
  std::uint64_t const tie_key = mix64(ctx.seed() ^ 0x6F66666572735F74ULL);
  std::vector<std::uint64_t> control_key;  // per offer, hashed once
  for (Offer const& offer : catalog.offers)
    control_key.push_back(control_group_key(catalog, offer));
#pragma omp parallel num_threads(ctx.threads())
  {
    std::vector<std::int64_t> counts(counters, 0);
    std::int64_t* const suppressed = counts.data();
    std::int64_t* const control = counts.data() + rules;
    std::int64_t* const eligible = control + offers;
    std::vector<int> window_count;  // per customer, reused
#pragma omp for schedule(static, 4096)
    for (std::int64_t i = 0; i < customers; ++i) {
      auto const row = static_cast<std::size_t>(i);
      std::string_view const id = table.ids[row];
      problem.tie_offset[row] = static_cast<std::uint8_t>(mix64(hash_id(id) ^ tie_key) % offers);
      int allowance = catalog.max_contacts_per_run;
      int block = -1;  // the rule that leaves this customer no contact
      if (flag_set(opt_out, row)) block = kOptOut;
      for (std::size_t s = 0; s < segment_conditions.size(); ++s) {
        if (segment_conditions[s].holds(row)) {
          allowance = std::min(allowance, catalog.segment_limits[s].max_contacts_per_run);
        }
      }
      if (block < 0 && allowance == 0) block = kSegmentLimit;
      std::int32_t last_day = std::numeric_limits<std::int32_t>::min();
      window_count.assign(catalog.windows.size(), 0);
      int channel_count[kOfferChannels] = {};
      std::uint64_t pair_blocked = 0;
      for (std::int64_t h = start[i]; h < start[i + 1]; ++h) {
        std::size_t const k = static_cast<std::size_t>(order[h]);
        std::int32_t const day = history.day[k];
        last_day = std::max(last_day, day);
        for (std::size_t w = 0; w < catalog.windows.size(); ++w) {
          if (day > as_of - catalog.windows[w].days) ++window_count[w];
        }
        int const channel = history.channel[k];
        if (channel >= 0 && day > as_of - catalog.channels[channel].window_days) {
          ++channel_count[channel];
        }
        int const offer = history.offer[k];
        if (offer < 0) continue;
        for (PairRule const& pair : catalog.pairs) {
          if (pair.days <= 0 || day <= as_of - pair.days) continue;
          if (pair.first == offer) pair_blocked |= std::uint64_t{1} << pair.second;
          if (pair.second == offer) pair_blocked |= std::uint64_t{1} << pair.first;
        }
      }
      if (block < 0 && catalog.min_days_between > 0 &&
          last_day > as_of - catalog.min_days_between) {
        block = kMinDaysBetween;
      }
      for (std::size_t w = 0; w < catalog.windows.size() && block < 0; ++w) {
        int const left = catalog.windows[w].max_contacts - window_count[w];
        if (left <= 0) block = static_cast<int>(kFirstWindow + w);
        allowance = std::min(allowance, std::max(left, 0));
      }
      if (block >= 0) allowance = 0;
      problem.allowance[row] = static_cast<std::uint8_t>(allowance);
      int channel_block[kOfferChannels] = {};
      for (int c = 0; c < channels; ++c) {
        Channel const& channel = catalog.channels[c];
        int left = allowance;
        channel_block[c] = -1;
        if (flag_set(channel_opt_out[c], row)) {
          left = 0;
          channel_block[c] = kChannelOptOut;
        } else if (channel.window_days > 0) {
          int const window_left = channel.max_contacts - channel_count[c];
          if (window_left <= 0) channel_block[c] = kChannelWindow;
          left = std::min(left, std::max(window_left, 0));
        }
        problem.channel_allowance[row * kOfferChannels + c] = static_cast<std::uint8_t>(left);
      }
      for (int o = 0; o < offers; ++o) {
        Offer const& offer = catalog.offers[o];
        bool const is_control = in_control_group_keyed(control_key[o], offer.control_share, id);
        control[o] += is_control ? 1 : 0;
        OfferColumns const& columns = offer_columns[o];
        bool ok = std::all_of(columns.eligible.begin(), columns.eligible.end(),
                              [&](Condition const& condition) { return condition.holds(row); });
        double ev = 0.0;
        if (ok && columns.expected_value != nullptr) {
          ok = columns.expected_value->missing[row] == 0;
          ev = columns.expected_value->numbers[row];
        } else if (ok) {
          double value = offer.value;
          if (columns.value != nullptr) {
            ok = columns.value->missing[row] == 0;
            value = columns.value->numbers[row];
          }
          ok = ok && columns.response->missing[row] == 0;
          ev = columns.response->numbers[row] * value - offer.cost;
        }
        if (!ok || !(ev > 0.0)) continue;
        ++eligible[o];
        int reason = -1;
        if (is_control) {
          reason = kControlGroup;
        } else if (block >= 0) {
          reason = block;
        } else if (channel_block[offer.channel] >= 0) {
          reason = channel_block[offer.channel];
        } else if ((pair_blocked >> o) & 1U) {
          reason = kPairHistory;
        }
        if (reason >= 0) {
          ++suppressed[reason];
        } else {
          problem.expected_value[row * offers + o] = static_cast<float>(ev);
        }
      }
    }
#pragma omp critical
    for (std::size_t k = 0; k < counters; ++k) totals[k] += counts[k];
  }
  std::vector<std::string> names = {"control_group",   "opt_out",          "segment_limit",
                                    "channel_opt_out", "min_days_between", "channel_window",
                                    "pair_history"};
  for (ContactWindow const& window : catalog.windows) {
    names.push_back("window_" + std::to_string(window.days) + "d");
  }
  for (std::size_t r = 0; r < rules; ++r) problem.suppressed.emplace_back(names[r], totals[r]);
  problem.control_size.assign(totals.begin() + rules, totals.begin() + rules + offers);
  problem.eligible.assign(totals.begin() + rules + offers, totals.end());
  return problem;
}

}  // namespace cie::offers
