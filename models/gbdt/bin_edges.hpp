// Histogram bin edges of one feature: weighted quantiles of its present values.
//
// The edges e_0 < e_1 < ... < e_{k−1} (k <= max_bin − 1, all finite floats) define k + 1 value
// bins: bin b holds the values x with e_{b−1} < x <= e_b (kernels/gbdt.hpp bins by counting the
// edges below x), so "bin <= b" and "x <= e_b" select the same rows, in training and in scoring.
// With at most max_bin distinct values every distinct value gets its own bin (edges halfway
// between neighbours, or the lower one where the halfway float rounds up to the upper); with
// more, the edges are placed after the distinct values where the cumulative weight first reaches
// W·k / max_bin (k = 1 .. max_bin − 1; W the total weight), repeated edges dropped, as
// LightGBM's and XGBoost's weighted sketches do exactly on small data.
#pragma once

#include <span>
#include <vector>

namespace cie {

/// Edges from `values` (NaN and ±Inf ignored) with `weights` (empty = all 1; rows of weight 0
/// ignored); max_bin in [2, 255]. No present value, or one distinct value: no edges.
std::vector<float> quantile_bin_edges(std::span<float const> values, std::span<float const> weights,
                                      int max_bin);

}  // namespace cie
