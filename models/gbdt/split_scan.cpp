#include "models/gbdt/split_scan.hpp"

#include <algorithm>
#include <limits>

namespace cie::gbdt_detail {
namespace {

using kernels::HistogramBin;

/// Two doubles in one 16-byte register (SSE2 on x86-64, no other instruction set needed): the
/// arithmetic below is IEEE per lane, the same operations as the scalar code in the same order
/// (no contraction into fused multiply-adds: the build's baseline target has none). A 16-byte
/// division costs what a scalar one does.
using Pair = double __attribute__((vector_size(16)));
using PairMask = std::int64_t __attribute__((vector_size(16)));

}  // namespace

NumericScan::NumericScan(ScanRules const& rules)
    : rules_(rules),
      rows_needed_(std::max<std::int64_t>(rules.min_data_in_leaf, 1)),
      reciprocal_(rules.scale_g <= 0x1p1022 && rules.scale_h <= 0x1p1022),
      inverse_g_(1.0 / rules.scale_g),
      inverse_h_(1.0 / rules.scale_h) {}

double NumericScan::g(HistogramBin const& s) const {
  return reciprocal_ ? static_cast<double>(s.g) * inverse_g_
                     : static_cast<double>(s.g) / rules_.scale_g;
}

double NumericScan::h(HistogramBin const& s) const {
  return reciprocal_ ? static_cast<double>(s.h) * inverse_h_
                     : static_cast<double>(s.h) / rules_.scale_h;
}

double NumericScan::score(HistogramBin const& s, double extra_l2) const {
  return kernels::split_score(g(s), h(s), rules_.lambda + extra_l2, rules_.alpha);
}

bool NumericScan::child_ok(HistogramBin const& s) const {
  return s.count >= rows_needed_ && h(s) >= rules_.min_child_weight;
}

template <bool kReciprocal>
bool NumericScan::scan_with_missing(HistogramBin const* slots, int value_bins,
                                    HistogramBin const& total, double parent_score,
                                    NumericSplit& best) const {
  // g(s) and h(s) of two sums at once: multiplied by the reciprocal or divided by the scale.
  Pair const g_by =
      kReciprocal ? Pair{inverse_g_, inverse_g_} : Pair{rules_.scale_g, rules_.scale_g};
  Pair const h_by =
      kReciprocal ? Pair{inverse_h_, inverse_h_} : Pair{rules_.scale_h, rules_.scale_h};
  Pair const alpha{rules_.alpha, rules_.alpha};
  Pair const minus_alpha = -alpha;
  Pair const lambda{rules_.lambda, rules_.lambda};
  Pair const zero{0.0, 0.0};
  Pair const min_h{rules_.min_child_weight, rules_.min_child_weight};
  Pair const parent{parent_score, parent_score};
  Pair const nan{std::numeric_limits<double>::quiet_NaN(),
                 std::numeric_limits<double>::quiet_NaN()};
  auto const scale = [](std::int64_t a, std::int64_t b, Pair by) {
    Pair const x{static_cast<double>(a), static_cast<double>(b)};
    if constexpr (kReciprocal) return x * by;
    return x / by;
  };
  auto const split_score = [&](Pair sum_g, Pair sum_h) {  // kernels::split_score, per lane
    Pair const t = sum_g > alpha ? sum_g - alpha : (sum_g < minus_alpha ? sum_g + alpha : zero);
    return t * t / (sum_h + lambda);
  };
  HistogramBin const missing = slots[kernels::kMissingBin];
  bool found = false;
  HistogramBin left;
  for (int b = 0; b < value_bins; ++b) {
    if (b > 0 && slots[b].count == 0) continue;
    left = {left.g + slots[b].g, left.h + slots[b].h, left.count + slots[b].count};
    if (total.count - left.count < rows_needed_) break;
    // Lane 0: the missing rows on the right; lane 1: on the left.
    HistogramBin const with{left.g + missing.g, left.h + missing.h, left.count + missing.count};
    Pair const left_g = scale(left.g, with.g, g_by);
    Pair const left_h = scale(left.h, with.h, h_by);
    Pair const right_g = scale(total.g - left.g, total.g - with.g, g_by);
    Pair const right_h = scale(total.h - left.h, total.h - with.h, h_by);
    PairMask const rows_ok{
        left.count >= rows_needed_ && total.count - left.count >= rows_needed_ ? -1 : 0,
        with.count >= rows_needed_ && total.count - with.count >= rows_needed_ ? -1 : 0};
    PairMask const ok = rows_ok & (left_h >= min_h) & (right_h >= min_h);
    Pair const gain = split_score(left_g, left_h) + split_score(right_g, right_h) - parent;
    Pair const kept = ok != 0 ? gain : nan;  // NaN (a child too small) is never kept
    if (kept[0] > best.gain) {
      best = {kept[0], b, false, left};
      found = true;
    }
    if (b + 1 < value_bins && kept[1] > best.gain) {
      best = {kept[1], b, true, with};
      found = true;
    }
  }
  return found;
}

bool NumericScan::scan(HistogramBin const* slots, int value_bins, HistogramBin const& total,
                       double parent_score, NumericSplit& best) const {
  if (slots[kernels::kMissingBin].count != 0) {
    return reciprocal_ ? scan_with_missing<true>(slots, value_bins, total, parent_score, best)
                       : scan_with_missing<false>(slots, value_bins, total, parent_score, best);
  }
  // No missing rows: one candidate per boundary, considered one by one.
  bool found = false;
  HistogramBin left;
  for (int b = 0; b + 1 < value_bins; ++b) {
    if (b > 0 && slots[b].count == 0) continue;
    left = {left.g + slots[b].g, left.h + slots[b].h, left.count + slots[b].count};
    HistogramBin const right{total.g - left.g, total.h - left.h, total.count - left.count};
    if (right.count < rows_needed_) break;
    if (!child_ok(left) || !child_ok(right)) continue;
    double const gain = score(left) + score(right) - parent_score;
    if (gain > best.gain) {
      best = {gain, b, left.h >= right.h, left};
      found = true;
    }
  }
  return found;
}

}  // namespace cie::gbdt_detail
