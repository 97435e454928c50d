#include "src/nn/blas.h"
#include "src/common/parallel.h"

#include <dlfcn.h>
#include <omp.h>

#include <cstdlib>
#include <algorithm>
#include <atomic>
#include <mutex>

#include "actlab/activation.h"

namespace actlab::blas {
namespace {

// cblas.h's enum values (CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112).
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int,
                         float, float*, int);
using DgemmFn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*,
                         int, double, double*, int);
using SetThreadsFn = void (*)(int);
using CharFn = char* (*)();

struct Library {
  SgemmFn sgemm = nullptr;
  DgemmFn dgemm = nullptr;
  SetThreadsFn set_threads = nullptr;
  CharFn corename = nullptr;
  CharFn config = nullptr;
  std::string chosen;  // what we set OPENBLAS_CORETYPE to, if we did
};

// The kernel family for this CPU, named the way OPENBLAS_CORETYPE wants.
const char* core_for_this_cpu() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;  // leave OpenBLAS's own detection
}

Library load() {
  Library lib;
  if (!std::getenv("OPENBLAS_CORETYPE")) {
    if (const char* core = core_for_this_cpu()) {
      setenv("OPENBLAS_CORETYPE", core, 0);
      lib.chosen = core;
    }
  }
  void* h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!h) h = dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL);
  if (!h)
    throw Error(std::string("cannot load OpenBLAS (") + dlerror() +
                "); install it: apt-get install libopenblas0");
  lib.sgemm = reinterpret_cast<SgemmFn>(dlsym(h, "cblas_sgemm"));
  lib.dgemm = reinterpret_cast<DgemmFn>(dlsym(h, "cblas_dgemm"));
  lib.set_threads = reinterpret_cast<SetThreadsFn>(dlsym(h, "openblas_set_num_threads"));
  lib.corename = reinterpret_cast<CharFn>(dlsym(h, "openblas_get_corename"));
  lib.config = reinterpret_cast<CharFn>(dlsym(h, "openblas_get_config"));
  if (!lib.sgemm || !lib.dgemm || !lib.set_threads)
    throw Error("libopenblas.so.0 lacks cblas_sgemm/cblas_dgemm/openblas_set_num_threads; "
                "install Debian's libopenblas0");
  // OpenBLAS itself runs single-threaded; gemm() below splits the work
  // across our own OpenMP threads (see there).
  lib.set_threads(1);
  return lib;
}

const Library& library() {
  static std::once_flag once;
  static Library lib;
  std::call_once(once, [] { lib = load(); });
  return lib;
}

int I(size_t v) { return static_cast<int>(v); }

std::atomic<int> g_threads{1};

// Why our own threads: OpenBLAS's pthread workers hand off through
// sched_yield, which cost a quarter of each training step on 2 cores (perf:
// __schedule + sched_yield 25%). Here C's columns are split into one block
// per thread, each an independent single-threaded GEMM (no reduction):
//   C[:, n0:n1] = op(A) op(B)[:, n0:n1]
// and the OpenMP team that runs them stays warm between the GEMMs of a step.
template <class T, class Fn>
void split_gemm(Fn fn, bool ta, bool tb, size_t m, size_t n, size_t k, T alpha, const T* a,
                size_t lda, const T* b, size_t ldb, T beta, T* c, size_t ldc) {
  const int wanted = g_threads.load(std::memory_order_relaxed);
  // Blocks of at least 64 columns and 2^20 multiply-adds; else one call.
  const size_t by_size = std::max<size_t>(1, m * n * k >> 20);
  const int t = static_cast<int>(std::min<size_t>({static_cast<size_t>(wanted), n / 64, by_size}));
  auto call = [&](size_t n0, size_t n1) {
    const T* bb = tb ? b + n0 * ldb : b + n0;
    fn(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, I(m), I(n1 - n0), I(k), alpha, a,
       I(lda), bb, I(ldb), beta, c + n0, I(ldc));
  };
  // Column blocks rounded to 16 (one AVX-512 vector of float).
  detail::ParallelRanges(n, t, 16, call);
}

}  // namespace

void gemm(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda,
          const float* b, size_t ldb, float beta, float* c, size_t ldc) {
  split_gemm(library().sgemm, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool ta, bool tb, size_t m, size_t n, size_t k, double alpha, const double* a, size_t lda,
          const double* b, size_t ldb, double beta, double* c, size_t ldc) {
  split_gemm(library().dgemm, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void set_threads(int threads) {
  library();
  g_threads = std::max(1, threads);
}

std::string describe() {
  const Library& lib = library();
  std::string out = lib.config ? lib.config() : "OpenBLAS";
  if (lib.corename && out.find(lib.corename()) == std::string::npos) out += std::string(", ") + lib.corename() + " kernels";
  if (!lib.chosen.empty()) out += " (OPENBLAS_CORETYPE=" + lib.chosen + " set by actlab)";
  return out;
}

}  // namespace actlab::blas
