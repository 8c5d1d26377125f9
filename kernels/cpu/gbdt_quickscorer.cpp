// QuickScorer for the CPU twin's scoring (kernels/cpu/gbdt_quickscorer.hpp has the contract and
// the method).
#include "kernels/cpu/gbdt_quickscorer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string_view>
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

/// Rows scored together: two AVX-512 vectors of 16 floats, or eight AVX2 vectors of 4 doubles.
constexpr std::size_t kQuickGroupRows = 32;

/// One tree's words of a group of rows (lane r: the leaves row r may still reach).
struct alignas(64) QuickWords {
  std::uint64_t lane[kQuickGroupRows];
};

/// out[i + r] += the chunk's trees' leaf values of rows r < lanes, in tree order (the exit leaf
/// of a QuickScorer tree: the lowest bit left in its word; other trees walked row by row).
void quick_add_leaves(FeatureMatrix x, ForestView forest, QuickScorerChunk const& chunk,
                      std::size_t i, std::size_t lanes, QuickWords const* words, double* out) {
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

#if defined(__x86_64__)
/// Feature j's values of rows i .. i + lanes − 1 (lanes <= kQuickGroupRows), the lanes past
/// them −infinity: no threshold (not NaN) is passed by −infinity in either list.
float const* quick_values(FeatureMatrix x, std::size_t j, std::size_t i, std::size_t lanes,
                          float* padded) {
  if (lanes == kQuickGroupRows) return x.column(j) + i;
  std::fill(padded, padded + kQuickGroupRows, -std::numeric_limits<float>::infinity());
  std::copy_n(x.column(j) + i, lanes, padded);
  return padded;
}

/// AVX-512: words[n.tree] &= n.mask in the lanes where right[v] is set.
__attribute__((target("avx512f"))) inline void quick_clear_avx512(QuickWords* words,
                                                                  QuickScorerNode const& n,
                                                                  __mmask16 const* right) {
  __m512i const mask = _mm512_set1_epi64(static_cast<long long>(n.mask));
  std::uint64_t* w = words[n.tree].lane;
  for (std::size_t v = 0; v < 2; ++v) {
    __m512i const lo = _mm512_load_si512(w + 16 * v);
    __m512i const hi = _mm512_load_si512(w + 16 * v + 8);
    _mm512_store_si512(w + 16 * v,
                       _mm512_mask_and_epi64(lo, static_cast<__mmask8>(right[v]), lo, mask));
    _mm512_store_si512(w + 16 * v + 8,
                       _mm512_mask_and_epi64(hi, static_cast<__mmask8>(right[v] >> 8), hi, mask));
  }
}

/// AVX-512: the false nodes of nodes[first .. last) (sorted by threshold) cleared in the group's
/// words, comparing by `kPredicate` (_CMP_GT_OQ for default-left, _CMP_NLE_UQ for default-right).
template <int kPredicate>
__attribute__((target("avx512f"))) inline void quick_scan_avx512(QuickScorerNode const* nodes,
                                                                 std::uint32_t first,
                                                                 std::uint32_t last,
                                                                 __m512 const* value,
                                                                 QuickWords* words) {
  for (std::uint32_t k = first; k < last; ++k) {
    __m512 const threshold = _mm512_set1_ps(nodes[k].threshold);
    __mmask16 const right[2] = {_mm512_cmp_ps_mask(value[0], threshold, kPredicate),
                                _mm512_cmp_ps_mask(value[1], threshold, kPredicate)};
    if ((right[0] | right[1]) == 0) break;
    quick_clear_avx512(words, nodes[k], right);
  }
}

/// AVX-512: one chunk's false nodes cleared in the words of rows i .. i + lanes − 1.
__attribute__((target("avx512f"))) void quick_group_avx512(FeatureMatrix x,
                                                           QuickScorerChunk const& chunk,
                                                           std::size_t i, std::size_t lanes,
                                                           QuickWords* words) {
  __m512i const all = _mm512_set1_epi64(-1);
  for (std::size_t s = 0; s < chunk.slots; ++s) {
    for (std::size_t r = 0; r < kQuickGroupRows; r += 8) _mm512_store_si512(words[s].lane + r, all);
  }
  alignas(64) float padded[kQuickGroupRows];
  std::uint32_t const* offsets = chunk.offsets.data();
  for (std::size_t j = 0; j < x.cols; ++j, offsets += 2) {
    if (offsets[0] == offsets[2]) continue;
    float const* values = quick_values(x, j, i, lanes, padded);
    __m512 const value[2] = {_mm512_loadu_ps(values), _mm512_loadu_ps(values + 16)};
    // Default-left nodes: false when value > threshold (NaN: never).
    quick_scan_avx512<_CMP_GT_OQ>(chunk.nodes.data(), offsets[0], offsets[1], value, words);
    // Default-right nodes: false when !(value <= threshold) (NaN: always).
    quick_scan_avx512<_CMP_NLE_UQ>(chunk.nodes.data(), offsets[1], offsets[2], value, words);
  }
}

/// AVX2: the false nodes of nodes[first .. last) (sorted by threshold) cleared in the group's
/// words, comparing by `kPredicate`, up to the first threshold that `top` does not pass, i.e. no
/// lane passes: top is the largest non-NaN value, or NaN (passes every node) when the list is
/// default-right and a lane is NaN. The values are widened to doubles (exact, NaN kept), so a
/// compare of 4 of them is the 64-bit lane mask of their 4 words: word &= ~(lane & ~mask).
template <int kPredicate>
__attribute__((target("avx2"))) inline void quick_scan_avx2(QuickScorerNode const* nodes,
                                                            std::uint32_t first, std::uint32_t last,
                                                            float top, __m256d const* value,
                                                            QuickWords* words) {
  for (std::uint32_t k = first; k < last && !(top <= nodes[k].threshold); ++k) {
    __m256d const threshold = _mm256_set1_pd(static_cast<double>(nodes[k].threshold));
    __m256i const clear = _mm256_set1_epi64x(static_cast<long long>(~nodes[k].mask));
    auto* w = reinterpret_cast<__m256i*>(words[nodes[k].tree].lane);
    for (std::size_t v = 0; v < 8; ++v) {
      __m256i const lanes = _mm256_and_si256(
          _mm256_castpd_si256(_mm256_cmp_pd(value[v], threshold, kPredicate)), clear);
      _mm256_store_si256(w + v, _mm256_andnot_si256(lanes, _mm256_load_si256(w + v)));
    }
  }
}

/// AVX2: one chunk's false nodes cleared in the words of rows i .. i + lanes − 1.
__attribute__((target("avx2"))) void quick_group_avx2(FeatureMatrix x,
                                                      QuickScorerChunk const& chunk, std::size_t i,
                                                      std::size_t lanes, QuickWords* words) {
  __m256i const all = _mm256_set1_epi64x(-1);
  for (std::size_t s = 0; s < chunk.slots; ++s) {
    for (std::size_t r = 0; r < kQuickGroupRows; r += 4) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(words[s].lane + r), all);
    }
  }
  alignas(64) float padded[kQuickGroupRows];
  float const inf = std::numeric_limits<float>::infinity();
  std::uint32_t const* offsets = chunk.offsets.data();
  for (std::size_t j = 0; j < x.cols; ++j, offsets += 2) {
    if (offsets[0] == offsets[2]) continue;
    float const* values = quick_values(x, j, i, lanes, padded);
    __m256d value[8];
    // The largest non-NaN value (_mm256_max_ps gives its second operand when one is NaN).
    __m256 top = _mm256_set1_ps(-inf);
    __m256 nan = _mm256_setzero_ps();
    for (std::size_t v = 0; v < 4; ++v) {
      __m256 const eight = _mm256_loadu_ps(values + 8 * v);
      top = _mm256_max_ps(eight, top);
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(eight, eight, _CMP_UNORD_Q));
      value[2 * v] = _mm256_cvtps_pd(_mm256_castps256_ps128(eight));
      value[2 * v + 1] = _mm256_cvtps_pd(_mm256_extractf128_ps(eight, 1));
    }
    alignas(32) float tops[8];
    _mm256_store_ps(tops, top);
    float const largest = *std::max_element(tops, tops + 8);
    // Default-left nodes: false when value > threshold (NaN: never).
    quick_scan_avx2<_CMP_GT_OQ>(chunk.nodes.data(), offsets[0], offsets[1], largest, value, words);
    // Default-right nodes: false when !(value <= threshold) (NaN: always).
    quick_scan_avx2<_CMP_NLE_UQ>(
        chunk.nodes.data(), offsets[1], offsets[2],
        _mm256_movemask_ps(nan) != 0 ? std::numeric_limits<float>::quiet_NaN() : largest, value,
        words);
  }
}
#endif

/// CIE_GBDT_QUICKSCORER as an ISA (unset or unknown: avx512, i.e. no cap).
QuickScorerIsa quick_isa_cap() {
  char const* text = std::getenv("CIE_GBDT_QUICKSCORER");
  if (text == nullptr) return QuickScorerIsa::avx512;
  std::string_view const name = text;
  if (name == "off") return QuickScorerIsa::none;
  if (name == "avx2") return QuickScorerIsa::avx2;
  return QuickScorerIsa::avx512;
}

}  // namespace

bool quickscorer_cpu_has(QuickScorerIsa isa) {
#if defined(__x86_64__)
  static bool const avx512 = __builtin_cpu_supports("avx512f");
  static bool const avx2 = __builtin_cpu_supports("avx2");
  return isa == QuickScorerIsa::none || (isa == QuickScorerIsa::avx2 && avx2) ||
         (isa == QuickScorerIsa::avx512 && avx512);
#else
  return isa == QuickScorerIsa::none;
#endif
}

QuickScorerIsa quickscorer_isa() {
  static QuickScorerIsa const isa = [] {
    QuickScorerIsa best = QuickScorerIsa::none;
    if (quickscorer_cpu_has(QuickScorerIsa::avx2)) best = QuickScorerIsa::avx2;
    if (quickscorer_cpu_has(QuickScorerIsa::avx512)) best = QuickScorerIsa::avx512;
    return std::min(best, quick_isa_cap());
  }();
  return isa;
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
                          std::size_t begin, std::size_t end, double* out, QuickScorerIsa isa) {
  CIE_ASSERT(isa != QuickScorerIsa::none && quickscorer_cpu_has(isa));
  std::size_t slots = 0;
  for (QuickScorerChunk const& chunk : quick.chunks) slots = std::max(slots, chunk.slots);
  std::vector<QuickWords> words(slots);
  for (std::size_t i = begin; i < end; i += kQuickGroupRows) {
    std::size_t const lanes = std::min(kQuickGroupRows, end - i);
    for (QuickScorerChunk const& chunk : quick.chunks) {
#if defined(__x86_64__)
      if (isa == QuickScorerIsa::avx512) {
        quick_group_avx512(x, chunk, i, lanes, words.data());
      } else {
        quick_group_avx2(x, chunk, i, lanes, words.data());
      }
#endif
      quick_add_leaves(x, forest, chunk, i, lanes, words.data(), out);
    }
  }
}

}  // namespace cie::kernels::cpu_impl
