// CPU twin of kernels/gbdt.hpp's scoring: gbdt_predict_margin and score_gbdt_batches.
//
// Blocks of rows go through the forest, parallel over blocks. On a CPU with AVX-512F or AVX2, a
// forest whose trees with numeric splits all have at most 64 leaves is scored by QuickScorer
// (kernels/cpu/gbdt_quickscorer.hpp: no walks; trees with a categorical split walked row by row
// in their place). Otherwise each tree in turn (a block's margins stay in L1 while every tree is
// walked): a tree with numeric splits only is walked by groups of 8 rows in lockstep on a
// compact copy of its nodes (16 bytes each; a leaf points to itself), with a conditional move
// per step instead of a branch, until every row of the group is at its leaf (at most the tree's
// depth + 1 steps): the rows' walks are independent, so their loads overlap and no step
// mispredicts (8 rows measured faster than 16 or 4: fewer steps wasted on the group's deepest
// row, enough walks in flight). A tree with a categorical split is walked row by row. Either way
// each row's margin is base plus its leaves' values added in tree order, the same double
// additions as before and on the CUDA twin.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "kernels/cpu/gbdt_quickscorer.hpp"
#include "kernels/gbdt.hpp"

namespace cie::kernels {
namespace {

/// Rows per block of the scoring pass.
constexpr std::size_t kGbdtScoreBlockRows = 256;
/// Rows walked in lockstep through a numeric tree.
constexpr std::size_t kGbdtScoreLanes = 8;
/// Below this many row × node operations scoring runs on the calling thread.
constexpr std::int64_t kGbdtScoreParallelWork = 1 << 18;

/// A node of the lockstep walk: x[feature] <= threshold (NaN: default_left) goes to child[0],
/// else to child[1]. A leaf has both children itself and no kInner bit (feature 0, any
/// threshold), so lanes that reached their leaf stay there.
struct LockstepNode {
  float threshold = 0.0f;
  std::uint32_t flags = 0;  ///< feature | kInner | kDefaultLeft
  std::int32_t child[2] = {0, 0};
};
constexpr std::uint32_t kLockstepDefaultLeft = std::uint32_t{1} << 31;
constexpr std::uint32_t kLockstepInner = std::uint32_t{1} << 30;
constexpr std::uint32_t kLockstepFeature = kLockstepInner - 1;

/// Per tree: whether it is walked in lockstep, its depth (edges on its longest path) and its
/// root's index in the lockstep nodes (the same as in forest.nodes).
struct LockstepForest {
  std::vector<LockstepNode> nodes;
  std::vector<int> depth;  ///< per tree; −1: has a categorical split (walked row by row)
};

int gbdt_tree_depth(ForestView forest, std::int32_t node) {
  GbdtNode const& n = forest.nodes[node];
  if (n.feature < 0) return 0;
  return 1 + std::max(gbdt_tree_depth(forest, n.left), gbdt_tree_depth(forest, n.right));
}

bool gbdt_tree_numeric(ForestView forest, std::int32_t node) {
  GbdtNode const& n = forest.nodes[node];
  if (n.feature < 0) return true;
  return n.categories < 0 && gbdt_tree_numeric(forest, n.left) &&
         gbdt_tree_numeric(forest, n.right);
}

LockstepForest make_lockstep_forest(ForestView forest) {
  LockstepForest out;
  out.nodes.resize(forest.nodes.size());
  for (std::size_t k = 0; k < forest.nodes.size(); ++k) {
    GbdtNode const& n = forest.nodes[k];
    LockstepNode& node = out.nodes[k];
    if (n.feature < 0) {
      node.child[0] = node.child[1] = static_cast<std::int32_t>(k);
      continue;
    }
    node.threshold = n.threshold;
    node.flags = static_cast<std::uint32_t>(n.feature) | kLockstepInner |
                 (n.default_left != 0 ? kLockstepDefaultLeft : 0u);
    node.child[0] = n.left;
    node.child[1] = n.right;
  }
  for (std::int32_t const root : forest.roots) {
    out.depth.push_back(gbdt_tree_numeric(forest, root) ? gbdt_tree_depth(forest, root) : -1);
  }
  return out;
}

/// The same for a numeric tree of depth `depth`, kGbdtScoreLanes rows at a time in lockstep.
void gbdt_walk_lockstep(FeatureMatrix x, ForestView forest, LockstepNode const* nodes,
                        std::int32_t root, int depth, std::size_t begin, std::size_t end,
                        double* out) {
  std::size_t i = begin;
  for (; i + kGbdtScoreLanes <= end; i += kGbdtScoreLanes) {
    std::int32_t lane[kGbdtScoreLanes];
    for (std::int32_t& node : lane) node = root;
    // At most depth + 1 steps: stop after a step in which every lane was at its leaf.
    for (int step = 0; step <= depth; ++step) {
      std::uint32_t inner = 0;
      for (std::size_t r = 0; r < kGbdtScoreLanes; ++r) {
        LockstepNode const& n = nodes[lane[r]];
        inner |= n.flags;
        float const value = x.column(n.flags & kLockstepFeature)[i + r];
        bool const missing = value != value;
        bool const left =
            (value <= n.threshold) | (missing & ((n.flags & kLockstepDefaultLeft) != 0));
        lane[r] = n.child[left ? 0 : 1];
      }
      if ((inner & kLockstepInner) == 0) break;
    }
    for (std::size_t r = 0; r < kGbdtScoreLanes; ++r) out[i + r] += forest.nodes[lane[r]].value;
  }
  cpu_impl::gbdt_walk_rows(x, forest, root, i, end, out);
}

}  // namespace

namespace cpu_impl {

void gbdt_walk_rows(FeatureMatrix x, ForestView forest, std::int32_t root, std::size_t begin,
                    std::size_t end, double* out) {
  for (std::size_t i = begin; i < end; ++i) {
    std::int32_t node = root;
    while (forest.nodes[node].feature >= 0) {
      GbdtNode const& split = forest.nodes[node];
      float const value = x.column(static_cast<std::size_t>(split.feature))[i];
      node = node_goes_left(split, value, forest.category_bits.data()) ? split.left : split.right;
    }
    out[i] += forest.nodes[node].value;
  }
}

void gbdt_predict_margin(Context const& ctx, FeatureMatrix x, ForestView forest, double base,
                         std::span<double> out) {
  gbdt_predict_margin_isa(ctx, x, forest, base, out, quickscorer_isa());
}

void gbdt_predict_margin_isa(Context const& ctx, FeatureMatrix x, ForestView forest, double base,
                             std::span<double> out, QuickScorerIsa isa) {
  CIE_ASSERT(out.size() == x.rows && quickscorer_cpu_has(isa));
  QuickScorerForest const quick =
      isa != QuickScorerIsa::none ? make_quickscorer_forest(forest, x.cols) : QuickScorerForest{};
  bool const use_quick = quick.quick_trees > 0 && quick.wide_trees == 0;
  LockstepForest const lockstep = use_quick ? LockstepForest{} : make_lockstep_forest(forest);
  auto const blocks =
      static_cast<std::int64_t>((x.rows + kGbdtScoreBlockRows - 1) / kGbdtScoreBlockRows);
#pragma omp parallel for num_threads(ctx.threads())                                  \
    schedule(static) if (static_cast <std::int64_t>(x.rows * forest.nodes.size()) >= \
                         kGbdtScoreParallelWork)
  for (std::int64_t block = 0; block < blocks; ++block) {
    std::size_t const begin = static_cast<std::size_t>(block) * kGbdtScoreBlockRows;
    std::size_t const end = std::min(x.rows, begin + kGbdtScoreBlockRows);
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(begin),
              out.begin() + static_cast<std::ptrdiff_t>(end), base);
    if (use_quick) {
      quickscorer_add_rows(x, forest, quick, begin, end, out.data(), isa);
      continue;
    }
    for (std::size_t t = 0; t < forest.roots.size(); ++t) {
      std::int32_t const root = forest.roots[t];
      if (lockstep.depth[t] < 0) {
        gbdt_walk_rows(x, forest, root, begin, end, out.data());
      } else {
        gbdt_walk_lockstep(x, forest, lockstep.nodes.data(), root, lockstep.depth[t], begin, end,
                           out.data());
      }
    }
  }
}

void score_gbdt_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                        std::size_t cols, EncodeBatch const& encode, ForestView forest, double base,
                        bool probability, std::span<double> out, BatchDone const& on_batch_done) {
  CIE_ASSERT(batch_rows >= 1 && cols >= 1 && encode && out.size() == rows);
  if (rows == 0) return;
  std::size_t const batch = std::min(batch_rows, rows);
  std::vector<float> x(batch * cols);
  for (std::size_t begin = 0; begin < rows; begin += batch) {
    std::size_t const end = std::min(rows, begin + batch);
    encode(begin, end, x.data());
    std::span<double> const margin = out.subspan(begin, end - begin);
    cpu_impl::gbdt_predict_margin(ctx, {x.data(), end - begin, cols}, forest, base, margin);
    if (probability) {
      for (double& value : margin) value = stable_sigmoid(value);
    }
    if (on_batch_done) on_batch_done(begin, end);
  }
}

}  // namespace cpu_impl
}  // namespace cie::kernels
