#include "datasets/customer_model.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include "core/random.hpp"
#include "kernels/rfm_rules.hpp"

namespace cie::datasets {
namespace {

int draw_level(Random& random, std::span<double const> shares) {
  double u = random.uniform();
  int const last = static_cast<int>(shares.size()) - 1;
  for (int level = 0; level < last; ++level) {
    u -= shares[static_cast<std::size_t>(level)];
    if (u < 0.0) return level;
  }
  return last;
}

/// A positive amount in cents: value rounded to the cent, at least one cent, at most the cap.
std::int64_t to_cents(double value) {
  double const cents = std::round(std::min(value * 100.0, static_cast<double>(kMaxValueCents)));
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(cents));
}

}  // namespace

double response_logit(ResponseCoefficients const& b, ResponseFeatures const& rfm,
                      SimulatedCustomer const& customer) {
  double const email = customer.email_opt_in ? 1.0 : 0.0;
  double logit = b.intercept + b.log1p_frequency * std::log1p(rfm.frequency_days) +
                 b.log1p_recency * std::log1p(rfm.recency_days) +
                 b.log1p_monetary * std::log1p(std::max(rfm.monetary, 0.0)) +
                 b.age_per_15_years * (customer.age - 45) / 15.0 +
                 b.region[static_cast<std::size_t>(customer.region)] + b.email_opt_in * email;
  if (customer.treated) logit += b.uplift + b.uplift_email_opt_in * email;
  return logit;
}

double arm_effect(int arm, SimulatedCustomer const& customer) {
  double const age = (customer.age - 45) / 15.0;
  double const email = customer.email_opt_in ? 1.0 : 0.0;
  bool const odd = arm % 2 == 1;
  return 0.1 * arm - 0.2 + (odd ? 0.6 : -0.6) * age + (odd ? 0.0 : 0.5) * email;
}

SimulatedCustomer simulate_customer(GeneratorParams const& params, std::uint64_t seed,
                                    std::int64_t index, CustomerScratch& scratch) {
  // The order of the draws below is part of the output's definition: changing it changes every
  // generated file for a given seed.
  Random random(seed, static_cast<std::uint64_t>(index));
  auto const period = static_cast<std::int32_t>(params.period_days);
  SimulatedCustomer customer;
  customer.acquisition_day = static_cast<std::int32_t>(random.below(period));
  double const age = std::round(kAgeMean + kAgeSd * random.normal());
  customer.age = static_cast<int>(std::clamp(age, double{kMinAge}, double{kMaxAge}));
  customer.region = draw_level(random, kRegionShares);
  customer.channel = draw_level(random, kChannelShares);
  customer.email_opt_in = random.bernoulli(kEmailOptInShare);

  // Pareto/NBD: a zero rate gives an infinite gap or lifetime, which ends or never ends the
  // process as it should.
  double const purchase_rate =
      random.gamma(params.purchase_rate_shape_r) / params.purchase_rate_alpha;
  double const dropout_rate = random.gamma(params.dropout_rate_shape_s) / params.dropout_rate_beta;
  double const lifetime = random.exponential() / dropout_rate;
  double const spend_rate = random.gamma(params.spend_rate_shape_q) / params.spend_rate_gamma;
  double const active_until = std::min(customer.acquisition_day + lifetime, double(period));

  auto& rows = scratch.rows;
  rows.clear();
  double time = customer.acquisition_day;
  do {
    auto const day = static_cast<std::int32_t>(time);
    std::int64_t const cents = to_cents(random.gamma(params.spend_shape_p) / spend_rate);
    rows.push_back({day, cents});
    if (random.bernoulli(params.return_probability)) {
      auto const delay = static_cast<std::int32_t>(1 + random.below(params.return_max_delay_days));
      double const fraction =
          random.bernoulli(params.return_full_share)
              ? 1.0
              : kPartialReturnMin + (kPartialReturnMax - kPartialReturnMin) * random.uniform();
      std::int64_t const refund =
          std::clamp<std::int64_t>(std::llround(static_cast<double>(cents) * fraction), 1, cents);
      if (day + delay < period) rows.push_back({day + delay, -refund});
    }
    time += random.exponential() / purchase_rate;
  } while (time < active_until);
  std::stable_sort(rows.begin(), rows.end(),
                   [](TransactionRow const& a, TransactionRow const& b) { return a.day < b.day; });

  // The features exactly as an RFM pass over the written file computes them: amounts parse to
  // the same doubles as cents / 100.0 (both are the correctly rounded decimal).
  scratch.timestamps.clear();
  scratch.amounts.clear();
  for (TransactionRow const& row : rows) {
    scratch.timestamps.push_back(std::int64_t{params.start_day + row.day} * 86400);
    scratch.amounts.push_back(static_cast<double>(row.cents) / 100.0);
  }
  std::int32_t const as_of_day = params.start_day + period;
  kernels::CustomerAggregate const aggregate =
      kernels::aggregate_customer(scratch.timestamps.data(), scratch.amounts.data(),
                                  static_cast<std::int64_t>(rows.size()), as_of_day);
  ResponseFeatures const rfm{static_cast<double>(aggregate.purchase_days),
                             static_cast<double>(as_of_day - aggregate.last_day),
                             aggregate.monetary_total};

  customer.treated = random.bernoulli(params.treated_share);
  double const logit = response_logit(params.response, rfm, customer);
  customer.probability = 1.0 / (1.0 + std::exp(-logit));
  customer.responded = random.bernoulli(customer.probability);
  if (customer.responded) {
    customer.revenue_cents = to_cents(random.gamma(params.spend_shape_p) / spend_rate);
  }
  // Drawn last, so that the files written before contact dates existed keep their values.
  customer.contact_offset = static_cast<std::int32_t>(random.below(kContactWindowDays));
  if (params.arms > 0) {
    // Its own stream, so that the single campaign's files do not change with arms.
    Random arms(seed ^ 0xA2B5C3D7E9F10111ULL, static_cast<std::uint64_t>(index));
    SimulatedCustomer untreated = customer;
    untreated.treated = false;
    customer.untreated_logit = response_logit(params.response, rfm, untreated);
    customer.arm = static_cast<int>(arms.below(params.arms + 1));
    double const arm_logit =
        customer.untreated_logit + (customer.arm > 0 ? arm_effect(customer.arm, customer) : 0.0);
    customer.arm_responded = arms.bernoulli(1.0 / (1.0 + std::exp(-arm_logit)));
    if (customer.arm_responded) {
      customer.arm_revenue_cents = to_cents(arms.gamma(params.spend_shape_p) / spend_rate);
    }
    customer.arm_contact_offset = static_cast<std::int32_t>(arms.below(kContactWindowDays));
  }
  return customer;
}

}  // namespace cie::datasets
