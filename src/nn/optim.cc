// Optimizers (torch.optim's update rules), learning-rate schedules and
// gradient clipping. The updates are one fused pass over the parameters per
// step, compiled once per SIMD target (foreach_target) and picked at run time.
//
// Why Highway and not plain loops for GCC to vectorise: adam, rmsprop and
// adagrad need sqrt, and with -fmath-errno (GCC's default, which neither
// #pragma GCC optimize nor the optimize attribute turns off for the built-in)
// every sqrt keeps a branch to the errno-setting libm call, so GCC leaves the
// loop scalar: adam 3.3 ns/parameter against 0.7 vectorised (235k float32,
// measured with Highway's scalar target; tests/optim_driver's bench mode).
// The kernels below are still one plain loop each: load, the update in
// torch's order, store.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/nn/optim.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <type_traits>
#include <utility>

#include "hwy/highway.h"

// Fused multiply-adds only where written (MulAdd, as torch fuses), not
// wherever GCC would contract a*b+c (its default where the target has FMA).
#pragma GCC optimize("fp-contract=off")

#ifndef ACTLAB_SRC_NN_OPTIM_SHARED_
#define ACTLAB_SRC_NN_OPTIM_SHARED_
namespace actlab::optim_detail {

enum class Kind { kSgd, kAdam, kAdamW, kRmsprop, kAdagrad };

// One step's work: the buffers and the step's scalars, already rounded to T
// (torch passes Python floats, which the kernels round to the tensor's type).
template <class T>
struct StepCall {
  Kind kind = Kind::kSgd;
  size_t n = 0;
  T* p = nullptr;
  const T* g = nullptr;
  // sgd: s0 momentum_buffer. adam(w): s0 exp_avg, s1 exp_avg_sq.
  // rmsprop: s0 square_avg, s1 momentum_buffer, s2 grad_avg. adagrad: s0 sum.
  T* s0 = nullptr;
  T* s1 = nullptr;
  T* s2 = nullptr;
  bool l2 = false;        // g += wd p
  bool momentum = false;  // sgd, rmsprop
  bool first = false;     // sgd: the momentum buffer starts as g
  bool nesterov = false;
  bool centered = false;
  bool decoupled = false;  // adamw: p *= decay first
  T neg_step = 0;  // sgd, rmsprop: -lr; adam(w): -lr / (1 - b1^t); adagrad: -lr / (1 + (t-1) lr_decay)
  T wd = 0;
  T decay = 1;             // adamw: 1 - lr wd
  T mom = 0;
  T one_minus_damp = 1;
  T b1 = 0, one_minus_b1 = 0, b2 = 0, one_minus_b2 = 0, sqrt_bc2 = 1;  // adam(w)
  T alpha = 0, one_minus_alpha = 0;                                  // rmsprop
  T eps = 0;
};

}  // namespace actlab::optim_detail
#endif  // ACTLAB_SRC_NN_OPTIM_SHARED_

HWY_BEFORE_NAMESPACE();
namespace actlab::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using optim_detail::Kind;
using optim_detail::StepCall;

// f(std::bool_constant<b>...) for the runtime flags b..., so each loop variant
// is compiled without branches inside.
template <class F>
void WithFlags(const F& f) {
  f();
}
template <class F, class... B>
void WithFlags(const F& f, bool b, B... rest) {
  if (b)
    WithFlags([&](auto... c) { f(std::true_type{}, c...); }, rest...);
  else
    WithFlags([&](auto... c) { f(std::false_type{}, c...); }, rest...);
}

// body(d, i) on whole vectors, then lane by lane on the tail (a one-lane
// vector, so the tail rounds exactly like the body).
template <class T, class Body>
HWY_INLINE void ForEach(size_t n, const Body& body) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) body(d, i);
  const hn::CappedTag<T, 1> d1;
  for (; i < n; ++i) body(d1, i);
}

// torch's CPU kernels (1.13, AVX2/AVX-512) fuse in two places, mirrored here
// with MulAdd: add_(x, alpha=a) is fma(a, x, self), addcmul_(t1, t2, value=c)
// is fma(c t1, t2, self). Everything else rounds each operation: mul_,
// addcdiv_ (self + (c t1) / t2), sqrt, add_(eps). On targets without FMA
// (SSE4, scalar) MulAdd rounds the product, as torch's default kernels do.

// torch _single_tensor_sgd: d = g + wd p; b = first ? d : b momentum +
// (1 - dampening) d; d = nesterov ? d + momentum b : b; p = p - lr d.
template <class T, bool kL2, bool kMomentum, bool kFirst, bool kNesterov>
void Sgd(const StepCall<T>& c) {
  T* HWY_RESTRICT p = c.p;
  const T* HWY_RESTRICT g = c.g;
  T* HWY_RESTRICT buf = c.s0;
  const T neg_lr = c.neg_step, wd = c.wd, mom = c.mom, damp1 = c.one_minus_damp;
  ForEach<T>(c.n, [=](auto d, size_t i) HWY_ATTR {
    const auto pv = hn::LoadU(d, p + i);
    auto gv = hn::LoadU(d, g + i);
    if constexpr (kL2) gv = hn::MulAdd(hn::Set(d, wd), pv, gv);
    if constexpr (kMomentum) {
      auto bv = gv;
      if constexpr (!kFirst) bv = hn::MulAdd(hn::Set(d, damp1), gv, hn::Mul(hn::LoadU(d, buf + i), hn::Set(d, mom)));
      hn::StoreU(bv, d, buf + i);
      if constexpr (kNesterov)
        gv = hn::MulAdd(hn::Set(d, mom), bv, gv);
      else
        gv = bv;
    }
    hn::StoreU(hn::MulAdd(hn::Set(d, neg_lr), gv, pv), d, p + i);
  });
}

// torch _single_tensor_adam / _adamw: (adamw) p = p decay; (adam) g = g + wd p;
// m = m b1 + (1 - b1) g; v = v b2 + ((1 - b2) g) g;
// p = p + (neg_step m) / (sqrt(v) / sqrt_bc2 + eps).
template <class T, bool kL2, bool kDecoupled>
void Adam(const StepCall<T>& c) {
  T* HWY_RESTRICT p = c.p;
  const T* HWY_RESTRICT g = c.g;
  T* HWY_RESTRICT m = c.s0;
  T* HWY_RESTRICT v = c.s1;
  const T wd = c.wd, decay = c.decay, b1 = c.b1, c1 = c.one_minus_b1, b2 = c.b2, c2 = c.one_minus_b2;
  const T sqrt_bc2 = c.sqrt_bc2, eps = c.eps, neg_step = c.neg_step;
  ForEach<T>(c.n, [=](auto d, size_t i) HWY_ATTR {
    auto pv = hn::LoadU(d, p + i);
    auto gv = hn::LoadU(d, g + i);
    if constexpr (kDecoupled) pv = hn::Mul(pv, hn::Set(d, decay));
    if constexpr (kL2) gv = hn::MulAdd(hn::Set(d, wd), pv, gv);
    const auto mv = hn::MulAdd(hn::Set(d, c1), gv, hn::Mul(hn::LoadU(d, m + i), hn::Set(d, b1)));
    const auto vv = hn::MulAdd(hn::Mul(hn::Set(d, c2), gv), gv, hn::Mul(hn::LoadU(d, v + i), hn::Set(d, b2)));
    hn::StoreU(mv, d, m + i);
    hn::StoreU(vv, d, v + i);
    const auto denom = hn::Add(hn::Div(hn::Sqrt(vv), hn::Set(d, sqrt_bc2)), hn::Set(d, eps));
    hn::StoreU(hn::Add(pv, hn::Div(hn::Mul(hn::Set(d, neg_step), mv), denom)), d, p + i);
  });
}

// torch _single_tensor_rmsprop: g = g + wd p; s = s alpha + ((1 - alpha) g) g;
// centered: a = a alpha + (1 - alpha) g, r = sqrt(s - a a) + eps, else
// r = sqrt(s) + eps; momentum: b = b momentum + g / r, p = p - lr b; else
// p = p + (-lr g) / r.
template <class T, bool kL2, bool kCentered, bool kMomentum>
void Rmsprop(const StepCall<T>& c) {
  T* HWY_RESTRICT p = c.p;
  const T* HWY_RESTRICT g = c.g;
  T* HWY_RESTRICT sq = c.s0;
  T* HWY_RESTRICT buf = c.s1;
  T* HWY_RESTRICT ga = c.s2;
  const T wd = c.wd, alpha = c.alpha, ca = c.one_minus_alpha, eps = c.eps, mom = c.mom, neg_lr = c.neg_step;
  ForEach<T>(c.n, [=](auto d, size_t i) HWY_ATTR {
    const auto pv = hn::LoadU(d, p + i);
    auto gv = hn::LoadU(d, g + i);
    if constexpr (kL2) gv = hn::MulAdd(hn::Set(d, wd), pv, gv);
    const auto sv = hn::MulAdd(hn::Mul(hn::Set(d, ca), gv), gv, hn::Mul(hn::LoadU(d, sq + i), hn::Set(d, alpha)));
    hn::StoreU(sv, d, sq + i);
    auto r = sv;
    if constexpr (kCentered) {
      const auto av = hn::MulAdd(hn::Set(d, ca), gv, hn::Mul(hn::LoadU(d, ga + i), hn::Set(d, alpha)));
      hn::StoreU(av, d, ga + i);
      r = hn::MulAdd(hn::Neg(av), av, sv);  // addcmul(a, a, value=-1)
    }
    r = hn::Add(hn::Sqrt(r), hn::Set(d, eps));
    if constexpr (kMomentum) {
      const auto bv = hn::Add(hn::Mul(hn::LoadU(d, buf + i), hn::Set(d, mom)), hn::Div(gv, r));
      hn::StoreU(bv, d, buf + i);
      hn::StoreU(hn::MulAdd(hn::Set(d, neg_lr), bv, pv), d, p + i);
    } else {
      hn::StoreU(hn::Add(pv, hn::Div(hn::Mul(hn::Set(d, neg_lr), gv), r)), d, p + i);
    }
  });
}

// torch _single_tensor_adagrad: g = g + wd p; S = S + g g;
// p = p + (neg_step g) / (sqrt(S) + eps).
template <class T, bool kL2>
void Adagrad(const StepCall<T>& c) {
  T* HWY_RESTRICT p = c.p;
  const T* HWY_RESTRICT g = c.g;
  T* HWY_RESTRICT sum = c.s0;
  const T wd = c.wd, eps = c.eps, neg_step = c.neg_step;
  ForEach<T>(c.n, [=](auto d, size_t i) HWY_ATTR {
    const auto pv = hn::LoadU(d, p + i);
    auto gv = hn::LoadU(d, g + i);
    if constexpr (kL2) gv = hn::MulAdd(hn::Set(d, wd), pv, gv);
    const auto sv = hn::MulAdd(gv, gv, hn::LoadU(d, sum + i));
    hn::StoreU(sv, d, sum + i);
    const auto r = hn::Add(hn::Sqrt(sv), hn::Set(d, eps));
    hn::StoreU(hn::Add(pv, hn::Div(hn::Mul(hn::Set(d, neg_step), gv), r)), d, p + i);
  });
}

template <class T>
void Step(const StepCall<T>& c) {
  switch (c.kind) {
    case Kind::kSgd:
      WithFlags(
          [&](auto l2, auto mom, auto first, auto nest) {
            // Without momentum the first/nesterov variants are the same loop.
            if constexpr (decltype(mom)::value || (!decltype(first)::value && !decltype(nest)::value))
              Sgd<T, decltype(l2)::value, decltype(mom)::value, decltype(first)::value, decltype(nest)::value>(c);
          },
          c.l2, c.momentum, c.momentum && c.first, c.momentum && c.nesterov);
      break;
    case Kind::kAdam:
    case Kind::kAdamW:
      WithFlags([&](auto l2, auto dec) { Adam<T, decltype(l2)::value, decltype(dec)::value>(c); }, c.l2,
                c.decoupled);
      break;
    case Kind::kRmsprop:
      WithFlags(
          [&](auto l2, auto cen, auto mom) {
            Rmsprop<T, decltype(l2)::value, decltype(cen)::value, decltype(mom)::value>(c);
          },
          c.l2, c.centered, c.momentum);
      break;
    case Kind::kAdagrad:
      WithFlags([&](auto l2) { Adagrad<T, decltype(l2)::value>(c); }, c.l2);
      break;
  }
}

// Sum of x^2 in double (float squares are exact in double, so only the sums
// round), four accumulators for the adds' latency.
template <class T>
double SumSquares(const T* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<double> dd;
  const size_t N = hn::Lanes(dd);
  auto load = [&](auto d, size_t i) HWY_ATTR {
    if constexpr (std::is_same_v<T, double>) {
      return hn::LoadU(d, x + i);
    } else {
      const hn::Rebind<float, decltype(d)> df;
      return hn::PromoteTo(d, hn::LoadU(df, x + i));
    }
  };
  auto a0 = hn::Zero(dd), a1 = hn::Zero(dd), a2 = hn::Zero(dd), a3 = hn::Zero(dd);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    const auto v0 = load(dd, i), v1 = load(dd, i + N), v2 = load(dd, i + 2 * N), v3 = load(dd, i + 3 * N);
    a0 = hn::Add(a0, hn::Mul(v0, v0));
    a1 = hn::Add(a1, hn::Mul(v1, v1));
    a2 = hn::Add(a2, hn::Mul(v2, v2));
    a3 = hn::Add(a3, hn::Mul(v3, v3));
  }
  for (; i + N <= n; i += N) {
    const auto v = load(dd, i);
    a0 = hn::Add(a0, hn::Mul(v, v));
  }
  double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
  for (; i < n; ++i) sum += double(x[i]) * double(x[i]);
  return sum;
}

template <class T>
void Scale(T* HWY_RESTRICT x, size_t n, T s) {
  ForEach<T>(n, [=](auto d, size_t i) HWY_ATTR { hn::StoreU(hn::Mul(hn::LoadU(d, x + i), hn::Set(d, s)), d, x + i); });
}

// Comparisons are false for NaN, so NaN passes through (as torch.clamp).
template <class T>
void Clamp(T* HWY_RESTRICT x, size_t n, T c) {
  ForEach<T>(n, [=](auto d, size_t i) HWY_ATTR {
    const auto v = hn::LoadU(d, x + i);
    const auto hi = hn::Set(d, c), lo = hn::Set(d, -c);
    hn::StoreU(hn::IfThenElse(hn::Lt(v, lo), lo, hn::IfThenElse(hn::Gt(v, hi), hi, v)), d, x + i);
  });
}

void StepF32(const StepCall<float>& c) { Step(c); }
void StepF64(const StepCall<double>& c) { Step(c); }
double SumSquaresF32(const float* x, size_t n) { return SumSquares(x, n); }
double SumSquaresF64(const double* x, size_t n) { return SumSquares(x, n); }
void ScaleF32(float* x, size_t n, float s) { Scale(x, n, s); }
void ScaleF64(double* x, size_t n, double s) { Scale(x, n, s); }
void ClampF32(float* x, size_t n, float c) { Clamp(x, n, c); }
void ClampF64(double* x, size_t n, double c) { Clamp(x, n, c); }

}  // namespace actlab::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "actlab/activation.h"  // edit_distance
#include "actlab/optim.h"
#include "src/common/parallel.h"

namespace actlab {
HWY_EXPORT(StepF32);
HWY_EXPORT(StepF64);
HWY_EXPORT(SumSquaresF32);
HWY_EXPORT(SumSquaresF64);
HWY_EXPORT(ScaleF32);
HWY_EXPORT(ScaleF64);
HWY_EXPORT(ClampF32);
HWY_EXPORT(ClampF64);

namespace {
using optim_detail::Kind;
using optim_detail::StepCall;

void RunStep(const StepCall<float>& c) { HWY_DYNAMIC_DISPATCH(StepF32)(c); }
void RunStep(const StepCall<double>& c) { HWY_DYNAMIC_DISPATCH(StepF64)(c); }
double RunSumSquares(const float* x, size_t n) { return HWY_DYNAMIC_DISPATCH(SumSquaresF32)(x, n); }
double RunSumSquares(const double* x, size_t n) { return HWY_DYNAMIC_DISPATCH(SumSquaresF64)(x, n); }
void RunScale(float* x, size_t n, float s) { HWY_DYNAMIC_DISPATCH(ScaleF32)(x, n, s); }
void RunScale(double* x, size_t n, double s) { HWY_DYNAMIC_DISPATCH(ScaleF64)(x, n, s); }
void RunClamp(float* x, size_t n, float c) { HWY_DYNAMIC_DISPATCH(ClampF32)(x, n, c); }
void RunClamp(double* x, size_t n, double c) { HWY_DYNAMIC_DISPATCH(ClampF64)(x, n, c); }

// The update is elementwise, so blocks of parameters are independent: large
// models are split across actlab::threads() (a 235k-parameter step is memory
// bound, ~0.1-0.2 ms on one core), in whole cache lines, in the caller's
// floating-point mode (the trainer flushes subnormals).
template <class T>
void RunParallel(const StepCall<T>& c) {
  constexpr size_t kMinPerThread = size_t{1} << 15;
  const int t = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads()), c.n / kMinPerThread));
  detail::ParallelRanges(c.n, t, 64, [&](size_t begin, size_t end) {
    StepCall<T> part = c;
    part.n = end - begin;
    part.p += begin;
    part.g += begin;
    if (part.s0) part.s0 += begin;
    if (part.s1) part.s1 += begin;
    if (part.s2) part.s2 += begin;
    RunStep(part);
  });
}

constexpr std::array<std::string_view, 5> kOptimizers = {"sgd", "adam", "adamw", "rmsprop", "adagrad"};
constexpr std::array<std::string_view, 3> kSchedules = {"constant", "step", "cosine"};

[[noreturn]] void Fail(std::string_view flag, std::string_view problem, std::string_view fix) {
  throw Error(fmt::format("{}: {}; {}", flag, problem, fix));
}

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// "--optimizer: unknown optimizer 'adm'; did you mean adam? (one of sgd, adam, ...)"
template <size_t K>
[[noreturn]] void FailUnknown(std::string_view flag, std::string_view what, const std::string& name,
                              const std::array<std::string_view, K>& known) {
  std::string_view best;
  size_t best_distance = ~size_t{0};
  for (std::string_view k : known) {
    const size_t dist = edit_distance(name, k);
    if (dist < best_distance) best_distance = dist, best = k;
  }
  std::string list;
  for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
  const bool close = best_distance <= std::max<size_t>(2, name.size() / 2);
  Fail(flag, fmt::format("unknown {} '{}'", what, name),
       close ? fmt::format("did you mean {}? (one of {})", best, list) : fmt::format("use one of {}", list));
}

// A number's range check: ok is false for NaN too (every test is written so).
void Require(bool ok, std::string_view flag, double got, std::string_view range, std::string_view fix) {
  if (!ok) Fail(flag, fmt::format("must be {} (got {})", range, got), fix);
}

Kind KindOf(const std::string& kind) {
  if (kind == "sgd") return Kind::kSgd;
  if (kind == "adam") return Kind::kAdam;
  if (kind == "adamw") return Kind::kAdamW;
  if (kind == "rmsprop") return Kind::kRmsprop;
  return Kind::kAdagrad;  // validated() admitted only the five
}

template <class T>
class TorchOptimizer final : public Optimizer<T> {
 public:
  TorchOptimizer(OptimizerConfig c, size_t n) : Optimizer<T>(std::move(c)), n_(n) {
    const OptimizerConfig& k = this->config_;
    kind_ = KindOf(k.kind);
    auto add = [&](int slot, const char* name, double init) {
      names_[slot] = name;
      slots_[slot].assign(n, static_cast<T>(init));
    };
    switch (kind_) {
      case Kind::kSgd:
        if (k.momentum != 0) add(0, "momentum_buffer", 0);
        break;
      case Kind::kAdam:
      case Kind::kAdamW:
        add(0, "exp_avg", 0);
        add(1, "exp_avg_sq", 0);
        break;
      case Kind::kRmsprop:
        add(0, "square_avg", 0);
        if (k.momentum > 0) add(1, "momentum_buffer", 0);
        if (k.centered) add(2, "grad_avg", 0);
        break;
      case Kind::kAdagrad:
        add(0, "sum", k.initial_accumulator);
        break;
    }
  }

  void step(T* params, const T* grads, double lr) override {
    if (!(std::isfinite(lr) && lr >= 0))
      Fail("optimizer step", fmt::format("learning rate {} is not finite and >= 0", lr),
           "check --lr and the schedule");
    if (n_ != 0 && (params == nullptr || grads == nullptr))
      Fail("optimizer step", "null parameters or gradients", "pass the n-value buffers the optimizer was made for");
    for (int s = 0; s < 3; ++s)
      if (!names_[s].empty() && slots_[s].size() != n_)
        Fail(fmt::format("optimizer state '{}'", names_[s]),
             fmt::format("has {} values, not the optimizer's {}", slots_[s].size(), n_),
             "restore buffers of the parameters' size");
    const OptimizerConfig& k = this->config_;
    StepCall<T> c;
    c.kind = kind_;
    c.n = n_;
    c.p = params;
    c.g = grads;
    c.s0 = slots_[0].data();
    c.s1 = slots_[1].data();
    c.s2 = slots_[2].data();
    c.l2 = kind_ != Kind::kAdamW && k.weight_decay != 0;
    c.wd = static_cast<T>(k.weight_decay);
    c.eps = static_cast<T>(k.eps);
    c.neg_step = static_cast<T>(-lr);
    const double t = static_cast<double>(this->steps + 1);  // torch increments before the update
    switch (kind_) {
      case Kind::kSgd:
        c.momentum = k.momentum != 0;
        c.first = this->steps == 0;
        c.nesterov = k.nesterov;
        c.mom = static_cast<T>(k.momentum);
        c.one_minus_damp = static_cast<T>(1 - k.dampening);
        break;
      case Kind::kAdam:
      case Kind::kAdamW: {
        c.decoupled = kind_ == Kind::kAdamW && k.weight_decay != 0;  // p * 1 is p
        c.decay = static_cast<T>(1 - lr * k.weight_decay);
        c.b1 = static_cast<T>(k.beta1);
        c.one_minus_b1 = static_cast<T>(1 - k.beta1);
        c.b2 = static_cast<T>(k.beta2);
        c.one_minus_b2 = static_cast<T>(1 - k.beta2);
        const double bc1 = 1 - std::pow(k.beta1, t), bc2 = 1 - std::pow(k.beta2, t);
        c.neg_step = static_cast<T>(-(lr / bc1));
        c.sqrt_bc2 = static_cast<T>(std::sqrt(bc2));
        break;
      }
      case Kind::kRmsprop:
        c.momentum = k.momentum > 0;
        c.centered = k.centered;
        c.mom = static_cast<T>(k.momentum);
        c.alpha = static_cast<T>(k.alpha);
        c.one_minus_alpha = static_cast<T>(1 - k.alpha);
        break;
      case Kind::kAdagrad:
        c.neg_step = static_cast<T>(-(lr / (1 + (t - 1) * k.lr_decay)));
        break;
    }
    RunParallel(c);
    ++this->steps;
  }

  std::vector<std::pair<std::string, std::vector<T>*>> state() override {
    std::vector<std::pair<std::string, std::vector<T>*>> out;
    for (int s = 0; s < 3; ++s)
      if (!names_[s].empty()) out.emplace_back(names_[s], &slots_[s]);
    return out;
  }

 private:
  size_t n_;
  Kind kind_;
  std::array<std::string, 3> names_;  // empty: slot unused
  std::array<std::vector<T>, 3> slots_;
};

}  // namespace

OptimizerConfig validated(OptimizerConfig c) {
  c.kind = Lower(c.kind);
  if (std::find(kOptimizers.begin(), kOptimizers.end(), c.kind) == kOptimizers.end())
    FailUnknown("--optimizer", "optimizer", c.kind, kOptimizers);
  const Kind kind = KindOf(c.kind);
  const bool sgd = kind == Kind::kSgd, adam = kind == Kind::kAdam || kind == Kind::kAdamW;
  const bool rmsprop = kind == Kind::kRmsprop, adagrad = kind == Kind::kAdagrad;

  // A field the optimizer ignores must keep its default: a silently unused
  // --momentum on adam is a wrong experiment, not a harmless one.
  const OptimizerConfig def;
  auto unused = [&](bool set, bool used, std::string_view flag, std::string_view users) {
    if (set && !used) Fail(flag, fmt::format("not used by {} (only by {})", c.kind, users), "drop it");
  };
  unused(c.momentum != def.momentum, sgd || rmsprop, "--momentum", "sgd, rmsprop");
  unused(c.dampening != def.dampening, sgd, "--dampening", "sgd");
  unused(c.nesterov != def.nesterov, sgd, "--nesterov", "sgd");
  unused(c.beta1 != def.beta1, adam, "--beta1", "adam, adamw");
  unused(c.beta2 != def.beta2, adam, "--beta2", "adam, adamw");
  unused(c.eps != def.eps, !sgd, "--eps", "adam, adamw, rmsprop, adagrad");
  unused(c.alpha != def.alpha, rmsprop, "--alpha", "rmsprop");
  unused(c.centered != def.centered, rmsprop, "--centered", "rmsprop");
  unused(c.lr_decay != def.lr_decay, adagrad, "--lr-decay", "adagrad");
  unused(c.initial_accumulator != def.initial_accumulator, adagrad, "--initial-accumulator", "adagrad");

  Require(std::isfinite(c.lr) && c.lr > 0, "--lr", c.lr, "finite and > 0", "e.g. --lr 0.01");
  if (c.weight_decay < 0) c.weight_decay = kind == Kind::kAdamW ? 1e-2 : 0.0;
  Require(std::isfinite(c.weight_decay) && c.weight_decay >= 0, "--weight-decay", c.weight_decay,
          "finite and >= 0", "e.g. --weight-decay 1e-4, or 0 for none");
  if (sgd || rmsprop)
    Require(c.momentum >= 0 && c.momentum < 1, "--momentum", c.momentum, "in [0, 1)", "e.g. --momentum 0.9");
  if (sgd) {
    Require(c.dampening >= 0 && c.dampening <= 1, "--dampening", c.dampening, "in [0, 1]", "e.g. --dampening 0");
    if (c.nesterov && !(c.momentum > 0 && c.dampening == 0))
      Fail("--nesterov", fmt::format("needs --momentum > 0 and dampening 0 (torch's rule; got momentum {}, "
                                     "dampening {})", c.momentum, c.dampening),
           "add --momentum 0.9 and drop --dampening, or drop --nesterov");
  }
  if (adam) {
    Require(c.beta1 >= 0 && c.beta1 < 1, "--beta1", c.beta1, "in [0, 1)", "e.g. --beta1 0.9");
    Require(c.beta2 >= 0 && c.beta2 < 1, "--beta2", c.beta2, "in [0, 1)", "e.g. --beta2 0.999");
  }
  if (!sgd) {
    if (c.eps < 0) c.eps = adagrad ? 1e-10 : 1e-8;
    Require(std::isfinite(c.eps) && c.eps > 0, "--eps", c.eps, "finite and > 0", "e.g. --eps 1e-8");
  }
  if (rmsprop) Require(c.alpha >= 0 && c.alpha < 1, "--alpha", c.alpha, "in [0, 1)", "e.g. --alpha 0.99");
  if (adagrad) {
    Require(std::isfinite(c.lr_decay) && c.lr_decay >= 0, "--lr-decay", c.lr_decay, "finite and >= 0",
            "e.g. --lr-decay 0");
    Require(std::isfinite(c.initial_accumulator) && c.initial_accumulator >= 0, "--initial-accumulator",
            c.initial_accumulator, "finite and >= 0", "e.g. --initial-accumulator 0.1");
  }
  return c;
}

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerConfig& config, size_t n) {
  return std::make_unique<TorchOptimizer<T>>(validated(config), n);
}
template std::unique_ptr<Optimizer<float>> make_optimizer<float>(const OptimizerConfig&, size_t);
template std::unique_ptr<Optimizer<double>> make_optimizer<double>(const OptimizerConfig&, size_t);

ScheduleConfig validated(ScheduleConfig s) {
  s.kind = Lower(s.kind);
  if (std::find(kSchedules.begin(), kSchedules.end(), s.kind) == kSchedules.end())
    FailUnknown("--schedule", "schedule", s.kind, kSchedules);
  const ScheduleConfig def;
  if (s.kind == "step") {
    if (s.step_size < 1) Fail("--step-size", "must be >= 1 for --schedule step (got 0)", "e.g. --step-size 10");
    Require(s.gamma > 0 && s.gamma <= 1, "--gamma", s.gamma, "in (0, 1]", "e.g. --gamma 0.1");
  } else {
    if (s.step_size != def.step_size)
      Fail("--step-size", fmt::format("only used by --schedule step (got --schedule {})", s.kind), "drop it");
    if (s.gamma != def.gamma)
      Fail("--gamma", fmt::format("only used by --schedule step (got --schedule {})", s.kind), "drop it");
  }
  if (s.kind == "cosine")
    Require(std::isfinite(s.min_lr) && s.min_lr >= 0, "--min-lr", s.min_lr, "finite and >= 0", "e.g. --min-lr 0");
  else if (s.min_lr != def.min_lr)
    Fail("--min-lr", fmt::format("only used by --schedule cosine (got --schedule {})", s.kind), "drop it");
  return s;
}

double scheduled_lr(const ScheduleConfig& config, double base_lr, size_t step, size_t steps_per_epoch,
                    size_t total_steps) {
  const ScheduleConfig s = validated(config);
  Require(std::isfinite(base_lr) && base_lr > 0, "--lr", base_lr, "finite and > 0", "e.g. --lr 0.01");
  const size_t W = s.warmup_steps;
  // LinearLR's closed form: start + (end - start) * min(total, t) / total.
  double warm = 1;
  if (step < W) {
    const double start = 1.0 / static_cast<double>(W);
    warm = start + (1.0 - start) * static_cast<double>(step) / static_cast<double>(W);
  }
  if (s.kind == "step") {
    if (steps_per_epoch == 0)
      Fail("step schedule", "steps per epoch is 0", "give the number of batches per epoch");
    const size_t k = step / steps_per_epoch / s.step_size;
    return base_lr * std::pow(s.gamma, static_cast<double>(k)) * warm;
  }
  if (s.kind == "cosine") {
    if (W >= total_steps)
      Fail("--warmup", fmt::format("{} leaves none of the run's {} steps to the cosine schedule", W, total_steps),
           "use fewer warm-up steps");
    if (step < W) return base_lr * warm;
    const double T_max = static_cast<double>(total_steps - W);
    const double u = static_cast<double>(std::min(step - W, total_steps - W));
    // CosineAnnealingLR's closed form, in its order of operations.
    return s.min_lr + (base_lr - s.min_lr) * (1 + std::cos(std::numbers::pi * u / T_max)) / 2;
  }
  return base_lr * warm;
}

template <class T>
double clip_grad_norm(T* grads, size_t n, double max_norm) {
  Require(std::isfinite(max_norm) && max_norm > 0, "--clip-norm", max_norm, "finite and > 0",
          "e.g. --clip-norm 1");
  if (n != 0 && grads == nullptr) Fail("clip_grad_norm", "null gradients", "pass the n-value gradient buffer");
  const double norm = std::sqrt(RunSumSquares(grads, n));
  if (!std::isfinite(norm)) return norm;
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1) RunScale(grads, n, static_cast<T>(coef));
  return norm;
}
template double clip_grad_norm<float>(float*, size_t, double);
template double clip_grad_norm<double>(double*, size_t, double);

template <class T>
void clip_grad_value(T* grads, size_t n, double clip) {
  Require(std::isfinite(clip) && clip > 0, "--clip-value", clip, "finite and > 0",
          "e.g. --clip-value 1");
  if (n != 0 && grads == nullptr) Fail("clip_grad_value", "null gradients", "pass the n-value gradient buffer");
  // A limit beyond T's range clamps nothing (and would not convert to T).
  if (clip >= static_cast<double>(std::numeric_limits<T>::max())) return;
  RunClamp(grads, n, static_cast<T>(clip));
}
template void clip_grad_value<float>(float*, size_t, double);
template void clip_grad_value<double>(double*, size_t, double);

}  // namespace actlab
#endif  // HWY_ONCE
