// The GBDT rows of bench/gpu_check.sh: fits gradient-boosted trees on generated data on one
// device, scores the same rows, writes the model and the margins for a CPU-vs-CUDA comparison,
// and prints one JSON line.
//
//   gbdt_device_driver --synthetic N [--cols 32] [--trees 200] [--leaves 63] [--max-bin 255]
//                      [--device cpu|cuda|cuda:N|auto] [--threads P] [--warmup]
//                      [--model-out M.json] [--margin-out V.f64]
//
// Data (fixed seed): N rows × cols float32, ~5% of each numeric column missing (NaN); column 0 a
// categorical of 8 levels and column 1 one of 40 (level codes, split natively), the others
// N(0, 1); P(y = 1) = σ(z) with z a fixed mix of thresholds, an interaction, a square and the
// levels. --warmup: one untimed fit of 2 trees on the first 4096 rows (CUDA context and module
// loading happen there). Output: {"train_seconds": gbdt_fit wall time (binning and, on CUDA,
// the upload of the binned matrix included), "score_seconds": GbdtModel::predict_margin over
// the N rows (on CUDA the copy of the rows to the device included), "train_log_loss", "trees",
// "nodes", "rows", "cols", "threads", "device"}.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "bench/driver_support.hpp"
#include "bench/synthetic.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "kernels/linear_rules.hpp"
#include "models/gbdt/gbdt.hpp"

namespace {

struct Data {
  std::vector<float> x;
  std::vector<float> y;
};

Data generate(std::size_t rows, std::size_t cols) {
  std::mt19937_64 rng(20261207);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Data d{std::vector<float>(rows * cols), std::vector<float>(rows)};
  float const nan = std::numeric_limits<float>::quiet_NaN();
  for (std::size_t j = 0; j < cols; ++j) {
    for (std::size_t i = 0; i < rows; ++i) {
      float& v = d.x[j * rows + i];
      if (j == 0) {
        v = static_cast<float>(rng() % 8);
      } else if (j == 1) {
        v = static_cast<float>(rng() % 40);
      } else {
        v = unit(rng) < 0.05 ? nan : normal(rng);
      }
    }
  }
  auto const at = [&](std::size_t j, std::size_t i) {
    if (j >= cols) return 0.0;
    float const v = d.x[j * rows + i];
    return std::isnan(v) ? 0.0 : static_cast<double>(v);
  };
  for (std::size_t i = 0; i < rows; ++i) {
    double const z = 1.5 * (at(2, i) > 0.3) - 0.7 * at(3, i) * at(3, i) +
                     0.5 * at(4, i) * at(5, i) + 0.3 * at(6, i) +
                     (static_cast<int>(at(0, i)) % 3 == 1 ? 0.8 : 0.0) -
                     (static_cast<int>(at(1, i)) % 5 == 2 ? 0.9 : 0.0) - 0.5;
    d.y[i] = unit(rng) < 1.0 / (1.0 + std::exp(-z)) ? 1.0f : 0.0f;
  }
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::size_t rows = 0, cols = 32;
    int threads = 0;
    bool warmup = false;
    std::string device = "cpu", model_out, margin_out;
    cie::GbdtParams params;
    params.n_trees = 200;
    params.num_leaves = 63;
    for (int i = 1; i < argc; ++i) {
      std::string const arg = argv[i];
      auto value = [&]() -> std::string {
        CIE_EXPECTS(i + 1 < argc, "{} needs a value", arg);
        return argv[++i];
      };
      if (arg == "--synthetic")
        rows = std::stoull(value());
      else if (arg == "--cols")
        cols = std::stoull(value());
      else if (arg == "--trees")
        params.n_trees = std::stoi(value());
      else if (arg == "--leaves")
        params.num_leaves = std::stoi(value());
      else if (arg == "--max-bin")
        params.max_bin = std::stoi(value());
      else if (arg == "--device")
        device = value();
      else if (arg == "--threads")
        threads = std::stoi(value());
      else if (arg == "--warmup")
        warmup = true;
      else if (arg == "--model-out")
        model_out = value();
      else if (arg == "--margin-out")
        margin_out = value();
      else
        cie::fail(cie::ExitCode::kUsage, "unknown argument {}", arg);
    }
    CIE_EXPECTS(rows > 0 && cols >= 2, "--synthetic N (N >= 1) and --cols (>= 2) needed");
    params.categorical_features = {0, 1};
    Data const d = generate(rows, cols);
    cie::Context const ctx = cie::bench::make_context(device, threads);
    cie::FeatureMatrix const x{d.x.data(), rows, cols};

    if (warmup) {
      std::size_t const m = std::min<std::size_t>(rows, 4096);
      std::vector<float> const head =
          cie::bench::head_rows(d.x.data(), static_cast<std::int64_t>(rows), static_cast<int>(cols),
                                static_cast<std::int64_t>(m));
      cie::GbdtParams small = params;
      small.n_trees = 2;
      (void)cie::gbdt_fit(ctx, small, {head.data(), m, cols},
                          std::span<float const>(d.y.data(), m));
    }
    auto start = std::chrono::steady_clock::now();
    cie::GbdtModel const model = cie::gbdt_fit(ctx, params, x, d.y);
    double const train_seconds = cie::bench::seconds_since(start);
    std::vector<double> margin(rows);
    start = std::chrono::steady_clock::now();
    model.predict_margin(ctx, x, margin);
    double const score_seconds = cie::bench::seconds_since(start);
    double loss = 0.0;
    for (std::size_t i = 0; i < rows; ++i) loss += cie::kernels::logistic_loss(margin[i], d.y[i]);

    if (!model_out.empty()) {
      std::ofstream out(model_out);
      out << model.to_json().dump() << "\n";
      CIE_EXPECTS(out.good(), "cannot write {}", model_out);
    }
    if (!margin_out.empty()) cie::bench::write_values(margin_out, margin);
    std::cout << nlohmann::json{{"train_seconds", train_seconds},
                                {"score_seconds", score_seconds},
                                {"train_log_loss", loss / static_cast<double>(rows)},
                                {"trees", model.roots.size()},
                                {"nodes", model.nodes.size()},
                                {"rows", rows},
                                {"cols", cols},
                                {"threads", ctx.threads()},
                                {"device", ctx.is_cuda() ? "cuda" : "cpu"}}
                     .dump()
              << "\n";
    return 0;
  } catch (cie::Error const& error) {
    std::cerr << "gbdt_device_driver: " << error.what() << "\n";
    return static_cast<int>(error.code());
  }
}
