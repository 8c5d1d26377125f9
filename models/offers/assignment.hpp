// Who gets which offer: the assignment LP of issue 18 solved by Lagrangian relaxation.
//
//   maximize   Σ_i Σ_o ev_io x_io
//   subject to Σ_i x_io          <= cap_o    every offer with a volume or budget limit
//              Σ_i x_io          >= min_o    every offer with a min_volume
//              Σ_i Σ_{o in c} x_io <= cap_c  every channel with a capacity
//              Σ_i Σ_o cost_o x_io <= B      the overall budget
//              per customer: its allowance, channel allowances and pair rules
//              (models/offers/contact_policy.hpp), x_io in {0, 1}, x_io = 0 where ev_io is NaN.
//
// Dual prices λ_k >= 0 on the coupling constraints make the problem separate by customer: at
// prices λ each customer takes its offers greedily by reduced value ev_io − Σ_k λ_k a_ko
// (kernels/offers.hpp, one pass over all customers). The dual function
//   L(λ) = Σ_i max_i(reduced values, without pair rules) + Σ_k λ_k b_k
// bounds the LP optimum from above (the customers' polytopes without pair rules are integral, so
// min L equals the LP optimum without them); the best L met is the reported bound.
//
// Dual update: a sign-based step per constraint (Rprop): the price of a constraint over its
// capacity goes up, of one with slack and a positive price down; the step grows 1.5x while the
// sign holds and halves when it flips. It stops when an iteration's choices exceed no capacity by
// more than `tolerance` of it and their value is within gap_tolerance of the best bound, when
// every constraint fits and each priced one is within `tolerance` of its capacity, or after
// max_iterations passes.
//
// Early recovery: once an iteration's choices exceed no capacity by more than recovery_excess
// (2%) of it with a value within gap_tolerance of the best bound, a copy of them is repaired and
// filled as below; when that assignment's value is within gap_tolerance of the bound it is the
// result and the dual stops (the sign steps otherwise spend most passes bringing every
// constraint within `tolerance`, long after the bound has settled). Else the dual goes on and
// tries again at most every recovery_spacing iterations. Not with minimum volumes.
//
// Primal: when it stopped so, the last choices, repaired; after max_iterations, the choices at
// the prices of the best iteration that fitted every constraint (one more pass), or when none
// did, the last choices, repaired.
// Repair, so that no rule is ever broken: the contacts chosen are admitted in
// decreasing reduced value (ties: customer row, then offer) while every constraint has room;
// then, up to fill_rounds times, customers with room left choose again among the offers whose
// constraints still have room (price 0 there, closed elsewhere) and those contacts are admitted
// the same way in decreasing expected value. Contacts are only dropped from or added to choices
// the contact policy allows, so the policy holds by construction. The result is deterministic.
//
// Minimum volumes: the lower bound's price is a subsidy on the offer in the dual; the repair
// admits each such offer's best chosen contacts up to its minimum before the other contacts, then
// the minimum-volume step (models/offers/repair.hpp: adds, then exchanges) runs before the
// fill. An offer still short is reported in `shortfall`, never forced over another rule.
#pragma once

#include <cstdint>
#include <vector>

#include "core/context.hpp"
#include "models/offers/catalog.hpp"
#include "models/offers/contact_policy.hpp"

namespace cie::offers {

struct AssignParams {
  int max_iterations = 150;  ///< passes of the dual update, >= 1
  double tolerance = 1e-3;   ///< accepted slack (or excess, before the repair) of a priced
                             ///< constraint, share of its capacity
  int fill_rounds = 3;       ///< rounds of the fill step, >= 0
  /// Stop once an iteration's choices (nearly) fit with a value within this share of the best
  /// bound so far.
  double gap_tolerance = 1e-3;
  /// Or once an iteration's choices exceed no capacity by more than this share of it (and
  /// their value is within gap_tolerance of the bound): repair and fill a copy, and stop when
  /// that assignment is within gap_tolerance of the bound; else go on, trying again at most
  /// every recovery_spacing iterations. 0: never (instances with a min_volume never try).
  double recovery_excess = 0.02;
  int recovery_spacing = 5;
  void validate() const;
};

struct Contact {
  std::int64_t customer = 0;  ///< row of the customer table
  int offer = 0;
  int rank = 0;  ///< 1 = the customer's highest expected value
  float expected_value = 0.0F;
};

struct AssignmentResult {
  std::vector<Contact> contacts;  ///< by customer row, then rank
  std::vector<std::int64_t> offer_contacts;
  std::vector<std::int64_t> channel_contacts;
  std::vector<double> offer_cost;
  double total_cost = 0.0;
  double expected_value = 0.0;      ///< Σ ev of the contacts
  double dual_bound = 0.0;          ///< upper bound on any feasible assignment's value
  double gap = 0.0;                 ///< (dual_bound − expected_value) / dual_bound
  std::vector<double> offer_price;  ///< final λ of each offer's capacity (0: not binding)
  std::vector<double> channel_price;
  double budget_price = 0.0;
  int dual_iterations = 0;
  int passes = 0;                 ///< all passes over the customers
  int recovery_attempts = 0;      ///< repairs tried before the dual stopped (see AssignParams)
  double pass_seconds = 0.0;      ///< their total time
  double pass_cpu_seconds = 0.0;  ///< their process CPU time (all threads, std::clock)
  std::int64_t pass_bytes = 0;    ///< bytes one dual pass moves (kernels::offer_pass_bytes)
  std::int64_t dropped_in_repair = 0;
  std::int64_t added_in_fill = 0;
  std::int64_t added_for_min_volume = 0;    ///< contacts the minimum-volume step added
  std::int64_t swapped_for_min_volume = 0;  ///< contacts it exchanged for a short offer's
  /// Per offer: contacts missing to its min_volume (0: met or none), and for those short, the
  /// customers with a candidate contact for it after the contact policy.
  std::vector<std::int64_t> shortfall;
  std::vector<std::int64_t> min_volume_candidates;
};

AssignmentResult assign_offers(Context const& ctx, AssignParams const& params,
                               Catalog const& catalog, OfferProblem const& problem);

}  // namespace cie::offers
