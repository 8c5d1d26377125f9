// CPU twin of kernels/gbdt.hpp: histograms and tree margins (binning and the gradient pass:
// kernels/cpu/gbdt_rows.cpp; scoring: kernels/cpu/gbdt_predict.cpp). Maps are OpenMP loops over
// rows; the histogram pass gives each thread whole histogram columns (a column's 256 bins are
// summed by one thread in row order, and the sums are integers anyway), so no result depends on
// the thread count or the schedule. The workspace keeps views of the caller's arrays and its own
// row-major copy of the binned matrix for the histogram pass, in which features of few bins are
// paired into joint columns (HistogramColumns).
#include "kernels/gbdt.hpp"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <utility>
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
/// Columns the histogram pass sums per pass over the rows: their slots (16 × 8 KiB) stay nearer
/// the core than all columns' slots, at the price of reading the row list and pairs once per
/// block (200,000 rows, 1 thread: about 4% less training CPU time than one pass over all 28
/// columns; blocks of 8 were in between).
constexpr std::size_t kHistogramBlock = 16;

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

/// Adds the listed rows' (g, h, 1) to sum[column * kBinsPerFeature + bin] for the histogram
/// columns columns[first .. last) (all: they are first .. last − 1), row by row in list order.
/// With all columns, the rows are passed over once per block of kHistogramBlock columns, each
/// block's columns unrolled in full and the rows ahead prefetched.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void accumulate_histogram_rows(
    std::uint8_t const* row_bins, std::size_t stride, std::span<std::uint32_t const> rows,
    GradientPair const* pairs, std::span<std::int32_t const> columns, std::size_t first,
    std::size_t last, bool all, GbdtBinSum* sum) {
  if (!all) {
    for (std::uint32_t const row : rows) {
      std::uint8_t const* bins = row_bins + static_cast<std::size_t>(row) * stride;
      GbdtLanes const add{pairs[row].g, pairs[row].h, 1, 0};
      for (std::size_t k = first; k < last; ++k) {
        auto const column = static_cast<std::size_t>(columns[k]);
        sum[column * kBinsPerFeature + bins[column]].lanes += add;
      }
    }
    return;
  }
  std::size_t const n = rows.size();
  for (std::size_t block = first; block < last; block += kHistogramBlock) {
    std::size_t const block_last = std::min(last, block + kHistogramBlock);
    std::size_t const width = block_last - block;
    for (std::size_t k = 0; k < n; ++k) {
      if (k + kHistogramPrefetch < n) {  // a later row's bins and pair, to hide the gather
        std::uint32_t const ahead = rows[k + kHistogramPrefetch];
        __builtin_prefetch(row_bins + static_cast<std::size_t>(ahead) * stride + block);
        __builtin_prefetch(pairs + ahead);
      }
      std::uint32_t const row = rows[k];
      std::uint8_t const* bins = row_bins + static_cast<std::size_t>(row) * stride + block;
      GbdtLanes const add{pairs[row].g, pairs[row].h, 1, 0};
      GbdtBinSum* column_sum = sum + block * kBinsPerFeature;
      std::size_t f = 0;
      for (; f + kHistogramUnroll <= width; f += kHistogramUnroll) {
#pragma GCC unroll 16
        for (std::size_t u = 0; u < kHistogramUnroll; ++u) {
          column_sum[u * kBinsPerFeature + bins[f + u]].lanes += add;
        }
        column_sum += kHistogramUnroll * kBinsPerFeature;
      }
      for (; f < width; ++f) {
        column_sum[bins[f]].lanes += add;
        column_sum += kBinsPerFeature;
      }
    }
  }
}

/// The columns of the CPU workspace's histogram pass. Features whose bins are few (value bins
/// 0 .. m − 1 and the missing bin, m + 1 <= kJointCodes codes: code = bin, or m for the missing
/// bin) are paired, in feature order, into one joint column of codes(a) × codes(b) <= 256 bins
/// (joint bin = code(a) × codes(b) + code(b)); every other feature is a column of its own. A row
/// then updates fewer slots, and the pair's sums are split back into the two features' bins
/// exactly (integer sums, marginalized over the other feature's codes).
struct HistogramColumns {
  static constexpr int kJointCodes = 16;
  struct Column {
    std::int32_t feature = 0;
    std::int32_t paired = -1;  ///< the second feature of a joint column, or −1
    int codes = 0;             ///< codes of `feature` (joint columns)
    int paired_codes = 0;      ///< codes of `paired`
  };
  std::vector<Column> columns;
  std::vector<std::int32_t> column_of;  ///< each feature's column
};

/// A feature's number of codes (used value bins + 1 for the missing bin).
int feature_codes(BinnedMatrix bins, std::size_t feature) {
  std::uint8_t const* column = bins.column(feature);
  int largest = -1;
  for (std::size_t i = 0; i < bins.rows; ++i) {
    int const bin = column[i];
    if (bin != kMissingBin && bin > largest) largest = bin;
  }
  return largest + 2;
}

HistogramColumns plan_histogram_columns(Context const& ctx, BinnedMatrix bins) {
  std::vector<int> codes(bins.cols);
  auto const cols = static_cast<std::int64_t>(bins.cols);
#pragma omp parallel for num_threads(ctx.threads()) \
    schedule(dynamic, 1) if (cols * static_cast <std::int64_t>(bins.rows) >= kParallelWork)
  for (std::int64_t j = 0; j < cols; ++j) {
    codes[j] = feature_codes(bins, static_cast<std::size_t>(j));
  }
  HistogramColumns plan;
  plan.column_of.assign(bins.cols, -1);
  std::int32_t pending = -1;  // a small feature waiting for its pair
  for (std::size_t j = 0; j < bins.cols; ++j) {
    auto const feature = static_cast<std::int32_t>(j);
    if (codes[j] > HistogramColumns::kJointCodes) {
      plan.column_of[j] = static_cast<std::int32_t>(plan.columns.size());
      plan.columns.push_back({feature, -1, 0, 0});
    } else if (pending < 0) {
      pending = feature;
      plan.column_of[j] = static_cast<std::int32_t>(plan.columns.size());
      plan.columns.push_back({feature, -1, codes[j], 0});
    } else {
      HistogramColumns::Column& column = plan.columns[plan.column_of[pending]];
      column.paired = feature;
      column.paired_codes = codes[j];
      plan.column_of[j] = plan.column_of[pending];
      pending = -1;
    }
  }
  return plan;
}

/// The joint bin of a pair of bins (HistogramColumns).
std::uint8_t joint_bin(HistogramColumns::Column const& c, std::uint8_t a, std::uint8_t b) {
  int const code_a = a == kMissingBin ? c.codes - 1 : a;
  int const code_b = b == kMissingBin ? c.paired_codes - 1 : b;
  return static_cast<std::uint8_t>(code_a * c.paired_codes + code_b);
}

/// Copies column c's sums into hist (its features' 256 bins each, split back for a joint column)
/// and zeroes the sums for the next pass, while they are in cache. `listed` says which features
/// are copied.
void copy_out_column(HistogramColumns::Column const& c, std::vector<std::uint8_t> const& listed,
                     GbdtBinSum* sums, HistogramBin* hist) {
  HistogramBin* const a = hist + static_cast<std::size_t>(c.feature) * kBinsPerFeature;
  if (c.paired < 0) {
    for (int b = 0; b < kBinsPerFeature; ++b) {
      a[b] = {sums[b].lanes[0], sums[b].lanes[1], sums[b].lanes[2]};
      sums[b] = GbdtBinSum{};
    }
    return;
  }
  HistogramBin* const b = hist + static_cast<std::size_t>(c.paired) * kBinsPerFeature;
  bool const want_a = listed[c.feature] != 0, want_b = listed[c.paired] != 0;
  if (want_a) std::fill_n(a, kBinsPerFeature, HistogramBin{});
  if (want_b) std::fill_n(b, kBinsPerFeature, HistogramBin{});
  for (int code_a = 0; code_a < c.codes; ++code_a) {
    int const bin_a = code_a == c.codes - 1 ? kMissingBin : code_a;
    for (int code_b = 0; code_b < c.paired_codes; ++code_b) {
      int const bin_b = code_b == c.paired_codes - 1 ? kMissingBin : code_b;
      GbdtBinSum& sum = sums[code_a * c.paired_codes + code_b];
      HistogramBin const add{sum.lanes[0], sum.lanes[1], sum.lanes[2]};
      for (auto [want, slot] : {std::pair{want_a, a + bin_a}, std::pair{want_b, b + bin_b}}) {
        if (!want) continue;
        slot->g += add.g;
        slot->h += add.h;
        slot->count += add.count;
      }
      sum = GbdtBinSum{};
    }
  }
}

/// The histogram pass of the CPU workspace over a row-major copy of the binned matrix in
/// histogram columns (row i's column bins at row_bins[i * stride .. i * stride + width)): each
/// listed row's bins are one contiguous read and its pair is read once for all columns
/// (LightGBM's row-wise histograms), where the column-major pass reads a byte of a different
/// cache line per feature and reads the row's pair once per feature. Threads own contiguous
/// blocks of the needed columns, so each bin is still summed by one thread in row order; the sums
/// are integers anyway. `sums` holds width × kBinsPerFeature slots, reused from pass to pass: all
/// zero between passes (each pass zeroes the slots it read as it copies them out).
void build_histogram_row_major(Context const& ctx, HistogramColumns const& plan,
                               std::uint8_t const* row_bins, std::size_t stride,
                               std::span<std::uint32_t const> rows,
                               std::span<GradientPair const> pairs,
                               std::span<std::int32_t const> features, GbdtBinSum* sums,
                               HistogramBin* hist) {
  std::vector<std::uint8_t> listed(plan.column_of.size(), 0);
  std::vector<std::int32_t> needed;
  for (std::int32_t const feature : features) listed[feature] = 1;
  for (std::size_t c = 0; c < plan.columns.size(); ++c) {
    HistogramColumns::Column const& column = plan.columns[c];
    if (listed[column.feature] != 0 || (column.paired >= 0 && listed[column.paired] != 0)) {
      needed.push_back(static_cast<std::int32_t>(c));
    }
  }
  auto const count = static_cast<std::int64_t>(needed.size());
  bool const all = needed.size() == plan.columns.size();  // the columns are then 0 .. width − 1
  int const threads = count * static_cast<std::int64_t>(rows.size()) >= kParallelWork
                          ? static_cast<int>(std::min<std::int64_t>(ctx.threads(), count))
                          : 1;
#pragma omp parallel num_threads(threads)
  {
    auto const parts = static_cast<std::int64_t>(omp_get_num_threads());
    auto const part = static_cast<std::int64_t>(omp_get_thread_num());
    auto const first = static_cast<std::size_t>(count * part / parts);
    auto const last = static_cast<std::size_t>(count * (part + 1) / parts);
    accumulate_histogram_rows(row_bins, stride, rows, pairs.data(), needed, first, last, all, sums);
    for (std::size_t k = first; k < last; ++k) {
      auto const c = static_cast<std::size_t>(needed[k]);
      copy_out_column(plan.columns[c], listed, sums + c * kBinsPerFeature, hist);
    }
  }
}

/// A row-major copy of bins in the plan's columns (row i's at out[i * bins.cols ...]: the stride
/// stays the feature count, so a row never straddles more cache lines than before). Parallel
/// over blocks of rows.
std::vector<std::uint8_t> transpose_bins(Context const& ctx, BinnedMatrix bins,
                                         HistogramColumns const& plan) {
  std::vector<std::uint8_t> out(bins.rows * bins.cols);
  constexpr std::size_t kBlock = 4096;
  auto const blocks = static_cast<std::int64_t>((bins.rows + kBlock - 1) / kBlock);
#pragma omp parallel for num_threads(ctx.threads()) \
    schedule(static) if (static_cast <std::int64_t>(bins.rows * bins.cols) >= kParallelWork)
  for (std::int64_t block = 0; block < blocks; ++block) {
    std::size_t const begin = static_cast<std::size_t>(block) * kBlock;
    std::size_t const end = std::min(bins.rows, begin + kBlock);
    for (std::size_t j = 0; j < plan.columns.size(); ++j) {
      HistogramColumns::Column const& c = plan.columns[j];
      std::uint8_t const* column = bins.column(static_cast<std::size_t>(c.feature));
      if (c.paired < 0) {
        for (std::size_t i = begin; i < end; ++i) out[i * bins.cols + j] = column[i];
        continue;
      }
      std::uint8_t const* paired = bins.column(static_cast<std::size_t>(c.paired));
      for (std::size_t i = begin; i < end; ++i) {
        out[i * bins.cols + j] = joint_bin(c, column[i], paired[i]);
      }
    }
  }
  return out;
}

class CpuGbdtWorkspace final : public GbdtWorkspace {
 public:
  CpuGbdtWorkspace(Context const& ctx, BinnedMatrix bins)
      : ctx_(ctx),
        bins_(bins),
        plan_(plan_histogram_columns(ctx, bins)),
        row_bins_(transpose_bins(ctx, bins, plan_)) {
    sums_.resize(plan_.columns.size() * kBinsPerFeature);
  }
  [[nodiscard]] BinnedMatrix bins() const noexcept override { return bins_; }
  void set_pairs(std::span<GradientPair const> pairs) override {
    CIE_ASSERT(pairs.size() == bins_.rows);
    pairs_ = pairs;
  }
  void build_histogram(std::span<std::uint32_t const> rows, std::span<std::int32_t const> features,
                       HistogramBin* hist) override {
    build_histogram_row_major(ctx_, plan_, row_bins_.data(), bins_.cols, rows, pairs_, features,
                              sums_.data(), hist);
  }
  void add_tree(ForestView forest, std::int32_t root, std::span<double> margin) override {
    add_tree_cpu(ctx_, bins_, forest, root, margin);
  }

 private:
  Context const& ctx_;
  BinnedMatrix bins_;
  HistogramColumns plan_;               ///< the histogram pass's columns (pairs of small features)
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
