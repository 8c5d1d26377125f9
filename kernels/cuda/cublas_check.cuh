// cublas_check(status, call): turns a failed cuBLAS call into a device error (exit code 4) naming
// the call and the status.
#pragma once

#include <cublas_v2.h>

#include <string>

#include "core/error.hpp"

namespace cie::kernels::cuda_detail {

inline void cublas_check(cublasStatus_t status, char const* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw Error(ExitCode::kDevice, std::string("cuBLAS error in ") + call + ": status " +
                                       std::to_string(static_cast<int>(status)));
  }
}

}  // namespace cie::kernels::cuda_detail
