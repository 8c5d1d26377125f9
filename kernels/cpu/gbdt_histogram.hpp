// Internal to the CPU twin of kernels/gbdt.hpp: the histogram pass of the CPU workspace
// (kernels/cpu/gbdt.cpp's CpuGbdtWorkspace), computed by kernels/cpu/gbdt_histogram.cpp.
//
// It reads a row-major copy of the binned matrix in histogram columns: features whose bins are
// few (value bins 0 .. m − 1 and the missing bin, m + 1 <= kJointCodes codes: code = bin, or m for
// the missing bin) are paired, in feature order, into one joint column of codes(a) × codes(b) <=
// 256 bins (joint bin = code(a) × codes(b) + code(b)); every other feature is a column of its own.
// A listed row's column bins are then one contiguous read and its pair is read once for all
// columns (LightGBM's row-wise histograms), and a row updates fewer slots; a pair's sums are split
// back into its two features' bins exactly (integer sums, marginalized over the other feature's
// codes). Threads own contiguous parts of the rows (of the list), each summing all needed columns
// into sums of its own, so each listed row is read by one thread (LightGBM's way; owning blocks of
// columns instead, every thread read every listed row); then each thread adds up the parts' sums
// of its share of the columns and copies them out. The sums are integers, so no result depends on
// the thread count or the order.
//
// Two accumulations:
//   a node's rows (any list)   each row's (g, h, 1) into an aligned 32-byte slot (Σg, Σh, count,
//                              0): one vector add per column into one cache line. Against 16-byte
//                              (Σg, Σh) slots with the counts in an array of their own (a second
//                              cache line per update) this measured about 20% less CPU time without
//                              AVX2 and 30% less with it (200,000 rows, 1 thread). Chunks of 1,024
//                              listed rows pass once per block of 16 columns, so a row's bins and
//                              pair are gathered from memory once (the later blocks find them in
//                              L2), and the row-major copy starts on a cache line (32-byte rows in
//                              one line each). Measured against one pass over all the list per
//                              block and a copy at malloc's alignment (10M rows × 32 random bins,
//                              random ascending lists, best of 15 calls, one process): at 1
//                              thread 0.80–0.85× the time for lists of 5–10% of the rows,
//                              0.95–0.99× for 2%, 30% and 60%; whole 10M fits: within noise.
//   every row in order (the    each row's (g, h) into a 16-byte slot (Σg, Σh): the counts of all
//   root of an unsampled tree) rows are the same for every such pass, so they are counted once
//                              when the workspace is made. Half the slot bytes, no row list, no
//                              gather, no prefetch: chunks of 2048 rows (96 KiB of bins and pairs
//                              at 32 features, L2) pass once per block of 16 columns (64 KiB of
//                              slots). Measured against the node pass on the same rows (1M rows ×
//                              32 uniform bins, in one process, alternating): 0.66× its time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <vector>

#include "core/context.hpp"
#include "kernels/gbdt.hpp"

namespace cie::kernels::cpu_impl {

// GCC's and Clang's vector types (the pass's target clones need either compiler anyway).
using GbdtBinLanes = std::int64_t __attribute__((vector_size(32)));
using GbdtPairLanes = std::int64_t __attribute__((vector_size(16)));

/// One bin of a node's pass: (Σg, Σh, count, 0).
struct alignas(32) GbdtBinSum {
  GbdtBinLanes lanes;
};

/// One bin of the pass over every row: (Σg, Σh).
struct alignas(16) GbdtPairSum {
  GbdtPairLanes lanes;
};

/// Allocates on cache-line (64-byte) boundaries: a row of the row-major copy whose bytes fit in
/// one line (a stride dividing 64) is then never split across two lines.
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(CacheLineAllocator<U> const& /*other*/) noexcept {}  // NOLINT: rebinding
  [[nodiscard]] T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), kAlignment));
  }
  void deallocate(T* p, std::size_t /*n*/) noexcept { ::operator delete(p, kAlignment); }
  friend bool operator==(CacheLineAllocator const&, CacheLineAllocator const&) { return true; }
};

/// The columns of the pass (the pairing of small features above).
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

/// The histogram pass over one binned matrix: the column plan, the row-major copy (rows × cols
/// bytes, the stride staying the feature count), each column's bin counts over all rows, and the
/// sums reused from pass to pass, one set per thread of the largest pass so far (all zero between
/// passes: a pass zeroes the slots it read as it adds them up and copies them out).
class RowMajorHistograms {
 public:
  RowMajorHistograms(Context const& ctx, BinnedMatrix bins);
  /// GbdtWorkspace::build_histogram with these pairs (one per row).
  void build(std::span<std::uint32_t const> rows, std::span<GradientPair const> pairs,
             std::span<std::int32_t const> features, HistogramBin* hist);

 private:
  Context const& ctx_;
  std::size_t rows_ = 0;
  std::size_t stride_ = 0;
  HistogramColumns plan_;
  std::vector<std::uint8_t, CacheLineAllocator<std::uint8_t>> row_bins_;
  std::vector<std::int64_t> all_counts_;  ///< column c's bin b over all rows at c · 256 + b
  /// Thread part p's sums of column c's bin b at (p · columns + c) · 256 + b.
  std::vector<GbdtBinSum> sums_;
  std::vector<GbdtPairSum> pair_sums_;  ///< the same, for the pass over every row
};

}  // namespace cie::kernels::cpu_impl
