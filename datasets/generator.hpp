// Synthetic customers, transactions and a campaign with known response probabilities
// (`cie gen`; datasets/README.md describes the files and the model in full).
//
// Purchases follow a Pareto/NBD process: each customer is acquired on a day spread uniformly over
// the period, buys once that day, then buys as a Poisson process of rate λ ~ Gamma(r, α) until
// an exponential lifetime of rate μ ~ Gamma(s, β) ends or the period does. Purchase values are
// gamma-gamma: ν ~ Gamma(q, γ) per customer, each value ~ Gamma(p, ν). A small share of
// purchases are returned in part or in full a few days later. One campaign on the day after the
// period treats a random share of customers; each responds with a logistic probability of
// features visible as of that day (RFM, age, region, e-mail opt-in) plus a treatment uplift.
// Its contacts go out over the week from that day (campaign.csv's contact_date, contact_channel
// and offer: datasets/campaign_contacts.hpp).
//
// Determinism: each customer's draws come from its own stream seeded by (ctx.seed(), index),
// so the files are identical byte for byte for one seed whatever the thread count or block size.
// Memory: customers are generated in blocks, written in block order; each thread holds one block.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"

namespace cie::datasets {

/// Customer attribute levels, in the order the coefficients below use.
inline constexpr std::array<std::string_view, 5> kRegions = {"north", "south", "east", "west",
                                                             "central"};
inline constexpr std::array<std::string_view, 3> kChannels = {"web", "store", "app"};

/// The campaign's response model:
///   logit P(respond) = intercept + log1p_frequency * log1p(F) + log1p_recency * log1p(R)
///     + log1p_monetary * log1p(max(M, 0)) + age_per_15_years * (age - 45) / 15
///     + region[region] + email_opt_in * email_opt_in
///     + treated * (uplift + uplift_email_opt_in * email_opt_in)
/// with F, R and M the RFM aggregates of the customer's transactions as of the campaign day
/// (kernels::aggregate_customer): F = distinct days with a purchase, R = as-of day − last
/// purchase day (returns are not purchases), M = net sum of amounts, returns included.
struct ResponseCoefficients {
  double intercept = -2.6;         ///< base log-odds
  double log1p_frequency = 0.5;    ///< frequent buyers respond more
  double log1p_recency = -0.45;    ///< lapsed buyers respond less
  double log1p_monetary = 0.1;     ///< big spenders respond a little more
  double age_per_15_years = 0.15;  ///< per 15 years of age above 45
  std::array<double, 5> region = {0.0, 0.15, -0.1, 0.25, -0.2};  ///< per kRegions level
  double email_opt_in = 0.3;         ///< opted-in customers respond more, treated or not
  double uplift = 0.3;               ///< treatment effect for customers not opted in
  double uplift_email_opt_in = 0.4;  ///< extra treatment effect when opted in
};

struct GeneratorParams {
  /// Number of customers, 1..1e9; ids are C followed by max(8, digits of N) digits.
  std::int64_t customers = 10000;
  /// First day of the transaction period, in days since 1970-01-01 (default 2024-01-01);
  /// 1900-01-01 .. 9000-01-01.
  std::int32_t start_day = 19723;
  /// Length of the period in days, 1..36500; the campaign is on day start_day + period_days.
  std::int64_t period_days = 731;  // 2024-01-01 .. 2025-12-31; campaign on 2026-01-01

  /// r: shape of the gamma over customers' purchase rates λ (purchases per day); > 0.
  double purchase_rate_shape_r = 0.9;
  /// α (days): rate of that gamma, so the mean purchase rate is r/α per day; > 0, and
  /// r/α · period_days (purchases expected of an immortal customer) must be at most 1000.
  double purchase_rate_alpha = 30.0;
  /// s: shape of the gamma over customers' dropout rates μ (per day); > 0.
  double dropout_rate_shape_s = 0.6;
  /// β (days): rate of that gamma; the mean dropout rate is s/β per day; > 0.
  double dropout_rate_beta = 400.0;
  /// p: shape of each purchase value ~ Gamma(p, rate ν); > 0.
  double spend_shape_p = 6.0;
  /// q: shape of the gamma over customers' spend rates ν; > 1 (so mean spend is finite).
  double spend_rate_shape_q = 4.0;
  /// γ: rate of that gamma; mean purchase value is p·γ/(q − 1) (50 by default); > 0.
  double spend_rate_gamma = 25.0;

  /// Probability that a purchase is returned, 0..1; a return past the period is not written.
  double return_probability = 0.04;
  /// Share of returns that refund the whole purchase, 0..1; the others refund 10%..90% of it.
  double return_full_share = 0.5;
  /// A return comes 1..return_max_delay_days days after its purchase; 1..365.
  std::int32_t return_max_delay_days = 14;

  /// Name written in campaign.csv's campaign column; non-empty, no comma, quote or line break.
  std::string campaign_name = "winter_offer";
  /// Probability that a customer is in the treated group, 0..1.
  double treated_share = 0.5;
  /// Treated arms of a second, multi-arm campaign (campaign_arms.csv), 0 (none) or 2..9. Each
  /// customer is in group "control" or "arm_K" (K = 1..arms) with equal probability, and arm K
  /// adds to the response log-odds (the campaign's model above without its treatment terms)
  ///   effect_K = 0.1 K − 0.2 + (K odd ? 0.6 : −0.6) (age − 45)/15
  ///              + (K even ? 0.5 : 0) email_opt_in
  /// so each arm has its own effect varying by customer traits, harmful for some customers (the
  /// young in arm 1, the old without opt-in in arm 2): the persuadable are not simply the likely
  /// responders. Its draws come from their own random stream: the other files are the same with
  /// or without arms.
  int arms = 0;
  /// The true response model (finite values).
  ResponseCoefficients response;

  /// Customers generated per block, 1..1e7: the parallel grain and the memory held per thread
  /// (about 0.4 KB of CSV per customer). It never changes the output.
  std::int64_t block_customers = 65536;

  /// Throws a usage error (exit code 2) naming the first invalid field and its allowed range.
  void validate() const;
};

/// What a run wrote.
struct GeneratorSummary {
  std::int64_t customers = 0;
  std::int64_t transaction_rows = 0;  ///< purchase_rows + return_rows
  std::int64_t purchase_rows = 0;
  std::int64_t return_rows = 0;
  std::int64_t treated = 0;
  std::int64_t responders = 0;
  double mean_true_probability = 0.0;
  std::int32_t as_of_day = 0;      ///< campaign day: start_day + period_days
  std::vector<std::string> files;  ///< paths written, in the order they were published
};

/// Writes transactions.csv, customers.csv, campaign.csv, campaign_truth.csv and meta.json into
/// `out_dir` (created if missing), each atomically: a file is complete or absent. Uses
/// ctx.seed() and ctx.threads(). Throws a usage error for invalid params or an unwritable
/// directory.
GeneratorSummary generate_dataset(Context const& ctx, GeneratorParams const& params,
                                  std::string const& out_dir);

}  // namespace cie::datasets
