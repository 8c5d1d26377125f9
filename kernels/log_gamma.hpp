// ln Γ(x) for the per-element rules that the CPU and CUDA twins share (kernels/clv_*_rules.hpp)
// and for host code that may run on several threads at once.
#pragma once

#include <math.h>

#include "kernels/hd.hpp"

namespace cie::kernels {

/// ln |Γ(x)|. The C library's lgamma also stores the sign of Γ(x) in the global `signgam`: two
/// CPU threads calling it at once race on that global (ThreadSanitizer reported it in the CLV
/// pass). The host therefore calls the reentrant lgamma_r, the same computation without the
/// global, so the value is lgamma's to the bit; the device calls CUDA's lgamma, which has no
/// global.
CIE_HD inline double log_gamma(double x) {
#if defined(__CUDA_ARCH__)
  return lgamma(x);
#else
  int sign = 0;
  return lgamma_r(x, &sign);
#endif
}

}  // namespace cie::kernels
