// CPU twin of kernels/gbdt.hpp. Maps are OpenMP loops over rows; the histogram pass gives each
// thread whole features (a feature's 256 bins are summed by one thread in row order, and the
// sums are integers anyway), so no result depends on the thread count or the schedule. The
// workspace is a view of the caller's arrays.
#include "kernels/gbdt.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "core/error.hpp"

namespace cie::kernels {
namespace {

/// Rows per block of the scoring pass: a block's margins stay in L1 while every tree is walked.
constexpr std::size_t kScoreBlockRows = 256;
/// Below this many element operations a pass runs on the calling thread: starting and joining
/// a parallel region costs more than the work (small tree nodes, small batches).
constexpr std::int64_t kParallelWork = 1 << 18;

}  // namespace

void gbdt_bin_columns(Context const& ctx, FeatureMatrix x, std::span<float const> edges,
                      std::span<std::int32_t const> edge_offsets, std::uint8_t* out,
                      std::span<std::uint8_t const> categorical) {
  CIE_ASSERT(edge_offsets.size() == x.cols + 1 &&
             (categorical.empty() || categorical.size() == x.cols));
  auto const cols = static_cast<std::int64_t>(x.cols);
#pragma omp parallel for num_threads(ctx.threads()) \
    schedule(dynamic, 1) if (cols * static_cast <std::int64_t>(x.rows) >= kParallelWork)
  for (std::int64_t j = 0; j < cols; ++j) {
    float const* first = edges.data() + edge_offsets[j];
    float const* last = edges.data() + edge_offsets[j + 1];
    float const* column = x.column(static_cast<std::size_t>(j));
    std::uint8_t* bins = out + static_cast<std::size_t>(j) * x.rows;
    if (!categorical.empty() && categorical[j] != 0) {
      for (std::size_t i = 0; i < x.rows; ++i) {
        float const value = column[i];
        bins[i] = value >= 0.0f && value < 255.0f ? static_cast<std::uint8_t>(value)
                                                  : static_cast<std::uint8_t>(kMissingBin);
      }
      continue;
    }
    for (std::size_t i = 0; i < x.rows; ++i) {
      float const value = column[i];
      bins[i] = std::isnan(value)
                    ? static_cast<std::uint8_t>(kMissingBin)
                    : static_cast<std::uint8_t>(std::lower_bound(first, last, value) - first);
    }
  }
}

GradientScales gbdt_gradients(Context const& ctx, GbdtObjective objective,
                              std::span<double const> margin, std::span<float const> y,
                              std::span<float const> weight, std::span<GradientPair> out) {
  std::size_t const rows = margin.size();
  CIE_ASSERT(y.size() == rows && out.size() == rows && (weight.empty() || weight.size() == rows));
  std::vector<double> g(rows), h(rows);
  double max_g = 0.0, max_h = 0.0;
  auto const n = static_cast<std::int64_t>(rows);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) \
    reduction(max                                                    \
              : max_g, max_h) if (n >= kParallelWork)
  for (std::int64_t i = 0; i < n; ++i) {
    double const w = weight.empty() ? 1.0 : static_cast<double>(weight[i]);
    if (objective == GbdtObjective::kBinaryLogloss) {
      logloss_gradient(margin[i], y[i], w, g[i], h[i]);
    } else {
      squared_gradient(margin[i], y[i], w, g[i], h[i]);
    }
    max_g = std::max(max_g, std::abs(g[i]));
    max_h = std::max(max_h, h[i]);
  }
  GradientScales const scales{quantization_scale(max_g, static_cast<double>(rows)),
                              quantization_scale(max_h, static_cast<double>(rows))};
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) if (n >= kParallelWork)
  for (std::int64_t i = 0; i < n; ++i) {
    out[i] = {quantize(g[i], scales.g), quantize(h[i], scales.h)};
  }
  return scales;
}

namespace {

void build_histogram_cpu(Context const& ctx, BinnedMatrix bins, std::span<std::uint32_t const> rows,
                         std::span<GradientPair const> pairs,
                         std::span<std::int32_t const> features, HistogramBin* hist) {
  auto const count = static_cast<std::int64_t>(features.size());
#pragma omp parallel for num_threads(ctx.threads()) \
    schedule(dynamic, 1) if (count * static_cast <std::int64_t>(rows.size()) >= kParallelWork)
  for (std::int64_t k = 0; k < count; ++k) {
    std::int32_t const feature = features[k];
    HistogramBin* slots = hist + static_cast<std::size_t>(feature) * kBinsPerFeature;
    std::fill_n(slots, kBinsPerFeature, HistogramBin{});
    std::uint8_t const* column = bins.column(static_cast<std::size_t>(feature));
    for (std::uint32_t const row : rows) {
      HistogramBin& slot = slots[column[row]];
      slot.g += pairs[row].g;
      slot.h += pairs[row].h;
      slot.count += 1;
    }
  }
}

void add_tree_cpu(Context const& ctx, BinnedMatrix bins, ForestView forest, std::int32_t root,
                  std::span<double> margin) {
  std::span<GbdtNode const> const nodes = forest.nodes;
  CIE_ASSERT(margin.size() == bins.rows);
  auto const n = static_cast<std::int64_t>(bins.rows);
#pragma omp parallel for num_threads(ctx.threads()) \
    schedule(static) if (n * static_cast <std::int64_t>(nodes.size()) >= kParallelWork)
  for (std::int64_t i = 0; i < n; ++i) {
    std::int32_t node = root;
    while (nodes[node].feature >= 0) {
      GbdtNode const& split = nodes[node];
      std::uint8_t const bin = bins.column(static_cast<std::size_t>(split.feature))[i];
      node =
          node_goes_left_binned(split, bin, forest.category_bits.data()) ? split.left : split.right;
    }
    margin[i] += nodes[node].value;
  }
}

class CpuGbdtWorkspace final : public GbdtWorkspace {
 public:
  CpuGbdtWorkspace(Context const& ctx, BinnedMatrix bins) : ctx_(ctx), bins_(bins) {}
  [[nodiscard]] BinnedMatrix bins() const noexcept override { return bins_; }
  void set_pairs(std::span<GradientPair const> pairs) override {
    CIE_ASSERT(pairs.size() == bins_.rows);
    pairs_ = pairs;
  }
  void build_histogram(std::span<std::uint32_t const> rows, std::span<std::int32_t const> features,
                       HistogramBin* hist) override {
    build_histogram_cpu(ctx_, bins_, rows, pairs_, features, hist);
  }
  void add_tree(ForestView forest, std::int32_t root, std::span<double> margin) override {
    add_tree_cpu(ctx_, bins_, forest, root, margin);
  }

 private:
  Context const& ctx_;
  BinnedMatrix bins_;
  std::span<GradientPair const> pairs_;
};

}  // namespace

void gbdt_subtract_histogram(std::span<std::int32_t const> features, HistogramBin* parent,
                             HistogramBin const* child) {
  for (std::int32_t const feature : features) {
    std::size_t const offset = static_cast<std::size_t>(feature) * kBinsPerFeature;
    for (int b = 0; b < kBinsPerFeature; ++b) {
      parent[offset + b].g -= child[offset + b].g;
      parent[offset + b].h -= child[offset + b].h;
      parent[offset + b].count -= child[offset + b].count;
    }
  }
}

void gbdt_build_histogram(Context const& ctx, BinnedMatrix bins,
                          std::span<std::uint32_t const> rows, std::span<GradientPair const> pairs,
                          std::span<std::int32_t const> features, HistogramBin* hist) {
  if (!ctx.is_cuda()) return build_histogram_cpu(ctx, bins, rows, pairs, features, hist);
  std::unique_ptr<GbdtWorkspace> const workspace = cuda_impl::make_gbdt_workspace(ctx, bins);
  workspace->set_pairs(pairs);
  workspace->build_histogram(rows, features, hist);
}

void gbdt_add_tree_binned(Context const& ctx, BinnedMatrix bins, ForestView forest,
                          std::int32_t root, std::span<double> margin) {
  if (!ctx.is_cuda()) return add_tree_cpu(ctx, bins, forest, root, margin);
  cuda_impl::make_gbdt_workspace(ctx, bins)->add_tree(forest, root, margin);
}

namespace cpu_impl {

std::unique_ptr<GbdtWorkspace> make_gbdt_workspace(Context const& ctx, BinnedMatrix bins) {
  return std::make_unique<CpuGbdtWorkspace>(ctx, bins);
}

void gbdt_predict_margin(Context const& ctx, FeatureMatrix x, ForestView forest, double base,
                         std::span<double> out) {
  CIE_ASSERT(out.size() == x.rows);
  auto const blocks = static_cast<std::int64_t>((x.rows + kScoreBlockRows - 1) / kScoreBlockRows);
#pragma omp parallel for num_threads(ctx.threads()) schedule( \
    static) if (static_cast <std::int64_t>(x.rows * forest.nodes.size()) >= kParallelWork)
  for (std::int64_t block = 0; block < blocks; ++block) {
    std::size_t const begin = static_cast<std::size_t>(block) * kScoreBlockRows;
    std::size_t const end = std::min(x.rows, begin + kScoreBlockRows);
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(begin),
              out.begin() + static_cast<std::ptrdiff_t>(end), base);
    for (std::int32_t const root : forest.roots) {
      for (std::size_t i = begin; i < end; ++i) {
        std::int32_t node = root;
        while (forest.nodes[node].feature >= 0) {
          GbdtNode const& split = forest.nodes[node];
          float const value = x.column(static_cast<std::size_t>(split.feature))[i];
          node =
              node_goes_left(split, value, forest.category_bits.data()) ? split.left : split.right;
        }
        out[i] += forest.nodes[node].value;
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
