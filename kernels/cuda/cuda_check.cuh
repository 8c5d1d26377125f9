// CIE_CUDA_TRY(call): runs a CUDA runtime call and turns a failure into a device error (exit
// code 4) naming the call, the error and where it happened. CIE_CUDA_TRY_NO_THROW logs instead,
// for destructors. Every CUDA runtime call in cie goes through one of them.
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "kernels/cuda/launch.cuh"

namespace cie::cuda_detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, char const* call, char const* file,
                                          int line) {
  (void)cudaGetLastError();  // clear a sticky-free error so later calls are not blamed
  throw ::cie::Error(::cie::ExitCode::kDevice, std::string("CUDA error in ") + call + " at " +
                                                   file + ":" + std::to_string(line) + ": " +
                                                   cudaGetErrorString(status) + " (" +
                                                   cudaGetErrorName(status) + ")");
}

/// An internal invariant failed in CUDA host code (which cannot use CIE_ASSERT: core/error.hpp
/// hides its formatting from nvcc): a cie::Error with ExitCode::kInternal.
[[noreturn]] inline void throw_internal_error(char const* condition, char const* file, int line) {
  throw ::cie::Error(::cie::ExitCode::kInternal, std::string("internal error: ") + condition +
                                                     " failed at " + file + ":" +
                                                     std::to_string(line));
}

}  // namespace cie::cuda_detail

#define CIE_CUDA_TRY(call)                                                               \
  do {                                                                                   \
    cudaError_t cie_cuda_status_ = (call);                                               \
    if (cie_cuda_status_ != cudaSuccess)                                                 \
      ::cie::cuda_detail::throw_cuda_error(cie_cuda_status_, #call, __FILE__, __LINE__); \
  } while (false)

#define CIE_CUDA_TRY_NO_THROW(call)                                                       \
  do {                                                                                    \
    cudaError_t cie_cuda_status_ = (call);                                                \
    if (cie_cuda_status_ != cudaSuccess) {                                                \
      (void)cudaGetLastError();                                                           \
      std::fprintf(stderr, "cie [warn] CUDA error in %s at %s:%d: %s\n", #call, __FILE__, \
                   __LINE__, cudaGetErrorString(cie_cuda_status_));                       \
    }                                                                                     \
  } while (false)

/// CIE_ASSERT for CUDA host code.
#define CIE_CUDA_ASSERT(condition)                                                              \
  do {                                                                                          \
    if (!(condition)) ::cie::cuda_detail::throw_internal_error(#condition, __FILE__, __LINE__); \
  } while (false)

/// Checks the launch of the kernel just queued (configuration errors surface here).
#define CIE_CUDA_CHECK_LAUNCH() CIE_CUDA_TRY(cudaPeekAtLastError())
