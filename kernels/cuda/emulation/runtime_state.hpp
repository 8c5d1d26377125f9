// Internal to the CUDA emulation: the runtime's per-thread error state and its stream registry,
// shared by kernels/cuda/emulation/runtime.cpp and executor.cpp.
#pragma once

#include <cuda_runtime.h>

#include <string>

namespace cie::emulation {

/// Makes `code` the calling thread's last CUDA error, with `detail` as its cudaGetErrorString.
void set_launch_error(cudaError_t code, std::string detail);

/// Whether `stream` is the default stream or one created and not yet destroyed.
bool stream_is_valid(cudaStream_t stream);

}  // namespace cie::emulation
