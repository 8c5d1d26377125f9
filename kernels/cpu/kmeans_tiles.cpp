// See kernels/cpu/kmeans_tiles.hpp.
//
// The shared rules take and return SIMD vectors by value here; GCC warns that the baseline clone
// passes them differently from the AVX2 one, which does not matter for inline functions that
// never leave this file.
#pragma GCC diagnostic ignored "-Wpsabi"
#include "kernels/cpu/kmeans_tiles.hpp"

#include <cstring>
#include <limits>

#include "kernels/kmeans_rules.hpp"

namespace cie::kernels::cpu_impl {
namespace {

// GCC vector extensions: one source for both clones (x86-64-v3, i.e. AVX2 and FMA: one ymm
// register per tile column; baseline: two SSE registers). Every helper is always_inline: a
// helper left out of line would be compiled once, for the baseline ISA, and called from the
// x86-64-v3 clone.
constexpr int kTileRows = 8;
typedef float Lanes __attribute__((vector_size(kTileRows * sizeof(float))));
typedef std::int32_t LaneLabels __attribute__((vector_size(kTileRows * sizeof(std::int32_t))));
typedef float Float4 __attribute__((vector_size(4 * sizeof(float))));
typedef double Double4 __attribute__((vector_size(4 * sizeof(double))));

/// Points compared per sweep over the features: four independent accumulators share each load
/// of the tile and overlap their FMA latencies (eight measured 2x slower on Zen 3: spills).
constexpr int kPointsPerSweep = 4;
/// Tiles per sweep: each broadcast of a point's feature serves this many tiles.
constexpr int kTilesPerSweep = 2;

/// Sweeps the features once for points p .. p + G - 1 and T consecutive tiles (each load of a
/// point's feature is shared by the T tiles) and folds them, in index order, into best[t] and
/// label[t] (strict <, so ties keep the lower index).
template <int G, int T, int kCols>
[[gnu::always_inline]] inline void compare_points(float const* tile, std::int64_t rows,
                                                  float const* points, int p, int runtime_cols,
                                                  Lanes (&best)[T], LaneLabels (&label)[T]) {
  int const cols = kCols > 0 ? kCols : runtime_cols;
  // The unroll pragmas keep distance[][] in registers (without them GCC 12 interchanged the
  // loops, kept the accumulators in memory and ran 3x slower).
  Lanes distance[T][G] = {};
  for (int j = 0; j < cols; ++j) {
    Lanes x[T];
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) std::memcpy(&x[t], tile + t * kTileRows + j * rows, sizeof x[t]);
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      float const c = points[(p + g) * cols + j];
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) distance[t][g] = add_squared_difference(distance[t][g], x[t], c);
    }
  }
  for (int g = 0; g < G; ++g) {
    LaneLabels const index = LaneLabels{} + (p + g);
    for (int t = 0; t < T; ++t) {
      LaneLabels const closer = is_closer(distance[t][g], best[t]);
      best[t] = closer ? distance[t][g] : best[t];
      label[t] = closer ? index : label[t];
    }
  }
}

/// Nearest of the k points for the T consecutive tiles at `tile`: best[0 .. 8T) and label[..].
/// kCols: the number of features when known at compile time (fully unrolled sweeps), else 0.
template <int T, int kCols>
[[gnu::always_inline]] inline void nearest_tiles(float const* tile, std::int64_t rows,
                                                 float const* points, int k, int cols, float* best,
                                                 std::int32_t* label) {
  Lanes tile_best[T];
  LaneLabels tile_label[T];
  for (int t = 0; t < T; ++t) {
    tile_best[t] = Lanes{} + std::numeric_limits<float>::infinity();
    tile_label[t] = LaneLabels{};
  }
  int p = 0;
  for (; p + kPointsPerSweep <= k; p += kPointsPerSweep) {
    compare_points<kPointsPerSweep, T, kCols>(tile, rows, points, p, cols, tile_best, tile_label);
  }
  for (; p < k; ++p) {
    compare_points<1, T, kCols>(tile, rows, points, p, cols, tile_best, tile_label);
  }
  for (int t = 0; t < T; ++t) {
    std::memcpy(best + t * kTileRows, &tile_best[t], sizeof tile_best[t]);
    std::memcpy(label + t * kTileRows, &tile_label[t], sizeof tile_label[t]);
  }
}

/// In-register transpose: column[f] holds feature g0 + f of the tile's eight rows; on return
/// low[i] and high[i] hold features g0 .. g0 + 3 and g0 + 4 .. g0 + 7 of row i.
[[gnu::always_inline]] inline void transpose_tile(Lanes const (&column)[8], Float4 (&low)[8],
                                                  Float4 (&high)[8]) {
  Lanes pairs[8];  // unpacklo/unpackhi of column pairs
  for (int f = 0; f < 8; f += 2) {
    pairs[f] = __builtin_shufflevector(column[f], column[f + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    pairs[f + 1] = __builtin_shufflevector(column[f], column[f + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  Lanes quads[8];  // quads[4h + q]: rows q and q + 4 of features 4h .. 4h + 3
  for (int h = 0; h < 2; ++h) {
    Lanes const* in = pairs + 4 * h;
    quads[4 * h + 0] = __builtin_shufflevector(in[0], in[2], 0, 1, 8, 9, 4, 5, 12, 13);
    quads[4 * h + 1] = __builtin_shufflevector(in[0], in[2], 2, 3, 10, 11, 6, 7, 14, 15);
    quads[4 * h + 2] = __builtin_shufflevector(in[1], in[3], 0, 1, 8, 9, 4, 5, 12, 13);
    quads[4 * h + 3] = __builtin_shufflevector(in[1], in[3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int q = 0; q < 4; ++q) {
    low[q] = __builtin_shufflevector(quads[q], quads[q], 0, 1, 2, 3);
    low[q + 4] = __builtin_shufflevector(quads[q], quads[q], 4, 5, 6, 7);
    high[q] = __builtin_shufflevector(quads[q + 4], quads[q + 4], 0, 1, 2, 3);
    high[q + 4] = __builtin_shufflevector(quads[q + 4], quads[q + 4], 4, 5, 6, 7);
  }
}

/// sums[0 .. 3] += w × values, in double (w × a float is exact in double).
template <bool kWeighted>
[[gnu::always_inline]] inline void add_to_sums(double* sums, Float4 values, double w) {
  Double4 total;
  std::memcpy(&total, sums, sizeof total);
  Double4 const wide = __builtin_convertvector(values, Double4);
  total += kWeighted ? wide * w : wide;
  std::memcpy(sums, &total, sizeof total);
}

template <bool kWeighted>
[[gnu::always_inline]] inline void accumulate(float const* x, std::int64_t rows, std::int64_t r0,
                                              int count, int cols, int k, std::int32_t const* label,
                                              float const* best, float const* weight,
                                              double* lanes) {
  int const padded = padded_cols(cols);
  std::size_t const stride = sum_lane_stride(k, cols);
  std::size_t const weights_at = static_cast<std::size_t>(k) * padded;
  auto lane_of = [&](int i) { return lanes + static_cast<std::size_t>(i % kSumLanes) * stride; };
  auto weight_of = [&](int i) { return kWeighted ? static_cast<double>(weight[i]) : 1.0; };
  // Inertia of tile row i goes to inertia[i] over the whole call, then to copy i % kSumLanes.
  static_assert(kTileRows == 2 * kSumLanes);
  Double4 inertia[2] = {};
  int r = 0;
  for (; r + kTileRows <= count; r += kTileRows) {
    float const* tile = x + r0 + r;
    for (int g0 = 0; g0 < cols; g0 += 8) {
      Lanes column[8];
      for (int f = 0; f < 8; ++f) {
        column[f] = Lanes{};
        if (g0 + f < cols) std::memcpy(&column[f], tile + (g0 + f) * rows, sizeof column[f]);
      }
      Float4 low[8], high[8];
      transpose_tile(column, low, high);
      for (int i = 0; i < kTileRows; ++i) {
        double* sums = lane_of(i) + static_cast<std::size_t>(label[r + i]) * padded + g0;
        add_to_sums<kWeighted>(sums, low[i], weight_of(r + i));
        add_to_sums<kWeighted>(sums + 4, high[i], weight_of(r + i));
      }
    }
    for (int half = 0; half < 2; ++half) {
      Float4 tile_best;
      std::memcpy(&tile_best, best + r + 4 * half, sizeof tile_best);
      Double4 const wide = __builtin_convertvector(tile_best, Double4);
      if constexpr (kWeighted) {
        Float4 tile_weight;
        std::memcpy(&tile_weight, weight + r + 4 * half, sizeof tile_weight);
        inertia[half] += __builtin_convertvector(tile_weight, Double4) * wide;
      } else {
        inertia[half] += wide;
      }
    }
    for (int i = 0; i < kTileRows; ++i) lane_of(i)[weights_at + label[r + i]] += weight_of(r + i);
  }
  for (int i = 0; i < kSumLanes; ++i) lane_of(i)[stride - 1] += inertia[0][i] + inertia[1][i];
  for (; r < count; ++r) {
    double* lane = lane_of(r);
    double const w = weight_of(r);
    double* sums = lane + static_cast<std::size_t>(label[r]) * padded;
    for (int j = 0; j < cols; ++j) sums[j] += w * x[j * rows + r0 + r];
    lane[weights_at + label[r]] += w;
    lane[stride - 1] += w * best[r];
  }
}

template <int kCols>
[[gnu::always_inline]] inline void nearest_rows(float const* x, std::int64_t rows, std::int64_t r0,
                                                int count, float const* points, int k, int cols,
                                                float* best, std::int32_t* label) {
  int r = 0;
  for (; r + kTilesPerSweep * kTileRows <= count; r += kTilesPerSweep * kTileRows) {
    nearest_tiles<kTilesPerSweep, kCols>(x + r0 + r, rows, points, k, cols, best + r, label + r);
  }
  for (; r + kTileRows <= count; r += kTileRows) {
    nearest_tiles<1, kCols>(x + r0 + r, rows, points, k, cols, best + r, label + r);
  }
  for (; r < count; ++r) {
    Nearest const nearest = nearest_centroid(x, rows, r0 + r, points, k, cols);
    best[r] = nearest.distance;
    label[r] = nearest.cluster;
  }
}

}  // namespace

__attribute__((target_clones("arch=x86-64-v3", "default"))) void nearest_points(
    float const* x, std::int64_t rows, std::int64_t r0, int count, float const* points, int k,
    int cols, float* best, std::int32_t* label) {
  if (cols == 8) {
    nearest_rows<8>(x, rows, r0, count, points, k, cols, best, label);
  } else {
    nearest_rows<0>(x, rows, r0, count, points, k, cols, best, label);
  }
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void accumulate_rows(
    float const* x, std::int64_t rows, std::int64_t r0, int count, int cols, int k,
    std::int32_t const* label, float const* best, float const* weight, double* lanes) {
  if (weight == nullptr) {
    accumulate<false>(x, rows, r0, count, cols, k, label, best, weight, lanes);
  } else {
    accumulate<true>(x, rows, r0, count, cols, k, label, best, weight, lanes);
  }
}

}  // namespace cie::kernels::cpu_impl
