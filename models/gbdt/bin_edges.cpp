#include "models/gbdt/bin_edges.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "core/error.hpp"

namespace cie {
namespace {

/// An edge e with lower <= e < upper: halfway, or `lower` where halfway rounds to `upper`.
float edge_between(float lower, float upper) {
  auto const halfway =
      static_cast<float>((static_cast<double>(lower) + static_cast<double>(upper)) / 2.0);
  return halfway < upper ? halfway : lower;
}

/// Distinct present values in ascending order with their summed weights and row counts.
struct Distinct {
  std::vector<float> value;
  std::vector<double> weight;
  std::vector<std::int64_t> count;
};

/// The edges of distinct values [first, last) in at most max_bin bins (see the header).
std::vector<float> range_edges(Distinct const& d, std::size_t first, std::size_t last, int max_bin,
                               int min_data_in_bin) {
  std::vector<float> edges;
  if (last - first <= 1 || max_bin < 2) return edges;
  std::int64_t in_bin = 0;  // rows since the last edge
  if (last - first <= static_cast<std::size_t>(max_bin)) {
    for (std::size_t i = first; i + 1 < last; ++i) {
      in_bin += d.count[i];
      if (in_bin < min_data_in_bin) continue;
      edges.push_back(edge_between(d.value[i], d.value[i + 1]));
      in_bin = 0;
    }
    return edges;
  }
  double total = 0.0;
  for (std::size_t i = first; i < last; ++i) total += d.weight[i];
  double cumulative = 0.0;
  std::size_t i = first;
  for (int k = 1; k < max_bin; ++k) {
    double const target = total * k / max_bin;
    while (i + 1 < last && cumulative + d.weight[i] < target) {
      cumulative += d.weight[i];
      in_bin += d.count[i++];
    }
    // value[i] is where the cumulative weight reaches the target: the edge follows it.
    if (i + 1 >= last) break;
    float const edge = edge_between(d.value[i], d.value[i + 1]);
    if ((edges.empty() || edges.back() < edge) && in_bin + d.count[i] >= min_data_in_bin) {
      edges.push_back(edge);
      in_bin = -d.count[i];  // value[i] is counted again when the scan moves past it
    }
  }
  return edges;
}

}  // namespace

std::vector<float> quantile_bin_edges(std::span<float const> values, std::span<float const> weights,
                                      int max_bin, int min_data_in_bin) {
  CIE_ASSERT(max_bin >= 2 && max_bin <= 255 && min_data_in_bin >= 1);
  CIE_ASSERT(weights.empty() || weights.size() == values.size());
  // Distinct values with their summed weights and row counts.
  std::vector<float> distinct;
  std::vector<double> weight;
  std::vector<std::int64_t> count;
  auto const add = [&](float value, double w) {
    if (distinct.empty() || distinct.back() != value) {
      distinct.push_back(value);
      weight.push_back(w);
      count.push_back(1);
    } else {
      weight.back() += w;
      count.back() += 1;
    }
  };
  if (weights.empty()) {
    // Every weight 1: the values alone are sorted (4 bytes an element instead of 16). std::sort
    // makes the same comparisons and moves as on (value, 1.0) pairs compared by value, so equal
    // values (-0 and +0) end in the same order as in the weighted branch.
    std::vector<float> present;
    present.reserve(values.size());
    for (float const value : values) {
      if (std::isfinite(value)) present.push_back(value);
    }
    std::sort(present.begin(), present.end());
    for (float const value : present) add(value, 1.0);
  } else {
    std::vector<std::pair<float, double>> present;
    present.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      auto const w = static_cast<double>(weights[i]);
      if (std::isfinite(values[i]) && w > 0.0) present.emplace_back(values[i], w);
    }
    std::sort(present.begin(), present.end(),
              [](auto const& a, auto const& b) { return a.first < b.first; });
    for (auto const& [value, w] : present) add(value, w);
  }
  Distinct const d{std::move(distinct), std::move(weight), std::move(count)};
  return range_edges(d, 0, d.value.size(), max_bin, min_data_in_bin);
}

}  // namespace cie
