#include "models/segments/cluster_names.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "core/error.hpp"

namespace cie {
namespace {

using Words = std::array<char const*, 5>;

/// Marketing words for the RFM output's columns; other columns get "low/mid/high COLUMN".
bool rfm_words(std::string const& column, Words& words) {
  static std::map<std::string, Words, std::less<>> const table = {
      {"recency_days", {"very recent", "recent", "lapsing", "lapsed", "long lapsed"}},
      {"frequency", {"rare", "infrequent", "occasional", "frequent", "very frequent"}},
      {"transactions", {"rare", "infrequent", "occasional", "frequent", "very frequent"}},
      {"repeat_frequency", {"rare", "infrequent", "occasional", "frequent", "very frequent"}},
      {"monetary_total", {"very low spend", "low spend", "mid spend", "high spend", "top spend"}},
      {"monetary_mean",
       {"very low order value", "low order value", "mid order value", "high order value",
        "top order value"}},
      {"tenure_days", {"very new", "new", "established", "long-standing", "veteran"}},
  };
  auto const found = table.find(column);
  if (found == table.end()) return false;
  words = found->second;
  return true;
}

}  // namespace

FeatureLevel level_of_percentile(double p) noexcept {
  if (p < 0.2) return FeatureLevel::kVeryLow;
  if (p < 0.4) return FeatureLevel::kLow;
  if (p <= 0.6 || std::isnan(p)) return FeatureLevel::kMid;
  if (p <= 0.8) return FeatureLevel::kHigh;
  return FeatureLevel::kVeryHigh;
}

std::string feature_level_word(std::string const& column, FeatureLevel level) {
  auto const index = static_cast<std::size_t>(level);
  Words words{};
  if (rfm_words(column, words)) return words[index];
  static constexpr Words kPrefix = {"very low", "low", "mid", "high", "very high"};
  return fmt::format("{} {}", kPrefix[index], column);
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
           "per feature, the mean over the cluster's customers of their mid-rank percentile "
           "among all training customers: very low < 0.2 <= low < 0.4 <= mid <= 0.6 < high <= "
           "0.8 < very high; shared wordings numbered #1, #2, ... by size"},
          {"clusters", std::move(clusters)}};
}

ClusterNaming name_clusters(FeaturePipeline const& pipeline, std::span<float const> centroids,
                            int n_clusters, RawColumns const& training,
                            std::span<std::int32_t const> labels) {
  auto const k = static_cast<std::size_t>(n_clusters);
  std::size_t const d = pipeline.size();
  std::size_t const n = training.rows;
  CIE_ASSERT(pipeline.fitted() && centroids.size() == k * d && training.columns.size() == d &&
             labels.size() == n && n > 0);
  std::vector<std::size_t> sizes(k, 0);
  for (std::int32_t const label : labels) ++sizes[static_cast<std::size_t>(label)];
  ClusterNaming naming;
  naming.percentiles.assign(k, std::vector<double>(d));
  naming.centroids_original.assign(k, std::vector<double>(d));
  std::vector<std::vector<std::string>> words(k);
  std::vector<std::size_t> order(n);
  std::vector<double> rank_sum(k);
  for (std::size_t j = 0; j < d; ++j) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::fill(rank_sum.begin(), rank_sum.end(), 0.0);
    // float32 values compare as the doubles they equal: the ranks of a float64 column with them.
    training.columns[j].visit([&](auto values) {
      std::sort(order.begin(), order.end(),
                [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
      for (std::size_t begin = 0; begin < n;) {
        std::size_t end = begin + 1;
        while (end < n && values[order[end]] == values[order[begin]]) ++end;
        // Positions begin..end-1 tie: each gets the mean of their mid-ranks, (begin + end) / 2.
        double const p =
            (static_cast<double>(begin) + static_cast<double>(end)) / 2.0 / static_cast<double>(n);
        for (std::size_t r = begin; r < end; ++r) {
          rank_sum[static_cast<std::size_t>(labels[order[r]])] += p;
        }
        begin = end;
      }
    });
    ColumnTransform const& transform = pipeline.features()[j].transform;
    for (std::size_t c = 0; c < k; ++c) {
      double const p = sizes[c] == 0 ? std::numeric_limits<double>::quiet_NaN()
                                     : rank_sum[c] / static_cast<double>(sizes[c]);
      double const t =
          static_cast<double>(centroids[c * d + j]) * pipeline.scales()[j] + pipeline.means()[j];
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
