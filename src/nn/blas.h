// GEMM through OpenBLAS, loaded at first use.
//
// Why not link it: OpenBLAS picks its kernels once, when the library loads,
// from the CPU model it knows; 0.3.21 (Debian 12) does not know recent Xeons
// (e.g. family 6 model 207) and falls back to its Prescott (SSE3) kernels,
// 3-4x slower. Loading it ourselves lets us name the kernel family first
// (OPENBLAS_CORETYPE, from the CPU's features) unless the user already did.
#pragma once

#include <cstddef>
#include <string>

namespace actlab::blas {

// C = alpha * op(A) op(B) + beta * C, row-major (cblas_?gemm).
void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha, const float* a,
          size_t lda, const float* b, size_t ldb, float beta, float* c, size_t ldc);
void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, double alpha, const double* a,
          size_t lda, const double* b, size_t ldb, double beta, double* c, size_t ldc);

void set_threads(int threads);
// "OpenBLAS 0.3.21, SkylakeX kernels (OPENBLAS_CORETYPE set by actlab)".
std::string describe();

}  // namespace actlab::blas
