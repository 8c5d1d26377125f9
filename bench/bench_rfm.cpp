// Ingest + RFM throughput on the CPU: parse a transactions CSV held in memory (the file system is
// left out so the figure is the engine's), then compute RFM features, scores and segments.
// Labels: rows. Counters: rows/s and bytes/s of CSV.
//
//   build/bench_rfm --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <random>
#include <string>

#include "core/context.hpp"
#include "host/io/transactions_reader.hpp"
#include "models/rfm/rfm.hpp"

namespace {

/// A CSV of `rows` transactions over rows/10 customers and two years, fixed seed.
std::string make_csv(std::int64_t rows) {
  std::mt19937_64 rng(20261125);
  std::int64_t const customers = std::max<std::int64_t>(1, rows / 10);
  std::uniform_int_distribution<std::int64_t> customer(0, customers - 1);
  std::uniform_int_distribution<int> day(1, 28), month(1, 12), year(2024, 2025);
  std::uniform_int_distribution<int> cents(-500, 25000);
  std::string csv = "customer_id,date,amount\n";
  csv.reserve(static_cast<std::size_t>(rows) * 34);
  auto out = std::back_inserter(csv);
  for (std::int64_t i = 0; i < rows; ++i) {
    int c = cents(rng);
    fmt::format_to(out, "C{:08},{}-{:02}-{:02},{}{}.{:02}\n", customer(rng), year(rng), month(rng),
                   day(rng), c < 0 ? "-" : "", std::abs(c) / 100, std::abs(c) % 100);
  }
  return csv;
}

void BM_IngestAndRfm(benchmark::State& state) {
  std::int64_t const rows = state.range(0);
  std::string const csv = make_csv(rows);
  cie::Context ctx = cie::Context::cpu();
  cie::SegmentTable const segments = cie::SegmentTable::standard(5);
  for (auto _ : state) {
    cie::ReadReport report;
    cie::Transactions transactions =
        cie::parse_transactions(ctx, csv, "bench.csv", cie::TransactionsFormat{}, report);
    cie::RfmTable table = cie::compute_rfm(ctx, cie::RfmParams{}, transactions, segments);
    benchmark::DoNotOptimize(table.segment.data());
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(rows) * state.iterations(),
                                                benchmark::Counter::kIsRate);
  state.counters["bytes/s"] = benchmark::Counter(
      static_cast<double>(csv.size()) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["threads"] = ctx.threads();
}

void BM_RfmOnly(benchmark::State& state) {
  std::int64_t const rows = state.range(0);
  std::string const csv = make_csv(rows);
  cie::Context ctx = cie::Context::cpu();
  cie::ReadReport report;
  cie::Transactions transactions =
      cie::parse_transactions(ctx, csv, "bench.csv", cie::TransactionsFormat{}, report);
  cie::SegmentTable const segments = cie::SegmentTable::standard(5);
  for (auto _ : state) {
    cie::RfmTable table = cie::compute_rfm(ctx, cie::RfmParams{}, transactions, segments);
    benchmark::DoNotOptimize(table.segment.data());
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(rows) * state.iterations(),
                                                benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_IngestAndRfm)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_RfmOnly)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_MAIN();
