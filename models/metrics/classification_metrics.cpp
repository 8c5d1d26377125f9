#include "models/metrics/classification_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace cie {
namespace {

using nlohmann::json;

constexpr double kLogLossClip = 1e-15;

double weight_of(std::span<float const> weight, std::size_t i) {
  return weight.empty() ? 1.0 : static_cast<double>(weight[i]);
}

/// Rejects input with no rows or no weight, over which a mean is undefined.
double total_weight(std::span<float const> weight, std::size_t rows) {
  CIE_EXPECTS_DATA(rows > 0, "cannot evaluate scores on 0 rows");
  if (weight.empty()) return static_cast<double>(rows);
  double const total = std::accumulate(weight.begin(), weight.end(), 0.0);
  CIE_EXPECTS_DATA(total > 0.0, "the weights of the {} rows sum to 0", rows);
  return total;
}

void check_bins(int bins) { CIE_EXPECTS(bins >= 1, "bins must be >= 1, got {}", bins); }

/// Row indices in the ranking convention: descending score, ties by row order.
/// Rows by decreasing score; ties by decreasing tie_break (when given), then input order.
std::vector<std::size_t> ranking_order(std::span<double const> score,
                                       std::span<double const> tie_break = {}) {
  std::vector<std::size_t> order(score.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (score[a] != score[b]) return score[a] > score[b];
    if (!tie_break.empty() && tie_break[a] != tie_break[b]) return tie_break[a] > tie_break[b];
    return a < b;
  });
  return order;
}

double ratio_or_zero(double numerator, double denominator) {
  return denominator > 0.0 ? numerator / denominator : 0.0;
}

}  // namespace

void check_scores(std::span<double const> score) {
  for (std::size_t i = 0; i < score.size(); ++i) {
    CIE_EXPECTS_DATA(!std::isnan(score[i]), "the score of row {} is NaN", i + 1);
    CIE_EXPECTS_DATA(score[i] >= 0.0 && score[i] <= 1.0,
                     "the score of row {} is {}, outside [0, 1]", i + 1, score[i]);
  }
}

void check_scored_labels(std::span<double const> score, std::span<float const> label,
                         std::span<float const> weight) {
  CIE_EXPECTS(label.size() == score.size(), "{} labels for {} scores", label.size(), score.size());
  CIE_EXPECTS(weight.empty() || weight.size() == score.size(), "{} weights for {} scores",
              weight.size(), score.size());
  check_scores(score);
  for (std::size_t i = 0; i < label.size(); ++i) {
    CIE_EXPECTS_DATA(label[i] == 0.0F || label[i] == 1.0F,
                     "the label of row {} is {}, expected 0 or 1", i + 1, label[i]);
  }
  for (std::size_t i = 0; i < weight.size(); ++i) {
    CIE_EXPECTS_DATA(std::isfinite(weight[i]) && weight[i] >= 0.0F,
                     "the weight of row {} is {}, expected a finite number >= 0", i + 1, weight[i]);
  }
}

double roc_auc(std::span<double const> score, std::span<float const> label,
               std::span<float const> weight) {
  check_scored_labels(score, label, weight);
  std::vector<std::size_t> const order = ranking_order(score);
  // Walking down from the highest score, each negative beats no one and loses to the positive
  // weight seen so far, plus half of the positives tied with it.
  double positives_above = 0.0;
  double negatives = 0.0;
  double area = 0.0;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    double group_positives = 0.0;
    double group_negatives = 0.0;
    for (; end < order.size() && score[order[end]] == score[order[begin]]; ++end) {
      double const w = weight_of(weight, order[end]);
      (label[order[end]] == 1.0F ? group_positives : group_negatives) += w;
    }
    area += group_negatives * (positives_above + 0.5 * group_positives);
    positives_above += group_positives;
    negatives += group_negatives;
    begin = end;
  }
  CIE_EXPECTS_DATA(positives_above > 0.0 && negatives > 0.0,
                   "ROC AUC needs both classes, but the {} rows have {} positive and {} negative "
                   "weight",
                   score.size(), positives_above, negatives);
  return area / (positives_above * negatives);
}

double log_loss(std::span<double const> score, std::span<float const> label,
                std::span<float const> weight) {
  check_scored_labels(score, label, weight);
  double const total = total_weight(weight, score.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < score.size(); ++i) {
    double const p = std::clamp(score[i], kLogLossClip, 1.0 - kLogLossClip);
    double const loss = label[i] == 1.0F ? -std::log(p) : -std::log1p(-p);
    sum += weight_of(weight, i) * loss;
  }
  return sum / total;
}

double brier_score(std::span<double const> score, std::span<float const> label,
                   std::span<float const> weight) {
  check_scored_labels(score, label, weight);
  double const total = total_weight(weight, score.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < score.size(); ++i) {
    double const error = score[i] - static_cast<double>(label[i]);
    sum += weight_of(weight, i) * error * error;
  }
  return sum / total;
}

double accuracy(std::span<double const> score, std::span<float const> label, double threshold,
                std::span<float const> weight) {
  check_scored_labels(score, label, weight);
  CIE_EXPECTS(threshold >= 0.0 && threshold <= 1.0, "threshold must be in [0, 1], got {}",
              threshold);
  double const total = total_weight(weight, score.size());
  double correct = 0.0;
  for (std::size_t i = 0; i < score.size(); ++i) {
    if ((score[i] >= threshold) == (label[i] == 1.0F)) correct += weight_of(weight, i);
  }
  return correct / total;
}

Ranking rank_scores(std::span<double const> score, int bins, std::span<double const> tie_break) {
  check_bins(bins);
  check_scores(score);
  CIE_EXPECTS(tie_break.empty() || tie_break.size() == score.size(),
              "rank_scores: {} tie-break values for {} scores", tie_break.size(), score.size());
  std::vector<std::size_t> const order = ranking_order(score, tie_break);
  auto const n = static_cast<std::int64_t>(score.size());
  Ranking ranking;
  ranking.rank.resize(score.size());
  ranking.decile.resize(score.size());
  for (std::int64_t position = 0; position < n; ++position) {
    std::size_t const row = order[static_cast<std::size_t>(position)];
    ranking.rank[row] = position + 1;
    ranking.decile[row] = static_cast<std::int32_t>(1 + position * bins / n);
  }
  return ranking;
}

std::vector<DecileRow> decile_table(std::span<double const> score, std::span<float const> label,
                                    int bins, std::span<double const> tie_break) {
  check_bins(bins);
  check_scored_labels(score, label);
  Ranking const ranking = rank_scores(score, bins, tie_break);
  std::vector<DecileRow> table(static_cast<std::size_t>(bins));
  std::vector<double> score_sum(table.size(), 0.0);
  for (std::size_t d = 0; d < table.size(); ++d) table[d].decile = static_cast<int>(d + 1);
  for (std::size_t i = 0; i < score.size(); ++i) {
    DecileRow& row = table[static_cast<std::size_t>(ranking.decile[i] - 1)];
    row.min_score = row.customers == 0 ? score[i] : std::min(row.min_score, score[i]);
    row.max_score = row.customers == 0 ? score[i] : std::max(row.max_score, score[i]);
    ++row.customers;
    if (label[i] == 1.0F) ++row.responders;
    score_sum[static_cast<std::size_t>(ranking.decile[i] - 1)] += score[i];
  }
  std::size_t all_responders = 0;
  for (DecileRow const& row : table) all_responders += row.responders;
  double const overall_rate =
      ratio_or_zero(static_cast<double>(all_responders), static_cast<double>(score.size()));
  std::size_t customers_so_far = 0;
  std::size_t responders_so_far = 0;
  for (std::size_t d = 0; d < table.size(); ++d) {
    DecileRow& row = table[d];
    auto const customers = static_cast<double>(row.customers);
    row.response_rate = ratio_or_zero(static_cast<double>(row.responders), customers);
    row.mean_score = ratio_or_zero(score_sum[d], customers);
    row.lift = ratio_or_zero(row.response_rate, overall_rate);
    customers_so_far += row.customers;
    responders_so_far += row.responders;
    row.cumulative_responders_share =
        ratio_or_zero(static_cast<double>(responders_so_far), static_cast<double>(all_responders));
    double const cumulative_rate = ratio_or_zero(static_cast<double>(responders_so_far),
                                                 static_cast<double>(customers_so_far));
    row.cumulative_lift = ratio_or_zero(cumulative_rate, overall_rate);
  }
  return table;
}

std::vector<ReliabilityBin> reliability_table(std::span<double const> score,
                                              std::span<float const> label, int bins) {
  check_bins(bins);
  check_scored_labels(score, label);
  auto const count = static_cast<std::size_t>(bins);
  // numpy.linspace(0, 1, bins + 1): i · step, the last edge exactly 1.
  double const step = 1.0 / static_cast<double>(bins);
  auto const edge = [&](std::size_t i) { return i == count ? 1.0 : static_cast<double>(i) * step; };
  std::vector<ReliabilityBin> table(count);
  std::vector<double> score_sum(count, 0.0);
  std::vector<double> positives(count, 0.0);
  for (std::size_t b = 0; b < count; ++b) {
    table[b].lower = edge(b);
    table[b].upper = edge(b + 1);
  }
  for (std::size_t i = 0; i < score.size(); ++i) {
    double const p = score[i];
    // The first guess can be one bin off where i · step rounds; the edges decide.
    auto b = static_cast<std::size_t>(std::clamp(std::ceil(p * bins) - 1.0, 0.0, bins - 1.0));
    while (b > 0 && p <= edge(b)) --b;
    while (b + 1 < count && p > edge(b + 1)) ++b;
    ++table[b].count;
    score_sum[b] += p;
    positives[b] += label[i];
  }
  for (std::size_t b = 0; b < count; ++b) {
    auto const rows = static_cast<double>(table[b].count);
    table[b].mean_predicted = ratio_or_zero(score_sum[b], rows);
    table[b].observed_rate = ratio_or_zero(positives[b], rows);
  }
  return table;
}

ClassificationReport evaluate_classifier(std::span<double const> score,
                                         std::span<float const> label, double threshold, int bins,
                                         std::span<double const> tie_break) {
  check_bins(bins);
  ClassificationReport report;
  report.auc = roc_auc(score, label);  // checks the input, and that both classes are present
  report.rows = score.size();
  report.positives = static_cast<std::size_t>(std::count(label.begin(), label.end(), 1.0F));
  report.log_loss = log_loss(score, label);
  report.brier = brier_score(score, label);
  report.threshold = threshold;
  report.accuracy = accuracy(score, label, threshold);
  report.deciles = decile_table(score, label, bins, tie_break);
  report.reliability = reliability_table(score, label, bins);
  return report;
}

json ClassificationReport::to_json() const {
  json deciles_json = json::array();
  for (DecileRow const& row : deciles) {
    deciles_json.push_back({{"decile", row.decile},
                            {"customers", row.customers},
                            {"responders", row.responders},
                            {"response_rate", row.response_rate},
                            {"lift", row.lift},
                            {"cumulative_responders_share", row.cumulative_responders_share},
                            {"cumulative_lift", row.cumulative_lift},
                            {"min_score", row.min_score},
                            {"max_score", row.max_score},
                            {"mean_score", row.mean_score}});
  }
  json reliability_json = json::array();
  for (ReliabilityBin const& bin : reliability) {
    reliability_json.push_back({{"lower", bin.lower},
                                {"upper", bin.upper},
                                {"count", bin.count},
                                {"mean_predicted", bin.mean_predicted},
                                {"observed_rate", bin.observed_rate}});
  }
  return {{"rows", rows},
          {"positives", positives},
          {"auc", auc},
          {"log_loss", log_loss},
          {"brier", brier},
          {"threshold", threshold},
          {"accuracy", accuracy},
          {"deciles", std::move(deciles_json)},
          {"reliability", std::move(reliability_json)}};
}

std::string ClassificationReport::to_text() const {
  std::string text;
  auto out = std::back_inserter(text);
  double const rate = ratio_or_zero(static_cast<double>(positives), static_cast<double>(rows));
  fmt::format_to(out, "rows          {}\n", rows);
  fmt::format_to(out, "positives     {} ({:.2f}%)\n", positives, 100.0 * rate);
  fmt::format_to(out, "ROC AUC       {:.4f}\n", auc);
  fmt::format_to(out, "log-loss      {:.4f}\n", log_loss);
  fmt::format_to(out, "Brier score   {:.4f}\n", brier);
  fmt::format_to(out, "accuracy      {:.4f} (threshold {:g})\n", accuracy, threshold);

  fmt::format_to(out, "\n{:>6} {:>10} {:>10} {:>7} {:>6} {:>9} {:>9}  {}\n", "decile", "customers",
                 "responders", "rate", "lift", "cum. gain", "cum. lift", "score range");
  for (DecileRow const& row : deciles) {
    fmt::format_to(out, "{:>6} {:>10} {:>10} {:>6.2f}% {:>6.2f} {:>8.1f}% {:>9.2f}  ", row.decile,
                   row.customers, row.responders, 100.0 * row.response_rate, row.lift,
                   100.0 * row.cumulative_responders_share, row.cumulative_lift);
    if (row.customers == 0) {
      fmt::format_to(out, "-\n");
    } else {
      fmt::format_to(out, "{:.4f} - {:.4f}\n", row.min_score, row.max_score);
    }
  }

  fmt::format_to(out, "\n{:>15} {:>10} {:>10} {:>9}\n", "predicted", "customers", "mean pred.",
                 "observed");
  for (ReliabilityBin const& bin : reliability) {
    fmt::format_to(out, "{:>15} {:>10} ", fmt::format("{:.2f} - {:.2f}", bin.lower, bin.upper),
                   bin.count);
    if (bin.count == 0) {
      fmt::format_to(out, "{:>10} {:>9}\n", "-", "-");
    } else {
      fmt::format_to(out, "{:>10.4f} {:>9.4f}\n", bin.mean_predicted, bin.observed_rate);
    }
  }
  return text;
}

}  // namespace cie
