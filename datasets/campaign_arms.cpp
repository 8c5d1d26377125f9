#include "datasets/campaign_arms.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "core/date.hpp"
#include "datasets/campaign_contacts.hpp"

namespace cie::datasets {

std::string campaign_arms_header() {
  return "customer_id,campaign,group,responded,revenue,contact_date,contact_channel,offer\n";
}

std::string campaign_arms_truth_header(int arms) {
  std::string header = "customer_id,untreated_probability";
  for (int arm = 1; arm <= arms; ++arm) header += fmt::format(",true_uplift_arm_{}", arm);
  return header + "\n";
}

void append_campaign_arms(std::string& history, std::string& truth, int arms, std::string_view id,
                          SimulatedCustomer const& customer, std::string_view contact_date) {
  history.append(id);
  history.append(",multi_arm,");
  if (customer.arm == 0) {
    history.append("control");
  } else {
    fmt::format_to(std::back_inserter(history), "arm_{}", customer.arm);
  }
  // Revenue is never negative: cents as units and two decimals.
  fmt::format_to(std::back_inserter(history), ",{},{}.{:02d},{},{},{}\n",
                 customer.arm_responded ? 1 : 0, customer.arm_revenue_cents / 100,
                 customer.arm_revenue_cents % 100, contact_date, arm_channel(customer.arm),
                 arm_offer(customer.arm));
  auto const sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  double const base = sigmoid(customer.untreated_logit);
  truth.append(id);
  fmt::format_to(std::back_inserter(truth), ",{}", base);
  for (int arm = 1; arm <= arms; ++arm) {
    fmt::format_to(std::back_inserter(truth), ",{}",
                   sigmoid(customer.untreated_logit + arm_effect(arm, customer)) - base);
  }
  truth.push_back('\n');
}

nlohmann::ordered_json describe_campaign_arms(int arms, std::int32_t as_of_day) {
  nlohmann::ordered_json channels = nlohmann::ordered_json::object();
  nlohmann::ordered_json offers = nlohmann::ordered_json::object();
  for (int arm = 1; arm <= arms; ++arm) {
    channels[fmt::format("arm_{}", arm)] = std::string(arm_channel(arm));
    offers[fmt::format("arm_{}", arm)] = std::string(arm_offer(arm));
  }
  return {{"name", "multi_arm"},
          {"arms", arms},
          {"groups", "control and arm_1..arm_N, equally likely"},
          {"response_model",
           "logit(p) = the campaign's response model without its treatment terms + effect_K for "
           "arm K"},
          {"effect_K",
           "0.1*K - 0.2 + (K odd ? 0.6 : -0.6)*(age-45)/15 + (K even ? 0.5 : 0)*email_opt_in"},
          {"contact_dates",
           fmt::format("uniform over {} .. {}, for the control the day it was held out",
                       format_date(as_of_day), format_date(as_of_day + kContactWindowDays - 1))},
          {"contact_channel", channels},
          {"offer", offers},
          {"control", "contact_channel and offer empty"}};
}

}  // namespace cie::datasets
