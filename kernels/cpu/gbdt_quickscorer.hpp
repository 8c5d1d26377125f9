// The CPU twin's fast forest scoring (internal to kernels/cpu/gbdt_predict.cpp and
// gbdt_quickscorer.cpp): QuickScorer (Lucchese et al., SIGIR 2015), vectorized over groups of
// 32 rows as in V-QuickScorer, for trees with numeric splits only and at most 64 leaves.
//
// Each tree's leaves are numbered left to right, one bit each of a 64-bit word. An inner node
// is "false" for a row when the row goes right there; its mask clears the bits of the leaves of
// its left subtree. ANDing the masks of all false nodes of a tree into an all-ones word leaves
// the row's exit leaf as the lowest set bit (the QuickScorer theorem: every leaf left of the
// exit leaf lies in the left subtree of a false node on or off its path, and no false node's
// left subtree holds the exit leaf). The false nodes are found without walking: per feature,
// the nodes splitting on it are sorted by threshold, so for a row value x they are a prefix of
// the list (those with threshold < x) and a scan stops at the first threshold no row passes.
//
// Missing values: a node goes left on x <= threshold, and on NaN when default_left. Each
// feature keeps two sorted lists: default-left nodes, false when x > threshold (ordered compare:
// NaN never false), and default-right nodes, false when !(x <= threshold) (unordered: NaN always
// false). Both are monotone in x for non-missing values, so the prefix scan is exact; a group
// with a NaN lane scans its default-right list to the end. Each row's margin is then base plus
// its leaves' values added in tree order (trees QuickScorer cannot take are walked row by row
// in their place), so the result is the same bits as the tree walk.
//
// Cost per group of 32 rows: per node whose threshold some lane's value passes (with 10% missing
// values nearly every node: a group's largest value passes most thresholds), compares and ANDs
// of the 32 words (256 bytes) under the lanes' masks, instead of depth steps per row and tree.
// AVX-512: two compares of 16 floats, four masked 64-byte ANDs, the stop test on the compare
// masks. AVX2: the values widened to doubles (exact, NaN kept) so that a compare of 4 of them
// (_CMP_GT_OQ / _CMP_NLE_UQ, as for AVX-512) is the 64-bit lane mask of their 4 words; eight
// compares and eight word &= ~(lanes & ~mask); the stop test a scalar compare with the group's
// largest non-NaN value (NaN, which passes every node, for the default-right list when a lane
// is NaN). The lists and the leaf sums are shared. The groups' words of a chunk of 128 trees
// take 32 KiB (L1); the node lists, 16 bytes per inner node, stay in L2. 32-row groups measured
// faster than 16, 48 or 64 (AVX-512). Requires AVX2 at run time (quickscorer_isa); elsewhere the
// caller walks the trees (lockstep). CIE_GBDT_QUICKSCORER (avx512, avx2 or off; read once) caps
// the ISA used, for benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/feature_matrix.hpp"
#include "kernels/gbdt.hpp"

namespace cie::kernels::cpu_impl {

/// The most leaves of a tree QuickScorer scores (one bit each of a word).
inline constexpr std::size_t kQuickScorerMaxLeaves = 64;
/// The most QuickScorer trees in one chunk: a group's 32 words per tree (256 bytes) stay in L1.
inline constexpr std::size_t kQuickScorerChunkTrees = 128;

/// An inner node in a feature's list: false for the row when its value passes threshold.
struct QuickScorerNode {
  float threshold = 0.0f;
  std::uint32_t tree = 0;  ///< the tree's slot in its chunk
  std::uint64_t mask = 0;  ///< all ones but the bits of the left subtree's leaves
};

/// The trees roots[first_tree .. last_tree) of a forest.
struct QuickScorerChunk {
  std::size_t first_tree = 0;
  std::size_t last_tree = 0;
  /// Per tree of the range: its slot (0 .. slots − 1), or −1 if it is walked row by row
  /// (a categorical split, more than 64 leaves, or a NaN threshold).
  std::vector<std::int32_t> slot;
  std::size_t slots = 0;
  /// Feature j's default-left nodes are nodes[offsets[2j] .. offsets[2j + 1]), its default-right
  /// nodes nodes[offsets[2j + 1] .. offsets[2j + 2]), each sorted by threshold.
  std::vector<QuickScorerNode> nodes;
  std::vector<std::uint32_t> offsets;
  std::vector<double> leaf_values;  ///< slot × kQuickScorerMaxLeaves + leaf number
};

/// A forest prepared for QuickScorer: consecutive chunks covering all its trees.
struct QuickScorerForest {
  std::vector<QuickScorerChunk> chunks;
  std::size_t quick_trees = 0;  ///< trees with a slot (0: nothing for QuickScorer to do)
  std::size_t wide_trees = 0;   ///< numeric trees with more than 64 leaves (walked row by row)
};

/// The instruction sets of the QuickScorer scan, in order of preference.
enum class QuickScorerIsa : std::uint8_t { none, avx2, avx512 };

/// Whether this CPU has `isa` (none: always).
bool quickscorer_cpu_has(QuickScorerIsa isa);

/// The ISA gbdt_predict_margin uses: the best this CPU has, capped by CIE_GBDT_QUICKSCORER
/// (none: the lockstep walk). Read once.
QuickScorerIsa quickscorer_isa();

/// The QuickScorer form of `forest`, whose split features are below `cols`. O(nodes log nodes).
QuickScorerForest make_quickscorer_forest(ForestView forest, std::size_t cols);

/// out[i] += Σ over the forest's trees, in order, of row i's leaf value, for rows [begin, end)
/// of x, scanned with `isa` (not none; quickscorer_cpu_has(isa) must hold). The same bits as
/// adding gbdt_walk_rows tree by tree, whichever the ISA.
void quickscorer_add_rows(FeatureMatrix x, ForestView forest, QuickScorerForest const& quick,
                          std::size_t begin, std::size_t end, double* out, QuickScorerIsa isa);

/// gbdt_predict_margin (kernels/gbdt.hpp) with QuickScorer scanning by `isa` (none: the
/// lockstep walk; quickscorer_cpu_has(isa) must hold); gbdt_predict_margin passes
/// quickscorer_isa(). For tests and benchmarks of each path (gbdt_predict.cpp).
void gbdt_predict_margin_isa(Context const& ctx, FeatureMatrix x, ForestView forest, double base,
                             std::span<double> out, QuickScorerIsa isa);

/// out[i] += the leaf value of rows [begin, end) of x in the tree rooted at nodes[root], walked
/// row by row (any split; gbdt_predict.cpp).
void gbdt_walk_rows(FeatureMatrix x, ForestView forest, std::int32_t root, std::size_t begin,
                    std::size_t end, double* out);

}  // namespace cie::kernels::cpu_impl
