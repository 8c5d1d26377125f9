#include "models/gbdt/bin_edges.hpp"

#include <algorithm>
#include <cmath>
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

}  // namespace

std::vector<float> quantile_bin_edges(std::span<float const> values, std::span<float const> weights,
                                      int max_bin) {
  CIE_ASSERT(max_bin >= 2 && max_bin <= 255);
  CIE_ASSERT(weights.empty() || weights.size() == values.size());
  std::vector<std::pair<float, double>> present;
  present.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    double const w = weights.empty() ? 1.0 : static_cast<double>(weights[i]);
    if (std::isfinite(values[i]) && w > 0.0) present.emplace_back(values[i], w);
  }
  std::sort(present.begin(), present.end(),
            [](auto const& a, auto const& b) { return a.first < b.first; });
  // Distinct values with their summed weights.
  std::vector<float> distinct;
  std::vector<double> weight;
  for (auto const& [value, w] : present) {
    if (distinct.empty() || distinct.back() != value) {
      distinct.push_back(value);
      weight.push_back(w);
    } else {
      weight.back() += w;
    }
  }
  std::vector<float> edges;
  if (distinct.size() <= 1) return edges;
  if (distinct.size() <= static_cast<std::size_t>(max_bin)) {
    for (std::size_t i = 0; i + 1 < distinct.size(); ++i) {
      edges.push_back(edge_between(distinct[i], distinct[i + 1]));
    }
    return edges;
  }
  double total = 0.0;
  for (double const w : weight) total += w;
  double cumulative = 0.0;
  std::size_t i = 0;
  for (int k = 1; k < max_bin; ++k) {
    double const target = total * k / max_bin;
    while (i + 1 < distinct.size() && cumulative + weight[i] < target) cumulative += weight[i++];
    // distinct[i] is where the cumulative weight reaches the target: the edge follows it.
    if (i + 1 >= distinct.size()) break;
    float const edge = edge_between(distinct[i], distinct[i + 1]);
    if (edges.empty() || edges.back() < edge) edges.push_back(edge);
  }
  return edges;
}

}  // namespace cie
