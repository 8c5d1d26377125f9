// CPU twin of kernels/linear.hpp (OpenMP over batches).
//
// A batch of kLinearBatchRows rows is reduced by one thread, in blocks of kBlockRows rows whose
// slice of x (kBlockRows × cols floats) stays in L2 between the margin loop and the gradient
// loop, so a pass reads x from memory once. Margins are accumulated column by column over the
// rows of a block (contiguous, vectorized); column sums use kLanes interleaved accumulators folded
// in a fixed order, which vectorizes without reassociating anything. The loops are compiled for
// AVX2 and for the baseline ISA and picked at load time; the build uses -ffp-contract=off (ISO
// C++ mode), so both clones give the same bits. Batch partials are folded in batch order.
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "host/error.hpp"
#include "kernels/linear.hpp"
#include "kernels/linear_rules.hpp"

namespace cie::kernels::cpu_impl {
namespace {

constexpr int kBlockRows = 1024;
constexpr int kLanes = 8;
static_assert(kLinearBatchRows % kBlockRows == 0 && kBlockRows % kLanes == 0);

/// z[r] = Σ_j coef[j] · x[j][r0 + r] + intercept for r < count, summed in feature order.
__attribute__((target_clones("avx2", "default"))) void block_margins(
    float const* __restrict x, std::int64_t rows, std::int64_t r0, int count,
    double const* __restrict coef, int cols, double intercept, double* __restrict z) {
  std::fill_n(z, count, 0.0);
  for (int j = 0; j < cols; ++j) {
    float const* __restrict column = x + j * rows + r0;
    double const c = coef[j];
    for (int r = 0; r < count; ++r) z[r] += c * static_cast<double>(column[r]);
  }
  for (int r = 0; r < count; ++r) z[r] += intercept;
}

/// Σ_r a[r] · b[r] for r < count with kLanes interleaved partial sums folded in lane order.
__attribute__((target_clones("avx2", "default"))) double lane_dot(double const* __restrict a,
                                                                 float const* __restrict b,
                                                                 int count) {
  double lanes[kLanes] = {};
  int r = 0;
  for (; r + kLanes <= count; r += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) {
      lanes[lane] += a[r + lane] * static_cast<double>(b[r + lane]);
    }
  }
  for (int lane = 0; r < count; ++r, ++lane) lanes[lane] += a[r] * static_cast<double>(b[r]);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
         ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

/// Σ_r a[r], with the same lanes as lane_dot.
double lane_sum(double const* a, int count) {
  double lanes[kLanes] = {};
  int r = 0;
  for (; r + kLanes <= count; r += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) lanes[lane] += a[r + lane];
  }
  for (int lane = 0; r < count; ++r, ++lane) lanes[lane] += a[r];
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
         ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

/// u[r] = t[r] · x[r].
__attribute__((target_clones("avx2", "default"))) void scale_column(
    double const* __restrict t, float const* __restrict x, int count, double* __restrict u) {
  for (int r = 0; r < count; ++r) u[r] = t[r] * static_cast<double>(x[r]);
}

class CpuLogisticWorkspace final : public LogisticWorkspace {
 public:
  CpuLogisticWorkspace(Context const& ctx, float const* x, std::int64_t rows, int cols,
                       std::span<float const> y, std::span<double const> row_weight)
      : threads_(ctx.threads()), x_(x), rows_(rows), cols_(cols), y_(y), weight_(row_weight) {}

  [[nodiscard]] std::int64_t rows() const noexcept override { return rows_; }
  [[nodiscard]] int cols() const noexcept override { return cols_; }

  LogisticPassStats pass(std::span<double const> coef, double intercept,
                         bool with_hessian) override {
    CIE_ASSERT(coef.size() == static_cast<std::size_t>(cols_));
    std::size_t const n = static_cast<std::size_t>(cols_) + 1;
    std::size_t const stride = 1 + n + (with_hessian ? n * n : 0);
    LogisticPassStats stats;
    stats.gradient.assign(n, 0.0);
    if (with_hessian) stats.hessian.assign(n * n, 0.0);

    std::int64_t const batch_count = (rows_ + kLinearBatchRows - 1) / kLinearBatchRows;
    // Batches are reduced in waves so the partials take at most ~64 MiB; the fold order, and so
    // the result, depends on neither the wave size nor the thread count.
    std::int64_t const wave = std::clamp<std::int64_t>(
        static_cast<std::int64_t>((std::size_t{64} << 20) / (stride * sizeof(double))), 1,
        batch_count);
    std::vector<double> partials(static_cast<std::size_t>(wave) * stride);
    for (std::int64_t first = 0; first < batch_count; first += wave) {
      std::int64_t const last = std::min(batch_count, first + wave);
#pragma omp parallel num_threads(threads_)
      {
        Scratch scratch(with_hessian);
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t batch = first; batch < last; ++batch) {
          reduce_batch(batch, coef.data(), intercept, with_hessian,
                       partials.data() + (batch - first) * stride, scratch);
        }
      }
      for (std::int64_t batch = first; batch < last; ++batch) {
        double const* partial = partials.data() + (batch - first) * stride;
        stats.loss += partial[0];
        for (std::size_t e = 0; e < n; ++e) stats.gradient[e] += partial[1 + e];
        if (with_hessian) {
          for (std::size_t e = 0; e < n * n; ++e) stats.hessian[e] += partial[1 + n + e];
        }
      }
    }
    if (with_hessian) {  // the batches fill the lower triangle; mirror it
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t k = j + 1; k < n; ++k) stats.hessian[j * n + k] = stats.hessian[k * n + j];
      }
    }
    return stats;
  }

 private:
  /// Per-thread buffers for one block of rows.
  struct Scratch {
    std::vector<double> margin, residual, curvature, scaled;
    explicit Scratch(bool with_hessian)
        : margin(kBlockRows), residual(kBlockRows),
          curvature(with_hessian ? kBlockRows : 0), scaled(with_hessian ? kBlockRows : 0) {}
  };

  /// partial = [loss, gradient (cols + 1), lower triangle of the Hessian ((cols + 1)²)] of one
  /// batch, rows in order.
  void reduce_batch(std::int64_t batch, double const* coef, double intercept, bool with_hessian,
                    double* partial, Scratch& scratch) const {
    std::size_t const n = static_cast<std::size_t>(cols_) + 1;
    std::fill_n(partial, 1 + n + (with_hessian ? n * n : 0), 0.0);
    double* gradient = partial + 1;
    double* hessian = partial + 1 + n;
    std::int64_t const begin = batch * kLinearBatchRows;
    std::int64_t const end = std::min(rows_, begin + kLinearBatchRows);
    double loss = 0.0;
    for (std::int64_t r0 = begin; r0 < end; r0 += kBlockRows) {
      int const count = static_cast<int>(std::min<std::int64_t>(kBlockRows, end - r0));
      block_margins(x_, rows_, r0, count, coef, cols_, intercept, scratch.margin.data());
      for (int r = 0; r < count; ++r) {
        double const s = weight_[static_cast<std::size_t>(r0 + r)];
        LogisticTerms const terms =
            logistic_terms(scratch.margin[r], y_[static_cast<std::size_t>(r0 + r)]);
        loss += s * terms.loss;
        scratch.residual[r] = s * terms.residual;
        if (with_hessian) scratch.curvature[r] = s * terms.curvature;
      }
      for (int j = 0; j < cols_; ++j) {
        gradient[j] += lane_dot(scratch.residual.data(), column(j, r0), count);
      }
      gradient[cols_] += lane_sum(scratch.residual.data(), count);
      if (with_hessian) add_block_hessian(r0, count, scratch, hessian);
    }
    partial[0] = loss;
  }

  /// hessian[j][k] += Σ_r t_r a_rj a_rk for k <= j, with a_r = (x_r, 1).
  void add_block_hessian(std::int64_t r0, int count, Scratch& scratch, double* hessian) const {
    std::size_t const n = static_cast<std::size_t>(cols_) + 1;
    double const* t = scratch.curvature.data();
    for (int j = 0; j < cols_; ++j) {
      scale_column(t, column(j, r0), count, scratch.scaled.data());
      for (int k = 0; k <= j; ++k) {
        hessian[j * n + k] += lane_dot(scratch.scaled.data(), column(k, r0), count);
      }
      hessian[cols_ * n + j] += lane_sum(scratch.scaled.data(), count);
    }
    hessian[cols_ * n + cols_] += lane_sum(t, count);
  }

  [[nodiscard]] float const* column(int j, std::int64_t r0) const {
    return x_ + static_cast<std::int64_t>(j) * rows_ + r0;
  }

  int threads_;
  float const* x_;
  std::int64_t rows_;
  int cols_;
  std::span<float const> y_;
  std::span<double const> weight_;
};

}  // namespace

std::unique_ptr<LogisticWorkspace> make_logistic_workspace(Context const& ctx, float const* x,
                                                           std::int64_t rows, int cols,
                                                           std::span<float const> y,
                                                           std::span<double const> row_weight) {
  CIE_ASSERT(rows > 0 && cols > 0);
  CIE_ASSERT(y.size() == static_cast<std::size_t>(rows));
  CIE_ASSERT(row_weight.size() == static_cast<std::size_t>(rows));
  return std::make_unique<CpuLogisticWorkspace>(ctx, x, rows, cols, y, row_weight);
}

void logistic_probabilities(Context const& ctx, float const* x, std::int64_t rows, int cols,
                            std::span<double const> coef, double intercept,
                            std::span<double> probability) {
  CIE_ASSERT(coef.size() == static_cast<std::size_t>(cols));
  CIE_ASSERT(probability.size() == static_cast<std::size_t>(rows));
  std::int64_t const blocks = (rows + kBlockRows - 1) / kBlockRows;
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::int64_t const r0 = b * kBlockRows;
    int const count = static_cast<int>(std::min<std::int64_t>(kBlockRows, rows - r0));
    double* out = probability.data() + r0;
    block_margins(x, rows, r0, count, coef.data(), cols, intercept, out);
    for (int r = 0; r < count; ++r) out[r] = stable_sigmoid(out[r]);
  }
}

}  // namespace cie::kernels::cpu_impl
