// Histogram bin edges of one feature: weighted quantiles of its present values.
//
// The edges e_0 < e_1 < ... < e_{k−1} (k <= max_bin − 1, all finite floats) define k + 1 value
// bins: bin b holds the values x with e_{b−1} < x <= e_b (kernels/gbdt.hpp bins by counting the
// edges below x), so "bin <= b" and "x <= e_b" select the same rows, in training and in scoring.
// With at most max_bin distinct values, distinct values are taken in order and a bin is closed
// after a value once it holds at least min_data_in_bin rows (LightGBM's GreedyFindBin; with
// min_data_in_bin 1 every distinct value gets its own bin); edges lie halfway between
// neighbours, or on the lower one where the halfway float rounds up to the upper. With more
// distinct values, the edges are placed after the distinct values where the cumulative weight
// first reaches W·k / max_bin (k = 1 .. max_bin − 1; W the total weight), skipping an edge that
// would close a bin of fewer than min_data_in_bin rows, as the weighted sketches of LightGBM
// and XGBoost do on small data.
#pragma once

#include <span>
#include <vector>

namespace cie {

/// Edges from `values` (NaN and ±Inf ignored) with `weights` (empty = all 1; rows of weight 0
/// ignored); max_bin in [2, 255], min_data_in_bin >= 1. No present value, or one distinct
/// value: no edges.
std::vector<float> quantile_bin_edges(std::span<float const> values, std::span<float const> weights,
                                      int max_bin, int min_data_in_bin = 1);

}  // namespace cie
