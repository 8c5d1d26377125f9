// Exact TreeSHAP (kernels/gbdt.hpp gbdt_contributions): the recursion of Lundberg, Erion and Lee,
// "Consistent individualized feature attribution for tree ensembles" (2018), Algorithm 2, as the
// shap package's tree_shap.h writes it. A path element holds a feature met on the way down, the
// share of the reference rows that follow the path there (zero_fraction, the feature unknown)
// and whether the row itself follows it (one_fraction, the feature known); the path weights are
// the permutation weights of the subsets of path features, extended at every split and unwound
// when a feature repeats.
//
// Speed (O(trees × leaves × depth²) per row, as the algorithm): the divisions of tree_shap.h's
// inner loops are multiplications by reciprocals taken from a table made once per call (a
// division's latency sat on the loop's dependency chain); for one row every one_fraction is 0
// or 1, and the unwound sum of an element whose one_fraction is 0 is one sum over the path divided
// by its zero_fraction, so a leaf computes that sum once for all such elements; the unwound sum of
// the others carries one multiply and one subtract from step to step; every node's share
// of its parent's reference rows is computed once per call, not per row. Path buffers are
// allocated once per thread; rows are split among threads statically, each row's values written
// by one thread in tree order, so the bits do not depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "kernels/gbdt.hpp"

namespace cie::kernels {
namespace {

struct PathElement {
  std::int32_t feature = -1;
  double zero_fraction = 0.0;
  double one_fraction = 0.0;
  double weight = 0.0;
};

struct TreeWalk {
  ForestView forest;
  double const* share = nullptr;  ///< share[n]: node n's share of its parent's reference rows
  FeatureMatrix x;
  std::size_t row = 0;
  double* phi = nullptr;
  double const* reciprocal = nullptr;  ///< reciprocal[k] = 1 / k, k in [1, max depth + 2]
};

void extend_path(double const* reciprocal, PathElement* path, int depth, double zero_fraction,
                 double one_fraction, std::int32_t feature) {
  path[depth] = {feature, zero_fraction, one_fraction, depth == 0 ? 1.0 : 0.0};
  double const inverse_n = reciprocal[depth + 1];
  double const zero = zero_fraction * inverse_n;
  double const one = one_fraction * inverse_n;
  for (int i = depth - 1; i >= 0; --i) {
    double const weight = path[i].weight;
    path[i + 1].weight += one * weight * (i + 1);
    path[i].weight = zero * weight * (depth - i);
  }
}

/// Removes element `index` from the path (its feature is met again further down).
void unwind_path(double const* reciprocal, PathElement* path, int depth, int index) {
  double const one = path[index].one_fraction;
  double const zero = path[index].zero_fraction;
  double const n = depth + 1;
  double next = path[depth].weight;
  if (one != 0.0) {
    double const up = n / one;
    double const down = zero * reciprocal[depth + 1];
    for (int i = depth - 1; i >= 0; --i) {
      double const kept = path[i].weight;
      path[i].weight = next * up * reciprocal[i + 1];
      next = kept - path[i].weight * down * (depth - i);
    }
  } else {
    double const up = n / zero;
    for (int i = depth - 1; i >= 0; --i) path[i].weight *= up * reciprocal[depth - i];
  }
  for (int i = index; i < depth; ++i) {
    path[i].feature = path[i + 1].feature;
    path[i].zero_fraction = path[i + 1].zero_fraction;
    path[i].one_fraction = path[i + 1].one_fraction;
  }
}

/// The total path weight with element `index` (one_fraction != 0) unwound, path unchanged. The
/// loop-carried chain is one multiply and one subtract: the factors that do not depend on the
/// previous step are formed beside it.
double unwound_sum_known(double const* reciprocal, PathElement const* path, int depth, int index) {
  double const up = (depth + 1) / path[index].one_fraction;
  double const down = path[index].zero_fraction * reciprocal[depth + 1];
  double next = path[depth].weight;
  double total = 0.0;
  for (int i = depth - 1; i >= 0; --i) {
    double const to_share = up * reciprocal[i + 1];
    double const to_next = to_share * down * (depth - i);
    total += next * to_share;
    next = path[i].weight - next * to_next;
  }
  return total;
}

/// Σ_i weight_i · n / (depth − i): the total path weight with an element whose one_fraction is
/// 0 unwound, times that element's zero_fraction (the same for every such element).
double unwound_sum_unknown_scaled(double const* reciprocal, PathElement const* path, int depth) {
  double total = 0.0;
  for (int i = depth - 1; i >= 0; --i) total += path[i].weight * reciprocal[depth - i];
  return total * (depth + 1);
}

/// Child shares of the reference rows at inner node `node`.
void child_shares(ForestView const& forest, std::span<double const> cover, std::int32_t node,
                  double& left, double& right) {
  GbdtNode const& split = forest.nodes[node];
  double const total = cover[node];
  if (total > 0.0) {
    left = cover[split.left] / total;
    right = cover[split.right] / total;
  } else {
    left = right = 0.5;
  }
}

void recurse(TreeWalk const& walk, std::int32_t node, PathElement* parent_path, int depth,
             double parent_zero, double parent_one, std::int32_t parent_feature) {
  PathElement* path = parent_path + depth + 1;
  std::copy(parent_path, parent_path + depth + 1, path);
  extend_path(walk.reciprocal, path, depth, parent_zero, parent_one, parent_feature);
  GbdtNode const& split = walk.forest.nodes[node];
  if (split.feature < 0) {
    double unknown = -1.0;  // unwound_sum_unknown_scaled, once per leaf when needed
    for (int i = 1; i <= depth; ++i) {
      PathElement const& element = path[i];
      double w = 0.0;
      if (element.one_fraction != 0.0) {
        w = unwound_sum_known(walk.reciprocal, path, depth, i);
      } else {
        if (unknown < 0.0) unknown = unwound_sum_unknown_scaled(walk.reciprocal, path, depth);
        w = unknown / element.zero_fraction;
      }
      walk.phi[element.feature] += w * (element.one_fraction - element.zero_fraction) * split.value;
    }
    return;
  }
  float const value = walk.x.column(static_cast<std::size_t>(split.feature))[walk.row];
  bool const left = node_goes_left(split, value, walk.forest.category_bits.data());
  std::int32_t const hot = left ? split.left : split.right;
  std::int32_t const cold = left ? split.right : split.left;
  double const hot_share = walk.share[hot];
  double const cold_share = walk.share[cold];

  double incoming_zero = 1.0, incoming_one = 1.0;
  int index = 0;
  while (index <= depth && path[index].feature != split.feature) ++index;
  if (index <= depth) {
    incoming_zero = path[index].zero_fraction;
    incoming_one = path[index].one_fraction;
    unwind_path(walk.reciprocal, path, depth, index);
    --depth;
  }
  // A child that neither the reference rows nor the row reach adds nothing (and would divide by
  // its zero fraction while unwinding).
  if (hot_share * incoming_zero != 0.0 || incoming_one != 0.0) {
    recurse(walk, hot, path, depth + 1, hot_share * incoming_zero, incoming_one, split.feature);
  }
  if (cold_share * incoming_zero != 0.0) {
    recurse(walk, cold, path, depth + 1, cold_share * incoming_zero, 0.0, split.feature);
  }
}

/// Depth of the deepest leaf below `node` (a leaf: 0).
int tree_depth(ForestView forest, std::int32_t node) {
  GbdtNode const& split = forest.nodes[node];
  if (split.feature < 0) return 0;
  return 1 + std::max(tree_depth(forest, split.left), tree_depth(forest, split.right));
}

/// The cover-weighted mean leaf value below `node`.
double expected_value(ForestView forest, std::span<double const> cover, std::int32_t node) {
  GbdtNode const& split = forest.nodes[node];
  if (split.feature < 0) return split.value;
  double left = 0.0, right = 0.0;
  child_shares(forest, cover, node, left, right);
  return left * expected_value(forest, cover, split.left) +
         right * expected_value(forest, cover, split.right);
}

}  // namespace

void gbdt_contributions(Context const& ctx, FeatureMatrix x, ForestView forest,
                        std::span<double const> cover, double base, std::span<double> out) {
  std::size_t const width = x.cols + 1;
  CIE_ASSERT(out.size() == x.rows * width && cover.size() == forest.nodes.size());
  double expected = base;
  int depth = 0;
  for (std::int32_t const root : forest.roots) {
    expected += expected_value(forest, cover, root);
    depth = std::max(depth, tree_depth(forest, root));
  }
  // Every node's share of its parent's reference rows, once (not two divisions per node and row).
  std::vector<double> share(forest.nodes.size(), 1.0);
  for (std::size_t node = 0; node < forest.nodes.size(); ++node) {
    GbdtNode const& split = forest.nodes[node];
    if (split.feature < 0) continue;
    child_shares(forest, cover, static_cast<std::int32_t>(node), share[split.left],
                 share[split.right]);
  }
  std::vector<double> reciprocal(static_cast<std::size_t>(depth) + 3, 0.0);
  for (std::size_t k = 1; k < reciprocal.size(); ++k) reciprocal[k] = 1.0 / static_cast<double>(k);
  // Path storage: (depth + 2)(depth + 3) / 2 elements cover every level's copy of the path.
  std::size_t const path_size =
      static_cast<std::size_t>(depth + 2) * static_cast<std::size_t>(depth + 3) / 2;
  auto const rows = static_cast<std::int64_t>(x.rows);
#pragma omp parallel num_threads( \
    ctx.threads()) if (rows * static_cast <std::int64_t>(forest.nodes.size()) >= (1 << 14))
  {
    std::vector<PathElement> path(path_size);
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < rows; ++i) {
      double* phi = out.data() + static_cast<std::size_t>(i) * width;
      std::fill(phi, phi + width, 0.0);
      TreeWalk const walk{forest, share.data(),     x, static_cast<std::size_t>(i),
                          phi,    reciprocal.data()};
      for (std::int32_t const root : forest.roots) {
        recurse(walk, root, path.data(), 0, 1.0, 1.0, -1);
      }
      phi[x.cols] = expected;
    }
  }
}

}  // namespace cie::kernels
