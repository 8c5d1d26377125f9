// CPU twin of kernels/gbdt.hpp (scoring: kernels/cpu/gbdt_predict.cpp). Maps are OpenMP loops
// over rows; the histogram pass gives each thread whole features (a feature's 256 bins are
// summed by one thread in row order, and the sums are integers anyway), so no result depends on
// the thread count or the schedule. The workspace keeps views of the caller's arrays and its own
// row-major copy of the binned matrix for the histogram pass.
#include "kernels/gbdt.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <memory>
#include <vector>

#include "core/error.hpp"

namespace cie::kernels {
namespace {

/// Below this many element operations a pass runs on the calling thread: starting and joining
/// a parallel region costs more than the work (small tree nodes, small batches).
constexpr std::int64_t kParallelWork = 1 << 18;
/// Rows ahead whose bins and pair the histogram pass prefetches.
constexpr std::size_t kHistogramPrefetch = 16;
/// Features of a row the histogram pass updates per unrolled block.
constexpr std::size_t kHistogramUnroll = 8;

/// Values a binning search handles side by side (independent searches in lockstep).
constexpr std::size_t kBinLanes = 8;

/// bins[i] = the number of edges below values[i] (std::lower_bound's index in the ascending
/// edges[0 .. n)), kMissingBin for NaN. A binary search without data-dependent branches: every
/// search of a feature takes the same halving steps (they depend on n only), the comparison picks
/// the half by a conditional add, and kBinLanes values go through the steps together.
void bin_values(float const* edges, std::size_t n, float const* values, std::size_t rows,
                std::uint8_t* bins) {
  auto const search = [edges, n](float value) {
    std::size_t base = 0;
    for (std::size_t m = n; m > 1; m -= m / 2) base += edges[base + m / 2] < value ? m / 2 : 0;
    return n == 0 ? 0 : base + (edges[base] < value ? 1 : 0);
  };
  std::size_t i = 0;
  for (; i + kBinLanes <= rows; i += kBinLanes) {
    std::array<std::size_t, kBinLanes> base{};
    for (std::size_t m = n; m > 1; m -= m / 2) {
      std::size_t const half = m / 2;
      for (std::size_t l = 0; l < kBinLanes; ++l) {
        base[l] += edges[base[l] + half] < values[i + l] ? half : 0;
      }
    }
    for (std::size_t l = 0; l < kBinLanes; ++l) {
      float const value = values[i + l];
      std::size_t const below = n == 0 ? 0 : base[l] + (edges[base[l]] < value ? 1 : 0);
      bins[i + l] = static_cast<std::uint8_t>(std::isnan(value) ? kMissingBin : below);
    }
  }
  for (; i < rows; ++i) {
    bins[i] = static_cast<std::uint8_t>(std::isnan(values[i]) ? kMissingBin : search(values[i]));
  }
}

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
    bin_values(first, static_cast<std::size_t>(last - first), column, x.rows, bins);
  }
}

namespace {

/// The first half of the gradient pass on rows [begin, end): each row's g and h as doubles, their
/// bits stored in out[i] (the quantization pass reads them back in place, so the pass needs no
/// buffer of its own), and the largest |g| and h. One loop per objective and weighting.
template <GbdtObjective kObjective, bool kWeighted>
void gradient_rows(double const* margin, float const* y, float const* weight, std::int64_t begin,
                   std::int64_t end, GradientPair* out, double& max_g, double& max_h) {
  double largest_g = max_g, largest_h = max_h;
  for (std::int64_t i = begin; i < end; ++i) {
    double const w = kWeighted ? static_cast<double>(weight[i]) : 1.0;
    double g = 0.0, h = 0.0;
    if constexpr (kObjective == GbdtObjective::kBinaryLogloss) {
      logloss_gradient(margin[i], y[i], w, g, h);
    } else {
      squared_gradient(margin[i], y[i], w, g, h);
    }
    out[i] = {std::bit_cast<std::int64_t>(g), std::bit_cast<std::int64_t>(h)};
    largest_g = std::max(largest_g, std::abs(g));
    largest_h = std::max(largest_h, h);
  }
  max_g = largest_g;
  max_h = largest_h;
}

}  // namespace

GradientScales gbdt_gradients(Context const& ctx, GbdtObjective objective,
                              std::span<double const> margin, std::span<float const> y,
                              std::span<float const> weight, std::span<GradientPair> out) {
  std::size_t const rows = margin.size();
  CIE_ASSERT(y.size() == rows && out.size() == rows && (weight.empty() || weight.size() == rows));
  auto const rows_of = objective == GbdtObjective::kBinaryLogloss
                           ? (weight.empty() ? gradient_rows<GbdtObjective::kBinaryLogloss, false>
                                             : gradient_rows<GbdtObjective::kBinaryLogloss, true>)
                           : (weight.empty() ? gradient_rows<GbdtObjective::kSquaredError, false>
                                             : gradient_rows<GbdtObjective::kSquaredError, true>);
  double max_g = 0.0, max_h = 0.0;
  auto const n = static_cast<std::int64_t>(rows);
  constexpr std::int64_t kBlock = 4096;
  std::int64_t const blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) \
    reduction(max                                                    \
              : max_g, max_h) if (n >= kParallelWork)
  for (std::int64_t block = 0; block < blocks; ++block) {
    rows_of(margin.data(), y.data(), weight.data(), block * kBlock,
            std::min(n, (block + 1) * kBlock), out.data(), max_g, max_h);
  }
  GradientScales const scales{quantization_scale(max_g, static_cast<double>(rows)),
                              quantization_scale(max_h, static_cast<double>(rows))};
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) if (n >= kParallelWork)
  for (std::int64_t i = 0; i < n; ++i) {
    out[i] = {quantize(std::bit_cast<double>(out[i].g), scales.g),
              quantize(std::bit_cast<double>(out[i].h), scales.h)};
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

#if defined(__GNUC__)
using GbdtLanes = std::int64_t __attribute__((vector_size(32)));
#else
struct GbdtLanes {
  std::int64_t v[4] = {0, 0, 0, 0};
  GbdtLanes& operator+=(GbdtLanes const& o) {
    for (int k = 0; k < 4; ++k) v[k] += o.v[k];
    return *this;
  }
  std::int64_t operator[](int k) const { return v[k]; }
};
#endif

/// One bin of the CPU workspace's histogram pass: (Σg, Σh, count, 0) in one aligned 32-byte slot,
/// so that a row's update of a feature is one vector add into one cache line (two 16-byte adds in
/// the clone without AVX2). Against 16-byte (Σg, Σh) slots with the counts in an array of their
/// own (a second cache line per update), the pass measured about 20% less CPU time without AVX2
/// and 30% less with it (perf samples, 200,000 rows, 1 thread).
struct alignas(32) GbdtBinSum {
  GbdtLanes lanes;
};

/// Adds the listed rows' (g, h, 1) to sum[feature * kBinsPerFeature + bin] for the features
/// features[first .. last) (all: they are first .. last − 1), row by row in list order. With all
/// features, blocks of them are unrolled in full and the rows ahead are prefetched.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void accumulate_histogram_rows(
    std::uint8_t const* row_bins, std::size_t cols, std::span<std::uint32_t const> rows,
    GradientPair const* pairs, std::span<std::int32_t const> features, std::size_t first,
    std::size_t last, bool all, GbdtBinSum* sum) {
  if (!all) {
    for (std::uint32_t const row : rows) {
      std::uint8_t const* bins = row_bins + static_cast<std::size_t>(row) * cols;
      GbdtLanes const add{pairs[row].g, pairs[row].h, 1, 0};
      for (std::size_t k = first; k < last; ++k) {
        auto const feature = static_cast<std::size_t>(features[k]);
        sum[feature * kBinsPerFeature + bins[feature]].lanes += add;
      }
    }
    return;
  }
  std::size_t const width = last - first;
  std::size_t const n = rows.size();
  for (std::size_t k = 0; k < n; ++k) {
    if (k + kHistogramPrefetch < n) {  // a later row's bins and pair, to hide the gather
      std::uint32_t const ahead = rows[k + kHistogramPrefetch];
      __builtin_prefetch(row_bins + static_cast<std::size_t>(ahead) * cols + first);
      __builtin_prefetch(pairs + ahead);
    }
    std::uint32_t const row = rows[k];
    std::uint8_t const* bins = row_bins + static_cast<std::size_t>(row) * cols + first;
    GbdtLanes const add{pairs[row].g, pairs[row].h, 1, 0};
    GbdtBinSum* feature_sum = sum + first * kBinsPerFeature;
    std::size_t f = 0;
    for (; f + kHistogramUnroll <= width; f += kHistogramUnroll) {
#pragma GCC unroll 16
      for (std::size_t u = 0; u < kHistogramUnroll; ++u) {
        feature_sum[u * kBinsPerFeature + bins[f + u]].lanes += add;
      }
      feature_sum += kHistogramUnroll * kBinsPerFeature;
    }
    for (; f < width; ++f) {
      feature_sum[bins[f]].lanes += add;
      feature_sum += kBinsPerFeature;
    }
  }
}

/// The histogram pass of the CPU workspace over a row-major copy of the binned matrix (row i's
/// bins at row_bins[i * cols .. i * cols + cols)): each listed row's bins are one contiguous read
/// and its pair is read once for all features (LightGBM's row-wise histograms), where the
/// column-major pass reads a byte of a different cache line per feature and reads the row's pair
/// once per feature. Threads own contiguous blocks of the listed features, so each bin is still
/// summed by one thread in row order; the sums are integers anyway. `sums` holds cols ×
/// kBinsPerFeature slots, reused from pass to pass: all zero between passes (each pass zeroes
/// the slots it read as it copies them out).
void build_histogram_row_major(Context const& ctx, std::uint8_t const* row_bins, std::size_t cols,
                               std::span<std::uint32_t const> rows,
                               std::span<GradientPair const> pairs,
                               std::span<std::int32_t const> features, GbdtBinSum* sums,
                               HistogramBin* hist) {
  auto const count = static_cast<std::int64_t>(features.size());
  bool const all = features.size() == cols;  // the features are then 0 .. cols − 1
  int const threads = count * static_cast<std::int64_t>(rows.size()) >= kParallelWork
                          ? static_cast<int>(std::min<std::int64_t>(ctx.threads(), count))
                          : 1;
#pragma omp parallel num_threads(threads)
  {
    auto const parts = static_cast<std::int64_t>(omp_get_num_threads());
    auto const part = static_cast<std::int64_t>(omp_get_thread_num());
    auto const first = static_cast<std::size_t>(count * part / parts);
    auto const last = static_cast<std::size_t>(count * (part + 1) / parts);
    accumulate_histogram_rows(row_bins, cols, rows, pairs.data(), features, first, last, all, sums);
    for (std::size_t k = first; k < last; ++k) {
      std::size_t const offset = static_cast<std::size_t>(features[k]) * kBinsPerFeature;
      for (std::size_t b = offset; b < offset + kBinsPerFeature; ++b) {
        hist[b] = {sums[b].lanes[0], sums[b].lanes[1], sums[b].lanes[2]};
        sums[b] = GbdtBinSum{};  // zero for the next pass, while the slot is in cache
      }
    }
  }
}

/// A row-major copy of bins (row i's bins at out[i * cols ...]). Parallel over blocks of rows.
std::vector<std::uint8_t> transpose_bins(Context const& ctx, BinnedMatrix bins) {
  std::vector<std::uint8_t> out(bins.rows * bins.cols);
  constexpr std::size_t kBlock = 4096;
  auto const blocks = static_cast<std::int64_t>((bins.rows + kBlock - 1) / kBlock);
#pragma omp parallel for num_threads(ctx.threads()) \
    schedule(static) if (static_cast <std::int64_t>(bins.rows * bins.cols) >= kParallelWork)
  for (std::int64_t block = 0; block < blocks; ++block) {
    std::size_t const begin = static_cast<std::size_t>(block) * kBlock;
    std::size_t const end = std::min(bins.rows, begin + kBlock);
    for (std::size_t j = 0; j < bins.cols; ++j) {
      std::uint8_t const* column = bins.column(j);
      for (std::size_t i = begin; i < end; ++i) out[i * bins.cols + j] = column[i];
    }
  }
  return out;
}

class CpuGbdtWorkspace final : public GbdtWorkspace {
 public:
  CpuGbdtWorkspace(Context const& ctx, BinnedMatrix bins)
      : ctx_(ctx), bins_(bins), row_bins_(transpose_bins(ctx, bins)) {
    sums_.resize(bins.cols * kBinsPerFeature);
  }
  [[nodiscard]] BinnedMatrix bins() const noexcept override { return bins_; }
  void set_pairs(std::span<GradientPair const> pairs) override {
    CIE_ASSERT(pairs.size() == bins_.rows);
    pairs_ = pairs;
  }
  void build_histogram(std::span<std::uint32_t const> rows, std::span<std::int32_t const> features,
                       HistogramBin* hist) override {
    build_histogram_row_major(ctx_, row_bins_.data(), bins_.cols, rows, pairs_, features,
                              sums_.data(), hist);
  }
  void add_tree(ForestView forest, std::int32_t root, std::span<double> margin) override {
    add_tree_cpu(ctx_, bins_, forest, root, margin);
  }

 private:
  Context const& ctx_;
  BinnedMatrix bins_;
  std::vector<std::uint8_t> row_bins_;  ///< the row-major copy the histogram pass reads
  std::span<GradientPair const> pairs_;
  std::vector<GbdtBinSum> sums_;  ///< the histogram pass's sums, reused (zero between passes)
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
