#include "models/segments/cluster_names.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "core/error.hpp"

namespace cie {
namespace {

struct Words {
  char const* low;
  char const* mid;
  char const* high;
};

/// Marketing words for the RFM output's columns; other columns get "low/mid/high COLUMN".
bool rfm_words(std::string const& column, Words& words) {
  static std::map<std::string, Words, std::less<>> const table = {
      {"recency_days", {"recent", "lapsing", "lapsed"}},
      {"frequency", {"infrequent", "occasional", "frequent"}},
      {"transactions", {"infrequent", "occasional", "frequent"}},
      {"repeat_frequency", {"infrequent", "occasional", "frequent"}},
      {"monetary_total", {"low spend", "mid spend", "high spend"}},
      {"monetary_mean", {"low order value", "mid order value", "high order value"}},
      {"tenure_days", {"new", "established", "long-standing"}},
  };
  auto const found = table.find(column);
  if (found == table.end()) return false;
  words = found->second;
  return true;
}

/// Whether two transformed values count as equal for the mid-rank (float centroids against
/// double data).
bool same_value(double a, double b) noexcept {
  return std::abs(a - b) <= 1e-6 * std::max(1.0, std::max(std::abs(a), std::abs(b)));
}

}  // namespace

FeatureLevel level_of_percentile(double p) noexcept {
  if (p < 1.0 / 3.0) return FeatureLevel::kLow;
  if (p > 2.0 / 3.0) return FeatureLevel::kHigh;
  return FeatureLevel::kMid;
}

std::string feature_level_word(std::string const& column, FeatureLevel level) {
  Words words{};
  if (rfm_words(column, words)) {
    return level == FeatureLevel::kLow ? words.low
           : level == FeatureLevel::kMid ? words.mid
                                         : words.high;
  }
  char const* const prefix = level == FeatureLevel::kLow   ? "low"
                             : level == FeatureLevel::kMid ? "mid"
                                                           : "high";
  return fmt::format("{} {}", prefix, column);
}

nlohmann::json ClusterNaming::to_json(std::vector<std::string> const& feature_names,
                                      std::span<std::int32_t const> id) const {
  CIE_ASSERT(id.size() == names.size());
  std::vector<std::size_t> by_id(names.size());
  for (std::size_t c = 0; c < names.size(); ++c) by_id[static_cast<std::size_t>(id[c])] = c;
  nlohmann::json clusters = nlohmann::json::array();
  for (std::size_t const c : by_id) {
    nlohmann::json percentile = nlohmann::json::object();
    nlohmann::json original = nlohmann::json::object();
    for (std::size_t j = 0; j < feature_names.size(); ++j) {
      percentile[feature_names[j]] = percentiles[c][j];
      original[feature_names[j]] = centroids_original[c][j];
    }
    clusters.push_back({{"id", id[c]},
                        {"wording", wordings[c]},
                        {"percentiles", std::move(percentile)},
                        {"centroid_original", std::move(original)}});
  }
  return {{"rule",
           "per feature, the centroid's mid-rank percentile among the training customers: "
           "low < 1/3 <= mid <= 2/3 < high; shared wordings numbered #1, #2, ... by size"},
          {"clusters", std::move(clusters)}};
}

ClusterNaming name_clusters(FeaturePipeline const& pipeline, std::span<float const> centroids,
                            int n_clusters, RawColumns const& training,
                            std::span<std::size_t const> sizes) {
  auto const k = static_cast<std::size_t>(n_clusters);
  std::size_t const d = pipeline.size();
  CIE_ASSERT(pipeline.fitted() && centroids.size() == k * d && training.columns.size() == d &&
             sizes.size() == k && training.rows > 0);
  ClusterNaming naming;
  naming.percentiles.assign(k, std::vector<double>(d));
  naming.centroids_original.assign(k, std::vector<double>(d));
  std::vector<std::vector<std::string>> words(k);
  std::vector<double> values(training.rows);
  for (std::size_t j = 0; j < d; ++j) {
    ColumnTransform const& transform = pipeline.features()[j].transform;
    double const clip = pipeline.clip_values()[j];
    for (std::size_t i = 0; i < training.rows; ++i) {
      values[i] = transform.apply(training.columns[j][i], clip);
    }
    std::sort(values.begin(), values.end());
    auto const n = static_cast<double>(values.size());
    for (std::size_t c = 0; c < k; ++c) {
      double const t = static_cast<double>(centroids[c * d + j]) * pipeline.scales()[j] +
                       pipeline.means()[j];
      double const tolerance = 1e-6 * std::max(1.0, std::abs(t));
      auto const below = std::lower_bound(values.begin(), values.end(), t - tolerance);
      auto const above = std::upper_bound(below, values.end(), t + tolerance);
      auto const equal = static_cast<double>(above - below);
      double const p = (static_cast<double>(below - values.begin()) + equal / 2.0) / n;
      CIE_ASSERT(equal == 0.0 || same_value(*below, t));
      naming.percentiles[c][j] = p;
      naming.centroids_original[c][j] = transform.log1p ? std::expm1(t) : t;
      words[c].push_back(feature_level_word(pipeline.features()[j].column, level_of_percentile(p)));
    }
  }
  for (std::size_t c = 0; c < k; ++c) {
    naming.wordings.push_back(fmt::format("{}", fmt::join(words[c], ", ")));
  }
  naming.names = distinct_names(naming.wordings, sizes);
  return naming;
}

std::vector<std::string> distinct_names(std::span<std::string const> wordings,
                                        std::span<std::size_t const> sizes) {
  CIE_ASSERT(wordings.size() == sizes.size());
  std::vector<std::size_t> order(wordings.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return sizes[a] > sizes[b]; });
  std::map<std::string, int, std::less<>> shared;
  for (std::string const& wording : wordings) ++shared[wording];
  std::map<std::string, int, std::less<>> numbered;
  std::vector<std::string> names(wordings.begin(), wordings.end());
  for (std::size_t const c : order) {
    if (shared[wordings[c]] > 1) names[c] += fmt::format(" #{}", ++numbered[wordings[c]]);
  }
  return names;
}

std::vector<std::string> carry_names(std::span<std::string const> previous_names,
                                     std::span<std::int32_t const> new_id,
                                     std::span<std::int32_t const> previous_id,
                                     std::span<std::string const> wordings) {
  std::size_t const k = new_id.size();
  CIE_ASSERT(previous_id.size() == k && wordings.size() == k);
  std::vector<std::string> names(k);
  std::set<std::string, std::less<>> used;
  for (std::size_t c = 0; c < k; ++c) {
    auto const previous = previous_id[c];
    if (previous < 0 || static_cast<std::size_t>(previous) >= previous_names.size()) continue;
    names[static_cast<std::size_t>(new_id[c])] = previous_names[static_cast<std::size_t>(previous)];
    used.insert(previous_names[static_cast<std::size_t>(previous)]);
  }
  for (std::size_t c = 0; c < k; ++c) {
    std::string& name = names[static_cast<std::size_t>(new_id[c])];
    if (!name.empty()) continue;
    name = wordings[c];
    for (int n = 2; used.contains(name); ++n) name = fmt::format("{} #{}", wordings[c], n);
    used.insert(name);
  }
  return names;
}

std::vector<std::string> apply_given_names(std::vector<std::string> names,
                                           std::map<int, std::string> const& given,
                                           std::string const& source) {
  for (auto const& [id, name] : given) {
    CIE_EXPECTS(id >= 0 && static_cast<std::size_t>(id) < names.size(),
                "{}: cluster {} does not exist (the model has clusters 0..{})", source, id,
                names.size() - 1);
    CIE_EXPECTS(!name.empty(), "{}: cluster {} has an empty name", source, id);
    names[static_cast<std::size_t>(id)] = name;
  }
  std::map<std::string_view, std::size_t> first;
  for (std::size_t c = 0; c < names.size(); ++c) {
    auto const [it, inserted] = first.emplace(names[c], c);
    CIE_EXPECTS(inserted, "{}: clusters {} and {} would both be named '{}'; names must differ",
                source, it->second, c, names[c]);
  }
  return names;
}

}  // namespace cie
