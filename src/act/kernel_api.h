// Internal interface between the public API (api.cc: validation, threading)
// and the per-target kernels (kernels_f32.cc, kernels_f64.cc).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace actlab {

// kBackwardFromOutput: dx = dy * f'(x) computed from y = f(x), which the call
// passes as `x` (dy == nullptr: f'(x) from y).
enum KernelOp : int { kForward = 0, kBackward = 1, kDerivative = 2, kBackwardFromOutput = 3 };

// One call on a contiguous slice: elementwise (n values), GLU (n/(2K) rows of
// 2K inputs) or axis (n/K rows of K).
template <class T>
struct KernelCall {
  size_t index = 0;  // position in AllActivations
  int op = kForward;
  const T* x = nullptr;
  const T* dy = nullptr;  // backward only; nullptr means dy = 1
  T* out = nullptr;
  size_t n = 0;
  size_t axis_size = 0;
  const double* params = nullptr;
  bool stream = false;  // non-temporal stores (large outputs)
};

namespace detail {
void RunKernelF32(const KernelCall<float>& call);
void RunKernelF64(const KernelCall<double>& call);
}  // namespace detail
}  // namespace actlab
