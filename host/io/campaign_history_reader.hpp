// Reading a campaign history table (one row per customer and campaign) for `cie campaign`:
// customer id, campaign, group (the control group or a treated arm's name), responded (0/1) and
// revenue, under column names the caller chooses, plus an optional breakdown column.
//
// The file is read with host/io/customer_table_reader.hpp (quoting, BOM, missing tokens, file
// and line in every message), with the id, campaign, group and breakdown columns as text and
// the response and revenue as numbers. Checks, each an input error (exit 3) naming file, line
// and column and never a customer's values: a missing or non-numeric response or revenue, a
// response other than 0 or 1, an infinite revenue, a missing campaign, group or id, and a
// customer who appears twice in one campaign (in two groups, or twice in one group), which
// names both lines. Campaign-level checks (a campaign without its control group, with no
// treated arm) are made by models/campaigns/campaign_evaluation.hpp.
#pragma once

#include <string>

#include "core/context.hpp"
#include "models/campaigns/campaign_evaluation.hpp"

namespace cie {

struct CampaignHistoryFormat {
  char delimiter = ',';
  /// Customer id column; "" when the file has none (each row is then its own customer, as in
  /// Hillstrom, and the two-groups check does not apply).
  std::string id_column = "customer_id";
  /// Campaign column; "" when the whole file is one campaign (named "all").
  std::string campaign_column = "campaign";
  std::string group_column = "group";
  std::string response_column = "responded";
  std::string revenue_column = "revenue";
  /// Breakdown column (e.g. a segment) read as text, or "decile-of:COLUMN": deciles "1".."10"
  /// of a numeric column over all rows (1 = highest values, ties by row order; a missing value
  /// is an input error); "" for none.
  std::string by_column;
};

/// Reads the history on ctx's threads (messages and results do not depend on their number).
campaigns::CampaignHistory read_campaign_history(Context const& ctx, std::string const& path,
                                                 CampaignHistoryFormat const& format);

}  // namespace cie
