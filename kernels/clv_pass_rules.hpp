// One customer row's term of a CLV log-likelihood pass (kernels/clv.hpp), shared by the CPU and
// CUDA twins (kernels/hd.hpp): the model's log-likelihood and its gradient in the
// log-parameters, with the count terms of BG/NBD, the modified BG/NBD and Gamma-Gamma taken from
// a table indexed by the whole number x (computed once per pass by clv_count_terms) when x lies
// in it, else computed for the row.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/clv.hpp"
#include "kernels/clv_bgbb_rules.hpp"
#include "kernels/clv_mbgnbd_rules.hpp"
#include "kernels/clv_pareto_rules.hpp"
#include "kernels/clv_rules.hpp"
#include "kernels/hd.hpp"

namespace cie::kernels {

/// Largest x for which a pass tabulates the count terms; beyond it rows compute their own.
inline constexpr double kClvMaxTabulatedFrequency = 1 << 20;

/// A likelihood's parameters by value (natural scale; the first parameter_count(model) used).
struct ClvParams {
  double v[4] = {0.0, 0.0, 0.0, 0.0};
};

/// The count terms of x for kBgNbd, kMbgNbd and kGammaGamma (zero terms for Gamma-Gamma's x = 0,
/// which no fitted row has); zero terms for the other models, which have none.
CIE_HD inline ClvCountTerms clv_count_terms(ClvLikelihood model, ClvParams const& p, double x) {
  switch (model) {
    case ClvLikelihood::kBgNbd:
      return bgnbd_count_terms(p.v[0], p.v[1], p.v[2], p.v[3], x);
    case ClvLikelihood::kMbgNbd:
      return mbgnbd_count_terms(p.v[0], p.v[1], p.v[2], p.v[3], x);
    case ClvLikelihood::kGammaGamma:
      return x > 0.0 ? gamma_gamma_count_terms(p.v[0], p.v[1], p.v[2], x) : ClvCountTerms{};
    default:
      return ClvCountTerms{};
  }
}

/// ℓ of one row (x, t_x, T, m: the columns the model uses; others ignored) and ∂ℓ/∂ln θ into
/// grad[0..parameter_count(model) − 1]. `counts` holds clv_count_terms(model, p, j) for
/// j = 0 .. count_size − 1 (may be empty for Pareto/NBD and BG/BB). `logs`: the row's ln(α + T)
/// and ln(α + t_x) (BG/NBD family) and ln m (Gamma-Gamma) where the caller has them
/// (clv_log_alpha_table, ClvRows::log_value), else NaN: the same bits either way. `hess` (models
/// with has_analytic_hessian only; null otherwise): ∂²ℓ/∂ln θ_i ∂ln θ_j packed as
/// clv_hessian_index.
CIE_HD inline double clv_row_log_likelihood(ClvLikelihood model, ClvParams const& p,
                                            ClvCountTerms const* counts, std::int64_t count_size,
                                            double x, double t_x, double age, double m,
                                            double* grad, ClvRowLogs const& logs = {},
                                            double* hess = nullptr) {
  auto const terms = [&]() {
    return x < static_cast<double>(count_size) ? counts[static_cast<std::int64_t>(x)]
                                               : clv_count_terms(model, p, x);
  };
  switch (model) {
    case ClvLikelihood::kBgNbd:
      return bgnbd_log_likelihood(terms(), p.v[0], p.v[1], p.v[2], p.v[3], x, t_x, age, grad, false,
                                  logs, hess);
    case ClvLikelihood::kMbgNbd:
      return mbgnbd_log_likelihood(terms(), p.v[0], p.v[1], p.v[2], p.v[3], x, t_x, age, grad, logs,
                                   hess);
    case ClvLikelihood::kGammaGamma:
      return gamma_gamma_log_likelihood(terms(), p.v[0], p.v[1], p.v[2], x, m, grad, hess,
                                        logs.value);
    case ClvLikelihood::kParetoNbd:
      return pareto_nbd_log_likelihood(p.v[0], p.v[1], p.v[2], p.v[3], x, t_x, age, grad);
    case ClvLikelihood::kBgBb:
      return bgbb_log_likelihood(p.v[0], p.v[1], p.v[2], p.v[3], x, t_x, age, grad);
  }
  return 0.0;
}

/// ln(α + values[j]) for each j, as the BG/NBD family's rule computes ln(α + T) and ln(α + t_x)
/// (the same bits): a pass's table over a column's distinct values (ClvRows::recency_values,
/// age_values). Empty for the other models.
inline std::vector<double> clv_log_alpha_table(ClvLikelihood model, ClvParams const& p,
                                               std::span<double const> values) {
  std::vector<double> logs;
  if (model != ClvLikelihood::kBgNbd && model != ClvLikelihood::kMbgNbd) return logs;
  logs.reserve(values.size());
  for (double v : values) logs.push_back(std::log(p.v[1] + v));
  return logs;
}

/// The count-term table of a pass on the host: clv_count_terms(model, p, j) for j = 0 .. min(max
/// x, kClvMaxTabulatedFrequency) for kBgNbd, kMbgNbd and kGammaGamma; empty for the others.
inline std::vector<ClvCountTerms> clv_count_table(ClvLikelihood model, ClvParams const& p,
                                                  std::span<double const> frequency) {
  std::vector<ClvCountTerms> counts;
  if (model != ClvLikelihood::kBgNbd && model != ClvLikelihood::kMbgNbd &&
      model != ClvLikelihood::kGammaGamma) {
    return counts;
  }
  double max_x = 0.0;
  for (double x : frequency) max_x = std::max(max_x, x);
  counts.resize(static_cast<std::size_t>(std::min(max_x, kClvMaxTabulatedFrequency)) + 1);
  for (std::size_t x = 0; x < counts.size(); ++x) {
    counts[x] = clv_count_terms(model, p, static_cast<double>(x));
  }
  return counts;
}

}  // namespace cie::kernels
