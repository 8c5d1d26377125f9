// The outputs of `cie campaign evaluate`: one record per (campaign, level, arm) with every
// number of models/campaigns/campaign_evaluation.hpp, written as CSV (one line per record, full
// precision: shortest round-trip doubles, undefined values empty) and JSON (the same records,
// undefined values null, plus the sample-ratio checks and the parameters), and a rounded table
// for the terminal.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "models/campaigns/campaign_evaluation.hpp"

namespace cie::cli {

/// The records, one ordered JSON object per arm result (the CSV's columns, in order).
nlohmann::ordered_json campaign_records(campaigns::CampaignHistory const& history,
                                        campaigns::CampaignEvaluation const& evaluation,
                                        std::string const& control, std::string const& by_column);

/// The CSV text of the records: a header of the first record's keys, then one line each.
std::string campaign_csv(nlohmann::ordered_json const& records);

/// The sample-ratio checks as JSON: per (campaign, level) the groups, sizes, planned shares and
/// the chi-square test.
nlohmann::ordered_json campaign_checks(campaigns::CampaignHistory const& history,
                                       campaigns::CampaignEvaluation const& evaluation);

/// The terminal table: rates and lifts in percent, money with two decimals, p-values in
/// scientific notation with three digits.
std::string format_campaign_table(campaigns::CampaignHistory const& history,
                                  campaigns::CampaignEvaluation const& evaluation,
                                  nlohmann::ordered_json const& records);

}  // namespace cie::cli
