// The per-block loops of the CPU linear-model pass (see kernels/cpu/linear_block.hpp):
//   margins   z[r] accumulated over the columns in feature order, four columns per sweep over
//             the block's rows, eight rows held in registers across the four;
//   terms     loss, residual (and curvature) of each row from the branch-free exp and log1p of
//             kernels/linear_rules.hpp, so that loop vectorizes too;
//   sums      loss, gradient and Hessian entries as kLanes-lane column sums, four columns per
//             sweep over the rows; the gradient sweep prefetches the next block's slice of x,
//             so its memory reads overlap this block's arithmetic.
// Nothing is reassociated, so vectorizing changes no bits. The loops are compiled twice, for
// AVX2 and for the x86-64 baseline, and picked at run time. Neither may fuse a multiply and an
// add (the AVX2 target does not include FMA), so both give the same bits, which
// tests/kernels/test_linear_kernels.cpp asserts.
//
// Every function of this file is compiled with -fno-trapping-math (the pragma below, before any
// include): with GCC's default -ftrapping-math, the row-terms loop is not vectorized, because GCC
// sinks exp_nonpositive's arithmetic under its x < −745.5 test and then may not speculate it.
// The flag only allows assuming that floating-point exceptions do not trap; no result changes.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "kernels/cpu/linear_block.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "kernels/linear.hpp"
#include "kernels/linear_rules.hpp"

namespace cie::kernels::cpu_impl {
namespace {

constexpr int kLanes = 8;
constexpr int kGroup = 4;  // columns per sweep
static_assert(kLinearBatchRows % kBlockRows == 0 && kBlockRows % kLanes == 0);

#define CIE_INLINE [[gnu::always_inline]] inline
using Block = LinearBlock;

// The 32-byte vectors below never cross a call (every function taking or returning one is
// always inlined), so the baseline clone's ABI note about them does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// Fixed-width vectors (GCC vector extensions): elementwise IEEE operations, so the lanes are
// explicit and their arithmetic is the same for every instruction set (the baseline clone runs
// each 4-wide operation as two SSE2 operations).
using D4 = double __attribute__((vector_size(32)));
CIE_INLINE D4 load4(double const* p) {
  D4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
/// Four floats widened to double (written element by element: GCC 12 splits
/// __builtin_convertvector into two halves, but turns this into one vcvtps2pd).
CIE_INLINE D4 load4(float const* p) {
  return D4{static_cast<double>(p[0]), static_cast<double>(p[1]), static_cast<double>(p[2]),
            static_cast<double>(p[3])};
}
CIE_INLINE void store4(double* p, D4 v) { std::memcpy(p, &v, sizeof v); }

/// z[r] = Σ_j coef[j] · x[j][r0 + r] + intercept for r < count, summed in feature order; four
/// columns per sweep, eight rows at a time held in registers across the four.
CIE_INLINE void margins(Block const& b, double* __restrict z) {
  std::fill_n(z, b.count, 0.0);
  int const vector_rows = b.count - b.count % 8;
  int j = 0;
  for (; j + kGroup <= b.cols; j += kGroup) {
    float const* x[kGroup];
    double c[kGroup];
    for (int g = 0; g < kGroup; ++g) {
      x[g] = b.column(j + g);
      c[g] = b.coef[j + g];
    }
    for (int r = 0; r < vector_rows; r += 8) {
      D4 lo = load4(z + r);
      D4 hi = load4(z + r + 4);
      for (int g = 0; g < kGroup; ++g) {
        lo = lo + c[g] * load4(x[g] + r);
        hi = hi + c[g] * load4(x[g] + r + 4);
      }
      store4(z + r, lo);
      store4(z + r + 4, hi);
    }
    for (int r = vector_rows; r < b.count; ++r) {
      for (int g = 0; g < kGroup; ++g) z[r] += c[g] * static_cast<double>(x[g][r]);
    }
  }
  for (; j < b.cols; ++j) {
    float const* __restrict xj = b.column(j);
    double const c = b.coef[j];
    for (int r = 0; r < b.count; ++r) z[r] += c * static_cast<double>(xj[r]);
  }
  for (int r = 0; r < b.count; ++r) z[r] += b.intercept;
}

/// ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)) for lanes lo = l0..l3, hi = l4..l7.
CIE_INLINE double fold(D4 lo, D4 hi) {
  return ((lo[0] + lo[1]) + (lo[2] + lo[3])) + ((hi[0] + hi[1]) + (hi[2] + hi[3]));
}

/// out[g] += Σ_r a[r] · x_g[r] for the G columns x_g, each with kLanes = 8 interleaved partial
/// sums (row r goes to lane r mod 8) folded in lane order: column g's bits depend neither on G
/// nor on its neighbours. With `ahead` > 0, also prefetches the columns `ahead` rows further on
/// (the same columns of the next block), so that block's memory reads overlap this arithmetic.
template <int G>
CIE_INLINE void add_dots(double const* __restrict a, float const* const* x, int count, int ahead,
                         double* out) {
  static_assert(kLanes == 8);
  D4 lo[G], hi[G];
  for (int g = 0; g < G; ++g) lo[g] = hi[g] = D4{};
  int const vector_rows = count - count % 8;
  for (int r = 0; r < vector_rows; r += 8) {
    D4 const a_lo = load4(a + r);
    D4 const a_hi = load4(a + r + 4);
    if (ahead > 0 && r % 16 == 0) {  // one 64-byte line of each column per 16 rows
      for (int g = 0; g < G; ++g) __builtin_prefetch(x[g] + r + ahead);
    }
    for (int g = 0; g < G; ++g) {
      lo[g] = lo[g] + a_lo * load4(x[g] + r);
      hi[g] = hi[g] + a_hi * load4(x[g] + r + 4);
    }
  }
  for (int r = vector_rows; r < count; ++r) {
    int const lane = r - vector_rows;
    for (int g = 0; g < G; ++g) {
      double const term = a[r] * static_cast<double>(x[g][r]);
      if (lane < 4) {
        lo[g][lane] += term;
      } else {
        hi[g][lane - 4] += term;
      }
    }
  }
  for (int g = 0; g < G; ++g) out[g] += fold(lo[g], hi[g]);
}

/// out[k] += Σ_r a[r] · x_k[r] for k < count_cols (columns first_col ...), four at a time;
/// `ahead` as for add_dots.
CIE_INLINE void add_column_dots(Block const& b, double const* a, int first_col, int count_cols,
                                int ahead, double* out) {
  float const* x[kGroup];
  int k = 0;
  for (; k + kGroup <= count_cols; k += kGroup) {
    for (int g = 0; g < kGroup; ++g) x[g] = b.column(first_col + k + g);
    add_dots<kGroup>(a, x, b.count, ahead, out + k);
  }
  for (; k < count_cols; ++k) {
    x[0] = b.column(first_col + k);
    add_dots<1>(a, x, b.count, ahead, out + k);
  }
}

/// Σ_r a[r], with the same lanes as add_dots.
CIE_INLINE double lane_sum(double const* __restrict a, int count) {
  D4 lo{}, hi{};
  int const vector_rows = count - count % 8;
  for (int r = 0; r < vector_rows; r += 8) {
    lo = lo + load4(a + r);
    hi = hi + load4(a + r + 4);
  }
  for (int r = vector_rows; r < count; ++r) {
    int const lane = r - vector_rows;
    if (lane < 4) {
      lo[lane] += a[r];
    } else {
      hi[lane - 4] += a[r];
    }
  }
  return fold(lo, hi);
}

/// The weighted loss, residual and (with the Hessian) curvature of each row of the block.
template <bool kCurvature>
CIE_INLINE void row_terms(Block const& b, float const* __restrict y,
                          double const* __restrict weight) {
  double const* __restrict z = b.margin;
  double* __restrict loss = b.loss;
  double* __restrict residual = b.residual;
  double* __restrict curvature = b.curvature;
  for (int r = 0; r < b.count; ++r) {
    double const s = weight[r];
    double const label = static_cast<double>(y[r]);
    double const e = exp_nonpositive(-std::fabs(z[r]));
    loss[r] = s * loss_from(z[r], label, e);
    residual[r] = s * (sigmoid_from(z[r], e) - label);
    if constexpr (kCurvature) {
      double const one_plus_e = 1.0 + e;
      curvature[r] = s * (e / (one_plus_e * one_plus_e));
    }
  }
}

/// Adds the block to a batch partial [loss, gradient (cols + 1), lower triangle of the Hessian
/// ((cols + 1)², row-major) when b.curvature is set].
CIE_INLINE void reduce_block_body(Block const& b, float const* y, double const* weight,
                                  double* partial) {
  std::size_t const n = static_cast<std::size_t>(b.cols) + 1;
  margins(b, b.margin);
  if (b.curvature != nullptr) {
    row_terms<true>(b, y, weight);
  } else {
    row_terms<false>(b, y, weight);
  }
  partial[0] += lane_sum(b.loss, b.count);
  double* gradient = partial + 1;
  add_column_dots(b, b.residual, 0, b.cols, b.ahead, gradient);
  gradient[b.cols] += lane_sum(b.residual, b.count);
  if (b.curvature == nullptr) return;
  double* hessian = partial + 1 + n;  // hessian[j][k] += Σ_r t_r a_rj a_rk, a_r = (x_r, 1)
  double const* __restrict t = b.curvature;
  for (int j = 0; j < b.cols; ++j) {
    float const* __restrict xj = b.column(j);
    double* __restrict scaled = b.scaled;
    for (int r = 0; r < b.count; ++r) scaled[r] = t[r] * static_cast<double>(xj[r]);
    add_column_dots(b, scaled, 0, j + 1, 0, hessian + j * n);
    hessian[b.cols * n + j] += lane_sum(scaled, b.count);
  }
  hessian[b.cols * n + b.cols] += lane_sum(t, b.count);
}

/// out[r] = σ(z_r) for the rows of the block (out doubles as the margin buffer).
CIE_INLINE void probabilities_body(Block const& b, double* __restrict out) {
  margins(b, out);
  for (int r = 0; r < b.count; ++r) out[r] = stable_sigmoid(out[r]);
}

void reduce_block_baseline(Block const& b, float const* y, double const* weight, double* partial) {
  reduce_block_body(b, y, weight, partial);
}
void probabilities_baseline(Block const& b, double* out) { probabilities_body(b, out); }

#if defined(__x86_64__)
[[gnu::target("avx2")]] void reduce_block_avx2(Block const& b, float const* y, double const* weight,
                                               double* partial) {
  reduce_block_body(b, y, weight, partial);
}
[[gnu::target("avx2")]] void probabilities_avx2(Block const& b, double* out) {
  probabilities_body(b, out);
}
#endif

std::atomic<bool> g_force_baseline{false};

bool use_avx2() {
#if defined(__x86_64__)
  static bool const has_avx2 = __builtin_cpu_supports("avx2");
  return has_avx2 && !g_force_baseline.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

}  // namespace

ReduceBlock reduce_block_for_isa() {
#if defined(__x86_64__)
  if (use_avx2()) return reduce_block_avx2;
#endif
  return reduce_block_baseline;
}

BlockProbabilities block_probabilities_for_isa() {
#if defined(__x86_64__)
  if (use_avx2()) return probabilities_avx2;
#endif
  return probabilities_baseline;
}

void force_baseline_isa(bool on) { g_force_baseline.store(on, std::memory_order_relaxed); }

}  // namespace cie::kernels::cpu_impl
