// CPU twin of kernels/gbdt.hpp, the passes over all rows before and between trees: binning the
// feature columns against their edges and the gradient pass (per-row gradients, quantized with
// one scale per tree). Maps are OpenMP loops over rows or features; no result depends on the
// thread count or the schedule. (Histograms, tree margins: kernels/cpu/gbdt.cpp.)
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "core/error.hpp"
#include "kernels/gbdt.hpp"

namespace cie::kernels {
namespace {

/// Below this many element operations a pass runs on the calling thread: starting and joining
/// a parallel region costs more than the work.
constexpr std::int64_t kRowParallelWork = 1 << 18;
/// Values a binning search handles side by side (independent searches in lockstep).
constexpr std::size_t kBinLanes = 8;

/// bins[i] = the number of edges below values[i] (std::lower_bound's index in the ascending
/// edges[0 .. n)), kMissingBin for NaN. A binary search without data-dependent branches: every
/// search of a feature takes the same halving steps (they depend on n only), the comparison picks
/// the half by a conditional add, and kBinLanes values go through the steps together.
void bin_values(float const* edges, std::size_t n, float const* values, std::size_t rows,
                std::uint8_t* bins) {
  auto const search = [edges, n](float value) {
    std::size_t base = 0;
    for (std::size_t m = n; m > 1; m -= m / 2) base += edges[base + m / 2] < value ? m / 2 : 0;
    return n == 0 ? 0 : base + (edges[base] < value ? 1 : 0);
  };
  std::size_t i = 0;
  for (; i + kBinLanes <= rows; i += kBinLanes) {
    std::array<std::size_t, kBinLanes> base{};
    for (std::size_t m = n; m > 1; m -= m / 2) {
      std::size_t const half = m / 2;
      for (std::size_t l = 0; l < kBinLanes; ++l) {
        base[l] += edges[base[l] + half] < values[i + l] ? half : 0;
      }
    }
    for (std::size_t l = 0; l < kBinLanes; ++l) {
      float const value = values[i + l];
      std::size_t const below = n == 0 ? 0 : base[l] + (edges[base[l]] < value ? 1 : 0);
      bins[i + l] = static_cast<std::uint8_t>(std::isnan(value) ? kMissingBin : below);
    }
  }
  for (; i < rows; ++i) {
    bins[i] = static_cast<std::uint8_t>(std::isnan(values[i]) ? kMissingBin : search(values[i]));
  }
}

}  // namespace

void gbdt_bin_columns(Context const& ctx, FeatureMatrix x, std::span<float const> edges,
                      std::span<std::int32_t const> edge_offsets, std::uint8_t* out,
                      std::span<std::uint8_t const> categorical) {
  CIE_ASSERT(edge_offsets.size() == x.cols + 1 &&
             (categorical.empty() || categorical.size() == x.cols));
  auto const cols = static_cast<std::int64_t>(x.cols);
#pragma omp parallel for num_threads(ctx.threads()) \
    schedule(dynamic, 1) if (cols * static_cast <std::int64_t>(x.rows) >= kRowParallelWork)
  for (std::int64_t j = 0; j < cols; ++j) {
    float const* first = edges.data() + edge_offsets[j];
    float const* last = edges.data() + edge_offsets[j + 1];
    float const* column = x.column(static_cast<std::size_t>(j));
    std::uint8_t* bins = out + static_cast<std::size_t>(j) * x.rows;
    if (!categorical.empty() && categorical[j] != 0) {
      for (std::size_t i = 0; i < x.rows; ++i) {
        float const value = column[i];
        bins[i] = value >= 0.0f && value < 255.0f ? static_cast<std::uint8_t>(value)
                                                  : static_cast<std::uint8_t>(kMissingBin);
      }
      continue;
    }
    bin_values(first, static_cast<std::size_t>(last - first), column, x.rows, bins);
  }
}

namespace {

/// The first half of the gradient pass on rows [begin, end): each row's g and h as doubles, their
/// bits stored in out[i] (the quantization pass reads them back in place, so the pass needs no
/// buffer of its own), and the largest |g| and h. One loop per objective and weighting, without
/// branches or library calls (the sigmoid's exp is kernels/linear_rules.hpp's), so it vectorizes:
/// the AVX-512F and AVX2 clones run 8 and 4 rows per instruction. This file is compiled with
/// -ffp-contract=off (CMakeLists.txt: AVX-512F has fused multiply-adds), so every clone computes
/// the scalar rules' bits. The largest values are taken over bit patterns: |g| and h are never NaN
/// (finite margins, labels and weights) and never below −0, and such doubles order as their bits
/// do as signed integers (an integer max reduction vectorizes; a floating-point one needs
/// -ffast-math). The body is a template inlined into one non-template clone set per objective
/// and weighting (Clang does not multiversion function templates).
template <GbdtObjective kObjective, bool kWeighted>
[[gnu::always_inline]] inline void gradient_rows(double const* margin, float const* y,
                                                 float const* weight, std::int64_t begin,
                                                 std::int64_t end, GradientPair* out, double& max_g,
                                                 double& max_h) {
  auto largest_g = std::bit_cast<std::int64_t>(max_g);
  auto largest_h = std::bit_cast<std::int64_t>(max_h);
  for (std::int64_t i = begin; i < end; ++i) {
    double const w = kWeighted ? static_cast<double>(weight[i]) : 1.0;
    double g = 0.0, h = 0.0;
    if constexpr (kObjective == GbdtObjective::kBinaryLogloss) {
      logloss_gradient(margin[i], y[i], w, g, h);
    } else {
      squared_gradient(margin[i], y[i], w, g, h);
    }
    out[i] = {std::bit_cast<std::int64_t>(g), std::bit_cast<std::int64_t>(h)};
    largest_g = std::max(largest_g, std::bit_cast<std::int64_t>(std::abs(g)));
    largest_h = std::max(largest_h, out[i].h);
  }
  max_g = std::bit_cast<double>(largest_g);
  max_h = std::bit_cast<double>(largest_h);
}

#define CIE_GRADIENT_ROWS(name, objective, weighted)                                      \
  __attribute__((target_clones("avx512f", "avx2", "default"))) void name(                 \
      double const* margin, float const* y, float const* weight, std::int64_t begin,      \
      std::int64_t end, GradientPair* out, double& max_g, double& max_h) {                \
    gradient_rows<objective, weighted>(margin, y, weight, begin, end, out, max_g, max_h); \
  }
CIE_GRADIENT_ROWS(logloss_rows, GbdtObjective::kBinaryLogloss, false)
CIE_GRADIENT_ROWS(weighted_logloss_rows, GbdtObjective::kBinaryLogloss, true)
CIE_GRADIENT_ROWS(squared_rows, GbdtObjective::kSquaredError, false)
CIE_GRADIENT_ROWS(weighted_squared_rows, GbdtObjective::kSquaredError, true)
#undef CIE_GRADIENT_ROWS

/// The second half on rows [begin, end): the doubles' bits in out[i] replaced by their quantized
/// values. The x86-64-v4 clone converts 8 doubles to int64 per instruction (AVX-512DQ).
__attribute__((target_clones("arch=x86-64-v4", "default"))) void quantize_rows(
    GradientScales scales, std::int64_t begin, std::int64_t end, GradientPair* out) {
  for (std::int64_t i = begin; i < end; ++i) {
    out[i] = {quantize(std::bit_cast<double>(out[i].g), scales.g),
              quantize(std::bit_cast<double>(out[i].h), scales.h)};
  }
}

}  // namespace

GradientScales gbdt_gradients(Context const& ctx, GbdtObjective objective,
                              std::span<double const> margin, std::span<float const> y,
                              std::span<float const> weight, std::span<GradientPair> out) {
  std::size_t const rows = margin.size();
  CIE_ASSERT(y.size() == rows && out.size() == rows && (weight.empty() || weight.size() == rows));
  auto const rows_of = objective == GbdtObjective::kBinaryLogloss
                           ? (weight.empty() ? logloss_rows : weighted_logloss_rows)
                           : (weight.empty() ? squared_rows : weighted_squared_rows);
  double max_g = 0.0, max_h = 0.0;
  auto const n = static_cast<std::int64_t>(rows);
  constexpr std::int64_t kBlock = 4096;
  std::int64_t const blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) \
    reduction(max                                                    \
              : max_g, max_h) if (n >= kRowParallelWork)
  for (std::int64_t block = 0; block < blocks; ++block) {
    rows_of(margin.data(), y.data(), weight.data(), block * kBlock,
            std::min(n, (block + 1) * kBlock), out.data(), max_g, max_h);
  }
  GradientScales const scales{quantization_scale(max_g, static_cast<double>(rows)),
                              quantization_scale(max_h, static_cast<double>(rows))};
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) if (n >= kRowParallelWork)
  for (std::int64_t block = 0; block < blocks; ++block) {
    quantize_rows(scales, block * kBlock, std::min(n, (block + 1) * kBlock), out.data());
  }
  return scales;
}

}  // namespace cie::kernels
