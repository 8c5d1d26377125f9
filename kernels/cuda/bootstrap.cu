// CUDA twin of kernels/bootstrap.hpp: both groups' values are copied to the device once, then one
// thread per draw (grid-stride) runs the shared bootstrap_difference (kernels/bootstrap_rules.hpp)
// with its own stream (seed, first_stream + b), as the CPU twin does, and the differences are
// copied back in draw order. Each draw is a sequential stream of picks, so the parallelism is
// across draws (10,000 by default); every draw gathers at random from the same two arrays
// (Hillstrom's 170 KB each fit the L2 cache). No GPU timing has been measured.
#include <thrust/device_vector.h>

#include <vector>

#include "kernels/bootstrap.hpp"
#include "kernels/bootstrap_rules.hpp"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/thrust_support.cuh"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::grid_for;
using cuda_detail::raw;
using cuda_detail::run_on_device;

constexpr int kThreads = 128;

__global__ void bootstrap_kernel(double const* treated, std::int64_t treated_count,
                                 double const* control, std::int64_t control_count,
                                 std::uint64_t seed, std::uint64_t first_stream, std::int64_t draws,
                                 double* differences) {
  for (std::int64_t b = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; b < draws;
       b += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    differences[b] = bootstrap_difference(seed, first_stream + static_cast<std::uint64_t>(b),
                                          treated, treated_count, control, control_count);
  }
}

}  // namespace

std::vector<double> bootstrap_differences(Context const& ctx, BootstrapInput const& input) {
  CIE_CUDA_ASSERT(!input.treated.empty() && !input.control.empty() && input.draws >= 0);
  std::vector<double> differences(static_cast<std::size_t>(input.draws));
  if (input.draws == 0) return differences;
  run_on_device("bootstrap", [&] {
    cudaStream_t const stream = cuda_detail::stream_of(ctx);
    CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
    thrust::device_vector<double> treated(input.treated.size());
    thrust::device_vector<double> control(input.control.size());
    thrust::device_vector<double> out(differences.size());
    CIE_CUDA_TRY(cudaMemcpyAsync(raw(treated), input.treated.data(),
                                 input.treated.size() * sizeof(double), cudaMemcpyHostToDevice,
                                 stream));
    CIE_CUDA_TRY(cudaMemcpyAsync(raw(control), input.control.data(),
                                 input.control.size() * sizeof(double), cudaMemcpyHostToDevice,
                                 stream));
    CIE_LAUNCH(bootstrap_kernel, grid_for(input.draws, kThreads), kThreads, 0, stream)
    (raw(treated), static_cast<std::int64_t>(input.treated.size()), raw(control),
     static_cast<std::int64_t>(input.control.size()), input.seed, input.first_stream, input.draws,
     raw(out));
    CIE_CUDA_CHECK_LAUNCH();
    CIE_CUDA_TRY(cudaMemcpyAsync(differences.data(), raw(out), differences.size() * sizeof(double),
                                 cudaMemcpyDeviceToHost, stream));
    CIE_CUDA_TRY(cudaStreamSynchronize(stream));
  });
  return differences;
}

}  // namespace cie::kernels::cuda_impl
