#include "host/io/campaign_history_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "core/error.hpp"
#include "host/io/customer_table_reader.hpp"

namespace cie {
namespace {

// The codes of a text column as they are, with a missing value an input error.
std::vector<std::int32_t> required_codes(CustomerTable const& table, TableColumn const& column) {
  for (std::size_t row = 0; row < table.rows(); ++row) {
    CIE_EXPECTS_DATA(column.missing[row] == 0, "{}: column {}: missing value",
                     table.describe_row(row), column.name);
  }
  return column.codes;
}

// Rejects a customer who appears twice in one campaign.
void check_one_group_per_campaign(CustomerTable const& table, TableColumn const& customer,
                                  campaigns::CampaignHistory const& history) {
  std::unordered_map<std::uint64_t, std::size_t> first_row;
  first_row.reserve(table.rows());
  for (std::size_t row = 0; row < table.rows(); ++row) {
    std::uint64_t const key = (static_cast<std::uint64_t>(history.campaign[row]) << 32) |
                              static_cast<std::uint32_t>(customer.codes[row]);
    auto const [found, inserted] = first_row.emplace(key, row);
    if (inserted) continue;
    std::size_t const first = found->second;
    std::string const& campaign =
        history.campaign_names[static_cast<std::size_t>(history.campaign[row])];
    std::string const& group = history.group_names[static_cast<std::size_t>(history.group[row])];
    std::string const& earlier =
        history.group_names[static_cast<std::size_t>(history.group[first])];
    CIE_EXPECTS_DATA(history.group[row] != history.group[first],
                     "{}: column {}: this customer is already in campaign '{}' on line {} (group "
                     "'{}'); a customer is counted once per campaign",
                     table.describe_row(row), customer.name, campaign, table.line_numbers[first],
                     group);
    fail(ExitCode::kInputData,
         "{}: column {}: this customer of campaign '{}' is in group '{}' here and in group '{}' "
         "on line {}; a customer belongs to one group of a campaign",
         table.describe_row(row), customer.name, campaign, group, earlier,
         table.line_numbers[first]);
  }
}

constexpr std::string_view kDecilePrefix = "decile-of:";

// Deciles of a numeric column over all rows: decile 1 holds the highest values, ties broken by
// row order (the convention of `cie propensity score`), groups differ in size by at most one.
void decile_levels(CustomerTable const& table, TableColumn const& column,
                   campaigns::CampaignHistory& history) {
  for (std::size_t row = 0; row < table.rows(); ++row) {
    CIE_EXPECTS_DATA(column.missing[row] == 0,
                     "{}: column {}: missing value, which --by {}{} "
                     "cannot rank",
                     table.describe_row(row), column.name, kDecilePrefix, column.name);
  }
  std::vector<std::size_t> order(table.rows());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return column.numbers[a] > column.numbers[b];
  });
  constexpr std::size_t kDeciles = 10;
  history.level.assign(table.rows(), 0);
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    history.level[order[rank]] = static_cast<std::int32_t>(rank * kDeciles / order.size());
  }
  for (std::size_t d = 1; d <= kDeciles; ++d) history.level_names.push_back(std::to_string(d));
}

}  // namespace

campaigns::CampaignHistory read_campaign_history(Context const& ctx, std::string const& path,
                                                 CampaignHistoryFormat const& format) {
  CustomerTableRequest request;
  request.id_column = "";
  request.delimiter = format.delimiter;
  request.needed_by = "cie campaign evaluate";
  bool const by_decile = format.by_column.starts_with(kDecilePrefix);
  std::string const by_column =
      by_decile ? format.by_column.substr(kDecilePrefix.size()) : format.by_column;
  CIE_EXPECTS(!by_decile || !by_column.empty(), "--by: expected decile-of:COLUMN, got '{}'",
              format.by_column);
  for (std::string const* text : {&format.id_column, &format.campaign_column, &format.group_column,
                                  by_decile ? nullptr : &by_column}) {
    if (text != nullptr && !text->empty()) {
      request.columns.push_back(*text);
      request.categorical.push_back(*text);
    }
  }
  request.columns.push_back(format.response_column);
  request.columns.push_back(format.revenue_column);
  request.numeric = {format.response_column, format.revenue_column};
  if (by_decile && by_column != format.revenue_column) {
    request.columns.push_back(by_column);
    request.numeric.push_back(by_column);
  }
  CustomerTable const table = read_customer_table(ctx, path, request);

  campaigns::CampaignHistory history;
  std::size_t const rows = table.rows();
  if (format.campaign_column.empty()) {
    history.campaign_names = {"all"};
    history.campaign.assign(rows, 0);
  } else {
    TableColumn const& column = *table.find(format.campaign_column);
    history.campaign_names = column.levels;
    history.campaign = required_codes(table, column);
  }
  TableColumn const& group = *table.find(format.group_column);
  history.group_names = group.levels;
  history.group = required_codes(table, group);
  if (by_decile) {
    decile_levels(table, *table.find(by_column), history);
  } else if (!by_column.empty()) {
    TableColumn const& by = *table.find(by_column);
    history.level_names = by.levels;
    history.level = required_codes(table, by);
  }

  TableColumn const& response = *table.find(format.response_column);
  TableColumn const& revenue = *table.find(format.revenue_column);
  history.responded.resize(rows);
  history.revenue.resize(rows);
  for (std::size_t row = 0; row < rows; ++row) {
    CIE_EXPECTS_DATA(response.missing[row] == 0, "{}: column {}: missing response",
                     table.describe_row(row), response.name);
    double const responded = response.numbers[row];
    CIE_EXPECTS_DATA(responded == 0.0 || responded == 1.0,
                     "{}: column {}: a response must be 0 or 1", table.describe_row(row),
                     response.name);
    history.responded[row] = static_cast<std::uint8_t>(responded);
    CIE_EXPECTS_DATA(revenue.missing[row] == 0, "{}: column {}: missing revenue (write 0 for none)",
                     table.describe_row(row), revenue.name);
    CIE_EXPECTS_DATA(std::isfinite(revenue.numbers[row]), "{}: column {}: revenue is not finite",
                     table.describe_row(row), revenue.name);
    history.revenue[row] = revenue.numbers[row];
  }
  if (!format.id_column.empty()) {
    TableColumn const& customer = *table.find(format.id_column);
    required_codes(table, customer);
    check_one_group_per_campaign(table, customer, history);
  }
  return history;
}

}  // namespace cie
