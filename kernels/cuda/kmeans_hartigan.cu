// Hartigan candidate pass of the CUDA k-means twin; see kernels/cuda/kmeans_hartigan.cuh.
#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/iterator/counting_iterator.h>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/kmeans_hartigan.cuh"
#include "kernels/cuda/thrust_support.cuh"
#include "kernels/kmeans_rules.hpp"

namespace cie::kernels::cuda_impl {
namespace {

constexpr int kThreads = 256;

/// flags[i] = 1 when hartigan_target moves row i. Centroids and cluster weights are read
/// through the cache (k·cols is small next to x, which is read once, coalesced).
__global__ void hartigan_flags_kernel(float const* x, std::int64_t rows, int cols,
                                      float const* weight, float const* centroids, int k,
                                      double const* cluster_weights, std::int32_t const* labels,
                                      std::uint8_t* flags) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    auto const distance = [&](int c) {
      return squared_distance(x, rows, i, centroids + c * cols, cols);
    };
    float const w = weight != nullptr ? weight[i] : 1.0f;
    flags[i] = hartigan_target(w, labels[i], cluster_weights, k, distance) >= 0 ? 1 : 0;
  }
}

struct IsFlagged {
  __device__ bool operator()(std::uint8_t flag) const { return flag != 0; }
};

template <typename T>
thrust::device_vector<T> to_device(cudaStream_t stream, std::span<T const> host) {
  thrust::device_vector<T> device(host.size());
  cuda_detail::copy_to_device(stream, host.data(), host.size(), cuda_detail::raw(device));
  return device;
}

}  // namespace

std::vector<std::int64_t> hartigan_candidates_on_device(cudaStream_t stream, float const* x,
                                                        std::int64_t rows, int cols,
                                                        float const* weight,
                                                        std::span<float const> centroids, int k,
                                                        std::span<double const> cluster_weights,
                                                        std::span<std::int32_t const> labels) {
  return cuda_detail::run_on_device("k-means Hartigan pass", [&] {
    thrust::device_vector<float> const device_centroids = to_device(stream, centroids);
    thrust::device_vector<double> const device_weights = to_device(stream, cluster_weights);
    thrust::device_vector<std::int32_t> const device_labels = to_device(stream, labels);
    thrust::device_vector<std::uint8_t> flags(static_cast<std::size_t>(rows));
    CIE_LAUNCH(hartigan_flags_kernel, cuda_detail::grid_for(rows, kThreads), kThreads, 0, stream)
    (x, rows, cols, weight, device_centroids.data().get(), k, device_weights.data().get(),
     device_labels.data().get(), flags.data().get());
    CIE_CUDA_CHECK_LAUNCH();
    thrust::device_vector<std::int64_t> found(static_cast<std::size_t>(rows));
    auto const end = thrust::copy_if(
        cuda_detail::policy_on(stream), thrust::counting_iterator<std::int64_t>(0),
        thrust::counting_iterator<std::int64_t>(rows), flags.begin(), found.begin(), IsFlagged{});
    std::vector<std::int64_t> candidates(static_cast<std::size_t>(end - found.begin()));
    cuda_detail::copy_to_host(stream, cuda_detail::raw(found), candidates.size(),
                              candidates.data());
    return candidates;
  });
}

}  // namespace cie::kernels::cuda_impl
