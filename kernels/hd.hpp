// CIE_HD marks per-element functions shared by the CPU and CUDA twins: compiled for both host
// and device under nvcc, plain inline functions under a C++ compiler. CPU tests therefore
// exercise exactly the arithmetic the GPU runs.
#pragma once

#if defined(__CUDACC__)
#define CIE_HD __host__ __device__
#else
#define CIE_HD
#endif
