// Bootstrap kernel: the draws of a seeded percentile bootstrap of mean(treated) − mean(control)
// (models/campaigns/bootstrap.hpp sorts them and takes the interval).
//
// Twins: kernels/cpu/bootstrap.cpp (OpenMP over draws) and kernels/cuda/bootstrap.cu (one
// thread per draw, grid-stride). Both apply kernels/bootstrap_rules.hpp's bootstrap_difference
// to draw b with stream index first_stream + b, so they return the same bits for the same seed,
// whatever the thread or block count.
//
// Cost: draws × (treated + control) random picks, each a gather from the two groups' values (copied
// once to the device by the CUDA twin), and O(draws) output.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/context.hpp"

namespace cie::kernels {

/// What one bootstrap needs: both groups non-empty, at most 2^32 values each.
struct BootstrapInput {
  std::span<double const> treated;
  std::span<double const> control;
  std::uint64_t seed = 0;
  std::uint64_t first_stream = 0;  ///< stream index of draw 0
  std::int64_t draws = 0;
};

namespace cpu_impl {
std::vector<double> bootstrap_differences(Context const& ctx, BootstrapInput const& input);
}  // namespace cpu_impl

namespace cuda_impl {
std::vector<double> bootstrap_differences(Context const& ctx, BootstrapInput const& input);
}  // namespace cuda_impl

/// differences[b] = bootstrap_difference(seed, first_stream + b, ...) for b in [0, draws), in draw
/// order (unsorted), on ctx's device.
inline std::vector<double> bootstrap_differences(Context const& ctx, BootstrapInput const& input) {
  return ctx.is_cuda() ? cuda_impl::bootstrap_differences(ctx, input)
                       : cpu_impl::bootstrap_differences(ctx, input);
}

}  // namespace cie::kernels
