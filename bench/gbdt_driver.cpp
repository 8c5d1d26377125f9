// The cie side of bench/compare_gbdt.py: fits gradient-boosted trees on raw float32 files
// written by numpy, scores a validation set, and prints one JSON line.
//
//   gbdt_driver --data X.f32 --labels y.f32 --rows N --valid VX.f32 --valid-labels vy.f32
//               --valid-rows M --cols D [--trees 200] [--leaves 63] [--learning-rate 0.1]
//               [--max-bin 255] [--min-data-in-leaf 20] [--threads P]
//               [--score X.f32 --score-rows S] [--model-out model.json] [--model-in model.json]
//
// X.f32 and VX.f32: column-major (numpy: X.T.astype("<f4").tofile(path)), NaN = missing.
// Output: {"train_seconds": fit wall time (data in memory), "train_cpu_seconds": the fit's CPU
// time (all threads, std::clock), "score_seconds" and "score_cpu_seconds": scoring the M
// validation rows, "valid_log_loss", "trees", "peak_rss_bytes" (VmHWM: the whole process,
// data included), "threads", "rows", "cols", and the histogram floor: "histogram_rows" (rows
// summed over every histogram the fit builds: each tree's root plus the smaller child of each
// split, found by routing the training rows through the trees), "floor_bytes" (histogram_rows ×
// cols: the bytes of binned data those passes must read, one uint8 per row and feature),
// "read_bytes_per_second" (this process reading a 256 MiB buffer once, one thread) and
// "floor_seconds" (floor_bytes / read_bytes_per_second)}. With --score, "score_seconds" and
// "score_cpu_seconds" time the S rows of that file instead. --model-out writes the model's JSON
// (to compare models bit for bit across builds and thread counts). "score_hash": FNV-1a (64 bits,
// hex) of the bytes of the scored probabilities (the S rows with --score, else the M validation
// rows), to compare predictions bit for bit across builds. --model-in scores the model of that
// JSON file instead of fitting one (train_seconds 0; the floor then counts that model's
// histograms over the --data rows).
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "bench/driver_support.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "kernels/linear_rules.hpp"
#include "models/gbdt/gbdt.hpp"

using cie::bench::read_values;
using cie::bench::seconds_since;

namespace {

/// Rows summed over every histogram a fit built: per tree, all rows at the root plus the smaller
/// child of each split (the tree grower builds that one and subtracts for the other).
std::size_t histogram_rows(cie::GbdtModel const& model, cie::FeatureMatrix x) {
  std::vector<std::size_t> count(model.nodes.size(), 0);
  for (std::int32_t const root : model.roots) {
    for (std::size_t i = 0; i < x.rows; ++i) {
      std::int32_t node = root;
      count[node] += 1;
      while (model.nodes[node].feature >= 0) {
        auto const& split = model.nodes[node];
        node = cie::kernels::node_goes_left(split, x.column(split.feature)[i],
                                            model.category_bits.data())
                   ? split.left
                   : split.right;
        count[node] += 1;
      }
    }
  }
  std::size_t total = 0;
  for (std::int32_t const root : model.roots) total += count[root];
  for (auto const& node : model.nodes) {
    if (node.feature >= 0) total += std::min(count[node.left], count[node.right]);
  }
  return total;
}

/// FNV-1a over the bytes of `values`, as 16 hex digits.
std::string fnv1a_hex(std::vector<double> const& values) {
  std::uint64_t hash = 14695981039346656037ULL;
  auto const* bytes = reinterpret_cast<unsigned char const*>(values.data());
  for (std::size_t k = 0; k < values.size() * sizeof(double); ++k) {
    hash = (hash ^ bytes[k]) * 1099511628211ULL;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

/// CPU seconds of the whole process (all threads) since `start`.
double cpu_seconds_since(std::clock_t start) {
  return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

/// Bytes per second of one thread reading a 256 MiB buffer (best of 3).
double read_bandwidth() {
  std::vector<std::uint64_t> buffer(std::size_t{32} << 20, 1);
  double best = 1e30;
  std::uint64_t sum = 0;
  for (int pass = 0; pass < 3; ++pass) {
    auto const start = std::chrono::steady_clock::now();
    sum += std::accumulate(buffer.begin(), buffer.end(), std::uint64_t{0});
    best = std::min(best, seconds_since(start));
  }
  if (sum == 0) std::cerr << "";  // keeps the sums
  return static_cast<double>(buffer.size() * sizeof(std::uint64_t)) / best;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string data, labels, valid, valid_labels, score, model_out, model_in;
    std::size_t rows = 0, valid_rows = 0, cols = 0, score_rows = 0;
    int threads = 2;
    cie::GbdtParams params;
    params.n_trees = 200;
    params.num_leaves = 63;
    for (int i = 1; i < argc; ++i) {
      std::string const arg = argv[i];
      auto value = [&]() -> std::string {
        CIE_EXPECTS(i + 1 < argc, "{} needs a value", arg);
        return argv[++i];
      };
      if (arg == "--data")
        data = value();
      else if (arg == "--labels")
        labels = value();
      else if (arg == "--rows")
        rows = std::stoull(value());
      else if (arg == "--valid")
        valid = value();
      else if (arg == "--valid-labels")
        valid_labels = value();
      else if (arg == "--valid-rows")
        valid_rows = std::stoull(value());
      else if (arg == "--cols")
        cols = std::stoull(value());
      else if (arg == "--trees")
        params.n_trees = std::stoi(value());
      else if (arg == "--leaves")
        params.num_leaves = std::stoi(value());
      else if (arg == "--learning-rate")
        params.learning_rate = std::stod(value());
      else if (arg == "--max-bin")
        params.max_bin = std::stoi(value());
      else if (arg == "--min-data-in-leaf")
        params.min_data_in_leaf = std::stoi(value());
      else if (arg == "--threads")
        threads = std::stoi(value());
      else if (arg == "--score")
        score = value();
      else if (arg == "--score-rows")
        score_rows = std::stoull(value());
      else if (arg == "--model-out")
        model_out = value();
      else if (arg == "--model-in")
        model_in = value();
      else
        cie::fail(cie::ExitCode::kUsage, "unknown argument {}", arg);
    }
    CIE_EXPECTS(rows > 0 && valid_rows > 0 && cols > 0, "--rows, --valid-rows and --cols needed");
    std::vector<float> const x = read_values<float>(data, rows * cols);
    std::vector<float> const y = read_values<float>(labels, rows);
    std::vector<float> const vx = read_values<float>(valid, valid_rows * cols);
    std::vector<float> const vy = read_values<float>(valid_labels, valid_rows);
    cie::Context const ctx = cie::Context::cpu(threads);

    auto start = std::chrono::steady_clock::now();
    std::clock_t cpu_start = std::clock();
    cie::GbdtModel const model =
        model_in.empty()
            ? cie::gbdt_fit(ctx, params, {x.data(), rows, cols}, y)
            : cie::GbdtModel::from_json(nlohmann::json::parse(std::ifstream(model_in)), model_in);
    double const train_seconds = seconds_since(start);
    double const train_cpu_seconds = cpu_seconds_since(cpu_start);
    if (!model_out.empty()) std::ofstream(model_out) << model.to_json().dump() << "\n";
    std::vector<double> p(valid_rows);
    start = std::chrono::steady_clock::now();
    cpu_start = std::clock();
    model.predict(ctx, {vx.data(), valid_rows, cols}, p);
    double score_seconds = seconds_since(start);
    double score_cpu_seconds = cpu_seconds_since(cpu_start);
    std::string score_hash = fnv1a_hex(p);
    if (!score.empty()) {
      std::vector<float> const sx = read_values<float>(score, score_rows * cols);
      std::vector<double> sp(score_rows);
      start = std::chrono::steady_clock::now();
      cpu_start = std::clock();
      model.predict(ctx, {sx.data(), score_rows, cols}, sp);
      score_seconds = seconds_since(start);
      score_cpu_seconds = cpu_seconds_since(cpu_start);
      score_hash = fnv1a_hex(sp);
    }
    double loss = 0.0;
    for (std::size_t i = 0; i < valid_rows; ++i) {
      double const q = std::clamp(p[i], 1e-15, 1.0 - 1e-15);
      loss -= vy[i] == 1.0f ? std::log(q) : std::log1p(-q);
    }
    std::size_t const peak_rss = cie::bench::peak_rss_bytes();  // before the bandwidth buffer
    std::size_t const floor_rows = histogram_rows(model, {x.data(), rows, cols});
    double const bandwidth = read_bandwidth();
    std::cout << nlohmann::json{{"train_seconds", train_seconds},
                                {"train_cpu_seconds", train_cpu_seconds},
                                {"score_seconds", score_seconds},
                                {"score_cpu_seconds", score_cpu_seconds},
                                {"score_hash", score_hash},
                                {"valid_log_loss", loss / static_cast<double>(valid_rows)},
                                {"trees", model.roots.size()},
                                {"peak_rss_bytes", peak_rss},
                                {"threads", threads},
                                {"rows", rows},
                                {"cols", cols},
                                {"histogram_rows", floor_rows},
                                {"floor_bytes", floor_rows * cols},
                                {"read_bytes_per_second", bandwidth},
                                {"floor_seconds",
                                 static_cast<double>(floor_rows * cols) / bandwidth}}
                     .dump()
              << "\n";
    return 0;
  } catch (cie::Error const& error) {
    std::cerr << "gbdt_driver: " << error.what() << "\n";
    return static_cast<int>(error.code());
  }
}
