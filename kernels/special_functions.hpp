// Special functions for the per-element rules that the CPU and CUDA twins share
// (kernels/clv_*_rules.hpp, kernels/hd.hpp) and for host code that may run on several threads at
// once: ln Γ, the digamma and trigamma functions ψ and ψ', and log ₂F₁ by its power series (all
// terms positive, or after the first all of one sign and falling).
#pragma once

#include <cmath>
#include <cstdint>
#include <math.h>

#include "kernels/hd.hpp"

namespace cie::kernels {

/// ln |Γ(x)|. The C library's lgamma also stores the sign of Γ(x) in the global `signgam`: two
/// CPU threads calling it at once race on that global (ThreadSanitizer reported it in the CLV
/// pass). The host therefore calls the reentrant lgamma_r, the same computation without the
/// global, so the value is lgamma's to the bit; the device calls CUDA's lgamma, which has no
/// global.
CIE_HD inline double log_gamma(double x) {
#if defined(__CUDA_ARCH__)
  return lgamma(x);
#else
  int sign = 0;
  return lgamma_r(x, &sign);
#endif
}

/// ψ(v) for v > 0, to about 1e-15 absolute beyond the recurrence's rounding: ψ(v) = ψ(v+1) − 1/v
/// up to v >= 10, then the asymptotic series through the v⁻¹⁴ term (truncation < 1e-16).
CIE_HD inline double digamma(double v) {
  double shift = 0.0;
  while (v < 10.0) {
    shift -= 1.0 / v;
    v += 1.0;
  }
  double const inv = 1.0 / v;
  double const inv2 = inv * inv;
  double const series =
      inv2 *
      (1.0 / 12 -
       inv2 * (1.0 / 120 -
               inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 -
                                                                                   inv2 / 12))))));
  return shift + std::log(v) - 0.5 * inv - series;
}

/// ψ'(v) (trigamma) for v > 0, to about 1e-15 relative: ψ'(v) = ψ'(v+1) + 1/v² up to v >= 10,
/// then the asymptotic series through the v⁻¹⁵ term (truncation < 1e-17).
CIE_HD inline double trigamma(double v) {
  double shift = 0.0;
  while (v < 10.0) {
    shift += 1.0 / (v * v);
    v += 1.0;
  }
  double const inv = 1.0 / v;
  double const inv2 = inv * inv;
  double const series =
      inv *
      (1.0 +
       inv * (0.5 +
              inv * (1.0 / 6 -
                     inv2 * (1.0 / 30 -
                             inv2 * (1.0 / 42 -
                                     inv2 * (1.0 / 30 -
                                             inv2 * (5.0 / 66 -
                                                     inv2 * (691.0 / 2730 - inv2 * 7.0 / 6))))))));
  return shift + series;
}

/// log ₂F₁(a, b; c; z) for a, b, c > 0 and 0 <= z < 1 by its power series, whose terms are then
/// all positive (no cancellation). The sum is kept scaled so that terms of any size (they grow
/// like n^{a+b−c−1} zⁿ before they fall) neither overflow nor underflow. Stops when a term adds
/// less than 1e-17 of the sum after the terms have started to fall; NaN when that takes more than
/// `max_terms` terms or an argument is out of range. Cost: about (a + b − c + 40) / (1 − z) terms.
CIE_HD inline double log_hyp2f1_positive(double a, double b, double c, double z,
                                         long max_terms = 10000000) {
  if (!(a > 0.0 && b > 0.0 && c > 0.0 && z >= 0.0 && z < 1.0)) return NAN;
  double sum = 1.0;
  double term = 1.0;
  double log_scale = 0.0;  // the true sum is sum · e^{log_scale}
  for (long n = 0; n < max_terms; ++n) {
    double const dn = static_cast<double>(n);
    double const ratio = (a + dn) * (b + dn) / ((c + dn) * (dn + 1.0)) * z;
    term *= ratio;
    sum += term;
    if (ratio < 1.0 && term <= 1e-17 * sum) return std::log(sum) + log_scale;
    if (sum > 1e250) {
      sum *= 1e-250;
      term *= 1e-250;
      log_scale += 250.0 * 2.302585092994046;
    }
  }
  return NAN;
}

/// log ₂F₁(a, b; c; z_j) for j < count, each the bits log_hyp2f1_positive(a, b, c, z_j) gives:
/// the same series summed side by side, sharing each term's coefficient ratio (one division per
/// term for all the z_j). A finished series keeps its sum and a term of 0 (0 · ratio adds 0), so
/// the step over the z_j has no branch and vectorizes; the rare steps where a series finishes or
/// is rescaled are finished one series at a time, as log_hyp2f1_positive does (its terms are > 0
/// until it stops: the sum is >= 1, so a term reaches 1e-17 of it long before underflowing).
/// `scratch` holds 3·count doubles.
CIE_HD inline void log_hyp2f1_positive_many(double a, double b, double c, double const* z,
                                            int count, double* scratch, double* out,
                                            long max_terms = 10000000) {
  double* const sum = scratch;
  double* const term = scratch + count;  // 0: that series is done (or was never started)
  double* const log_scale = scratch + 2 * count;
  int open = 0;
  for (int j = 0; j < count; ++j) {
    out[j] = NAN;
    sum[j] = 1.0;
    term[j] = 0.0;
    log_scale[j] = 0.0;
    if (!(a > 0.0 && b > 0.0 && c > 0.0 && z[j] >= 0.0 && z[j] < 1.0)) continue;
    if (z[j] == 0.0) {  // the series' first ratio is 0: it stops there at log 1
      out[j] = std::log(1.0);
      continue;
    }
    term[j] = 1.0;
    ++open;
  }
  for (long n = 0; n < max_terms && open > 0; ++n) {
    double const dn = static_cast<double>(n);
    double const common = (a + dn) * (b + dn) / ((c + dn) * (dn + 1.0));
    std::int64_t settle = 0;  // as wide as a double: AVX2 vectorizes the step (CPU clone)
    for (int j = 0; j < count; ++j) {
      double const ratio = common * z[j];
      double const next = term[j] * ratio;
      double const total = sum[j] + next;
      term[j] = next;
      sum[j] = total;
      std::int64_t const live = next > 0.0, falling = ratio < 1.0, small = next <= 1e-17 * total;
      settle |= live & ((falling & small) | static_cast<std::int64_t>(total > 1e250));
    }
    if (settle == 0) continue;
    for (int j = 0; j < count; ++j) {
      if (!(term[j] > 0.0)) continue;
      if (common * z[j] < 1.0 && term[j] <= 1e-17 * sum[j]) {
        out[j] = std::log(sum[j]) + log_scale[j];
        term[j] = 0.0;
        --open;
      } else if (sum[j] > 1e250) {
        sum[j] *= 1e-250;
        term[j] *= 1e-250;
        log_scale[j] += 250.0 * 2.302585092994046;
      }
    }
  }
}

/// ln(1 ± tail) for log_hyp2f1_small_b (the sign of b); NaN for b < 0 and tail > 3/4.
CIE_HD inline double log_hyp2f1_small_b_finish(double b, double tail) {
  return b < 0.0 ? (tail > 0.75 ? NAN : log1p(-tail)) : log1p(tail);
}

/// log ₂F₁(a, b; c; z) for a >= 0, −1 < b < 1, c >= a, c > 0 and 0 <= z < 1 by its power series,
/// whose terms after the first then all have b's sign and each is at most z times the one before
/// ((a+n)/(c+n) <= 1, (b+n)/(n+1) < 1): 1 ± tail, the tail summed in absolute value, the log as
/// log1p. Stops when a term adds less than 1e-17 of the tail (at most ~39 / −ln z terms); NaN
/// when that takes more than `max_terms` terms, an argument is out of range, or (b < 0) 1 − tail
/// < 1/4, where the subtraction would cancel more than ~0.6 digits (the caller then sums another
/// form). The BG/NBD family's brackets sum these after Euler's transformation
/// (kernels/clv_rules.hpp).
CIE_HD inline double log_hyp2f1_small_b(double a, double b, double c, double z,
                                        long max_terms = 10000000) {
  if (!(a >= 0.0 && b > -1.0 && b < 1.0 && c >= a && c > 0.0 && z >= 0.0 && z < 1.0)) return NAN;
  double term = a * (b < 0.0 ? -b : b) / c * z;
  double tail = term;
  if (term <= 1e-17 * tail) return log_hyp2f1_small_b_finish(b, tail);
  for (long n = 1; n < max_terms; ++n) {
    double const dn = static_cast<double>(n);
    double const common = (a + dn) * (b + dn) / ((c + dn) * (dn + 1.0));
    term = term * (common * z);
    tail = tail + term;
    if (term <= 1e-17 * tail) return log_hyp2f1_small_b_finish(b, tail);
  }
  return NAN;
}

/// log_hyp2f1_small_b(a, b, c, z_j) for j < count, each with its bits: the series side by side,
/// sharing each term's coefficient ratio, as log_hyp2f1_positive_many. A finished (or invalid)
/// series keeps a term of 0 and a NaN tail, so the step has no branch and vectorizes; the rare
/// steps where one finishes are settled one series at a time. `scratch` holds 2·count doubles.
CIE_HD inline void log_hyp2f1_small_b_many(double a, double b, double c, double const* z, int count,
                                           double* scratch, double* out,
                                           long max_terms = 10000000) {
  double* const tail = scratch;
  double* const term = scratch + count;
  bool const valid = a >= 0.0 && b > -1.0 && b < 1.0 && c >= a && c > 0.0;
  int open = 0;
  for (int j = 0; j < count; ++j) {
    out[j] = NAN;
    term[j] = 0.0;
    tail[j] = NAN;
    if (!(valid && z[j] >= 0.0 && z[j] < 1.0)) continue;
    double const first = a * (b < 0.0 ? -b : b) / c * z[j];
    if (first <= 1e-17 * first) {
      out[j] = log_hyp2f1_small_b_finish(b, first);
      continue;
    }
    term[j] = first;
    tail[j] = first;
    ++open;
  }
  for (long n = 1; n < max_terms && open > 0; ++n) {
    double const dn = static_cast<double>(n);
    double const common = (a + dn) * (b + dn) / ((c + dn) * (dn + 1.0));
    std::int64_t settle = 0;  // as wide as a double: AVX2 vectorizes the step (CPU clone)
    for (int j = 0; j < count; ++j) {
      double const next = term[j] * (common * z[j]);
      double const total = tail[j] + next;
      term[j] = next;
      tail[j] = total;
      settle |= static_cast<std::int64_t>(next <= 1e-17 * total);  // false for a NaN tail
    }
    if (settle == 0) continue;
    for (int j = 0; j < count; ++j) {
      if (!(term[j] <= 1e-17 * tail[j])) continue;
      out[j] = log_hyp2f1_small_b_finish(b, tail[j]);
      term[j] = 0.0;
      tail[j] = NAN;
      --open;
    }
  }
}

}  // namespace cie::kernels
