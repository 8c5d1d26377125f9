#include "models/clv/clv_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

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

/// Merges the rows of `order` (sorted so that rows with equal keys are adjacent) whose key is
/// equal, summing weights; `same(i, j)` compares keys and `emit(i)` appends row i's key.
template <typename Same, typename Emit>
void merge_sorted(ClvSummary const& in, std::vector<std::size_t> const& order, ClvSummary& out,
                  Same same, Emit emit) {
  for (std::size_t k = 0; k < order.size();) {
    std::size_t const first = order[k];
    double total = 0.0;
    for (; k < order.size() && same(first, order[k]); ++k) {
      total += in.weight.empty() ? 1.0 : in.weight[order[k]];
    }
    emit(first);
    out.weight.push_back(total);
  }
}

}  // namespace

ClvSummary collapse_purchase_rows(ClvSummary const& summary) {
  std::vector<std::size_t> order(summary.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto const key = [&](std::size_t i) {
    return std::tuple(summary.age[i], summary.frequency[i], summary.recency[i]);
  };
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    return key(i) < key(j) || (key(i) == key(j) && i < j);
  });
  ClvSummary out;
  merge_sorted(
      summary, order, out, [&](std::size_t i, std::size_t j) { return key(i) == key(j); },
      [&](std::size_t i) {
        out.frequency.push_back(summary.frequency[i]);
        out.recency.push_back(summary.recency[i]);
        out.age.push_back(summary.age[i]);
      });
  return out;
}

ClvSummary collapse_spend_rows(ClvSummary const& summary, double& nonpositive) {
  nonpositive = 0.0;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < summary.size(); ++i) {
    if (summary.frequency[i] <= 0.0) continue;
    if (summary.value[i] > 0.0) {
      order.push_back(i);
    } else {
      nonpositive += summary.weight.empty() ? 1.0 : summary.weight[i];
    }
  }
  auto const key = [&](std::size_t i) { return std::pair(summary.frequency[i], summary.value[i]); };
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    return key(i) < key(j) || (key(i) == key(j) && i < j);
  });
  ClvSummary out;
  merge_sorted(
      summary, order, out, [&](std::size_t i, std::size_t j) { return key(i) == key(j); },
      [&](std::size_t i) {
        out.frequency.push_back(summary.frequency[i]);
        out.value.push_back(summary.value[i]);
      });
  return out;
}

}  // namespace cie
