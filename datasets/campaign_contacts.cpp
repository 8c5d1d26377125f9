#include "datasets/campaign_contacts.hpp"

#include <fmt/format.h>

#include <array>
#include <iterator>

#include "core/date.hpp"

namespace cie::datasets {
namespace {

constexpr std::array<std::string_view, 9> kArmOffers = {
    "10pct_off", "free_shipping", "20pct_off",   "double_points", "gift_card_10",
    "15pct_off", "free_gift",     "bundle_deal", "25pct_off"};

}  // namespace

std::string_view campaign_channel(SimulatedCustomer const& customer) {
  if (!customer.treated) return "";
  return customer.email_opt_in ? "email" : "mail";
}

std::string_view arm_channel(int arm) {
  if (arm <= 0) return "";
  return arm % 2 == 1 ? "mail" : "email";
}

std::string_view arm_offer(int arm) {
  if (arm <= 0 || arm > static_cast<int>(kArmOffers.size())) return "";
  return kArmOffers[static_cast<std::size_t>(arm - 1)];
}

std::string campaign_header() {
  return "customer_id,campaign,treated,responded,revenue,contact_date,contact_channel,offer\n";
}

void append_campaign_row(std::string& out, std::string_view id, std::string_view campaign,
                         SimulatedCustomer const& customer, std::string_view contact_date) {
  // Revenue is never negative: cents as units and two decimals.
  fmt::format_to(std::back_inserter(out), "{},{},{},{},{}.{:02d},{},{},{}\n", id, campaign,
                 customer.treated ? 1 : 0, customer.responded ? 1 : 0, customer.revenue_cents / 100,
                 customer.revenue_cents % 100, contact_date, campaign_channel(customer),
                 customer.treated ? kCampaignOffer : "");
}

nlohmann::ordered_json describe_campaign_contacts(std::int32_t as_of_day) {
  return {{"contact_dates",
           fmt::format("uniform over {} .. {} (the as-of day and the {} days after it), for the "
                       "control the day it was held out",
                       format_date(as_of_day), format_date(as_of_day + kContactWindowDays - 1),
                       kContactWindowDays - 1)},
          {"contact_channel", "treated: email with e-mail opt-in, else mail; control: empty"},
          {"offer", fmt::format("treated: {}; control: empty", kCampaignOffer)}};
}

}  // namespace cie::datasets
