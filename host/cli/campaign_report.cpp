#include "host/cli/campaign_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "host/io/csv_table.hpp"

namespace cie::cli {
namespace {

using nlohmann::ordered_json;

ordered_json number(double value) {
  return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr);
}

std::string const& level_name(campaigns::CampaignHistory const& history, std::int32_t level) {
  static std::string const overall;
  return level < 0 ? overall : history.level_names[static_cast<std::size_t>(level)];
}

void put_interval(ordered_json& record, std::string const& key, campaigns::Interval const& i) {
  record[key + "_low"] = number(i.low);
  record[key + "_high"] = number(i.high);
}

std::string percent(double value) {
  return std::isfinite(value) ? fmt::format("{:.2f}%", 100.0 * value) : "-";
}

std::string money(double value) {
  return std::isfinite(value) ? fmt::format("{:.2f}", value) : "-";
}

std::string probability(double value) {
  return std::isfinite(value) ? fmt::format("{:.3g}", value) : "-";
}

}  // namespace

ordered_json campaign_records(campaigns::CampaignHistory const& history,
                              campaigns::CampaignEvaluation const& evaluation,
                              std::string const& control, std::string const& by_column) {
  ordered_json records = ordered_json::array();
  for (campaigns::ArmResult const& r : evaluation.arms) {
    auto const check = std::find_if(evaluation.checks.begin(), evaluation.checks.end(),
                                    [&](campaigns::GroupCheck const& c) {
                                      return c.campaign == r.campaign && c.level == r.level;
                                    });
    ordered_json record;
    record["campaign"] = history.campaign_names[static_cast<std::size_t>(r.campaign)];
    record["by"] = r.level < 0 ? std::string() : by_column;
    record["level"] = level_name(history, r.level);
    record["arm"] = history.group_names[static_cast<std::size_t>(r.arm)];
    record["control"] = control;
    record["customers"] = r.customers;
    record["control_customers"] = r.control_customers;
    record["responders"] = r.responders;
    record["control_responders"] = r.control_responders;
    record["response_rate"] = number(r.response_rate);
    record["control_response_rate"] = number(r.control_response_rate);
    record["lift"] = number(r.lift);
    put_interval(record, "lift", r.lift_interval);
    record["relative_lift"] = number(r.relative_lift);
    put_interval(record, "relative_lift", r.relative_lift_interval);
    record["z"] = number(r.z_test.z);
    record["z_p_value"] = number(r.z_test.p_value);
    record["fisher_p_value"] = number(r.fisher_p_value);
    record["smallest_expected_count"] = number(r.smallest_expected);
    record["test"] = r.fisher_used ? "fisher" : "z";
    record["p_value"] = number(r.p_value);
    record["incremental_responders"] = number(r.incremental_responders);
    put_interval(record, "incremental_responders", r.incremental_responders_interval);
    record["revenue_per_customer"] = number(r.revenue.mean);
    record["control_revenue_per_customer"] = number(r.control_revenue.mean);
    record["revenue_lift"] = number(r.revenue_test.difference);
    record["revenue_lift_se"] = number(r.revenue_test.standard_error);
    record["welch_df"] = number(r.revenue_test.df);
    record["welch_t"] = number(r.revenue_test.t);
    record["welch_p_value"] = number(r.revenue_test.p_value);
    put_interval(record, "revenue_lift", r.revenue_test.interval);
    put_interval(record, "bootstrap", r.bootstrap_interval);
    record["incremental_revenue"] = number(r.incremental_revenue);
    put_interval(record, "incremental_revenue", r.incremental_revenue_interval);
    put_interval(record, "incremental_revenue_bootstrap", r.incremental_revenue_bootstrap_interval);
    record["srm_chi_square"] = number(check->sample_ratio.chi_square);
    record["srm_p_value"] = number(check->sample_ratio.p_value);
    records.push_back(std::move(record));
  }
  return records;
}

std::string campaign_csv(ordered_json const& records) {
  std::string text;
  bool first_column = true;
  for (auto const& [key, value] : records.front().items()) {
    if (!first_column) text += ',';
    first_column = false;
    append_csv_field(text, key);
  }
  text += '\n';
  for (ordered_json const& record : records) {
    first_column = true;
    for (auto const& [key, value] : record.items()) {
      if (!first_column) text += ',';
      first_column = false;
      if (value.is_string()) {
        append_csv_field(text, value.get<std::string>());
      } else if (value.is_number_float()) {
        text += fmt::format("{}", value.get<double>());
      } else if (value.is_number()) {
        text += fmt::format("{}", value.get<std::int64_t>());
      }
    }
    text += '\n';
  }
  return text;
}

ordered_json campaign_checks(campaigns::CampaignHistory const& history,
                             campaigns::CampaignEvaluation const& evaluation) {
  ordered_json checks = ordered_json::array();
  for (campaigns::GroupCheck const& check : evaluation.checks) {
    ordered_json groups = ordered_json::array();
    for (std::size_t i = 0; i < check.groups.size(); ++i) {
      ordered_json group;
      group["group"] = history.group_names[static_cast<std::size_t>(check.groups[i])];
      group["customers"] = check.customers[i];
      group["planned_share"] =
          check.planned_shares.empty() ? ordered_json(nullptr) : number(check.planned_shares[i]);
      groups.push_back(std::move(group));
    }
    ordered_json entry;
    entry["campaign"] = history.campaign_names[static_cast<std::size_t>(check.campaign)];
    entry["level"] = level_name(history, check.level);
    entry["groups"] = std::move(groups);
    entry["srm_chi_square"] = number(check.sample_ratio.chi_square);
    entry["srm_df"] = number(check.sample_ratio.df);
    entry["srm_p_value"] = number(check.sample_ratio.p_value);
    checks.push_back(std::move(entry));
  }
  return checks;
}

std::string format_campaign_table(campaigns::CampaignHistory const& history,
                                  campaigns::CampaignEvaluation const& evaluation,
                                  ordered_json const& records) {
  std::string out = fmt::format(
      "{:<16} {:<14} {:<16} {:>8} {:>8} {:>8} {:>26} {:>9} {:>7} {:>9} {:>9} {:>22} {:>22} "
      "{:>12}\n",
      "campaign", "level", "arm", "n", "rate", "control", "lift [95% CI]", "rel lift", "test", "p",
      "rev/cust", "rev lift [Welch CI]", "bootstrap CI", "incr revenue");
  for (std::size_t i = 0; i < evaluation.arms.size(); ++i) {
    campaigns::ArmResult const& r = evaluation.arms[i];
    out += fmt::format(
        "{:<16} {:<14} {:<16} {:>8} {:>8} {:>8} {:>26} {:>9} {:>7} {:>9} {:>9} {:>22} {:>22} "
        "{:>12}\n",
        history.campaign_names[static_cast<std::size_t>(r.campaign)],
        r.level < 0 ? std::string("(all)") : level_name(history, r.level),
        history.group_names[static_cast<std::size_t>(r.arm)], r.customers, percent(r.response_rate),
        percent(r.control_response_rate),
        fmt::format("{} [{}, {}]", percent(r.lift), percent(r.lift_interval.low),
                    percent(r.lift_interval.high)),
        percent(r.relative_lift), records[i]["test"].get<std::string>(), probability(r.p_value),
        money(r.revenue.mean),
        fmt::format("{} [{}, {}]", money(r.revenue_test.difference),
                    money(r.revenue_test.interval.low), money(r.revenue_test.interval.high)),
        fmt::format("[{}, {}]", money(r.bootstrap_interval.low), money(r.bootstrap_interval.high)),
        money(r.incremental_revenue));
  }
  for (campaigns::GroupCheck const& check : evaluation.checks) {
    if (check.planned_shares.empty() || check.level >= 0) continue;
    out +=
        fmt::format("sample ratio, campaign {}: chi-square {:.4g} (df {}), p = {}{}\n",
                    history.campaign_names[static_cast<std::size_t>(check.campaign)],
                    check.sample_ratio.chi_square, check.sample_ratio.df,
                    probability(check.sample_ratio.p_value),
                    check.sample_ratio.p_value < 0.001 ? "  MISMATCH: check the assignment" : "");
  }
  return out;
}

}  // namespace cie::cli
