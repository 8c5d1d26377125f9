// Gradient-boosted tree kernels: the passes a histogram-boosting fit and its scoring are made of
// (models/gbdt/ holds the algorithm: bin edges, tree growth, the boosting loop).
//
//   binning     raw float32 features -> a uint8 column-major matrix (feature j of row i at
//               bins[j * rows + i]): value bin = the number of the feature's edges below x
//               (so x <= edges[b] exactly when bin <= b), NaN -> kMissingBin (255)
//   gradients   per-row gradient and hessian of the objective at the current margins, quantized
//               to int64 with one power-of-two scale per pass (kernels/gbdt_rules.hpp)
//   histogram   for one tree node (a list of row indexes) and a list of features: per feature and
//               bin, the sums of the quantized g and h and the row count. The sums are integers,
//               so the result is the same bits for any thread count and any order of rows
//   subtraction sibling = parent − child, exact in integers (LightGBM's histogram subtraction)
//   update      margin += the tree's leaf value for each row, routing binned values
//   scoring     margin of raw rows through a forest (blocks of rows through each tree)
//
// Twins: kernels/cpu/gbdt.cpp (OpenMP; the histogram pass parallel over features, each thread
// owning whole features, the maps parallel over rows). There is no CUDA twin yet: on a CUDA
// Context these passes run on the CPU (the results are defined to the bit, so a CUDA twin must
// reproduce them exactly).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"
#include "kernels/gbdt_rules.hpp"
#include "kernels/score_pipeline.hpp"  // EncodeBatch, BatchDone

namespace cie::kernels {

/// A view of rows × cols bins, feature j of row i at bins[j * rows + i].
struct BinnedMatrix {
  std::uint8_t const* bins = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  [[nodiscard]] std::uint8_t const* column(std::size_t j) const noexcept { return bins + j * rows; }
};

/// One node of a tree. A leaf has feature −1 and its value; an inner node sends a row left when
/// goes_left(x[feature], threshold, default_left) (binned: bin_goes_left(bin, bin, ...)).
/// left and right index the forest's node array.
struct GbdtNode {
  std::int32_t feature = -1;
  std::int32_t left = -1;
  std::int32_t right = -1;
  float threshold = 0.0f;
  std::uint8_t bin = 0;
  std::uint8_t default_left = 0;
  double value = 0.0;  ///< leaf: the margin it adds (learning rate applied)
};

/// Trees as one node array; tree t starts at nodes[roots[t]].
struct ForestView {
  std::span<GbdtNode const> nodes;
  std::span<std::int32_t const> roots;
};

enum class GbdtObjective { kBinaryLogloss, kSquaredError };

/// Bins x into `out` (x.rows × x.cols bytes). Feature j's edges are
/// edges[edge_offsets[j] .. edge_offsets[j + 1]), strictly increasing, finite, at most 254 of
/// them. O(rows × cols × log edges), parallel over features.
void gbdt_bin_columns(Context const& ctx, FeatureMatrix x, std::span<float const> edges,
                      std::span<std::int32_t const> edge_offsets, std::uint8_t* out);

/// The scales used by one gradient pass: pair.g = round(g · g_scale), pair.h = round(h · h_scale).
struct GradientScales {
  double g = 1.0;
  double h = 1.0;
};

/// Quantized gradients of every row at `margin` into `out` (one pair per row): label y, weight
/// w (empty: all 1; a row of weight 0 gets a zero pair). The scales come from the largest |g|
/// and h over all rows (kernels/gbdt_rules.hpp quantization_scale), so any subset of rows sums
/// without overflow. Parallel over rows; the result does not depend on the thread count.
GradientScales gbdt_gradients(Context const& ctx, GbdtObjective objective,
                              std::span<double const> margin, std::span<float const> y,
                              std::span<float const> weight, std::span<GradientPair> out);

/// Histogram of the rows `rows` over `features` into hist[f * kBinsPerFeature + b] (hist holds
/// bins.cols × kBinsPerFeature bins; only the listed features' slots are written).
void gbdt_build_histogram(Context const& ctx, BinnedMatrix bins,
                          std::span<std::uint32_t const> rows, std::span<GradientPair const> pairs,
                          std::span<std::int32_t const> features, HistogramBin* hist);

/// parent[f] −= child[f] for the listed features: parent becomes the sibling's histogram.
void gbdt_subtract_histogram(std::span<std::int32_t const> features, HistogramBin* parent,
                             HistogramBin const* child);

/// margin[i] += the value of the leaf row i reaches in the tree rooted at nodes[root], routing
/// by bins. Parallel over rows.
void gbdt_add_tree_binned(Context const& ctx, BinnedMatrix bins, std::span<GbdtNode const> nodes,
                          std::int32_t root, std::span<double> margin);

/// out[i] = base + Σ over trees of the leaf value row i of x reaches (raw values, NaN by the
/// default direction), trees added in order. Blocks of rows go through each tree in turn.
/// Parallel over blocks; the same bits for any thread count.
void gbdt_predict_margin(Context const& ctx, FeatureMatrix x, ForestView forest, double base,
                         std::span<double> out);

/// The batch scoring pipeline (kernels/score_pipeline.hpp's contract) for a forest: rows are
/// encoded batch by batch (batch_rows >= 1) into one buffer of batch × cols floats, scored with
/// gbdt_predict_margin, turned into probabilities by σ when `probability`, then reported done.
/// The same bits as scoring the whole matrix at once. On a CUDA Context it runs on the CPU.
void score_gbdt_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                        std::size_t cols, EncodeBatch const& encode, ForestView forest, double base,
                        bool probability, std::span<double> out,
                        BatchDone const& on_batch_done = {});

}  // namespace cie::kernels
