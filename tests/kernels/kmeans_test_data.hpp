// Random k-means kernel inputs shared by the kernel tests: normal features, integer weights in
// 0 .. 3 (zeros included) and normal centroids, all from one seed.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace cie::kernels {

struct RandomMatrix {
  std::vector<float> x;  // column-major, leading dimension rows
  std::vector<float> weight;
  std::vector<float> centroids;  // k × cols row-major
  std::int64_t rows = 0;
  int cols = 0;
  int k = 0;
};

inline RandomMatrix make_random_matrix(std::int64_t rows, int cols, int k, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> weight(0, 3);
  RandomMatrix m{{}, {}, {}, rows, cols, k};
  m.x.resize(static_cast<std::size_t>(rows) * cols);
  for (float& v : m.x) v = normal(rng);
  m.weight.resize(static_cast<std::size_t>(rows));
  for (float& w : m.weight) w = static_cast<float>(weight(rng));
  m.centroids.resize(static_cast<std::size_t>(k) * cols);
  for (float& v : m.centroids) v = normal(rng);
  return m;
}

}  // namespace cie::kernels
