// QuickScorer for the CPU twin's scoring (kernels/cpu/gbdt_quickscorer.hpp has the contract and
// the method).
#include "kernels/cpu/gbdt_quickscorer.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "core/error.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cie::kernels::cpu_impl {
namespace {

/// Whether the tree at `node` can be scored by QuickScorer: numeric splits with thresholds that
/// order (no NaN); counts its leaves into `leaves`.
bool quick_tree_fits(ForestView forest, std::int32_t node, std::size_t& leaves) {
  GbdtNode const& n = forest.nodes[node];
  if (n.feature < 0) {
    leaves += 1;
    return true;
  }
  return n.categories < 0 && !std::isnan(n.threshold) && quick_tree_fits(forest, n.left, leaves) &&
         quick_tree_fits(forest, n.right, leaves);
}

/// An inner node on its way into its feature's list.
struct QuickPending {
  std::int32_t feature = 0;
  bool default_right = false;
  QuickScorerNode node;
};

/// Numbers the leaves under `node` from `next_leaf` on, left to right, storing their values at
/// leaf_values[leaf number], and lists its inner nodes with the masks of their left subtrees.
void quick_tree_emit(ForestView forest, std::int32_t node, std::uint32_t slot,
                     std::size_t& next_leaf, double* leaf_values,
                     std::vector<QuickPending>& pending) {
  GbdtNode const& n = forest.nodes[node];
  if (n.feature < 0) {
    leaf_values[next_leaf++] = n.value;
    return;
  }
  std::size_t const first = next_leaf;
  quick_tree_emit(forest, n.left, slot, next_leaf, leaf_values, pending);
  // The left subtree holds leaves first .. next_leaf − 1: fewer than 64, the right one has one.
  std::uint64_t const left_leaves = ((std::uint64_t{1} << (next_leaf - first)) - 1) << first;
  pending.push_back({n.feature, n.default_left == 0, {n.threshold, slot, ~left_leaves}});
  quick_tree_emit(forest, n.right, slot, next_leaf, leaf_values, pending);
}

/// The chunk's per-feature lists from its pending nodes.
void quick_chunk_lists(std::vector<QuickPending>& pending, std::size_t cols,
                       QuickScorerChunk& chunk) {
  std::stable_sort(pending.begin(), pending.end(),
                   [](QuickPending const& a, QuickPending const& b) {
                     return std::tie(a.feature, a.default_right, a.node.threshold) <
                            std::tie(b.feature, b.default_right, b.node.threshold);
                   });
  chunk.offsets.assign(2 * cols + 1, 0);
  for (QuickPending const& p : pending) {
    CIE_ASSERT(p.feature >= 0 && static_cast<std::size_t>(p.feature) < cols);
    chunk.offsets[2 * static_cast<std::size_t>(p.feature) + (p.default_right ? 2 : 1)] += 1;
    chunk.nodes.push_back(p.node);
  }
  for (std::size_t k = 1; k < chunk.offsets.size(); ++k) {
    chunk.offsets[k] += chunk.offsets[k - 1];
  }
  pending.clear();
}

/// Rows scored together: 16 per value vector (AVX-512), kQuickVectors vectors per group.
constexpr std::size_t kQuickVectors = 2;
constexpr std::size_t kQuickGroupRows = 16 * kQuickVectors;

/// One tree's words of a group of rows (lane r: the leaves row r may still reach).
struct alignas(64) QuickWords {
  std::uint64_t lane[kQuickGroupRows];
};

#if defined(__x86_64__)
/// words[n.tree] &= n.mask in the lanes where right[v] is set.
__attribute__((target("avx512f"))) inline void quick_clear(QuickWords* words,
                                                           QuickScorerNode const& n,
                                                           __mmask16 const* right) {
  __m512i const mask = _mm512_set1_epi64(static_cast<long long>(n.mask));
  std::uint64_t* w = words[n.tree].lane;
  for (std::size_t v = 0; v < kQuickVectors; ++v) {
    __m512i const lo = _mm512_load_si512(w + 16 * v);
    __m512i const hi = _mm512_load_si512(w + 16 * v + 8);
    _mm512_store_si512(w + 16 * v,
                       _mm512_mask_and_epi64(lo, static_cast<__mmask8>(right[v]), lo, mask));
    _mm512_store_si512(w + 16 * v + 8,
                       _mm512_mask_and_epi64(hi, static_cast<__mmask8>(right[v] >> 8), hi, mask));
  }
}

/// One chunk's trees added to the rows i .. i + lanes − 1 (lanes <= kQuickGroupRows).
__attribute__((target("avx512f"))) void quick_group_avx512(FeatureMatrix x, ForestView forest,
                                                           QuickScorerChunk const& chunk,
                                                           std::size_t i, std::size_t lanes,
                                                           QuickWords* words, double* out) {
  __mmask16 live[kQuickVectors];
  for (std::size_t v = 0; v < kQuickVectors; ++v) {
    std::size_t const n = std::min<std::size_t>(16, lanes > 16 * v ? lanes - 16 * v : 0);
    live[v] = static_cast<__mmask16>((1u << n) - 1);
  }
  __m512i const all = _mm512_set1_epi64(-1);
  for (std::size_t s = 0; s < chunk.slots; ++s) {
    for (std::size_t r = 0; r < kQuickGroupRows; r += 8) _mm512_store_si512(words[s].lane + r, all);
  }
  QuickScorerNode const* nodes = chunk.nodes.data();
  std::uint32_t const* offsets = chunk.offsets.data();
  for (std::size_t j = 0; j < x.cols; ++j, offsets += 2) {
    if (offsets[0] == offsets[2]) continue;
    __m512 value[kQuickVectors];
    for (std::size_t v = 0; v < kQuickVectors; ++v) {
      value[v] = _mm512_maskz_loadu_ps(live[v], x.column(j) + i + 16 * v);
    }
    // Default-left nodes: false when value > threshold (NaN: never).
    for (std::uint32_t k = offsets[0]; k < offsets[1]; ++k) {
      __mmask16 right[kQuickVectors];
      unsigned any = 0;
      for (std::size_t v = 0; v < kQuickVectors; ++v) {
        right[v] = _mm512_mask_cmp_ps_mask(live[v], value[v], _mm512_set1_ps(nodes[k].threshold),
                                           _CMP_GT_OQ);
        any |= right[v];
      }
      if (any == 0) break;
      quick_clear(words, nodes[k], right);
    }
    // Default-right nodes: false when !(value <= threshold) (NaN: always).
    for (std::uint32_t k = offsets[1]; k < offsets[2]; ++k) {
      __mmask16 right[kQuickVectors];
      unsigned any = 0;
      for (std::size_t v = 0; v < kQuickVectors; ++v) {
        right[v] = _mm512_mask_cmp_ps_mask(live[v], value[v], _mm512_set1_ps(nodes[k].threshold),
                                           _CMP_NLE_UQ);
        any |= right[v];
      }
      if (any == 0) break;
      quick_clear(words, nodes[k], right);
    }
  }
  for (std::size_t t = chunk.first_tree; t < chunk.last_tree; ++t) {
    std::int32_t const slot = chunk.slot[t - chunk.first_tree];
    if (slot < 0) {
      gbdt_walk_rows(x, forest, forest.roots[t], i, i + lanes, out);
      continue;
    }
    std::uint64_t const* exit_words = words[slot].lane;
    double const* leaf =
        chunk.leaf_values.data() + static_cast<std::size_t>(slot) * kQuickScorerMaxLeaves;
    for (std::size_t r = 0; r < lanes; ++r) {
      out[i + r] += leaf[__builtin_ctzll(exit_words[r])];
    }
  }
}
#endif

}  // namespace

bool quickscorer_supported() {
#if defined(__x86_64__)
  static bool const supported = __builtin_cpu_supports("avx512f");
  return supported;
#else
  return false;
#endif
}

QuickScorerForest make_quickscorer_forest(ForestView forest, std::size_t cols) {
  QuickScorerForest quick;
  std::vector<QuickPending> pending;
  QuickScorerChunk chunk;
  for (std::size_t t = 0; t < forest.roots.size(); ++t) {
    if (chunk.slots == kQuickScorerChunkTrees) {
      chunk.last_tree = t;
      quick_chunk_lists(pending, cols, chunk);
      quick.chunks.push_back(std::move(chunk));
      chunk = QuickScorerChunk{};
      chunk.first_tree = t;
    }
    std::size_t leaves = 0;
    bool const fits = quick_tree_fits(forest, forest.roots[t], leaves);
    if (!fits || leaves > kQuickScorerMaxLeaves) {
      if (fits) quick.wide_trees += 1;
      chunk.slot.push_back(-1);
      continue;
    }
    auto const slot = static_cast<std::uint32_t>(chunk.slots++);
    chunk.slot.push_back(static_cast<std::int32_t>(slot));
    chunk.leaf_values.resize(chunk.slots * kQuickScorerMaxLeaves, 0.0);
    std::size_t next_leaf = 0;
    quick_tree_emit(forest, forest.roots[t], slot, next_leaf,
                    chunk.leaf_values.data() + slot * kQuickScorerMaxLeaves, pending);
    quick.quick_trees += 1;
  }
  chunk.last_tree = forest.roots.size();
  quick_chunk_lists(pending, cols, chunk);
  quick.chunks.push_back(std::move(chunk));
  return quick;
}

void quickscorer_add_rows(FeatureMatrix x, ForestView forest, QuickScorerForest const& quick,
                          std::size_t begin, std::size_t end, double* out) {
#if defined(__x86_64__)
  CIE_ASSERT(quickscorer_supported());
  std::size_t slots = 0;
  for (QuickScorerChunk const& chunk : quick.chunks) slots = std::max(slots, chunk.slots);
  std::vector<QuickWords> words(slots);
  for (std::size_t i = begin; i < end; i += kQuickGroupRows) {
    std::size_t const lanes = std::min(kQuickGroupRows, end - i);
    for (QuickScorerChunk const& chunk : quick.chunks) {
      quick_group_avx512(x, forest, chunk, i, lanes, words.data(), out);
    }
  }
#else
  static_cast<void>(x);
  static_cast<void>(forest);
  static_cast<void>(quick);
  static_cast<void>(begin);
  static_cast<void>(end);
  static_cast<void>(out);
  CIE_ASSERT(false);
#endif
}

}  // namespace cie::kernels::cpu_impl
