// Logistic regression on the CPU: one loss-and-gradient pass and one pass with the Hessian
// (1M × 32), full fits with Newton and L-BFGS (1M × 32, L2, C = 1, tol 1e-8), and scoring
// (1M and 10M × 32). Data come from a known logistic model and are built once per size, outside
// the timed loops. Labels: rows#cols. Counters: rows/s and bytes/s of feature data read.
//
//   build/bench/bench_logistic --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <utility>

#include "bench/synthetic.hpp"
#include "core/context.hpp"
#include "kernels/linear.hpp"
#include "models/propensity/logistic.hpp"

namespace {

constexpr int kCols = 32;

struct Data {
  std::vector<float> x;  // column-major
  std::vector<float> y;
  std::vector<double> weight;
};

/// bench/synthetic.hpp's known logistic model (x ~ N(0, 1), P(y = 1) = σ(xᵀβ − 1),
/// β_j = 0.5·sin(j + 1)), built once per size; unit weights.
Data const& data(std::int64_t rows) {
  static std::map<std::int64_t, Data> cache;
  auto [slot, inserted] = cache.try_emplace(rows);
  Data& d = slot->second;
  if (!inserted) return d;
  cie::bench::LogisticData generated = cie::bench::known_logistic_data(rows, kCols);
  d.x = std::move(generated.x);
  d.y = std::move(generated.y);
  d.weight.assign(static_cast<std::size_t>(rows), 1.0);
  return d;
}

void label(benchmark::State& state, std::int64_t rows, double passes, int threads) {
  state.SetLabel(std::to_string(rows) + "#" + std::to_string(kCols));
  double const rows_done = static_cast<double>(rows) * passes * state.iterations();
  state.counters["rows/s"] = benchmark::Counter(rows_done, benchmark::Counter::kIsRate);
  state.counters["bytes/s"] =
      benchmark::Counter(rows_done * kCols * sizeof(float), benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
}

void BM_LogisticPass(benchmark::State& state) {
  std::int64_t const rows = state.range(0);
  bool const with_hessian = state.range(1) != 0;
  Data const& d = data(rows);
  cie::Context ctx = cie::Context::cpu();
  auto workspace =
      cie::kernels::make_logistic_workspace(ctx, d.x.data(), rows, kCols, d.y, d.weight);
  std::vector<double> const coef(kCols, 0.1);
  for (auto _ : state) {
    cie::kernels::LogisticPassStats stats = workspace->pass(coef, -0.5, with_hessian);
    benchmark::DoNotOptimize(stats.loss);
  }
  label(state, rows, 1.0, ctx.threads());
  state.counters["hessian"] = with_hessian ? 1 : 0;
}

void BM_LogisticFit(benchmark::State& state) {
  std::int64_t const rows = state.range(0);
  Data const& d = data(rows);
  cie::LogisticParams params;
  params.solver = static_cast<cie::LogisticSolver>(state.range(1));
  cie::Context ctx = cie::Context::cpu();
  cie::FeatureMatrix const matrix{d.x.data(), static_cast<std::size_t>(rows), kCols};
  int iterations = 0;
  for (auto _ : state) {
    cie::LogisticModel model = cie::logistic_fit(ctx, params, matrix, d.y);
    iterations = model.iterations;
    benchmark::DoNotOptimize(model.log_loss);
  }
  label(state, rows, 1.0, ctx.threads());
  state.counters["solver_iterations"] = iterations;
  state.counters["solver"] = static_cast<double>(state.range(1));  // 1 lbfgs, 3 newton
}

void BM_LogisticPredict(benchmark::State& state) {
  std::int64_t const rows = state.range(0);
  Data const& d = data(rows);
  cie::LogisticModel model;
  model.coef = cie::bench::known_logistic_coef(kCols);
  model.intercept = cie::bench::kKnownLogisticIntercept;
  cie::Context ctx = cie::Context::cpu();
  cie::FeatureMatrix const matrix{d.x.data(), static_cast<std::size_t>(rows), kCols};
  std::vector<double> probability(static_cast<std::size_t>(rows));
  for (auto _ : state) {
    cie::logistic_predict_proba(ctx, model, matrix, probability);
    benchmark::DoNotOptimize(probability.data());
  }
  label(state, rows, 1.0, ctx.threads());
}

}  // namespace

BENCHMARK(BM_LogisticPass)
    ->Args({1'000'000, 0})
    ->Args({1'000'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_LogisticFit)
    ->Args({1'000'000, static_cast<int>(cie::LogisticSolver::kNewton)})
    ->Args({1'000'000, static_cast<int>(cie::LogisticSolver::kLbfgs)})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_LogisticPredict)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_MAIN();
