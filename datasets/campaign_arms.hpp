// The generator's multi-arm campaign (GeneratorParams::arms): its CSV rows, headers and meta.json
// description. The draws are datasets/customer_model.cpp's; this file only writes them.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "datasets/customer_model.hpp"

namespace cie::datasets {

/// campaign_arms.csv's header and campaign_arms_truth.csv's for `arms` arms (with line breaks).
std::string campaign_arms_header();
std::string campaign_arms_truth_header(int arms);

/// Appends the customer's history row (customer_id,multi_arm,group,responded,revenue,
/// contact_date,contact_channel,offer; datasets/campaign_contacts.hpp) to `history` and its
/// truth row (customer_id,untreated_probability,true_uplift_arm_1..N, the
/// uplift σ(untreated logit + effect_K) − σ(untreated logit)) to `truth`.
void append_campaign_arms(std::string& history, std::string& truth, int arms, std::string_view id,
                          SimulatedCustomer const& customer, std::string_view contact_date);

/// meta.json's "multi_arm_campaign" section; contacts over kContactWindowDays from `as_of_day`.
nlohmann::ordered_json describe_campaign_arms(int arms, std::int32_t as_of_day);

}  // namespace cie::datasets
