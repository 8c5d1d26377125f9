// The gradient-boosting passes on each backend (kernels/gbdt.hpp; the CUDA instances run on the
// CUDA emulation in CI): histograms through a workspace against brute-force integer sums (rows
// spanning several histogram blocks, sums that wrap through negative values, a row subset and a
// feature subset, new pairs replacing old ones), the binned tree update and the raw-value forest
// scoring against a walk by hand, and the batch scoring pipeline. Every comparison is exact: the
// twins are defined to give the same bits.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/gbdt.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

using cie::testing::emulated_size;

class GbdtKernelBackends : public cie::testing::BackendTest {};

struct Binned {
  std::vector<std::uint8_t> bins;
  std::size_t rows = 0;
  std::size_t cols = 0;
  [[nodiscard]] BinnedMatrix matrix() const { return {bins.data(), rows, cols}; }
};

Binned random_bins(std::size_t rows, std::size_t cols, std::mt19937_64& rng) {
  Binned b{std::vector<std::uint8_t>(rows * cols), rows, cols};
  for (auto& v : b.bins) v = rng() % 7 == 0 ? kMissingBin : static_cast<std::uint8_t>(rng() % 255);
  return b;
}

/// Pairs whose g run up to ±2^52 (sums of thousands of them pass through large negative and
/// positive values) and h up to 2^40.
std::vector<GradientPair> random_pairs(std::size_t rows, std::mt19937_64& rng) {
  std::vector<GradientPair> pairs(rows);
  for (auto& p : pairs) {
    p.g = static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 53)) - (std::int64_t{1} << 52);
    p.h = static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 40));
  }
  return pairs;
}

void expect_brute_force(Binned const& b, std::vector<GradientPair> const& pairs,
                        std::vector<std::uint32_t> const& rows,
                        std::vector<std::int32_t> const& features,
                        std::vector<HistogramBin> const& hist, char const* what) {
  for (std::int32_t const f : features) {
    std::vector<HistogramBin> want(kBinsPerFeature);
    for (std::uint32_t const i : rows) {
      HistogramBin& slot = want[b.bins[f * b.rows + i]];
      slot.g += pairs[i].g;
      slot.h += pairs[i].h;
      slot.count += 1;
    }
    for (int bin = 0; bin < kBinsPerFeature; ++bin) {
      HistogramBin const& got = hist[f * kBinsPerFeature + bin];
      ASSERT_EQ(got.g, want[bin].g) << what << ": feature " << f << " bin " << bin;
      ASSERT_EQ(got.h, want[bin].h) << what << ": feature " << f << " bin " << bin;
      ASSERT_EQ(got.count, want[bin].count) << what << ": feature " << f << " bin " << bin;
    }
  }
}

TEST_P(GbdtKernelBackends, HistogramsAreTheExactIntegerSums) {
  std::mt19937_64 rng(5);
  // More rows than two histogram blocks of the CUDA twin (8,192 rows each).
  std::size_t const rows = emulated_size<std::size_t>(40009, 17000);
  Binned const b = random_bins(rows, 4, rng);
  std::vector<GradientPair> const pairs = random_pairs(rows, rng);
  std::unique_ptr<GbdtWorkspace> const workspace = make_gbdt_workspace(context(), b.matrix());
  workspace->set_pairs(pairs);

  std::vector<std::uint32_t> all(rows), part;
  for (std::uint32_t i = 0; i < rows; ++i) {
    all[i] = i;
    if (i % 5 == 2 || i % 7 == 0) part.push_back(i);
  }
  std::vector<std::int32_t> const every = {0, 1, 2, 3};
  std::vector<HistogramBin> hist(b.cols * kBinsPerFeature, HistogramBin{-1, -1, -1});
  workspace->build_histogram(all, every, hist.data());
  expect_brute_force(b, pairs, all, every, hist, "all rows");

  // A subset of rows over two features: only those features' slots are written.
  std::vector<std::int32_t> const some = {1, 3};
  std::vector<HistogramBin> sub(b.cols * kBinsPerFeature, HistogramBin{-7, -7, -7});
  workspace->build_histogram(part, some, sub.data());
  expect_brute_force(b, pairs, part, some, sub, "row subset");
  EXPECT_EQ(sub[0].g, -7);
  EXPECT_EQ(sub[2 * kBinsPerFeature + 5].count, -7);

  // Subtraction on the host gives the rest's histogram.
  std::vector<std::uint32_t> rest;
  for (std::uint32_t i = 0; i < rows; ++i) {
    if (!(i % 5 == 2 || i % 7 == 0)) rest.push_back(i);
  }
  gbdt_subtract_histogram(some, hist.data(), sub.data());
  expect_brute_force(b, pairs, rest, some, hist, "parent - child");

  // New pairs replace the old ones; no rows gives zeros.
  std::vector<GradientPair> const next = random_pairs(rows, rng);
  workspace->set_pairs(next);
  workspace->build_histogram(part, every, hist.data());
  expect_brute_force(b, next, part, every, hist, "second pairs");
  workspace->build_histogram({}, some, hist.data());
  expect_brute_force(b, next, {}, some, hist, "no rows");

  // The one-call form equals the workspace.
  std::vector<HistogramBin> once(b.cols * kBinsPerFeature);
  gbdt_build_histogram(context(), b.matrix(), part, pairs, every, once.data());
  expect_brute_force(b, pairs, part, every, once, "gbdt_build_histogram");
}

/// A random forest over `cols` features: `trees` trees of up to `depth` levels, numeric splits
/// (bin and its threshold edges[bin]) and categorical ones on feature 0 (codes 0 .. 9).
struct RandomForest {
  std::vector<GbdtNode> nodes;
  std::vector<std::int32_t> roots;
  std::vector<std::uint64_t> bits;
  [[nodiscard]] ForestView view() const { return {nodes, roots, bits}; }
};

std::int32_t grow_random(RandomForest& f, std::mt19937_64& rng, int depth, int cols,
                         bool categorical = true) {
  auto const index = static_cast<std::int32_t>(f.nodes.size());
  f.nodes.emplace_back();
  if (depth == 0 || rng() % 5 == 0) {
    f.nodes[index].value = std::ldexp(static_cast<double>(rng() % 2001) - 1000.0, -7) / 3.0;
    return index;
  }
  GbdtNode node;
  node.feature = static_cast<std::int32_t>(rng() % cols);
  node.default_left = static_cast<std::uint8_t>(rng() % 2);
  if (node.feature == 0 && categorical) {
    node.categories = static_cast<std::int32_t>(f.bits.size() / kCategoryWords);
    for (int w = 0; w < kCategoryWords; ++w) f.bits.push_back(rng());
  } else {
    node.bin = static_cast<std::uint8_t>(rng() % 20);
    node.threshold = static_cast<float>(node.bin) + 0.5f;  // value bin k holds (k − 0.5, k + 0.5]
  }
  node.left = grow_random(f, rng, depth - 1, cols, categorical);
  node.right = grow_random(f, rng, depth - 1, cols, categorical);
  f.nodes[index] = node;
  return index;
}

/// Rows whose raw values and bins agree: feature 0 a level code (or missing), the others value v
/// in bin v (edges k + 0.5), some missing.
struct RawAndBinned {
  std::vector<float> x;
  Binned b;
};

RawAndBinned raw_and_binned(std::size_t rows, std::size_t cols, std::mt19937_64& rng) {
  RawAndBinned d{std::vector<float>(rows * cols),
                 {std::vector<std::uint8_t>(rows * cols), rows, cols}};
  for (std::size_t k = 0; k < rows * cols; ++k) {
    bool const missing = rng() % 9 == 0;
    auto const v = static_cast<int>(rng() % (k < rows ? 12 : 22));  // codes 10, 11: unseen
    d.x[k] = missing ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(v);
    d.b.bins[k] = missing ? static_cast<std::uint8_t>(kMissingBin) : static_cast<std::uint8_t>(v);
  }
  return d;
}

/// The margin of row i by hand: base, then each tree's leaf in order.
double walk(RandomForest const& f, RawAndBinned const& d, std::size_t i, double base) {
  double margin = base;
  for (std::int32_t const root : f.roots) {
    std::int32_t node = root;
    while (f.nodes[node].feature >= 0) {
      GbdtNode const& s = f.nodes[node];
      node = node_goes_left(s, d.x[s.feature * d.b.rows + i], f.bits.data()) ? s.left : s.right;
    }
    margin += f.nodes[node].value;
  }
  return margin;
}

TEST_P(GbdtKernelBackends, TreeWalksEqualAWalkByHandBitForBit) {
  std::mt19937_64 rng(9);
  std::size_t const rows = emulated_size<std::size_t>(20011, 3001);
  std::size_t const cols = 4;
  RawAndBinned const d = raw_and_binned(rows, cols, rng);
  RandomForest f;
  for (int t = 0; t < 12; ++t) f.roots.push_back(grow_random(f, rng, 6, cols));
  double const base = -0.3;
  std::vector<double> expected(rows);
  for (std::size_t i = 0; i < rows; ++i) expected[i] = walk(f, d, i, base);

  // Raw values, all trees at once.
  std::vector<double> out(rows);
  gbdt_predict_margin(context(), {d.x.data(), rows, cols}, f.view(), base, out);
  for (std::size_t i = 0; i < rows; ++i) ASSERT_EQ(out[i], expected[i]) << "row " << i;

  // Bins, tree by tree through one workspace, as a fit adds them.
  std::vector<double> margin(rows, base);
  std::unique_ptr<GbdtWorkspace> const workspace = make_gbdt_workspace(context(), d.b.matrix());
  for (std::int32_t const root : f.roots) workspace->add_tree(f.view(), root, margin);
  for (std::size_t i = 0; i < rows; ++i) ASSERT_EQ(margin[i], expected[i]) << "row " << i;
  std::vector<double> one(rows, base);
  gbdt_add_tree_binned(context(), d.b.matrix(), f.view(), f.roots[0], one);
  RandomForest first = f;
  first.roots.resize(1);
  for (std::size_t i = 0; i < rows; ++i) ASSERT_EQ(one[i], walk(first, d, i, base)) << i;

  // Trees with numeric splits only (the CPU walks them in lockstep, several rows at a time),
  // deep and shallow, between trees with categorical splits, over a row count that is no
  // multiple of the lockstep group.
  RandomForest mixed = f;
  for (int t = 0; t < 6; ++t) {
    mixed.roots.push_back(grow_random(mixed, rng, t == 0 ? 0 : 3 * t, cols, t % 3 != 2));
  }
  std::vector<double> mixed_expected(rows);
  for (std::size_t i = 0; i < rows; ++i) mixed_expected[i] = walk(mixed, d, i, base);
  gbdt_predict_margin(context(), {d.x.data(), rows, cols}, mixed.view(), base, out);
  for (std::size_t i = 0; i < rows; ++i) ASSERT_EQ(out[i], mixed_expected[i]) << "row " << i;

  // No trees: the base.
  gbdt_predict_margin(context(), {d.x.data(), rows, cols}, {f.nodes, {}, f.bits}, base, out);
  EXPECT_EQ(out, std::vector<double>(rows, base));
}

TEST_P(GbdtKernelBackends, BatchScoringEqualsScoringAtOnceInBatchOrder) {
  std::mt19937_64 rng(13);
  std::size_t const rows = emulated_size<std::size_t>(5003, 1003);
  std::size_t const cols = 3;
  RawAndBinned const d = raw_and_binned(rows, cols, rng);
  RandomForest f;
  for (int t = 0; t < 5; ++t) f.roots.push_back(grow_random(f, rng, 5, cols));
  std::vector<double> margin(rows);
  gbdt_predict_margin(Context::cpu(1), {d.x.data(), rows, cols}, f.view(), 0.7, margin);
  for (bool const probability : {false, true}) {
    std::vector<double> out(rows);
    std::size_t done = 0;
    EncodeBatch const encode = [&](std::size_t begin, std::size_t end, float* x) {
      for (std::size_t j = 0; j < cols; ++j) {
        for (std::size_t i = begin; i < end; ++i)
          x[j * (end - begin) + i - begin] = d.x[j * rows + i];
      }
    };
    BatchDone const on_done = [&](std::size_t begin, std::size_t end) {
      EXPECT_EQ(begin, done);
      done = end;
    };
    score_gbdt_batches(context(), rows, 97, cols, encode, f.view(), 0.7, probability, out, on_done);
    EXPECT_EQ(done, rows);
    for (std::size_t i = 0; i < rows; ++i) {
      ASSERT_EQ(out[i], probability ? stable_sigmoid(margin[i]) : margin[i]) << "row " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, GbdtKernelBackends,
                         ::testing::Values(Backend::kCpu, Backend::kCuda),
                         cie::testing::backend_name);

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels
