// Growing one regression tree on quantized gradients (internal to models/gbdt).
//
// The sampled rows are kept in one index array; every leaf owns a contiguous range of it, split
// by a stable partition (left rows first, each side in row order). A leaf's histogram is built
// only for the smaller child of a split; the larger child's is the parent's minus it, in place
// (kernels/gbdt.hpp). Best split of a leaf: for every sampled feature and every boundary between
// value bins, the missing rows are tried on the right and on the left, and the better side is the
// split's learned default direction (with no missing rows in the leaf, missing values later go to
// the child with the larger hessian sum); the boundary after the last value bin separates the
// missing rows from all others. A candidate must leave each child at least min_data_in_leaf rows
// and min_child_weight hessian and have gain > min_split_gain. Ties keep the first candidate in
// (feature, bin, missing right before left) order, so the tree depends on nothing but the data.
// Categorical features (category_levels > 0): with at most max_cat_to_onehot levels, each level
// present in the leaf against the rest; with more, the levels with at least cat_smooth rows in
// the leaf are sorted by Σg / (Σh + cat_smooth) (ties: the lower code) and the first 1 ..
// max_cat_threshold of them from either end form the left set, each prefix step adding at least
// min_data_per_group rows and the right side keeping as many, the gain and the two children's
// values computed with lambda + cat_l2 (LightGBM's rules). Missing rows are
// tried on both sides as for numeric splits, and a level outside the left set (also one absent
// from the leaf) goes right, except that codes beyond the training's levels go the default way
// (the stored set holds them when the default is left). Levels unseen in training reach the trees
// as missing values (the encoder writes NaN) and go the default way. Leaf-wise growth splits the
// leaf of largest gain next (ties: the older leaf), depth-wise the shallowest (ties: the older),
// until num_leaves leaves (0: no limit) or no leaf can split; max_depth bounds both.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/context.hpp"
#include "kernels/gbdt.hpp"
#include "models/gbdt/gbdt.hpp"

namespace cie::gbdt_detail {

struct TreeInput {
  kernels::BinnedMatrix bins;
  /// Per feature: its bin edges (value bins = edges + 1).
  std::vector<std::vector<float>> const* edges = nullptr;
  /// The histogram pass over bins, its pairs (one per row) set for this tree.
  kernels::GbdtWorkspace* workspace = nullptr;
  kernels::GradientScales scales;
  std::span<std::int32_t const> features;  ///< the sampled features, ascending
  /// Per feature: its number of level codes if categorical (model.categorical), else 0.
  std::span<int const> category_levels;
};

/// Buffers a fit reuses from tree to tree: spare histograms (their contents are not read before
/// they are rebuilt) and the partition's scratch rows (as many as the largest sample so far).
struct GrowScratch {
  std::vector<std::unique_ptr<kernels::HistogramBin[]>> histograms;
  std::vector<std::uint32_t> right_rows;
};

/// A leaf of the grown tree: its node and its rows, rows[begin .. end) of grow_tree's `rows`.
struct GrownLeaf {
  std::int32_t node = -1;
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// Grows a tree on `rows` (the sampled rows, ascending; reordered in place so that each leaf's
/// rows are a range of it, listed in `leaves`) and appends its nodes to model.nodes (with their
/// gain and cover); returns the root's index.
std::int32_t grow_tree(Context const& ctx, GbdtParams const& params, TreeInput const& input,
                       std::vector<std::uint32_t>& rows, GbdtModel& model, GrowScratch& scratch,
                       std::vector<GrownLeaf>& leaves);

}  // namespace cie::gbdt_detail
