// CPU twin of kernels/clv.hpp: batches of kClvBatchRows rows, each summed in row order by one
// thread into its own partial; partials folded in batch order (kernels/cpu/ordered_batches.hpp).
#include "kernels/clv.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "kernels/clv_bgbb_rules.hpp"
#include "kernels/clv_mbgnbd_rules.hpp"
#include "kernels/clv_pareto_rules.hpp"
#include "kernels/clv_rules.hpp"
#include "kernels/cpu/ordered_batches.hpp"

namespace cie::kernels::cpu_impl {

namespace {

/// Largest x for which a pass tabulates the count terms; beyond it rows compute their own.
constexpr double kMaxTabulatedFrequency = 1 << 20;

}  // namespace

ClvPassStats clv_log_likelihood_pass(Context const& ctx, ClvLikelihood model,
                                     std::span<double const> params, ClvRows const& rows) {
  int const k = parameter_count(model);
  CIE_ASSERT(params.size() == static_cast<std::size_t>(k));
  std::int64_t const n = static_cast<std::int64_t>(rows.size());
  bool const weighted = !rows.weight.empty();
  std::size_t const stride = 1 + static_cast<std::size_t>(k);
  // BG/NBD, modified BG/NBD and Gamma-Gamma: the terms of each whole x up to the largest,
  // computed once.
  auto const compute_terms = [&](double x) {
    switch (model) {
      case ClvLikelihood::kBgNbd:
        return bgnbd_count_terms(params[0], params[2], params[3], x);
      case ClvLikelihood::kMbgNbd:
        return mbgnbd_count_terms(params[0], params[2], params[3], x);
      default:
        return x > 0.0 ? gamma_gamma_count_terms(params[0], params[1], x) : ClvCountTerms{};
    }
  };
  std::vector<ClvCountTerms> counts;
  if (model == ClvLikelihood::kBgNbd || model == ClvLikelihood::kMbgNbd ||
      model == ClvLikelihood::kGammaGamma) {
    double max_x = 0.0;
    for (double x : rows.frequency) max_x = std::max(max_x, x);
    counts.resize(static_cast<std::size_t>(std::min(max_x, kMaxTabulatedFrequency)) + 1);
    for (std::size_t x = 0; x < counts.size(); ++x) {
      counts[x] = compute_terms(static_cast<double>(x));
    }
  }
  auto const count_terms = [&](double x) {
    if (x < static_cast<double>(counts.size())) return counts[static_cast<std::size_t>(x)];
    return compute_terms(x);
  };
  ClvPassStats stats;
  auto const reduce = [&](std::int64_t batch, double* partial, int /*scratch*/) {
    std::fill_n(partial, stride, 0.0);
    std::int64_t const end = std::min(n, (batch + 1) * kClvBatchRows);
    double grad[4];
    for (std::int64_t i = batch * kClvBatchRows; i < end; ++i) {
      double const w = weighted ? rows.weight[i] : 1.0;
      double const x = rows.frequency[i];
      double ll = 0.0;
      switch (model) {
        case ClvLikelihood::kBgNbd:
          ll = bgnbd_log_likelihood(count_terms(x), params[0], params[1], params[2], params[3], x,
                                    rows.recency[i], rows.age[i], grad);
          break;
        case ClvLikelihood::kMbgNbd:
          ll = mbgnbd_log_likelihood(count_terms(x), params[0], params[1], params[2], params[3], x,
                                     rows.recency[i], rows.age[i], grad);
          break;
        case ClvLikelihood::kGammaGamma:
          ll = gamma_gamma_log_likelihood(count_terms(x), params[0], params[1], params[2], x,
                                          rows.value[i], grad);
          break;
        case ClvLikelihood::kParetoNbd:
          ll = pareto_nbd_log_likelihood(params[0], params[1], params[2], params[3], x,
                                         rows.recency[i], rows.age[i], grad);
          break;
        case ClvLikelihood::kBgBb:
          ll = bgbb_log_likelihood(params[0], params[1], params[2], params[3], x, rows.recency[i],
                                   rows.age[i], grad);
          break;
      }
      partial[0] += w * ll;
      for (int j = 0; j < k; ++j) partial[1 + j] += w * grad[j];
    }
  };
  auto const fold = [&](double const* partial) {
    stats.log_likelihood += partial[0];
    for (int j = 0; j < k; ++j) stats.gradient[j] += partial[1 + j];
  };
  reduce_batches_in_order(
      ctx.threads(), (n + kClvBatchRows - 1) / kClvBatchRows, stride, [] { return 0; }, reduce,
      fold);
  return stats;
}

namespace {

double p_alive(ClvLikelihood model, std::span<double const> p, double x, double t_x, double age) {
  switch (model) {
    case ClvLikelihood::kParetoNbd:
      return pareto_nbd_p_alive(p[0], p[1], p[2], p[3], x, t_x, age);
    case ClvLikelihood::kBgBb:
      return bgbb_p_alive(p[0], p[1], p[2], p[3], x, t_x, age);
    case ClvLikelihood::kMbgNbd:
      return mbgnbd_p_alive(p[0], p[1], p[2], p[3], x, t_x, age);
    default:
      return bgnbd_p_alive(p[0], p[1], p[2], p[3], x, t_x, age);
  }
}

double expected_purchases(ClvLikelihood model, std::span<double const> p, double x, double t_x,
                          double age, double t) {
  switch (model) {
    case ClvLikelihood::kParetoNbd:
      return pareto_nbd_expected_purchases(p[0], p[1], p[2], p[3], x, t_x, age, t);
    case ClvLikelihood::kBgBb:
      return bgbb_expected_purchases(p[0], p[1], p[2], p[3], x, t_x, age, t);
    case ClvLikelihood::kMbgNbd:
      return mbgnbd_expected_purchases(p[0], p[1], p[2], p[3], x, t_x, age, t);
    default:
      return bgnbd_expected_purchases(p[0], p[1], p[2], p[3], x, t_x, age, t);
  }
}

}  // namespace

void clv_predict(Context const& ctx, ClvLikelihood purchases, std::span<double const> params,
                 std::span<double const> spend, ClvPredictionSettings const& settings,
                 ClvRows const& rows, ClvPredictionOutputs const& out) {
  CIE_ASSERT(purchases != ClvLikelihood::kGammaGamma && params.size() == 4 &&
             (spend.empty() || spend.size() == 3));
  int const pmf_width = settings.max_purchases + 1;
  CIE_ASSERT(settings.max_purchases < 0 ||
             (purchases != ClvLikelihood::kBgBb &&
              out.p_purchases.size() == rows.size() * static_cast<std::size_t>(pmf_width)));
  std::int64_t const n = static_cast<std::int64_t>(rows.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static, 1024)
  for (std::int64_t i = 0; i < n; ++i) {
    double const x = rows.frequency[i], t_x = rows.recency[i], age = rows.age[i];
    out.p_alive[i] = p_alive(purchases, params, x, t_x, age);
    out.expected_purchases[i] =
        expected_purchases(purchases, params, x, t_x, age, settings.horizon);
    for (int k = 0; k < pmf_width; ++k) {
      out.p_purchases[static_cast<std::size_t>(i) * static_cast<std::size_t>(pmf_width) +
                      static_cast<std::size_t>(k)] =
          purchases == ClvLikelihood::kParetoNbd
              ? pareto_nbd_conditional_pmf(params[0], params[1], params[2], params[3], x, t_x, age,
                                           k, settings.horizon)
              : bgnbd_conditional_pmf(params[0], params[1], params[2], params[3], x, t_x, age, k,
                                      settings.horizon, purchases == ClvLikelihood::kMbgNbd);
    }
    if (spend.empty()) {
      out.expected_value[i] = NAN;
      out.clv[i] = NAN;
      continue;
    }
    double const m = rows.value[i];
    double const spend_x = m > 0.0 ? x : 0.0;
    double const value = gamma_gamma_expected_spend(spend[0], spend[1], spend[2], spend_x, m);
    out.expected_value[i] = value;
    double clv = 0.0;
    double previous = 0.0;
    for (int month = 1; month <= settings.clv_months; ++month) {
      double const t = month * settings.units_per_month;
      double const cumulative = expected_purchases(purchases, params, x, t_x, age, t);
      clv += value * (cumulative - previous) / std::pow(1.0 + settings.monthly_discount, month);
      previous = cumulative;
    }
    out.clv[i] = settings.margin * clv;
  }
}

}  // namespace cie::kernels::cpu_impl
