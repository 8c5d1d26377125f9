// How much memory a CUDA device has free, behind a CUDA-free header (kernels/cuda/device_memory.cu;
// stubbed in kernels/cuda/without_cuda.cpp). The batch planner (host/pipeline/batch_plan.hpp) sizes
// batches from it.
#pragma once

#include <cstddef>

namespace cie::kernels {

struct DeviceMemory {
  std::size_t free_bytes = 0;   ///< what cudaMemGetInfo reports free now (other processes count)
  std::size_t total_bytes = 0;  ///< the device's total memory
};

/// cudaMemGetInfo for device `ordinal`, which becomes the calling thread's current device. A
/// device error (exit 4) naming the failed call if the query fails; in a build without CUDA,
/// the "built without CUDA support" device error.
DeviceMemory cuda_memory_info(int ordinal);

}  // namespace cie::kernels
