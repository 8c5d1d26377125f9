// The best split of one numeric feature's histogram in a leaf (internal to models/gbdt; the
// rules are tree_grower.hpp's). The candidates, in order: for every value bin b that holds rows
// (and bin 0), left = bins 0 .. b with the missing rows on the right, then the same with them on
// the left (not after the last value bin); with no missing rows in the leaf one candidate per
// boundary, missing values later going to the child with the larger hessian sum. The scan stops
// once the right child would have fewer than max(min_data_in_leaf, 1) rows. An empty bin after
// the first is skipped: its candidates repeat the previous bin's, which cannot win.
//
// With missing rows in the leaf, the two candidates of a bin (missing right, missing left) are
// evaluated together, with the same IEEE operations per candidate as kernels::split_score in the
// two lanes of a 16-byte vector (one 16-byte division instead of two scalar ones); they are then
// compared with the best so far in candidate order, so the result is that of the one-by-one scan.
#pragma once

#include <cstdint>

#include "kernels/gbdt.hpp"

namespace cie::gbdt_detail {

/// The penalties and limits a split must meet (GbdtParams's) and the tree's quantization scales
/// (powers of two): a sum s of quantized values is s / scale.
struct ScanRules {
  double lambda = 0.0;
  double alpha = 0.0;
  double min_child_weight = 0.0;
  std::int64_t min_data_in_leaf = 0;
  double scale_g = 1.0;
  double scale_h = 1.0;
};

/// A numeric split: value bins <= bin go left, missing values by default_left; `left` holds the
/// left child's sums.
struct NumericSplit {
  double gain = 0.0;
  int bin = 0;
  bool default_left = false;
  kernels::HistogramBin left;
};

class NumericScan {
 public:
  explicit NumericScan(ScanRules const& rules);

  /// Scans one feature of a leaf: slots[0 .. value_bins) and slots[kMissingBin] are its bins, the
  /// leaf's sums are `total` and its score parent_score. Replaces `best` by the first candidate
  /// (in the order above) whose gain exceeds best.gain, if any, and returns whether it did.
  bool scan(kernels::HistogramBin const* slots, int value_bins, kernels::HistogramBin const& total,
            double parent_score, NumericSplit& best) const;

  /// The sums of quantized values divided by their scales.
  [[nodiscard]] double g(kernels::HistogramBin const& s) const;
  [[nodiscard]] double h(kernels::HistogramBin const& s) const;
  /// kernels::split_score of the sums with lambda + extra_l2.
  [[nodiscard]] double score(kernels::HistogramBin const& s, double extra_l2 = 0.0) const;
  /// Whether a child with sums s is allowed (rows and hessian).
  [[nodiscard]] bool child_ok(kernels::HistogramBin const& s) const;

 private:
  template <bool kReciprocal>
  bool scan_with_missing(kernels::HistogramBin const* slots, int value_bins,
                         kernels::HistogramBin const& total, double parent_score,
                         NumericSplit& best) const;

  ScanRules rules_;
  std::int64_t rows_needed_ = 1;  ///< max(min_data_in_leaf, 1)
  bool reciprocal_ = true;        ///< both scales <= 2^1022: x · (1 / scale) is x / scale exactly
  double inverse_g_ = 1.0;
  double inverse_h_ = 1.0;
};

}  // namespace cie::gbdt_detail
