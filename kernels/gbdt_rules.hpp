// Per-element arithmetic of gradient-boosted trees, shared by the CPU and CUDA twins
// (kernels/hd.hpp): per-row gradients of the two objectives, their quantization to integers,
// the split score and the leaf weight, and the routing of one value at a split.
//
// Determinism. Gradients and hessians are quantized to int64 with one power-of-two scale per
// tree (quantization_scale, as XGBoost quantizes GPU histograms): every histogram sum is then an
// exact integer sum, the same whatever the order rows are added in, so the trees are the same
// bits for any thread count and on both twins, and histogram subtraction (sibling = parent −
// child) is exact. The scale is chosen so that the sum of all rows cannot overflow: max |value|
// × scale × rows <= 2^62; at 10M rows that keeps about 38 bits of each gradient's precision.
//
// Split gain (LightGBM's and XGBoost's, without the ½): with T(G) = sign(G)·max(|G| − α, 0),
//   score(G, H) = T(G)² / (H + λ),  gain = score(left) + score(right) − score(parent),
// and a leaf's weight is −T(G) / (H + λ) (times the learning rate).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/linear_rules.hpp"

namespace cie::kernels {

/// A quantized gradient pair of one row (or a sum of rows): g·scale_g and h·scale_h rounded.
struct GradientPair {
  std::int64_t g = 0;
  std::int64_t h = 0;
};

/// One histogram bin: the quantized gradient and hessian sums and the row count.
struct HistogramBin {
  std::int64_t g = 0;
  std::int64_t h = 0;
  std::int64_t count = 0;
};

/// Binary log-loss on the margin z (log-odds), label y in {0, 1}, row weight w:
/// g = w·(σ(z) − y), h = w·σ(z)(1 − σ(z)) (at least w·1e-16, so a leaf never divides by ~0).
CIE_HD inline void logloss_gradient(double z, double y, double w, double& g, double& h) {
  double const p = stable_sigmoid(z);
  g = w * (p - y);
  double const curvature = p * (1.0 - p);
  h = w * (curvature > 1e-16 ? curvature : 1e-16);
}

/// Squared error ½(z − y)²: g = w·(z − y), h = w.
CIE_HD inline void squared_gradient(double z, double y, double w, double& g, double& h) {
  g = w * (z - y);
  h = w;
}

/// The power of two s with max_abs × s × rows <= 2^62 (largest such); 1 when max_abs is 0.
CIE_HD inline double quantization_scale(double max_abs, double rows) {
  if (!(max_abs > 0.0) || !(rows > 0.0)) return 1.0;
  // limit = m · 2^exponent with m in [0.5, 1), so 2^(exponent − 1) <= limit.
  int exponent = 0;
  static_cast<void>(std::frexp(0x1.0p62 / (rows * max_abs), &exponent));
  return std::ldexp(1.0, exponent - 1);
}

/// value·scale rounded to the nearest integer (ties away from zero: std::llround's result),
/// exact for a power-of-two scale up to the rounding itself. |value·scale| <= 2^62 (the scales of
/// quantization_scale). Inline arithmetic instead of the library call: the truncated integer is
/// exact, the remainder x − trunc(x) is exact (0 once |x| >= 2^52), and a remainder of at least
/// one half in magnitude moves away from zero.
CIE_HD inline std::int64_t quantize(double value, double scale) {
  double const x = value * scale;
  auto rounded = static_cast<std::int64_t>(x);  // toward zero
  double const rest = x - static_cast<double>(rounded);
  if (rest >= 0.5) ++rounded;
  if (rest <= -0.5) --rounded;
  return rounded;
}

/// T(G): G shrunk towards 0 by alpha (L1).
CIE_HD inline double threshold_l1(double g, double alpha) {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0.0;
}

/// T(G)² / (H + λ).
CIE_HD inline double split_score(double g, double h, double lambda, double alpha) {
  double const t = threshold_l1(g, alpha);
  return t * t / (h + lambda);
}

/// −T(G) / (H + λ): the Newton step of a leaf, before the learning rate.
CIE_HD inline double leaf_weight(double g, double h, double lambda, double alpha) {
  return -threshold_l1(g, alpha) / (h + lambda);
}

/// Whether a raw value goes to the left child: x <= threshold, missing (NaN) by default_left.
CIE_HD inline bool goes_left(float x, float threshold, bool default_left) {
  return x != x ? default_left : x <= threshold;
}

/// The bin index of missing values in every feature's histogram (value bins are 0 .. 254).
inline constexpr int kMissingBin = 255;
/// Histogram slots per feature: 255 value bins and the missing bin.
inline constexpr int kBinsPerFeature = 256;

/// Whether a binned value goes left at a split on value bin `split_bin` (bins <= split_bin).
CIE_HD inline bool bin_goes_left(std::uint8_t bin, std::uint8_t split_bin, bool default_left) {
  return bin == kMissingBin ? default_left : bin <= split_bin;
}

}  // namespace cie::kernels
