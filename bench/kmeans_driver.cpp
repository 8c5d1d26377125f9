// A small k-means program for bench/compare_kmeans.py: reads raw float32 files written by
// numpy, fits, and prints one JSON line.
//
//   kmeans_driver --data X.f32 --rows N --cols D --k K [--init C.f32 | --kmeans++ --n-init R]
//                 [--iters I] [--tol T] [--seed S] [--threads P]
//
// X.f32: column-major N × D (numpy: X.T.astype("<f4").tofile(path)); C.f32: row-major K × D.
// Output: {"seconds": fit wall time, "iterations": Lloyd iterations of the kept run,
// "seconds_per_iter": seconds / iterations, "inertia": ...}. With --init the fit runs exactly
// --iters iterations (tol 0 unless given), as scikit-learn and faiss are asked to.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "host/context.hpp"
#include "host/error.hpp"
#include "models/kmeans.hpp"

namespace {

std::vector<float> read_floats(std::string const& path, std::size_t count) {
  std::vector<float> values(count);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(float)));
  CIE_EXPECTS_DATA(in.gcount() == static_cast<std::streamsize>(count * sizeof(float)),
                   "{}: expected {} float32 values", path, count);
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string data_path, init_path;
    std::size_t rows = 0, cols = 0;
    int threads = 0;
    cie::KMeansParams params;
    params.tol = 0.0;
    params.max_iter = 10;
    for (int i = 1; i < argc; ++i) {
      std::string const arg = argv[i];
      auto value = [&]() -> std::string {
        CIE_EXPECTS(i + 1 < argc, "{} needs a value", arg);
        return argv[++i];
      };
      if (arg == "--data") data_path = value();
      else if (arg == "--rows") rows = std::stoull(value());
      else if (arg == "--cols") cols = std::stoull(value());
      else if (arg == "--k") params.n_clusters = std::stoi(value());
      else if (arg == "--init") init_path = value();
      else if (arg == "--kmeans++") params.init = cie::KMeansInit::kKMeansPlusPlus;
      else if (arg == "--n-init") params.n_init = std::stoi(value());
      else if (arg == "--iters") params.max_iter = std::stoi(value());
      else if (arg == "--tol") params.tol = std::stod(value());
      else if (arg == "--seed") params.seed = std::stoull(value());
      else if (arg == "--threads") threads = std::stoi(value());
      else cie::fail(cie::ExitCode::kUsage, "unknown argument '{}'", arg);
    }
    std::vector<float> const x = read_floats(data_path, rows * cols);
    if (!init_path.empty()) {
      params.init = cie::KMeansInit::kGiven;
      params.initial_centroids =
          read_floats(init_path, static_cast<std::size_t>(params.n_clusters) * cols);
    }
    cie::Context ctx = cie::Context::cpu(threads);
    auto const start = std::chrono::steady_clock::now();
    cie::KMeansResult result = cie::kmeans_fit(ctx, params, {x.data(), rows, cols});
    double const seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"seconds\": %.6f, \"iterations\": %d, \"seconds_per_iter\": %.6f, "
                "\"inertia\": %.10g, \"threads\": %d}\n",
                seconds, result.iterations, seconds / result.iterations, result.inertia,
                ctx.threads());
    return 0;
  } catch (cie::Error const& e) {
    std::cerr << "kmeans_driver: " << e.what() << "\n";
    return static_cast<int>(e.code());
  }
}
