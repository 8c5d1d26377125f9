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
//   scoring     margin of raw rows through a forest (blocks of rows through the trees)
//
// Twins: kernels/cpu/gbdt.cpp and gbdt_predict.cpp (OpenMP; the histogram pass over a row-major
// copy of the bins, parallel over blocks of features, each thread owning whole features; the
// maps parallel over rows; scoring by QuickScorer on AVX-512 CPUs, else numeric trees walked
// several rows at a time in lockstep) and kernels/cuda/gbdt.cu (the histogram pass with integer
// atomics into shared memory, the tree walks one thread per row). A fit keeps its binned matrix
// where the passes run through a GbdtWorkspace (uploaded once on CUDA). Every result is defined to
// the bit and both twins give those bits: histogram sums are integers (order-free), and a row's
// margin adds the leaf values in tree order from the same double operands. Binning, the gradient
// pass and TreeSHAP run on the CPU on any Context (the gradient pass is an O(rows) map; on the CPU
// its quantized pairs are the same bits whatever the device, while nvcc fuses the multiply-adds of
// kernels/linear_rules.hpp's exp and would differ in the last place).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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
/// node_goes_left(node, x[feature], ...) (binned: node_goes_left_binned): a numeric split when
/// x <= threshold (bins <= bin), a categorical split (categories >= 0) when x's level is in the
/// node's left set; a missing value (NaN, or a categorical value that is no level code) goes
/// left when default_left. left and right index the forest's node array.
struct GbdtNode {
  std::int32_t feature = -1;
  std::int32_t left = -1;
  std::int32_t right = -1;
  float threshold = 0.0f;
  std::uint8_t bin = 0;
  std::uint8_t default_left = 0;
  double value = 0.0;  ///< leaf: the margin it adds (learning rate applied)
  /// Categorical split: its left set is the kCategoryWords words of category_bits starting at
  /// categories · kCategoryWords (bit c = level code c goes left); −1 for a numeric split.
  std::int32_t categories = -1;
};

/// 64-bit words per categorical split's set of level codes (codes 0 .. 254).
inline constexpr int kCategoryWords = 4;

/// Trees as one node array; tree t starts at nodes[roots[t]]. category_bits holds the left sets
/// of the categorical splits (empty when there are none).
struct ForestView {
  std::span<GbdtNode const> nodes;
  std::span<std::int32_t const> roots;
  std::span<std::uint64_t const> category_bits;
};

/// Whether level code `code` (0 .. 254) is in a categorical split's left set.
CIE_HD inline bool in_category_set(std::uint64_t const* set, int code) {
  return ((set[code >> 6] >> (code & 63)) & 1u) != 0;
}

/// The routing of a raw value at an inner node. A categorical value is a level code (the
/// encoder's codes encoding); NaN, a negative value or one above 254 is missing.
CIE_HD inline bool node_goes_left(GbdtNode const& node, float x, std::uint64_t const* bits) {
  if (node.categories < 0) return goes_left(x, node.threshold, node.default_left != 0);
  if (!(x >= 0.0f && x < 255.0f)) return node.default_left != 0;
  return in_category_set(bits + static_cast<std::size_t>(node.categories) * kCategoryWords,
                         static_cast<int>(x));
}

/// The routing of a binned value at an inner node (a categorical feature's bin is its code).
CIE_HD inline bool node_goes_left_binned(GbdtNode const& node, std::uint8_t bin,
                                         std::uint64_t const* bits) {
  if (node.categories < 0) return bin_goes_left(bin, node.bin, node.default_left != 0);
  if (bin == kMissingBin) return node.default_left != 0;
  return in_category_set(bits + static_cast<std::size_t>(node.categories) * kCategoryWords, bin);
}

enum class GbdtObjective { kBinaryLogloss, kSquaredError };

/// Bins x into `out` (x.rows × x.cols bytes). Feature j's edges are
/// edges[edge_offsets[j] .. edge_offsets[j + 1]), strictly increasing, finite, at most 254 of
/// them. A categorical feature (categorical[j] != 0; `categorical` empty = none) has no edges:
/// its bin is its level code (the value's integer part, for values in [0, 255)), anything else
/// is missing. O(rows × cols × log edges), parallel over features.
void gbdt_bin_columns(Context const& ctx, FeatureMatrix x, std::span<float const> edges,
                      std::span<std::int32_t const> edge_offsets, std::uint8_t* out,
                      std::span<std::uint8_t const> categorical = {});

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

/// Exact per-feature contributions to the margin (path-dependent TreeSHAP, Lundberg, Erion and
/// Lee 2018, Algorithm 2), the reference distribution of every tree being its training rows as
/// `cover` weighs them (cover[n] = node n's hessian sum; a child's share of its parent is
/// cover[child] / cover[parent], or one half each where the parent's cover is 0).
/// out holds x.rows × (x.cols + 1) values, row-major: out[i·(cols+1) + j] is φ_j of row i and
/// out[i·(cols+1) + cols] is the expected margin, base + Σ over trees of the cover-weighted mean
/// leaf value (the same for every row). For every row, the cols + 1 values sum to the margin
/// gbdt_predict_margin gives, up to rounding (the Shapley values' efficiency). A feature no tree
/// splits on gets 0. O(rows × trees × leaves × depth²); parallel over rows, the same bits for any
/// thread count. CPU only (kernels/cpu/gbdt_shap.cpp): on a CUDA Context it runs on the CPU.
void gbdt_contributions(Context const& ctx, FeatureMatrix x, ForestView forest,
                        std::span<double const> cover, double base, std::span<double> out);

/// One fit's binned matrix where ctx's passes run (a view on the CPU, a device copy made once on
/// CUDA), with the passes of a tree over it. The CPU workspace keeps views (`bins` and the pairs
/// of set_pairs must outlive their use) and a row-major copy of the bins (rows × cols bytes) that
/// its histogram pass reads: a listed row's bins are then one contiguous read. Costs on CUDA: the
/// upload of rows × cols bytes once; per tree, 16 bytes per row (the pairs); per histogram, 4 bytes
/// per listed row up and features × 6 KiB down; per add_tree, 16 bytes per row and the forest's
/// nodes.
class GbdtWorkspace {
 public:
  virtual ~GbdtWorkspace() = default;
  [[nodiscard]] virtual BinnedMatrix bins() const noexcept = 0;
  /// The quantized gradient pairs (one per row, from gbdt_gradients) of the next histograms.
  virtual void set_pairs(std::span<GradientPair const> pairs) = 0;
  /// Histogram of the rows `rows` over `features` into hist[f * kBinsPerFeature + b] (hist holds
  /// bins.cols × kBinsPerFeature bins; only the listed features' slots are written), with the
  /// pairs of the last set_pairs.
  virtual void build_histogram(std::span<std::uint32_t const> rows,
                               std::span<std::int32_t const> features, HistogramBin* hist) = 0;
  /// margin[i] += the value of the leaf row i reaches in the tree rooted at nodes[root], routing
  /// by bins.
  virtual void add_tree(ForestView forest, std::int32_t root, std::span<double> margin) = 0;
};

namespace cpu_impl {
std::unique_ptr<GbdtWorkspace> make_gbdt_workspace(Context const& ctx, BinnedMatrix bins);
void gbdt_predict_margin(Context const& ctx, FeatureMatrix x, ForestView forest, double base,
                         std::span<double> out);
void score_gbdt_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                        std::size_t cols, EncodeBatch const& encode, ForestView forest, double base,
                        bool probability, std::span<double> out, BatchDone const& on_batch_done);
}  // namespace cpu_impl

namespace cuda_impl {
std::unique_ptr<GbdtWorkspace> make_gbdt_workspace(Context const& ctx, BinnedMatrix bins);
void gbdt_predict_margin(Context const& ctx, FeatureMatrix x, ForestView forest, double base,
                         std::span<double> out);
void score_gbdt_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                        std::size_t cols, EncodeBatch const& encode, ForestView forest, double base,
                        bool probability, std::span<double> out, BatchDone const& on_batch_done);
}  // namespace cuda_impl

/// The workspace of `bins` (host memory) on ctx's device.
inline std::unique_ptr<GbdtWorkspace> make_gbdt_workspace(Context const& ctx, BinnedMatrix bins) {
  return ctx.is_cuda() ? cuda_impl::make_gbdt_workspace(ctx, bins)
                       : cpu_impl::make_gbdt_workspace(ctx, bins);
}

/// One histogram (GbdtWorkspace::build_histogram) on ctx's device; on CUDA it uploads `bins`,
/// so a fit builds a workspace once instead.
void gbdt_build_histogram(Context const& ctx, BinnedMatrix bins,
                          std::span<std::uint32_t const> rows, std::span<GradientPair const> pairs,
                          std::span<std::int32_t const> features, HistogramBin* hist);

/// parent[f] −= child[f] for the listed features: parent becomes the sibling's histogram. On
/// the host (histograms live there; the subtraction is exact).
void gbdt_subtract_histogram(std::span<std::int32_t const> features, HistogramBin* parent,
                             HistogramBin const* child);

/// One tree added to the margins (GbdtWorkspace::add_tree) on ctx's device. Parallel over rows.
void gbdt_add_tree_binned(Context const& ctx, BinnedMatrix bins, ForestView forest,
                          std::int32_t root, std::span<double> margin);

/// out[i] = base + Σ over trees of the leaf value row i of x reaches (raw values, NaN by the
/// default direction), trees added in order. CPU: blocks of rows go through the trees, parallel
/// over blocks (kernels/cpu/gbdt_predict.cpp); CUDA: one thread per row. The same bits on both
/// and for any thread count.
inline void gbdt_predict_margin(Context const& ctx, FeatureMatrix x, ForestView forest, double base,
                                std::span<double> out) {
  ctx.is_cuda() ? cuda_impl::gbdt_predict_margin(ctx, x, forest, base, out)
                : cpu_impl::gbdt_predict_margin(ctx, x, forest, base, out);
}

/// The batch scoring pipeline (kernels/score_pipeline.hpp's contract) for a forest: rows are
/// encoded batch by batch (batch_rows >= 1) into one buffer of batch × cols floats, scored with
/// gbdt_predict_margin, turned into probabilities by σ (on the host) when `probability`, then
/// reported done. The same bits as scoring the whole matrix at once, on either device. CUDA: the
/// forest is uploaded once, each batch is copied in, scored and copied out before the next is
/// encoded (no overlap of encoding and scoring yet).
inline void score_gbdt_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                               std::size_t cols, EncodeBatch const& encode, ForestView forest,
                               double base, bool probability, std::span<double> out,
                               BatchDone const& on_batch_done = {}) {
  ctx.is_cuda() ? cuda_impl::score_gbdt_batches(ctx, rows, batch_rows, cols, encode, forest, base,
                                                probability, out, on_batch_done)
                : cpu_impl::score_gbdt_batches(ctx, rows, batch_rows, cols, encode, forest, base,
                                               probability, out, on_batch_done);
}

}  // namespace cie::kernels
