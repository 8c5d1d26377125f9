#include "models/segments/segment_profile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "core/error.hpp"

namespace cie {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Median of `values` (reordered); NaN when empty.
double median(std::span<double> values) {
  if (values.empty()) return kNaN;
  std::size_t const middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle),
                   values.end());
  double const upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  double const lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle));
  return (lower + upper) / 2.0;
}

}  // namespace

SegmentProfile profile_segments(Context const& ctx, ProfileInput const& input,
                                std::span<std::int32_t const> labels, int n_clusters) {
  CIE_ASSERT(input.features.size() == input.feature_names.size());
  auto const k = static_cast<std::size_t>(n_clusters);
  std::size_t const n = labels.size();
  SegmentProfile profile;
  profile.feature_names = input.feature_names;
  profile.revenue_column = input.revenue.empty() ? std::string() : input.revenue_column;
  profile.clusters.resize(k);

  // Rows grouped by cluster, in row order within a cluster (a counting sort).
  std::vector<std::size_t> start(k + 1, 0);
  for (std::int32_t const label : labels) {
    CIE_ASSERT(label >= 0 && label < n_clusters);
    ++start[static_cast<std::size_t>(label) + 1];
  }
  for (std::size_t c = 0; c < k; ++c) start[c + 1] += start[c];
  std::vector<std::size_t> rows_by_cluster(n);
  {
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < n; ++i)
      rows_by_cluster[next[static_cast<std::size_t>(labels[i])]++] = i;
  }

  double total_revenue = 0.0;
  for (double const value : input.revenue) total_revenue += value;
  std::size_t const features = input.features.size();
  auto const clusters = static_cast<std::ptrdiff_t>(k);
#pragma omp parallel for num_threads(ctx.threads()) schedule(dynamic, 1)
  for (std::ptrdiff_t cluster = 0; cluster < clusters; ++cluster) {
    auto const c = static_cast<std::size_t>(cluster);
    ClusterProfile& out = profile.clusters[c];
    std::span<std::size_t const> const rows(rows_by_cluster.data() + start[c],
                                            start[c + 1] - start[c]);
    out.size = rows.size();
    out.share = n == 0 ? 0.0 : static_cast<double>(rows.size()) / static_cast<double>(n);
    std::vector<double> values(rows.size());
    for (std::size_t j = 0; j < features; ++j) {
      double sum = 0.0;
      for (std::size_t r = 0; r < rows.size(); ++r) {
        values[r] = input.features[j][rows[r]];
        sum += values[r];
      }
      out.mean.push_back(rows.empty() ? kNaN : sum / static_cast<double>(rows.size()));
      out.median.push_back(median(values));
    }
    if (input.revenue.empty()) {
      out.revenue_share = kNaN;
    } else {
      double revenue = 0.0;
      for (std::size_t const row : rows) revenue += input.revenue[row];
      out.revenue_share = total_revenue != 0.0 ? revenue / total_revenue : kNaN;
    }
    if (!input.segment_codes.empty() && !rows.empty()) {
      std::vector<std::size_t> counts(input.segment_names.size(), 0);
      for (std::size_t const row : rows) {
        std::int32_t const code = input.segment_codes[row];
        if (code >= 0) ++counts[static_cast<std::size_t>(code)];
      }
      std::vector<std::pair<std::string_view, std::size_t>> ranked;
      for (std::size_t code = 0; code < counts.size(); ++code) {
        if (counts[code] > 0) ranked.emplace_back(input.segment_names[code], counts[code]);
      }
      // Most common first; ties go to the alphabetically first name.
      std::sort(ranked.begin(), ranked.end(), [](auto const& a, auto const& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      });
      ranked.resize(std::min(ranked.size(), input.top_segments));
      for (auto const& [name, count] : ranked) {
        out.top_segments.emplace_back(
            std::string(name), static_cast<double>(count) / static_cast<double>(rows.size()));
      }
    }
  }
  return profile;
}

}  // namespace cie
