#include "models/segments/k_selection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/metrics/cluster_metrics.hpp"

namespace cie {
namespace {

/// The first index with ks[i] >= min_k (ks ascending).
std::size_t first_eligible(std::span<int const> ks, int min_k) {
  return static_cast<std::size_t>(std::lower_bound(ks.begin(), ks.end(), min_k) - ks.begin());
}

}  // namespace

std::vector<float> uniform_reference(FeatureMatrix x, std::uint64_t seed, int reference) {
  std::vector<float> out(x.rows * x.cols);
  for (std::size_t j = 0; j < x.cols; ++j) {
    float const* column = x.column(j);
    auto const [low, high] = std::minmax_element(column, column + x.rows);
    double const lo = *low;
    double const width = static_cast<double>(*high) - lo;
    Random random(seed, static_cast<std::uint64_t>(reference) * x.cols + j);
    float* target = out.data() + j * x.rows;
    for (std::size_t i = 0; i < x.rows; ++i) {
      target[i] = static_cast<float>(lo + width * random.uniform());
    }
  }
  return out;
}

GapCurve gap_statistic(FeatureMatrix x, std::span<int const> ks, std::span<double const> inertias,
                       int references, std::uint64_t seed,
                       std::function<double(FeatureMatrix, int)> const& fit) {
  CIE_ASSERT(ks.size() == inertias.size() && references >= 1);
  std::size_t const m = ks.size();
  std::vector<std::vector<double>> log_reference(m);
  for (int b = 0; b < references; ++b) {
    std::vector<float> const reference = uniform_reference(x, seed, b);
    FeatureMatrix const r{reference.data(), x.rows, x.cols};
    for (std::size_t i = 0; i < m; ++i) log_reference[i].push_back(std::log(fit(r, ks[i])));
  }
  GapCurve curve;
  auto const count = static_cast<double>(references);
  for (std::size_t i = 0; i < m; ++i) {
    double mean = 0.0;
    for (double const value : log_reference[i]) mean += value;
    mean /= count;
    double variance = 0.0;
    for (double const value : log_reference[i]) variance += (value - mean) * (value - mean);
    variance /= count;
    curve.log_w.push_back(std::log(inertias[i]));
    curve.expected_log_w.push_back(mean);
    curve.gap.push_back(mean - curve.log_w.back());
    curve.s.push_back(std::sqrt(variance) * std::sqrt(1.0 + 1.0 / count));
  }
  return curve;
}

std::size_t gap_rule(std::span<int const> ks, GapCurve const& curve, int min_k, bool& flagged) {
  CIE_ASSERT(curve.gap.size() == ks.size() && curve.s.size() == ks.size());
  flagged = false;
  std::size_t const first = first_eligible(ks, min_k);
  for (std::size_t i = first; i + 1 < ks.size(); ++i) {
    if (std::isnan(curve.gap[i]) || std::isnan(curve.gap[i + 1])) continue;
    if (curve.gap[i] >= curve.gap[i + 1] - curve.s[i + 1]) return i;
  }
  std::size_t const best = extreme_rule(ks, curve.gap, min_k, true);
  flagged = best != kNoChoice;
  return best;
}

std::size_t elbow_rule(std::span<int const> ks, std::span<double const> inertias, int min_k) {
  CIE_ASSERT(ks.size() == inertias.size());
  std::size_t const first = first_eligible(ks, min_k);
  if (ks.size() < first + 3) return kNoChoice;
  std::size_t const last = ks.size() - 1;
  double const k_span = static_cast<double>(ks[last] - ks[first]);
  double const w_span = inertias[first] - inertias[last];
  if (!(w_span > 0.0)) return kNoChoice;  // a flat or rising curve has no elbow
  std::size_t best = kNoChoice;
  double best_distance = 0.0;
  for (std::size_t i = first + 1; i < last; ++i) {
    double const x = static_cast<double>(ks[i] - ks[first]) / k_span;
    double const y = (inertias[i] - inertias[last]) / w_span;
    double const distance = 1.0 - x - y;
    if (!std::isnan(distance) && distance > best_distance) {
      best_distance = distance;
      best = i;
    }
  }
  return best;
}

std::size_t extreme_rule(std::span<int const> ks, std::span<double const> values, int min_k,
                         bool highest) {
  CIE_ASSERT(ks.size() == values.size());
  std::size_t best = kNoChoice;
  for (std::size_t i = first_eligible(ks, min_k); i < ks.size(); ++i) {
    if (std::isnan(values[i])) continue;
    if (best == kNoChoice || (highest ? values[i] > values[best] : values[i] < values[best])) {
      best = i;
    }
  }
  return best;
}

std::size_t silhouette_rule(std::span<int const> ks, std::span<double const> silhouettes,
                            int min_k) {
  CIE_ASSERT(ks.size() == silhouettes.size());
  std::size_t const first = first_eligible(ks, min_k);
  std::size_t const chosen = recommend_k(ks.subspan(first), silhouettes.subspan(first));
  return chosen < ks.size() - first ? first + chosen : kNoChoice;
}

KSelectionRule parse_selection_rule(std::string_view text, std::string_view setting) {
  for (KSelectionRule const rule :
       {KSelectionRule::kSilhouette, KSelectionRule::kGap, KSelectionRule::kElbow,
        KSelectionRule::kDaviesBouldin, KSelectionRule::kCalinskiHarabasz}) {
    if (text == selection_rule_name(rule)) return rule;
  }
  fail(ExitCode::kUsage,
       "{}: expected silhouette, gap, elbow, davies-bouldin or calinski-harabasz, got '{}'",
       setting, text);
}

std::string_view selection_rule_name(KSelectionRule rule) noexcept {
  switch (rule) {
    case KSelectionRule::kSilhouette:
      return "silhouette";
    case KSelectionRule::kGap:
      return "gap";
    case KSelectionRule::kElbow:
      return "elbow";
    case KSelectionRule::kDaviesBouldin:
      return "davies-bouldin";
    case KSelectionRule::kCalinskiHarabasz:
      return "calinski-harabasz";
  }
  return "?";
}

std::vector<KSelectionChoice> apply_selection_rules(KSelectionTable const& table, int min_k) {
  std::span<int const> const ks = table.ks;
  std::vector<KSelectionChoice> choices;
  choices.push_back({KSelectionRule::kSilhouette, silhouette_rule(ks, table.silhouette, min_k)});
  KSelectionChoice gap{KSelectionRule::kGap};
  gap.ran = table.gap.has_value();
  if (gap.ran) gap.index = gap_rule(ks, *table.gap, min_k, gap.flagged);
  choices.push_back(gap);
  choices.push_back({KSelectionRule::kElbow, elbow_rule(ks, table.inertia, min_k)});
  choices.push_back(
      {KSelectionRule::kDaviesBouldin, extreme_rule(ks, table.davies_bouldin, min_k, false)});
  choices.push_back(
      {KSelectionRule::kCalinskiHarabasz, extreme_rule(ks, table.calinski_harabasz, min_k, true)});
  return choices;
}

}  // namespace cie
