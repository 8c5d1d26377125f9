// The CPU workspace's histogram pass (contract and design: kernels/cpu/gbdt_histogram.hpp).
#include "kernels/cpu/gbdt_histogram.hpp"

#include <omp.h>

#include <algorithm>
#include <utility>

namespace cie::kernels::cpu_impl {
namespace {

/// Below this many element operations the pass runs on the calling thread.
constexpr std::int64_t kHistogramParallelWork = 1 << 18;
/// Columns of a row updated per unrolled block.
constexpr std::size_t kHistogramUnroll = 8;
/// Rows ahead whose bins and pair a node's pass prefetches.
constexpr std::size_t kHistogramPrefetch = 16;
/// Columns a node's pass sums per pass over a chunk of its rows: their slots (16 × 8 KiB) stay
/// nearer the core than all columns' slots (200,000 rows, 1 thread: about 4% less training CPU
/// time than one pass over all 28 columns; blocks of 8 were in between; with chunks, at 10M rows:
/// blocks of 32 took 1.16× the time of 16 on lists of 60% of the rows, blocks of 4 1.25×).
constexpr std::size_t kHistogramBlock = 16;
/// Listed rows per chunk of a node's pass: the chunk's bins and pairs (at most 128 bytes a row:
/// two cache lines of bins, one of its pair) stay in L2 while the blocks of columns pass over
/// them, so each listed row is fetched from memory once, not once per block.
constexpr std::size_t kListedChunk = 1024;
/// Rows per chunk of the pass over every row: their bins and pairs (48 bytes a row at 32
/// features) stay in L2 while the blocks of columns pass over them.
constexpr std::size_t kAllRowsChunk = 2048;
/// Columns per block of the pass over every row (16-byte slots: 64 KiB a block).
constexpr std::size_t kAllRowsBlock = 16;

/// Threads for a pass of `columns` columns over `rows` rows: one per kHistogramParallelWork / 2
/// element operations, at least one and at most the context's threads (so 2 threads from
/// kHistogramParallelWork on).
int pass_threads(Context const& ctx, std::int64_t columns, std::size_t rows) {
  std::int64_t const parts =
      columns * static_cast<std::int64_t>(rows) / (kHistogramParallelWork / 2);
  return static_cast<int>(std::clamp<std::int64_t>(parts, 1, std::max(1, ctx.threads())));
}

/// Part `part` [first, last) of `count` items cut into `parts` contiguous parts.
std::pair<std::size_t, std::size_t> share(std::size_t count, int part, int parts) {
  auto const n = static_cast<std::int64_t>(count);
  return {static_cast<std::size_t>(n * part / parts),
          static_cast<std::size_t>(n * (part + 1) / parts)};
}

/// This thread's contiguous share [first, last) of `count` items, inside a parallel region.
std::pair<std::size_t, std::size_t> thread_share(std::size_t count) {
  return share(count, omp_get_thread_num(), omp_get_num_threads());
}

/// column_sum[u · kBinsPerFeature + bins[u]] += add for the columns u of [0, width).
template <class Slot, class Lanes>
[[gnu::always_inline]] inline void add_row(std::uint8_t const* bins, std::size_t width,
                                           Lanes const& add, Slot* column_sum) {
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

/// Adds rows[begin, end)'s (g, h, 1) to the slots of columns [block, block + width), row by row;
/// kPrefetch: also fetches the bins and pair of the row kHistogramPrefetch places ahead in rows.
template <bool kPrefetch>
[[gnu::always_inline]] inline void accumulate_block(std::uint8_t const* row_bins,
                                                    std::size_t stride,
                                                    std::span<std::uint32_t const> rows,
                                                    std::size_t begin, std::size_t end,
                                                    GradientPair const* pairs, std::size_t block,
                                                    std::size_t width, GbdtBinSum* sum) {
  for (std::size_t k = begin; k < end; ++k) {
    if (kPrefetch && k + kHistogramPrefetch < rows.size()) {  // hides the gather of a later row
      std::uint32_t const ahead = rows[k + kHistogramPrefetch];
      std::uint8_t const* const bins = row_bins + static_cast<std::size_t>(ahead) * stride;
      __builtin_prefetch(bins);
      __builtin_prefetch(bins + stride - 1);
      __builtin_prefetch(pairs + ahead);
    }
    std::uint32_t const row = rows[k];
    GbdtBinLanes const add{pairs[row].g, pairs[row].h, 1, 0};
    add_row(row_bins + static_cast<std::size_t>(row) * stride + block, width, add,
            sum + block * kBinsPerFeature);
  }
}

/// Adds the listed rows' (g, h, 1) to sum[column * kBinsPerFeature + bin] for the histogram
/// columns columns[0 .. count) (all: they are 0 .. count − 1), row by row in list order. With all
/// columns, the list is cut into chunks of kListedChunk rows, each passed over once per block of
/// kHistogramBlock columns (each block's columns unrolled); the first block's pass prefetches the
/// rows ahead, the later blocks find the chunk's rows in cache.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void accumulate_listed_rows(
    std::uint8_t const* row_bins, std::size_t stride, std::span<std::uint32_t const> rows,
    GradientPair const* pairs, std::span<std::int32_t const> columns, bool all, GbdtBinSum* sum) {
  if (!all) {
    for (std::uint32_t const row : rows) {
      std::uint8_t const* bins = row_bins + static_cast<std::size_t>(row) * stride;
      GbdtBinLanes const add{pairs[row].g, pairs[row].h, 1, 0};
      for (std::int32_t const c : columns) {
        auto const column = static_cast<std::size_t>(c);
        sum[column * kBinsPerFeature + bins[column]].lanes += add;
      }
    }
    return;
  }
  std::size_t const n = rows.size();
  std::size_t const count = columns.size();
  for (std::size_t begin = 0; begin < n; begin += kListedChunk) {
    std::size_t const end = std::min(n, begin + kListedChunk);
    accumulate_block<true>(row_bins, stride, rows, begin, end, pairs, 0,
                           std::min(count, kHistogramBlock), sum);
    for (std::size_t block = kHistogramBlock; block < count; block += kHistogramBlock) {
      accumulate_block<false>(row_bins, stride, rows, begin, end, pairs, block,
                              std::min(count, block + kHistogramBlock) - block, sum);
    }
  }
}

/// Adds the (g, h) of rows [first, last) to sum[column * kBinsPerFeature + bin] for the columns
/// [0, width), in order: chunks of kAllRowsChunk rows (their bins and pairs stay in L2), each
/// passed over once per block of kAllRowsBlock columns. No row list, no gather, no prefetch.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void accumulate_all_rows(
    std::uint8_t const* row_bins, std::size_t stride, std::size_t first, std::size_t last,
    GradientPair const* pairs, std::size_t width, GbdtPairSum* sum) {
  for (std::size_t begin = first; begin < last; begin += kAllRowsChunk) {
    std::size_t const end = std::min(last, begin + kAllRowsChunk);
    for (std::size_t block = 0; block < width; block += kAllRowsBlock) {
      std::size_t const block_width = std::min(width, block + kAllRowsBlock) - block;
      GbdtPairSum* const block_sum = sum + block * kBinsPerFeature;
      for (std::size_t i = begin; i < end; ++i) {
        GbdtPairLanes const add{pairs[i].g, pairs[i].h};
        add_row(row_bins + i * stride + block, block_width, add, block_sum);
      }
    }
  }
}

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
#pragma omp parallel for num_threads(ctx.threads()) schedule( \
    dynamic, 1) if (cols * static_cast <std::int64_t>(bins.rows) >= kHistogramParallelWork)
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

/// The row-major copy of bins in the plan's columns (row i's at out[i * bins.cols ...]).
/// Parallel over blocks of rows.
std::vector<std::uint8_t, CacheLineAllocator<std::uint8_t>> transpose_bins(
    Context const& ctx, BinnedMatrix bins, HistogramColumns const& plan) {
  std::vector<std::uint8_t, CacheLineAllocator<std::uint8_t>> out(bins.rows * bins.cols);
  constexpr std::size_t kBlock = 4096;
  auto const blocks = static_cast<std::int64_t>((bins.rows + kBlock - 1) / kBlock);
#pragma omp parallel for num_threads(ctx.threads()) schedule( \
    static) if (static_cast <std::int64_t>(bins.rows * bins.cols) >= kHistogramParallelWork)
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

/// Each column's bin counts over all rows of the row-major copy (column c's bin b at
/// c · kBinsPerFeature + b). Parallel over blocks of columns.
std::vector<std::int64_t> count_all_rows(Context const& ctx, std::uint8_t const* row_bins,
                                         std::size_t rows, std::size_t stride, std::size_t width) {
  std::vector<std::int64_t> counts(width * kBinsPerFeature, 0);
  auto const cols = static_cast<std::int64_t>(width);
#pragma omp parallel num_threads(pass_threads(ctx, cols, rows))
  {
    auto const [first, last] = thread_share(width);
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t c = first; c < last; ++c)
        ++counts[c * kBinsPerFeature + row_bins[i * stride + c]];
    }
  }
  return counts;
}

/// Copies column c's sums into hist (its features' 256 bins each, split back for a joint column).
/// take(j) gives joint bin j's (Σg, Σh, count) and zeroes its slot. `listed` says which features
/// are copied.
template <class Take>
void copy_out_column(HistogramColumns::Column const& c, std::vector<std::uint8_t> const& listed,
                     Take const& take, HistogramBin* hist) {
  HistogramBin* const a = hist + static_cast<std::size_t>(c.feature) * kBinsPerFeature;
  if (c.paired < 0) {
    for (int b = 0; b < kBinsPerFeature; ++b) a[b] = take(b);
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
      HistogramBin const add = take(code_a * c.paired_codes + code_b);
      for (auto [want, slot] : {std::pair{want_a, a + bin_a}, std::pair{want_b, b + bin_b}}) {
        if (!want) continue;
        slot->g += add.g;
        slot->h += add.h;
        slot->count += add.count;
      }
    }
  }
}

/// Whether rows lists every row of n in order (the root of a tree without row sampling).
/// On the context's threads from kHistogramParallelWork rows.
bool every_row_in_order(Context const& ctx, std::span<std::uint32_t const> rows, std::size_t n) {
  if (rows.size() != n) return false;
  auto const count = static_cast<std::int64_t>(n);
  std::int64_t out_of_order = 0;
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) reduction(+ : out_of_order) \
    if (count >= kHistogramParallelWork)
  for (std::int64_t k = 0; k < count; ++k) {
    out_of_order += rows[static_cast<std::size_t>(k)] != static_cast<std::uint64_t>(k) ? 1 : 0;
  }
  return out_of_order == 0;
}

}  // namespace

RowMajorHistograms::RowMajorHistograms(Context const& ctx, BinnedMatrix bins)
    : ctx_(ctx),
      rows_(bins.rows),
      stride_(bins.cols),
      plan_(plan_histogram_columns(ctx, bins)),
      row_bins_(transpose_bins(ctx, bins, plan_)),
      all_counts_(count_all_rows(ctx, row_bins_.data(), rows_, stride_, plan_.columns.size())),
      sums_(plan_.columns.size() * kBinsPerFeature),
      pair_sums_(plan_.columns.size() * kBinsPerFeature) {}

void RowMajorHistograms::build(std::span<std::uint32_t const> rows,
                               std::span<GradientPair const> pairs,
                               std::span<std::int32_t const> features, HistogramBin* hist) {
  std::vector<std::uint8_t> listed(plan_.column_of.size(), 0);
  std::vector<std::int32_t> needed;
  for (std::int32_t const feature : features) listed[feature] = 1;
  for (std::size_t c = 0; c < plan_.columns.size(); ++c) {
    HistogramColumns::Column const& column = plan_.columns[c];
    if (listed[column.feature] != 0 || (column.paired >= 0 && listed[column.paired] != 0)) {
      needed.push_back(static_cast<std::int32_t>(c));
    }
  }
  std::size_t const count = needed.size();
  bool const all = count == plan_.columns.size();  // the columns are then 0 .. count − 1
  bool const every_row = all && every_row_in_order(ctx_, rows, rows_);
  int const threads = pass_threads(ctx_, static_cast<std::int64_t>(count), rows.size());
  std::size_t const slots = plan_.columns.size() * kBinsPerFeature;  // one part's
  std::size_t const most = static_cast<std::size_t>(threads) * slots;
  if (every_row && pair_sums_.size() < most) pair_sums_.resize(most);
  if (!every_row && sums_.size() < most) sums_.resize(most);
#pragma omp parallel num_threads(threads)
  {
    // One part of the rows per thread (the threads the runtime gave), each into its own sums.
    int const parts = omp_get_num_threads();
    int const part = omp_get_thread_num();
    if (every_row) {
      auto const [first, last] = share(rows_, part, parts);
      accumulate_all_rows(row_bins_.data(), stride_, first, last, pairs.data(), count,
                          pair_sums_.data() + static_cast<std::size_t>(part) * slots);
    } else {
      auto const [first, last] = share(rows.size(), part, parts);
      accumulate_listed_rows(row_bins_.data(), stride_, rows.subspan(first, last - first),
                             pairs.data(), needed, all,
                             sums_.data() + static_cast<std::size_t>(part) * slots);
    }
#pragma omp barrier
    // Each thread adds up the parts' sums of its share of the columns (integers: the same
    // result for any number of parts) and copies them out.
    auto const [first, last] = thread_share(count);
    for (std::size_t k = first; k < last; ++k) {
      auto const c = static_cast<std::size_t>(needed[k]);
      std::size_t const offset = c * kBinsPerFeature;
      if (every_row) {
        std::int64_t const* counts = all_counts_.data() + offset;
        copy_out_column(
            plan_.columns[c], listed,
            [&](int j) {
              HistogramBin bin{0, 0, counts[j]};
              for (std::size_t p = 0; p < static_cast<std::size_t>(parts); ++p) {
                GbdtPairSum& sum = pair_sums_[p * slots + offset + static_cast<std::size_t>(j)];
                bin.g += sum.lanes[0];
                bin.h += sum.lanes[1];
                sum = GbdtPairSum{};
              }
              return bin;
            },
            hist);
      } else {
        copy_out_column(
            plan_.columns[c], listed,
            [&](int j) {
              HistogramBin bin{};
              for (std::size_t p = 0; p < static_cast<std::size_t>(parts); ++p) {
                GbdtBinSum& sum = sums_[p * slots + offset + static_cast<std::size_t>(j)];
                bin.g += sum.lanes[0];
                bin.h += sum.lanes[1];
                bin.count += sum.lanes[2];
                sum = GbdtBinSum{};
              }
              return bin;
            },
            hist);
      }
    }
  }
}

}  // namespace cie::kernels::cpu_impl
