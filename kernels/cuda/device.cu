#include <string>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/device.hpp"

namespace cie::kernels {

bool built_with_cuda() noexcept { return true; }

DeviceProbe probe_cuda_devices() noexcept {
  DeviceProbe probe;
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    // No driver, no device, or a driver older than the runtime: all mean "no GPU here".
    (void)cudaGetLastError();
    probe.reason = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
    return probe;
  }
  if (count == 0) {
    probe.reason = "the CUDA runtime reports no devices";
    return probe;
  }
  probe.count = count;
  return probe;
}

DeviceInfo cuda_device_info(int ordinal) {
  cudaDeviceProp properties{};
  CIE_CUDA_TRY(cudaGetDeviceProperties(&properties, ordinal));
  CIE_CUDA_TRY(cudaSetDevice(ordinal));
  DeviceInfo info;
  info.name = properties.name;
  info.compute_capability_major = properties.major;
  info.compute_capability_minor = properties.minor;
  CIE_CUDA_TRY(cudaMemGetInfo(&info.free_memory_bytes, &info.total_memory_bytes));
  return info;
}

void* create_cuda_stream(int ordinal) {
  CIE_CUDA_TRY(cudaSetDevice(ordinal));
  cudaStream_t stream = nullptr;
  // A blocking stream: it orders itself after work Thrust queues on the legacy default stream.
  CIE_CUDA_TRY(cudaStreamCreate(&stream));
  return stream;
}

void destroy_cuda_stream(void* stream) noexcept {
  CIE_CUDA_TRY_NO_THROW(cudaStreamDestroy(static_cast<cudaStream_t>(stream)));
}

}  // namespace cie::kernels
