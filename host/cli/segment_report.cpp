#include "host/cli/segment_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "core/atomic_file.hpp"
#include "host/io/rfm_output.hpp"

namespace cie::cli {

std::string format_profile(SegmentProfile const& profile, std::vector<std::string> const& names) {
  std::string out =
      fmt::format("  {:>7} {:>10} {:>7} {:>8}", "cluster", "customers", "share", "revenue");
  std::vector<std::size_t> widths;
  for (std::string const& name : profile.feature_names) {
    widths.push_back(std::max<std::size_t>(name.size(), 19));
    out += fmt::format("  {:>{}}", name, widths.back());
  }
  out += "  top RFM segments\n";
  std::string named = "  cluster names:\n";
  for (std::size_t c = 0; c < profile.clusters.size(); ++c) {
    ClusterProfile const& cluster = profile.clusters[c];
    out += fmt::format("  {:>7} {:>10} {:>6.1f}% {:>7}", c, cluster.size, 100.0 * cluster.share,
                       std::isnan(cluster.revenue_share)
                           ? std::string("-")
                           : fmt::format("{:.1f}%", 100.0 * cluster.revenue_share));
    for (std::size_t j = 0; j < widths.size(); ++j) {
      out += fmt::format("  {:>{}}",
                         fmt::format("{:.4g} / {:.4g}", cluster.mean[j], cluster.median[j]),
                         widths[j]);
    }
    std::vector<std::string> segments;
    for (auto const& [name, share] : cluster.top_segments) {
      segments.push_back(fmt::format("{} {:.1f}%", name, 100.0 * share));
    }
    out +=
        "  " + (segments.empty() ? std::string("-") : fmt::format("{}", fmt::join(segments, ", ")));
    out += "\n";
    named += fmt::format("  {:>7}  {}\n", c, names[c]);
  }
  out += named;
  out += fmt::format("  (features: mean / median in original units{})\n",
                     profile.revenue_column.empty()
                         ? std::string("; no revenue column")
                         : fmt::format("; revenue = sum of {}", profile.revenue_column));
  return out;
}

void write_assignments(Context const& ctx, std::string const& path,
                       std::span<std::string const> ids, FeatureMatrix x,
                       std::vector<float> const& centroids, std::vector<std::int32_t> const& labels,
                       std::vector<std::string> const& names) {
  std::size_t const n = x.rows;
  std::vector<double> distance(n);
  auto const rows = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::ptrdiff_t row = 0; row < rows; ++row) {
    auto const i = static_cast<std::size_t>(row);
    double squared = 0.0;
    for (std::size_t j = 0; j < x.cols; ++j) {
      double const difference = static_cast<double>(x.column(j)[i]) -
                                centroids[static_cast<std::size_t>(labels[i]) * x.cols + j];
      squared += difference * difference;
    }
    distance[i] = std::sqrt(squared);
  }
  AtomicFile file(path);
  std::vector<std::string> quoted_names;
  for (std::string const& name : names) {
    quoted_names.emplace_back();
    append_csv_field(quoted_names.back(), name);
  }
  std::string chunk = "customer_id,cluster,cluster_name,distance\n";
  for (std::size_t i = 0; i < n; ++i) {
    append_csv_field(chunk, ids[i]);
    fmt::format_to(std::back_inserter(chunk), ",{},{},{:.6g}\n", labels[i],
                   quoted_names[static_cast<std::size_t>(labels[i])], distance[i]);
    if (chunk.size() > (1u << 20)) {
      file.write(chunk);
      chunk.clear();
    }
  }
  file.write(chunk);
  file.commit();
}

namespace {

std::string rule_in_words(KSelectionRule rule, int gap_references, std::uint64_t seed) {
  switch (rule) {
    case KSelectionRule::kSilhouette:
      return fmt::format("highest silhouette (within {} counts as a tie: smallest k)",
                         kSilhouetteTieTolerance);
    case KSelectionRule::kGap:
      return fmt::format(
          "smallest k with gap(k) >= gap(k+1) - gap_s(k+1); {} uniform reference sets, seed {}",
          gap_references, seed);
    case KSelectionRule::kElbow:
      return "inertia curve farthest below its chord (both axes scaled to [0, 1])";
    case KSelectionRule::kDaviesBouldin:
      return "lowest Davies-Bouldin";
    case KSelectionRule::kCalinskiHarabasz:
      return "highest Calinski-Harabasz";
  }
  return "";
}

std::string chosen_k(KSelectionChoice const& choice, std::vector<int> const& ks) {
  if (!choice.ran) return "-";
  if (choice.index == kNoChoice) return "none";
  return fmt::format("{}", ks[choice.index]);
}

}  // namespace

std::string format_selection_rules(std::vector<KSelectionChoice> const& choices,
                                   std::vector<int> const& ks, int min_k, int gap_references,
                                   std::uint64_t seed) {
  std::string out = min_k > ks.front()
                        ? fmt::format("  k recommended by each rule (k >= {}):\n", min_k)
                        : std::string("  k recommended by each rule:\n");
  for (KSelectionChoice const& choice : choices) {
    std::string note = rule_in_words(choice.rule, gap_references, seed);
    if (!choice.ran) note = "not computed (--gap-references 0)";
    if (choice.flagged) note += "; no k passed, the highest gap is shown";
    if (choice.ran && choice.index == kNoChoice && choice.rule == KSelectionRule::kElbow) {
      note += "; needs 3 k and a falling curve";
    }
    out += fmt::format("    {:<18} k = {:<5} {}\n", selection_rule_name(choice.rule),
                       chosen_k(choice, ks), note);
  }
  return out;
}

std::string format_recommendation(std::vector<KSelectionChoice> const& choices,
                                  std::vector<int> const& ks, KSelectionRule rule) {
  KSelectionChoice const& choice = choices[static_cast<std::size_t>(rule)];
  if (rule == KSelectionRule::kSilhouette) {
    if (choice.index == kNoChoice) {
      return "no k recommended: no silhouette could be computed (fewer than 2 non-empty "
             "clusters)\n";
    }
    return fmt::format(
        "recommended k = {}: the highest silhouette, where a k within {} of the highest counts as "
        "a tie and the smallest such k wins\n",
        ks[choice.index], kSilhouetteTieTolerance);
  }
  if (choice.index == kNoChoice) {
    return fmt::format("no k recommended: the {} rule could not choose\n",
                       selection_rule_name(rule));
  }
  return fmt::format("recommended k = {}: the {} rule\n", ks[choice.index],
                     selection_rule_name(rule));
}

std::string describe_features(FeaturePipeline const& pipeline) {
  std::vector<std::string> parts;
  for (FeatureSpec const& feature : pipeline.features()) {
    parts.push_back(fmt::format("{} ({})", feature.column, feature.transform.to_string()));
  }
  return fmt::format("{}{}", fmt::join(parts, ", "),
                     pipeline.standardizes() ? ", z-scored" : ", not standardized");
}

std::string describe_silhouette(ClusterMetrics const& metrics, std::size_t rows,
                                std::uint64_t seed) {
  return metrics.silhouette_sampled
             ? fmt::format("silhouette on a uniform sample of {} of {} rows (seed {})",
                           metrics.silhouette_rows, rows, seed)
             : fmt::format("silhouette exact on all {} rows", rows);
}

}  // namespace cie::cli
