#include "kernels/cuda/cuda_check.cuh"
#include "kernels/device_memory.hpp"

namespace cie::kernels {

DeviceMemory cuda_memory_info(int ordinal) {
  CIE_CUDA_TRY(cudaSetDevice(ordinal));
  DeviceMemory memory;
  CIE_CUDA_TRY(cudaMemGetInfo(&memory.free_bytes, &memory.total_bytes));
  return memory;
}

}  // namespace cie::kernels
