// The CPU twin's hot loops (internal to kernels/cpu/kmeans*.cpp), on tiles of eight consecutive
// rows of a column-major matrix held in the lanes of SIMD registers (one load per feature).
//
// nearest_points is register-blocked: four points are compared per sweep over the features, on
// two tiles at once (each broadcast of a point's feature serves both), and the best distances
// and labels stay in registers until the tiles are done; eight features get sweeps unrolled at
// compile time. Each distance is
// accumulated in feature order with the shared add_squared_difference (a fused multiply-add per
// feature), so every result is bit-identical to kernels::nearest_centroid, which also handles
// the rows past the last full tile.
//
// accumulate_rows transposes each tile into eight rows of eight features and adds them, in
// double, to per-cluster sums: a few vector adds per row instead of one scalar
// load-add-store per feature.
//
// Both are compiled for x86-64-v3 (AVX2 + FMA) and for the baseline ISA and picked at load time;
// the clones give the same bits (the baseline one calls fmaf per lane: correct, slow).
#pragma once

#include <cstddef>
#include <cstdint>

namespace cie::kernels::cpu_impl {

/// For the `count` rows r0 .. r0 + count - 1 of column-major `x` (`cols` features; feature j
/// of row i at x[j * rows + i]: `rows` is the leading dimension, which may exceed the rows used):
/// best[r] = squared distance to the nearest of the `k` row-major `points` (k × cols), label[r]
/// = its index (ties: the lower index). O(count × k × cols).
void nearest_points(float const* x, std::int64_t rows, std::int64_t r0, int count,
                    float const* points, int k, int cols, float* best, std::int32_t* label);

/// Interleaved per-cluster statistics of a Lloyd pass, so that consecutive rows of one cluster
/// do not wait on each other's load-add-store.
/// One copy is, in doubles: sums (k × padded_cols, row-major, features past cols unused), then
/// weights (k), then inertia (1).
inline constexpr int kSumLanes = 4;
[[nodiscard]] inline int padded_cols(int cols) { return (cols + 7) / 8 * 8; }
[[nodiscard]] inline std::size_t sum_lane_stride(int k, int cols) {
  return static_cast<std::size_t>(k) * (padded_cols(cols) + 1) + 1;
}

/// Adds the `count` rows r0 + i, i < count, to copy i % kSumLanes of `lanes` (kSumLanes copies
/// of sum_lane_stride(k, cols) doubles): weight w (`weight` null: 1, else weight[i]) to the
/// weight of cluster label[i] and w × x to its sums, each copy in row order; w × best[i] to the
/// inertia, summed per SIMD lane over the call and then added to the copies. The order depends
/// only on r0 and count, so the result is a fixed function of the rows. O(count × cols).
void accumulate_rows(float const* x, std::int64_t rows, std::int64_t r0, int count, int cols, int k,
                     std::int32_t const* label, float const* best, float const* weight,
                     double* lanes);

}  // namespace cie::kernels::cpu_impl
