// K-means seeding; see models/segments/kmeans_init.hpp.
#include "models/segments/kmeans_init.hpp"

#include <cmath>
#include <map>
#include <set>

#include "core/context.hpp"
#include "core/error.hpp"

namespace cie::kmeans_detail {

std::vector<std::int64_t> draw_rows(kernels::KMeansWorkspace& workspace, KMeansRng& rng,
                                    int count) {
  std::vector<double> const batch_potentials = workspace.batch_potentials();
  double total = 0.0;
  for (double potential : batch_potentials) total += potential;
  std::vector<std::int64_t> rows;
  rows.reserve(static_cast<std::size_t>(count));
  if (!(total > 0.0)) {
    for (int draw = 0; draw < count; ++draw) rows.push_back(rng.below(workspace.rows()));
    return rows;
  }
  std::map<std::int64_t, std::vector<double>> fetched;  // row potentials of the batches hit
  for (int draw = 0; draw < count; ++draw) {
    double target = rng.uniform01() * total;
    // The batch holding the target, then the row within it, each by a running sum in order;
    // rounding can leave the target past the end, and then the last row with potential wins.
    std::int64_t batch = 0;
    std::int64_t last_positive_batch = 0;
    for (; batch < static_cast<std::int64_t>(batch_potentials.size()); ++batch) {
      if (batch_potentials[batch] > 0.0) last_positive_batch = batch;
      if (target < batch_potentials[batch]) break;
      target -= batch_potentials[batch];
    }
    if (batch == static_cast<std::int64_t>(batch_potentials.size())) {
      batch = last_positive_batch;
      target = batch_potentials[batch];
    }
    auto [slot, inserted] = fetched.try_emplace(batch);
    if (inserted) slot->second = workspace.row_potentials(batch);
    std::vector<double> const& potentials = slot->second;
    std::int64_t chosen = -1;
    double running = 0.0;
    for (std::size_t i = 0; i < potentials.size(); ++i) {
      if (potentials[i] <= 0.0) continue;
      chosen = static_cast<std::int64_t>(i);
      running += potentials[i];
      if (target < running) break;
    }
    CIE_ASSERT(chosen >= 0);
    rows.push_back(batch * kernels::kKMeansBatchRows + chosen);
  }
  return rows;
}

std::vector<float> kmeans_plus_plus(kernels::KMeansWorkspace& workspace, int k, KMeansRng& rng) {
  int const cols = workspace.cols();
  int const trials = 2 + static_cast<int>(std::log(k));
  std::vector<float> centroids;
  centroids.reserve(static_cast<std::size_t>(k) * cols);

  workspace.reset_closest();
  std::vector<float> const first = workspace.gather_rows(draw_rows(workspace, rng, 1));
  centroids.insert(centroids.end(), first.begin(), first.end());
  workspace.update_closest(first, 1, true);
  for (int c = 1; c < k; ++c) {
    std::vector<float> const candidates = workspace.gather_rows(draw_rows(workspace, rng, trials));
    std::vector<double> const potentials = workspace.candidate_potentials(candidates, trials);
    int best = 0;
    for (int t = 1; t < trials; ++t) {
      if (potentials[t] < potentials[best]) best = t;
    }
    std::span<float const> const chosen(candidates.data() + static_cast<std::size_t>(best) * cols,
                                        static_cast<std::size_t>(cols));
    centroids.insert(centroids.end(), chosen.begin(), chosen.end());
    workspace.update_closest(chosen, 1, false);
  }
  return centroids;
}

std::vector<float> kmeans_parallel(kernels::KMeansWorkspace& workspace, int k,
                                   double oversampling_factor, int rounds, KMeansRng& rng) {
  int const cols = workspace.cols();
  int const per_round = static_cast<int>(std::ceil(oversampling_factor * k));
  std::set<std::int64_t> chosen_rows;
  std::vector<float> candidates;

  workspace.reset_closest();
  std::vector<std::int64_t> const first = draw_rows(workspace, rng, 1);
  chosen_rows.insert(first.front());
  candidates = workspace.gather_rows(first);
  workspace.update_closest(candidates, 1, true);
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::int64_t> fresh;
    for (std::int64_t row : draw_rows(workspace, rng, per_round)) {
      if (chosen_rows.insert(row).second) fresh.push_back(row);
    }
    if (fresh.empty()) continue;
    std::vector<float> const points = workspace.gather_rows(fresh);
    candidates.insert(candidates.end(), points.begin(), points.end());
    workspace.update_closest(points, static_cast<int>(fresh.size()), false);
  }

  int const m = static_cast<int>(chosen_rows.size());
  if (m < k) {
    // Fewer distinct candidates than clusters (rows with many duplicates): the rest are drawn
    // uniformly; duplicates become empty clusters, which Lloyd re-seeds.
    std::vector<std::int64_t> extra;
    for (int c = m; c < k; ++c) extra.push_back(rng.below(workspace.rows()));
    std::vector<float> const extra_points = workspace.gather_rows(extra);
    candidates.insert(candidates.end(), extra_points.begin(), extra_points.end());
    return candidates;
  }
  // Weighted k-means++ over the m candidates, each weighted by the rows nearest to it: a small
  // problem, solved on the CPU whatever the backend.
  kernels::KMeansPassStats const owners = workspace.lloyd_pass(candidates, m, {});
  std::vector<float> candidate_columns(candidates.size());
  std::vector<float> candidate_weights(static_cast<std::size_t>(m));
  for (int c = 0; c < m; ++c) {
    candidate_weights[c] = static_cast<float>(owners.weights[c]);
    for (int j = 0; j < cols; ++j) {
      candidate_columns[static_cast<std::size_t>(j) * m + c] = candidates[c * cols + j];
    }
  }
  Context const cpu = Context::cpu(1);
  auto reduced = kernels::cpu_impl::make_kmeans_workspace(cpu, candidate_columns.data(), m, m, cols,
                                                          candidate_weights);
  return kmeans_plus_plus(*reduced, k, rng);
}

std::vector<float> random_rows(kernels::KMeansWorkspace& workspace, int k, KMeansRng& rng) {
  std::int64_t const n = workspace.rows();
  std::set<std::int64_t> taken;
  std::vector<std::int64_t> rows;
  for (std::int64_t j = n - k; j < n; ++j) {
    std::int64_t const pick = rng.below(j + 1);
    std::int64_t const row = taken.contains(pick) ? j : pick;
    taken.insert(row);
    rows.push_back(row);
  }
  return workspace.gather_rows(rows);
}

}  // namespace cie::kmeans_detail
