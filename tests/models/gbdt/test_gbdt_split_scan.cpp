// The numeric split scan (models/gbdt/split_scan.hpp) against the candidate-by-candidate scan it
// replaced: the same split, gain bits included, on random histograms with empty bins, tied
// candidates, leaves with and without missing rows, row and hessian limits, L1 and L2 penalties
// and both ways of dividing by the scales.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/gbdt_rules.hpp"
#include "models/gbdt/split_scan.hpp"

namespace cie::gbdt_detail {
namespace CIE_TEST_FILE_ID {

using kernels::HistogramBin;
using kernels::kBinsPerFeature;
using kernels::kMissingBin;

/// The scan before split_scan.cpp: every candidate considered in turn, scalar arithmetic.
struct Reference {
  ScanRules rules;
  [[nodiscard]] double g(HistogramBin const& s) const {
    return static_cast<double>(s.g) / rules.scale_g;
  }
  [[nodiscard]] double h(HistogramBin const& s) const {
    return static_cast<double>(s.h) / rules.scale_h;
  }
  [[nodiscard]] double score(HistogramBin const& s) const {
    return kernels::split_score(g(s), h(s), rules.lambda, rules.alpha);
  }
  [[nodiscard]] bool child_ok(HistogramBin const& s) const {
    return s.count >= rules.min_data_in_leaf && s.count >= 1 && h(s) >= rules.min_child_weight;
  }
  void consider(NumericSplit& best, double parent, HistogramBin const& left,
                HistogramBin const& total, int bin, bool default_left) const {
    HistogramBin const right{total.g - left.g, total.h - left.h, total.count - left.count};
    if (!child_ok(left) || !child_ok(right)) return;
    double const gain = score(left) + score(right) - parent;
    if (gain > best.gain) best = {gain, bin, default_left, left};
  }
  void scan(HistogramBin const* slots, int value_bins, HistogramBin const& total, double parent,
            NumericSplit& best) const {
    HistogramBin const missing = slots[kMissingBin];
    HistogramBin left;
    for (int b = 0; b < value_bins; ++b) {  // no early exits: every candidate
      left = {left.g + slots[b].g, left.h + slots[b].h, left.count + slots[b].count};
      bool const last = b + 1 == value_bins;
      if (missing.count == 0) {
        if (!last) consider(best, parent, left, total, b, left.h >= total.h - left.h);
      } else {
        consider(best, parent, left, total, b, false);
        if (!last) {
          HistogramBin const with{left.g + missing.g, left.h + missing.h,
                                  left.count + missing.count};
          consider(best, parent, with, total, b, true);
        }
      }
    }
  }
};

/// A random histogram of one feature: value_bins bins, some empty, some repeating an earlier bin
/// (tied candidates), and a missing bin that may be empty.
std::vector<HistogramBin> random_histogram(std::mt19937_64& random, int value_bins,
                                           bool with_missing) {
  std::vector<HistogramBin> slots(kBinsPerFeature);
  std::uniform_int_distribution<std::int64_t> g(-(1 << 20), 1 << 20), h(1, 1 << 18), rows(1, 50);
  std::uniform_int_distribution<int> kind(0, 5);
  for (int b = 0; b < value_bins; ++b) {
    int const k = kind(random);
    if (k == 0) continue;  // empty
    if (k == 1 && b > 0) {
      slots[b] = slots[b - 1];
      continue;
    }
    slots[b] = {k == 2 ? 0 : g(random), h(random), rows(random)};
  }
  if (with_missing) slots[kMissingBin] = {g(random), h(random), rows(random)};
  return slots;
}

HistogramBin sum_of(std::vector<HistogramBin> const& slots) {
  HistogramBin total;
  for (HistogramBin const& s : slots) total = {total.g + s.g, total.h + s.h, total.count + s.count};
  return total;
}

TEST(GbdtSplitScan, EqualsTheCandidateByCandidateScan) {
  std::mt19937_64 random(15);
  std::vector<ScanRules> const rules{
      {0.0, 0.0, 1e-3, 20, 0x1p20, 0x1p20},  // the bench's parameters
      {1.0, 0.0, 0.0, 1, 0x1p24, 0x1p30},    // L2, no limits
      {0.5, 0.25, 0.1, 5, 0x1p16, 0x1p18},   // L1 and L2
      {0.0, 0.0, 0.0, 0, 0x1p1023, 0x1p20},  // a scale divided, not multiplied by 1 / scale
      {0.0, 0.0, 1e9, 1, 0x1p20, 0x1p20},    // no child has hessian enough
      {0.0, 100.0, 0.0, 3, 1.0, 1.0},        // L1 above most sums
  };
  int splits = 0;
  for (ScanRules const& r : rules) {
    for (int trial = 0; trial < 400; ++trial) {
      int const value_bins = 1 + static_cast<int>(random() % 255);
      std::vector<HistogramBin> const slots = random_histogram(random, value_bins, trial % 3 != 0);
      HistogramBin const total = sum_of(slots);
      Reference const reference{r};
      double const parent = reference.score(total);
      for (double const start : {0.0, -1e300}) {  // min_split_gain, or below every gain
        NumericSplit expected{start}, got{start};
        reference.scan(slots.data(), value_bins, total, parent, expected);
        NumericScan scan(r);
        bool const found = scan.scan(slots.data(), value_bins, total, parent, got);
        EXPECT_EQ(found, std::bit_cast<std::uint64_t>(expected.gain) !=
                             std::bit_cast<std::uint64_t>(start));
        EXPECT_EQ(std::bit_cast<std::uint64_t>(got.gain),
                  std::bit_cast<std::uint64_t>(expected.gain));
        EXPECT_EQ(got.bin, expected.bin);
        EXPECT_EQ(got.default_left, expected.default_left);
        EXPECT_EQ(got.left.g, expected.left.g);
        EXPECT_EQ(got.left.h, expected.left.h);
        EXPECT_EQ(got.left.count, expected.left.count);
        splits += found ? 1 : 0;
      }
    }
  }
  EXPECT_GT(splits, 1000);  // most histograms have a split
}

TEST(GbdtSplitScan, TiesKeepTheFirstCandidate) {
  // The boundaries after bin 0 and after bin 2 (bin 1 is empty) give children with the same sums
  // in mirror image, so the same gain: the first one is kept.
  std::vector<HistogramBin> slots(kBinsPerFeature);
  slots[0] = {-100, 50, 10};
  slots[2] = {100, 50, 10};
  slots[3] = {-100, 50, 10};
  HistogramBin const total = sum_of(slots);
  ScanRules const rules{0.0, 0.0, 0.0, 1, 1.0, 1.0};
  NumericScan scan(rules);
  NumericSplit best{0.0};
  ASSERT_TRUE(scan.scan(slots.data(), 4, total, scan.score(total), best));
  EXPECT_EQ(best.bin, 0);
  EXPECT_EQ(best.left.count, 10);
  EXPECT_FALSE(best.default_left);  // equal hessians: left.h >= right.h is false (50 < 100)
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::gbdt_detail
