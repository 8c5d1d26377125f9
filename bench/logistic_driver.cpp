// A small logistic-regression program for bench/compare_logistic.py and bench/gpu_check.sh:
// reads raw float32 files written by numpy (or generates the data in process), fits, optionally
// scores, and prints one JSON line.
//
//   logistic_driver (--data X.f32 --labels y.f32 --rows N | --synthetic N) --cols D
//                   [--penalty l2] [--C 1] [--l1-ratio R] [--solver auto] [--tol T]
//                   [--max-iter I] [--threads P] [--device cpu|cuda|cuda:N|auto] [--warmup]
//                   [--predict] [--model [--dtype owned|float64|float32]]
//
// X.f32: column-major N × D (numpy: X.T.astype("<f4").tofile(path)); y.f32: N labels 0 or 1.
// --synthetic N: bench/synthetic.hpp's known logistic model, N × D (D defaults to 32 there:
// x ~ N(0, 1), P(y = 1) = σ(xᵀβ − 1), β_j = 0.5·sin(j + 1), fixed seed). --device: default cpu.
// --warmup: one untimed fit (and scoring, with --predict) on the first 4096 rows first.
// Output: {"seconds": fit wall time (data already in memory), "iterations", "converged",
// "solver", "coef", "intercept", "log_loss", "objective", "threads", "device", "rows", "cols"}
// and with --predict "predict_seconds" (scoring the N training rows) and "rows_per_second".
// --model: times the model path instead (bench/model_paths.hpp: train_propensity and the model
// file's text, as `cie propensity train --validation 0` and cie.LogisticRegression run it) and
// prints {"seconds", "cpu_seconds", "table_seconds", "log_loss", "iterations", "model_bytes",
// "threads", "device", "rows", "cols", "dtype"}. --dtype: how the table holds X
// (bench/model_paths.hpp): owned (the default: the CLI reader's owned float64 columns, made before
// the timer), float64 or float32 (borrowed columns read in place, as cie.LogisticRegression reads a
// float64 / float32 array in F order). Every --dtype gives the same fit bit for bit.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/driver_support.hpp"
#include "bench/model_paths.hpp"
#include "bench/synthetic.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "models/propensity/logistic.hpp"

using cie::bench::read_values;
using cie::bench::seconds_since;

int main(int argc, char** argv) {
  try {
    std::string data_path, labels_path, device = "cpu";
    std::size_t rows = 0, cols = 0, synthetic_rows = 0;
    int threads = 0;
    bool predict = false, warmup = false, model_path = false;
    cie::bench::ColumnLayout layout = cie::bench::ColumnLayout::kOwned;
    cie::LogisticParams params;
    for (int i = 1; i < argc; ++i) {
      std::string const arg = argv[i];
      auto value = [&]() -> std::string {
        CIE_EXPECTS(i + 1 < argc, "{} needs a value", arg);
        return argv[++i];
      };
      if (arg == "--data")
        data_path = value();
      else if (arg == "--labels")
        labels_path = value();
      else if (arg == "--rows")
        rows = std::stoull(value());
      else if (arg == "--synthetic")
        synthetic_rows = std::stoull(value());
      else if (arg == "--cols")
        cols = std::stoull(value());
      else if (arg == "--penalty")
        params.penalty = cie::parse_penalty(value());
      else if (arg == "--C")
        params.C = std::stod(value());
      else if (arg == "--l1-ratio")
        params.l1_ratio = std::stod(value());
      else if (arg == "--solver")
        params.solver = cie::parse_solver(value());
      else if (arg == "--tol")
        params.tol = std::stod(value());
      else if (arg == "--max-iter")
        params.max_iter = std::stoi(value());
      else if (arg == "--threads")
        threads = std::stoi(value());
      else if (arg == "--device")
        device = value();
      else if (arg == "--warmup")
        warmup = true;
      else if (arg == "--predict")
        predict = true;
      else if (arg == "--model")
        model_path = true;
      else if (arg == "--dtype")
        layout = cie::bench::parse_column_layout(value());
      else
        cie::fail(cie::ExitCode::kUsage, "unknown argument '{}'", arg);
    }
    CIE_EXPECTS(synthetic_rows == 0 || data_path.empty(),
                "--synthetic and --data exclude each other");
    std::vector<float> x, y;
    if (synthetic_rows > 0) {
      rows = synthetic_rows;
      if (cols == 0) cols = 32;
      cie::bench::LogisticData data =
          cie::bench::known_logistic_data(static_cast<std::int64_t>(rows), static_cast<int>(cols));
      x = std::move(data.x);
      y = std::move(data.y);
    } else {
      x = read_values<float>(data_path, rows * cols);
      y = read_values<float>(labels_path, rows);
    }
    cie::FeatureMatrix const matrix{x.data(), rows, cols};
    cie::Context ctx = cie::bench::make_context(device, threads);
    if (warmup) {
      std::int64_t const head_rows = std::min<std::int64_t>(static_cast<std::int64_t>(rows), 4096);
      std::vector<float> const head = cie::bench::head_rows(
          x.data(), static_cast<std::int64_t>(rows), static_cast<int>(cols), head_rows);
      cie::FeatureMatrix const small{head.data(), static_cast<std::size_t>(head_rows), cols};
      std::span<float const> const small_y(y.data(), static_cast<std::size_t>(head_rows));
      cie::LogisticModel const model = cie::logistic_fit(ctx, params, small, small_y);
      if (predict) {
        std::vector<double> probability(static_cast<std::size_t>(head_rows));
        cie::logistic_predict_proba(ctx, model, small, probability);
      }
    }
    if (model_path) {
      nlohmann::json out = cie::bench::propensity_model_fit(ctx, params, x, y, rows, cols, layout);
      out["threads"] = ctx.threads();
      out["device"] = ctx.device_name();
      out["rows"] = rows;
      out["cols"] = cols;
      out["dtype"] = cie::bench::column_layout_name(layout);
      std::cout << out.dump() << "\n";
      return 0;
    }
    auto start = std::chrono::steady_clock::now();
    cie::LogisticModel const model = cie::logistic_fit(ctx, params, matrix, y);
    double const fit_seconds = seconds_since(start);
    nlohmann::json out = model.to_json();
    out["seconds"] = fit_seconds;
    out["threads"] = ctx.threads();
    out["device"] = ctx.device_name();
    out["rows"] = rows;
    out["cols"] = cols;
    if (predict) {
      std::vector<double> probability(rows);
      start = std::chrono::steady_clock::now();
      cie::logistic_predict_proba(ctx, model, matrix, probability);
      double const predict_seconds = seconds_since(start);
      out["predict_seconds"] = predict_seconds;
      out["rows_per_second"] = static_cast<double>(rows) / predict_seconds;
    }
    std::cout << out.dump() << "\n";
    return 0;
  } catch (cie::Error const& e) {
    std::cerr << "logistic_driver: " << e.what() << "\n";
    return static_cast<int>(e.code());
  }
}
