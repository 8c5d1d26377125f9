// Shared by the bench programs: the seeded synthetic data sets (so that the drivers can run on
// a machine without numpy, e.g. bench/gpu_check.sh on a GPU machine), a compact copy of a
// matrix's first rows (for warm-up calls) and the Context a driver's --device asks for.
//
// Matrices are column-major float32 (feature j of row i at x[j * rows + i]), as everywhere.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/logger.hpp"
#include "kernels/device.hpp"

namespace cie::bench {

/// Overlapping Gaussian blobs: `centres` centres uniform in a [-10, 10] box, sd 3, row i drawn
/// around centre i % centres; fixed seed. The overlap keeps Lloyd moving for every iteration
/// (bench_kmeans's data; the same values as before this header existed for cols = 8).
inline std::vector<float> gaussian_blobs(std::int64_t rows, int cols, int centres = 32,
                                         std::uint64_t seed = 20261125) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> where(-10.0f, 10.0f);
  std::normal_distribution<float> noise(0.0f, 3.0f);
  std::vector<float> centre_values(static_cast<std::size_t>(centres) * cols);
  for (float& v : centre_values) v = where(rng);
  std::vector<float> x(static_cast<std::size_t>(rows) * cols);
  for (std::int64_t i = 0; i < rows; ++i) {
    std::size_t const centre = static_cast<std::size_t>(i % centres);
    for (int j = 0; j < cols; ++j) {
      x[j * rows + i] = centre_values[centre * cols + j] + noise(rng);
    }
  }
  return x;
}

/// The first k rows of column-major x as row-major centroids (k × cols).
inline std::vector<float> first_rows_as_centroids(std::vector<float> const& x, std::int64_t rows,
                                                  int cols, int k) {
  std::vector<float> centroids;
  centroids.reserve(static_cast<std::size_t>(k) * cols);
  for (int c = 0; c < k; ++c) {
    for (int j = 0; j < cols; ++j) centroids.push_back(x[j * rows + c]);
  }
  return centroids;
}

/// The known logistic model of bench_logistic and compare_logistic.py: β_j = 0.5·sin(j + 1),
/// intercept −1.
inline std::vector<double> known_logistic_coef(int cols) {
  std::vector<double> beta(static_cast<std::size_t>(cols));
  for (int j = 0; j < cols; ++j) beta[j] = 0.5 * std::sin(j + 1.0);
  return beta;
}
inline constexpr double kKnownLogisticIntercept = -1.0;

struct LogisticData {
  std::vector<float> x;  ///< column-major rows × cols
  std::vector<float> y;  ///< 0 or 1
};

/// x ~ N(0, 1); P(y = 1) = σ(xᵀβ − 1) with known_logistic_coef; fixed seed (std::mt19937_64, so
/// not the same draws as numpy's generator in compare_logistic.py, only the same model).
inline LogisticData known_logistic_data(std::int64_t rows, int cols,
                                        std::uint64_t seed = 20261125) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> const beta = known_logistic_coef(cols);
  LogisticData d;
  d.x.resize(static_cast<std::size_t>(rows) * cols);
  for (float& v : d.x) v = normal(rng);
  d.y.resize(static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i) {
    double z = kKnownLogisticIntercept;
    for (int j = 0; j < cols; ++j) z += beta[j] * d.x[j * rows + i];
    d.y[i] = uniform(rng) < 1.0 / (1.0 + std::exp(-z)) ? 1.0f : 0.0f;
  }
  return d;
}

/// The first min(m, rows) rows of column-major x, compact (column stride m): a small matrix for
/// an untimed warm-up call (CUDA context, cuBLAS handle and module loading happen there).
inline std::vector<float> head_rows(float const* x, std::int64_t rows, int cols, std::int64_t m) {
  m = std::min(m, rows);
  std::vector<float> head(static_cast<std::size_t>(m) * cols);
  for (int j = 0; j < cols; ++j) {
    std::copy(x + j * rows, x + j * rows + m, head.begin() + j * m);
  }
  return head;
}

/// The Context for a driver's --device ("cpu", "cuda", "cuda:N" or "auto"; a usage error
/// otherwise) and --threads, logging warnings and errors only (as host/cli's make_context): the
/// device is resolved by kernels::open_context, so "cuda" without a usable GPU is a device error
/// (exit 4), never a silent CPU run.
inline Context make_context(std::string const& device, int threads) {
  ContextOptions options;
  options.device = DeviceRequest::parse(device);
  options.threads = threads;
  return kernels::open_context(options, std::make_shared<Logger>(LogLevel::kWarn));
}

}  // namespace cie::bench
