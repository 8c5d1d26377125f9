// CUDA twin of kernels/kmeans.hpp.
//
// A workspace holds the rows it is bound to on the device (x packed column-major, weights,
// closest column): all rows of a fit, or one chunk when kernels/kmeans_chunked.hpp streams them.
//
// Lloyd pass, small k·d: one fused kernel writes one partial per block of rows; the partials are
// reduced per entry into one partial per batch of kKMeansBatchRows rows (its blocks summed in
// block order), and the batch partials are folded onto the running statistics in batch order
// (kernels/cuda/kmeans_lloyd.cu).
//
// Lloyd pass, large k·d (the accumulators no longer fit in shared memory): the cuBLAS path of
// kernels/cuda/kmeans_gemm.cu, which writes batch partials in the same layout (with other bits:
// its sums run in another order). Batch partials are made and folded in waves of at most 64 MiB.
//
// The Hartigan candidate pass (kernels/cuda/kmeans_hartigan.cu) flags rows with the shared rule
// and compacts them in row order.
//
// Seeding passes compute per-row potentials in parallel and sum each batch of kKMeansBatchRows
// rows in row order in one thread, exactly as the CPU does, so both twins draw the same rows.
#include <thrust/device_vector.h>
#include <thrust/fill.h>

#include <algorithm>
#include <memory>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/kmeans_gemm.cuh"
#include "kernels/cuda/kmeans_hartigan.cuh"
#include "kernels/cuda/kmeans_lloyd.cuh"
#include "kernels/cuda/thrust_support.cuh"
#include "kernels/kmeans.hpp"
#include "kernels/kmeans_rules.hpp"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::copy_to_device;
using cuda_detail::copy_to_host;
using cuda_detail::grid_for;
using cuda_detail::raw;
using cuda_detail::run_on_device;

constexpr int kThreads = 256;

__global__ void nearest_kernel(float const* x, std::int64_t rows, int cols, float const* centroids,
                               int k, float* distances) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    distances[i] = nearest_centroid(x, rows, i, centroids, k, cols).distance;
  }
}

__global__ void update_closest_kernel(float const* x, std::int64_t rows, int cols,
                                      float const* points, int m, bool replace, float* closest) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    float const distance = nearest_centroid(x, rows, i, points, m, cols).distance;
    closest[i] = replace || is_closer(distance, closest[i]) ? distance : closest[i];
  }
}

/// out[i - begin] = sampling_potential(weight, closest) for rows begin .. end, with closest
/// first lowered to the distance to `candidate` when one is given.
__global__ void row_potentials_kernel(float const* x, std::int64_t rows, int cols,
                                      float const* weight, float const* closest,
                                      float const* candidate, std::int64_t begin, std::int64_t end,
                                      double* out) {
  for (std::int64_t i = begin + blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < end; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    float distance = closest[i];
    if (candidate != nullptr) {
      float const to_candidate = squared_distance(x, rows, i, candidate, cols);
      distance = is_closer(to_candidate, distance) ? to_candidate : distance;
    }
    out[i - begin] = sampling_potential(weight != nullptr ? weight[i] : 1.0f, distance);
  }
}

/// One thread per batch sums its rows in row order, as the CPU twin does.
__global__ void batch_sums_kernel(double const* values, std::int64_t rows, std::int64_t batches,
                                  double* out) {
  std::int64_t const batch = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (batch >= batches) return;
  std::int64_t const begin = batch * kKMeansBatchRows;
  std::int64_t const end = begin + kKMeansBatchRows < rows ? begin + kKMeansBatchRows : rows;
  double sum = 0.0;
  for (std::int64_t i = begin; i < end; ++i) sum += values[i];
  out[batch] = sum;
}

class CudaKMeansWorkspace final : public KMeansWorkspace {
 public:
  CudaKMeansWorkspace(Context const& ctx, int cols)
      : stream_(cuda_detail::stream_of(ctx)), cols_(cols) {
    CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
  }

  [[nodiscard]] std::int64_t rows() const noexcept override { return rows_; }
  [[nodiscard]] int cols() const noexcept override { return cols_; }

  void bind(float const* x, std::int64_t ld, std::int64_t rows,
            std::span<float const> sample_weight) override {
    CIE_CUDA_ASSERT(rows > 0 && ld >= rows);
    CIE_CUDA_ASSERT(sample_weight.empty() ||
                    sample_weight.size() == static_cast<std::size_t>(rows));
    run_on_device("k-means workspace", [&] {
      host_x_ = x;
      host_ld_ = ld;
      rows_ = rows;
      x_.resize(static_cast<std::size_t>(rows) * cols_);
      // Rows [0, rows) of every column, packed: the device copy has leading dimension rows. One
      // copy per column when the host rows are a chunk of a longer array (a 2D copy would need
      // a pitch of ld × 4 bytes, which exceeds cudaMemcpy2D's limit for large data).
      std::size_t const column_bytes = static_cast<std::size_t>(rows) * sizeof(float);
      if (ld == rows) {
        CIE_CUDA_TRY(
            cudaMemcpyAsync(raw(x_), x, column_bytes * cols_, cudaMemcpyHostToDevice, stream_));
      } else {
        for (int j = 0; j < cols_; ++j) {
          CIE_CUDA_TRY(cudaMemcpyAsync(raw(x_) + static_cast<std::size_t>(j) * rows,
                                       x + static_cast<std::size_t>(j) * ld, column_bytes,
                                       cudaMemcpyHostToDevice, stream_));
        }
      }
      CIE_CUDA_TRY(cudaStreamSynchronize(stream_));
      weight_.resize(sample_weight.size());  // empty: raw(weight_) is null, all weights 1
      if (!sample_weight.empty()) {
        copy_to_device(stream_, sample_weight.data(), sample_weight.size(), raw(weight_));
      }
      closest_.resize(static_cast<std::size_t>(rows));
      potentials_.resize(static_cast<std::size_t>(rows));
      if (gemm_ != nullptr) gemm_->bind(raw(x_), rows_, raw(weight_));
    });
  }

  void add_lloyd_pass(std::span<float const> centroids, int k, std::span<std::int32_t> labels,
                      KMeansPassStats& stats) override {
    CIE_CUDA_ASSERT(centroids.size() == static_cast<std::size_t>(k) * cols_);
    CIE_CUDA_ASSERT(labels.empty() || labels.size() == static_cast<std::size_t>(rows_));
    CIE_CUDA_ASSERT(stats.sums.size() == centroids.size() &&
                    stats.weights.size() == static_cast<std::size_t>(k));
    run_on_device("k-means Lloyd pass", [&] {
      set_points(centroids);
      int const stride = k * (cols_ + 1) + 1;
      bool const fused = fused_lloyd_fits(k, cols_);
      std::int64_t const blocks = fused_lloyd_blocks(rows_);
      if (!labels.empty() || !fused) labels_.resize(static_cast<std::size_t>(rows_));
      if (fused) {
        // At most 3 bytes per row: the kernel runs only while its accumulators fit in shared
        // memory.
        block_partials_.resize(static_cast<std::size_t>(blocks) * stride);
        fused_lloyd_block_partials(stream_, raw(x_), rows_, cols_, raw(weight_), raw(points_), k,
                                   labels.empty() ? nullptr : raw(labels_), raw(block_partials_));
      } else {
        if (gemm_ == nullptr) {
          gemm_ = std::make_unique<GemmLloydPass>(stream_, cols_);
          gemm_->bind(raw(x_), rows_, raw(weight_));
        }
        gemm_->set_centroids(centroids, raw(points_), k);
      }
      // Batch partials in waves of at most 64 MiB, each folded onto the running statistics in
      // batch order: the bits do not depend on the wave size.
      upload_running(stats, k, stride);
      std::int64_t const batch_count = batches();
      std::int64_t const wave = std::clamp<std::int64_t>(
          static_cast<std::int64_t>((std::size_t{64} << 20) / (sizeof(double) * stride)), 1,
          batch_count);
      batch_partials_.resize(static_cast<std::size_t>(wave) * stride);
      for (std::int64_t first = 0; first < batch_count; first += wave) {
        std::int64_t const count = std::min(wave, batch_count - first);
        if (fused) {
          sum_block_partials(stream_, raw(block_partials_), blocks, stride, first, count,
                             raw(batch_partials_));
        } else {
          gemm_->run_batches(first, count, raw(labels_), raw(batch_partials_));
        }
        fold_batch_partials(stream_, raw(batch_partials_), count, stride, raw(running_));
      }
      download_running(stats, k, stride);
      if (!labels.empty()) copy_to_host(stream_, raw(labels_), labels.size(), labels.data());
    });
  }

  std::vector<std::int64_t> hartigan_candidates(std::span<float const> centroids, int k,
                                                std::span<double const> cluster_weights,
                                                std::span<std::int32_t const> labels) override {
    return hartigan_candidates_on_device(stream_, raw(x_), rows_, cols_, raw(weight_), centroids, k,
                                         cluster_weights, labels);
  }

  void nearest_distances(std::span<float const> centroids, int k,
                         std::span<float> distances) override {
    CIE_CUDA_ASSERT(distances.size() == static_cast<std::size_t>(rows_));
    run_on_device("k-means distances", [&] {
      set_points(centroids);
      scratch_.resize(static_cast<std::size_t>(rows_));
      CIE_LAUNCH(nearest_kernel, grid_for(rows_, kThreads), kThreads, 0, stream_)
      (raw(x_), rows_, cols_, raw(points_), k, raw(scratch_));
      CIE_CUDA_CHECK_LAUNCH();
      copy_to_host(stream_, raw(scratch_), distances.size(), distances.data());
    });
  }

  void reset_closest() override {
    run_on_device("k-means seeding", [&] {
      thrust::fill(cuda_detail::policy_on(stream_), closest_.begin(), closest_.end(), 1.0f);
    });
  }

  void update_closest(std::span<float const> points, int m, bool replace) override {
    run_on_device("k-means seeding", [&] {
      set_points(points);
      CIE_LAUNCH(update_closest_kernel, grid_for(rows_, kThreads), kThreads, 0, stream_)
      (raw(x_), rows_, cols_, raw(points_), m, replace, raw(closest_));
      CIE_CUDA_CHECK_LAUNCH();
      CIE_CUDA_TRY(cudaStreamSynchronize(stream_));
    });
  }

  void get_closest(std::span<float> closest) override {
    CIE_CUDA_ASSERT(closest.size() == static_cast<std::size_t>(rows_));
    run_on_device("k-means seeding",
                  [&] { copy_to_host(stream_, raw(closest_), closest.size(), closest.data()); });
  }

  void set_closest(std::span<float const> closest) override {
    CIE_CUDA_ASSERT(closest.size() == static_cast<std::size_t>(rows_));
    run_on_device("k-means seeding",
                  [&] { copy_to_device(stream_, closest.data(), closest.size(), raw(closest_)); });
  }

  void add_candidate_potentials(std::span<float const> candidates, int m,
                                std::span<double> potentials) override {
    CIE_CUDA_ASSERT(potentials.size() == static_cast<std::size_t>(m));
    run_on_device("k-means seeding", [&] {
      set_points(candidates);
      for (int c = 0; c < m; ++c) {
        for (double batch : batch_sums(raw(points_) + static_cast<std::size_t>(c) * cols_)) {
          potentials[c] += batch;
        }
      }
    });
  }

  std::vector<double> batch_potentials() override {
    return run_on_device("k-means seeding", [&] { return batch_sums(nullptr); });
  }

  std::vector<double> row_potentials(std::int64_t batch) override {
    return run_on_device("k-means seeding", [&] {
      std::int64_t const begin = batch * kKMeansBatchRows;
      std::int64_t const end = std::min(rows_, begin + kKMeansBatchRows);
      CIE_LAUNCH(row_potentials_kernel, grid_for(end - begin, kThreads), kThreads, 0, stream_)
      (raw(x_), rows_, cols_, raw(weight_), raw(closest_), nullptr, begin, end, raw(potentials_));
      CIE_CUDA_CHECK_LAUNCH();
      std::vector<double> potentials(static_cast<std::size_t>(end - begin));
      copy_to_host(stream_, raw(potentials_), potentials.size(), potentials.data());
      return potentials;
    });
  }

  std::vector<float> gather_rows(std::span<std::int64_t const> rows) override {
    return gather_column_major_rows(host_x_, host_ld_, cols_, rows);
  }

 private:
  void set_points(std::span<float const> points) {
    points_.resize(points.size());
    copy_to_device(stream_, points.data(), points.size(), raw(points_));
  }

  /// Entry layout of the running statistics on the device, as of the batch partials: cluster
  /// c's sums at c*(cols+1) .. +cols-1, its weight at c*(cols+1)+cols, the inertia last.
  void upload_running(KMeansPassStats const& stats, int k, int stride) {
    std::vector<double> entries(static_cast<std::size_t>(stride));
    for (int c = 0; c < k; ++c) {
      for (int j = 0; j < cols_; ++j) entries[c * (cols_ + 1) + j] = stats.sums[c * cols_ + j];
      entries[c * (cols_ + 1) + cols_] = stats.weights[c];
    }
    entries.back() = stats.inertia;
    running_.resize(entries.size());
    copy_to_device(stream_, entries.data(), entries.size(), raw(running_));
  }

  void download_running(KMeansPassStats& stats, int k, int stride) {
    std::vector<double> entries(static_cast<std::size_t>(stride));
    copy_to_host(stream_, raw(running_), entries.size(), entries.data());
    for (int c = 0; c < k; ++c) {
      for (int j = 0; j < cols_; ++j) stats.sums[c * cols_ + j] = entries[c * (cols_ + 1) + j];
      stats.weights[c] = entries[c * (cols_ + 1) + cols_];
    }
    stats.inertia = entries.back();
  }

  /// Per-batch sums of the rows' potentials, with closest lowered by `candidate` if not null.
  std::vector<double> batch_sums(float const* candidate) {
    CIE_LAUNCH(row_potentials_kernel, grid_for(rows_, kThreads), kThreads, 0, stream_)
    (raw(x_), rows_, cols_, raw(weight_), raw(closest_), candidate, 0, rows_, raw(potentials_));
    CIE_CUDA_CHECK_LAUNCH();
    std::int64_t const batch_count = batches();
    folded_.resize(static_cast<std::size_t>(batch_count));
    CIE_LAUNCH(batch_sums_kernel, grid_for(batch_count, 64), 64, 0, stream_)
    (raw(potentials_), rows_, batch_count, raw(folded_));
    CIE_CUDA_CHECK_LAUNCH();
    std::vector<double> sums(static_cast<std::size_t>(batch_count));
    copy_to_host(stream_, raw(folded_), sums.size(), sums.data());
    return sums;
  }

  cudaStream_t stream_;
  int cols_;
  float const* host_x_ = nullptr;  // the bound rows on the host (gather_rows reads them there)
  std::int64_t host_ld_ = 0;
  std::int64_t rows_ = 0;
  thrust::device_vector<float> x_;  // column-major, leading dimension rows_
  thrust::device_vector<float> weight_;
  thrust::device_vector<float> closest_;
  thrust::device_vector<float> scratch_;
  thrust::device_vector<float> points_;
  thrust::device_vector<double> potentials_;
  thrust::device_vector<double> block_partials_;
  thrust::device_vector<double> batch_partials_;
  thrust::device_vector<double> running_;
  thrust::device_vector<double> folded_;
  thrust::device_vector<std::int32_t> labels_;
  std::unique_ptr<GemmLloydPass> gemm_;  // created on the first large-k·d pass
};

}  // namespace

std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const& ctx, float const* x,
                                                       std::int64_t ld, std::int64_t rows, int cols,
                                                       std::span<float const> sample_weight) {
  return run_on_device("k-means workspace", [&] {
    auto workspace = std::make_unique<CudaKMeansWorkspace>(ctx, cols);
    workspace->bind(x, ld, rows, sample_weight);
    return std::unique_ptr<KMeansWorkspace>(std::move(workspace));
  });
}

}  // namespace cie::kernels::cuda_impl
