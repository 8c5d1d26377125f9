// K-means on the CPU: one assignment pass (assign + per-cluster sums, the whole of a Lloyd
// iteration's data traffic), one Hartigan candidate pass (the parallel part of a refinement
// pass) and a full Lloyd fit of a fixed number of iterations (tol 0, given centroids, no
// refinement, so every run does the same work). d = 8, k = 8/16/32, 1M and 10M rows; data is
// built once per size, outside the timed loops. Labels: rows#cols#k. Counters: rows/s and
// bytes/s of feature data read per pass.
//
//   build/bench/bench_kmeans --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "bench/synthetic.hpp"
#include "core/context.hpp"
#include "kernels/kmeans.hpp"
#include "models/segments/kmeans.hpp"

namespace {

constexpr int kCols = 8;
constexpr int kFitIterations = 10;

/// bench/synthetic.hpp's Gaussian blobs, built once per size.
std::vector<float> const& blobs(std::int64_t rows) {
  static std::map<std::int64_t, std::vector<float>> cache;
  auto [slot, inserted] = cache.try_emplace(rows);
  if (inserted) slot->second = cie::bench::gaussian_blobs(rows, kCols);
  return slot->second;
}

/// The first k rows as centroids.
std::vector<float> first_rows(std::vector<float> const& x, std::int64_t rows, int k) {
  return cie::bench::first_rows_as_centroids(x, rows, kCols, k);
}

void label(benchmark::State& state, std::int64_t rows, int k, double passes, int threads) {
  state.SetLabel(std::to_string(rows) + "#" + std::to_string(kCols) + "#" + std::to_string(k));
  double const rows_done = static_cast<double>(rows) * passes * state.iterations();
  state.counters["rows/s"] = benchmark::Counter(rows_done, benchmark::Counter::kIsRate);
  state.counters["bytes/s"] =
      benchmark::Counter(rows_done * kCols * sizeof(float), benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
}

/// A CPU workspace on the benchmark's blobs with the first k rows as centroids.
struct PassSetup {
  explicit PassSetup(benchmark::State const& state)
      : rows(state.range(0)),
        k(static_cast<int>(state.range(1))),
        centroids(first_rows(blobs(rows), rows, k)),
        workspace(cie::kernels::make_kmeans_workspace(ctx, blobs(rows).data(), rows, kCols, {})) {}
  std::int64_t rows;
  int k;
  std::vector<float> centroids;
  cie::Context ctx = cie::Context::cpu();
  std::unique_ptr<cie::kernels::KMeansWorkspace> workspace;
};

void BM_KMeansAssignPass(benchmark::State& state) {
  PassSetup setup(state);
  for (auto _ : state) {
    cie::kernels::KMeansPassStats stats = setup.workspace->lloyd_pass(setup.centroids, setup.k, {});
    benchmark::DoNotOptimize(stats.inertia);
  }
  label(state, setup.rows, setup.k, 1.0, setup.ctx.threads());
}

void BM_KMeansHartiganPass(benchmark::State& state) {
  PassSetup setup(state);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(setup.rows));
  cie::kernels::KMeansPassStats const stats =
      setup.workspace->lloyd_pass(setup.centroids, setup.k, labels);
  for (auto _ : state) {
    std::vector<std::int64_t> candidates =
        setup.workspace->hartigan_candidates(setup.centroids, setup.k, stats.weights, labels);
    benchmark::DoNotOptimize(candidates.data());
  }
  label(state, setup.rows, setup.k, 1.0, setup.ctx.threads());
}

void BM_KMeansFit(benchmark::State& state) {
  std::int64_t const rows = state.range(0);
  int const k = static_cast<int>(state.range(1));
  std::vector<float> const& x = blobs(rows);
  cie::KMeansParams params;
  params.n_clusters = k;
  params.init = cie::KMeansInit::kGiven;
  params.initial_centroids = first_rows(x, rows, k);
  params.max_iter = kFitIterations;
  params.tol = 0.0;
  params.refine = cie::KMeansRefine::kNone;
  cie::Context ctx = cie::Context::cpu();
  cie::FeatureMatrix const matrix{x.data(), static_cast<std::size_t>(rows), kCols};
  int iterations = 0;
  for (auto _ : state) {
    cie::KMeansResult result = cie::kmeans_fit(ctx, params, matrix);
    iterations = result.iterations;
    benchmark::DoNotOptimize(result.inertia);
  }
  // Passes per fit: the iterations plus the final assignment.
  label(state, rows, k, iterations + 1.0, ctx.threads());
  state.counters["lloyd_iterations"] = iterations;
}

void sizes(benchmark::internal::Benchmark* bench) {
  for (std::int64_t rows : {1'000'000, 10'000'000}) {
    for (int k : {8, 16, 32}) bench->Args({rows, k});
  }
}

}  // namespace

BENCHMARK(BM_KMeansAssignPass)->Apply(sizes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_KMeansHartiganPass)->Apply(sizes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_KMeansFit)->Apply(sizes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
