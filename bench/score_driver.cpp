// Scoring for bench/compare (task 4): applies a trained logistic model and a trained k-means
// model to customer feature matrices already in memory, and prints one JSON line.
//
//   score_driver --rows N --logistic-data X.f32 --cols D --coef C.f64
//                --kmeans-data Z.f32 --kcols E --centroids K.f32 --k K [--threads P]
//                [--prob-out P.f64] [--labels-out L.i32]
//
// X.f32, Z.f32: column-major N × D and N × E float32 (numpy: X.T.astype("<f4").tofile(path));
// C.f64: D coefficients then the intercept, float64; K.f32: row-major K × E centroids.
// Output: {"logistic_seconds", "kmeans_seconds", "threads"}: wall time of
// logistic_predict_proba and of kmeans_predict over the N rows (file reads excluded). The
// probabilities and labels are written afterwards when asked, for the harness's quality check.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "host/context.hpp"
#include "host/error.hpp"
#include "models/kmeans.hpp"
#include "models/logistic.hpp"

namespace {

template <typename T>
std::vector<T> read_values(std::string const& path, std::size_t count) {
  std::vector<T> values(count);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(T)));
  CIE_EXPECTS_DATA(in.gcount() == static_cast<std::streamsize>(count * sizeof(T)),
                   "{}: expected {} values of {} bytes", path, count, sizeof(T));
  return values;
}

template <typename T>
void write_values(std::string const& path, std::vector<T> const& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<char const*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(T)));
  CIE_EXPECTS(out.good(), "{}: write failed", path);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string logistic_path, coef_path, kmeans_path, centroids_path, prob_out, labels_out;
    std::size_t rows = 0, cols = 0, kcols = 0;
    int k = 0, threads = 0;
    for (int i = 1; i < argc; ++i) {
      std::string const arg = argv[i];
      auto value = [&]() -> std::string {
        CIE_EXPECTS(i + 1 < argc, "{} needs a value", arg);
        return argv[++i];
      };
      if (arg == "--rows") rows = std::stoull(value());
      else if (arg == "--logistic-data") logistic_path = value();
      else if (arg == "--cols") cols = std::stoull(value());
      else if (arg == "--coef") coef_path = value();
      else if (arg == "--kmeans-data") kmeans_path = value();
      else if (arg == "--kcols") kcols = std::stoull(value());
      else if (arg == "--centroids") centroids_path = value();
      else if (arg == "--k") k = std::stoi(value());
      else if (arg == "--threads") threads = std::stoi(value());
      else if (arg == "--prob-out") prob_out = value();
      else if (arg == "--labels-out") labels_out = value();
      else cie::fail(cie::ExitCode::kUsage, "unknown argument '{}'", arg);
    }
    std::vector<float> const x = read_values<float>(logistic_path, rows * cols);
    std::vector<double> const coef = read_values<double>(coef_path, cols + 1);
    std::vector<float> const z = read_values<float>(kmeans_path, rows * kcols);
    std::vector<float> const centroids =
        read_values<float>(centroids_path, static_cast<std::size_t>(k) * kcols);
    cie::LogisticModel model;
    model.coef.assign(coef.begin(), coef.end() - 1);
    model.intercept = coef.back();
    cie::Context ctx = cie::Context::cpu(threads);

    std::vector<double> probability(rows);
    auto start = std::chrono::steady_clock::now();
    cie::logistic_predict_proba(ctx, model, {x.data(), rows, cols}, probability);
    double const logistic_seconds = seconds_since(start);

    start = std::chrono::steady_clock::now();
    std::vector<std::int32_t> const labels =
        cie::kmeans_predict(ctx, centroids, k, {z.data(), rows, kcols});
    double const kmeans_seconds = seconds_since(start);

    if (!prob_out.empty()) write_values(prob_out, probability);
    if (!labels_out.empty()) write_values(labels_out, labels);
    std::printf("{\"logistic_seconds\": %.6f, \"kmeans_seconds\": %.6f, \"threads\": %d}\n",
                logistic_seconds, kmeans_seconds, ctx.threads());
    return 0;
  } catch (cie::Error const& e) {
    std::cerr << "score_driver: " << e.what() << "\n";
    return static_cast<int>(e.code());
  }
}
