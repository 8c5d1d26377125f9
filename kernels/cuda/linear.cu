// CUDA twin of kernels/linear.hpp.
//
// Margins: a custom kernel, one thread per row, reading float x (coalesced: consecutive threads
// take consecutive rows of a column) and accumulating z in double in feature order, then the
// shared per-row rule. cuBLAS is not used for X·β and Xᵀr: SGEMV would round z and the gradient
// to float (~1e-7 relative), too coarse for a gradient tolerance of 1e-8, and DGEMV would need a
// double copy of x (twice the memory and the traffic).
//
// Loss and gradient: one block per tile of kTileRows rows; warp w owns entries w, w + 8, ... of
// [loss, gradient (cols + 1)], each lane sums a fixed subset of the tile's rows and the warp
// folds its lanes with a fixed shuffle tree. The per-tile partials are then folded per entry by
// one block in a fixed order. No atomics: the result does not depend on scheduling.
//
// Hessian: for tiles of rows, a = sqrt(s_i σ(1 − σ)) · (x_i, 1) in double, and cuBLAS DSYRK
// accumulates aᵀa into the lower triangle (tiles in order, beta = 1; cuBLAS's DSYRK is
// deterministic). The same bits on every run; agreement with the CPU twin to rounding.
#include <cublas_v2.h>
#include <thrust/device_vector.h>

#include <algorithm>
#include <cmath>

#include "kernels/cuda/cublas_check.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/thrust_support.cuh"
#include "kernels/linear.hpp"
#include "kernels/linear_rules.hpp"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::copy_to_device;
using cuda_detail::copy_to_host;
using cuda_detail::cublas_check;
using cuda_detail::grid_for;
using cuda_detail::raw;
using cuda_detail::run_on_device;

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr std::int64_t kTileRows = 2048;

__device__ double margin_of(float const* x, std::int64_t rows, int cols, double const* coef,
                            double intercept, std::int64_t row) {
  double z = 0.0;
  for (int j = 0; j < cols; ++j) z += coef[j] * static_cast<double>(x[j * rows + row]);
  return z + intercept;
}

/// Per row: loss[i] = s ℓ, residual[i] = s (σ − y) and, when curvature is not null,
/// curvature[i] = s σ(1 − σ).
__global__ void row_terms_kernel(float const* x, std::int64_t rows, int cols, double const* coef,
                                 double intercept, float const* y, double const* weight,
                                 double* loss, double* residual, double* curvature) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    double const s = weight[i];
    LogisticTerms const terms = logistic_terms(margin_of(x, rows, cols, coef, intercept, i), y[i]);
    loss[i] = s * terms.loss;
    residual[i] = s * terms.residual;
    if (curvature != nullptr) curvature[i] = s * terms.curvature;
  }
}

/// Lane 0 receives the sum of v over the warp; the shuffle tree is fixed, so is the result.
__device__ double warp_sum(double v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

/// partials[tile * (cols + 2) + e] for e = 0 (loss), 1 .. cols (Σ r x_j), cols + 1 (Σ r).
__global__ void tile_gradient_kernel(float const* x, std::int64_t rows, int cols,
                                     double const* loss, double const* residual, double* partials) {
  int const stride = cols + 2;
  int const warp = threadIdx.x / 32;
  int const lane = threadIdx.x % 32;
  std::int64_t const first = blockIdx.x * kTileRows;
  std::int64_t const last = first + kTileRows < rows ? first + kTileRows : rows;
  for (int e = warp; e < stride; e += kWarps) {
    double sum = 0.0;
    for (std::int64_t i = first + lane; i < last; i += 32) {
      if (e == 0) {
        sum += loss[i];
      } else if (e <= cols) {
        sum += residual[i] * static_cast<double>(x[(e - 1) * rows + i]);
      } else {
        sum += residual[i];
      }
    }
    double const total = warp_sum(sum);
    if (lane == 0) partials[blockIdx.x * static_cast<std::int64_t>(stride) + e] = total;
  }
}

/// out[e] = Σ over tiles of partials[tile * stride + e]; one block per entry, fixed order.
__global__ void fold_partials_kernel(double const* partials, std::int64_t tiles, int stride,
                                     double* out) {
  __shared__ double lane_sums[kThreads];
  double sum = 0.0;
  for (std::int64_t t = threadIdx.x; t < tiles; t += kThreads)
    sum += partials[t * stride + blockIdx.x];
  lane_sums[threadIdx.x] = sum;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half)
      lane_sums[threadIdx.x] += lane_sums[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = lane_sums[0];
}

/// a[j * tile + r] = sqrt(curvature[r0 + r]) · (x_j or 1 for j = cols), column-major tile × n.
__global__ void scaled_tile_kernel(float const* x, std::int64_t rows, int cols,
                                   double const* curvature, std::int64_t r0, std::int64_t tile,
                                   double* a) {
  std::int64_t const n = cols + 1;
  for (std::int64_t p = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       p < tile * n; p += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int64_t const r = p % tile;
    std::int64_t const j = p / tile;
    double const root = sqrt(curvature[r0 + r]);
    a[p] = j < cols ? root * static_cast<double>(x[j * rows + r0 + r]) : root;
  }
}

__global__ void probability_kernel(float const* x, std::int64_t rows, int cols, double const* coef,
                                   double intercept, double* probability) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    probability[i] = stable_sigmoid(margin_of(x, rows, cols, coef, intercept, i));
  }
}

class CudaLogisticWorkspace final : public LogisticWorkspace {
 public:
  CudaLogisticWorkspace(Context const& ctx, float const* x, std::int64_t rows, int cols,
                        std::span<float const> y, std::span<double const> row_weight)
      : stream_(cuda_detail::stream_of(ctx)), rows_(rows), cols_(cols) {
    CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
    x_.resize(static_cast<std::size_t>(rows) * cols);
    copy_to_device(stream_, x, x_.size(), raw(x_));
    y_.resize(y.size());
    copy_to_device(stream_, y.data(), y.size(), raw(y_));
    weight_.resize(row_weight.size());
    copy_to_device(stream_, row_weight.data(), row_weight.size(), raw(weight_));
    loss_.resize(static_cast<std::size_t>(rows));
    residual_.resize(static_cast<std::size_t>(rows));
    coef_.resize(static_cast<std::size_t>(cols));
  }

  ~CudaLogisticWorkspace() override {
    if (cublas_ != nullptr) (void)cublasDestroy(cublas_);  // nothing to do about a failure here
  }

  [[nodiscard]] std::int64_t rows() const noexcept override { return rows_; }
  [[nodiscard]] int cols() const noexcept override { return cols_; }

  LogisticPassStats pass(std::span<double const> coef, double intercept,
                         bool with_hessian) override {
    return run_on_device("logistic regression pass", [&] {
      copy_to_device(stream_, coef.data(), coef.size(), raw(coef_));
      if (with_hessian) curvature_.resize(static_cast<std::size_t>(rows_));
      CIE_LAUNCH(row_terms_kernel, grid_for(rows_, kThreads), kThreads, 0, stream_)
      (raw(x_), rows_, cols_, raw(coef_), intercept, raw(y_), raw(weight_), raw(loss_),
       raw(residual_), with_hessian ? raw(curvature_) : nullptr);
      CIE_CUDA_CHECK_LAUNCH();

      int const stride = cols_ + 2;
      std::int64_t const tiles = (rows_ + kTileRows - 1) / kTileRows;
      partials_.resize(static_cast<std::size_t>(tiles) * stride);
      folded_.resize(static_cast<std::size_t>(stride));
      CIE_LAUNCH(tile_gradient_kernel, static_cast<unsigned>(tiles), kThreads, 0, stream_)
      (raw(x_), rows_, cols_, raw(loss_), raw(residual_), raw(partials_));
      CIE_CUDA_CHECK_LAUNCH();
      CIE_LAUNCH(fold_partials_kernel, static_cast<unsigned>(stride), kThreads, 0, stream_)
      (raw(partials_), tiles, stride, raw(folded_));
      CIE_CUDA_CHECK_LAUNCH();
      std::vector<double> entries(static_cast<std::size_t>(stride));
      copy_to_host(stream_, raw(folded_), entries.size(), entries.data());

      LogisticPassStats stats;
      stats.loss = entries[0];
      stats.gradient.assign(entries.begin() + 1, entries.end());
      if (with_hessian) stats.hessian = hessian();
      return stats;
    });
  }

 private:
  /// Σ curvature_i a_i a_iᵀ from curvature_, row-major (cols + 1)², both triangles filled.
  std::vector<double> hessian() {
    if (cublas_ == nullptr) {
      cublas_check(cublasCreate(&cublas_), "cublasCreate");
      cublas_check(cublasSetStream(cublas_, stream_), "cublasSetStream");
    }
    int const n = cols_ + 1;
    // Tiles keep the scaled copy within 128 MiB.
    std::int64_t const tile_rows =
        std::min<std::int64_t>(rows_, std::max<std::int64_t>(1024, (std::int64_t{1} << 24) / n));
    scaled_.resize(static_cast<std::size_t>(tile_rows) * n);
    hessian_.resize(static_cast<std::size_t>(n) * n);
    double const one = 1.0;
    double const zero = 0.0;
    for (std::int64_t r0 = 0; r0 < rows_; r0 += tile_rows) {
      std::int64_t const tile = std::min(tile_rows, rows_ - r0);
      CIE_LAUNCH(scaled_tile_kernel, grid_for(tile * n, kThreads), kThreads, 0, stream_)
      (raw(x_), rows_, cols_, raw(curvature_), r0, tile, raw(scaled_));
      CIE_CUDA_CHECK_LAUNCH();
      cublas_check(cublasDsyrk(cublas_, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, n,
                               static_cast<int>(tile), &one, raw(scaled_), static_cast<int>(tile),
                               r0 == 0 ? &zero : &one, raw(hessian_), n),
                   "cublasDsyrk");
    }
    std::vector<double> lower(static_cast<std::size_t>(n) * n);
    copy_to_host(stream_, raw(hessian_), lower.size(), lower.data());
    // Column-major lower triangle: entry (j, k), j >= k, at k * n + j.
    std::vector<double> full(lower.size());
    for (int j = 0; j < n; ++j) {
      for (int k = 0; k <= j; ++k) {
        full[j * n + k] = full[k * n + j] = lower[static_cast<std::size_t>(k) * n + j];
      }
    }
    return full;
  }

  cudaStream_t stream_;
  std::int64_t rows_;
  int cols_;
  cublasHandle_t cublas_ = nullptr;
  thrust::device_vector<float> x_;  // column-major, as on the host
  thrust::device_vector<float> y_;
  thrust::device_vector<double> weight_;
  thrust::device_vector<double> coef_;
  thrust::device_vector<double> loss_;
  thrust::device_vector<double> residual_;
  thrust::device_vector<double> curvature_;
  thrust::device_vector<double> partials_;
  thrust::device_vector<double> folded_;
  thrust::device_vector<double> scaled_;
  thrust::device_vector<double> hessian_;
};

}  // namespace

std::unique_ptr<LogisticWorkspace> make_logistic_workspace(Context const& ctx, float const* x,
                                                           std::int64_t rows, int cols,
                                                           std::span<float const> y,
                                                           std::span<double const> row_weight) {
  return run_on_device("logistic regression workspace", [&] {
    return std::unique_ptr<LogisticWorkspace>(
        std::make_unique<CudaLogisticWorkspace>(ctx, x, rows, cols, y, row_weight));
  });
}

void logistic_probabilities(Context const& ctx, float const* x, std::int64_t rows, int cols,
                            std::span<double const> coef, double intercept,
                            std::span<double> probability) {
  run_on_device("logistic regression scoring", [&] {
    cudaStream_t const stream = cuda_detail::stream_of(ctx);
    CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
    thrust::device_vector<float> x_device(static_cast<std::size_t>(rows) * cols);
    thrust::device_vector<double> coef_device(coef.size());
    thrust::device_vector<double> out(static_cast<std::size_t>(rows));
    CIE_CUDA_TRY(cudaMemcpyAsync(raw(x_device), x, x_device.size() * sizeof(float),
                                 cudaMemcpyHostToDevice, stream));
    CIE_CUDA_TRY(cudaMemcpyAsync(raw(coef_device), coef.data(), coef.size() * sizeof(double),
                                 cudaMemcpyHostToDevice, stream));
    CIE_LAUNCH(probability_kernel, grid_for(rows, kThreads), kThreads, 0, stream)
    (raw(x_device), rows, cols, raw(coef_device), intercept, raw(out));
    CIE_CUDA_CHECK_LAUNCH();
    CIE_CUDA_TRY(cudaMemcpyAsync(probability.data(), raw(out), probability.size() * sizeof(double),
                                 cudaMemcpyDeviceToHost, stream));
    CIE_CUDA_TRY(cudaStreamSynchronize(stream));
  });
}

}  // namespace cie::kernels::cuda_impl
