#include "models/offers/assignment_summary.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <vector>

namespace cie::offers {

using nlohmann::json;

json assignment_summary_json(Catalog const& catalog, OfferProblem const& problem,
                             AssignmentResult const& result, json seconds) {
  json summary;
  summary["customers"] = problem.customers;
  summary["contacts"] = result.contacts.size();
  summary["expected_value"] = result.expected_value;
  summary["dual_bound"] = result.dual_bound;
  summary["gap"] = result.gap;
  summary["budget_used"] = result.total_cost;
  summary["budget"] = catalog.budget == kUnlimited ? json(nullptr) : json(catalog.budget);
  summary["budget_price"] = result.budget_price;
  summary["dual_iterations"] = result.dual_iterations;
  summary["passes"] = result.passes;
  summary["recovery_attempts"] = result.recovery_attempts;
  summary["pass_seconds"] = result.pass_seconds;
  summary["pass_cpu_seconds"] = result.pass_cpu_seconds;
  summary["pass_bytes"] = result.pass_bytes;
  summary["dropped_in_repair"] = result.dropped_in_repair;
  summary["added_in_fill"] = result.added_in_fill;
  summary["added_for_min_volume"] = result.added_for_min_volume;
  summary["swapped_for_min_volume"] = result.swapped_for_min_volume;
  json& not_met = summary["min_volume_not_met"];
  not_met = json::array();
  for (std::size_t o = 0; o < catalog.offers.size(); ++o) {
    if (result.shortfall[o] == 0) continue;
    not_met.push_back({{"offer", catalog.offers[o].name},
                       {"min_volume", catalog.offers[o].min_volume},
                       {"contacts", result.offer_contacts[o]},
                       {"short", result.shortfall[o]},
                       {"candidates", result.min_volume_candidates[o]}});
  }
  summary["seconds"] = std::move(seconds);
  std::vector<double> offer_value(catalog.offers.size(), 0.0);
  for (Contact const& contact : result.contacts) {
    offer_value[contact.offer] += contact.expected_value;
  }
  json& per_offer = summary["offers"];
  per_offer = json::array();
  for (std::size_t o = 0; o < catalog.offers.size(); ++o) {
    Offer const& offer = catalog.offers[o];
    double const ev = offer_value[o];
    per_offer.push_back(
        {{"offer", offer.name},
         {"channel", catalog.channels[offer.channel].name},
         {"eligible", problem.eligible[o]},
         {"control_group", problem.control_size[o]},
         {"contacts", result.offer_contacts[o]},
         {"min_volume", offer.min_volume > 0.0 ? json(offer.min_volume) : json(nullptr)},
         {"capacity", offer.capacity() == kUnlimited ? json(nullptr) : json(offer.capacity())},
         {"cost", result.offer_cost[o]},
         {"expected_value", ev},
         {"price", result.offer_price[o]}});
  }
  json& per_channel = summary["channels"];
  per_channel = json::array();
  for (std::size_t c = 0; c < catalog.channels.size(); ++c) {
    Channel const& channel = catalog.channels[c];
    per_channel.push_back(
        {{"channel", channel.name},
         {"contacts", result.channel_contacts[c]},
         {"capacity", channel.capacity == kUnlimited ? json(nullptr) : json(channel.capacity)},
         {"price", result.channel_price[c]}});
  }
  json& suppressed = summary["suppressed"];
  suppressed = json::object();
  for (auto const& [rule, count] : problem.suppressed) suppressed[rule] = count;
  return summary;
}

std::string format_assignment_summary(json const& s) {
  std::string out = fmt::format(
      "{} customers, {} contacts: expected value {:.2f}, dual bound {:.2f} (gap {:.4f}%), "
      "budget used {:.2f}{}\n",
      s["customers"].get<std::int64_t>(), s["contacts"].get<std::int64_t>(),
      s["expected_value"].get<double>(), s["dual_bound"].get<double>(),
      100.0 * s["gap"].get<double>(), s["budget_used"].get<double>(),
      s["budget"].is_null() ? "" : fmt::format(" of {:.2f}", s["budget"].get<double>()));
  out +=
      "  offer                channel    eligible  control  contacts  capacity        cost  "
      "expected value\n";
  for (json const& o : s["offers"]) {
    out += fmt::format("  {:<20} {:<10} {:>8} {:>8} {:>9} {:>9} {:>11.2f} {:>15.2f}\n",
                       o["offer"].get<std::string>(), o["channel"].get<std::string>(),
                       o["eligible"].get<std::int64_t>(), o["control_group"].get<std::int64_t>(),
                       o["contacts"].get<std::int64_t>(),
                       o["capacity"].is_null() ? std::string("-")
                                               : fmt::format("{:.0f}", o["capacity"].get<double>()),
                       o["cost"].get<double>(), o["expected_value"].get<double>());
  }
  for (json const& c : s["channels"]) {
    out += fmt::format("  channel {}: {} contacts{}\n", c["channel"].get<std::string>(),
                       c["contacts"].get<std::int64_t>(),
                       c["capacity"].is_null()
                           ? std::string()
                           : fmt::format(" of {:.0f}", c["capacity"].get<double>()));
  }
  out += "  candidate contacts suppressed:";
  for (auto const& [rule, count] : s["suppressed"].items()) {
    out += fmt::format(" {} {}", rule, count.get<std::int64_t>());
  }
  for (json const& o : s["min_volume_not_met"]) {
    out += fmt::format(
        "\n  min_volume not met: offer {}: {} contacts of at least {:.0f} ({} short; {} customers "
        "are candidates after the contact rules)",
        o["offer"].get<std::string>(), o["contacts"].get<std::int64_t>(),
        o["min_volume"].get<double>(), o["short"].get<std::int64_t>(),
        o["candidates"].get<std::int64_t>());
  }
  out += fmt::format("\n  {} dual iterations, {} passes, {:.3f} s ({:.3f} CPU-s) in passes\n",
                     s["dual_iterations"].get<int>(), s["passes"].get<int>(),
                     s["pass_seconds"].get<double>(), s["pass_cpu_seconds"].get<double>());
  return out;
}

}  // namespace cie::offers
