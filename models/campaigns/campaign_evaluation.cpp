#include "models/campaigns/campaign_evaluation.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <span>

#include "core/error.hpp"
#include "models/campaigns/bootstrap.hpp"
#include "models/campaigns/campaign_stats.hpp"

namespace cie::campaigns {
namespace {

// Customers of one (campaign, level, group).
struct Bucket {
  std::int64_t customers = 0;
  std::int64_t responders = 0;
  std::vector<double> revenue;
};

// Buckets indexed by (campaign, level slot, group); level slot 0 is overall, slot l + 1 level l.
class Buckets {
 public:
  explicit Buckets(CampaignHistory const& history)
      : levels_(history.level_names.size() + 1),
        groups_(history.group_names.size()),
        buckets_(history.campaign_names.size() * levels_ * groups_) {
    auto const add = [&](std::size_t row, std::size_t slot, bool fill) {
      Bucket& bucket = at(history.campaign[row], slot, history.group[row]);
      if (fill) {
        bucket.revenue.push_back(history.revenue[row]);
      } else {
        ++bucket.customers;
        bucket.responders += history.responded[row];
      }
    };
    for (bool const fill : {false, true}) {
      if (fill) {
        for (Bucket& bucket : buckets_)
          bucket.revenue.reserve(static_cast<std::size_t>(bucket.customers));
      }
      for (std::size_t row = 0; row < history.rows(); ++row) {
        add(row, 0, fill);
        if (!history.level.empty())
          add(row, static_cast<std::size_t>(history.level[row]) + 1, fill);
      }
    }
  }

  Bucket const& at(std::int32_t campaign, std::size_t slot, std::int32_t group) const {
    return buckets_[(static_cast<std::size_t>(campaign) * levels_ + slot) * groups_ +
                    static_cast<std::size_t>(group)];
  }
  Bucket& at(std::int32_t campaign, std::size_t slot, std::int32_t group) {
    return buckets_[(static_cast<std::size_t>(campaign) * levels_ + slot) * groups_ +
                    static_cast<std::size_t>(group)];
  }
  [[nodiscard]] std::size_t level_slots() const noexcept { return levels_; }

 private:
  std::size_t levels_;
  std::size_t groups_;
  std::vector<Bucket> buckets_;
};

// The campaign's groups, control first, then the treated arms in first-appearance order.
std::vector<std::int32_t> campaign_groups(CampaignHistory const& history, Buckets const& buckets,
                                          std::int32_t campaign, std::int32_t control,
                                          std::string const& control_name,
                                          std::string const& source) {
  std::string const& name = history.campaign_names[static_cast<std::size_t>(campaign)];
  std::vector<std::int32_t> groups;
  std::vector<std::string> present;
  for (std::int32_t g = 0; g < static_cast<std::int32_t>(history.group_names.size()); ++g) {
    if (buckets.at(campaign, 0, g).customers == 0) continue;
    present.push_back(history.group_names[static_cast<std::size_t>(g)]);
    if (g != control) groups.push_back(g);
  }
  CIE_EXPECTS_DATA(control >= 0 && buckets.at(campaign, 0, control).customers > 0,
                   "{}: campaign '{}' has no control group: no row has group '{}' (its groups: "
                   "{}); name the control with --control",
                   source, name, control_name, fmt::join(present, ", "));
  CIE_EXPECTS_DATA(!groups.empty(),
                   "{}: campaign '{}' has only the control group '{}': no treated arm to evaluate",
                   source, name, control_name);
  groups.insert(groups.begin(), control);
  return groups;
}

std::vector<double> planned_shares(CampaignHistory const& history, PlannedSplit const& planned,
                                   std::span<std::int32_t const> groups,
                                   std::string const& campaign, std::string const& source) {
  std::vector<double> shares;
  switch (planned.kind) {
    case PlannedSplit::Kind::kNone:
      return shares;
    case PlannedSplit::Kind::kEqual:
      shares.assign(groups.size(), 1.0 / static_cast<double>(groups.size()));
      return shares;
    case PlannedSplit::Kind::kControlShare:
      shares.assign(groups.size(),
                    (1.0 - planned.control_share) / static_cast<double>(groups.size() - 1));
      shares.front() = planned.control_share;
      return shares;
    case PlannedSplit::Kind::kWeights:
      break;
  }
  double total = 0.0;
  for (std::int32_t const g : groups) {
    std::string const& name = history.group_names[static_cast<std::size_t>(g)];
    auto const found = planned.weights.find(name);
    CIE_EXPECTS_DATA(found != planned.weights.end(),
                     "{}: campaign '{}' has group '{}', which --planned-split does not name",
                     source, campaign, name);
    shares.push_back(found->second);
    total += found->second;
  }
  for (auto const& entry : planned.weights) {
    std::string const& name = entry.first;  // a structured binding cannot be captured (clang 14)
    bool const present = std::any_of(groups.begin(), groups.end(), [&](std::int32_t g) {
      return history.group_names[static_cast<std::size_t>(g)] == name;
    });
    CIE_EXPECTS_DATA(
        present,
        "{}: --planned-split names group '{}', but campaign '{}' has no customer in it "
        "(an empty group)",
        source, name, campaign);
  }
  for (double& share : shares) share /= total;
  return shares;
}

ArmResult compare(Context const& ctx, Bucket const& arm, Bucket const& control,
                  EvaluationParams const& params, std::uint64_t stream_block) {
  ArmResult r;
  r.customers = arm.customers;
  r.control_customers = control.customers;
  r.responders = arm.responders;
  r.control_responders = control.responders;
  double const n1 = static_cast<double>(arm.customers);
  double const n2 = static_cast<double>(control.customers);
  r.response_rate = n1 > 0 ? static_cast<double>(arm.responders) / n1 : kNaN;
  r.control_response_rate = n2 > 0 ? static_cast<double>(control.responders) / n2 : kNaN;
  r.lift = r.response_rate - r.control_response_rate;
  r.lift_interval = newcombe_interval(arm.responders, arm.customers, control.responders,
                                      control.customers, params.alpha);
  r.relative_lift = r.control_response_rate > 0.0 ? r.lift / r.control_response_rate : kNaN;
  Interval const ratio = risk_ratio_log_interval(arm.responders, arm.customers, control.responders,
                                                 control.customers, params.alpha);
  r.relative_lift_interval = {ratio.low - 1.0, ratio.high - 1.0};
  r.z_test =
      two_proportion_z_test(arm.responders, arm.customers, control.responders, control.customers);
  bool const comparable = arm.customers > 0 && control.customers > 0;
  r.fisher_p_value = comparable ? fisher_exact_p(arm.responders, arm.customers, control.responders,
                                                 control.customers)
                                : kNaN;
  r.smallest_expected =
      smallest_expected_count(arm.responders, arm.customers, control.responders, control.customers);
  r.fisher_used = comparable && r.smallest_expected < kFisherExpectedCount;
  r.p_value = r.fisher_used ? r.fisher_p_value : r.z_test.p_value;
  r.incremental_responders = r.lift * n1;
  r.incremental_responders_interval = {r.lift_interval.low * n1, r.lift_interval.high * n1};
  r.revenue = summarize(arm.revenue);
  r.control_revenue = summarize(control.revenue);
  r.revenue_test = welch_test(r.revenue, r.control_revenue, params.alpha);
  BootstrapParams bootstrap;
  bootstrap.draws = params.bootstrap_draws;
  bootstrap.alpha = params.alpha;
  bootstrap.seed = params.seed;
  bootstrap.first_stream = stream_block * static_cast<std::uint64_t>(params.bootstrap_draws);
  r.bootstrap_interval = bootstrap_mean_difference(ctx, arm.revenue, control.revenue, bootstrap);
  r.incremental_revenue = r.revenue_test.difference * n1;
  r.incremental_revenue_interval = {r.revenue_test.interval.low * n1,
                                    r.revenue_test.interval.high * n1};
  r.incremental_revenue_bootstrap_interval = {r.bootstrap_interval.low * n1,
                                              r.bootstrap_interval.high * n1};
  return r;
}

}  // namespace

CampaignEvaluation evaluate_campaigns(Context const& ctx, CampaignHistory const& history,
                                      EvaluationParams const& params, std::string const& source) {
  CIE_EXPECTS(params.alpha > 0.0 && params.alpha < 1.0, "--alpha: must be in (0, 1), got {}",
              params.alpha);
  CIE_EXPECTS(params.planned.kind != PlannedSplit::Kind::kControlShare ||
                  (params.planned.control_share > 0.0 && params.planned.control_share < 1.0),
              "--planned-split: the control's share must be in (0, 1), got {}",
              params.planned.control_share);
  CIE_ASSERT(history.group.size() == history.rows() && history.responded.size() == history.rows() &&
             history.revenue.size() == history.rows() &&
             (history.level.empty() || history.level.size() == history.rows()));
  auto const control_it =
      std::find(history.group_names.begin(), history.group_names.end(), params.control);
  std::int32_t const control =
      control_it == history.group_names.end()
          ? -1
          : static_cast<std::int32_t>(control_it - history.group_names.begin());
  Buckets const buckets(history);
  CampaignEvaluation evaluation;
  std::uint64_t stream_block = 0;
  for (std::int32_t c = 0; c < static_cast<std::int32_t>(history.campaign_names.size()); ++c) {
    std::string const& campaign = history.campaign_names[static_cast<std::size_t>(c)];
    std::vector<std::int32_t> const groups =
        campaign_groups(history, buckets, c, control, params.control, source);
    std::vector<double> const shares =
        planned_shares(history, params.planned, groups, campaign, source);
    for (std::size_t slot = 0; slot < buckets.level_slots(); ++slot) {
      GroupCheck check;
      check.campaign = c;
      check.level = static_cast<std::int32_t>(slot) - 1;
      check.groups = groups;
      check.planned_shares = shares;
      std::int64_t level_customers = 0;
      for (std::int32_t const g : groups) {
        check.customers.push_back(buckets.at(c, slot, g).customers);
        level_customers += check.customers.back();
      }
      if (level_customers == 0) continue;  // a level of another campaign only
      check.sample_ratio = shares.empty() ? SampleRatioTest{kNaN, kNaN, kNaN}
                                          : sample_ratio_test(check.customers, shares);
      evaluation.checks.push_back(std::move(check));
      for (std::size_t i = 1; i < groups.size(); ++i) {
        ArmResult result = compare(ctx, buckets.at(c, slot, groups[i]),
                                   buckets.at(c, slot, control), params, stream_block++);
        result.campaign = c;
        result.level = static_cast<std::int32_t>(slot) - 1;
        result.arm = groups[i];
        evaluation.arms.push_back(std::move(result));
      }
    }
  }
  return evaluation;
}

}  // namespace cie::campaigns
