#include "models/segments/cluster_matching.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace cie {

std::vector<std::int32_t> min_cost_assignment(std::vector<double> const& cost, std::size_t n) {
  CIE_ASSERT(cost.size() == n * n);
  // The Hungarian algorithm with potentials (Kuhn-Munkres, O(n^3)), 1-based as usually written:
  // u, v are row and column potentials, match[j] the row assigned to column j.
  double const infinity = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(n + 1, 0.0);
  std::vector<std::size_t> match(n + 1, 0), way(n + 1, 0);
  for (std::size_t row = 1; row <= n; ++row) {
    match[0] = row;
    std::size_t column = 0;
    std::vector<double> slack(n + 1, infinity);
    std::vector<char> used(n + 1, 0);
    do {
      used[column] = 1;
      std::size_t const i = match[column];
      double delta = infinity;
      std::size_t next = 0;
      for (std::size_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        double const reduced = cost[(i - 1) * n + (j - 1)] - u[i] - v[j];
        if (reduced < slack[j]) {
          slack[j] = reduced;
          way[j] = column;
        }
        if (slack[j] < delta) {
          delta = slack[j];
          next = j;
        }
      }
      for (std::size_t j = 0; j <= n; ++j) {
        if (used[j]) {
          u[match[j]] += delta;
          v[j] -= delta;
        } else {
          slack[j] -= delta;
        }
      }
      column = next;
    } while (match[column] != 0);
    do {
      std::size_t const previous = way[column];
      match[column] = match[previous];
      column = previous;
    } while (column != 0);
  }
  std::vector<std::int32_t> assignment(n, -1);
  for (std::size_t j = 1; j <= n; ++j) assignment[match[j] - 1] = static_cast<std::int32_t>(j - 1);
  return assignment;
}

std::optional<ClusterMatch> match_clusters(SegmentModel const& previous,
                                           SegmentModel const& current, std::string& why) {
  FeaturePipeline const& old_pipeline = previous.pipeline();
  FeaturePipeline const& new_pipeline = current.pipeline();
  std::size_t const d = new_pipeline.size();
  bool same =
      old_pipeline.size() == d && old_pipeline.standardizes() == new_pipeline.standardizes();
  for (std::size_t j = 0; same && j < d; ++j) {
    same = old_pipeline.features()[j].column == new_pipeline.features()[j].column &&
           old_pipeline.features()[j].transform.to_string() ==
               new_pipeline.features()[j].transform.to_string();
  }
  if (!same) {
    why = "the previous model has other features or transforms";
    return std::nullopt;
  }
  auto const k_old = static_cast<std::size_t>(previous.n_clusters());
  auto const k_new = static_cast<std::size_t>(current.n_clusters());
  // Previous centroids in the new prepared space.
  std::vector<double> carried(k_old * d);
  for (std::size_t c = 0; c < k_old; ++c) {
    for (std::size_t j = 0; j < d; ++j) {
      double const transformed =
          previous.centroids()[c * d + j] * old_pipeline.scales()[j] + old_pipeline.means()[j];
      carried[c * d + j] = (transformed - new_pipeline.means()[j]) / new_pipeline.scales()[j];
    }
  }
  auto const squared_distance = [&](std::size_t fitted, std::size_t old) {
    double sum = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      double const diff = current.centroids()[fitted * d + j] - carried[old * d + j];
      sum += diff * diff;
    }
    return sum;
  };
  // Square matrix: rows are fitted clusters, columns previous ones; padding costs 0.
  std::size_t const n = std::max(k_old, k_new);
  std::vector<double> cost(n * n, 0.0);
  for (std::size_t r = 0; r < k_new; ++r) {
    for (std::size_t c = 0; c < k_old; ++c) cost[r * n + c] = squared_distance(r, c);
  }
  std::vector<std::int32_t> const assignment = min_cost_assignment(cost, n);

  ClusterMatch match;
  match.new_id.assign(k_new, -1);
  match.previous_id.assign(k_new, -1);
  match.distance.assign(k_new, 0.0);
  std::vector<char> taken(k_new, 0);
  std::vector<char> matched_old(k_old, 0);
  for (std::size_t r = 0; r < k_new; ++r) {
    auto const old = static_cast<std::size_t>(assignment[r]);
    if (old >= k_old) continue;  // a padding column: a new cluster
    match.previous_id[r] = static_cast<std::int32_t>(old);
    match.distance[r] = std::sqrt(squared_distance(r, old));
    matched_old[old] = 1;
    if (old < k_new) {
      match.new_id[r] = static_cast<std::int32_t>(old);
      taken[old] = 1;
    }
  }
  std::size_t next_free = 0;
  for (std::size_t r = 0; r < k_new; ++r) {
    if (match.new_id[r] >= 0) continue;
    while (taken[next_free]) ++next_free;
    match.new_id[r] = static_cast<std::int32_t>(next_free);
    taken[next_free] = 1;
  }
  for (std::size_t c = 0; c < k_old; ++c) {
    if (!matched_old[c]) match.gone.push_back(static_cast<std::int32_t>(c));
  }
  return match;
}

SegmentModel relabel(SegmentModel const& model, std::vector<std::int32_t> const& new_id) {
  std::size_t const d = model.pipeline().size();
  CIE_ASSERT(new_id.size() == static_cast<std::size_t>(model.n_clusters()));
  std::vector<float> centroids(model.centroids().size());
  for (std::size_t c = 0; c < new_id.size(); ++c) {
    std::copy_n(
        model.centroids().begin() + static_cast<std::ptrdiff_t>(c * d), d,
        centroids.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(new_id[c]) * d));
  }
  std::vector<std::string> names(new_id.size());
  for (std::size_t c = 0; c < new_id.size(); ++c) {
    names[static_cast<std::size_t>(new_id[c])] = model.names()[c];
  }
  return SegmentModel(model.pipeline(), std::move(centroids), model.n_clusters(), std::move(names));
}

}  // namespace cie
