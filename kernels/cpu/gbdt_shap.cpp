// Exact TreeSHAP (kernels/gbdt.hpp gbdt_contributions): the recursion of Lundberg, Erion and Lee,
// "Consistent individualized feature attribution for tree ensembles" (2018), Algorithm 2, as the
// shap package's tree_shap.h writes it. A path element holds a feature met on the way down, the
// share of the reference rows that follow the path there (zero_fraction, the feature unknown)
// and whether the row itself follows it (one_fraction, the feature known); the path weights are
// the permutation weights of the subsets of path features, extended at every split and unwound
// when a feature repeats.
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

void extend_path(PathElement* path, int depth, double zero_fraction, double one_fraction,
                 std::int32_t feature) {
  path[depth] = {feature, zero_fraction, one_fraction, depth == 0 ? 1.0 : 0.0};
  double const n = depth + 1;
  for (int i = depth - 1; i >= 0; --i) {
    path[i + 1].weight += one_fraction * path[i].weight * (i + 1) / n;
    path[i].weight = zero_fraction * path[i].weight * (depth - i) / n;
  }
}

/// Removes element `index` from the path (its feature is met again further down).
void unwind_path(PathElement* path, int depth, int index) {
  double const one = path[index].one_fraction;
  double const zero = path[index].zero_fraction;
  double const n = depth + 1;
  double next = path[depth].weight;
  for (int i = depth - 1; i >= 0; --i) {
    if (one != 0.0) {
      double const kept = path[i].weight;
      path[i].weight = next * n / ((i + 1) * one);
      next = kept - path[i].weight * zero * (depth - i) / n;
    } else {
      path[i].weight = path[i].weight * n / (zero * (depth - i));
    }
  }
  for (int i = index; i < depth; ++i) {
    path[i].feature = path[i + 1].feature;
    path[i].zero_fraction = path[i + 1].zero_fraction;
    path[i].one_fraction = path[i + 1].one_fraction;
  }
}

/// The total path weight with element `index` unwound, without changing the path.
double unwound_sum(PathElement const* path, int depth, int index) {
  double const one = path[index].one_fraction;
  double const zero = path[index].zero_fraction;
  double const n = depth + 1;
  double next = path[depth].weight;
  double total = 0.0;
  for (int i = depth - 1; i >= 0; --i) {
    if (one != 0.0) {
      double const share = next * n / ((i + 1) * one);
      total += share;
      next = path[i].weight - share * zero * (depth - i) / n;
    } else {
      total += path[i].weight / zero * n / (depth - i);
    }
  }
  return total;
}

struct TreeWalk {
  ForestView forest;
  std::span<double const> cover;
  FeatureMatrix x;
  std::size_t row = 0;
  double* phi = nullptr;
};

/// Child shares of the reference rows at inner node `node`.
void child_shares(TreeWalk const& walk, std::int32_t node, double& left, double& right) {
  GbdtNode const& split = walk.forest.nodes[node];
  double const total = walk.cover[node];
  if (total > 0.0) {
    left = walk.cover[split.left] / total;
    right = walk.cover[split.right] / total;
  } else {
    left = right = 0.5;
  }
}

void recurse(TreeWalk const& walk, std::int32_t node, PathElement* parent_path, int depth,
             double parent_zero, double parent_one, std::int32_t parent_feature) {
  PathElement* path = parent_path + depth + 1;
  std::copy(parent_path, parent_path + depth + 1, path);
  extend_path(path, depth, parent_zero, parent_one, parent_feature);
  GbdtNode const& split = walk.forest.nodes[node];
  if (split.feature < 0) {
    for (int i = 1; i <= depth; ++i) {
      double const w = unwound_sum(path, depth, i);
      walk.phi[path[i].feature] += w * (path[i].one_fraction - path[i].zero_fraction) * split.value;
    }
    return;
  }
  float const value = walk.x.column(static_cast<std::size_t>(split.feature))[walk.row];
  bool const left = node_goes_left(split, value, walk.forest.category_bits.data());
  double left_share = 0.0, right_share = 0.0;
  child_shares(walk, node, left_share, right_share);
  std::int32_t const hot = left ? split.left : split.right;
  std::int32_t const cold = left ? split.right : split.left;
  double const hot_share = left ? left_share : right_share;
  double const cold_share = left ? right_share : left_share;

  double incoming_zero = 1.0, incoming_one = 1.0;
  int index = 0;
  while (index <= depth && path[index].feature != split.feature) ++index;
  if (index <= depth) {
    incoming_zero = path[index].zero_fraction;
    incoming_one = path[index].one_fraction;
    unwind_path(path, depth, index);
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
  TreeWalk const walk{forest, cover, {}, 0, nullptr};
  double left = 0.0, right = 0.0;
  child_shares(walk, node, left, right);
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
      TreeWalk const walk{forest, cover, x, static_cast<std::size_t>(i), phi};
      for (std::int32_t const root : forest.roots) {
        recurse(walk, root, path.data(), 0, 1.0, 1.0, -1);
      }
      phi[x.cols] = expected;
    }
  }
}

}  // namespace cie::kernels
