// The device part of the CUDA k-means workspace's Hartigan candidate pass (internal to
// kernels/cuda/kmeans*.cu); see KMeansWorkspace::hartigan_candidates in kernels/kmeans.hpp.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <span>
#include <vector>

namespace cie::kernels::cuda_impl {

/// The rows, ascending, that hartigan_target would move, for column-major device `x` (rows ×
/// cols) and device `weight` (null: all 1). `centroids`, `cluster_weights` and `labels` are host
/// arrays, uploaded here. One thread per row with the shared rule; the flags are compacted in
/// row order (a stable copy_if), so the list equals the CPU twin's when the distances do.
std::vector<std::int64_t> hartigan_candidates_on_device(cudaStream_t stream, float const* x,
                                                        std::int64_t rows, int cols,
                                                        float const* weight,
                                                        std::span<float const> centroids, int k,
                                                        std::span<double const> cluster_weights,
                                                        std::span<std::int32_t const> labels);

}  // namespace cie::kernels::cuda_impl
