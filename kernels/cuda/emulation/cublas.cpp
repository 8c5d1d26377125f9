// The cuBLAS calls of the CUDA emulation (kernels/cuda/emulation/README.md), with cuBLAS's own
// declarations and column-major semantics, computed on the CPU by plain loops: SGEMM
// (32- and 64-bit sizes) and DSYRK. Handles hold their stream and math mode and nothing else;
// work runs when it is called, which is in stream order because emulated streams are.
#include <cublas_v2.h>

#include <algorithm>
#include <cstdint>
#include <new>

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasMath_t math_mode = CUBLAS_DEFAULT_MATH;
};

namespace {

bool transposed(cublasOperation_t op) { return op != CUBLAS_OP_N; }

/// C = alpha op(A) op(B) + beta C for column-major m × n C; C is not read when beta is 0, as
/// cuBLAS promises. Sums run in T, in k order.
template <typename T>
cublasStatus_t gemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                    std::int64_t m, std::int64_t n, std::int64_t k, T const* alpha, T const* a,
                    std::int64_t lda, T const* b, std::int64_t ldb, T const* beta, T* c,
                    std::int64_t ldc) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  std::int64_t const a_rows = transposed(transa) ? k : m;
  std::int64_t const b_rows = transposed(transb) ? n : k;
  if (m < 0 || n < 0 || k < 0 || lda < std::max<std::int64_t>(1, a_rows) ||
      ldb < std::max<std::int64_t>(1, b_rows) || ldc < std::max<std::int64_t>(1, m)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  for (std::int64_t j = 0; j < n; ++j) {
    for (std::int64_t i = 0; i < m; ++i) {
      T sum = 0;
      for (std::int64_t p = 0; p < k; ++p) {
        T const a_ip = transposed(transa) ? a[i * lda + p] : a[p * lda + i];
        T const b_pj = transposed(transb) ? b[p * ldb + j] : b[j * ldb + p];
        sum += a_ip * b_pj;
      }
      T& target = c[j * ldc + i];
      target = *beta == T(0) ? *alpha * sum : *alpha * sum + *beta * target;
    }
  }
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
  *handle = new (std::nothrow) cublasContext;
  return *handle != nullptr ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream_v2(cublasHandle_t handle, cudaStream_t* stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  *stream = handle->stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->math_mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t* mode) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  *mode = handle->math_mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa,
                              cublasOperation_t transb, int m, int n, int k, float const* alpha,
                              float const* a, int lda, float const* b, int ldb, float const* beta,
                              float* c, int ldc) {
  return gemm<float>(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

cublasStatus_t cublasSgemm_v2_64(cublasHandle_t handle, cublasOperation_t transa,
                                 cublasOperation_t transb, std::int64_t m, std::int64_t n,
                                 std::int64_t k, float const* alpha, float const* a,
                                 std::int64_t lda, float const* b, std::int64_t ldb,
                                 float const* beta, float* c, std::int64_t ldc) {
  return gemm<float>(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// C = alpha op(A) op(A)ᵀ + beta C on the `uplo` triangle of column-major n × n C; op(A) is
/// n × k (A is n × k, or k × n when trans is T). The other triangle is not touched.
cublasStatus_t cublasDsyrk_v2(cublasHandle_t handle, cublasFillMode_t uplo, cublasOperation_t trans,
                              int n, int k, double const* alpha, double const* a, int lda,
                              double const* beta, double* c, int ldc) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  bool const t = transposed(trans);
  if (n < 0 || k < 0 || lda < std::max(1, t ? k : n) || ldc < std::max(1, n)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  auto const op_a = [&](int i, int p) {  // op(A)(i, p)
    return t ? a[static_cast<std::int64_t>(i) * lda + p]
             : a[static_cast<std::int64_t>(p) * lda + i];
  };
  for (int j = 0; j < n; ++j) {
    int const first = uplo == CUBLAS_FILL_MODE_LOWER ? j : 0;
    int const last = uplo == CUBLAS_FILL_MODE_LOWER ? n : j + 1;
    for (int i = first; i < last; ++i) {
      double sum = 0.0;
      for (int p = 0; p < k; ++p) sum += op_a(i, p) * op_a(j, p);
      double& target = c[static_cast<std::int64_t>(j) * ldc + i];
      target = *beta == 0.0 ? *alpha * sum : *alpha * sum + *beta * target;
    }
  }
  return CUBLAS_STATUS_SUCCESS;
}

}  // extern "C"
