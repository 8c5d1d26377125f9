// CPU twin of kernels/clv.hpp. The pass: batches of kClvBatchRows rows, each summed in row order
// by one thread into its own partial; partials folded in batch order
// (kernels/cpu/ordered_batches.hpp); the BG/NBD family's ln(α + t_x) and ln(α + T) looked up in
// tables of the rows' distinct values (ClvRows) when the rows carry them. Predictions: a map over
// customers; for the BG/NBD family the hypergeometric brackets of the horizon and of every CLV
// month are computed once per distinct (x, T) (customers share far fewer of them than (x, t_x, T);
// kernels/cpu/clv_groups.hpp), z and the log-ratio once per distinct T, the series of one (x, T)
// side by side, with the bits the per-customer rules give; so is CLV's discounted sum of the
// monthly brackets, which a customer scales by its value and the c/(a−1)/denominator (BG/NBD) or
// c/(a−1)·P(alive) (MBG/NBD) of the expected purchases.
#include "kernels/clv.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "kernels/clv_bgbb_rules.hpp"
#include "kernels/clv_mbgnbd_rules.hpp"
#include "kernels/clv_pareto_rules.hpp"
#include "kernels/clv_pass_rules.hpp"
#include "kernels/clv_rules.hpp"
#include "kernels/cpu/clv_groups.hpp"
#include "kernels/cpu/ordered_batches.hpp"

namespace cie::kernels::cpu_impl {

ClvPassStats clv_log_likelihood_pass(Context const& ctx, ClvLikelihood model,
                                     std::span<double const> params, ClvRows const& rows,
                                     bool with_hessian) {
  int const k = parameter_count(model);
  CIE_ASSERT(params.size() == static_cast<std::size_t>(k));
  CIE_ASSERT(!with_hessian || has_analytic_hessian(model));
  std::int64_t const n = static_cast<std::int64_t>(rows.size());
  bool const weighted = !rows.weight.empty();
  bool const with_value = model == ClvLikelihood::kGammaGamma;
  bool const with_times = !with_value;
  bool const bgnbd_family = model == ClvLikelihood::kBgNbd || model == ClvLikelihood::kMbgNbd;
  int const hessian_entries = with_hessian ? kClvHessianEntries : 0;
  std::size_t const stride = 1 + static_cast<std::size_t>(k + hessian_entries);
  ClvParams p;
  std::copy(params.begin(), params.end(), p.v);
  std::vector<ClvCountTerms> const counts = clv_count_table(model, p, rows.frequency);
  std::int64_t const count_size = static_cast<std::int64_t>(counts.size());
  // The BG/NBD family's ln(α + t_x) and ln(α + T) once per distinct value where the rows carry
  // the tables; Gamma-Gamma's ln m where they carry it.
  bool const recency_table = bgnbd_family && !rows.recency_code.empty();
  bool const age_table = bgnbd_family && !rows.age_code.empty();
  bool const log_value = with_value && !rows.log_value.empty();
  CIE_ASSERT(!recency_table || rows.recency_code.size() == rows.size());
  CIE_ASSERT(!age_table || rows.age_code.size() == rows.size());
  CIE_ASSERT(!log_value || rows.log_value.size() == rows.size());
  std::vector<double> const log_recency =
      recency_table ? clv_log_alpha_table(model, p, rows.recency_values) : std::vector<double>{};
  std::vector<double> const log_age =
      age_table ? clv_log_alpha_table(model, p, rows.age_values) : std::vector<double>{};
  ClvPassStats stats;
  auto const reduce = [&](std::int64_t batch, double* partial, int /*scratch*/) {
    std::fill_n(partial, stride, 0.0);
    std::int64_t const end = std::min(n, (batch + 1) * kClvBatchRows);
    double grad[4];
    double hess[kClvHessianEntries] = {};
    for (std::int64_t i = batch * kClvBatchRows; i < end; ++i) {
      double const w = weighted ? rows.weight[i] : 1.0;
      ClvRowLogs logs;
      if (recency_table) logs.alpha_recency = log_recency[rows.recency_code[i]];
      if (age_table) logs.alpha_age = log_age[rows.age_code[i]];
      if (log_value) logs.value = rows.log_value[i];
      double const ll = clv_row_log_likelihood(
          model, p, counts.data(), count_size, rows.frequency[i],
          with_times ? rows.recency[i] : 0.0, with_times ? rows.age[i] : 0.0,
          with_value ? rows.value[i] : 0.0, grad, logs, with_hessian ? hess : nullptr);
      partial[0] += w * ll;
      for (int j = 0; j < k; ++j) partial[1 + j] += w * grad[j];
      for (int e = 0; e < hessian_entries; ++e) partial[1 + k + e] += w * hess[e];
    }
  };
  auto const fold = [&](double const* partial) {
    stats.log_likelihood += partial[0];
    for (int j = 0; j < k; ++j) stats.gradient[j] += partial[1 + j];
    for (int e = 0; e < hessian_entries; ++e) stats.hessian[e] += partial[1 + k + e];
  };
  reduce_batches_in_order(
      ctx.threads(), (n + kClvBatchRows - 1) / kClvBatchRows, stride, [] { return 0; }, reduce,
      fold);
  return stats;
}

/// log_hyp2f1_positive_many and log_hyp2f1_small_b_many compiled for AVX2 (without FMA, so no
/// product is fused: the bits of the baseline clone and of the per-customer rule) and for the
/// baseline ISA, picked at load time: the step over the side-by-side series vectorizes with AVX2.
void clv_log_hyp2f1_many(double a, double b, double c, double const* z, int count, double* scratch,
                         double* out);
void clv_log_hyp2f1_small_b_many(double a, double b, double c, double const* z, int count,
                                 double* scratch, double* out);

__attribute__((target_clones("avx2", "default"))) void clv_log_hyp2f1_many(
    double a, double b, double c, double const* z, int count, double* scratch, double* out) {
  log_hyp2f1_positive_many(a, b, c, z, count, scratch, out);
}

__attribute__((target_clones("avx2", "default"))) void clv_log_hyp2f1_small_b_many(
    double a, double b, double c, double const* z, int count, double* scratch, double* out) {
  log_hyp2f1_small_b_many(a, b, c, z, count, scratch, out);
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

/// The BG/NBD family's brackets (bgnbd_purchases_bracket) of every (x, T) group at every time
/// in `times`: brackets[g · times.size() + j]. z and ln((α+T)/(α+T+t)) once per distinct T; the
/// hypergeometric series of one group (bgnbd_bracket_series: Euler's, then the direct one where
/// that declined) run side by side (clv_log_hyp2f1_small_b_many, clv_log_hyp2f1_many), each with
/// the bits the per-customer rule (bgnbd_purchases_bracket) gives.
std::vector<double> bgnbd_family_brackets(Context const& ctx, bool modified,
                                          std::span<double const> p, ClvRows const& rows,
                                          FrequencyAgeGroups const& groups,
                                          std::span<double const> times) {
  int const count = static_cast<int>(times.size());
  std::int64_t const group_count = static_cast<std::int64_t>(groups.first_row.size());
  std::vector<double> brackets(static_cast<std::size_t>(group_count) * times.size());
  double const r = p[0], alpha = p[1], a = p[2], b = p[3];
  GroupAges const ages = distinct_group_ages(rows, groups);
  std::vector<double> age_z(ages.values.size() * times.size());
  std::vector<double> age_log_ratio(age_z.size());
  for (std::size_t k = 0; k < ages.values.size(); ++k) {
    for (std::size_t j = 0; j < times.size(); ++j) {
      age_z[k * times.size() + j] = times[j] / (alpha + ages.values[k] + times[j]);
      age_log_ratio[k * times.size() + j] = bgnbd_log_age_ratio(alpha, ages.values[k], times[j]);
    }
  }
#pragma omp parallel num_threads(ctx.threads())
  {
    std::vector<double> scratch(3 * times.size()), log_euler(times.size());
    std::vector<double> direct_z(times.size()), log_direct(times.size());
#pragma omp for schedule(dynamic, 64)
    for (std::int64_t g = 0; g < group_count; ++g) {
      std::int64_t const row = groups.first_row[static_cast<std::size_t>(g)];
      double const x = rows.frequency[row];
      std::size_t const age_row =
          static_cast<std::size_t>(ages.index[static_cast<std::size_t>(g)]) * times.size();
      double const* const z = age_z.data() + age_row;
      double const* const log_ratio = age_log_ratio.data() + age_row;
      double const c = modified ? a + b + x : a + b + x - 1.0;
      ClvBracketSeries const series =
          bgnbd_bracket_series(r, a, x, modified ? b + x + 1.0 : b + x, c);
      std::fill(log_euler.begin(), log_euler.end(), NAN);
      if (series.euler) {
        clv_log_hyp2f1_small_b_many(series.euler_a, series.euler_b, c, z, count, scratch.data(),
                                    log_euler.data());
      }
      // The direct series where Euler's does not apply or declined (NaN), side by side too.
      int direct = 0;
      for (int j = 0; j < count; ++j) {
        if (log_euler[j] != log_euler[j]) direct_z[direct++] = z[j];
      }
      if (direct > 0) {
        clv_log_hyp2f1_many(series.direct_a, series.direct_b, c, direct_z.data(), direct,
                            scratch.data(), log_direct.data());
      }
      direct = 0;
      for (int j = 0; j < count; ++j) {
        bool const euler = log_euler[j] == log_euler[j];
        brackets[static_cast<std::size_t>(g) * times.size() + static_cast<std::size_t>(j)] =
            euler ? bgnbd_bracket_from_log(series.euler_b, log_ratio[j], log_euler[j])
                  : bgnbd_bracket_from_log(series.direct_a, log_ratio[j],
                                           log_direct[static_cast<std::size_t>(direct++)]);
      }
    }
  }
  return brackets;
}

}  // namespace

void clv_predict(Context const& ctx, ClvLikelihood purchases, std::span<double const> params,
                 std::span<double const> spend, ClvPredictionSettings const& settings,
                 ClvRows const& rows, ClvPredictionOutputs const& out) {
  CIE_ASSERT(purchases != ClvLikelihood::kGammaGamma && params.size() == 4 &&
             (spend.empty() || spend.size() == 3));
  int const pmf_width = settings.max_purchases + 1;
  CIE_ASSERT(settings.max_purchases < 0 ||
             out.p_purchases.size() == rows.size() * static_cast<std::size_t>(pmf_width));
  CIE_ASSERT(settings.max_purchases < 0 || purchases != ClvLikelihood::kBgBb ||
             (settings.horizon == std::floor(settings.horizon) && settings.horizon <= 1e6));
  CIE_ASSERT(settings.horizon > 0.0);
  std::int64_t const n = static_cast<std::int64_t>(rows.size());
  bool const with_alive = !out.p_alive.empty(), with_expected = !out.expected_purchases.empty();
  bool const with_value = !out.expected_value.empty(), with_clv = !out.clv.empty();
  // times[0] the horizon, times[m] month m's end; discount[m] = (1 + d)^m.
  int const months = spend.empty() || !with_clv ? 0 : settings.clv_months;
  std::vector<double> times(static_cast<std::size_t>(months) + 1), discount(times.size());
  times[0] = settings.horizon;
  for (int month = 1; month <= months; ++month) {
    times[static_cast<std::size_t>(month)] = month * settings.units_per_month;
    discount[static_cast<std::size_t>(month)] = std::pow(1.0 + settings.monthly_discount, month);
  }
  // The BG/NBD family's hypergeometric brackets depend on (x, T, t) only: once per (x, T), at
  // the times asked for (from times[first_time] on; each series' bits do not depend on the
  // others summed beside it).
  bool const bgnbd_family =
      purchases == ClvLikelihood::kBgNbd || purchases == ClvLikelihood::kMbgNbd;
  bool const modified = purchases == ClvLikelihood::kMbgNbd;
  std::size_t const first_time = with_expected ? 0 : 1;
  std::span<double const> const bracket_times = std::span<double const>(times).subspan(first_time);
  FrequencyAgeGroups groups;
  std::vector<double> brackets;
  if (bgnbd_family && n > 0 && !bracket_times.empty()) {
    groups = group_by_frequency_and_age(rows);
    brackets = bgnbd_family_brackets(ctx, modified, params, rows, groups, bracket_times);
  }
  // The BG/NBD family's CLV is value · c/(a−1) · (1/denominator or P(alive)) · Σ_m (bracket_m −
  // bracket_{m−1}) / (1 + d)^m: the discounted sum depends on (x, T) only, once per group.
  std::vector<double> discounted_brackets;
  if (bgnbd_family && months > 0) {
    std::size_t const group_count = groups.first_row.size();
    discounted_brackets.resize(group_count);
    for (std::size_t g = 0; g < group_count; ++g) {
      double sum = 0.0, previous = 0.0;
      for (std::size_t j = 1; j <= static_cast<std::size_t>(months); ++j) {
        double const bracket = brackets[g * bracket_times.size() + (j - first_time)];
        sum += (bracket - previous) / discount[j];
        previous = bracket;
      }
      discounted_brackets[g] = sum;
    }
  }
  // MBG/NBD's expected purchases are a multiple of P(alive).
  bool const need_alive = with_alive || (modified && !bracket_times.empty());
  bool const need_denominator = purchases == ClvLikelihood::kBgNbd && !bracket_times.empty();
  double const r = params[0], alpha = params[1], a = params[2], b = params[3];
  // BG/NBD's a/(b+x−1) and its log once per whole x below the table's end (others: NaN, per row).
  std::vector<double> odds, log_odds;
  if (purchases == ClvLikelihood::kBgNbd && (need_alive || need_denominator)) {
    double max_x = 0.0;
    for (double x : rows.frequency) max_x = std::max(max_x, x);
    std::size_t const size =
        static_cast<std::size_t>(std::min(max_x, kClvMaxTabulatedFrequency)) + 1;
    for (std::size_t j = 0; j < size; ++j) {
      odds.push_back(bgnbd_dropout_odds(a, b, static_cast<double>(j)));
      log_odds.push_back(std::log(odds.back()));
    }
  }
  double const table_end = static_cast<double>(odds.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static, 1024)
  for (std::int64_t i = 0; i < n; ++i) {
    double const x = rows.frequency[i], t_x = rows.recency[i], age = rows.age[i];
    bool const in_table = x >= 0.0 && x < table_end;
    std::size_t const entry = in_table ? static_cast<std::size_t>(x) : 0;
    bool const tabled = in_table && x == static_cast<double>(entry);
    double const alive =
        !need_alive ? 0.0
        : purchases == ClvLikelihood::kBgNbd
            ? bgnbd_p_alive(r, alpha, a, b, x, t_x, age, tabled ? log_odds[entry] : NAN)
            : p_alive(purchases, params, x, t_x, age);
    if (with_alive) out.p_alive[i] = alive;
    // E[X(T, T + times[j])]: the rules' own expressions with the shared bracket.
    double const denominator =
        need_denominator
            ? bgnbd_alive_denominator(r, alpha, a, b, x, t_x, age, tabled ? odds[entry] : NAN)
            : 0.0;
    double const c = modified ? a + b + x : a + b + x - 1.0;
    auto const expected = [&](std::size_t j) {
      if (!bgnbd_family) return expected_purchases(purchases, params, x, t_x, age, times[j]);
      double const bracket =
          brackets[static_cast<std::size_t>(groups.group[static_cast<std::size_t>(i)]) *
                       bracket_times.size() +
                   (j - first_time)];
      return modified ? c / (a - 1.0) * bracket * alive : c / (a - 1.0) * bracket / denominator;
    };
    if (with_expected) out.expected_purchases[i] = expected(0);
    for (int k = 0; k < pmf_width; ++k) {
      out.p_purchases[static_cast<std::size_t>(i) * static_cast<std::size_t>(pmf_width) +
                      static_cast<std::size_t>(k)] =
          purchases == ClvLikelihood::kParetoNbd
              ? pareto_nbd_conditional_pmf(r, alpha, a, b, x, t_x, age, k, settings.horizon)
          : purchases == ClvLikelihood::kBgBb
              ? bgbb_conditional_pmf(r, alpha, a, b, x, t_x, age, k,
                                     static_cast<int>(settings.horizon))
              : bgnbd_conditional_pmf(r, alpha, a, b, x, t_x, age, k, settings.horizon, modified);
    }
    if (!with_value && !with_clv) continue;
    if (spend.empty()) {
      if (with_value) out.expected_value[i] = NAN;
      if (with_clv) out.clv[i] = NAN;
      continue;
    }
    double const m = rows.value[i];
    double const spend_x = m > 0.0 ? x : 0.0;
    double const value = gamma_gamma_expected_spend(spend[0], spend[1], spend[2], spend_x, m);
    if (with_value) out.expected_value[i] = value;
    if (!with_clv) continue;
    if (bgnbd_family) {
      double const per_bracket = modified ? c / (a - 1.0) * alive : c / (a - 1.0) / denominator;
      double const discounted = months > 0 ? discounted_brackets[static_cast<std::size_t>(
                                                 groups.group[static_cast<std::size_t>(i)])]
                                           : 0.0;
      out.clv[i] = months > 0 ? settings.margin * (value * (per_bracket * discounted)) : 0.0;
      continue;
    }
    double clv = 0.0;
    double previous = 0.0;
    for (int month = 1; month <= months; ++month) {
      double const cumulative = expected(static_cast<std::size_t>(month));
      clv += value * (cumulative - previous) / discount[static_cast<std::size_t>(month)];
      previous = cumulative;
    }
    out.clv[i] = settings.margin * clv;
  }
}

}  // namespace cie::kernels::cpu_impl
