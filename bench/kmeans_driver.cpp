// A small k-means program for bench/compare_kmeans.py and bench/gpu_check.sh: reads raw float32
// files written by numpy (or generates the data in process), fits, and prints one JSON line.
//
//   kmeans_driver (--data X.f32 --rows N | --synthetic N) --cols D --k K
//                 [--init C.f32 | --kmeans++ --n-init R] [--iters I] [--tol T] [--seed S]
//                 [--refine none|hartigan] [--threads P] [--device cpu|cuda|cuda:N|auto]
//                 [--warmup] [--passes P] [--chunk-rows N [--resident-chunks R]]
//                 [--model [--silhouette-limit N] [--dtype float64|float32]]
//
// X.f32: column-major N × D (numpy: X.T.astype("<f4").tofile(path)); C.f32: row-major K × D.
// --synthetic N: bench/synthetic.hpp's Gaussian blobs (N × D, 32 centres, fixed seed), started
// from their first K rows unless --kmeans++ is given. --device: default cpu. --warmup: one
// untimed 2-iteration fit on the first 4096 rows first (CUDA context and module loading).
// --refine: default none (Lloyd only, the algorithm the peers run; the library's default is
// hartigan).
// Output: {"seconds": fit wall time, "iterations": Lloyd iterations of the kept run,
// "seconds_per_iter": seconds / iterations (the fit's one upload of x and final assignment
// included), "inertia", "refine_passes", "refine_moves", "threads", "device", "rows", "cols",
// "k"}; with --passes P also
// "upload_seconds" (building a fresh workspace: the device copy of x on CUDA),
// "seconds_per_pass" (mean of P Lloyd passes with the fitted centroids, no labels written, as in
// the fit's iterations) and "bytes_per_pass" (rows × cols × 4: the feature data each pass reads).
// With --init (or --synthetic without --kmeans++) the fit runs exactly --iters iterations (tol 0
// unless given), as scikit-learn and faiss are asked to.
// --chunk-rows N: the fit and the passes run on a chunked workspace (kernels/kmeans_chunked.hpp)
// with chunks of N rows (a multiple of 16384), the first R (default 0) resident and the others
// streamed through the device at every pass; adds "chunk_rows", "resident_chunks" and
// "streamed_bytes_per_pass" (the feature bytes copied to the device per pass). The results are
// the same bits as without chunks.
// --model: times the model path instead (bench/model_paths.hpp: train_segments and the model
// file's text, as `cie segment fit` and cie.KMeans run it, silhouette on --silhouette-limit rows,
// default 20000) and prints {"seconds", "cpu_seconds", "inertia", "iterations", "model_bytes",
// "threads", "device", "rows", "cols", "k", "dtype"}. --dtype: the columns it reads
// (bench/model_paths.hpp): float64 (the default: X widened into doubles before the timer) or
// float32 (X's own floats), both in place, as cie.KMeans reads a float64 / float32 array in F
// order; the same fit bit for bit.
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
#include "kernels/kmeans.hpp"
#include "models/segments/kmeans.hpp"

using cie::bench::read_values;
using cie::bench::seconds_since;

int main(int argc, char** argv) {
  try {
    std::string data_path, init_path, device = "cpu";
    std::size_t rows = 0, cols = 0, synthetic_rows = 0;
    int threads = 0, passes = 0;
    std::int64_t chunk_rows = 0, resident_chunks = 0;
    std::size_t silhouette_limit = 20000;
    bool warmup = false, kmeans_pp = false, model = false;
    cie::bench::ColumnLayout layout = cie::bench::ColumnLayout::kFloat64;
    cie::KMeansParams params;
    params.tol = 0.0;
    params.max_iter = 10;
    params.refine = cie::KMeansRefine::kNone;
    for (int i = 1; i < argc; ++i) {
      std::string const arg = argv[i];
      auto value = [&]() -> std::string {
        CIE_EXPECTS(i + 1 < argc, "{} needs a value", arg);
        return argv[++i];
      };
      if (arg == "--data")
        data_path = value();
      else if (arg == "--rows")
        rows = std::stoull(value());
      else if (arg == "--synthetic")
        synthetic_rows = std::stoull(value());
      else if (arg == "--cols")
        cols = std::stoull(value());
      else if (arg == "--k")
        params.n_clusters = std::stoi(value());
      else if (arg == "--init")
        init_path = value();
      else if (arg == "--kmeans++")
        kmeans_pp = true;
      else if (arg == "--n-init")
        params.n_init = std::stoi(value());
      else if (arg == "--iters")
        params.max_iter = std::stoi(value());
      else if (arg == "--tol")
        params.tol = std::stod(value());
      else if (arg == "--seed")
        params.seed = std::stoull(value());
      else if (arg == "--refine")
        params.refine = cie::parse_kmeans_refine(value(), "--refine");
      else if (arg == "--threads")
        threads = std::stoi(value());
      else if (arg == "--device")
        device = value();
      else if (arg == "--warmup")
        warmup = true;
      else if (arg == "--passes")
        passes = std::stoi(value());
      else if (arg == "--chunk-rows")
        chunk_rows = std::stoll(value());
      else if (arg == "--resident-chunks")
        resident_chunks = std::stoll(value());
      else if (arg == "--model")
        model = true;
      else if (arg == "--silhouette-limit")
        silhouette_limit = std::stoull(value());
      else if (arg == "--dtype")
        layout = cie::bench::parse_column_layout(value());
      else
        cie::fail(cie::ExitCode::kUsage, "unknown argument '{}'", arg);
    }
    CIE_EXPECTS(cols > 0, "--cols is required");
    CIE_EXPECTS(synthetic_rows == 0 || data_path.empty(),
                "--synthetic and --data exclude each other");
    if (kmeans_pp) params.init = cie::KMeansInit::kKMeansPlusPlus;
    std::vector<float> x;
    if (synthetic_rows > 0) {
      rows = synthetic_rows;
      x = cie::bench::gaussian_blobs(static_cast<std::int64_t>(rows), static_cast<int>(cols));
      if (!kmeans_pp && init_path.empty()) {
        params.init = cie::KMeansInit::kGiven;
        params.initial_centroids = cie::bench::first_rows_as_centroids(
            x, static_cast<std::int64_t>(rows), static_cast<int>(cols), params.n_clusters);
      }
    } else {
      x = read_values<float>(data_path, rows * cols);
    }
    if (!init_path.empty()) {
      params.init = cie::KMeansInit::kGiven;
      params.initial_centroids =
          read_values<float>(init_path, static_cast<std::size_t>(params.n_clusters) * cols);
    }
    cie::Context ctx = cie::bench::make_context(device, threads);
    if (warmup) {
      std::int64_t const head_rows = std::min<std::int64_t>(static_cast<std::int64_t>(rows), 4096);
      std::vector<float> const head = cie::bench::head_rows(
          x.data(), static_cast<std::int64_t>(rows), static_cast<int>(cols), head_rows);
      cie::KMeansParams small = params;
      small.max_iter = 2;
      small.n_init = 1;
      (void)cie::kmeans_fit(ctx, small, {head.data(), static_cast<std::size_t>(head_rows), cols});
    }
    if (model) {
      nlohmann::ordered_json out =
          cie::bench::segments_model_fit(ctx, params, x, rows, cols, silhouette_limit, layout);
      out["threads"] = ctx.threads();
      out["device"] = ctx.device_name();
      out["rows"] = rows;
      out["cols"] = cols;
      out["k"] = params.n_clusters;
      out["dtype"] = cie::bench::column_layout_name(layout);
      std::cout << out.dump() << "\n";
      return 0;
    }
    // The workspace the fit and the passes run on: the library's choice, or forced chunks.
    auto const make_workspace = [&] {
      auto const n = static_cast<std::int64_t>(rows);
      auto const d = static_cast<int>(cols);
      return chunk_rows > 0 ? cie::kernels::make_chunked_kmeans_workspace(
                                  ctx, x.data(), n, d, {}, {chunk_rows, resident_chunks})
                            : cie::kernels::make_kmeans_workspace(ctx, x.data(), n, d, {});
    };
    auto start = std::chrono::steady_clock::now();
    cie::KMeansResult result = [&] {
      auto workspace = make_workspace();
      return cie::kmeans_fit(ctx, params, {x.data(), rows, cols}, {}, *workspace);
    }();
    double const seconds = seconds_since(start);
    nlohmann::ordered_json out;
    out["seconds"] = seconds;
    out["iterations"] = result.iterations;
    out["seconds_per_iter"] = seconds / result.iterations;
    out["inertia"] = result.inertia;
    out["refine_passes"] = result.refine_passes;
    out["refine_moves"] = result.refine_moves;
    out["threads"] = ctx.threads();
    out["device"] = ctx.device_name();
    out["rows"] = rows;
    out["cols"] = cols;
    out["k"] = params.n_clusters;
    if (passes > 0) {
      start = std::chrono::steady_clock::now();
      auto workspace = make_workspace();
      out["upload_seconds"] = seconds_since(start);
      start = std::chrono::steady_clock::now();
      double inertia = 0.0;
      for (int p = 0; p < passes; ++p) {
        // The returned statistics are host values, so every pass has finished when it returns.
        inertia += workspace->lloyd_pass(result.centroids, params.n_clusters, {}).inertia;
      }
      out["seconds_per_pass"] = seconds_since(start) / passes;
      out["passes"] = passes;
      out["pass_inertia"] = inertia / passes;
      out["bytes_per_pass"] = static_cast<double>(rows) * static_cast<double>(cols) * sizeof(float);
      if (chunk_rows > 0) {
        std::int64_t const resident_rows =
            std::min(static_cast<std::int64_t>(rows), chunk_rows * resident_chunks);
        out["chunk_rows"] = chunk_rows;
        out["resident_chunks"] = resident_chunks;
        out["streamed_bytes_per_pass"] =
            static_cast<double>(static_cast<std::int64_t>(rows) - resident_rows) *
            static_cast<double>(cols) * sizeof(float);
      }
    }
    std::cout << out.dump() << "\n";
    return 0;
  } catch (cie::Error const& e) {
    std::cerr << "kmeans_driver: " << e.what() << "\n";
    return static_cast<int>(e.code());
  }
}
