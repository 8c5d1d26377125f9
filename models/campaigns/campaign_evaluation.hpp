// Campaign evaluation: every treated arm of every campaign against the campaign's control
// group, overall and within each level of an optional breakdown column.
//
// Input: a campaign history already read and checked (host/io/campaign_history_reader.hpp):
// per row a campaign, a group (the control or a treated arm), a 0/1 response and a revenue.
// Per (campaign, level, arm) the result holds the counts and every statistic of
// models/campaigns/campaign_stats.hpp and the revenue bootstrap of bootstrap.hpp; per (campaign,
// level) the sample-ratio-mismatch test of the group sizes against the planned split.
//
// Rows: campaigns in first-appearance order; for each, the overall level ("") first, then the
// breakdown's levels in first-appearance order; within them the treated arms in
// first-appearance order. A level where an arm or the control has no customer is reported with
// counts 0 and undefined statistics as NaN; a level with no customer in the campaign at all (a
// level of other campaigns) is left out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "models/campaigns/campaign_stats.hpp"

namespace cie::campaigns {

/// A campaign history in memory, dictionary-encoded.
struct CampaignHistory {
  std::vector<std::string> campaign_names;
  std::vector<std::string> group_names;
  std::vector<std::string> level_names;  ///< breakdown levels; empty without a breakdown
  std::vector<std::int32_t> campaign;    ///< per row, index into campaign_names
  std::vector<std::int32_t> group;       ///< per row, index into group_names
  std::vector<std::int32_t> level;       ///< per row, index into level_names (or empty)
  std::vector<std::uint8_t> responded;   ///< per row, 0 or 1
  std::vector<double> revenue;           ///< per row, finite

  [[nodiscard]] std::size_t rows() const noexcept { return campaign.size(); }
};

/// The planned split of customers between a campaign's groups, for the sample-ratio check.
struct PlannedSplit {
  enum class Kind {
    kNone,          ///< no check
    kEqual,         ///< every group of the campaign the same share
    kControlShare,  ///< the control `control_share`, the treated arms the rest in equal parts
    kWeights,       ///< `weights` by group name (normalized over the campaign's groups)
  };
  Kind kind = Kind::kNone;
  double control_share = 0.5;
  std::map<std::string, double, std::less<>> weights;
};

struct EvaluationParams {
  /// The control group's name (e.g. "No E-Mail"); every campaign must have it.
  std::string control;
  double alpha = 0.05;
  int bootstrap_draws = 10000;
  std::uint64_t seed = 42;
  PlannedSplit planned;
};

/// The groups of one (campaign, level) and their sample-ratio test.
struct GroupCheck {
  std::int32_t campaign = 0;
  std::int32_t level = -1;              ///< -1 = overall
  std::vector<std::int32_t> groups;     ///< control first, then the arms
  std::vector<std::int64_t> customers;  ///< per group
  std::vector<double> planned_shares;   ///< per group, normalized; empty without a check
  SampleRatioTest sample_ratio;         ///< NaN fields without a check
};

/// One treated arm against the control within one (campaign, level).
struct ArmResult {
  std::int32_t campaign = 0;
  std::int32_t level = -1;  ///< -1 = overall
  std::int32_t arm = 0;
  std::int64_t customers = 0;
  std::int64_t control_customers = 0;
  std::int64_t responders = 0;
  std::int64_t control_responders = 0;
  double response_rate = 0.0;
  double control_response_rate = 0.0;
  double lift = 0.0;                ///< response_rate − control_response_rate
  Interval lift_interval;           ///< Newcombe
  double relative_lift = 0.0;       ///< lift / control_response_rate
  Interval relative_lift_interval;  ///< Katz log interval of the ratio, minus 1
  ZTest z_test;
  double fisher_p_value = 0.0;
  double smallest_expected = 0.0;
  bool fisher_used = false;             ///< smallest_expected < kFisherExpectedCount
  double p_value = 0.0;                 ///< Fisher's when fisher_used, else the z test's
  double incremental_responders = 0.0;  ///< lift · customers
  Interval incremental_responders_interval;
  MeanSummary revenue;
  MeanSummary control_revenue;
  WelchTest revenue_test;                           ///< revenue per customer, arm − control
  Interval bootstrap_interval;                      ///< the same difference, percentile bootstrap
  double incremental_revenue = 0.0;                 ///< revenue_test.difference · customers
  Interval incremental_revenue_interval;            ///< Welch interval · customers
  Interval incremental_revenue_bootstrap_interval;  ///< bootstrap interval · customers
};

struct CampaignEvaluation {
  std::vector<GroupCheck> checks;
  std::vector<ArmResult> arms;
};

/// Evaluates every campaign. Input errors (exit 3) name `source` and the campaign: a campaign
/// without the control group, a campaign with no treated arm, and a planned split that names a
/// group the campaign does not have or leaves out one it has. Bootstrap streams: the k-th arm
/// result (0-based, in output order) uses streams [k · draws, (k + 1) · draws) of the seed.
CampaignEvaluation evaluate_campaigns(Context const& ctx, CampaignHistory const& history,
                                      EvaluationParams const& params, std::string const& source);

}  // namespace cie::campaigns
