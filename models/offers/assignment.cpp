#include "models/offers/assignment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <memory>
#include <numeric>

#include "core/error.hpp"
#include "kernels/offers.hpp"
#include "models/offers/contact_order.hpp"
#include "models/offers/repair.hpp"

namespace cie::offers {
namespace {

using kernels::kNoOffer;
using kernels::kOfferSlots;

using detail::Constraint;

class Solver {
 public:
  Solver(Context const& ctx, AssignParams const& params, Catalog const& catalog,
         OfferProblem const& problem)
      : params_(params),
        catalog_(catalog),
        problem_(problem),
        view_(problem.view()),
        workspace_(kernels::make_offer_workspace(ctx, view_)),
        offers_(problem.offers) {
    for (int o = 0; o < offers_; ++o) {
      offer_constraint_.push_back(-1);
      double const cap = catalog.offers[o].capacity();
      if (cap == kUnlimited) continue;
      offer_constraint_.back() = static_cast<int>(constraints_.size());
      add_constraint([&](int p) { return p == o ? 1.0 : 0.0; }, cap);
    }
    for (std::size_t c = 0; c < catalog.channels.size(); ++c) {
      channel_constraint_.push_back(-1);
      double const cap = catalog.channels[c].capacity;
      if (cap == kUnlimited) continue;
      channel_constraint_.back() = static_cast<int>(constraints_.size());
      add_constraint(
          [&](int p) { return catalog.offers[p].channel == static_cast<int>(c) ? 1.0 : 0.0; }, cap);
    }
    if (catalog.budget != kUnlimited) {
      budget_constraint_ = static_cast<int>(constraints_.size());
      add_constraint([&](int p) { return catalog.offers[p].cost; }, catalog.budget);
    }
    for (int o = 0; o < offers_; ++o) {
      min_volume_.push_back(static_cast<std::int64_t>(catalog.offers[o].min_volume));
      if (min_volume_.back() == 0) continue;
      add_constraint([&](int p) { return p == o ? -1.0 : 0.0; }, -catalog.offers[o].min_volume);
      constraints_.back().lower = true;
    }
  }

  AssignmentResult solve() {
    AssignmentResult result;
    result.pass_bytes = kernels::offer_pass_bytes(view_, true);
    std::vector<std::uint8_t> slots(static_cast<std::size_t>(problem_.customers) * kOfferSlots);
    std::vector<double> price(static_cast<std::size_t>(offers_), 0.0);
    double bound = std::numeric_limits<double>::infinity();
    // The prices of the best iteration whose choices fit every constraint: its contacts need
    // no repair, only the fill.
    std::vector<double> best_price;
    double best_value = -1.0;
    bool last_pass_fits = false;
    bool converged = false;
    bool recovered = false;
    int next_recovery = 0;
    for (int iteration = 0; iteration < params_.max_iterations; ++iteration) {
      prices(price);
      kernels::OfferPassResult const pass = run_pass(result, price, {}, slots);
      ++result.dual_iterations;
      double dual = pass.relaxed_reduced;
      for (Constraint const& k : constraints_) dual += k.price * k.capacity;
      bound = std::min(bound, dual);
      last_pass_fits = fits(pass.usage, 0.0);
      if (last_pass_fits && pass.value > best_value) {
        best_value = pass.value;
        best_price = price;
      }
      // Close enough: over no capacity by more than `tolerance` (the repair drops the excess)
      // and within gap_tolerance of the bound.
      converged = fits(pass.usage, params_.tolerance) &&
                  pass.value >= (1.0 - params_.gap_tolerance) * bound;
      if (converged) break;
      // Or the repaired and filled choices are: try it now and then once they nearly fit.
      if (params_.recovery_excess > 0.0 &&
          std::ranges::none_of(min_volume_, [](std::int64_t m) { return m > 0; }) &&
          iteration >= next_recovery && fits(pass.usage, params_.recovery_excess) &&
          pass.value >= (1.0 - params_.gap_tolerance) * bound) {
        next_recovery = iteration + params_.recovery_spacing;
        recovered = try_recovery(result, slots, price, bound);
        if (recovered) break;
      }
      if (iteration == 0) initial_steps(pass);
      if (!update_prices(pass.usage)) {
        converged = true;
        break;
      }
    }
    if (!recovered) {
      if (!converged && !best_price.empty() && (!last_pass_fits || best_price != price)) {
        price = best_price;
        run_pass(result, price, {}, slots);
      }
      result.dropped_in_repair = admit(slots, price, false);
      reach_min_volumes(result, slots);
      result.added_in_fill = fill_rounds(result, slots);
    }
    detail::collect_contacts(catalog_, problem_, slots, result);
    bool any_short = false;
    for (int o = 0; o < offers_; ++o) {
      result.shortfall.push_back(
          std::max<std::int64_t>(0, min_volume_[o] - result.offer_contacts[o]));
      any_short = any_short || result.shortfall.back() > 0;
    }
    // A minimum not met may make the instance infeasible, and its subsidies then drive the dual
    // function below any value: the bound is then the one of the instance without minimums (the
    // final prices, subsidies at 0; one more pass).
    if (any_short) bound = bound_without_minimums(result, price);
    result.dual_bound = std::max(bound, result.expected_value);
    result.gap = result.dual_bound > 0.0
                     ? (result.dual_bound - result.expected_value) / result.dual_bound
                     : 0.0;
    for (int index : offer_constraint_) {
      result.offer_price.push_back(index < 0 ? 0.0 : constraints_[index].price);
    }
    for (int index : channel_constraint_) {
      result.channel_price.push_back(index < 0 ? 0.0 : constraints_[index].price);
    }
    if (budget_constraint_ >= 0) result.budget_price = constraints_[budget_constraint_].price;
    return result;
  }

 private:
  template <typename Coefficient>
  void add_constraint(Coefficient&& coefficient, double capacity) {
    Constraint k;
    for (int o = 0; o < offers_; ++o) k.coefficient.push_back(coefficient(o));
    k.capacity = capacity;
    constraints_.push_back(std::move(k));
  }

  void prices(std::vector<double>& price) const {
    std::fill(price.begin(), price.end(), 0.0);
    for (Constraint const& k : constraints_) {
      for (int o = 0; o < offers_; ++o) price[o] += k.price * k.coefficient[o];
    }
  }

  kernels::OfferPassResult run_pass(AssignmentResult& result, std::vector<double> const& price,
                                    std::span<std::uint8_t const> fixed,
                                    std::span<std::uint8_t> slots) {
    auto const start = std::chrono::steady_clock::now();
    std::clock_t const cpu_start = std::clock();
    kernels::OfferPassResult pass = workspace_->pass(price, fixed, slots);
    result.pass_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.pass_cpu_seconds += static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    ++result.passes;
    return pass;
  }

  /// Steps start at 5% of the mean expected value of a contact chosen at zero prices (per unit
  /// of the constraint's mean coefficient).
  void initial_steps(kernels::OfferPassResult const& pass) {
    double const contacts = std::accumulate(pass.usage.begin(), pass.usage.end(), 0.0);
    double const mean_value = contacts > 0.0 ? pass.value / contacts : 1.0;
    for (Constraint& k : constraints_) {
      double mean_coefficient = 0.0;
      for (double a : k.coefficient) mean_coefficient += std::abs(a);
      mean_coefficient /= offers_;
      k.step = 0.05 * mean_value / std::max(mean_coefficient, 1e-12);
    }
  }

  /// Whether `usage` exceeds no capacity by more than `slack` of it.
  [[nodiscard]] bool fits(std::vector<double> const& usage, double slack) const {
    return std::all_of(constraints_.begin(), constraints_.end(), [&](Constraint const& k) {
      return k.usage(usage) <= k.capacity + slack * k.scale();
    });
  }

  /// One Rprop update; false once every constraint fits and priced ones are tight enough.
  bool update_prices(std::vector<double> const& usage) {
    bool done = true;
    for (Constraint& k : constraints_) {
      double const excess = k.usage(usage) - k.capacity;
      int direction = 0;
      if (excess > 0.0) {
        direction = 1;
        done = false;
      } else if (k.price > 0.0 && excess < -params_.tolerance * k.scale()) {
        direction = -1;
        done = false;
      }
      if (direction == 0) continue;
      if (k.last_direction != 0) k.step *= direction == k.last_direction ? 1.5 : 0.5;
      k.last_direction = direction;
      k.price = std::max(0.0, k.price + direction * k.step);
    }
    return !done;
  }

  /// Admits the contacts of `slots` (the newly chosen ones of `fixed` when given) in decreasing
  /// key while every constraint has room; the others are set to kNoOffer. Returns how many
  /// were dropped.
  std::int64_t admit(std::vector<std::uint8_t>& slots, std::vector<double> const& price,
                     bool by_value) {
    std::vector<double> chosen(static_cast<std::size_t>(offers_), 0.0);
    for (std::uint8_t o : slots) {
      if (o != kNoOffer) chosen[o] += 1.0;
    }
    bool const all_fit = std::all_of(
        constraints_.begin(), constraints_.end(),
        [&](Constraint const& k) { return k.lower || k.used + k.usage(chosen) <= k.capacity; });
    if (all_fit) {  // nothing to drop: no need to order the contacts
      for (Constraint& k : constraints_) k.used += k.usage(chosen);
      return 0;
    }
    std::vector<detail::RankedContact> const candidates =
        detail::ranked_contacts(slots, kOfferSlots, [&](std::int64_t i, int o) {
          double const ev = problem_.expected_value[static_cast<std::size_t>(i) * offers_ + o];
          return by_value ? ev : ev - price[o];
        });
    // Per offer, the constraints it counts in (a coefficient of 0 never changes a fit).
    std::vector<std::vector<Constraint*>> counted_in(static_cast<std::size_t>(offers_));
    for (Constraint& k : constraints_) {
      for (int o = 0; o < offers_; ++o) {
        if (k.coefficient[o] != 0.0) counted_in[o].push_back(&k);
      }
    }
    std::int64_t dropped = 0;
    // The repair admits first, for each offer with a minimum volume, its best contacts up to
    // that minimum; then every other contact in the same order.
    std::vector<std::uint8_t> decided(candidates.size(), 0);
    std::vector<std::int64_t> reserved(static_cast<std::size_t>(offers_), 0);
    auto const admit_one = [&](std::size_t index) {
      detail::RankedContact const& c = candidates[index];
      int const offer = c.offer();
      decided[index] = 1;
      bool const fits = std::all_of(counted_in[offer].begin(), counted_in[offer].end(),
                                    [&](Constraint const* k) { return k->has_room(offer); });
      if (fits) {
        for (Constraint* k : counted_in[offer]) k->used += k->coefficient[offer];
      } else {
        slots[static_cast<std::size_t>(c.customer()) * kOfferSlots + c.slot()] = kNoOffer;
        ++dropped;
      }
      return fits;
    };
    if (!by_value) {
      for (std::size_t index = 0; index < candidates.size(); ++index) {
        int const o = candidates[index].offer();
        if (reserved[o] < min_volume_[o] && admit_one(index)) ++reserved[o];
      }
    }
    for (std::size_t index = 0; index < candidates.size(); ++index) {
      if (decided[index] == 0) admit_one(index);
    }
    for (std::int64_t i = 0; i < problem_.customers; ++i) {  // keep each customer's slots packed
      std::uint8_t* row = slots.data() + i * kOfferSlots;
      std::stable_partition(row, row + kOfferSlots, [](std::uint8_t o) { return o != kNoOffer; });
    }
    return dropped;
  }

  /// L(λ) at the current prices with every minimum's subsidy at 0.
  double bound_without_minimums(AssignmentResult& result, std::vector<double>& price) {
    for (Constraint& k : constraints_) {
      if (k.lower) k.price = 0.0;
    }
    prices(price);
    double dual = run_pass(result, price, {}, {}).relaxed_reduced;
    for (Constraint const& k : constraints_) dual += k.price * k.capacity;
    return dual;
  }

  /// The minimum-volume step of the repair (models/offers/repair.hpp).
  void reach_min_volumes(AssignmentResult& result, std::vector<std::uint8_t>& slots) {
    detail::MinVolumeOutcome outcome = detail::meet_min_volumes(
        view_, min_volume_, constraints_, slots, std::max(params_.fill_rounds, 1),
        [&](std::vector<double> const& price, std::span<std::uint8_t const> fixed,
            std::span<std::uint8_t> added) { run_pass(result, price, fixed, added); });
    result.added_for_min_volume = outcome.added;
    result.swapped_for_min_volume = outcome.swapped;
    result.min_volume_candidates = std::move(outcome.candidates);
  }

  /// The fill rounds; returns the contacts added.
  std::int64_t fill_rounds(AssignmentResult& result, std::vector<std::uint8_t>& slots) {
    std::int64_t total = 0;
    for (int round = 0; round < params_.fill_rounds; ++round) {
      std::int64_t const added = fill(result, slots);
      total += added;
      if (added == 0) break;
    }
    return total;
  }

  /// Repairs and fills a copy of the dual pass's `slots` (no minimum volumes); keeps it when its
  /// value is within gap_tolerance of `bound`, else leaves every constraint as it was.
  bool try_recovery(AssignmentResult& result, std::vector<std::uint8_t>& slots,
                    std::vector<double> const& price, double bound) {
    std::vector<std::uint8_t> trial = slots;
    std::int64_t const dropped = admit(trial, price, false);
    std::int64_t const added = fill_rounds(result, trial);
    double value = 0.0;
    for (std::int64_t i = 0; i < problem_.customers; ++i) {
      for (int s = 0; s < kOfferSlots; ++s) {
        std::uint8_t const o = trial[static_cast<std::size_t>(i) * kOfferSlots + s];
        if (o == kNoOffer) break;
        value += problem_.expected_value[static_cast<std::size_t>(i) * offers_ + o];
      }
    }
    ++result.recovery_attempts;
    if (value >= (1.0 - params_.gap_tolerance) * bound) {
      slots.swap(trial);
      result.dropped_in_repair = dropped;
      result.added_in_fill = added;
      return true;
    }
    for (Constraint& k : constraints_) k.used = 0.0;
    return false;
  }

  /// One fill round; returns the contacts added.
  std::int64_t fill(AssignmentResult& result, std::vector<std::uint8_t>& slots) {
    std::vector<double> price(static_cast<std::size_t>(offers_), 0.0);
    bool any_open = false;
    for (int o = 0; o < offers_; ++o) {
      bool const open = std::all_of(constraints_.begin(), constraints_.end(),
                                    [&](Constraint const& k) { return k.has_room(o); });
      price[o] = open ? 0.0 : std::numeric_limits<double>::infinity();
      any_open = any_open || open;
    }
    if (!any_open) return 0;
    std::vector<std::uint8_t> added(slots.size());
    kernels::OfferPassResult const pass = run_pass(result, price, slots, added);
    double const chosen = std::accumulate(pass.usage.begin(), pass.usage.end(), 0.0);
    if (chosen == 0.0) return 0;
    std::int64_t const dropped = admit(added, price, true);
    for (std::int64_t i = 0; i < problem_.customers; ++i) {
      std::uint8_t* row = slots.data() + i * kOfferSlots;
      std::uint8_t const* extra = added.data() + i * kOfferSlots;
      int free_slot = 0;
      while (free_slot < kOfferSlots && row[free_slot] != kNoOffer) ++free_slot;
      for (int s = 0; s < kOfferSlots && extra[s] != kNoOffer; ++s) row[free_slot++] = extra[s];
    }
    return static_cast<std::int64_t>(chosen) - dropped;
  }

  AssignParams const& params_;
  Catalog const& catalog_;
  OfferProblem const& problem_;
  kernels::OfferInstance view_;
  std::unique_ptr<kernels::OfferPassWorkspace> workspace_;  ///< the instance where passes run
  int offers_;
  std::vector<Constraint> constraints_;
  std::vector<int> offer_constraint_;
  std::vector<int> channel_constraint_;
  int budget_constraint_ = -1;
  std::vector<std::int64_t> min_volume_;  ///< per offer, 0: none
};

}  // namespace

void AssignParams::validate() const {
  CIE_EXPECTS(max_iterations >= 1, "max_iterations must be >= 1, got {}", max_iterations);
  CIE_EXPECTS(tolerance > 0.0 && tolerance < 1.0, "tolerance must be in (0, 1), got {}", tolerance);
  CIE_EXPECTS(gap_tolerance >= 0.0 && gap_tolerance < 1.0,
              "gap_tolerance must be in [0, 1), got {}", gap_tolerance);
  CIE_EXPECTS(fill_rounds >= 0, "fill_rounds must be >= 0, got {}", fill_rounds);
  CIE_EXPECTS(recovery_excess >= 0.0 && recovery_excess < 1.0,
              "recovery_excess must be in [0, 1), got {}", recovery_excess);
  CIE_EXPECTS(recovery_spacing >= 1, "recovery_spacing must be >= 1, got {}", recovery_spacing);
}

AssignmentResult assign_offers(Context const& ctx, AssignParams const& params,
                               Catalog const& catalog, OfferProblem const& problem) {
  params.validate();
  CIE_ASSERT(problem.offers == static_cast<int>(catalog.offers.size()));
  return Solver(ctx, params, catalog, problem).solve();
}

}  // namespace cie::offers
