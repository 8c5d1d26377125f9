// Hartigan refinement; see models/segments/kmeans_refine.hpp.
#include "models/segments/kmeans_refine.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "kernels/kmeans_rules.hpp"

namespace cie::kmeans_detail {

RefineOutcome hartigan_refine(kernels::KMeansWorkspace& workspace, std::span<float const> weight,
                              std::span<float> centroids, int k, kernels::KMeansPassStats& stats,
                              std::span<std::int32_t> labels, int max_passes, double tolerance) {
  int const cols = workspace.cols();
  std::size_t const size = static_cast<std::size_t>(k) * cols;
  CIE_ASSERT(centroids.size() == size && stats.sums.size() == size &&
             stats.weights.size() == static_cast<std::size_t>(k));
  CIE_ASSERT(labels.size() == static_cast<std::size_t>(workspace.rows()));

  // means: the double centroids of the current sums, kept in step with every move.
  std::vector<double> means(centroids.begin(), centroids.end());
  auto const update_mean = [&](int c) {
    if (!(stats.weights[c] > 0.0)) return;  // a weightless cluster keeps its last centroid
    for (int j = 0; j < cols; ++j) {
      means[static_cast<std::size_t>(c) * cols + j] =
          stats.sums[static_cast<std::size_t>(c) * cols + j] / stats.weights[c];
    }
  };
  for (int c = 0; c < k; ++c) update_mean(c);

  RefineOutcome outcome;
  while (outcome.passes < max_passes) {
    check_interrupt();  // Ctrl-C (core/interrupt.hpp)
    ++outcome.passes;
    std::vector<std::int64_t> const candidates = workspace.hartigan_candidates(
        std::vector<float>(means.begin(), means.end()), k, stats.weights, labels);
    std::vector<float> const points = workspace.gather_rows(candidates);
    std::vector<double> const before = means;
    std::int64_t moved = 0;
    for (std::size_t p = 0; p < candidates.size(); ++p) {
      std::int64_t const row = candidates[p];
      float const* point = points.data() + p * cols;
      float const w = weight.empty() ? 1.0f : weight[static_cast<std::size_t>(row)];
      auto const distance = [&](int c) {
        double total = 0.0;
        for (int j = 0; j < cols; ++j) {
          double const diff = point[j] - means[static_cast<std::size_t>(c) * cols + j];
          total += diff * diff;
        }
        return total;
      };
      std::int32_t const from = labels[static_cast<std::size_t>(row)];
      std::int32_t const to = kernels::hartigan_target(w, from, stats.weights.data(), k, distance);
      if (to < 0) continue;
      for (int j = 0; j < cols; ++j) {
        stats.sums[static_cast<std::size_t>(from) * cols + j] -= double{w} * point[j];
        stats.sums[static_cast<std::size_t>(to) * cols + j] += double{w} * point[j];
      }
      stats.weights[from] -= w;
      stats.weights[to] += w;
      labels[static_cast<std::size_t>(row)] = to;
      update_mean(from);
      update_mean(to);
      ++moved;
    }
    outcome.moves += moved;
    double shift = 0.0;
    for (std::size_t i = 0; i < size; ++i) shift += (means[i] - before[i]) * (means[i] - before[i]);
    if (moved == 0 || shift <= tolerance) {
      outcome.converged = true;
      break;
    }
  }
  if (outcome.moves > 0) std::copy(means.begin(), means.end(), centroids.begin());
  return outcome;
}

}  // namespace cie::kmeans_detail
