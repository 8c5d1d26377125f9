// CIE_LAUNCH(kernel, grid, block, shared_bytes, stream)(arguments...): every kernel launch in
// cie. Under nvcc it is kernel<<<grid, block, shared_bytes, stream>>>(arguments...); in the CUDA
// emulation build (-DCIE_CUDA=EMULATED, kernels/cuda/emulation/README.md) it runs the kernel on
// the CPU with one thread per CUDA thread, after checking the launch against an H100's limits.
// Check it with CIE_CUDA_CHECK_LAUNCH() as any launch. A kernel name with template arguments
// holding a comma must be put in parentheses.
//
// CIE_DYNAMIC_SHARED(type, name) declares the block's dynamic shared memory as `type* name`
// (extern __shared__ type name[] under nvcc).
#pragma once

#include <cuda_runtime.h>

#if CIE_CUDA_EMULATED
#define CIE_LAUNCH(kernel, grid, block, shared_bytes, stream) \
  ::cie::emulation::make_launch(#kernel, kernel, dim3(grid), dim3(block), (shared_bytes), (stream))
#define CIE_DYNAMIC_SHARED(type, name) \
  type* const name = static_cast<type*>(::cie::emulation::dynamic_shared_memory())
#else
#define CIE_LAUNCH(kernel, grid, block, shared_bytes, stream) \
  kernel<<<(grid), (block), (shared_bytes), (stream)>>>
#define CIE_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif
