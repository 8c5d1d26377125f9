// Per-element logistic-regression arithmetic shared by the CPU and CUDA twins (see kernels/hd.hpp).
//
// Everything is in double and stable for any finite margin z: the sigmoid never evaluates exp of
// a positive number, and the loss is written as max(z, 0) − y·z + log1p(exp(−|z|)), so neither
// overflows for large |z| (the loss of a confidently wrong row grows like |z|, never Inf).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/hd.hpp"

namespace cie::kernels {

/// Rows per statistics batch of a linear-model pass on the CPU. Each batch is reduced in row
/// order and the batches are folded in batch order; the size is fixed (never derived from the
/// thread count) so the result does not depend on scheduling.
inline constexpr std::int64_t kLinearBatchRows = 1 << 14;

/// σ(z) given e = exp(−|z|): exp is never taken of a positive number, so nothing overflows.
CIE_HD inline double sigmoid_from(double z, double e) {
  return z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/// σ(z) = 1 / (1 + exp(−z)), in [0, 1] for every finite z.
CIE_HD inline double stable_sigmoid(double z) { return sigmoid_from(z, ::exp(-::fabs(z))); }

/// log1p(e) for e in [0, 1], to a few ulps, by Goldberg's formula log(u)·e/(u − 1) with
/// u = 1 + e: the division cancels the rounding of u. It costs a log and a division, about half
/// the time of glibc's log1p, which dominated the CPU pass.
CIE_HD inline double log1p_unit(double e) {
  double const u = 1.0 + e;
  return u == 1.0 ? e : ::log(u) * (e / (u - 1.0));
}

/// ℓ(z, y) given e = exp(−|z|), as max(z, 0) − y·z + log1p(e).
CIE_HD inline double loss_from(double z, double y, double e) {
  return (z > 0.0 ? z : 0.0) - y * z + log1p_unit(e);
}

/// ℓ(z, y) = log(1 + exp(z)) − y·z: the negative log-likelihood of label y ∈ {0, 1} at margin z.
/// Finite and >= 0 for every finite z.
CIE_HD inline double logistic_loss(double z, double y) {
  return loss_from(z, y, ::exp(-::fabs(z)));
}

/// What one row contributes to a pass, from a single exp: its loss ℓ(z, y), its residual
/// dℓ/dz = σ(z) − y and its curvature d²ℓ/dz² = σ(z)(1 − σ(z)), the latter computed as
/// e / (1 + e)² so that it stays accurate (not 0) where σ(z) rounds to 1.
struct LogisticTerms {
  double loss;
  double residual;
  double curvature;
};
CIE_HD inline LogisticTerms logistic_terms(double z, double y) {
  double const e = ::exp(-::fabs(z));
  double const one_plus_e = 1.0 + e;
  return {loss_from(z, y, e), sigmoid_from(z, e) - y,
          e / (one_plus_e * one_plus_e)};
}

}  // namespace cie::kernels
