// Per-element k-means arithmetic shared by the CPU and CUDA twins (see kernels/hd.hpp).
//
// A squared distance is accumulated feature by feature, in feature order, in float, each step a
// fused multiply-add (one rounding) on both backends: __fmaf_rn on the GPU, std::fma on the CPU,
// where the SIMD clones of kernels/cpu/kmeans_tiles.cpp compile it to vector FMA instructions.
// Equal inputs therefore give equal distances on both twins, and so equal assignments and equal
// k-means++ draws. (A CPU without FMA instructions still gets these bits, from the C library's
// fmaf, slowly.)
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernels/hd.hpp"

namespace cie::kernels {

/// Rows per statistics batch of a k-means pass. Every pass reduces each batch in row order and
/// folds the batches in batch order; the size is fixed (never derived from the thread count or
/// the grid) so the result does not depend on how the batches are scheduled.
inline constexpr std::int64_t kKMeansBatchRows = 1 << 14;

/// `partial` + (x - c)², the one step of every squared distance in cie's k-means. `Value` is
/// float, or on the CPU a GCC vector of floats holding one row per lane, with c a float taken by
/// every lane (kernels/cpu/kmeans_tiles.cpp); each lane rounds exactly as float does.
template <typename Value>
CIE_HD inline Value add_squared_difference(Value partial, Value x, float c) {
  Value const diff = x - c;
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(diff, diff, partial);
#else
  if constexpr (std::is_same_v<Value, float>) {
    return std::fma(diff, diff, partial);
  } else {
    Value result;
    for (std::size_t lane = 0; lane < sizeof(Value) / sizeof(float); ++lane) {
      result[lane] = std::fma(diff[lane], diff[lane], partial[lane]);
    }
    return result;
  }
#endif
}

/// Squared Euclidean distance between row `row` of a column-major matrix with `rows` rows and
/// `cols` features, and a point of `cols` contiguous floats. O(cols).
CIE_HD inline float squared_distance(float const* x, std::int64_t rows, std::int64_t row,
                                     float const* point, int cols) {
  float distance = 0.0f;
  for (int j = 0; j < cols; ++j) {
    distance = add_squared_difference(distance, x[j * rows + row], point[j]);
  }
  return distance;
}

/// Argmin step: whether `distance` beats `best` (for vectors: a lane mask). Strict, so scanning
/// clusters in ascending order sends ties to the lower cluster index.
template <typename Value>
CIE_HD inline auto is_closer(Value distance, Value best) {
  return distance < best;
}

/// The nearest of `k` row-major centroids to row `row` (ties: the lower index) and its squared
/// distance. O(k × cols).
struct Nearest {
  std::int32_t cluster = 0;
  float distance = 0.0f;
};
CIE_HD inline Nearest nearest_centroid(float const* x, std::int64_t rows, std::int64_t row,
                                       float const* centroids, int k, int cols) {
  Nearest nearest{0, squared_distance(x, rows, row, centroids, cols)};
  for (int c = 1; c < k; ++c) {
    float const distance = squared_distance(x, rows, row, centroids + c * cols, cols);
    if (is_closer(distance, nearest.distance)) nearest = {c, distance};
  }
  return nearest;
}

/// The nearest centroid by the shared rule, found from cheaper approximate distances: the cuBLAS
/// path's expanded form d'(c) = ||x||² − 2 x·c + ||c||² (float sums in an order cuBLAS chooses,
/// which may change with the problem's shape), `approximate(c)`, and the shared rule's
/// `exact(c)` (squared_distance), called only for the centroids whose d'(c) is within
/// expanded_distance_slack of the least d'. The result equals nearest_centroid's, ties included,
/// whatever the order of cuBLAS's sums: each d' is within (2·cols + 4)·u·(||x||² + ||c||²) of
/// the true distance and each exact one within (cols + 2)·u relative (u = 2⁻²⁴), so the rule's
/// nearest is always within (8·cols + 16)·u·(||x||² + max ||c||²) of the least d'; the slack
/// is twice that. Below the smallest normal float, rounding errs by up to half the smallest
/// subnormal per operation instead: an absolute term of 16·(cols + 4) smallest normals covers
/// that. `row_norm` = ||x||², `max_centroid_norm` = max over c of ||c||².
/// O(k) approximate distances and usually one exact one (more only near ties).
CIE_HD inline float expanded_distance_slack(float row_norm, float max_centroid_norm, int cols) {
  constexpr float kUnitRoundoff = 5.9604645e-8f;      // 2^-24
  constexpr float kSmallestNormal = 1.17549435e-38f;  // 2^-126
  float const factor = 16.0f * static_cast<float>(cols + 4);
  return factor * kUnitRoundoff * (row_norm + max_centroid_norm) + factor * kSmallestNormal;
}
template <typename Approximate, typename Exact>
CIE_HD inline Nearest nearest_from_expanded(int k, float row_norm, float max_centroid_norm,
                                            int cols, Approximate&& approximate, Exact&& exact) {
  float least = approximate(0);
  for (int c = 1; c < k; ++c) {
    float const distance = approximate(c);
    least = distance < least ? distance : least;
  }
  float const limit = least + expanded_distance_slack(row_norm, max_centroid_norm, cols);
  Nearest nearest{-1, 0.0f};
  for (int c = 0; c < k; ++c) {
    if (!(approximate(c) <= limit)) continue;
    float const distance = exact(c);
    if (nearest.cluster < 0 || is_closer(distance, nearest.distance)) nearest = {c, distance};
  }
  return nearest;
}

/// Hartigan's test for one row of weight `weight` assigned to cluster `own`, with the clusters'
/// total weights `cluster_weights` (k values) and `distance(c)` its squared distance to
/// centroid c. Moving the row from `own` (total weight W_own) to c (W_c) changes the inertia by
///   weight × W_c / (W_c + weight) × distance(c) − weight × W_own / (W_own − weight) ×
///   distance(own),
/// so a move pays exactly when the first term is below the second. Returns the cluster whose
/// move lowers the inertia most (ties: the lower index), or -1 when no move pays, the row has
/// no weight, or it is all of its cluster's weight. The factors are taken in double (correctly
/// rounded on both backends) from float distances. O(k) calls of `distance`.
template <typename Distance>
CIE_HD inline std::int32_t hartigan_target(float weight, std::int32_t own,
                                           double const* cluster_weights, int k,
                                           Distance&& distance) {
  double const w = weight;
  double const own_weight = cluster_weights[own];
  if (!(w > 0.0) || !(own_weight - w > 0.0)) return -1;
  double best = w * own_weight / (own_weight - w) * static_cast<double>(distance(own));
  std::int32_t target = -1;
  for (int c = 0; c < k; ++c) {
    if (c == own) continue;
    double const joined = cluster_weights[c];
    double const cost = w * joined / (joined + w) * static_cast<double>(distance(c));
    if (cost < best) {
      best = cost;
      target = c;
    }
  }
  return target;
}

/// A cheap necessary condition for hartigan_target to move a row: false only when no move can
/// pay. `min_weight` is the least total weight of any cluster and `min_other_distance` the
/// row's least squared distance to a centroid other than its own. Every joining cost is at
/// least weight × min_weight / (min_weight + weight) × min_other_distance (the factor grows
/// with the cluster weight); the 1e-12 slack covers the few roundings by which the computed
/// costs may differ from their exact values, so a row this rejects is one the full rule
/// rejects too. Two divisions, where the rule takes k.
CIE_HD inline bool hartigan_may_move(float weight, double own_weight, float own_distance,
                                     double min_weight, float min_other_distance) {
  double const w = weight;
  if (!(w > 0.0) || !(own_weight - w > 0.0)) return false;
  double const leave = w * own_weight / (own_weight - w) * static_cast<double>(own_distance);
  double const bound = w * min_weight / (min_weight + w) * static_cast<double>(min_other_distance);
  return bound < leave * (1.0 + 1e-12);
}

/// A row's share of a D² sampling potential: its weight times its squared distance to the
/// closest chosen centroid, in double so that sums over millions of rows keep their precision.
CIE_HD inline double sampling_potential(float weight, float closest_distance) {
  return static_cast<double>(weight) * static_cast<double>(closest_distance);
}

}  // namespace cie::kernels
