// Helpers for CUDA twins built on Thrust: the execution policy bound to the context's stream,
// raw pointers of device vectors, copies that return when done, and translation of Thrust's
// exceptions into cie device errors (exit code 4).
#pragma once

#include <cuda_runtime.h>
#include <thrust/device_vector.h>
#include <thrust/system_error.h>
#if CIE_CUDA_EMULATED
#include <thrust/system/cpp/execution_policy.h>
#else
#include <thrust/system/cuda/execution_policy.h>
#endif

#include <new>
#include <string>
#include <utility>

#include "core/context.hpp"
#include "core/error.hpp"
#include "kernels/cuda/cuda_check.cuh"

namespace cie::kernels::cuda_detail {

inline cudaStream_t stream_of(Context const& ctx) {
  return static_cast<cudaStream_t>(ctx.stream());
}

/// Thrust's execution policy on `stream`. In the CUDA emulation, Thrust's sequential CPP
/// back end, which runs when called, as the emulation's streams do.
inline auto policy_on(cudaStream_t stream) {
#if CIE_CUDA_EMULATED
  (void)stream;
  return thrust::cpp::par;
#else
  return thrust::cuda::par.on(stream);
#endif
}

inline auto policy(Context const& ctx) { return policy_on(stream_of(ctx)); }

/// The device pointer of `v`, or null when it is empty.
template <typename T>
T* raw(thrust::device_vector<T>& v) {
  return v.empty() ? nullptr : v.data().get();
}

/// Copies `count` values from host to device on `stream` and returns when they have arrived.
template <typename T>
void copy_to_device(cudaStream_t stream, T const* host, std::size_t count, T* device) {
  CIE_CUDA_TRY(cudaMemcpyAsync(device, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
  CIE_CUDA_TRY(cudaStreamSynchronize(stream));
}

/// Copies `count` values from device to host on `stream` (after the work queued before it) and
/// returns when they have arrived.
template <typename T>
void copy_to_host(cudaStream_t stream, T const* device, std::size_t count, T* host) {
  CIE_CUDA_TRY(cudaMemcpyAsync(host, device, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
  CIE_CUDA_TRY(cudaStreamSynchronize(stream));
}

/// Grid size for a grid-stride loop over n items.
inline unsigned grid_for(long long n, unsigned block) {
  long long blocks = (n + block - 1) / block;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks < 65535 * 32 ? blocks : 65535 * 32);
}

/// Runs `body`, turning Thrust and allocation failures into a cie::Error with kDevice.
template <typename Body>
auto run_on_device(char const* what, Body&& body) -> decltype(body()) {
  try {
    return std::forward<Body>(body)();
  } catch (thrust::system_error const& e) {
    throw Error(ExitCode::kDevice, std::string(what) + ": CUDA error: " + e.what());
  } catch (std::bad_alloc const&) {
    throw Error(ExitCode::kDevice, std::string(what) + ": out of GPU memory");
  }
}

}  // namespace cie::kernels::cuda_detail
