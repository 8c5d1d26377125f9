// Per-element logistic-regression arithmetic shared by the CPU and CUDA twins (see kernels/hd.hpp).
//
// Everything is in double and stable for any finite margin z: the sigmoid never evaluates exp of
// a positive number, and the loss is written as max(z, 0) − y·z + log1p(exp(−|z|)), so neither
// overflows for large |z| (the loss of a confidently wrong row grows like |z|, never Inf).
//
// exp and log1p are our own (exp_nonpositive, log1p_unit): plain additions, multiplications, one
// division and a bit shift, no branches and no tables, so a C++ compiler vectorizes a loop of
// them (the CPU twin runs them 4 rows per AVX2 instruction; glibc's scalar exp and log were most
// of a pass). Their accuracy is asserted against std::exp / std::log1p in
// tests/kernels/test_linear_kernels.cpp: within 2 ulps over their whole domain. Results do not
// depend on the instruction set as long as multiply-adds are not fused (the CPU twin's clones
// are built without FMA); nvcc fuses them, so the CUDA twin differs in the last bits.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/hd.hpp"

namespace cie::kernels {

/// Rows per statistics batch of a linear-model pass on the CPU. Each batch is reduced in a fixed
/// order and the batches are folded in batch order; the size is fixed (never derived from the
/// thread count) so the result does not depend on scheduling.
inline constexpr std::int64_t kLinearBatchRows = 1 << 14;

/// 2^k for an integral k in [−1022, 1023] given as a double: k + 1023 lands in the low mantissa
/// bits of k + (1.5·2^52 + 1023), and a shift by 52 moves them into the exponent field.
CIE_HD inline double pow2_integral(double k) {
  double const shifted = k + (0x1.8p52 + 1023.0);
  std::uint64_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  bits <<= 52;
  double out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

/// exp(x) for x <= 0 (and −Inf), within 2 ulps of the correctly rounded value; subnormal
/// results are rounded once, and x < −745.5 gives 0 (as exp's true value rounds to 0 there).
/// x = k·ln2 + r with k = round(x / ln2) and |r| <= ln2/2 (Cody–Waite: k·ln2_hi is exact),
/// exp(r) by its Taylor polynomial of degree 13 (truncation < 1e-17 relative), then the two
/// exact scalings 2^k₁·2^k₂ with k₁ + k₂ = k, each a normal number, down to k = −1076.
CIE_HD inline double exp_nonpositive(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000: k·kLn2Hi exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShift = 0x1.8p52;  // adding it rounds to an integer
  double const xc = x < -745.5 ? -745.5 : x;
  double const k = (xc * kLog2e + kShift) - kShift;
  double const r = (xc - k * kLn2Hi) - k * kLn2Lo;
  // p(r) = Σ_{n=2..13} rⁿ⁻² / n! by Estrin's scheme (independent products: about a third faster
  // than Horner's chain when a loop of them is vectorized).
  double const r2 = r * r;
  double const r4 = r2 * r2;
  double const r8 = r4 * r4;
  double const p01 = 1.0 / 2.0 + r * (1.0 / 6.0);
  double const p23 = 1.0 / 24.0 + r * (1.0 / 120.0);
  double const p45 = 1.0 / 720.0 + r * (1.0 / 5040.0);
  double const p67 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
  double const p89 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
  double const p1011 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
  double const p = ((p01 + r2 * p23) + r4 * (p45 + r2 * p67)) + r8 * (p89 + r2 * p1011);
  double const exp_r = 1.0 + (r + r2 * p);
  double const k1 = (k * 0.5 + kShift) - kShift;
  return (exp_r * pow2_integral(k1)) * pow2_integral(k - k1);
}

/// σ(z) given e = exp(−|z|): exp is never taken of a positive number, so nothing overflows.
CIE_HD inline double sigmoid_from(double z, double e) { return (z >= 0.0 ? 1.0 : e) / (1.0 + e); }

/// σ(z) = 1 / (1 + exp(−z)), in [0, 1] for every finite z.
CIE_HD inline double stable_sigmoid(double z) {
  return sigmoid_from(z, exp_nonpositive(-::fabs(z)));
}

/// log1p(e) for e in [0, 1], within 2 ulps, as 2·atanh(s) with s = e / (2 + e) in [0, 1/3]
/// (exact but for the rounding of 2 + e and of the division): 2s + 2s³/3 + ... + 2s³⁵/35, the
/// first omitted term below 2e-18 of the sum. Exact at 0 and for tiny normal e.
CIE_HD inline double log1p_unit(double e) {
  double const s = e / (2.0 + e);
  double const w = s * s;
  // q(w) = Σ_{k=1..17} 2 wᵏ⁻¹ / (2k + 1) by Estrin's scheme.
  double const w2 = w * w;
  double const w4 = w2 * w2;
  double const w8 = w4 * w4;
  double const w16 = w8 * w8;
  double const q01 = 2.0 / 3.0 + w * (2.0 / 5.0);
  double const q23 = 2.0 / 7.0 + w * (2.0 / 9.0);
  double const q45 = 2.0 / 11.0 + w * (2.0 / 13.0);
  double const q67 = 2.0 / 15.0 + w * (2.0 / 17.0);
  double const q89 = 2.0 / 19.0 + w * (2.0 / 21.0);
  double const q1011 = 2.0 / 23.0 + w * (2.0 / 25.0);
  double const q1213 = 2.0 / 27.0 + w * (2.0 / 29.0);
  double const q1415 = 2.0 / 31.0 + w * (2.0 / 33.0);
  double const q = (((q01 + w2 * q23) + w4 * (q45 + w2 * q67)) +
                    w8 * ((q89 + w2 * q1011) + w4 * (q1213 + w2 * q1415))) +
                   w16 * (2.0 / 35.0);
  return 2.0 * s + s * (w * q);
}

/// ℓ(z, y) given e = exp(−|z|), as max(z, 0) − y·z + log1p(e).
CIE_HD inline double loss_from(double z, double y, double e) {
  return (z > 0.0 ? z : 0.0) - y * z + log1p_unit(e);
}

/// ℓ(z, y) = log(1 + exp(z)) − y·z: the negative log-likelihood of label y ∈ {0, 1} at margin z.
/// Finite and >= 0 for every finite z.
CIE_HD inline double logistic_loss(double z, double y) {
  return loss_from(z, y, exp_nonpositive(-::fabs(z)));
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
  double const e = exp_nonpositive(-::fabs(z));
  double const one_plus_e = 1.0 + e;
  return {loss_from(z, y, e), sigmoid_from(z, e) - y, e / (one_plus_e * one_plus_e)};
}

}  // namespace cie::kernels
