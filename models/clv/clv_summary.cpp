#include "models/clv/clv_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <utility>

namespace cie {

double ClvSummary::customers() const noexcept {
  if (weight.empty()) return static_cast<double>(frequency.size());
  double total = 0.0;
  for (double w : weight) total += w;
  return total;
}

ClvSummary summary_from_rfm(RfmTable const& table) {
  ClvSummary summary;
  summary.frequency.assign(table.repeat_frequency.begin(), table.repeat_frequency.end());
  summary.recency = table.repeat_recency;
  summary.age = table.age_t;
  summary.value = table.mean_repeat_value;
  return summary;
}

std::optional<InvalidRow> find_invalid_row(ClvSummary const& summary) {
  for (std::size_t i = 0; i < summary.size(); ++i) {
    double const x = summary.frequency[i], t_x = summary.recency[i], age = summary.age[i];
    if (!std::isfinite(x) || !std::isfinite(t_x) || !std::isfinite(age)) {
      return InvalidRow{i, "frequency, recency and T must be finite numbers"};
    }
    if (x < 0.0 || x != std::floor(x)) {
      return InvalidRow{i, fmt::format("frequency must be a whole number >= 0, got {}", x)};
    }
    if (t_x < 0.0 || t_x > age) {
      return InvalidRow{i, fmt::format("recency must be in [0, T], got {} with T = {}", t_x, age)};
    }
    if (x == 0.0 && t_x != 0.0) {
      return InvalidRow{i, fmt::format("recency must be 0 when frequency is 0, got {}", t_x)};
    }
    if (!summary.value.empty() && !std::isfinite(summary.value[i])) {
      return InvalidRow{i, "the mean repeat value must be a finite number"};
    }
    if (!summary.weight.empty() &&
        !(summary.weight[i] >= 0.0 && std::isfinite(summary.weight[i]))) {
      return InvalidRow{
          i, fmt::format("the weight must be finite and >= 0, got {}", summary.weight[i])};
    }
  }
  return std::nullopt;
}

std::optional<InvalidRow> find_invalid_discrete_row(ClvSummary const& summary) {
  if (std::optional<InvalidRow> bad = find_invalid_row(summary)) return bad;
  for (std::size_t i = 0; i < summary.size(); ++i) {
    double const x = summary.frequency[i], t_x = summary.recency[i], n = summary.age[i];
    if (t_x != std::floor(t_x) || n != std::floor(n)) {
      return InvalidRow{i, "BG/BB: recency and T (opportunities) must be whole numbers"};
    }
    if (x > t_x) {
      return InvalidRow{i, fmt::format("BG/BB: frequency {} exceeds recency {}", x, t_x)};
    }
  }
  return std::nullopt;
}

namespace {

/// Rows with equal keys merged: the distinct keys (each represented by its first row) with the
/// sum of their rows' weights, added in row order, then sorted by key. The same rows and the same
/// bits as a stable sort by key followed by merging runs, found with an open-addressing hash
/// table on the keys' bits (−0.0 counted as 0.0, as == does) in O(n) instead of O(n log n).
template <std::size_t K>
struct ClvKeyGroups {
  std::vector<std::size_t> first;  ///< each group's first row, in key order after sort_by_key
  std::vector<double> weight;      ///< Σ weight of the group's rows
};

template <std::size_t K, typename KeyOf>
ClvKeyGroups<K> group_clv_keys(ClvSummary const& in, std::vector<std::size_t> const& rows,
                               KeyOf key_of) {
  using Key = std::array<double, K>;
  auto const hash = [](Key const& key) {
    std::uint64_t h = 0x9E3779B97F4A7C15ull;
    for (double v : key) {
      h ^= std::bit_cast<std::uint64_t>(v + 0.0) + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
      h *= 0xBF58476D1CE4E5B9ull;
      h ^= h >> 31;
    }
    return h;
  };
  ClvKeyGroups<K> groups;
  std::vector<Key> keys;
  std::vector<std::int64_t> slots(1024, -1);
  auto const place = [&](std::size_t g) {
    std::size_t s = hash(keys[g]) & (slots.size() - 1);
    while (slots[s] >= 0) s = (s + 1) & (slots.size() - 1);
    slots[s] = static_cast<std::int64_t>(g);
  };
  for (std::size_t const i : rows) {
    Key const key = key_of(i);
    std::size_t s = hash(key) & (slots.size() - 1);
    while (slots[s] >= 0 && keys[static_cast<std::size_t>(slots[s])] != key) {
      s = (s + 1) & (slots.size() - 1);
    }
    double const w = in.weight.empty() ? 1.0 : in.weight[i];
    if (slots[s] >= 0) {
      groups.weight[static_cast<std::size_t>(slots[s])] += w;
      continue;
    }
    slots[s] = static_cast<std::int64_t>(keys.size());
    keys.push_back(key);
    groups.first.push_back(i);
    groups.weight.push_back(0.0 + w);
    if (2 * keys.size() > slots.size()) {
      slots.assign(2 * slots.size(), -1);
      for (std::size_t g = 0; g < keys.size(); ++g) place(g);
    }
  }
  // The keys are distinct, so any sort gives the same order; sorting them with their group
  // numbers beside them reads memory in order (an index sort would chase keys at random).
  std::vector<std::pair<Key, std::size_t>> order(keys.size());
  for (std::size_t g = 0; g < keys.size(); ++g) order[g] = {keys[g], g};
  std::sort(order.begin(), order.end(),
            [](auto const& a, auto const& b) { return a.first < b.first; });
  ClvKeyGroups<K> sorted;
  sorted.first.reserve(order.size());
  sorted.weight.reserve(order.size());
  for (auto const& [key, g] : order) {
    sorted.first.push_back(groups.first[g]);
    sorted.weight.push_back(groups.weight[g]);
  }
  return sorted;
}

}  // namespace

ClvSummary collapse_purchase_rows(ClvSummary const& summary) {
  std::vector<std::size_t> rows(summary.size());
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  ClvKeyGroups<3> const groups = group_clv_keys<3>(summary, rows, [&](std::size_t i) {
    return std::array<double, 3>{summary.age[i], summary.frequency[i], summary.recency[i]};
  });
  ClvSummary out;
  for (std::size_t const i : groups.first) {
    out.frequency.push_back(summary.frequency[i]);
    out.recency.push_back(summary.recency[i]);
    out.age.push_back(summary.age[i]);
  }
  out.weight = groups.weight;
  return out;
}

ClvSummary collapse_spend_rows(ClvSummary const& summary, double& nonpositive) {
  nonpositive = 0.0;
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < summary.size(); ++i) {
    if (summary.frequency[i] <= 0.0) continue;
    if (summary.value[i] > 0.0) {
      rows.push_back(i);
    } else {
      nonpositive += summary.weight.empty() ? 1.0 : summary.weight[i];
    }
  }
  ClvKeyGroups<2> const groups = group_clv_keys<2>(summary, rows, [&](std::size_t i) {
    return std::array<double, 2>{summary.frequency[i], summary.value[i]};
  });
  ClvSummary out;
  for (std::size_t const i : groups.first) {
    out.frequency.push_back(summary.frequency[i]);
    out.value.push_back(summary.value[i]);
  }
  out.weight = groups.weight;
  return out;
}

}  // namespace cie
