#include "datasets/campaign_arms.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

namespace cie::datasets {

std::string campaign_arms_header() { return "customer_id,campaign,group,responded,revenue\n"; }

std::string campaign_arms_truth_header(int arms) {
  std::string header = "customer_id,untreated_probability";
  for (int arm = 1; arm <= arms; ++arm) header += fmt::format(",true_uplift_arm_{}", arm);
  return header + "\n";
}

void append_campaign_arms(std::string& history, std::string& truth, int arms, std::string_view id,
                          SimulatedCustomer const& customer) {
  history.append(id);
  history.append(",multi_arm,");
  if (customer.arm == 0) {
    history.append("control");
  } else {
    fmt::format_to(std::back_inserter(history), "arm_{}", customer.arm);
  }
  // Revenue is never negative: cents as units and two decimals.
  fmt::format_to(std::back_inserter(history), ",{},{}.{:02d}\n", customer.arm_responded ? 1 : 0,
                 customer.arm_revenue_cents / 100, customer.arm_revenue_cents % 100);
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

nlohmann::ordered_json describe_campaign_arms(int arms) {
  return {{"name", "multi_arm"},
          {"arms", arms},
          {"groups", "control and arm_1..arm_N, equally likely"},
          {"response_model",
           "logit(p) = the campaign's response model without its treatment terms + effect_K for "
           "arm K"},
          {"effect_K",
           "0.1*K - 0.2 + (K odd ? 0.6 : -0.6)*(age-45)/15 + (K even ? 0.5 : 0)*email_opt_in"}};
}

}  // namespace cie::datasets
