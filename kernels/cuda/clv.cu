// CUDA twin of kernels/clv.hpp's log-likelihood pass.
//
// The rows are copied to the device; the count terms of BG/NBD, the modified BG/NBD and
// Gamma-Gamma are tabulated on the host (clv_count_table, as the CPU twin does) and copied too.
// Where the rows carry the tables of t_x and T (ClvRows), the BG/NBD family's ln(α + t_x) and
// ln(α + T) are computed once per distinct value on the device (log_alpha_kernel, the rule's own
// expression: the same bits as per row) and each row reads its entry. Gamma-Gamma's ln m is
// computed per row on the device (ClvRows::log_value, the host's logarithm, is not used, so the
// twin's bits do not change).
// Block b takes rows [b·kClvBatchRows, (b+1)·kClvBatchRows) (the CPU twin's batches); thread t
// sums rows t, t + kThreads, ... of it in order with the shared row rule
// (clv_row_log_likelihood), and block_sum (a fixed shuffle tree per warp, warps in order) folds
// each entry of [Σ w ℓ, Σ w ∇ℓ, Σ w ∇²ℓ (when asked)] into the block's partial. One block per entry
// then folds the partials in the same fixed way. No atomics: the same bits on every run; equal to
// the CPU twin to rounding (its sum runs in row order within a batch).
#include <thrust/device_vector.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/clv.hpp"
#include "kernels/clv_pass_rules.hpp"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/thrust_support.cuh"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::copy_to_device;
using cuda_detail::copy_to_host;
using cuda_detail::raw;
using cuda_detail::run_on_device;
using cuda_detail::stream_of;

constexpr int kThreads = 256;
// The log-likelihood, up to 4 gradient entries and the packed Hessian.
constexpr int kStride = 5 + kClvHessianEntries;

/// Device columns of ClvRows; a column the model does not use (or an empty weight) is null.
struct DeviceRows {
  double const* frequency = nullptr;
  double const* recency = nullptr;
  double const* age = nullptr;
  double const* value = nullptr;
  double const* weight = nullptr;
  std::uint32_t const* recency_code = nullptr;  ///< with log_recency, or null
  double const* log_recency = nullptr;          ///< ln(α + t) per distinct recency
  std::uint32_t const* age_code = nullptr;      ///< with log_age, or null
  double const* log_age = nullptr;              ///< ln(α + T) per distinct age
  std::int64_t n = 0;
};

/// table[j] = ln(α + values[j]) for j < count: the BG/NBD family rule's ln(α + t_x) and
/// ln(α + T), the same expression.
__global__ void log_alpha_kernel(double alpha, double const* values, std::int64_t count,
                                 double* table) {
  std::int64_t const j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (j < count) table[j] = log(alpha + values[j]);
}

/// partials[block · kStride + e] for e = 0 (Σ w ℓ), 1 .. k (Σ w ∂ℓ/∂ln θ) and, when
/// hessian_entries > 0, k + 1 .. k + hessian_entries (Σ w ∂²ℓ, packed) over the block's batch of
/// rows.
__global__ void batch_sums_kernel(ClvLikelihood model, ClvParams params, int k, int hessian_entries,
                                  ClvCountTerms const* counts, std::int64_t count_size,
                                  DeviceRows rows, double* partials) {
  __shared__ cuda_detail::BlockSumStorage<kThreads> storage;
  std::int64_t const first = blockIdx.x * kClvBatchRows;
  std::int64_t const last = first + kClvBatchRows < rows.n ? first + kClvBatchRows : rows.n;
  double sums[kStride] = {};
  double grad[4] = {0.0, 0.0, 0.0, 0.0};
  double hess[kClvHessianEntries] = {};
  for (std::int64_t i = first + threadIdx.x; i < last; i += kThreads) {
    double const w = rows.weight != nullptr ? rows.weight[i] : 1.0;
    ClvRowLogs logs;
    if (rows.recency_code != nullptr) logs.alpha_recency = rows.log_recency[rows.recency_code[i]];
    if (rows.age_code != nullptr) logs.alpha_age = rows.log_age[rows.age_code[i]];
    double const ll = clv_row_log_likelihood(model, params, counts, count_size, rows.frequency[i],
                                             rows.recency != nullptr ? rows.recency[i] : 0.0,
                                             rows.age != nullptr ? rows.age[i] : 0.0,
                                             rows.value != nullptr ? rows.value[i] : 0.0, grad,
                                             logs, hessian_entries > 0 ? hess : nullptr);
    sums[0] += w * ll;
    for (int j = 0; j < k; ++j) sums[1 + j] += w * grad[j];
    for (int e = 0; e < hessian_entries; ++e) sums[1 + k + e] += w * hess[e];
  }
  for (int e = 0; e <= k + hessian_entries; ++e) {
    double const total = cuda_detail::block_sum<kThreads>(sums[e], storage);
    if (threadIdx.x == 0) partials[blockIdx.x * static_cast<std::int64_t>(kStride) + e] = total;
    __syncthreads();  // the storage is reused by the next entry
  }
}

/// out[e] = Σ over batches of partials[batch · kStride + e]; block e, a fixed order.
__global__ void fold_partials_kernel(double const* partials, std::int64_t batches, double* out) {
  __shared__ cuda_detail::BlockSumStorage<kThreads> storage;
  double sum = 0.0;
  for (std::int64_t b = threadIdx.x; b < batches; b += kThreads) {
    sum += partials[b * kStride + blockIdx.x];
  }
  double const total = cuda_detail::block_sum<kThreads>(sum, storage);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

/// A device copy of `column`, or an empty vector when it is not used.
void upload(cudaStream_t stream, std::span<double const> column, bool used,
            thrust::device_vector<double>& device) {
  if (!used || column.empty()) return;
  device.resize(column.size());
  copy_to_device(stream, column.data(), column.size(), raw(device));
}

/// For the BG/NBD family with a value table (`code` not empty): the codes on the device and
/// ln(α + v) per distinct value v (log_alpha_kernel); otherwise both left empty.
void upload_log_alpha_table(cudaStream_t stream, bool bgnbd_family, double alpha,
                            std::span<std::uint32_t const> code, std::span<double const> values,
                            thrust::device_vector<std::uint32_t>& device_code,
                            thrust::device_vector<double>& device_logs) {
  if (!bgnbd_family || code.empty() || values.empty()) return;
  device_code.resize(code.size());
  copy_to_device(stream, code.data(), code.size(), raw(device_code));
  thrust::device_vector<double> device_values(values.size());
  copy_to_device(stream, values.data(), values.size(), raw(device_values));
  device_logs.resize(values.size());
  std::int64_t const count = static_cast<std::int64_t>(values.size());
  CIE_LAUNCH(log_alpha_kernel, static_cast<unsigned>((count + kThreads - 1) / kThreads), kThreads,
             0, stream)
  (alpha, raw(device_values), count, raw(device_logs));
  CIE_CUDA_CHECK_LAUNCH();
}

}  // namespace

ClvPassStats clv_log_likelihood_pass(Context const& ctx, ClvLikelihood model,
                                     std::span<double const> params, ClvRows const& rows,
                                     bool with_hessian) {
  int const k = parameter_count(model);
  CIE_CUDA_ASSERT(params.size() == static_cast<std::size_t>(k));
  CIE_CUDA_ASSERT(!with_hessian || has_analytic_hessian(model));
  int const hessian_entries = with_hessian ? kClvHessianEntries : 0;
  std::int64_t const n = static_cast<std::int64_t>(rows.size());
  ClvPassStats stats;
  if (n == 0) return stats;
  return run_on_device("CLV log-likelihood pass", [&] {
    cudaStream_t const stream = stream_of(ctx);
    CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
    ClvParams p;
    std::copy(params.begin(), params.end(), p.v);
    bool const spend = model == ClvLikelihood::kGammaGamma;
    CIE_CUDA_ASSERT(rows.weight.empty() || rows.weight.size() == rows.size());
    CIE_CUDA_ASSERT(spend ? rows.value.size() == rows.size()
                          : rows.recency.size() == rows.size() && rows.age.size() == rows.size());
    thrust::device_vector<double> frequency, recency, age, value, weight;
    upload(stream, rows.frequency, true, frequency);
    upload(stream, rows.recency, !spend, recency);
    upload(stream, rows.age, !spend, age);
    upload(stream, rows.value, spend, value);
    upload(stream, rows.weight, true, weight);
    std::vector<ClvCountTerms> const table = clv_count_table(model, p, rows.frequency);
    thrust::device_vector<ClvCountTerms> counts(table.size());
    if (!table.empty()) copy_to_device(stream, table.data(), table.size(), raw(counts));

    bool const bgnbd_family = model == ClvLikelihood::kBgNbd || model == ClvLikelihood::kMbgNbd;
    CIE_CUDA_ASSERT(rows.recency_code.empty() || rows.recency_code.size() == rows.size());
    CIE_CUDA_ASSERT(rows.age_code.empty() || rows.age_code.size() == rows.size());
    thrust::device_vector<std::uint32_t> recency_code, age_code;
    thrust::device_vector<double> log_recency, log_age;
    upload_log_alpha_table(stream, bgnbd_family, p.v[1], rows.recency_code, rows.recency_values,
                           recency_code, log_recency);
    upload_log_alpha_table(stream, bgnbd_family, p.v[1], rows.age_code, rows.age_values, age_code,
                           log_age);

    DeviceRows device_rows{
        raw(frequency),    raw(recency),     raw(age),      raw(value),   raw(weight),
        raw(recency_code), raw(log_recency), raw(age_code), raw(log_age), n};
    std::int64_t const batches = (n + kClvBatchRows - 1) / kClvBatchRows;
    thrust::device_vector<double> partials(static_cast<std::size_t>(batches) * kStride);
    thrust::device_vector<double> folded(kStride);
    CIE_LAUNCH(batch_sums_kernel, static_cast<unsigned>(batches), kThreads, 0, stream)
    (model, p, k, hessian_entries, raw(counts), static_cast<std::int64_t>(table.size()),
     device_rows, raw(partials));
    CIE_CUDA_CHECK_LAUNCH();
    int const entry_count = 1 + k + hessian_entries;
    CIE_LAUNCH(fold_partials_kernel, static_cast<unsigned>(entry_count), kThreads, 0, stream)
    (raw(partials), batches, raw(folded));
    CIE_CUDA_CHECK_LAUNCH();
    double entries[kStride] = {};
    copy_to_host(stream, raw(folded), static_cast<std::size_t>(entry_count), entries);
    stats.log_likelihood = entries[0];
    for (int j = 0; j < k; ++j) stats.gradient[static_cast<std::size_t>(j)] = entries[1 + j];
    for (int e = 0; e < hessian_entries; ++e) {
      stats.hessian[static_cast<std::size_t>(e)] = entries[1 + k + e];
    }
    return stats;
  });
}

}  // namespace cie::kernels::cuda_impl
