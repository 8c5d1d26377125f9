// Named RFM segments: an ordered table of rules over (R, F, M) scores, first match wins, with a
// catch-all name for scores no rule matches.
//
// The standard 11-segment tables (datasets/rfm_segments_5.toml and _4.toml) are compiled in; a
// table of the same TOML form replaces them (`cie rfm --segments FILE`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cie {

/// An inclusive range of scores.
struct ScoreRange {
  int low = 1;
  int high = 1;
  [[nodiscard]] bool contains(int score) const noexcept { return low <= score && score <= high; }
};

struct SegmentRule {
  std::string name;
  std::string description;
  ScoreRange recency;
  ScoreRange frequency;
  ScoreRange monetary;
};

class SegmentTable {
 public:
  /// The compiled-in standard table for 4 or 5 score bins, whose rules cover every cell; for any
  /// other bin count (2..9) the unnamed table: scores without segment names.
  static SegmentTable standard(int score_bins);

  /// A table with no rules and the empty fallback name: every customer's segment is "".
  static SegmentTable unnamed(int score_bins);

  /// Parses and validates a table in the TOML form of datasets/rfm_segments_5.toml. Errors are
  /// usage errors (exit code 2) naming `source_name`, the line where known, and the key: TOML
  /// syntax, a missing or mistyped key, an unknown key, an empty or duplicate name, a range
  /// outside 1..score_bins or with low > high.
  static SegmentTable from_toml(std::string_view text, std::string const& source_name);

  [[nodiscard]] int score_bins() const noexcept { return score_bins_; }
  [[nodiscard]] std::vector<SegmentRule> const& rules() const noexcept { return rules_; }

  /// Segments are numbered 0..rules().size(): the rules in order, then the fallback.
  [[nodiscard]] std::size_t segment_count() const noexcept { return rules_.size() + 1; }
  [[nodiscard]] std::string const& name(std::size_t segment) const;

  /// The first rule whose three ranges hold the scores, or rules().size() (the fallback).
  [[nodiscard]] std::int16_t classify(int recency, int frequency, int monetary) const noexcept;

 private:
  int score_bins_ = 5;
  std::vector<SegmentRule> rules_;
  std::string fallback_;
};

}  // namespace cie
