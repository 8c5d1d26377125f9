// CPU twin of kernels/gbdt.hpp: histograms and tree margins (binning and the gradient pass:
// kernels/cpu/gbdt_rows.cpp; scoring: kernels/cpu/gbdt_predict.cpp). Maps are OpenMP loops over
// rows; the histogram pass gives each thread whole histogram columns (a column's 256 bins are
// summed by one thread in row order, and the sums are integers anyway), so no result depends on
// the thread count or the schedule. The workspace keeps views of the caller's arrays and its
// histogram pass (kernels/cpu/gbdt_histogram.hpp: a row-major copy of the binned matrix, in which
// features of few bins are paired into joint columns).
#include "kernels/gbdt.hpp"

#include <algorithm>
#include <memory>

#include "core/error.hpp"
#include "kernels/cpu/gbdt_histogram.hpp"

namespace cie::kernels {
namespace {

/// Below this many element operations a pass runs on the calling thread: starting and joining
/// a parallel region costs more than the work (small tree nodes, small batches).
constexpr std::int64_t kParallelWork = 1 << 18;

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
  CpuGbdtWorkspace(Context const& ctx, BinnedMatrix bins)
      : ctx_(ctx), bins_(bins), histograms_(ctx, bins) {}
  [[nodiscard]] BinnedMatrix bins() const noexcept override { return bins_; }
  void set_pairs(std::span<GradientPair const> pairs) override {
    CIE_ASSERT(pairs.size() == bins_.rows);
    pairs_ = pairs;
  }
  void build_histogram(std::span<std::uint32_t const> rows, std::span<std::int32_t const> features,
                       HistogramBin* hist) override {
    histograms_.build(rows, pairs_, features, hist);
  }
  void add_tree(ForestView forest, std::int32_t root, std::span<double> margin) override {
    add_tree_cpu(ctx_, bins_, forest, root, margin);
  }

 private:
  Context const& ctx_;
  BinnedMatrix bins_;
  cpu_impl::RowMajorHistograms histograms_;  ///< the histogram pass (a row-major copy of bins_)
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

}  // namespace cpu_impl
}  // namespace cie::kernels
