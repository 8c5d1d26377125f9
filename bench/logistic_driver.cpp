// A small logistic-regression program for bench/compare_logistic.py: reads raw float32 files
// written by numpy, fits, optionally scores, and prints one JSON line.
//
//   logistic_driver --data X.f32 --labels y.f32 --rows N --cols D [--penalty l2] [--C 1]
//                   [--l1-ratio R] [--solver auto] [--tol T] [--max-iter I] [--threads P]
//                   [--predict]
//
// X.f32: column-major N × D (numpy: X.T.astype("<f4").tofile(path)); y.f32: N labels 0 or 1.
// Output: {"seconds": fit wall time (data already in memory), "iterations", "converged",
// "solver", "coef", "intercept", "log_loss", "objective", "threads"} and with --predict
// "predict_seconds" (scoring the N training rows) and "rows_per_second".
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/context.hpp"
#include "host/error.hpp"
#include "models/logistic.hpp"

namespace {

std::vector<float> read_floats(std::string const& path, std::size_t count) {
  std::vector<float> values(count);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(float)));
  CIE_EXPECTS_DATA(in.gcount() == static_cast<std::streamsize>(count * sizeof(float)),
                   "{}: expected {} float32 values", path, count);
  return values;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string data_path, labels_path;
    std::size_t rows = 0, cols = 0;
    int threads = 0;
    bool predict = false;
    cie::LogisticParams params;
    for (int i = 1; i < argc; ++i) {
      std::string const arg = argv[i];
      auto value = [&]() -> std::string {
        CIE_EXPECTS(i + 1 < argc, "{} needs a value", arg);
        return argv[++i];
      };
      if (arg == "--data") data_path = value();
      else if (arg == "--labels") labels_path = value();
      else if (arg == "--rows") rows = std::stoull(value());
      else if (arg == "--cols") cols = std::stoull(value());
      else if (arg == "--penalty") params.penalty = cie::parse_penalty(value());
      else if (arg == "--C") params.C = std::stod(value());
      else if (arg == "--l1-ratio") params.l1_ratio = std::stod(value());
      else if (arg == "--solver") params.solver = cie::parse_solver(value());
      else if (arg == "--tol") params.tol = std::stod(value());
      else if (arg == "--max-iter") params.max_iter = std::stoi(value());
      else if (arg == "--threads") threads = std::stoi(value());
      else if (arg == "--predict") predict = true;
      else cie::fail(cie::ExitCode::kUsage, "unknown argument '{}'", arg);
    }
    std::vector<float> const x = read_floats(data_path, rows * cols);
    std::vector<float> const y = read_floats(labels_path, rows);
    cie::FeatureMatrix const matrix{x.data(), rows, cols};
    cie::Context ctx = cie::Context::cpu(threads);
    auto start = std::chrono::steady_clock::now();
    cie::LogisticModel const model = cie::logistic_fit(ctx, params, matrix, y);
    double const fit_seconds = seconds_since(start);
    nlohmann::json out = model.to_json();
    out["seconds"] = fit_seconds;
    out["threads"] = ctx.threads();
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
