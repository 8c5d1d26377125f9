// The boosting loop of models/gbdt/gbdt.hpp.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/random.hpp"
#include "models/gbdt/bin_edges.hpp"
#include "models/gbdt/gbdt.hpp"
#include "models/gbdt/tree_grower.hpp"

namespace cie {
namespace {

/// Random streams of a fit, apart from the per-tree streams (index = tree).
constexpr std::uint64_t kBinSampleStream = 0xB1A5'0000'0000'0001ULL;
constexpr std::uint64_t kColumnStreamSalt = 0xC01A'5A3F'0000'0000ULL;
/// Rows from which the margin update runs on the context's threads.
constexpr std::size_t kParallelRows = std::size_t{1} << 16;

void check_labels(GbdtObjective objective, std::span<float const> y) {
  for (std::size_t i = 0; i < y.size(); ++i) {
    CIE_EXPECTS_DATA(std::isfinite(y[i]), "gbdt: the target is missing or not finite at row {}",
                     i + 1);
    CIE_EXPECTS_DATA(objective != GbdtObjective::kBinaryLogloss || y[i] == 0.0f || y[i] == 1.0f,
                     "gbdt: binary log-loss needs a 0/1 target; row {} is neither", i + 1);
  }
}

void check_weights(std::span<float const> weight, std::size_t rows, char const* what) {
  CIE_EXPECTS(weight.empty() || weight.size() == rows, "gbdt: {} {} weights for {} rows", what,
              weight.size(), rows);
  double total = weight.empty() ? static_cast<double>(rows) : 0.0;
  for (std::size_t i = 0; i < weight.size(); ++i) {
    CIE_EXPECTS_DATA(std::isfinite(weight[i]) && weight[i] >= 0.0f,
                     "gbdt: {} weight at row {} is not a finite number >= 0", what, i + 1);
    total += weight[i];
  }
  CIE_EXPECTS_DATA(total > 0.0, "gbdt: the {} weights sum to 0", what);
}

/// Row weights with scale_pos_weight folded in (empty when every weight is 1).
std::vector<float> effective_weights(GbdtParams const& params, std::span<float const> y,
                                     std::span<float const> weight) {
  bool const scaled =
      params.objective == GbdtObjective::kBinaryLogloss && params.scale_pos_weight != 1.0;
  if (!scaled) return {weight.begin(), weight.end()};
  std::vector<float> out(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    float const w = weight.empty() ? 1.0f : weight[i];
    out[i] = y[i] == 1.0f ? static_cast<float>(w * params.scale_pos_weight) : w;
  }
  return out;
}

double base_score(GbdtObjective objective, std::span<float const> y, std::span<float const> w) {
  double weighted = 0.0, total = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    double const wi = w.empty() ? 1.0 : w[i];
    weighted += wi * y[i];
    total += wi;
  }
  double const mean = weighted / total;
  if (objective == GbdtObjective::kSquaredError) return mean;
  CIE_EXPECTS_DATA(
      mean > 0.0 &&
              mean<1.0,
                   "gbdt: binary log-loss needs both classes in the (weighted) training rows; "
                   "all rows are {}",
                   mean> 0.0
          ? "positive"
          : "negative");
  return std::log(mean / (1.0 - mean));
}

double mean_loss(GbdtObjective objective, std::span<double const> margin, std::span<float const> y,
                 std::span<float const> w) {
  double loss = 0.0, total = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    double const wi = w.empty() ? 1.0 : w[i];
    double const l = objective == GbdtObjective::kBinaryLogloss
                         ? kernels::logistic_loss(margin[i], y[i])
                         : 0.5 * (margin[i] - y[i]) * (margin[i] - y[i]);
    loss += wi * l;
    total += wi;
  }
  return loss / total;
}

/// The features tree `tree` may split on (ascending): all, or a seeded sample.
std::vector<std::int32_t> sample_features(GbdtParams const& params, std::size_t cols, int tree) {
  std::vector<std::int32_t> features(cols);
  std::iota(features.begin(), features.end(), 0);
  if (params.colsample_bytree >= 1.0) return features;
  auto const keep = std::max<std::size_t>(
      1,
      static_cast<std::size_t>(std::llround(params.colsample_bytree * static_cast<double>(cols))));
  Random random(params.seed ^ kColumnStreamSalt, static_cast<std::uint64_t>(tree));
  for (std::size_t i = 0; i < keep; ++i) {
    auto const j = i + static_cast<std::size_t>(random.below(static_cast<std::int64_t>(cols - i)));
    std::swap(features[i], features[j]);
  }
  features.resize(keep);
  std::sort(features.begin(), features.end());
  return features;
}

/// Per feature: the number of level codes (largest code + 1) of a categorical one, else 0.
std::vector<int> category_levels(kernels::BinnedMatrix bins,
                                 std::vector<std::uint8_t> const& categorical) {
  std::vector<int> levels(bins.cols, 0);
  for (std::size_t j = 0; j < bins.cols; ++j) {
    if (categorical[j] == 0) continue;
    std::uint8_t const* column = bins.column(j);
    for (std::size_t i = 0; i < bins.rows; ++i) {
      if (column[i] != kernels::kMissingBin) levels[j] = std::max(levels[j], column[i] + 1);
    }
  }
  return levels;
}

}  // namespace

GbdtModel gbdt_fit(Context const& ctx, GbdtParams const& params, FeatureMatrix x,
                   std::span<float const> y, std::span<float const> weight,
                   GbdtValidation const* validation) {
  params.validate();
  CIE_EXPECTS(x.cols >= 1, "gbdt: at least one feature is needed");
  CIE_EXPECTS(y.size() == x.rows, "gbdt: {} labels for {} rows", y.size(), x.rows);
  CIE_EXPECTS_DATA(x.rows >= 1, "gbdt: no training rows");
  CIE_EXPECTS(x.rows < (std::size_t{1} << 32), "gbdt: at most 2^32 - 1 rows, got {}", x.rows);
  CIE_EXPECTS(params.early_stopping_rounds == 0 || validation != nullptr,
              "gbdt: early_stopping_rounds needs a validation set");
  check_labels(params.objective, y);
  check_weights(weight, x.rows, "sample");
  if (validation != nullptr) {
    CIE_EXPECTS(validation->x.cols == x.cols && validation->y.size() == validation->x.rows,
                "gbdt: the validation set has {} columns and {} labels for {} rows (training: {} "
                "columns)",
                validation->x.cols, validation->y.size(), validation->x.rows, x.cols);
    check_labels(params.objective, validation->y);
    check_weights(validation->weight, validation->x.rows, "validation");
  }
  std::vector<float> const w = effective_weights(params, y, weight);

  GbdtModel model;
  model.objective = params.objective;
  model.base_score = base_score(params.objective, y, w);

  // Bin edges from a seeded row sample, then the binned matrix.
  std::vector<std::size_t> sample;
  if (x.rows > params.bin_sample_rows) {
    Random random(params.seed, kBinSampleStream);
    double const share = static_cast<double>(params.bin_sample_rows) / static_cast<double>(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      if (random.bernoulli(share)) sample.push_back(i);
    }
  }
  model.bin_edges.resize(x.cols);
  model.categorical.assign(x.cols, 0);
  for (std::int32_t const feature : params.categorical_features) {
    CIE_EXPECTS(static_cast<std::size_t>(feature) < x.cols,
                "gbdt: categorical feature {} is out of range ({} features)", feature, x.cols);
    model.categorical[feature] = 1;
  }
  auto const cols = static_cast<std::int64_t>(x.cols);
#pragma omp parallel num_threads(ctx.threads()) if (x.cols > 1)
  {
    std::vector<float> values, sample_weight;  // each column's edges alone: one per thread
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t jj = 0; jj < cols; ++jj) {
      auto const j = static_cast<std::size_t>(jj);
      if (model.categorical[j] != 0) continue;  // a level code is its own bin
      std::span<float const> column(x.column(j), x.rows);
      std::span<float const> column_weight = w;
      if (!sample.empty()) {
        values.clear();
        sample_weight.clear();
        for (std::size_t const i : sample) {
          values.push_back(column[i]);
          if (!w.empty()) sample_weight.push_back(w[i]);
        }
        column = values;
        column_weight = sample_weight;
      }
      model.bin_edges[j] =
          quantile_bin_edges(column, column_weight, params.max_bin, params.min_data_in_bin);
    }
  }
  std::vector<float> edges;
  std::vector<std::int32_t> offsets{0};
  for (auto const& feature_edges : model.bin_edges) {
    edges.insert(edges.end(), feature_edges.begin(), feature_edges.end());
    offsets.push_back(static_cast<std::int32_t>(edges.size()));
  }
  std::vector<std::uint8_t> binned(x.rows * x.cols);
  kernels::gbdt_bin_columns(ctx, x, edges, offsets, binned.data(), model.categorical);
  kernels::BinnedMatrix const bins{binned.data(), x.rows, x.cols};
  std::vector<int> const levels = category_levels(bins, model.categorical);
  std::unique_ptr<kernels::GbdtWorkspace> const workspace = kernels::make_gbdt_workspace(ctx, bins);

  std::vector<double> margin(x.rows, model.base_score);
  std::vector<double> valid_margin;
  if (validation != nullptr) valid_margin.assign(validation->x.rows, model.base_score);
  std::vector<kernels::GradientPair> pairs(x.rows);
  std::vector<std::uint32_t> rows;
  std::vector<double> tree_margin;
  gbdt_detail::GrowScratch scratch;
  std::vector<gbdt_detail::GrownLeaf> leaves;
  std::vector<std::uint8_t> leaf_of_row;  // the margin update's: each row's leaf number
  std::vector<double> leaf_values;
  double best_loss = 0.0;
  int best_tree = -1;

  for (int tree = 0; tree < params.n_trees; ++tree) {
    check_interrupt();
    kernels::GradientScales const scales =
        kernels::gbdt_gradients(ctx, params.objective, margin, y, w, pairs);
    workspace->set_pairs(pairs);
    if (w.empty() && params.subsample >= 1.0) {  // every row, in order (on the threads)
      rows.resize(x.rows);
      auto const n = static_cast<std::int64_t>(x.rows);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) if (x.rows >= kParallelRows)
      for (std::int64_t i = 0; i < n; ++i) rows[i] = static_cast<std::uint32_t>(i);
    } else {
      rows.clear();
    }
    Random random(params.seed, static_cast<std::uint64_t>(tree));
    for (std::size_t i = rows.size(); i < x.rows; ++i) {
      bool const weighted = w.empty() || w[i] > 0.0f;
      if (weighted && (params.subsample >= 1.0 || random.bernoulli(params.subsample))) {
        rows.push_back(static_cast<std::uint32_t>(i));
      }
    }
    if (rows.empty()) rows.push_back(0);  // a tiny sample with no rows: a one-leaf tree
    std::vector<std::int32_t> const features = sample_features(params, x.cols, tree);
    gbdt_detail::TreeInput const input{bins,   &model.bin_edges, workspace.get(),
                                       scales, features,         levels};
    std::int32_t const root =
        gbdt_detail::grow_tree(ctx, params, input, rows, model, scratch, leaves);
    model.roots.push_back(root);
    if (rows.size() == x.rows && !ctx.is_cuda()) {
      // Every row is in the tree's sample, so its leaf is known: add the leaf values directly
      // (the same additions add_tree makes, without routing the rows again). On CUDA the
      // workspace's add_tree runs on the device. With at most 256 leaves, each row's leaf number
      // is written first (a byte per row: these random writes stay in cache) and the margins are
      // then updated in row order, not read and written at random.
      // Both loops run on the context's threads (leaves hold disjoint rows; rows are independent).
      if (leaves.size() <= 256) {
        leaf_of_row.resize(x.rows);
        leaf_values.resize(leaves.size());
        auto const leaf_count = static_cast<std::int64_t>(leaves.size());
        bool const parallel = x.rows >= kParallelRows;
#pragma omp parallel for num_threads(ctx.threads()) schedule(dynamic, 1) if (parallel)
        for (std::int64_t k = 0; k < leaf_count; ++k) {
          gbdt_detail::GrownLeaf const& leaf = leaves[static_cast<std::size_t>(k)];
          auto const number = static_cast<std::uint8_t>(k);
          std::uint32_t const* const first = rows.data() + leaf.begin;
          std::uint32_t const* const last = rows.data() + leaf.end;
          for (std::uint32_t const* row = first; row != last; ++row) leaf_of_row[*row] = number;
          leaf_values[static_cast<std::size_t>(k)] = model.nodes[leaf.node].value;
        }
        auto const n = static_cast<std::int64_t>(x.rows);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) if (parallel)
        for (std::int64_t i = 0; i < n; ++i) margin[i] += leaf_values[leaf_of_row[i]];
      } else {
        for (gbdt_detail::GrownLeaf const& leaf : leaves) {
          double const value = model.nodes[leaf.node].value;
          for (std::size_t k = leaf.begin; k < leaf.end; ++k) margin[rows[k]] += value;
        }
      }
    } else {
      workspace->add_tree(model.forest(), root, margin);
    }

    if (validation != nullptr) {
      tree_margin.assign(validation->x.rows, 0.0);
      std::int32_t const one_root[] = {root};
      kernels::gbdt_predict_margin(ctx, validation->x, {model.nodes, one_root, model.category_bits},
                                   0.0, tree_margin);
      for (std::size_t i = 0; i < valid_margin.size(); ++i) valid_margin[i] += tree_margin[i];
      double const loss =
          mean_loss(params.objective, valid_margin, validation->y, validation->weight);
      model.validation_loss.push_back(loss);
      if (best_tree < 0 || loss < best_loss) {
        best_loss = loss;
        best_tree = tree;
      }
      if (params.early_stopping_rounds > 0 && tree - best_tree >= params.early_stopping_rounds) {
        break;
      }
    }
  }
  if (params.early_stopping_rounds > 0 && best_tree >= 0) {
    model.best_iteration = best_tree;
    std::size_t const kept_nodes = static_cast<std::size_t>(best_tree + 1) < model.roots.size()
                                       ? static_cast<std::size_t>(model.roots[best_tree + 1])
                                       : model.nodes.size();
    model.roots.resize(static_cast<std::size_t>(best_tree) + 1);
    model.nodes.resize(kept_nodes);
    model.node_gain.resize(kept_nodes);
    model.node_cover.resize(kept_nodes);
    std::size_t sets = 0;
    for (kernels::GbdtNode const& node : model.nodes) sets += node.categories >= 0 ? 1 : 0;
    model.category_bits.resize(sets * kernels::kCategoryWords);  // sets are made tree by tree
  }
  return model;
}

}  // namespace cie
