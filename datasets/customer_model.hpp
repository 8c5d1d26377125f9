// The generative model of one customer: attributes, purchases, returns, campaign response.
// Internal to the generator (datasets/generator.cpp); GeneratorParams documents the parameters.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "datasets/generator.hpp"

namespace cie::datasets {

/// Attribute distributions, fixed (recorded in meta.json): shares follow kRegions, kChannels.
inline constexpr std::array<double, 5> kRegionShares = {0.25, 0.20, 0.20, 0.20, 0.15};
inline constexpr std::array<double, 3> kChannelShares = {0.45, 0.35, 0.20};
inline constexpr double kEmailOptInShare = 0.6;
/// Age ~ Normal(kAgeMean, kAgeSd) rounded to whole years and clamped to [kMinAge, kMaxAge].
inline constexpr double kAgeMean = 45.0;
inline constexpr double kAgeSd = 14.0;
inline constexpr int kMinAge = 18;
inline constexpr int kMaxAge = 90;
/// A partial return refunds a fraction uniform on [kPartialReturnMin, kPartialReturnMax).
inline constexpr double kPartialReturnMin = 0.1;
inline constexpr double kPartialReturnMax = 0.9;
/// Purchase and campaign revenue values are capped here (1,000,000.00): gamma-gamma tails with
/// extreme parameters could otherwise overflow the cents.
inline constexpr std::int64_t kMaxValueCents = 100'000'000;
/// Contacts of both campaigns go out over kContactWindowDays days from the campaign's as-of day
/// (the day after the period): contact day = as-of day + offset, offset uniform on 0..6.
inline constexpr std::int32_t kContactWindowDays = 7;

/// One transaction: `day` counts from the period's first day; cents < 0 for a return.
struct TransactionRow {
  std::int32_t day;
  std::int64_t cents;
};

/// Buffers reused from customer to customer; `rows` holds the last simulated customer's
/// transactions in file order (by day, stable).
struct CustomerScratch {
  std::vector<TransactionRow> rows;
  std::vector<std::int64_t> timestamps;
  std::vector<double> amounts;
};

struct SimulatedCustomer {
  std::int32_t acquisition_day = 0;  ///< from the period's first day; also the signup date
  int age = 0;
  int region = 0;   ///< index into kRegions
  int channel = 0;  ///< index into kChannels
  bool email_opt_in = false;
  bool treated = false;
  bool responded = false;
  std::int64_t revenue_cents = 0;  ///< 0 unless responded
  double probability = 0.0;        ///< the true response probability the draw used
  /// Contact day (or, for the control, the day the customer was held out) minus the as-of day,
  /// 0..kContactWindowDays-1: the last draw of the customer's stream, so no other value depends
  /// on it.
  std::int32_t contact_offset = 0;
  // The multi-arm campaign (params.arms > 0):
  int arm = 0;                   ///< 0 = control, else arm K
  double untreated_logit = 0.0;  ///< response log-odds without any treatment
  bool arm_responded = false;
  std::int64_t arm_revenue_cents = 0;   ///< 0 unless arm_responded
  std::int32_t arm_contact_offset = 0;  ///< as contact_offset: the arms stream's last draw
};

/// Arm K's (1-based) effect on the log-odds of `customer` (GeneratorParams::arms states it).
double arm_effect(int arm, SimulatedCustomer const& customer);

/// The RFM features the response model sees (ResponseCoefficients documents them).
struct ResponseFeatures {
  double frequency_days = 0.0;
  double recency_days = 0.0;
  double monetary = 0.0;
};

/// The logit of the true response probability (ResponseCoefficients).
double response_logit(ResponseCoefficients const& coefficients, ResponseFeatures const& rfm,
                      SimulatedCustomer const& customer);

/// Simulates customer `index` of a run with `seed`; its transactions are left in scratch.rows.
/// Depends only on (params, seed, index).
SimulatedCustomer simulate_customer(GeneratorParams const& params, std::uint64_t seed,
                                    std::int64_t index, CustomerScratch& scratch);

}  // namespace cie::datasets
