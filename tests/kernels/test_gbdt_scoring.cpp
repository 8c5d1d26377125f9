// The CPU twin's forest scoring (kernels/gbdt.hpp gbdt_predict_margin; QuickScorer in
// kernels/cpu/gbdt_quickscorer.hpp on CPUs with AVX-512 or AVX2, the lockstep walk elsewhere;
// each path forced in turn, those the CPU lacks skipped) against a plain walk, bit for bit: random
// leaf-wise trees of depth 0 to 15 and up to 64 leaves, values that tie the thresholds, NaN (both
// default directions), ±0 and ±infinity (values and thresholds), forests mixing categorical trees
// and wider trees, more trees than one QuickScorer chunk, row counts and row ranges that are no
// multiple of the 8-row groups or the blocks, 1 to 3 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "kernels/cpu/gbdt_quickscorer.hpp"
#include "kernels/gbdt.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

constexpr float kInf = std::numeric_limits<float>::infinity();

/// Values that tie the thresholds below, plus ±0 and ±infinity.
constexpr float kGrid[] = {-2.0f, -1.0f, -0.5f, -0.0f, 0.0f, 0.5f, 1.0f, 2.0f};

struct Forest {
  std::vector<GbdtNode> nodes;
  std::vector<std::int32_t> roots;
  std::vector<std::uint64_t> bits;
  [[nodiscard]] ForestView view() const { return {nodes, roots, bits}; }
};

/// A leaf with an irregular value (sums in another order would round differently).
std::int32_t add_leaf(Forest& f, std::mt19937_64& rng) {
  GbdtNode leaf;
  leaf.value = std::normal_distribution<double>(0.0, 1.0)(rng) * 0.37;
  f.nodes.push_back(leaf);
  return static_cast<std::int32_t>(f.nodes.size() - 1);
}

/// A tree grown leaf-wise: up to `leaves` leaves, no leaf deeper than `depth`, splits on random
/// features (categorical ones on feature 0 with probability `categorical`).
std::int32_t grow_tree(Forest& f, std::mt19937_64& rng, int leaves, int depth, int cols,
                       double categorical) {
  std::int32_t const root = add_leaf(f, rng);
  std::vector<std::pair<std::int32_t, int>> open = {{root, 0}};  // leaves and their depths
  for (int count = 1; count < leaves && !open.empty();) {
    std::size_t const pick = rng() % open.size();
    auto const [node, level] = open[pick];
    open.erase(open.begin() + static_cast<std::ptrdiff_t>(pick));
    if (level >= depth || f.nodes[node].feature >= 0) continue;  // too deep, or split already
    GbdtNode split;
    split.feature = static_cast<std::int32_t>(rng() % cols);
    split.default_left = static_cast<std::uint8_t>(rng() % 2);
    if (split.feature == 0 && std::uniform_real_distribution<double>()(rng) < categorical) {
      split.categories = static_cast<std::int32_t>(f.bits.size() / kCategoryWords);
      for (int w = 0; w < kCategoryWords; ++w) f.bits.push_back(rng());
    } else {
      split.threshold = kGrid[rng() % std::size(kGrid)];
      if (rng() % 4 == 0) split.threshold = std::normal_distribution<float>(0.0f, 1.0f)(rng);
      if (rng() % 16 == 0) split.threshold = (rng() % 2 == 0 ? 1.0f : -1.0f) * kInf;
    }
    split.left = add_leaf(f, rng);
    split.right = add_leaf(f, rng);
    f.nodes[node] = split;
    open.emplace_back(split.left, level + 1);
    open.emplace_back(split.right, level + 1);
    open.emplace_back(split.left, level + 1);  // deeper trees: the left path is picked more
    count += 1;
  }
  return root;
}

/// rows × cols column-major values: ties with the thresholds, NaN, ±0, ±infinity, codes 0 .. 11
/// and normals.
std::vector<float> random_rows(std::size_t rows, std::size_t cols, std::mt19937_64& rng) {
  std::vector<float> x(rows * cols);
  float const inf = std::numeric_limits<float>::infinity();
  for (float& v : x) {
    switch (rng() % 8) {
      case 0:
        v = std::numeric_limits<float>::quiet_NaN();
        break;
      case 1:
        v = rng() % 2 == 0 ? inf : -inf;
        break;
      case 2:
        v = static_cast<float>(rng() % 12);
        break;
      case 3:
      case 4:
        v = kGrid[rng() % std::size(kGrid)];
        break;
      default:
        v = std::normal_distribution<float>(0.0f, 1.5f)(rng);
    }
  }
  return x;
}

/// base + each tree's leaf, trees in order, walked by node_goes_left.
std::vector<double> walk(Forest const& f, std::vector<float> const& x, std::size_t rows,
                         double base) {
  std::vector<double> margin(rows, base);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::int32_t const root : f.roots) {
      std::int32_t node = root;
      while (f.nodes[node].feature >= 0) {
        GbdtNode const& s = f.nodes[node];
        node = node_goes_left(s, x[s.feature * rows + i], f.bits.data()) ? s.left : s.right;
      }
      margin[i] += f.nodes[node].value;
    }
  }
  return margin;
}

/// Every scoring path: the lockstep walk, QuickScorer by AVX2 and by AVX-512.
constexpr cpu_impl::QuickScorerIsa kIsas[] = {cpu_impl::QuickScorerIsa::none,
                                              cpu_impl::QuickScorerIsa::avx2,
                                              cpu_impl::QuickScorerIsa::avx512};

char const* isa_name(cpu_impl::QuickScorerIsa isa) {
  return isa == cpu_impl::QuickScorerIsa::none   ? "lockstep"
         : isa == cpu_impl::QuickScorerIsa::avx2 ? "QuickScorer AVX2"
                                                 : "QuickScorer AVX-512";
}

void expect_same_bits(std::vector<double> const& got, std::vector<double> const& want,
                      char const* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::memcmp(&got[i], &want[i], sizeof(double)), 0)
        << what << ": row " << i << " got " << got[i] << " want " << want[i];
  }
}

TEST(GbdtScoring, ForestsEqualAPlainWalkBitForBit) {
  std::mt19937_64 rng(20261207);
  std::size_t const cols = 5;
  struct Case {
    char const* what;
    int trees;
    int max_leaves;
    double categorical;
    int wide_every;  // every k-th tree gets 65 .. 100 leaves (0: none)
  };
  for (Case const c :
       {Case{"numeric", 40, 64, 0.0, 0}, Case{"mixed categorical", 40, 64, 0.5, 0},
        Case{"with wide trees", 20, 64, 0.3, 5}, Case{"two chunks", 300, 8, 0.1, 0}}) {
    Forest f;
    for (int t = 0; t < c.trees; ++t) {
      int const depth = t % 16;  // 0 .. 15
      int leaves = 1 + static_cast<int>(rng() % static_cast<unsigned>(c.max_leaves));
      if (c.wide_every > 0 && t % c.wide_every == 1) leaves = 65 + static_cast<int>(rng() % 36);
      f.roots.push_back(grow_tree(f, rng, leaves, c.wide_every > 0 ? 15 + depth : depth,
                                  static_cast<int>(cols), c.categorical));
    }
    for (std::size_t const rows : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9},
                                   std::size_t{257}, std::size_t{1203}}) {
      std::vector<float> const x = random_rows(rows, cols, rng);
      std::vector<double> const want = walk(f, x, rows, -0.125);
      for (int const threads : {1, 2, 3}) {
        std::vector<double> out(rows);
        gbdt_predict_margin(Context::cpu(threads), {x.data(), rows, cols}, f.view(), -0.125, out);
        expect_same_bits(out, want, c.what);
        for (cpu_impl::QuickScorerIsa const isa : kIsas) {
          if (!cpu_impl::quickscorer_cpu_has(isa)) continue;
          std::vector<double> forced(rows);
          cpu_impl::gbdt_predict_margin_isa(Context::cpu(threads), {x.data(), rows, cols}, f.view(),
                                            -0.125, forced, isa);
          expect_same_bits(forced, want, isa_name(isa));
        }
      }
    }
  }
}

TEST(GbdtScoring, QuickScorerAddsEveryTreeInOrderOverAnyRowRange) {
  std::mt19937_64 rng(77);
  std::size_t const cols = 4;
  std::size_t const rows = 301;
  Forest f;
  for (int t = 0; t < 30; ++t) {
    // 64 leaves; numeric trees of 65 .. 100 leaves (walked row by row); any, some categorical.
    int const leaves = t % 3 == 0   ? 64
                       : t % 3 == 1 ? 65 + static_cast<int>(rng() % 36)
                                    : 1 + static_cast<int>(rng() % 64);
    f.roots.push_back(grow_tree(f, rng, leaves, t % 3 == 1 ? 30 : 15, static_cast<int>(cols),
                                t % 3 == 2 ? 0.3 : 0.0));
  }
  std::vector<float> const x = random_rows(rows, cols, rng);
  std::vector<double> const want = walk(f, x, rows, 0.0);
  cpu_impl::QuickScorerForest const quick = cpu_impl::make_quickscorer_forest(f.view(), cols);
  EXPECT_GT(quick.quick_trees, 0u);
  EXPECT_GT(quick.wide_trees, 0u);
  int scanned = 0;
  for (cpu_impl::QuickScorerIsa const isa : kIsas) {
    if (isa == cpu_impl::QuickScorerIsa::none || !cpu_impl::quickscorer_cpu_has(isa)) continue;
    // Three ranges that start and end inside 32-row groups.
    std::vector<double> out(rows, 0.0);
    for (auto const& [begin, end] :
         {std::pair<std::size_t, std::size_t>{0, 3}, {3, 150}, {150, 301}}) {
      cpu_impl::quickscorer_add_rows({x.data(), rows, cols}, f.view(), quick, begin, end,
                                     out.data(), isa);
    }
    expect_same_bits(out, want, isa_name(isa));
    scanned += 1;
  }
  if (scanned == 0) GTEST_SKIP() << "neither AVX2 nor AVX-512 on this CPU";
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels
