// Passes of the "buy till you die" models (the maths is in kernels/clv_rules.hpp,
// clv_pareto_rules.hpp and clv_bgbb_rules.hpp):
//   clv_log_likelihood_pass  Σ w_i ℓ_i and Σ w_i ∇ℓ_i (and Σ w_i ∇²ℓ_i for BG/NBD, the modified
//                            BG/NBD and Gamma-Gamma) over weighted customer rows at given
//                            parameters: one L-BFGS or Newton evaluation of a fit (map + ordered
//                            sum);
//   clv_predict              per customer P(alive), expected purchases over a horizon, expected
//                            mean spend, CLV and P(n purchases over the horizon) (a pure map).
// Twins of the pass, both applying the shared row rule (kernels/clv_pass_rules.hpp):
//   kernels/cpu/clv.cpp   OpenMP over batches of kClvBatchRows rows, each summed in row order
//                         into its own partial, partials folded in batch order: the same bits
//                         for any thread count;
//   kernels/cuda/clv.cu   one block per kClvBatchRows rows, each thread summing a fixed subset of
//                         them, a fixed shuffle tree per block, block partials folded by one
//                         block in a fixed order: the same bits on every run, equal to the CPU
//                         twin's to rounding (the order of the sum differs).
// A CUDA context runs the pass on the GPU (the rows are copied to the device for each pass);
// clv_predict has the CPU twin only, whatever the device.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "core/context.hpp"

namespace cie::kernels {

/// Rows per statistics batch of a CLV pass; fixed, so the reduction order never depends on the
/// thread count.
inline constexpr std::int64_t kClvBatchRows = 1 << 13;

enum class ClvLikelihood {
  kBgNbd,       ///< parameters (r, α, a, b); rows use frequency, recency, age
  kMbgNbd,      ///< modified BG/NBD, parameters (r, α, a, b); as kBgNbd
  kGammaGamma,  ///< parameters (p, q, γ); rows use frequency and value (all x > 0, m > 0)
  kParetoNbd,   ///< parameters (r, α, s, β); rows use frequency, recency, age
  kBgBb,        ///< parameters (α, β, γ, δ); rows use frequency, recency, age = opportunities n
};

/// Number of parameters of a likelihood.
constexpr int parameter_count(ClvLikelihood model) {
  return model == ClvLikelihood::kGammaGamma ? 3 : 4;
}

/// Whether a pass can sum the rows' second derivatives (BG/NBD, the modified BG/NBD and
/// Gamma-Gamma; Pareto/NBD and BG/BB have gradients only).
constexpr bool has_analytic_hessian(ClvLikelihood model) {
  return model == ClvLikelihood::kBgNbd || model == ClvLikelihood::kMbgNbd ||
         model == ClvLikelihood::kGammaGamma;
}

/// Customer rows as columns of equal length (host memory). Columns a likelihood does not use may
/// be empty; an empty weight means weight 1 for every row. The optional tables below (empty:
/// none) let a pass compute ln(α + t_x) and ln(α + T) once per distinct value and ln m not at
/// all; they change no bits.
struct ClvRows {
  std::span<double const> frequency;  ///< x: repeat purchases
  std::span<double const> recency;    ///< t_x
  std::span<double const> age;        ///< T
  std::span<double const> value;      ///< m: mean repeat value
  std::span<double const> weight;     ///< customers each row stands for
  /// recency[i] == recency_values[recency_code[i]] for every row (==: −0.0 may be 0.0).
  std::span<std::uint32_t const> recency_code = {};
  std::span<double const> recency_values = {};
  /// age[i] == age_values[age_code[i]] for every row.
  std::span<std::uint32_t const> age_code = {};
  std::span<double const> age_values = {};
  /// ln value[i] (std::log) for every row.
  std::span<double const> log_value = {};

  [[nodiscard]] std::size_t size() const noexcept { return frequency.size(); }
};

/// Entries of a pass's packed Hessian (the upper triangle of 4 × 4, clv_hessian_index in
/// kernels/clv_rules.hpp).
inline constexpr int kClvHessianEntries = 10;

struct ClvPassStats {
  double log_likelihood = 0.0;       ///< Σ w_i ℓ_i
  std::array<double, 4> gradient{};  ///< Σ w_i ∂ℓ_i/∂ln θ_k (the first parameter_count values)
  /// Σ w_i ∂²ℓ_i/∂ln θ_j ∂ln θ_k, packed (kClvHessianEntries); zeros unless the pass was asked for
  /// it (and for the entries of a three-parameter model's j or k = 3).
  std::array<double, kClvHessianEntries> hessian{};
};

/// What clv_predict computes for each customer.
struct ClvPredictionSettings {
  double horizon = 52.0;           ///< t of expected_purchases, in the model's time unit
  int clv_months = 12;             ///< months summed by the CLV
  double monthly_discount = 0.01;  ///< discount rate per month
  double margin = 1.0;             ///< share of spend that is profit
  double units_per_month = 4.345;  ///< time units in a month (lifetimes: W 4.345, D 30)
  /// P(n purchases in (T, T + horizon]) for n = 0..max_purchases; -1: none. For kBgBb the
  /// horizon is a whole number of opportunities (at most 1e6) when max_purchases >= 0.
  int max_purchases = -1;
};

/// Per-customer outputs, each with one slot per row, or empty: not computed (and what only it
/// needs is skipped: P(alive) alone groups nothing and sums no series). expected_value and clv
/// are NaN when the spend parameters are empty.
struct ClvPredictionOutputs {
  std::span<double> p_alive;
  std::span<double> expected_purchases;
  std::span<double> expected_value;
  std::span<double> clv;
  /// Row-major rows × (max_purchases + 1); empty when max_purchases is -1.
  std::span<double> p_purchases;
};

namespace cpu_impl {
ClvPassStats clv_log_likelihood_pass(Context const& ctx, ClvLikelihood model,
                                     std::span<double const> params, ClvRows const& rows,
                                     bool with_hessian);
void clv_predict(Context const& ctx, ClvLikelihood purchases, std::span<double const> params,
                 std::span<double const> spend, ClvPredictionSettings const& settings,
                 ClvRows const& rows, ClvPredictionOutputs const& out);
}  // namespace cpu_impl

namespace cuda_impl {
ClvPassStats clv_log_likelihood_pass(Context const& ctx, ClvLikelihood model,
                                     std::span<double const> params, ClvRows const& rows,
                                     bool with_hessian);
}  // namespace cuda_impl

/// The weighted log-likelihood and its gradient in the log-parameters at `params` (natural
/// scale, parameter_count(model) positive values), and with `with_hessian` (only where
/// has_analytic_hessian(model)) the Hessian in the log-parameters. O(rows) per pass.
inline ClvPassStats clv_log_likelihood_pass(Context const& ctx, ClvLikelihood model,
                                            std::span<double const> params, ClvRows const& rows,
                                            bool with_hessian = false) {
  return ctx.is_cuda() ? cuda_impl::clv_log_likelihood_pass(ctx, model, params, rows, with_hessian)
                       : cpu_impl::clv_log_likelihood_pass(ctx, model, params, rows, with_hessian);
}

/// Predictions for every row: `purchases` is kBgNbd, kMbgNbd, kParetoNbd or kBgBb with its four
/// `params`, `spend` holds (p, q, γ) or is empty. CLV is lifetimes' customer_lifetime_value times
/// the margin: Σ_{i=1..months} margin · E[spend] · (E[X(i·u)] − E[X((i−1)·u)]) / (1 + d)^i with u =
/// units_per_month. A customer whose mean value is not positive gets the population's expected
/// spend (as one with no repeat purchase).
inline void clv_predict(Context const& ctx, ClvLikelihood purchases, std::span<double const> params,
                        std::span<double const> spend, ClvPredictionSettings const& settings,
                        ClvRows const& rows, ClvPredictionOutputs const& out) {
  cpu_impl::clv_predict(ctx, purchases, params, spend, settings, rows, out);
}

}  // namespace cie::kernels
