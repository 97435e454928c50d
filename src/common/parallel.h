// Splitting independent work across an OpenMP team: one contiguous range per
// thread, boundaries rounded to `granule` units (SIMD vectors, cache lines)
// so no two threads share them. Used by the activation kernels, the
// optimizer step and the column-split GEMM.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>

namespace actlab::detail {

// f(begin, end) on `threads` threads (one call in the caller when <= 1).
// Workers run in the caller's floating-point mode (MXCSR: flush-to-zero and
// rounding), which OpenMP does not pass on: a kernel behaves the same on any
// thread count.
template <class F>
void ParallelRanges(size_t units, int threads, size_t granule, const F& f) {
  if (threads <= 1 || units == 0) {
    f(size_t{0}, units);
    return;
  }
#if defined(__x86_64__) || defined(__i386__)
  const unsigned caller_csr = __builtin_ia32_stmxcsr();
#endif
#pragma omp parallel num_threads(threads)
  {
#if defined(__x86_64__) || defined(__i386__)
    const unsigned own_csr = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(caller_csr);
#endif
    const size_t id = static_cast<size_t>(omp_get_thread_num());
    const size_t nt = static_cast<size_t>(omp_get_num_threads());
    const size_t per = ((units + nt - 1) / nt + granule - 1) / granule * granule;
    const size_t begin = std::min(units, id * per), end = std::min(units, begin + per);
    if (begin < end) f(begin, end);
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_ldmxcsr(own_csr);
#endif
  }
}

}  // namespace actlab::detail
