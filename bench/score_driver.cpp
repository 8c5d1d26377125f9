// Scoring for bench/compare (task 4) and bench/gpu_check.sh: applies a logistic and a k-means
// model to customer feature matrices already in memory, and prints one JSON line.
//
//   score_driver --rows N --logistic-data X.f32 --cols D --coef C.f64
//                --kmeans-data Z.f32 --kcols E --centroids K.f32 --k K [--threads P]
//                [--prob-out P.f64] [--labels-out L.i32]
//                [--device cpu|cuda|cuda:N|auto] [--warmup] [--repeat R]
//   score_driver --synthetic N [--cols 32] [--kcols 8] [--k 16] [options as above]
//
// X.f32, Z.f32: column-major N × D and N × E float32 (numpy: X.T.astype("<f4").tofile(path));
// C.f64: D coefficients then the intercept, float64; K.f32: row-major K × E centroids.
// --synthetic N: generated in process (bench/synthetic.hpp): X from the known logistic model
// (another seed than logistic_driver's), whose β and intercept are the model; Z Gaussian blobs,
// their first K rows the centroids. --device: default cpu. --warmup: one untimed call of each on
// the first 4096 rows first. --repeat R: R timed calls of each, the fastest reported.
// Output: {"logistic_seconds", "kmeans_seconds", "threads", "device", "rows",
// "customers_per_second"}: wall time of logistic_predict_proba and of kmeans_predict over the N
// rows (file reads excluded; on CUDA the copy of the rows to the device included), and
// N / (their sum). The probabilities and labels (of the last call) are written afterwards when
// asked, for a quality check.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/driver_support.hpp"
#include "bench/synthetic.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "models/propensity/logistic.hpp"
#include "models/segments/kmeans.hpp"

using cie::bench::read_values;
using cie::bench::seconds_since;
using cie::bench::write_values;

int main(int argc, char** argv) {
  try {
    std::string logistic_path, coef_path, kmeans_path, centroids_path, prob_out, labels_out;
    std::string device = "cpu";
    std::size_t rows = 0, cols = 0, kcols = 0, synthetic_rows = 0;
    int k = 0, threads = 0, repeat = 1;
    bool warmup = false;
    for (int i = 1; i < argc; ++i) {
      std::string const arg = argv[i];
      auto value = [&]() -> std::string {
        CIE_EXPECTS(i + 1 < argc, "{} needs a value", arg);
        return argv[++i];
      };
      if (arg == "--rows")
        rows = std::stoull(value());
      else if (arg == "--synthetic")
        synthetic_rows = std::stoull(value());
      else if (arg == "--logistic-data")
        logistic_path = value();
      else if (arg == "--cols")
        cols = std::stoull(value());
      else if (arg == "--coef")
        coef_path = value();
      else if (arg == "--kmeans-data")
        kmeans_path = value();
      else if (arg == "--kcols")
        kcols = std::stoull(value());
      else if (arg == "--centroids")
        centroids_path = value();
      else if (arg == "--k")
        k = std::stoi(value());
      else if (arg == "--threads")
        threads = std::stoi(value());
      else if (arg == "--prob-out")
        prob_out = value();
      else if (arg == "--labels-out")
        labels_out = value();
      else if (arg == "--device")
        device = value();
      else if (arg == "--warmup")
        warmup = true;
      else if (arg == "--repeat")
        repeat = std::stoi(value());
      else
        cie::fail(cie::ExitCode::kUsage, "unknown argument '{}'", arg);
    }
    CIE_EXPECTS(repeat >= 1, "--repeat must be >= 1, got {}", repeat);
    std::vector<float> x, z, centroids;
    cie::LogisticModel model;
    if (synthetic_rows > 0) {
      rows = synthetic_rows;
      if (cols == 0) cols = 32;
      if (kcols == 0) kcols = 8;
      if (k == 0) k = 16;
      auto const n = static_cast<std::int64_t>(rows);
      x = cie::bench::known_logistic_data(n, static_cast<int>(cols), 20261126).x;
      model.coef = cie::bench::known_logistic_coef(static_cast<int>(cols));
      model.intercept = cie::bench::kKnownLogisticIntercept;
      z = cie::bench::gaussian_blobs(n, static_cast<int>(kcols));
      centroids = cie::bench::first_rows_as_centroids(z, n, static_cast<int>(kcols), k);
    } else {
      x = read_values<float>(logistic_path, rows * cols);
      std::vector<double> const coef = read_values<double>(coef_path, cols + 1);
      z = read_values<float>(kmeans_path, rows * kcols);
      centroids = read_values<float>(centroids_path, static_cast<std::size_t>(k) * kcols);
      model.coef.assign(coef.begin(), coef.end() - 1);
      model.intercept = coef.back();
    }
    cie::Context ctx = cie::bench::make_context(device, threads);
    auto const n = static_cast<std::int64_t>(rows);
    if (warmup) {
      std::int64_t const head_rows = std::min<std::int64_t>(n, 4096);
      std::vector<float> const x_head =
          cie::bench::head_rows(x.data(), n, static_cast<int>(cols), head_rows);
      std::vector<float> const z_head =
          cie::bench::head_rows(z.data(), n, static_cast<int>(kcols), head_rows);
      std::vector<double> head_probability(static_cast<std::size_t>(head_rows));
      auto const m = static_cast<std::size_t>(head_rows);
      cie::logistic_predict_proba(ctx, model, {x_head.data(), m, cols}, head_probability);
      (void)cie::kmeans_predict(ctx, centroids, k, {z_head.data(), m, kcols});
    }

    std::vector<double> probability(rows);
    std::vector<std::int32_t> labels;
    double logistic_seconds = 0.0, kmeans_seconds = 0.0;
    for (int r = 0; r < repeat; ++r) {
      auto start = std::chrono::steady_clock::now();
      cie::logistic_predict_proba(ctx, model, {x.data(), rows, cols}, probability);
      double const seconds = seconds_since(start);
      logistic_seconds = r == 0 ? seconds : std::min(logistic_seconds, seconds);
    }
    for (int r = 0; r < repeat; ++r) {
      auto start = std::chrono::steady_clock::now();
      labels = cie::kmeans_predict(ctx, centroids, k, {z.data(), rows, kcols});
      double const seconds = seconds_since(start);
      kmeans_seconds = r == 0 ? seconds : std::min(kmeans_seconds, seconds);
    }

    if (!prob_out.empty()) write_values(prob_out, probability);
    if (!labels_out.empty()) write_values(labels_out, labels);
    std::printf(
        "{\"logistic_seconds\": %.6f, \"kmeans_seconds\": %.6f, \"threads\": %d, "
        "\"device\": \"%s\", \"rows\": %zu, \"customers_per_second\": %.6g}\n",
        logistic_seconds, kmeans_seconds, ctx.threads(), ctx.device_name().c_str(), rows,
        static_cast<double>(rows) / (logistic_seconds + kmeans_seconds));
    return 0;
  } catch (cie::Error const& e) {
    std::cerr << "score_driver: " << e.what() << "\n";
    return static_cast<int>(e.code());
  }
}
