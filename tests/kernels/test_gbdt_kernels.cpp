// Gradient-boosting kernels (kernels/gbdt.hpp, kernels/gbdt_rules.hpp): the per-element rules,
// binning against its edges, histograms against brute-force sums (and the same for 1, 2 and 3
// threads), histogram subtraction, and forest scoring against a walk by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "kernels/cpu/gbdt_histogram.hpp"
#include "kernels/gbdt.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

TEST(GbdtRules, SplitScoreAndLeafWeightFollowTheL1AndL2Terms) {
  EXPECT_DOUBLE_EQ(split_score(3.0, 2.0, 1.0, 0.0), 9.0 / 3.0);
  EXPECT_DOUBLE_EQ(split_score(3.0, 2.0, 1.0, 1.0), 4.0 / 3.0);   // (3 − 1)² / 3
  EXPECT_DOUBLE_EQ(split_score(-3.0, 2.0, 0.0, 1.0), 4.0 / 2.0);  // (−3 + 1)² / 2
  EXPECT_DOUBLE_EQ(split_score(0.5, 2.0, 0.0, 1.0), 0.0);         // |G| <= α
  EXPECT_DOUBLE_EQ(leaf_weight(3.0, 2.0, 1.0, 0.0), -1.0);
  EXPECT_DOUBLE_EQ(leaf_weight(-3.0, 2.0, 1.0, 1.0), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(leaf_weight(0.5, 2.0, 1.0, 1.0), 0.0);
}

TEST(GbdtRules, GradientsOfBothObjectives) {
  double g = 0, h = 0;
  logloss_gradient(0.0, 1.0, 2.0, g, h);
  EXPECT_DOUBLE_EQ(g, -1.0);  // 2·(0.5 − 1)
  EXPECT_DOUBLE_EQ(h, 0.5);   // 2·0.25
  logloss_gradient(800.0, 1.0, 1.0, g, h);
  EXPECT_EQ(g, 0.0);
  EXPECT_EQ(h, 1e-16);  // floored, never 0
  squared_gradient(3.0, 1.0, 0.5, g, h);
  EXPECT_DOUBLE_EQ(g, 1.0);
  EXPECT_DOUBLE_EQ(h, 0.5);
}

TEST(GbdtRules, QuantizationScaleIsThePowerOfTwoThatCannotOverflow) {
  for (double max_abs : {1e-9, 0.25, 1.0, 3.0, 1e6}) {
    for (double rows : {1.0, 1000.0, 1e7}) {
      double const scale = quantization_scale(max_abs, rows);
      int exponent = 0;
      EXPECT_EQ(std::frexp(scale, &exponent), 0.5) << "a power of two";
      EXPECT_LE(max_abs * scale * rows, 0x1.0p62) << max_abs << " " << rows;
      EXPECT_GT(max_abs * scale * 2.0 * rows, 0x1.0p62) << "the largest such scale";
    }
  }
  EXPECT_EQ(quantization_scale(0.0, 10.0), 1.0);
  EXPECT_EQ(quantize(0.75, 4.0), 3);
  EXPECT_EQ(quantize(-0.625, 4.0), -3);  // −2.5 rounds away from zero
  // The same integers as std::llround: ties, the doubles next to them, and magnitudes up to
  // 2^62 (where every double is an integer).
  std::mt19937_64 rng(3);
  for (int k = 0; k < 200000; ++k) {
    double const half = std::ldexp(static_cast<double>(rng() % 100001) - 50000.0, -1);
    double const x = k % 4 == 0   ? half
                     : k % 4 == 1 ? std::nextafter(half, 0.0)
                     : k % 4 == 2 ? std::nextafter(half, 1e300)
                                  : std::ldexp(static_cast<double>(rng() >> 11) - 0x1p52,
                                               static_cast<int>(rng() % 12) - 2);
    ASSERT_EQ(quantize(x, 1.0), std::llround(x)) << x;
    ASSERT_EQ(quantize(x, 0x1p-3), std::llround(x * 0x1p-3)) << x;
  }
}

TEST(GbdtKernels, BinsCountTheEdgesBelowTheValueAndMissingGoesToItsBin) {
  std::vector<float> const x = {
      -5.0f, 0.5f, 1.0f, 1.5f, 2.0f, 9.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f};
  std::vector<float> const edges = {1.0f, 2.0f};
  std::vector<std::int32_t> const offsets = {0, 2};
  std::vector<std::uint8_t> bins(x.size());
  gbdt_bin_columns(Context::cpu(2), {x.data(), x.size(), 1}, edges, offsets, bins.data());
  std::vector<std::uint8_t> const expected = {0, 0, 0, 1, 1, 2, kMissingBin, 0};
  EXPECT_EQ(bins, expected);
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) continue;
    for (std::uint8_t b = 0; b < edges.size(); ++b) {
      EXPECT_EQ(bin_goes_left(bins[i], b, false), goes_left(x[i], edges[b], false))
          << "value " << x[i] << " bin " << int(b);
    }
  }
}

TEST(GbdtKernels, BinningEqualsLowerBoundForEveryNumberOfEdges) {
  // The branch-free search against std::lower_bound: 0 .. 254 edges, values on, just beside,
  // between and beyond the edges, ±0, ±Inf and NaN, row counts that are not a multiple of the
  // search's lane count.
  std::mt19937_64 rng(151);
  float const inf = std::numeric_limits<float>::infinity();
  for (std::size_t n : {0, 1, 2, 3, 7, 8, 9, 100, 128, 200, 253, 254}) {
    std::vector<float> edges;
    for (std::size_t k = 0; k < n; ++k) {
      edges.push_back(static_cast<float>(k) - static_cast<float>(n / 2) + 0.5f);
    }
    std::vector<float> x = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN()};
    for (float const e : edges) {
      x.insert(x.end(), {e, std::nextafter(e, -inf), std::nextafter(e, inf)});
    }
    std::uniform_real_distribution<float> uniform(-200.0f, 200.0f);
    for (std::size_t k = 0; k < 1000 + n; ++k) x.push_back(uniform(rng));
    std::vector<std::int32_t> const offsets = {0, static_cast<std::int32_t>(n)};
    std::vector<std::uint8_t> bins(x.size());
    gbdt_bin_columns(Context::cpu(1), {x.data(), x.size(), 1}, edges, offsets, bins.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
      auto const expected =
          std::isnan(x[i]) ? kMissingBin
                           : std::lower_bound(edges.begin(), edges.end(), x[i]) - edges.begin();
      ASSERT_EQ(bins[i], expected) << n << " edges, value " << x[i];
    }
  }
}

struct HistogramData {
  std::vector<std::uint8_t> bins;
  std::vector<GradientPair> pairs;
  std::size_t rows = 0;
  std::size_t cols = 0;
};

HistogramData make_histogram_data(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  HistogramData d{std::vector<std::uint8_t>(rows * cols), std::vector<GradientPair>(rows), rows,
                  cols};
  for (auto& b : d.bins) b = rng() % 9 == 0 ? kMissingBin : static_cast<std::uint8_t>(rng() % 40);
  for (auto& p : d.pairs) {
    p.g = static_cast<std::int64_t>(rng() % 2000001) - 1000000;
    p.h = static_cast<std::int64_t>(rng() % 1000001);
  }
  return d;
}

TEST(GbdtKernels, HistogramEqualsBruteForceForAnyThreadCountAndSubtractionIsExact) {
  HistogramData const d = make_histogram_data(1537, 5, 7);
  BinnedMatrix const bins{d.bins.data(), d.rows, d.cols};
  std::vector<std::uint32_t> rows, part;
  for (std::uint32_t i = 0; i < d.rows; ++i) {
    rows.push_back(i);
    if (i % 3 == 1) part.push_back(i);
  }
  std::vector<std::int32_t> const features = {0, 2, 4};
  std::vector<HistogramBin> expected(d.cols * kBinsPerFeature);
  for (std::int32_t const f : features) {
    for (std::uint32_t const i : part) {
      HistogramBin& slot = expected[f * kBinsPerFeature + d.bins[f * d.rows + i]];
      slot.g += d.pairs[i].g;
      slot.h += d.pairs[i].h;
      slot.count += 1;
    }
  }
  for (int threads : {1, 2, 3}) {
    std::vector<HistogramBin> hist(d.cols * kBinsPerFeature);
    gbdt_build_histogram(Context::cpu(threads), bins, part, d.pairs, features, hist.data());
    for (std::int32_t const f : features) {
      for (int b = 0; b < kBinsPerFeature; ++b) {
        HistogramBin const& got = hist[f * kBinsPerFeature + b];
        HistogramBin const& want = expected[f * kBinsPerFeature + b];
        ASSERT_EQ(got.g, want.g) << "threads " << threads << " feature " << f << " bin " << b;
        ASSERT_EQ(got.h, want.h);
        ASSERT_EQ(got.count, want.count);
      }
    }
  }
  // parent − child = the histogram of the other rows.
  std::vector<std::uint32_t> rest;
  for (std::uint32_t i = 0; i < d.rows; ++i) {
    if (i % 3 != 1) rest.push_back(i);
  }
  std::vector<HistogramBin> parent(d.cols * kBinsPerFeature), child(parent.size()),
      sibling(parent.size());
  Context const ctx = Context::cpu(2);
  gbdt_build_histogram(ctx, bins, rows, d.pairs, features, parent.data());
  gbdt_build_histogram(ctx, bins, part, d.pairs, features, child.data());
  gbdt_build_histogram(ctx, bins, rest, d.pairs, features, sibling.data());
  gbdt_subtract_histogram(features, parent.data(), child.data());
  for (std::int32_t const f : features) {
    for (int b = 0; b < kBinsPerFeature; ++b) {
      std::size_t const k = f * kBinsPerFeature + b;
      ASSERT_EQ(parent[k].g, sibling[k].g);
      ASSERT_EQ(parent[k].h, sibling[k].h);
      ASSERT_EQ(parent[k].count, sibling[k].count);
    }
  }
}

/// Data whose features have few bins, so that the workspace sums some of them in pairs (joint
/// columns): value bins 0 .. bins[f] − 1, with missing values where missing[f].
HistogramData make_small_feature_data(std::size_t rows, std::uint64_t seed) {
  std::vector<int> const bins = {10, 40, 5, 15, 15, 7, 0, 3};
  std::vector<bool> const missing = {false, true, true, true, false, false, true, true};
  HistogramData d = make_histogram_data(rows, bins.size(), seed);
  std::mt19937_64 rng(seed + 1);
  for (std::size_t f = 0; f < bins.size(); ++f) {
    for (std::size_t i = 0; i < rows; ++i) {
      bool const miss = missing[f] && (bins[f] == 0 || rng() % 7 == 0);
      d.bins[f * rows + i] =
          miss ? kMissingBin : static_cast<std::uint8_t>(rng() % static_cast<unsigned>(bins[f]));
    }
  }
  return d;
}

void expect_workspace_histograms(HistogramData const& d, std::vector<std::int32_t> const& every,
                                 std::vector<std::int32_t> const& some) {
  BinnedMatrix const bins{d.bins.data(), d.rows, d.cols};
  std::vector<std::uint32_t> rows, part;
  for (std::uint32_t i = 0; i < d.rows; ++i) {
    rows.push_back(i);
    if (i % 3 == 1) part.push_back(i);
  }
  // Every row in order (the workspace's pass over all rows, counts taken once), every row in
  // another order (a node's pass), and a part, passed by one workspace in turn (each thread sums
  // its own part of the rows into its own slots, which a pass leaves zero; the part takes fewer
  // threads than the whole list).
  std::vector<std::uint32_t> reversed(rows.rbegin(), rows.rend());
  std::vector<std::pair<std::vector<std::uint32_t> const*, std::vector<std::int32_t> const*>> const
      passes = {{&rows, &every}, {&reversed, &every}, {&part, &every},
                {&rows, &some},  {&part, &some},      {&reversed, &every}};
  for (int threads : {1, 2, 3}) {
    Context const ctx = Context::cpu(threads);
    std::unique_ptr<GbdtWorkspace> const workspace = make_gbdt_workspace(ctx, bins);
    workspace->set_pairs(d.pairs);
    for (auto const& [list, features] : passes) {
      std::vector<HistogramBin> expected(d.cols * kBinsPerFeature);
      for (std::int32_t const f : *features) {
        for (std::uint32_t const i : *list) {
          HistogramBin& slot = expected[f * kBinsPerFeature + d.bins[f * d.rows + i]];
          slot.g += d.pairs[i].g;
          slot.h += d.pairs[i].h;
          slot.count += 1;
        }
      }
      std::vector<HistogramBin> hist(d.cols * kBinsPerFeature, HistogramBin{-3, -3, -3});
      workspace->build_histogram(*list, *features, hist.data());
      for (std::size_t f = 0; f < d.cols; ++f) {
        bool const listed = std::find(features->begin(), features->end(),
                                      static_cast<std::int32_t>(f)) != features->end();
        for (int b = 0; b < kBinsPerFeature; ++b) {
          HistogramBin const& got = hist[f * kBinsPerFeature + b];
          HistogramBin const want =
              listed ? expected[f * kBinsPerFeature + b] : HistogramBin{-3, -3, -3};
          ASSERT_EQ(got.g, want.g) << "threads " << threads << " feature " << f << " bin " << b;
          ASSERT_EQ(got.h, want.h) << "threads " << threads << " feature " << f << " bin " << b;
          ASSERT_EQ(got.count, want.count) << "threads " << threads << " feature " << f;
        }
      }
    }
  }
}

TEST(GbdtKernels, WorkspaceHistogramsAreTheSameForAnyThreadCountAndFeatureList) {
  // Enough rows × features that the workspace's pass runs on several threads.
  expect_workspace_histograms(make_histogram_data(160001, 5, 11), {0, 1, 2, 3, 4}, {1, 2, 4});
}

TEST(GbdtKernels, WorkspaceHistogramsOfManyColumnsCrossChunksAndBlocks) {
  // 40 columns: the node pass sums them in blocks of 16, 16 and 8 over each chunk of 1,024 listed
  // rows (the lists' last chunks partial), so every block must see every row of every chunk.
  expect_workspace_histograms(make_histogram_data(20001, 40, 12),
                              [] {
                                std::vector<std::int32_t> every(40);
                                for (std::int32_t f = 0; f < 40; ++f) every[f] = f;
                                return every;
                              }(),
                              {0, 15, 16, 17, 33, 39});
}

TEST(GbdtKernels, RowMajorCopyAllocatorServesCacheLines) {
  // The histogram pass's row-major copy starts on a cache line (so 32-byte rows never straddle
  // two), whatever the size, and keeps its values when it grows.
  for (std::size_t const size : {std::size_t{1}, std::size_t{100}, std::size_t{1} << 22}) {
    std::vector<std::uint8_t, cpu_impl::CacheLineAllocator<std::uint8_t>> bytes(size, 7);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(bytes.data()) % 64, 0u) << size;
    bytes.resize(size * 3 + 1, 9);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(bytes.data()) % 64, 0u) << size;
    EXPECT_EQ(bytes[size - 1], 7);
    EXPECT_EQ(bytes[size], 9);
  }
}

TEST(GbdtKernels, WorkspaceHistogramsOfFeaturesSummedInPairsEqualTheirOwnSums) {
  // Features 0 and 2 (11 × 6 codes: value bins and the missing code), 3 and 4 (16 × 16: all 256
  // joint bins), 5 and 6 (8 × 1: 6 is all missing) are summed as joint columns; 1 (40 bins) and
  // 7 (the odd small one) by themselves. The subset lists one feature of a pair without the
  // other (0 and 3 are left out).
  expect_workspace_histograms(make_small_feature_data(160001, 17), {0, 1, 2, 3, 4, 5, 6, 7},
                              {1, 2, 4, 5, 6, 7});
}

TEST(GbdtKernels, GradientPassQuantizesEveryRowWithOneScale) {
  std::vector<double> const margin = {0.0, 1.0, -2.0, 0.5};
  std::vector<float> const y = {1.0f, 0.0f, 1.0f, 0.0f};
  std::vector<float> const w = {1.0f, 2.0f, 0.0f, 1.0f};
  std::vector<GradientPair> pairs(4);
  GradientScales const s =
      gbdt_gradients(Context::cpu(3), GbdtObjective::kBinaryLogloss, margin, y, w, pairs);
  for (std::size_t i = 0; i < 4; ++i) {
    double g = 0, h = 0;
    logloss_gradient(margin[i], y[i], w[i], g, h);
    EXPECT_EQ(pairs[i].g, quantize(g, s.g));
    EXPECT_EQ(pairs[i].h, quantize(h, s.h));
    EXPECT_NEAR(static_cast<double>(pairs[i].g) / s.g, g, 1e-15);
  }
  EXPECT_EQ(pairs[2].g, 0);  // weight 0
}

TEST(GbdtKernels, VectorizedGradientPassGivesTheScalarRulesBitsOverTheWholeMarginRange) {
  // The pass runs in vector clones (AVX-512F, AVX2) of a branch-free loop: every row must be
  // the bits of the scalar rules, for margins from the exp's underflow (|z| > 745) to ±1e300,
  // zero and signed-zero weights, and row counts that leave a vector tail in each 4096-row block.
  std::mt19937_64 random(20261207);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (std::size_t const rows : {std::size_t{1}, std::size_t{13}, std::size_t{10007}}) {
    std::vector<double> margin(rows);
    std::vector<float> y(rows), w(rows);
    double const specials[] = {0.0,    -0.0,  1e-300, -1e-300, 36.0,   -36.0, 709.0,
                               -709.0, 745.2, -745.2, 746.0,   -746.0, 1e300, -1e300};
    for (std::size_t i = 0; i < rows; ++i) {
      double const scale = std::pow(10.0, 3.0 * uniform(random));  // 1e-3 .. 1e3
      margin[i] = i < std::size(specials) ? specials[i] : scale * uniform(random);
      y[i] = static_cast<float>(random() & 1);
      w[i] = i % 11 == 3 ? 0.0f : i % 11 == 7 ? -0.0f : static_cast<float>(1.0 + uniform(random));
    }
    for (GbdtObjective const objective :
         {GbdtObjective::kBinaryLogloss, GbdtObjective::kSquaredError}) {
      for (bool const weighted : {false, true}) {
        std::span<float const> const weight =
            weighted ? std::span<float const>(w) : std::span<float const>();
        std::vector<GradientPair> pairs(rows);
        GradientScales const s =
            gbdt_gradients(Context::cpu(1), objective, margin, y, weight, pairs);
        std::vector<double> g(rows), h(rows);
        double max_g = 0.0, max_h = 0.0;
        for (std::size_t i = 0; i < rows; ++i) {
          double const wi = weighted ? w[i] : 1.0;
          if (objective == GbdtObjective::kBinaryLogloss) {
            logloss_gradient(margin[i], y[i], wi, g[i], h[i]);
          } else {
            squared_gradient(margin[i], y[i], wi, g[i], h[i]);
          }
          max_g = std::max(max_g, std::abs(g[i]));
          max_h = std::max(max_h, h[i]);
        }
        double const n = static_cast<double>(rows);
        ASSERT_EQ(s.g, quantization_scale(max_g, n)) << rows << " rows";
        ASSERT_EQ(s.h, quantization_scale(max_h, n)) << rows << " rows";
        for (std::size_t i = 0; i < rows; ++i) {
          ASSERT_EQ(pairs[i].g, quantize(g[i], s.g)) << "row " << i << " of " << rows;
          ASSERT_EQ(pairs[i].h, quantize(h[i], s.h)) << "row " << i << " of " << rows;
        }
      }
    }
  }
}

TEST(GbdtKernels, ForestScoringWalksEveryTreeAndSendsMissingTheDefaultWay) {
  // Tree 0: x0 <= 1 (missing left) ? 1 : (x1 <= 0 (missing right) ? 2 : 3). Tree 1: leaf 10.
  std::vector<GbdtNode> nodes(6);
  nodes[0] = {0, 1, 2, 1.0f, 0, 1, 0.0};
  nodes[1] = {-1, -1, -1, 0.0f, 0, 0, 1.0};
  nodes[2] = {1, 3, 4, 0.0f, 0, 0, 0.0};
  nodes[3] = {-1, -1, -1, 0.0f, 0, 0, 2.0};
  nodes[4] = {-1, -1, -1, 0.0f, 0, 0, 3.0};
  nodes[5] = {-1, -1, -1, 0.0f, 0, 0, 10.0};
  std::vector<std::int32_t> const roots = {0, 5};
  float const nan = std::numeric_limits<float>::quiet_NaN();
  std::size_t const rows = 600;  // more than two scoring blocks
  std::vector<float> x(rows * 2);
  std::vector<double> expected(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    float const a = i % 7 == 0 ? nan : static_cast<float>(i % 3);
    float const b = i % 5 == 0 ? nan : static_cast<float>(i % 2) - 0.5f;
    x[i] = a;
    x[rows + i] = b;
    double const first = (std::isnan(a) || a <= 1.0f)    ? 1.0
                         : (!std::isnan(b) && b <= 0.0f) ? 2.0
                                                         : 3.0;
    expected[i] = 0.25 + first + 10.0;
  }
  for (int threads : {1, 3}) {
    std::vector<double> out(rows);
    gbdt_predict_margin(Context::cpu(threads), {x.data(), rows, 2}, {nodes, roots}, 0.25, out);
    EXPECT_EQ(out, expected) << threads << " threads";
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels
