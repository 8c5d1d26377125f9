// The contact columns of the generator's campaign histories (campaign.csv, campaign_arms.csv):
// contact_date, contact_channel and offer, after the columns they had before. datasets/README.md
// states the rules; the dates' draws are datasets/customer_model.cpp's (kContactWindowDays).
//
// A treated customer's row names the channel the contact went through and the offer it carried.
// A control customer was sent nothing: empty contact_channel and offer, and as contact_date the
// day the customer was held out, drawn exactly as a treated customer's contact day, so that
// both groups have the same response window. The column is contact_channel, not channel, because
// customers.csv already has a channel (where the customer was acquired) and tables are joined.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "datasets/customer_model.hpp"

namespace cie::datasets {

/// The offer of the single campaign (campaign.csv), for every treated customer.
inline constexpr std::string_view kCampaignOffer = "15pct_off";

/// The single campaign's channel for a treated customer: "email" with e-mail opt-in, "mail"
/// (a printed mailing) without; "" for the control.
std::string_view campaign_channel(SimulatedCustomer const& customer);

/// Arm K's (1..9) channel, "mail" for odd K and "email" for even K, and its offer:
/// 10pct_off, free_shipping, 20pct_off, double_points, gift_card_10, 15pct_off, free_gift,
/// bundle_deal, 25pct_off. Arm 0 (the control): "".
std::string_view arm_channel(int arm);
std::string_view arm_offer(int arm);

/// campaign.csv's header (with its line break) and one customer's row:
/// customer_id,campaign,treated,responded,revenue,contact_date,contact_channel,offer.
std::string campaign_header();
void append_campaign_row(std::string& out, std::string_view id, std::string_view campaign,
                         SimulatedCustomer const& customer, std::string_view contact_date);

/// meta.json's description of the single campaign's contacts (window from `as_of_day`, channels,
/// offer).
nlohmann::ordered_json describe_campaign_contacts(std::int32_t as_of_day);

}  // namespace cie::datasets
