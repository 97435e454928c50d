// The GEMMs of one training step of the classic 784-256-128-10 MLP, timed one
// by one and in sequence, through the engine's own path (actlab::blas::gemm:
// OpenBLAS, columns split over actlab's threads) or through another CBLAS
// library loaded by path (its own threading), so that a GEMM for these skinny
// shapes can be chosen by measurement (issue 11, part 3).
//
//   gemm_shapes [--batch B] [--threads T] [--cblas LIBRARY.so] [--runs R]
//
// Per GEMM: microseconds per call (median of R timed blocks of calls),
// GFLOP/s, and its share of an epoch of 60000 rows; then the whole step in
// sequence (operands evicted by the other GEMMs as in training) as seconds per
// epoch and GFLOP/s. Compare the GFLOP/s with build/bench/fma_peak's ceiling.
// Inputs are fixed non-zero values (GEMM speed does not depend on them).
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "src/nn/blas.h"

namespace {

using Clock = std::chrono::steady_clock;
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                            float*, int);
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;
constexpr size_t kRows = 60000;  // Fashion-MNIST's training set

struct Gemm {
  const char* what;
  bool ta, tb;
  size_t m, n, k;
  const float *a, *b;
  size_t lda, ldb;
  float beta;
  float* c;
  size_t ldc;
  double flop() const { return 2.0 * double(m) * double(n) * double(k); }
};

double Seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Median seconds per call of fn over `runs` blocks of calls lasting >= 20 ms each.
double MedianCall(const std::function<void()>& fn, int runs) {
  for (int i = 0; i < 20; ++i) fn();  // warm-up: threads, packing buffers
  auto t0 = Clock::now();
  fn();
  const int block = std::max(1, static_cast<int>(0.02 / std::max(Seconds(t0), 1e-7)));
  std::vector<double> per_call;
  for (int r = 0; r < runs; ++r) {
    t0 = Clock::now();
    for (int i = 0; i < block; ++i) fn();
    per_call.push_back(Seconds(t0) / block);
  }
  std::nth_element(per_call.begin(), per_call.begin() + per_call.size() / 2, per_call.end());
  return per_call[per_call.size() / 2];
}

int Usage(const char* why) {
  std::fprintf(stderr, "gemm_shapes: %s\nusage: gemm_shapes [--batch B] [--threads T] [--cblas LIBRARY.so] [--runs R]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  size_t batch = 128;
  int threads = 2, runs = 7;
  std::string cblas;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage(("missing value after " + arg).c_str());
    const char* value = argv[++i];
    char* end = nullptr;
    const long v = std::strtol(value, &end, 10);
    if (arg == "--cblas") {
      cblas = value;
    } else if (*end != '\0' || v < 1 || v > 100000) {
      return Usage((arg + " takes a whole number from 1 to 100000, not '" + value + "'").c_str());
    } else if (arg == "--batch") {
      batch = static_cast<size_t>(v);
    } else if (arg == "--threads") {
      threads = static_cast<int>(v);
    } else if (arg == "--runs") {
      runs = static_cast<int>(v);
    } else {
      return Usage(("unknown option " + arg).c_str());
    }
  }

  CblasSgemm other = nullptr;
  if (!cblas.empty()) {
    void* h = dlopen(cblas.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) return Usage((std::string("cannot load ") + cblas + ": " + dlerror()).c_str());
    other = reinterpret_cast<CblasSgemm>(dlsym(h, "cblas_sgemm"));
    if (!other) return Usage((cblas + " has no cblas_sgemm").c_str());
  } else {
    actlab::blas::set_threads(threads);
  }

  const size_t B = batch;
  std::vector<float> x(B * 784, 0.5f), w1(256 * 784, 0.01f), y1(B * 256), w2(128 * 256, 0.01f), y2(B * 128),
      w3(10 * 128, 0.01f), y3(B * 10), d1(B * 256, 0.1f), d2(B * 128, 0.1f), d3(B * 10, 0.1f), dw1(256 * 784),
      dw2(128 * 256), dw3(10 * 128), dx2(B * 256), dx3(B * 128);
  // The engine's calls (src/nn/layers.cc, Dense): y = x W^T (+ b, beta = 1),
  // dW = dy^T x, dx = dy W; the first layer needs no dx.
  const std::vector<Gemm> step = {
      {"forward 1   y = x W1^T", false, true, B, 256, 784, x.data(), w1.data(), 784, 784, 1, y1.data(), 256},
      {"forward 2   y = h W2^T", false, true, B, 128, 256, y1.data(), w2.data(), 256, 256, 1, y2.data(), 128},
      {"forward 3   y = h W3^T", false, true, B, 10, 128, y2.data(), w3.data(), 128, 128, 1, y3.data(), 10},
      {"backward 3  dW = dy^T h", true, false, 10, 128, B, d3.data(), y2.data(), 10, 128, 0, dw3.data(), 128},
      {"backward 3  dx = dy W3", false, false, B, 128, 10, d3.data(), w3.data(), 10, 128, 0, dx3.data(), 128},
      {"backward 2  dW = dy^T h", true, false, 128, 256, B, d2.data(), y1.data(), 128, 256, 0, dw2.data(), 256},
      {"backward 2  dx = dy W2", false, false, B, 256, 128, d2.data(), w2.data(), 128, 256, 0, dx2.data(), 256},
      {"backward 1  dW = dy^T x", true, false, 256, 784, B, d1.data(), x.data(), 256, 784, 0, dw1.data(), 784},
  };
  const auto call = [&](const Gemm& g) {
    if (other) {
      other(kRowMajor, g.ta ? kTrans : kNoTrans, g.tb ? kTrans : kNoTrans, int(g.m), int(g.n), int(g.k), 1.0f,
            g.a, int(g.lda), g.b, int(g.ldb), g.beta, g.c, int(g.ldc));
    } else {
      actlab::blas::gemm(g.ta, g.tb, g.m, g.n, g.k, 1.0f, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc);
    }
  };
  const double steps = double((kRows + B - 1) / B);
  std::printf("GEMMs of one training step, 784-256-128-10, batch %zu (%g steps per epoch of %zu rows)\n", B, steps,
              kRows);
  std::printf("library: %s\n\n", other ? (cblas + " (its own threading)").c_str()
                                       : (actlab::blas::describe() + ", " + std::to_string(threads) +
                                          " thread(s), columns split").c_str());
  std::printf("%-26s %-15s %10s %9s %11s\n", "gemm", "m x n x k", "us/call", "GFLOP/s", "s/epoch");
  double flop = 0, alone = 0;
  for (const Gemm& g : step) {
    const double s = MedianCall([&] { call(g); }, runs);
    flop += g.flop();
    alone += s;
    const std::string shape = std::to_string(g.m) + "x" + std::to_string(g.n) + "x" + std::to_string(g.k);
    std::printf("%-26s %-15s %10.2f %9.0f %11.4f\n", g.what, shape.c_str(), s * 1e6, g.flop() / s * 1e-9, s * steps);
  }
  const double seq = MedianCall([&] {
    for (const Gemm& g : step) call(g);
  }, runs);
  std::printf("\none by one: %.4f s/epoch (%.0f GFLOP/s); in sequence: %.4f s/epoch (%.0f GFLOP/s, %.3g GEMM FLOP per epoch)\n",
              alone * steps, flop / alone * 1e-9, seq * steps, flop / seq * 1e-9, flop * steps);
  return 0;
}
