// K-means seeding (internal to models/segments/kmeans.cpp): k-means++, k-means||, random rows.
//
// Every random choice comes from one host RNG per run and every D² draw is located with the
// workspace's batch potentials (sums in row order, folded in batch order), so the CPU and CUDA
// twins pick the same rows whenever their distances agree, which the shared rules make exact.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "core/random.hpp"
#include "kernels/kmeans.hpp"

namespace cie::kmeans_detail {

/// The RNG of one k-means run; uniform01 is defined here (not by <random>'s distributions) so
/// draws are the same with every standard library.
class KMeansRng {
 public:
  explicit KMeansRng(std::uint64_t seed) : engine_(seed) {}
  /// Uniform in [0, 1), 53 random bits.
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n), n >= 1.
  std::int64_t below(std::int64_t n) {
    return std::min<std::int64_t>(n - 1, static_cast<std::int64_t>(uniform01() * n));
  }

 private:
  std::mt19937_64 engine_;
};

/// The RNG seed of run `run` of a fit seeded with `seed`: SplitMix64's output (core/random.hpp's
/// mix64) for state seed + (run + 1) × 0x9e3779b97f4a7c15, so runs of one fit and runs of nearby
/// seeds are unrelated streams.
[[nodiscard]] constexpr std::uint64_t run_seed(std::uint64_t seed, int run) {
  return mix64(seed + (static_cast<std::uint64_t>(run) + 1) * 0x9e3779b97f4a7c15ull);
}

/// Draws `count` rows (with replacement) with probability proportional to
/// sampling_potential(weight, closest). When every potential is 0 (all rows sit on chosen
/// centroids) rows are drawn uniformly. O(batches + count × kKMeansBatchRows) after one pass.
std::vector<std::int64_t> draw_rows(kernels::KMeansWorkspace& workspace, KMeansRng& rng, int count);

/// Greedy k-means++ (scikit-learn's variant): the first centroid is drawn by weight, then
/// each step draws 2 + floor(ln k) candidates by D² weighting and keeps the one that lowers
/// the total potential most (ties: the earlier draw). k + 1 passes plus one per step.
std::vector<float> kmeans_plus_plus(kernels::KMeansWorkspace& workspace, int k, KMeansRng& rng);

/// k-means|| (Bahmani et al.): one row drawn by weight, then `rounds` rounds each drawing
/// ceil(oversampling_factor × k) rows by D² weighting (with replacement, duplicates dropped:
/// a fixed-size draw where the paper flips a coin per row, so both twins share the host RNG);
/// the candidates are weighted by the sample weight of the rows nearest to them and reduced
/// to k centroids by weighted k-means++ on the CPU. About 2 × rounds + 2 passes.
std::vector<float> kmeans_parallel(kernels::KMeansWorkspace& workspace, int k,
                                   double oversampling_factor, int rounds, KMeansRng& rng);

/// k distinct rows chosen uniformly (Floyd's algorithm), in the order drawn. O(k log k).
std::vector<float> random_rows(kernels::KMeansWorkspace& workspace, int k, KMeansRng& rng);

}  // namespace cie::kmeans_detail
