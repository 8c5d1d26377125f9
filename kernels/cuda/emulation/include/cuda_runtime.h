#pragma GCC system_header  // for #include_next, a GCC extension
// The CUDA emulation's <cuda_runtime.h> (kernels/cuda/emulation/README.md): this folder comes
// before CUDA's own headers on the include path of a -DCIE_CUDA=EMULATED build, so the CUDA
// sources get CUDA's real types and declarations (implemented by kernels/cuda/emulation/*.cpp)
// plus the device built-ins of kernels/cuda/emulation/device.hpp, and compile as C++.
#pragma once

// Execution-space keywords are nothing to a C++ compiler; __shared__ variables are one per
// process, which is one per block because the emulation runs one block at a time.
#undef __host__
#undef __device__
#undef __global__
#undef __shared__
#undef __constant__
#define __host__
#define __device__
#define __global__
#define __shared__ static
#define __constant__ static

#include_next <cuda_runtime.h>

#undef __host__
#undef __device__
#undef __global__
#undef __shared__
#undef __constant__
#define __host__
#define __device__
#define __global__
#define __shared__ static
#define __constant__ static

#include "kernels/cuda/emulation/device.hpp"
