// THE table of activations: one block per activation, and the typelist at the
// bottom is the only list. Adding an activation = one block here + its tests.
//
// Each block is a struct with
//   kSpec              name, aliases, parameters (PyTorch defaults), formula,
//                      derivative, kink convention, properties, test budget;
//   kNative            true: float32 data is computed in float32 lanes (exact
//                      piecewise-linear functions); false: float32 data is
//                      promoted to float64 lanes, so a float32 result is the
//                      correctly rounded value of a far more precise one;
//   Math<T>(x, p)      the definition, generic over the number type. It is
//                      the scalar reference: tests run it in MPFR at adaptive
//                      precision to get exact values, so it states the math
//                      plainly and never trades accuracy for speed;
//   MathDeriv<T>(x, p) f'(x) with PyTorch's one-sided values at kinks;
//   Fwd / Deriv        the SIMD kernels (Highway, any target): f(x) and f'(x)
//                      on a vector; `Out` is the stored type, so float64-only
//                      refinements can be skipped for float32 results;
//   Kinks(p)           points where f' jumps (the gradient check skips them);
//   optional: DParam<T>(x, p, k) = df/dp_k for learnable parameters,
//   LimitFwd / LimitDeriv when Math gives NaN at +-inf (inf * 0),
//   kFast32 with Fwd32 / Deriv32: float32-lane kernels (vmath32) that meet
//   the float32 budget without float64 lanes (twice the lanes, no double
//   divide); the accuracy tests hold them to the same budget;
//   kFast32ForwardNonFinite: Fwd32 itself gets +-inf and NaN right, so the
//   loop skips its patch for them;
//   DerivY(d, y, p) for entries with kSpec.deriv_from_output: f'(x) from
//   y = f(x) (backward_from_output), in the lanes of the data; with
//   FromOutputValid(p) where that holds only for some parameters.
//
// This file is included once per SIMD target (kernels_*.cc, foreach_target)
// and once for the static target (registry.cc, tests): the metadata is
// constexpr, so per-target copies cost nothing.

#if defined(ACTLAB_SRC_ACT_TABLE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTLAB_SRC_ACT_TABLE_INL_H_
#undef ACTLAB_SRC_ACT_TABLE_INL_H_
#else
#define ACTLAB_SRC_ACT_TABLE_INL_H_
#endif

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "actlab/activation.h"
#include "hwy/highway.h"
#include "src/act/vmath-inl.h"
#include "src/act/vmath32-inl.h"

HWY_BEFORE_NAMESPACE();
namespace actlab::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ---- shared pieces -----------------------------------------------------------
namespace tbl {
inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kAny = 1e308;  // "any finite value" bound

constexpr ParamSpec Param(std::string_view name, double def, double lo, double hi,
                          std::string_view doc, bool lo_open = false, bool hi_open = false) {
  ParamSpec s{};
  s.name = name;
  s.default_value = def;
  s.min = lo;
  s.max = hi;
  s.min_open = lo_open;
  s.max_open = hi_open;
  s.doc = doc;
  return s;
}
constexpr ParamSpec Learnable(ParamSpec s) {
  s.learnable = true;
  return s;
}
constexpr ParamSpec Required(ParamSpec s) {
  s.required = true;
  return s;
}

// sigma(z) and sigma(-z) = 1 - sigma(z) without cancellation:
// e = exp(-|z|) <= 1, a = 1/(1+e); z >= 0: (a, e*a), z < 0: (e*a, a).
template <class D, class V>
HWY_INLINE void SigmoidPair(D d, V z, V* s, V* s_neg) {
  const V one = hn::Set(d, 1.0);
  const V e = vm::Exp(d, hn::Neg(hn::Abs(z)));
  const V a = hn::Div(one, hn::Add(one, e));
  const V ea = hn::Mul(e, a);
  const auto pos = hn::Ge(z, hn::Zero(d));
  *s = hn::IfThenElse(pos, a, ea);
  *s_neg = hn::IfThenElse(pos, ea, a);
}
template <class D, class V>
HWY_INLINE V Sigmoid(D d, V z) {
  V s, sn;
  SigmoidPair(d, z, &s, &sn);
  return s;
}
// a*b - fl(a*b) exactly: the vector math's TwoProd for the lane type (an
// fma where the target has one, Dekker's product where it does not).
template <class D, class V>
HWY_INLINE V ProductError(D d, V a, V b) {
  V err;
  if constexpr (sizeof(hn::TFromD<D>) == 8) {
    vm::TwoProd(d, a, b, &err);
  } else {
    vm32::TwoProd(d, a, b, &err);
  }
  return err;
}

// f'(x) near a zero r of f' (the minima of gelu, gelu_tanh, silu, mish).
// There f' is a difference of terms ~0.3 and its relative error grows like
// 1/|x - r| without bound, so within |x - r| < 0.45 the float64 kernels
// switch to the Taylor series f'(r + d) = sum_{k>=1} c_k d^k, where
// d = (x_hi - r_hi) - r_lo + x_lo is exact to ~2^-106 (x_hi - r_hi exactly,
// by Sterbenz's lemma). S::kRootHi/Lo and S::kRootSeries come from
// scripts/root_series.py (mpmath, 60 digits; truncation error < 2^-64).
// In float32 lanes the first 14 terms suffice (truncation < 2^-30, checked
// by the script) and r is split into two floats.
template <class S, class D, class V>
HWY_INLINE V NearRoot(D d, V x_hi, V x_lo, V direct) {
  using T = hn::TFromD<D>;
  const T r_hi = T(S::kRootHi);
  const T r_lo = T((S::kRootHi - double(r_hi)) + S::kRootLo);
  const V dd = hn::Add(hn::Sub(hn::Sub(x_hi, hn::Set(d, r_hi)), hn::Set(d, r_lo)), x_lo);
  const auto near = hn::Lt(hn::Abs(dd), hn::Set(d, T(0.45)));  // WINDOW in the script
  if (HWY_LIKELY(hn::AllFalse(d, near))) return direct;
  constexpr size_t n = sizeof(T) == 4 ? 14 : sizeof(S::kRootSeries) / sizeof(double);
  V acc = hn::Set(d, T(S::kRootSeries[n - 1]));
  for (size_t k = n - 1; k-- > 0;) acc = hn::MulAdd(acc, dd, hn::Set(d, T(S::kRootSeries[k])));
  return hn::IfThenElse(near, hn::Mul(acc, dd), direct);
}

// sigma(z) and sigma(-z) for z = zh + zl (a double-double or float-float;
// zl may be zero): the low part enters through e^-|z| = e^-|zh| (1 - sign(zh)
// zl). Needed where z is a rounded product and sigma(z) ~ e^z turns its
// rounding into a relative error |z| times larger (200 ULP at z = -70).
// float32 lanes use ExpFast and the rcp14 + Newton reciprocal (~0.5 ULP).
template <class D, class V>
HWY_INLINE void SigmoidPairLo(D d, V zh, V zl, V* s, V* s_neg) {
  using T = hn::TFromD<D>;
  const V one = hn::Set(d, T(1));
  const auto pos = hn::Ge(zh, hn::Zero(d));
  const V neg_abs = hn::Neg(hn::Abs(zh));
  V e;
  if constexpr (sizeof(T) == 8) {
    e = vm::Exp(d, neg_abs);
  } else {
    e = vm32::ExpFast(d, neg_abs);
  }
  e = hn::NegMulAdd(e, hn::IfThenElse(pos, zl, hn::Neg(zl)), e);
  V a;
  if constexpr (sizeof(T) == 8) {
    a = hn::Div(one, hn::Add(one, e));
  } else {
    a = vm32::detail::Recip(d, hn::Add(one, e));
  }
  const V ea = hn::Mul(e, a);
  *s = hn::IfThenElse(pos, a, ea);
  *s_neg = hn::IfThenElse(pos, ea, a);
}


// float32 lanes whose result falls into the float subnormals through a
// product (x * sigma(x), x * Phi(x)) would amplify the subnormal rounding of
// the smaller factor; such vectors (rare) are recomputed in float64 lanes with
// the entry's float64 kernel and rounded once.
template <class A, bool kDeriv, class D, class V, class M>
HWY_INLINE V Float64Lanes(D d, V x, M mask, V r, const double* p) {
  if (HWY_LIKELY(hn::AllFalse(d, mask))) return r;
  const V r64 = vm32::detail::ViaF64(d, x, x, [p](auto dd, auto a, auto) HWY_ATTR {
    if constexpr (kDeriv) return A::template Deriv<float>(dd, a, p);
    else return A::template Fwd<float>(dd, a, p);
  });
  return hn::IfThenElse(mask, r64, r);
}

// float32 lanes: log(1 + u) for u = e^-|z| in [0, 1] (softplus, logsigmoid),
// as u P(u) with P(u) ~ log1p(u)/u: degree-10 Chebyshev fit on [0, 1] with
// float coefficients, relative error 2.2e-9 = 0.04 ULP (mpmath chebyfit,
// 40 digits; the evaluation adds < 1 ULP). Three times faster than a general
// log1p, which must also handle large arguments.
template <class D, class V>
HWY_INLINE V Log1pUnit32(D d, V u) {
  constexpr float kP[] = {0.001986696617677808f, -0.013187826611101627f, 0.04100657254457474f,
                          -0.08188040554523468f, 0.12377995997667313f,   -0.16087622940540314f,
                          0.19885820150375366f,  -0.24986496567726135f,  0.33332496881484985f,
                          -0.4999997913837433f,  1.0f};
  V acc = hn::Set(d, kP[0]);
  for (size_t k = 1; k < sizeof(kP) / sizeof(float); ++k) acc = hn::MulAdd(acc, u, hn::Set(d, kP[k]));
  return hn::Mul(u, acc);
}

// float32 lanes: e^x - 1 for x <= 0 (elu, selu, celu), cheaper than the
// general Expm1: |x| < 0.35: Taylor x (1 + x/2 + ... + x^8/9!) (truncation
// 0.35^10/10! < 2^-36); below: ExpFast(x) - 1, where |e^x - 1| >= 0.295
// keeps the subtraction's cancellation under a factor 2.4 (<= 2 ULP).
template <class D, class V>
HWY_INLINE V Expm1Neg32(D d, V x) {
  const auto small = hn::Gt(x, hn::Set(d, -0.35f));
  V r = hn::Zero(d);
  if (!hn::AllTrue(d, small)) r = hn::Sub(vm32::ExpFast(d, x), hn::Set(d, 1.0f));
  if (!hn::AllFalse(d, small)) {
    V p = hn::Set(d, 1.0f / 362880);
    for (float c : {1.0f / 40320, 1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f})
      p = hn::MulAdd(p, x, hn::Set(d, c));
    r = hn::IfThenElse(small, hn::Mul(x, p), r);
  }
  return r;
}

// ---- float32 lanes with float64 parameters, exactly --------------------------
// Piecewise-linear entries compare and scale float32 x by float64 parameters;
// these keep the result what float64 arithmetic rounded once would give.
// x > c (float x, double c) <=> x >= the smallest float above c.
// (Bit arithmetic rather than std::nextafter: pure inline code, so the
// compiler hoists it out of the kernel loops.)
inline float NextFloat(float f, bool up) {
  if (f == 0) return up ? std::numeric_limits<float>::denorm_min() : -std::numeric_limits<float>::denorm_min();
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  return std::bit_cast<float>((f > 0) == up ? bits + 1 : bits - 1);
}
inline float FloatAbove(double c) {
  const float f = float(c);
  return double(f) > c ? f : NextFloat(f, true);
}
// x < c <=> x <= the largest float below c.
inline float FloatBelow(double c) {
  const float f = float(c);
  return double(f) < c ? f : NextFloat(f, false);
}
// round(x * c) for double c = ch + cl (two floats): the product's error from
// TwoProd and x*cl are added before the one rounding that matters.
// Valid where the product's error term neither underflows nor overflows
// (2^-60 <= |x| <= 2^100, see OutsideMulRange): callers send other lanes to
// float64 lanes (Float64Lanes), which round x * c once.
template <class D, class V>
HWY_INLINE V MulByDouble32(D d, V x, double c) {
  const float ch = float(c), cl = float(c - double(ch));
  V err;
  const V p = vm32::TwoProd(d, x, hn::Set(d, ch), &err);
  return hn::Add(p, hn::MulAdd(x, hn::Set(d, cl), err));
}
template <class D, class V>
HWY_INLINE auto OutsideMulRange(D d, V x) {
  const V ax = hn::Abs(x);
  return hn::And(hn::Or(hn::Lt(ax, hn::Set(d, 0x1p-60f)), hn::Gt(ax, hn::Set(d, 0x1p100f))),
                 hn::Ne(ax, hn::Zero(d)));
}
// x if x > 0 else round(x * c) for a float64 slope c (leaky_relu, prelu,
// rrelu), in float32 lanes: a float c needs one multiply, which rounds once;
// otherwise MulByDouble32, with the lanes outside its range (rare) in float64
// lanes. The quick range test lets zeros through to the exact one (which
// keeps them in float lanes). +-inf and NaN come out right on every path
// (inf * c, NaN), so the caller's non-finite patch is not needed.
template <class A, class D, class V>
HWY_INLINE V ScaleNegative32(D d, V x, double c, const double* p) {
  const float ch = float(c);
  const auto positive = hn::Gt(x, hn::Zero(d));
  if (double(ch) == c) return hn::IfThenElse(positive, x, hn::Mul(x, hn::Set(d, ch)));
  const V r = hn::IfThenElse(positive, x, MulByDouble32(d, x, c));
  const V ax = hn::Abs(x);
  const auto maybe_outside = hn::Or(hn::Lt(ax, hn::Set(d, 0x1p-60f)), hn::Gt(ax, hn::Set(d, 0x1p100f)));
  if (HWY_LIKELY(hn::AllFalse(d, maybe_outside))) return r;
  // +-inf: inf * c directly (the float64 detour would saturate on SCALAR).
  const V r64 = Float64Lanes<A, false>(d, x, OutsideMulRange(d, x), r, p);
  return hn::IfThenElse(hn::IsInf(x), hn::IfThenElse(positive, x, hn::Mul(x, hn::Set(d, ch))), r64);
}
// round(a / 6) for a = s + e (float-float): q = s/6, and the residual
// s - 6q is exact (fma or Dekker), so q + (s - 6q + e)/6 rounds once more.
template <class D, class V>
HWY_INLINE V DivSix32(D d, V s, V e) {
  const V six = hn::Set(d, 6.0f);
#if HWY_NATIVE_FMA
  // q = s * float(1/6) is within 1 ulp of s/6, so s - 6q is exact in one fma
  // (no divide needed).
  const V q = hn::Mul(s, hn::Set(d, 1.0f / 6));
  const V residual = hn::NegMulAdd(q, six, s);
  return hn::MulAdd(hn::Add(residual, e), hn::Set(d, 1.0f / 6), q);
#else
  const V q = hn::Div(s, six);
  V pe;
  const V p = vm32::TwoProd(d, q, six, &pe);
  // The correction is below ulp(q): multiplying by float(1/6) is exact enough.
  return hn::MulAdd(hn::Add(hn::Sub(hn::Sub(s, p), pe), e), hn::Set(d, 1.0f / 6), q);
#endif
}

// x * exp(x) for x <= 0 without losing digits when exp(x) is subnormal but
// the product is not (or is, less so): exp(x/2) is normal down to x = -1416,
// and (x * exp(x/2)) * exp(x/2) rounds into the subnormal range only once.
template <class D, class V>
HWY_INLINE V TimesExpTail(D d, V x, V e_half) {
  (void)d;
  return hn::Mul(hn::Mul(x, e_half), e_half);
}
}  // namespace tbl

// f(+-inf) and f'(+-inf): the entry's own limits where Math gives inf*0.
template <class A>
double LimitFwd(double x, const double* p) {
  if constexpr (requires { A::LimitFwd(x, p); }) return A::LimitFwd(x, p);
  else return A::template Math<double>(x, p);
}
template <class A>
double LimitDeriv(double x, const double* p) {
  if constexpr (requires { A::LimitDeriv(x, p); }) return A::LimitDeriv(x, p);
  else return A::template MathDeriv<double>(x, p);
}

// ---- identity ----------------------------------------------------------------
// f(x) = x;  f'(x) = 1.
struct Identity {
  static constexpr Spec kSpec{
      .name = "identity", .aliases = {"linear"}, .torch = "torch.nn.Identity",
      .formula = "x", .derivative = "1", .kinks = "none",
      .range_min = -tbl::kInf, .range_max = tbl::kInf, .range_text = "(-inf, inf)",
      .props = kMonotonic | kZeroCentred | kSmooth,
      .deriv_from_output = true,
      .budget = {.ulp_fwd_f32 = 0, .ulp_bwd_f32 = 0, .ulp_fwd_f64 = 0, .ulp_bwd_f64 = 0}};
  static constexpr bool kNative = true;
  template <class T> static T Math(T x, const double*) { return x; }
  template <class T> static T MathDeriv(T, const double*) { return T(1); }
  template <class Out, class D, class V> static V Fwd(D, V x, const double*) { return x; }
  template <class Out, class D, class V> static V Deriv(D d, V, const double*) { return hn::Set(d, 1); }
  template <class D, class V> static V DerivY(D d, V, const double*) { return hn::Set(d, 1); }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- step (Heaviside) -----------------------------------------------------------
// f(x) = 1 if x > 0 else 0;  f'(x) = 0 (the jump at 0 has no usable gradient:
// the reason the perceptron's step gave way to sigmoid).
struct Step {
  static constexpr Spec kSpec{
      .name = "step", .aliases = {"heaviside", "binary_step"}, .torch = "torch.heaviside(x, 0)",
      .formula = "1 if x > 0 else 0", .derivative = "0",
      .kinks = "f jumps at 0: f(0) = 0, f'(x) = 0 everywhere (no gradient flows)",
      .range_min = 0, .range_max = 1, .range_text = "{0, 1}",
      .props = kMonotonic | kBoundedBelow | kBoundedAbove,
      .deriv_from_output = true,
      .budget = {.ulp_fwd_f32 = 0, .ulp_bwd_f32 = 0, .ulp_fwd_f64 = 0, .ulp_bwd_f64 = 0}};
  static constexpr bool kNative = true;
  template <class T> static T Math(T x, const double*) { return x > T(0) ? T(1) : T(0); }
  template <class T> static T MathDeriv(T, const double*) { return T(0); }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    return hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1));
  }
  template <class Out, class D, class V> static V Deriv(D d, V, const double*) { return hn::Zero(d); }
  template <class D, class V> static V DerivY(D d, V, const double*) { return hn::Zero(d); }
  static std::vector<double> Kinks(const double*) { return {0.0}; }
};

// ---- sigmoid ----------------------------------------------------------------------
// f(x) = 1/(1+e^-x);  f'(x) = f(1-f) = e/(1+e)^2 with e = e^-|x| (symmetric;
// s(1-s) would cancel for x >> 0 and lose every digit, as PyTorch's does).
struct Sigmoid {
  static constexpr Spec kSpec{
      .name = "sigmoid", .aliases = {"logistic"}, .torch = "torch.nn.Sigmoid",
      .formula = "1 / (1 + exp(-x))", .derivative = "sigmoid(x) * (1 - sigmoid(x))", .kinks = "none",
      .range_min = 0, .range_max = 1, .range_text = "(0, 1)",
      .props = kMonotonic | kSmooth | kBoundedBelow | kBoundedAbove,
      .deriv_from_output = true,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double*) {
    using std::exp;
    return T(1) / (T(1) + exp(-x));
  }
  template <class T> static T MathDeriv(T x, const double*) {
    using std::abs;
    using std::exp;
    const T e = exp(-abs(x));  // sigma' is even; exp(-|x|) never overflows
    return e / ((T(1) + e) * (T(1) + e));
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) { return tbl::Sigmoid(d, x); }
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Fwd32(D d, V x, const double*) {
    V s, sn;
    tbl::SigmoidPairLo(d, x, hn::Zero(d), &s, &sn);
    return s;
  }
  template <class D, class V> static V Deriv32(D d, V x, const double*) {
    const V e = vm32::ExpFast(d, hn::Neg(hn::Abs(x)));
    const V q = hn::Add(hn::Set(d, 1.0f), e);
    return hn::Div(e, hn::Mul(q, q));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    const V e = vm::Exp(d, hn::Neg(hn::Abs(x)));
    const V q = hn::Add(hn::Set(d, 1.0), e);
    return hn::Div(e, hn::Mul(q, q));
  }
  // From y: f' = y (1 - y). 1 - y is exact for y >= 1/2, but y itself was
  // rounded, so for x > 0 f' keeps only the absolute error of y (ulp(1)/2):
  // the relative error grows like e^x, and f' = 0 once y rounds to 1.
  template <class D, class V> static V DerivY(D d, V y, const double*) {
    return hn::Mul(y, hn::Sub(hn::Set(d, 1), y));
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- tanh -----------------------------------------------------------------------------
// f(x) = tanh x;  f'(x) = 1 - tanh^2 x = 4e/(1+e)^2 with e = e^-2|x| (again no
// cancellation in the tails).
struct Tanh {
  static constexpr Spec kSpec{
      .name = "tanh", .aliases = {}, .torch = "torch.nn.Tanh",
      .formula = "tanh(x)", .derivative = "1 - tanh(x)^2", .kinks = "none",
      .range_min = -1, .range_max = 1, .range_text = "(-1, 1)",
      .props = kMonotonic | kZeroCentred | kSmooth | kBoundedBelow | kBoundedAbove,
      .deriv_from_output = true,
      .budget = {.lo = -20, .hi = 20}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double*) {
    using std::tanh;
    return tanh(x);
  }
  template <class T> static T MathDeriv(T x, const double*) {
    using std::abs;
    using std::exp;
    const T e = exp(-T(2) * abs(x));  // 1 - tanh^2 = sech^2 = 4e/(1+e)^2
    return T(4) * e / ((T(1) + e) * (T(1) + e));
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) { return vm::Tanh(d, x); }
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Fwd32(D d, V x, const double*) { return vm32::Tanh(d, x); }
  template <class D, class V> static V Deriv32(D d, V x, const double*) {
    const V ax = hn::Abs(x);
    const V e = vm32::ExpFast(d, hn::Neg(hn::Add(ax, ax)));
    const V q = hn::Add(hn::Set(d, 1.0f), e);
    return hn::Div(hn::Mul(hn::Set(d, 4.0f), e), hn::Mul(q, q));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    const V ax = hn::Abs(x);
    const V e = vm::Exp(d, hn::Neg(hn::Add(ax, ax)));
    const V q = hn::Add(hn::Set(d, 1.0), e);
    return hn::Div(hn::Mul(hn::Set(d, 4.0), e), hn::Mul(q, q));
  }
  // From y: f' = (1 - y)(1 + y), with the same loss as sigmoid's where |y|
  // rounds near 1 (f' = 0 once it rounds to 1).
  template <class D, class V> static V DerivY(D d, V y, const double*) {
    const V one = hn::Set(d, 1);
    return hn::Mul(hn::Sub(one, y), hn::Add(one, y));
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- relu ---------------------------------------------------------------------------------
// f(x) = max(0, x);  f'(x) = 1 if x > 0 else 0 (relu'(0) = 0, as PyTorch).
struct Relu {
  static constexpr Spec kSpec{
      .name = "relu", .aliases = {}, .torch = "torch.nn.ReLU",
      .formula = "max(0, x)", .derivative = "1 if x > 0 else 0", .kinks = "f'(0) = 0",
      .range_min = 0, .range_max = tbl::kInf, .range_text = "[0, inf)",
      .props = kMonotonic | kBoundedBelow,
      .deriv_from_output = true,
      .budget = {.ulp_fwd_f32 = 0, .ulp_bwd_f32 = 0, .ulp_fwd_f64 = 0, .ulp_bwd_f64 = 0}};
  static constexpr bool kNative = true;
  template <class T> static T Math(T x, const double*) { return x > T(0) ? x : T(0); }
  template <class T> static T MathDeriv(T x, const double*) { return x > T(0) ? T(1) : T(0); }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    return hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), x);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    return hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1));
  }
  template <class D, class V> static V DerivY(D d, V y, const double*) {
    return hn::IfThenElseZero(hn::Gt(y, hn::Zero(d)), hn::Set(d, 1));
  }
  static std::vector<double> Kinks(const double*) { return {0.0}; }
};

// ---- relu6 ----------------------------------------------------------------------------------
// f(x) = min(max(0, x), 6);  f'(x) = 1 on (0, 6), 0 elsewhere (0 at both kinks).
struct Relu6 {
  static constexpr Spec kSpec{
      .name = "relu6", .aliases = {}, .torch = "torch.nn.ReLU6",
      .formula = "min(max(0, x), 6)", .derivative = "1 if 0 < x < 6 else 0",
      .kinks = "f'(0) = 0, f'(6) = 0",
      .range_min = 0, .range_max = 6, .range_text = "[0, 6]",
      .props = kMonotonic | kBoundedBelow | kBoundedAbove,
      .deriv_from_output = true,
      .budget = {.ulp_fwd_f32 = 0, .ulp_bwd_f32 = 0, .ulp_fwd_f64 = 0, .ulp_bwd_f64 = 0}};
  static constexpr bool kNative = true;
  template <class T> static T Math(T x, const double*) {
    return x > T(0) ? (x < T(6) ? x : T(6)) : T(0);
  }
  template <class T> static T MathDeriv(T x, const double*) {
    return (x > T(0) && x < T(6)) ? T(1) : T(0);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    return hn::Min(hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), x), hn::Set(d, 6));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    const auto inside = hn::And(hn::Gt(x, hn::Zero(d)), hn::Lt(x, hn::Set(d, 6)));
    return hn::IfThenElseZero(inside, hn::Set(d, 1));
  }
  template <class D, class V> static V DerivY(D d, V y, const double*) {
    const auto inside = hn::And(hn::Gt(y, hn::Zero(d)), hn::Lt(y, hn::Set(d, 6)));
    return hn::IfThenElseZero(inside, hn::Set(d, 1));
  }
  static std::vector<double> Kinks(const double*) { return {0.0, 6.0}; }
};

// ---- leaky_relu -------------------------------------------------------------------------------
// f(x) = x if x > 0 else a*x;  f'(x) = 1 if x > 0 else a (f'(0) = a, as PyTorch).
struct LeakyRelu {
  static constexpr Spec kSpec{
      .name = "leaky_relu", .aliases = {"leakyrelu", "lrelu"}, .torch = "torch.nn.LeakyReLU",
      .formula = "x if x > 0 else negative_slope * x",
      .derivative = "1 if x > 0 else negative_slope", .kinks = "f'(0) = negative_slope",
      .params = {tbl::Param("negative_slope", 0.01, -tbl::kAny, tbl::kAny, "slope for x <= 0")},
      .num_params = 1,
      .range_min = -tbl::kInf, .range_max = tbl::kInf, .range_text = "(-inf, inf)",
      .props = kMonotonic,
      .deriv_from_output = true,
      .budget = {.ulp_fwd_f32 = 0.5, .ulp_bwd_f32 = 0.5, .ulp_fwd_f64 = 0.5, .ulp_bwd_f64 = 0.5}};
  static constexpr bool kNative = false;  // slope * x rounded once from float64
  template <class T> static T Math(T x, const double* p) { return x > T(0) ? x : T(p[0]) * x; }
  template <class T> static T MathDeriv(T x, const double* p) { return x > T(0) ? T(1) : T(p[0]); }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, hn::Mul(x, hn::Set(d, p[0])));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1), hn::Set(d, p[0]));
  }
  // float32 lanes: slope * x rounded once from the float64 slope.
  static constexpr bool kFast32 = true, kFast32DoubleParams = true, kFast32ForwardNonFinite = true;
  static double Slope32(const double* p) { return p[0]; }
  template <class D, class V> static V Fwd32(D d, V x, const double* p) {
    return tbl::ScaleNegative32<LeakyRelu>(d, x, Slope32(p), p);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) {
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0f), hn::Set(d, float(Slope32(p))));
  }
  // From y: with negative_slope >= 0 only (FromOutputValid), y > 0 exactly when x > 0.
  static bool FromOutputValid(const double* p) { return p[0] >= 0; }
  template <class D, class V> static V DerivY(D d, V y, const double* p) {
    using T = hn::TFromD<D>;
    return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), hn::Set(d, 1), hn::Set(d, T(p[0])));
  }
  static std::vector<double> Kinks(const double*) { return {0.0}; }
};

// ---- prelu --------------------------------------------------------------------------------------
// f(x) = x if x > 0 else w*x with a learned w (init 0.25); df/dw = 0 if x > 0
// else x. One shared weight here; one per channel: actlab::prelu_forward.
struct Prelu {
  static constexpr Spec kSpec{
      .name = "prelu", .aliases = {}, .torch = "torch.nn.PReLU",
      .formula = "x if x > 0 else weight * x", .derivative = "1 if x > 0 else weight",
      .kinks = "f'(0) = weight; d/dweight = x if x <= 0 else 0",
      .params = {tbl::Learnable(tbl::Param("weight", 0.25, -tbl::kAny, tbl::kAny,
                                           "learned slope for x <= 0 (init 0.25)"))},
      .num_params = 1,
      .range_min = -tbl::kInf, .range_max = tbl::kInf, .range_text = "(-inf, inf)",
      .props = kMonotonic,
      .deriv_from_output = false,
      .budget = {.ulp_fwd_f32 = 0.5, .ulp_bwd_f32 = 0.5, .ulp_fwd_f64 = 0.5, .ulp_bwd_f64 = 0.5}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double* p) { return LeakyRelu::Math(x, p); }
  template <class T> static T MathDeriv(T x, const double* p) { return LeakyRelu::MathDeriv(x, p); }
  template <class T> static T DParam(T x, const double*, int) { return x > T(0) ? T(0) : x; }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    return LeakyRelu::Fwd<Out>(d, x, p);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    return LeakyRelu::Deriv<Out>(d, x, p);
  }
  static constexpr bool kFast32 = true, kFast32DoubleParams = true, kFast32ForwardNonFinite = true;
  template <class D, class V> static V Fwd32(D d, V x, const double* p) { return LeakyRelu::Fwd32(d, x, p); }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) { return LeakyRelu::Deriv32(d, x, p); }
  static std::vector<double> Kinks(const double*) { return {0.0}; }
};

// ---- rrelu ----------------------------------------------------------------------------------------
// Randomized leaky ReLU. Training: slope ~ U(lower, upper) per element
// (actlab::rrelu_forward_train). Evaluation (this entry): the fixed slope
// (lower + upper) / 2, so f is leaky_relu with that slope.
struct Rrelu {
  static constexpr Spec kSpec{
      .name = "rrelu", .aliases = {}, .torch = "torch.nn.RReLU (eval mode)",
      .formula = "x if x > 0 else (lower + upper) / 2 * x  (training: random slope in [lower, upper])",
      .derivative = "1 if x > 0 else (lower + upper) / 2",
      .kinks = "f'(0) = (lower + upper) / 2",
      .params = {tbl::Param("lower", 1.0 / 8, -tbl::kAny, tbl::kAny, "lower bound of the random slope"),
                 tbl::Param("upper", 1.0 / 3, -tbl::kAny, tbl::kAny, "upper bound of the random slope")},
      .num_params = 2,
      .range_min = -tbl::kInf, .range_max = tbl::kInf, .range_text = "(-inf, inf)",
      .props = kMonotonic,
      .deriv_from_output = true,
      .budget = {.ulp_fwd_f32 = 1, .ulp_bwd_f32 = 1, .ulp_fwd_f64 = 1, .ulp_bwd_f64 = 1},
      .validate = [](const double* p) -> const char* {
        return p[0] <= p[1] ? nullptr : "lower must be <= upper";
      }};
  static constexpr bool kNative = false;
  static double Slope(const double* p) { return (p[0] + p[1]) / 2; }
  template <class T> static T Math(T x, const double* p) {
    return x > T(0) ? x : (T(p[0]) + T(p[1])) / T(2) * x;
  }
  template <class T> static T MathDeriv(T x, const double* p) {
    return x > T(0) ? T(1) : (T(p[0]) + T(p[1])) / T(2);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, hn::Mul(x, hn::Set(d, Slope(p))));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1), hn::Set(d, Slope(p)));
  }
  static constexpr bool kFast32 = true, kFast32DoubleParams = true, kFast32ForwardNonFinite = true;
  template <class D, class V> static V Fwd32(D d, V x, const double* p) {
    return tbl::ScaleNegative32<Rrelu>(d, x, Slope(p), p);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) {
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0f), hn::Set(d, float(Slope(p))));
  }
  // From y (eval mode), with a slope (lower + upper)/2 >= 0 only, as leaky_relu's.
  static bool FromOutputValid(const double* p) { return Slope(p) >= 0; }
  template <class D, class V> static V DerivY(D d, V y, const double* p) {
    using T = hn::TFromD<D>;
    return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), hn::Set(d, 1), hn::Set(d, T(Slope(p))));
  }
  static std::vector<double> Kinks(const double*) { return {0.0}; }
};

// ---- threshold ------------------------------------------------------------------------------------
// f(x) = x if x > threshold else value;  f'(x) = 1 if x > threshold else 0.
struct Threshold {
  static constexpr Spec kSpec{
      .name = "threshold", .aliases = {}, .torch = "torch.nn.Threshold(threshold, value)",
      .formula = "x if x > threshold else value", .derivative = "1 if x > threshold else 0",
      .kinks = "f jumps at threshold unless value = threshold; f'(threshold) = 0",
      .params = {tbl::Required(tbl::Param("threshold", 0, -tbl::kAny, tbl::kAny, "cut-off (required, as in PyTorch)")),
                 tbl::Required(tbl::Param("value", 0, -tbl::kAny, tbl::kAny, "replacement value (required)"))},
      .num_params = 2,
      // Properties and range for threshold = value = 0 (where it is relu).
      .range_min = 0, .range_max = tbl::kInf, .range_text = "{value} U (threshold, inf)",
      .props = kMonotonic | kBoundedBelow,
      .deriv_from_output = false,
      .budget = {.ulp_fwd_f32 = 0.5, .ulp_bwd_f32 = 0, .ulp_fwd_f64 = 0, .ulp_bwd_f64 = 0}};
  static constexpr bool kNative = false;  // compare with the float64 threshold
  template <class T> static T Math(T x, const double* p) { return x > T(p[0]) ? x : T(p[1]); }
  template <class T> static T MathDeriv(T x, const double* p) { return x > T(p[0]) ? T(1) : T(0); }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    return hn::IfThenElse(hn::Gt(x, hn::Set(d, p[0])), x, hn::Set(d, p[1]));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    return hn::IfThenElseZero(hn::Gt(x, hn::Set(d, p[0])), hn::Set(d, 1));
  }
  // float32 lanes: x > threshold <=> x >= c[0], the float above it.
  static constexpr bool kFast32 = true, kFast32DoubleParams = true;
  static void Prepare32(const double* p, float* c) {
    c[0] = tbl::FloatAbove(p[0]);
    c[1] = float(p[1]);
  }
  template <class D, class V> static V Fwd32(D d, V x, const float* c) {
    return hn::IfThenElse(hn::Ge(x, hn::Set(d, c[0])), x, hn::Set(d, c[1]));
  }
  template <class D, class V> static V Deriv32(D d, V x, const float* c) {
    return hn::IfThenElseZero(hn::Ge(x, hn::Set(d, c[0])), hn::Set(d, 1.0f));
  }
  static std::vector<double> Kinks(const double* p) { return {p[0]}; }
};

// ---- elu ----------------------------------------------------------------------------------------------
// f(x) = x if x > 0 else alpha*(e^x - 1);  f'(x) = 1 if x > 0 else alpha*e^x
// (f'(0) = alpha: PyTorch takes the x <= 0 branch). expm1 keeps f(-1e-30)
// exact, where e^x - 1 would give 0.
struct Elu {
  static constexpr Spec kSpec{
      .name = "elu", .aliases = {}, .torch = "torch.nn.ELU",
      .formula = "x if x > 0 else alpha * (exp(x) - 1)", .derivative = "1 if x > 0 else alpha * exp(x)",
      .kinks = "f'(0) = alpha (continuous only for alpha = 1)",
      .params = {tbl::Param("alpha", 1.0, 0, tbl::kAny, "saturation value -alpha for x -> -inf")},
      .num_params = 1,
      .range_min = -1, .range_max = tbl::kInf, .range_text = "(-alpha, inf)",
      .props = kMonotonic | kSmooth | kBoundedBelow,
      .deriv_from_output = true,
      .budget = {.lo = -30, .hi = 10}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double* p) {
    using std::expm1;
    return x > T(0) ? x : T(p[0]) * expm1(x);
  }
  template <class T> static T MathDeriv(T x, const double* p) {
    using std::exp;
    return x > T(0) ? T(1) : T(p[0]) * exp(x);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    const V neg = hn::Mul(hn::Set(d, p[0]), vm::Expm1(d, hn::Min(x, hn::Zero(d))));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, neg);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    const V neg = hn::Mul(hn::Set(d, p[0]), vm::Exp(d, hn::Min(x, hn::Zero(d))));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1), neg);
  }
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Fwd32(D d, V x, const double* p) {
    const V neg = hn::Mul(hn::Set(d, float(p[0])), tbl::Expm1Neg32(d, hn::Min(x, hn::Zero(d))));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, neg);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) {
    const V neg = hn::Mul(hn::Set(d, float(p[0])), vm32::ExpFast(d, hn::Min(x, hn::Zero(d))));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0f), neg);
  }
  // From y: f' = y + alpha for x <= 0 (alpha e^x = alpha (e^x - 1) + alpha);
  // the sum cancels as y -> -alpha, so far tails keep only y's absolute error.
  template <class D, class V> static V DerivY(D d, V y, const double* p) {
    using T = hn::TFromD<D>;
    return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), hn::Set(d, 1), hn::Add(y, hn::Set(d, T(p[0]))));
  }
  static std::vector<double> Kinks(const double*) { return {0.0}; }
};

// ---- selu ----------------------------------------------------------------------------------------------
// f(x) = scale*(x if x > 0 else alpha*(e^x - 1)) with the self-normalizing
// constants of Klambauer et al. 2017 (to full double precision).
struct Selu {
  static constexpr double kAlpha = 1.6732632423543772848170429916717;
  static constexpr double kScale = 1.0507009873554804934193349852946;
  static constexpr Spec kSpec{
      .name = "selu", .aliases = {}, .torch = "torch.nn.SELU",
      .formula = "scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha = 1.6732632423543772848, "
                 "scale = 1.0507009873554804934",
      .derivative = "scale if x > 0 else scale * alpha * exp(x)",
      .kinks = "f'(0) = scale * alpha = 1.7581 (PyTorch takes the x <= 0 branch)",
      .range_min = -1.7580993408473766, .range_max = tbl::kInf, .range_text = "(-scale*alpha, inf) = (-1.7581, inf)",
      // E[selu(z)] = 0 and Var = 1 for z ~ N(0, 1): the point of the constants.
      .props = kMonotonic | kZeroCentred | kBoundedBelow,
      .deriv_from_output = true,
      .budget = {.lo = -30, .hi = 10}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double*) {
    using std::expm1;
    return T(kScale) * (x > T(0) ? x : T(kAlpha) * expm1(x));
  }
  template <class T> static T MathDeriv(T x, const double*) {
    using std::exp;
    return x > T(0) ? T(kScale) : T(kScale) * T(kAlpha) * exp(x);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    const V neg = hn::Mul(hn::Set(d, kScale * kAlpha), vm::Expm1(d, hn::Min(x, hn::Zero(d))));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Mul(x, hn::Set(d, kScale)), neg);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    const V neg = hn::Mul(hn::Set(d, kScale * kAlpha), vm::Exp(d, hn::Min(x, hn::Zero(d))));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, kScale), neg);
  }
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Fwd32(D d, V x, const double*) {
    const V neg = hn::Mul(hn::Set(d, float(kScale * kAlpha)), tbl::Expm1Neg32(d, hn::Min(x, hn::Zero(d))));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Mul(x, hn::Set(d, float(kScale))), neg);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double*) {
    const V neg = hn::Mul(hn::Set(d, float(kScale * kAlpha)), vm32::ExpFast(d, hn::Min(x, hn::Zero(d))));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, float(kScale)), neg);
  }
  // From y: f' = y + scale alpha for x <= 0 (as elu's).
  template <class D, class V> static V DerivY(D d, V y, const double*) {
    using T = hn::TFromD<D>;
    return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), hn::Set(d, T(kScale)), hn::Add(y, hn::Set(d, T(kScale * kAlpha))));
  }
  static std::vector<double> Kinks(const double*) { return {0.0}; }
};

// ---- celu ----------------------------------------------------------------------------------------------
// f(x) = max(0,x) + min(0, alpha*(e^(x/alpha) - 1));  f'(x) = 1 if x > 0 else
// e^(x/alpha). x/alpha is rounded, and e^q amplifies an error dq into a
// relative error dq (700 ULP at q = -700), so q is carried as q + lo with
// lo = fma(-q, alpha, x)/alpha and e^(q+lo) = e^q (1 + lo).
struct Celu {
  static constexpr Spec kSpec{
      .name = "celu", .aliases = {}, .torch = "torch.nn.CELU",
      .formula = "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
      .derivative = "1 if x > 0 else exp(x / alpha)", .kinks = "f'(0) = 1 (C1 for every alpha)",
      .params = {tbl::Param("alpha", 1.0, 0, tbl::kAny, "saturation value -alpha", true)},
      .num_params = 1,
      .range_min = -1, .range_max = tbl::kInf, .range_text = "(-alpha, inf)",
      .props = kMonotonic | kSmooth | kBoundedBelow,
      .deriv_from_output = true,
      .budget = {.lo = -30, .hi = 10}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double* p) {
    using std::expm1;
    return x > T(0) ? x : T(p[0]) * expm1(x / T(p[0]));
  }
  template <class T> static T MathDeriv(T x, const double* p) {
    using std::exp;
    return x > T(0) ? T(1) : exp(x / T(p[0]));
  }
  template <class D, class V> static V Quotient(D d, V x, const double* p, V* lo) {
    const V alpha = hn::Set(d, p[0]);
    const V q = hn::Div(x, alpha);
    // x - q*alpha = (x - p) - (q*alpha - p), p = fl(q*alpha): both exact.
    const V p_ = hn::Mul(q, alpha);
    *lo = hn::Div(hn::Sub(hn::Sub(x, p_), tbl::ProductError(d, q, alpha)), alpha);
    return q;
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    V lo;
    // Below x = -800 alpha, expm1 is -1 and e^q is 0: the clamp keeps q*alpha
    // finite for the error-free product.
    const V xneg = hn::Max(hn::Min(x, hn::Zero(d)), hn::Set(d, -800 * p[0]));
    const V q = Quotient(d, xneg, p, &lo);
    const V em = vm::Expm1(d, q);
    // expm1(q + lo) = expm1(q) + lo * e^q
    const V neg = hn::Mul(hn::Set(d, p[0]), hn::MulAdd(lo, hn::Add(em, hn::Set(d, 1)), em));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, neg);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    V lo;
    const V xneg = hn::Max(hn::Min(x, hn::Zero(d)), hn::Set(d, -800 * p[0]));
    const V q = Quotient(d, xneg, p, &lo);
    const V e = vm::Exp(d, q);
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1), hn::MulAdd(e, lo, e));
  }
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Quotient32(D d, V x, const double* p, V* lo) {
    const V alpha = hn::Set(d, float(p[0]));
    const V xneg = hn::Max(hn::Min(x, hn::Zero(d)), hn::Set(d, float(-110 * p[0])));
    const V q = hn::Div(xneg, alpha);
    V err;
    const V pq = vm32::TwoProd(d, q, alpha, &err);
    *lo = hn::Div(hn::Sub(hn::Sub(xneg, pq), err), alpha);
    return q;
  }
  template <class D, class V> static V Fwd32(D d, V x, const double* p) {
    V lo;
    const V q = Quotient32(d, x, p, &lo);
    const V em = tbl::Expm1Neg32(d, q);
    const V neg = hn::Mul(hn::Set(d, float(p[0])), hn::MulAdd(lo, hn::Add(em, hn::Set(d, 1.0f)), em));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, neg);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) {
    V lo;
    const V q = Quotient32(d, x, p, &lo);
    const V e = vm32::ExpFast(d, q);
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0f), hn::MulAdd(e, lo, e));
  }
  // From y: f' = e^(x/alpha) = y/alpha + 1 for x <= 0 (as elu's).
  template <class D, class V> static V DerivY(D d, V y, const double* p) {
    using T = hn::TFromD<D>;
    const V one = hn::Set(d, 1);
    return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), one, hn::MulAdd(y, hn::Set(d, T(1.0 / p[0])), one));
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- gelu (exact, erf form) ---------------------------------------------------------------------------
// f(x) = x*Phi(x), Phi(x) = erfc(-x/sqrt2)/2;  f'(x) = Phi(x) + x*phi(x),
// phi(x) = e^(-x^2/2)/sqrt(2 pi).
// Accuracy: erfc(z) has condition number ~2z^2, so the rounding of
// z = -x/sqrt2 alone would cost 2z^2/2 ULP (900 ULP at x = -30 in float64).
// We carry z = zh + zl (double-double: fma error of x*c plus x*c_lo, with
// c = 1/sqrt2 split in two doubles) and correct erfc(zh + zl) ~ erfc(zh) -
// zl*(2/sqrt(pi)) e^(-zh^2), where (2/sqrt pi) e^(-z^2)/erfc(z) (the Mills
// ratio) lies between z + sqrt(z^2 + 4/pi) and z + sqrt(z^2 + 2); the lower
// bound is used (its few-% error matters only in a correction ~1e-13).
// phi(x) needs x^2 exactly: x^2 = h + l (fma), e^(-h/2 - l/2) = e^(-h/2)(1 - l/2).
// For float32 results none of this is needed (double lanes have 2^29 spare).
struct Gelu {
  static constexpr double kInvSqrt2 = 0.7071067811865476;
  static constexpr double kInvSqrt2Lo = -4.8336466567264565e-17;
  static constexpr double kInvSqrt2Pi = 0.3989422804014327;
  // Taylor series of f' at its zero (scripts/root_series.py; series over |d| <= 0.45, degree 28, truncation error 8.63e-26 relative).
  static constexpr double kRootHi = -0.7517915246935645, kRootLo = 1.4956759177009883e-17;
  static constexpr double kRootSeries[] = {0.4314939923140469, 0.388284982990552, -0.018199676398671087, -0.1140082332972217, -0.014771522148244337, 0.019421679838189067, 0.004539228379125415, -0.002239538068073497, -0.0007448268386746817, 0.00018633974623233514, 8.615947861116571e-05, -1.121438018842664e-05, -7.74846130700372e-06, 4.3284506257392273e-07, 5.702764979242107e-07, -1.6044265494246427e-09, -3.5459866461783865e-08, -1.396942086426202e-09, 1.90319840501314e-09, 1.4506418938779426e-10, -8.950037692726255e-11, -9.950340824808053e-12, 3.725967039270119e-12, 5.482292964742324e-13, -1.3820118240601056e-13, -2.5871508475507507e-14, 4.578167824271334e-15, 1.0789662518230159e-15};
  static constexpr Spec kSpec{
      .name = "gelu", .aliases = {"gelu_erf"}, .torch = "torch.nn.GELU(approximate='none')",
      .formula = "x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))",
      .derivative = "Phi(x) + x * exp(-x^2/2) / sqrt(2 pi)", .kinks = "none",
      .range_min = -0.16998, .range_max = tbl::kInf, .range_text = "[-0.17, inf)",
      .props = kSmooth | kBoundedBelow,
      .deriv_from_output = false,
      .budget = {.lo = -12, .hi = 12}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double*) {
    using std::erfc;
    using std::sqrt;
    return x * erfc(-x / sqrt(T(2))) / T(2);
  }
  template <class T> static T MathDeriv(T x, const double*) {
    using std::erfc;
    using std::exp;
    using std::sqrt;
    using std::atan;
    const T pi = T(4) * atan(T(1));  // exact in every number type
    return erfc(-x / sqrt(T(2))) / T(2) + x * exp(-x * x / T(2)) / sqrt(T(2) * pi);
  }
  static double LimitFwd(double x, const double*) { return x > 0 ? x : -0.0; }
  static double LimitDeriv(double x, const double*) { return x > 0 ? 1 : 0; }

  // Phi(x) to full double precision.
  template <class Out, class D, class V> static V Phi(D d, V x) {
    const V c = hn::Set(d, kInvSqrt2);
    const V p = hn::Mul(x, c);
    const V zh = hn::Neg(p);
    const V erfc_zh = vm::Erfc(d, zh);
    const V half = hn::Set(d, 0.5);
    if constexpr (sizeof(Out) == 4) {
      return hn::Mul(half, erfc_zh);
    } else {
      // zl = -(x*c - p) - x*c_lo; |x| <= 40 suffices (erfc(28.3) underflows).
      const V xc = hn::Min(hn::Max(x, hn::Set(d, -40.0)), hn::Set(d, 40.0));
      const V pc = hn::Mul(xc, c);
      const V zl = hn::Neg(hn::MulAdd(xc, hn::Set(d, kInvSqrt2Lo), tbl::ProductError(d, xc, c)));
      const V az = hn::Abs(hn::Mul(xc, c));  // clamped: az^2 stays finite
      const V mills = hn::Add(az, hn::Sqrt(hn::MulAdd(az, az, hn::Set(d, 4.0 / 3.14159265358979323846))));
      // For zh < 0 (x > 0) erfc is near 2 and the correction is negligible.
      const V rel = hn::IfThenElseZero(hn::Gt(zh, hn::Zero(d)), hn::Mul(zl, mills));
      return hn::Mul(half, hn::NegMulAdd(erfc_zh, rel, erfc_zh));
    }
  }
  // phi(x) = e^(-x^2/2)/sqrt(2 pi) with x^2 split exactly; |x| is clamped to
  // 40 (phi(40) < 1e-347 underflows to 0 anyway) so x^2 stays finite.
  template <class Out, class D, class V> static V SmallPhi(D d, V x) {
    const V xc = hn::Min(hn::Abs(x), hn::Set(d, 40.0));
    const V h = hn::Mul(xc, xc);
    const V half = hn::Set(d, 0.5);
    const V e = vm::Exp(d, hn::Neg(hn::Mul(h, half)));
    if constexpr (sizeof(Out) == 4) {
      return hn::Mul(e, hn::Set(d, kInvSqrt2Pi));
    } else {
      const V l = tbl::ProductError(d, xc, xc);
      return hn::Mul(hn::NegMulAdd(hn::Mul(e, half), l, e), hn::Set(d, kInvSqrt2Pi));
    }
  }
  // x < -37 (float64 results near the subnormals): Phi(x) = phi(x)/|x| S(x)
  // with Mills' asymptotic series S = 1 - 1/x^2 + 3/x^4 - 15/x^6 + ... (8
  // terms: < 2^-56 there), so f = -phi(x) S(x) and f' = -phi(x)(|x| - S/|x|);
  // e^(-x^2/2) is applied as e^(-x^2/4) twice so that only the last product
  // rounds into the subnormals.
  template <bool kDeriv, class D, class V> static V Tail(D d, V x, V r) {
    const auto far = hn::Lt(x, hn::Set(d, -37.0));
    if (HWY_LIKELY(hn::AllFalse(d, far))) return r;
    const V t = hn::Min(hn::Abs(x), hn::Set(d, 40.0));  // beyond 40 everything is 0
    const V w = hn::Div(hn::Set(d, 1.0), hn::Mul(t, t));
    V sum = hn::Set(d, -135135.0);
    for (double c : {10395.0, -945.0, 105.0, -15.0, 3.0, -1.0, 1.0}) sum = hn::MulAdd(sum, w, hn::Set(d, c));
    const V h = hn::Mul(t, t);
    const V l = tbl::ProductError(d, t, t);
    const V quarter = vm::Exp(d, hn::Mul(h, hn::Set(d, -0.25)));
    const V scale = hn::Mul(hn::NegMulAdd(l, hn::Set(d, 0.5), hn::Set(d, 1.0)), hn::Set(d, kInvSqrt2Pi));
    const V k = kDeriv ? hn::Sub(t, hn::Div(sum, t)) : sum;
    const V v = hn::Neg(hn::Mul(hn::Mul(hn::Mul(k, scale), quarter), quarter));
    return hn::IfThenElse(far, v, r);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    const V r = hn::Mul(x, Phi<Out>(d, x));
    if constexpr (sizeof(Out) == 8) return Tail<false>(d, x, r);
    return r;
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    const V r = hn::MulAdd(x, SmallPhi<Out>(d, x), Phi<Out>(d, x));
    if constexpr (sizeof(Out) == 8) return Tail<true>(d, x, tbl::NearRoot<Gelu>(d, x, hn::Zero(d), r));
    return r;
  }
  // float32 lanes: the same plan with float-float pieces; erfc(zh + zl) from
  // vmath32's ErfcDD, x^2 split by TwoProd, the zero of f' by its series.
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Phi32(D d, V x) {
    const float c = float(kInvSqrt2), c_lo = float((kInvSqrt2 - double(c)) + kInvSqrt2Lo);
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -20.0f)), hn::Set(d, 20.0f));
    V err;
    const V p = vm32::TwoProd(d, xc, hn::Set(d, c), &err);
    const V zl = hn::Neg(hn::MulAdd(xc, hn::Set(d, c_lo), err));
    return hn::Mul(hn::Set(d, 0.5f), vm32::ErfcDD(d, hn::Neg(p), zl));
  }
  template <class D, class V> static V Fwd32(D d, V x, const double* p) {
    return tbl::Float64Lanes<Gelu, false>(d, x, hn::Lt(x, hn::Set(d, -12.0f)), hn::Mul(x, Phi32(d, x)), p);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) {
    const V xc = hn::Min(hn::Abs(x), hn::Set(d, 16.0f));  // phi(16) underflows float
    V l;
    const V h = vm32::TwoProd(d, xc, xc, &l);
    const V half = hn::Set(d, 0.5f);
    const V e = vm32::ExpFast(d, hn::Neg(hn::Mul(h, half)));
    const V phi = hn::Mul(hn::NegMulAdd(hn::Mul(e, half), l, e), hn::Set(d, float(kInvSqrt2Pi)));
    const V r = tbl::NearRoot<Gelu>(d, x, hn::Zero(d), hn::MulAdd(x, phi, Phi32(d, x)));
    return tbl::Float64Lanes<Gelu, true>(d, x, hn::Lt(x, hn::Set(d, -12.0f)), r, p);
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- gelu_tanh -------------------------------------------------------------------------------------------
// f(x) = x/2 (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3). Written as
// f = x*sigma(2u) since 1 + tanh u = 2 sigma(2u): no cancellation as u -> -inf.
// f'(x) = sigma(2u) (1 + 2x u' sigma(-2u)), u' = sqrt(2/pi)(1 + 3*0.044715 x^2).
// x is clamped to [-50, 50] inside (x^3 would overflow; at |x| = 50, 2u is
// ~9000 and sigma(-2u) is 0 in double), so f(+big) = x, f(-big) = -0.
struct GeluTanh {
  static constexpr double kK = 0.7978845608028654;  // sqrt(2/pi)
  static constexpr double kC = 0.044715;
  // Taylor series of f' at its zero (scripts/root_series.py; series over |d| <= 0.45, degree 28, truncation error 3.53e-21 relative).
  static constexpr double kRootHi = -0.7524614220710162, kRootLo = -3.473691681308185e-17;
  static constexpr double kRootSeries[] = {0.43040009102485854, 0.38751844613578895, -0.015782853521848016, -0.11394448308095902, -0.01661932834305258, 0.019682309459833125, 0.005261059254921919, -0.0024227318458750974, -0.0009274420230205465, 0.0002639276405268103, 0.0001242522780263981, -3.495617169443604e-05, -1.5950896871645142e-05, 5.91861171089399e-06, 2.433551634429959e-06, -9.898647747433641e-07, -4.310248298802907e-07, 1.4157556987729436e-07, 7.52074090928993e-08, -1.6978217459780963e-08, -1.1961808479724423e-08, 1.7637802707907462e-09, 1.7449871378466231e-09, -1.7088112169517202e-10, -2.433873557833451e-10, 1.687283177355529e-11, 3.393384490409005e-11, -1.6704708256434323e-12};
  static constexpr Spec kSpec{
      .name = "gelu_tanh", .aliases = {"gelu_approx"}, .torch = "torch.nn.GELU(approximate='tanh')",
      .formula = "x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))",
      .derivative = "s + 2 x s (1 - s) sqrt(2/pi) (1 + 0.134145 x^2), s = sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))",
      .kinks = "none",
      .range_min = -0.17005, .range_max = tbl::kInf, .range_text = "[-0.17, inf)",
      .props = kSmooth | kBoundedBelow,
      .deriv_from_output = false,
      .budget = {.lo = -12, .hi = 12}};
  static constexpr bool kNative = false;
  template <class T> static T U(T x) { return T(kK) * (x + T(kC) * x * x * x); }
  // (1 + tanh u)/2 = sigma(2u) and (1 - tanh^2 u)/4 = sigma(2u) sigma(-2u):
  // the same function without the cancellation that would need thousands of
  // bits of working precision in the tails.
  template <class T> static T Math(T x, const double*) {
    using std::exp;
    return x / (T(1) + exp(T(-2) * U(x)));
  }
  template <class T> static T MathDeriv(T x, const double*) {
    using std::exp;
    const T s = T(1) / (T(1) + exp(T(-2) * U(x)));
    const T sn = T(1) / (T(1) + exp(T(2) * U(x)));
    return s + T(2) * x * s * sn * T(kK) * (T(1) + T(3) * T(kC) * x * x);
  }
  static double LimitFwd(double x, const double*) { return x > 0 ? x : -0.0; }
  static double LimitDeriv(double x, const double*) { return x > 0 ? 1 : 0; }
  // 2u = 2k x (1 + c x^2). For float64 results it is carried as a
  // double-double (each product's error by ProductError, the sum by 2Sum), as
  // sigma(2u) ~ e^2u would turn a rounding of 2u into |2u| ULP.
  // Float64 results: where 2u = v + vl < -700, sigma(2u) = e^v (1 + vl) is
  // subnormal, and x * sigma (f) or (1 + x u' sigma(-2u)) * sigma (f') would
  // amplify its rounding: those products take e^(v/2) twice instead.
  template <bool kDeriv, class D, class V> static V Tail(D d, V xc, V r) {
    V v_lo;
    const V v = TwoUDD(d, xc, &v_lo);
    const auto far = hn::Lt(v, hn::Set(d, -700.0));
    if (HWY_LIKELY(hn::AllFalse(d, far))) return r;
    const V eh = vm::Exp(d, hn::Mul(v, hn::Set(d, 0.5)));
    const V du = hn::Mul(hn::Set(d, 2 * kK), hn::MulAdd(hn::Set(d, 3 * kC), hn::Mul(xc, xc), hn::Set(d, 1)));
    const V k = kDeriv ? hn::MulAdd(xc, du, hn::Set(d, 1)) : xc;  // x = xc where v > -9000
    const V t = hn::Mul(hn::Mul(k, hn::Add(hn::Set(d, 1), v_lo)), eh);
    return hn::IfThenElse(far, hn::Mul(t, eh), r);
  }
  template <class D, class V> static V TwoUDD(D d, V xc, V* v_lo) {
    const V two_k = hn::Set(d, 2 * kK), c = hn::Set(d, kC), one = hn::Set(d, 1);
    const V x2 = hn::Mul(xc, xc);
    const V x2_lo = tbl::ProductError(d, xc, xc);
    const V cx2 = hn::Mul(c, x2);
    const V cx2_lo = hn::MulAdd(c, x2_lo, tbl::ProductError(d, c, x2));
    V t_lo;
    const V t = vm::TwoSum(d, one, cx2, &t_lo);
    t_lo = hn::Add(t_lo, cx2_lo);
    const V p = hn::Mul(xc, t);
    const V p_lo = hn::MulAdd(xc, t_lo, tbl::ProductError(d, xc, t));
    const V v = hn::Mul(two_k, p);
    *v_lo = hn::MulAdd(two_k, p_lo, tbl::ProductError(d, two_k, p));
    return v;
  }
  template <class Out, class D, class V> static void TwoU(D d, V xc, V* sn, V* s) {
    const V two_k = hn::Set(d, 2 * kK), c = hn::Set(d, kC), one = hn::Set(d, 1);
    const V x2 = hn::Mul(xc, xc);
    if constexpr (sizeof(Out) == 4) {
      tbl::SigmoidPair(d, hn::Mul(hn::Mul(two_k, xc), hn::MulAdd(c, x2, one)), s, sn);
    } else {
      V v_lo;
      const V v = TwoUDD(d, xc, &v_lo);
      tbl::SigmoidPairLo(d, v, v_lo, s, sn);
    }
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -50)), hn::Set(d, 50));
    V s, sn;
    TwoU<Out>(d, xc, &sn, &s);
    if constexpr (sizeof(Out) == 8) return Tail<false>(d, xc, hn::Mul(x, s));
    return hn::Mul(x, s);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -50)), hn::Set(d, 50));
    V s, sn;
    TwoU<Out>(d, xc, &sn, &s);
    const V du = hn::Mul(hn::Set(d, 2 * kK), hn::MulAdd(hn::Set(d, 3 * kC), hn::Mul(xc, xc), hn::Set(d, 1)));
    const V r = hn::Mul(s, hn::MulAdd(hn::Mul(xc, du), sn, hn::Set(d, 1)));
    if constexpr (sizeof(Out) == 8) return Tail<true>(d, xc, tbl::NearRoot<GeluTanh>(d, x, hn::Zero(d), r));
    return r;
  }
  // float32 lanes: 2u as a float-float (as the float64 path), x in [-12, 12]
  // (sigma(2u(12)) = e^-146 is 0 in float).
  static constexpr bool kFast32 = true;
  template <class D, class V> static void TwoU32(D d, V xc, V* s, V* sn) {
    const V two_k = hn::Set(d, float(2 * kK)), c = hn::Set(d, float(kC)), one = hn::Set(d, 1.0f);
    const float two_k_lo = float(2 * kK - double(float(2 * kK))), c_lo = float(kC - double(float(kC)));
    V x2_lo, cx2_lo, t_lo, p_lo, v_lo;
    const V x2 = vm32::TwoProd(d, xc, xc, &x2_lo);
    const V cx2 = vm32::TwoProd(d, c, x2, &cx2_lo);
    cx2_lo = hn::MulAdd(c, x2_lo, hn::MulAdd(hn::Set(d, c_lo), x2, cx2_lo));
    const V t = vm32::detail::TwoSum(one, cx2, &t_lo);
    t_lo = hn::Add(t_lo, cx2_lo);
    const V p = vm32::TwoProd(d, xc, t, &p_lo);
    p_lo = hn::MulAdd(xc, t_lo, p_lo);
    const V v = vm32::TwoProd(d, two_k, p, &v_lo);
    v_lo = hn::MulAdd(two_k, p_lo, hn::MulAdd(hn::Set(d, two_k_lo), p, v_lo));
    tbl::SigmoidPairLo(d, v, v_lo, s, sn);
  }
  template <class D, class V> static V Fwd32(D d, V x, const double* p) {
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -12.0f)), hn::Set(d, 12.0f));
    V s, sn;
    TwoU32(d, xc, &s, &sn);
    return tbl::Float64Lanes<GeluTanh, false>(d, x, hn::Lt(x, hn::Set(d, -9.0f)), hn::Mul(x, s), p);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) {
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -12.0f)), hn::Set(d, 12.0f));
    V s, sn;
    TwoU32(d, xc, &s, &sn);
    const V du = hn::Mul(hn::Set(d, float(2 * kK)),
                         hn::MulAdd(hn::Set(d, float(3 * kC)), hn::Mul(xc, xc), hn::Set(d, 1.0f)));
    const V r = hn::Mul(s, hn::MulAdd(hn::Mul(xc, du), sn, hn::Set(d, 1.0f)));
    return tbl::Float64Lanes<GeluTanh, true>(d, x, hn::Lt(x, hn::Set(d, -9.0f)),
                                             tbl::NearRoot<GeluTanh>(d, x, hn::Zero(d), r), p);
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- silu / swish ------------------------------------------------------------------------------------------
// f(x) = x*sigma(beta x);  f'(x) = sigma(bx) (1 + bx sigma(-bx));
// df/dbeta = x^2 sigma(bx) sigma(-bx). beta = 1 is PyTorch's SiLU; a learnable
// beta is Swish (Ramachandran et al. 2017).
struct Silu {
  // Taylor series of g(z) = sigma(z)(1 + z sigma(-z)) = f'(x), z = beta x, at its zero (scripts/root_series.py; series over |d| <= 0.45, degree 28, truncation error 7.13e-24 relative).
  static constexpr double kRootHi = -1.2784645427610737, kRootLo = -1.0946994183093437e-16;
  static constexpr double kRootSeries[] = {0.2178117057198001, 0.1466487969969469, 0.018874814223782312, -0.015222655223188032, -0.006606589138356696, 0.000126627410081122, 0.0007985218818397998, 0.00018570724361186496, -4.090534237428612e-05, -2.9733542213263917e-05, -2.942631888842464e-06, 2.346029682463866e-06, 8.599695028268575e-07, -3.051244750055421e-08, -9.266646309267441e-08, -1.8877622907727957e-08, 4.619379769031606e-09, 2.9177603026903803e-09, 2.3648315053103244e-10, -2.251366201881081e-10, -7.50344609385287e-11, 3.998547874723996e-12, 8.04274075537398e-12, 1.4842855116792256e-12, -4.1428341124873365e-13, -2.3496573817834053e-13, -1.5376365106809265e-14, 1.8397842645887054e-14};
  static constexpr Spec kSpec{
      .name = "silu", .aliases = {"swish"}, .torch = "torch.nn.SiLU (beta = 1)",
      .formula = "x * sigmoid(beta * x)",
      .derivative = "s * (1 + beta x (1 - s)), s = sigmoid(beta * x)", .kinks = "none",
      .params = {tbl::Learnable(tbl::Param("beta", 1.0, -tbl::kAny, tbl::kAny, "slope inside the sigmoid (learnable Swish-beta)"))},
      .num_params = 1,
      .range_min = -0.27847, .range_max = tbl::kInf, .range_text = "[-0.2785, inf)",
      .props = kSmooth | kBoundedBelow,
      .deriv_from_output = false,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double* p) {
    using std::exp;
    return x / (T(1) + exp(-T(p[0]) * x));
  }
  template <class T> static T MathDeriv(T x, const double* p) {
    using std::exp;
    const T s = T(1) / (T(1) + exp(-T(p[0]) * x));
    return s * (T(1) + T(p[0]) * x * (T(1) - s));
  }
  template <class T> static T DParam(T x, const double* p, int) {
    using std::exp;
    const T s = T(1) / (T(1) + exp(-T(p[0]) * x));
    return x * x * s * (T(1) - s);
  }
  static double LimitFwd(double x, const double* p) { return x * p[0] > 0 ? x : (x > 0 ? 0.0 : -0.0); }
  static double LimitDeriv(double x, const double* p) { return x * p[0] > 0 ? 1 : 0; }
  // Float64 results where z < -700: sigma(z) = e^z is subnormal, so x*sigma
  // and (1 + z) sigma take e^(z/2) twice (one rounding into the subnormals).
  template <bool kDeriv, class D, class V> static V Tail(D d, V x, V z, V r) {
    const auto far = hn::Lt(z, hn::Set(d, -700.0));
    if (HWY_LIKELY(hn::AllFalse(d, far))) return r;
    const V eh = vm::Exp(d, hn::Mul(z, hn::Set(d, 0.5)));
    const V k = kDeriv ? hn::Add(z, hn::Set(d, 1.0)) : x;
    return hn::IfThenElse(far, hn::Mul(hn::Mul(k, eh), eh), r);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    const V z = hn::Mul(hn::Set(d, p[0]), x);
    V s, sn;
    tbl::SigmoidPair(d, z, &s, &sn);
    if constexpr (sizeof(Out) == 8) return Tail<false>(d, x, z, hn::Mul(x, s));
    return hn::Mul(x, s);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    const V beta = hn::Set(d, p[0]);
    const V z = hn::Mul(beta, x);
    V s, sn;
    tbl::SigmoidPair(d, z, &s, &sn);
    const V r = hn::Mul(s, hn::MulAdd(z, sn, hn::Set(d, 1)));
    if constexpr (sizeof(Out) == 8) {
      const V xc = hn::Min(hn::Max(x, hn::Set(d, -1e300)), hn::Set(d, 1e300));
      return Tail<true>(d, x, z, tbl::NearRoot<Silu>(d, z, tbl::ProductError(d, beta, xc), r));
    }
    return r;
  }
  // float32 lanes: z = beta x carried as a float-float (exact for beta = 1).
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Z32(D d, V x, const double* p, V* zl) {
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -1e30f)), hn::Set(d, 1e30f));
    return vm32::TwoProd(d, hn::Set(d, float(p[0])), xc, zl);
  }
  template <class D, class V> static V Fwd32(D d, V x, const double* p) {
    V zl, s, sn;
    const V z = Z32(d, x, p, &zl);
    tbl::SigmoidPairLo(d, z, zl, &s, &sn);
    return tbl::Float64Lanes<Silu, false>(d, x, hn::Lt(z, hn::Set(d, -80.0f)), hn::Mul(x, s), p);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) {
    V zl, s, sn;
    const V z = Z32(d, x, p, &zl);
    tbl::SigmoidPairLo(d, z, zl, &s, &sn);
    const V r = hn::Mul(s, hn::MulAdd(z, sn, hn::Set(d, 1.0f)));
    return tbl::Float64Lanes<Silu, true>(d, x, hn::Lt(z, hn::Set(d, -80.0f)), tbl::NearRoot<Silu>(d, z, zl, r), p);
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- mish ----------------------------------------------------------------------------------------------------
// f(x) = x tanh(softplus x). With e = e^x and n = e(e+2):
// tanh(log(1+e)) = ((1+e)^2 - 1)/((1+e)^2 + 1) = n/(n+2), so f = x n/(n+2)
// (no log, no tanh, no cancellation). f'(x) = n/(n+2) + 4 x e (1+e)/(n+2)^2.
// For x > 40, n/(n+2) = 1 - 2e^-80 rounds to 1 in double: f = x, f' = 1.
struct Mish {
  // Taylor series of f' at its zero (scripts/root_series.py; series over |d| <= 0.45, degree 28, truncation error 2.83e-22 relative).
  static constexpr double kRootHi = -1.1924312145154952, kRootLo = -4.8484829848031044e-17;
  static constexpr double kRootSeries[] = {0.2669479140495345, 0.20473126408010586, 0.04190782104360987, -0.020271822716684245, -0.01582112656173338, -0.0033606849270232685, 0.0010924055409445854, 0.0009898181021289196, 0.00025412936386191073, -4.1961496031696126e-05, -5.582891567360688e-05, -1.72992708103044e-05, 9.427361327376651e-07, 2.9088199364912223e-06, 1.071676702702074e-06, 2.6879417855557728e-08, -1.4117255919499382e-07, -6.174424363104907e-08, -5.460186173028381e-09, 6.3895954615089855e-09, 3.3604012383661332e-09, 4.817646300218697e-10, -2.6751871594311224e-10, -1.7442209713382678e-10, -3.3904729895707114e-11, 1.0101727316036154e-11, 8.681382594457511e-12, 2.124385967466607e-12};
  static constexpr Spec kSpec{
      .name = "mish", .aliases = {}, .torch = "torch.nn.Mish",
      .formula = "x * tanh(softplus(x))",
      .derivative = "tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2), sp = log(1 + exp(x))",
      .kinks = "none",
      .range_min = -0.30885, .range_max = tbl::kInf, .range_text = "[-0.3088, inf)",
      .props = kSmooth | kBoundedBelow,
      .deriv_from_output = false,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double*) {
    using std::exp;
    using std::log1p;
    using std::tanh;
    return x * tanh(log1p(exp(x)));
  }
  template <class T> static T MathDeriv(T x, const double*) {
    using std::exp;
    using std::log1p;
    using std::tanh;
    const T t = tanh(log1p(exp(x)));
    const T s = T(1) / (T(1) + exp(-x));
    return t + x * s * (T(1) - t * t);
  }
  static double LimitFwd(double x, const double*) { return x > 0 ? x : -0.0; }
  static double LimitDeriv(double x, const double*) { return x > 0 ? 1 : 0; }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    const V xc = hn::Min(x, hn::Set(d, 40));
    const V e_half = vm::Exp(d, hn::Mul(xc, hn::Set(d, 0.5)));
    const V e = hn::Mul(e_half, e_half);
    const V two = hn::Set(d, 2);
    const V n = hn::Mul(e, hn::Add(e, two));
    // x*n/(n+2) = x*e*(e+2)/(n+2); x*e via the subnormal-safe product.
    const V r = hn::Div(hn::Mul(tbl::TimesExpTail(d, xc, e_half), hn::Add(e, two)), hn::Add(n, two));
    return hn::IfThenElse(hn::Gt(x, hn::Set(d, 40)), x, r);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    const V xc = hn::Min(x, hn::Set(d, 40));
    const V e_half = vm::Exp(d, hn::Mul(xc, hn::Set(d, 0.5)));
    const V e = hn::Mul(e_half, e_half);
    const V one = hn::Set(d, 1), two = hn::Set(d, 2);
    const V n = hn::Mul(e, hn::Add(e, two));
    const V q = hn::Add(n, two);
    const V t = hn::Div(n, q);
    const V xe = tbl::TimesExpTail(d, xc, e_half);
    V r = hn::Add(t, hn::Div(hn::Mul(hn::Mul(hn::Set(d, 4), xe), hn::Add(one, e)), hn::Mul(q, q)));
    if constexpr (sizeof(Out) == 8) r = tbl::NearRoot<Mish>(d, x, hn::Zero(d), r);
    return hn::IfThenElse(hn::Gt(x, hn::Set(d, 40)), one, r);
  }
  // float32 lanes: e = e^x directly (0.51 ULP); below x = -80, where e^x is
  // subnormal in float, x e^x comes from e^(x/2) twice. q = n + 2 by one fma.
  // Above x = 20, n/(n+2) = 1 - 2e^-40 rounds to 1 in float.
  static constexpr bool kFast32 = true;
  template <class D, class V> static void Parts32(D d, V x, V* e, V* xe, V* q) {
    const V xc = hn::Min(x, hn::Set(d, 20.0f));
    *e = vm32::ExpFast(d, xc);
    *xe = hn::Mul(xc, *e);
    const auto tiny = hn::Lt(xc, hn::Set(d, -80.0f));
    if (HWY_UNLIKELY(!hn::AllFalse(d, tiny))) {
      const V e_half = vm32::ExpFast(d, hn::Mul(xc, hn::Set(d, 0.5f)));
      *xe = hn::IfThenElse(tiny, tbl::TimesExpTail(d, xc, e_half), *xe);
    }
    *q = hn::MulAdd(*e, hn::Add(*e, hn::Set(d, 2.0f)), hn::Set(d, 2.0f));
  }
  template <class D, class V> static V Fwd32(D d, V x, const double*) {
    V e, xe, q;
    Parts32(d, x, &e, &xe, &q);
    const V r = hn::Div(hn::Mul(xe, hn::Add(e, hn::Set(d, 2.0f))), q);
    return hn::IfThenElse(hn::Gt(x, hn::Set(d, 20.0f)), x, r);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double*) {
    V e, xe, q;
    Parts32(d, x, &e, &xe, &q);
    const V one = hn::Set(d, 1.0f), two = hn::Set(d, 2.0f);
    const V t = hn::Div(hn::Mul(e, hn::Add(e, two)), q);
    V r = hn::Add(t, hn::Div(hn::Mul(hn::Mul(hn::Set(d, 4.0f), xe), hn::Add(one, e)), hn::Mul(q, q)));
    r = tbl::NearRoot<Mish>(d, x, hn::Zero(d), r);
    return hn::IfThenElse(hn::Gt(x, hn::Set(d, 20.0f)), one, r);
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- softplus ---------------------------------------------------------------------------------------------------
// f(x) = log(1 + e^(beta x))/beta, and x where beta x > threshold (PyTorch's
// definition: the switch is part of the function, a jump of ~2e-9 at the
// default threshold 20). log(1+e^z) = max(z,0) + log1p(e^-|z|) never
// overflows. f'(x) = sigma(beta x), 1 above the threshold.
struct Softplus {
  static constexpr Spec kSpec{
      .name = "softplus", .aliases = {}, .torch = "torch.nn.Softplus",
      .formula = "log(1 + exp(beta x)) / beta, or x where beta x > threshold",
      .derivative = "sigmoid(beta x), or 1 where beta x > threshold",
      .kinks = "f jumps by log1p(exp(-threshold))/beta at x = threshold/beta (PyTorch's linear switch)",
      .params = {tbl::Param("beta", 1.0, 0, tbl::kAny, "sharpness", true),
                 tbl::Param("threshold", 20.0, 0, tbl::kAny, "beta*x above which f(x) = x", true)},
      .num_params = 2,
      .range_min = 0, .range_max = tbl::kInf, .range_text = "(0, inf)",
      .props = kMonotonic | kSmooth | kBoundedBelow,
      .deriv_from_output = false,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double* p) {
    using std::exp;
    using std::log1p;
    const T z = T(p[0]) * x;
    return z > T(p[1]) ? x : log1p(exp(z)) / T(p[0]);
  }
  template <class T> static T MathDeriv(T x, const double* p) {
    using std::exp;
    const T z = T(p[0]) * x;
    return z > T(p[1]) ? T(1) : T(1) / (T(1) + exp(-z));
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    const V beta = hn::Set(d, p[0]);
    const V z = hn::Mul(beta, x);
    const V sp = hn::Add(hn::Max(z, hn::Zero(d)), vm::Log1p(d, vm::Exp(d, hn::Neg(hn::Abs(z)))));
    return hn::IfThenElse(hn::Gt(z, hn::Set(d, p[1])), x, hn::Div(sp, beta));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    const V z = hn::Mul(hn::Set(d, p[0]), x);
    return hn::IfThenElse(hn::Gt(z, hn::Set(d, p[1])), hn::Set(d, 1), tbl::Sigmoid(d, z));
  }
  // float32 lanes: z = beta x as a float-float; log1p(e^-|z|) gets the low
  // part as e^-|z| (1 -+ zl).
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Fwd32(D d, V x, const double* p) {
    const V beta = hn::Set(d, float(p[0]));
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -1e30f)), hn::Set(d, 1e30f));
    V zl;
    const V z = vm32::TwoProd(d, beta, xc, &zl);
    const auto pos = hn::Ge(z, hn::Zero(d));
    V e = vm32::ExpFast(d, hn::Neg(hn::Abs(z)));
    e = hn::NegMulAdd(e, hn::IfThenElse(pos, zl, hn::Neg(zl)), e);
    const V sp = hn::Add(hn::IfThenElseZero(pos, hn::Add(z, zl)), tbl::Log1pUnit32(d, e));
    return hn::IfThenElse(hn::Gt(z, hn::Set(d, float(p[1]))), x, hn::Div(sp, beta));
  }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) {
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -1e30f)), hn::Set(d, 1e30f));
    V zl, s, sn;
    const V z = vm32::TwoProd(d, hn::Set(d, float(p[0])), xc, &zl);
    tbl::SigmoidPairLo(d, z, zl, &s, &sn);
    return hn::IfThenElse(hn::Gt(z, hn::Set(d, float(p[1]))), hn::Set(d, 1.0f), s);
  }
  static std::vector<double> Kinks(const double* p) { return {p[1] / p[0]}; }
};

// ---- softsign ----------------------------------------------------------------------------------------------------
// f(x) = x/(1+|x|);  f'(x) = 1/(1+|x|)^2, computed as r*r with r = 1/(1+|x|)
// so that f'(1e160) = 1e-320 (a subnormal) rather than 1/inf = 0.
struct Softsign {
  static constexpr Spec kSpec{
      .name = "softsign", .aliases = {}, .torch = "torch.nn.Softsign",
      .formula = "x / (1 + |x|)", .derivative = "1 / (1 + |x|)^2", .kinks = "none (f'' jumps at 0)",
      .range_min = -1, .range_max = 1, .range_text = "(-1, 1)",
      .props = kMonotonic | kZeroCentred | kSmooth | kBoundedBelow | kBoundedAbove,
      .deriv_from_output = true,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double*) {
    using std::abs;
    return x / (T(1) + abs(x));
  }
  template <class T> static T MathDeriv(T x, const double*) {
    using std::abs;
    return T(1) / ((T(1) + abs(x)) * (T(1) + abs(x)));
  }
  static double LimitFwd(double x, const double*) { return x > 0 ? 1 : -1; }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    return hn::Div(x, hn::Add(hn::Set(d, 1), hn::Abs(x)));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    const V r = hn::Div(hn::Set(d, 1), hn::Add(hn::Set(d, 1), hn::Abs(x)));
    return hn::Mul(r, r);
  }
  static constexpr bool kFast32 = true;  // the same two roundings in float
  template <class D, class V> static V Fwd32(D d, V x, const double* p) { return Fwd<float>(d, x, p); }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) { return Deriv<float>(d, x, p); }
  // From y: 1/(1 + |x|) = 1 - |y|, so f' = (1 - |y|)^2; cancels as |y| -> 1.
  template <class D, class V> static V DerivY(D d, V y, const double*) {
    const V r = hn::Sub(hn::Set(d, 1), hn::Abs(y));
    return hn::Mul(r, r);
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- hardsigmoid --------------------------------------------------------------------------------------------------
// f(x) = relu6(x+3)/6 = 0 (x <= -3), 1 (x >= 3), (x+3)/6 between (PyTorch,
// JAX, Keras 3; not Keras 2's 0.2x + 0.5). f'(x) = 1/6 on (-3, 3), else 0.
struct Hardsigmoid {
  static constexpr Spec kSpec{
      .name = "hardsigmoid", .aliases = {"hard_sigmoid"}, .torch = "torch.nn.Hardsigmoid",
      .formula = "relu6(x + 3) / 6", .derivative = "1/6 if -3 < x < 3 else 0",
      .kinks = "f'(-3) = f'(3) = 0 (f' = 1/6 exactly inside; PyTorch's float64 path gives float32(1/6))",
      .range_min = 0, .range_max = 1, .range_text = "[0, 1]",
      .props = kMonotonic | kBoundedBelow | kBoundedAbove,
      .deriv_from_output = false,
      .budget = {.ulp_fwd_f32 = 0.5, .ulp_bwd_f32 = 0.5, .ulp_fwd_f64 = 1, .ulp_bwd_f64 = 0.5}};
  static constexpr bool kNative = false;  // (x+3)/6 rounded once for float32
  template <class T> static T Math(T x, const double*) {
    return x <= T(-3) ? T(0) : (x >= T(3) ? T(1) : (x + T(3)) / T(6));
  }
  template <class T> static T MathDeriv(T x, const double*) {
    return (x > T(-3) && x < T(3)) ? T(1) / T(6) : T(0);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    using T = hn::TFromD<D>;
    const V r = hn::Div(hn::Add(x, hn::Set(d, T(3))), hn::Set(d, T(6)));
    return hn::Min(hn::Max(r, hn::Zero(d)), hn::Set(d, T(1)));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    using T = hn::TFromD<D>;
    const auto inside = hn::And(hn::Gt(x, hn::Set(d, T(-3))), hn::Lt(x, hn::Set(d, T(3))));
    return hn::IfThenElseZero(inside, hn::Set(d, T(1) / T(6)));
  }
  // float32 lanes: (x + 3)/6 with x + 3 exact as a float-float, one rounding.
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Fwd32(D d, V x, const double*) {
    V e;
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -4.0f)), hn::Set(d, 4.0f));  // saturated beyond +-3
    const V s = vm32::detail::TwoSum(xc, hn::Set(d, 3.0f), &e);
    const V r = tbl::DivSix32(d, s, e);
    return hn::Min(hn::Max(r, hn::Zero(d)), hn::Set(d, 1.0f));
  }
  template <class D, class V> static V Deriv32(D d, V x, const double* p) { return Deriv<float>(d, x, p); }
  static std::vector<double> Kinks(const double*) { return {-3.0, 3.0}; }
};

// ---- hardswish ------------------------------------------------------------------------------------------------------
// f(x) = x relu6(x+3)/6: 0 (x <= -3), x (x >= 3), x(x+3)/6 between (no
// overflow: f(3e38) = 3e38). PyTorch's derivative: 0 for x < -3,
// (2x+3)/6 = x/3 + 1/2 for -3 <= x <= 3 (so f'(-3) = -0.5 and f'(3) = 1.5, one-sided
// values of the middle piece), 1 for x > 3. (2x+3)/6 is formed from x+x+3,
// exact near its root -1.5, where PyTorch's x/3 + 0.5 cancels.
struct Hardswish {
  static constexpr Spec kSpec{
      .name = "hardswish", .aliases = {"hard_swish", "hard_silu"}, .torch = "torch.nn.Hardswish",
      .formula = "x * relu6(x + 3) / 6",
      .derivative = "0 if x < -3, (2x + 3)/6 if -3 <= x <= 3, 1 if x > 3",
      .kinks = "f'(-3) = -0.5 and f'(3) = 1.5 (PyTorch's float32 values; its float64 path gives f'(3) = 1)",
      .range_min = -0.375, .range_max = tbl::kInf, .range_text = "[-0.375, inf)",
      .props = kBoundedBelow,
      .deriv_from_output = false,
      .budget = {.ulp_fwd_f32 = 0.5, .ulp_bwd_f32 = 0.5, .ulp_fwd_f64 = 2, .ulp_bwd_f64 = 1}};
  static constexpr bool kNative = false;  // float32 results rounded once
  template <class T> static T Math(T x, const double*) {
    return x <= T(-3) ? T(0) : (x >= T(3) ? x : x * (x + T(3)) / T(6));
  }
  template <class T> static T MathDeriv(T x, const double*) {
    return x < T(-3) ? T(0) : (x <= T(3) ? (T(2) * x + T(3)) / T(6) : T(1));
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    using T = hn::TFromD<D>;
    const V three = hn::Set(d, T(3));
    const V mid = hn::Div(hn::Mul(x, hn::Add(x, three)), hn::Set(d, T(6)));
    const V r = hn::IfThenElse(hn::Ge(x, three), x, mid);
    return hn::IfThenZeroElse(hn::Le(x, hn::Set(d, T(-3))), r);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    using T = hn::TFromD<D>;
    const V three = hn::Set(d, T(3));
    const V mid = hn::Div(hn::Add(hn::Add(x, x), three), hn::Set(d, T(6)));
    const V r = hn::IfThenElse(hn::Gt(x, three), hn::Set(d, T(1)), mid);
    return hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, T(-3))), r);
  }
  // float32 lanes: x (x + 3) and 2x + 3 as float-floats, then /6 rounded once.
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Fwd32(D d, V x, const double*) {
    const V three = hn::Set(d, 3.0f);
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -4.0f)), hn::Set(d, 4.0f));  // the middle piece only
    V se, pe;
    const V s = vm32::detail::TwoSum(xc, three, &se);
    const V p = vm32::TwoProd(d, xc, s, &pe);
    const V mid = tbl::DivSix32(d, p, hn::MulAdd(xc, se, pe));
    const V r = hn::IfThenElse(hn::Ge(x, three), x, mid);
    return hn::IfThenZeroElse(hn::Le(x, hn::Set(d, -3.0f)), r);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double*) {
    const V three = hn::Set(d, 3.0f);
    const V xc = hn::Min(hn::Max(x, hn::Set(d, -4.0f)), hn::Set(d, 4.0f));
    V se;
    const V s = vm32::detail::TwoSum(hn::Add(xc, xc), three, &se);
    const V r = hn::IfThenElse(hn::Gt(x, three), hn::Set(d, 1.0f), tbl::DivSix32(d, s, se));
    return hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, -3.0f)), r);
  }
  static std::vector<double> Kinks(const double*) { return {-3.0, 3.0}; }
};

// ---- hardtanh --------------------------------------------------------------------------------------------------------
// f(x) = clamp(x, min_val, max_val);  f'(x) = 1 on (min_val, max_val), else 0.
struct Hardtanh {
  static constexpr Spec kSpec{
      .name = "hardtanh", .aliases = {"hard_tanh"}, .torch = "torch.nn.Hardtanh",
      .formula = "min(max(x, min_val), max_val)", .derivative = "1 if min_val < x < max_val else 0",
      .kinks = "f'(min_val) = f'(max_val) = 0",
      .params = {tbl::Param("min_val", -1.0, -tbl::kAny, tbl::kAny, "lower clamp (< max_val)"),
                 tbl::Param("max_val", 1.0, -tbl::kAny, tbl::kAny, "upper clamp (> min_val)")},
      .num_params = 2,
      .range_min = -1, .range_max = 1, .range_text = "[min_val, max_val]",
      .props = kMonotonic | kZeroCentred | kBoundedBelow | kBoundedAbove,
      .deriv_from_output = false,
      .budget = {.ulp_fwd_f32 = 0.5, .ulp_bwd_f32 = 0, .ulp_fwd_f64 = 0, .ulp_bwd_f64 = 0},
      .validate = [](const double* p) -> const char* {
        return p[0] < p[1] ? nullptr : "min_val must be < max_val";
      }};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double* p) {
    return x < T(p[0]) ? T(p[0]) : (x > T(p[1]) ? T(p[1]) : x);
  }
  template <class T> static T MathDeriv(T x, const double* p) {
    return (x > T(p[0]) && x < T(p[1])) ? T(1) : T(0);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    return hn::Min(hn::Max(x, hn::Set(d, p[0])), hn::Set(d, p[1]));
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    const auto inside = hn::And(hn::Gt(x, hn::Set(d, p[0])), hn::Lt(x, hn::Set(d, p[1])));
    return hn::IfThenElseZero(inside, hn::Set(d, 1));
  }
  // float32 lanes: x < min_val <=> x <= c[0]; x > max_val <=> x >= c[1];
  // min_val < x <=> x >= c[2]; x < max_val <=> x <= c[3].
  static constexpr bool kFast32 = true, kFast32DoubleParams = true;
  static void Prepare32(const double* p, float* c) {
    c[0] = tbl::FloatBelow(p[0]);
    c[1] = tbl::FloatAbove(p[1]);
    c[2] = tbl::FloatAbove(p[0]);
    c[3] = tbl::FloatBelow(p[1]);
    c[4] = float(p[0]);
    c[5] = float(p[1]);
  }
  template <class D, class V> static V Fwd32(D d, V x, const float* c) {
    const V r = hn::IfThenElse(hn::Le(x, hn::Set(d, c[0])), hn::Set(d, c[4]), x);
    return hn::IfThenElse(hn::Ge(x, hn::Set(d, c[1])), hn::Set(d, c[5]), r);
  }
  template <class D, class V> static V Deriv32(D d, V x, const float* c) {
    const auto inside = hn::And(hn::Ge(x, hn::Set(d, c[2])), hn::Le(x, hn::Set(d, c[3])));
    return hn::IfThenElseZero(inside, hn::Set(d, 1.0f));
  }
  static std::vector<double> Kinks(const double* p) { return {p[0], p[1]}; }
};

// ---- logsigmoid ------------------------------------------------------------------------------------------------------
// f(x) = log sigma(x) = min(x,0) - log1p(e^-|x|);  f'(x) = sigma(-x).
struct Logsigmoid {
  static constexpr Spec kSpec{
      .name = "logsigmoid", .aliases = {"log_sigmoid"}, .torch = "torch.nn.LogSigmoid",
      .formula = "log(sigmoid(x)) = -softplus(-x)", .derivative = "sigmoid(-x) = 1 - sigmoid(x)",
      .kinks = "none",
      .range_min = -tbl::kInf, .range_max = 0, .range_text = "(-inf, 0)",
      .props = kMonotonic | kSmooth | kBoundedAbove,
      .deriv_from_output = false,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double*) {
    using std::abs;
    using std::exp;
    using std::log1p;
    using std::fmin;
    // = -log1p(e^-x), written so that e^-x cannot overflow (MPFR too).
    return fmin(x, T(0)) - log1p(exp(-abs(x)));
  }
  template <class T> static T MathDeriv(T x, const double*) {
    using std::exp;
    return T(1) / (T(1) + exp(x));
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    const V l = vm::Log1p(d, vm::Exp(d, hn::Neg(hn::Abs(x))));
    return hn::Sub(hn::Min(x, hn::Zero(d)), l);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    return tbl::Sigmoid(d, hn::Neg(x));
  }
  static constexpr bool kFast32 = true;
  template <class D, class V> static V Fwd32(D d, V x, const double*) {
    const V l = tbl::Log1pUnit32(d, vm32::ExpFast(d, hn::Neg(hn::Abs(x))));
    return hn::Sub(hn::Min(x, hn::Zero(d)), l);
  }
  template <class D, class V> static V Deriv32(D d, V x, const double*) {
    V s, sn;
    tbl::SigmoidPairLo(d, x, hn::Zero(d), &s, &sn);
    return sn;
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- tanhshrink ------------------------------------------------------------------------------------------------------
// f(x) = x - tanh x;  f'(x) = tanh^2 x.
// x - tanh x cancels for small |x| (x^3/3 at x -> 0; PyTorch returns 0 there).
// Lambert's continued fraction tanh x = x/(1 + K), K = x^2/(3 + x^2/(5 + ...)),
// gives x - tanh x = x K/(1 + K) with every term positive: no cancellation.
// On |x| < 2, 14 levels are exact to double precision (the truncation error
// falls like x^2n / ((2n+1)!!)^2). Beyond 2, x - tanh x loses < 1 bit.
struct Tanhshrink {
  static constexpr Spec kSpec{
      .name = "tanhshrink", .aliases = {"tanh_shrink"}, .torch = "torch.nn.Tanhshrink",
      .formula = "x - tanh(x)", .derivative = "tanh(x)^2", .kinks = "none",
      .range_min = -tbl::kInf, .range_max = tbl::kInf, .range_text = "(-inf, inf)",
      .props = kMonotonic | kZeroCentred | kSmooth,
      .deriv_from_output = false,
      .budget = {.lo = -20, .hi = 20}};
  static constexpr bool kNative = false;
  template <class T> static T Math(T x, const double*) {
    using std::tanh;
    return x - tanh(x);
  }
  template <class T> static T MathDeriv(T x, const double*) {
    using std::tanh;
    return tanh(x) * tanh(x);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double*) {
    const V ax = hn::Abs(x);
    const V two = hn::Set(d, 2);
    const V xs = hn::Min(ax, two);
    const V x2 = hn::Mul(xs, xs);
    // Bottom-up evaluation of 3 + x^2/(5 + x^2/(... + x^2/29)).
    V t = hn::Set(d, 29);
    for (int k = 13; k >= 1; --k) t = hn::Add(hn::Set(d, 2 * k + 1), hn::Div(x2, t));
    const V kk = hn::Div(x2, t);
    const V small = hn::Div(hn::Mul(xs, kk), hn::Add(hn::Set(d, 1), kk));
    const V large = hn::Sub(ax, vm::Tanh(d, ax));
    return hn::CopySign(hn::IfThenElse(hn::Lt(ax, two), small, large), x);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double*) {
    const V t = vm::Tanh(d, x);
    return hn::Mul(t, t);
  }
  static constexpr bool kFast32 = true;  // vmath32's TanhShrink: x^3 P(x^2) near 0
  template <class D, class V> static V Fwd32(D d, V x, const double*) { return vm32::TanhShrink(d, x); }
  template <class D, class V> static V Deriv32(D d, V x, const double*) {
    const V t = vm32::Tanh(d, x);
    return hn::Mul(t, t);
  }
  static std::vector<double> Kinks(const double*) { return {}; }
};

// ---- softshrink --------------------------------------------------------------------------------------------------------
// f(x) = x - lambd (x > lambd), x + lambd (x < -lambd), 0 between;
// f'(x) = 1 if |x| > lambd else 0.
struct Softshrink {
  static constexpr Spec kSpec{
      .name = "softshrink", .aliases = {"soft_shrink"}, .torch = "torch.nn.Softshrink",
      .formula = "x - lambd if x > lambd, x + lambd if x < -lambd, else 0",
      .derivative = "1 if |x| > lambd else 0", .kinks = "f'(+-lambd) = 0",
      .params = {tbl::Param("lambd", 0.5, 0, tbl::kAny, "half-width of the zero band")},
      .num_params = 1,
      .range_min = -tbl::kInf, .range_max = tbl::kInf, .range_text = "(-inf, inf)",
      .props = kMonotonic | kZeroCentred,
      .deriv_from_output = true,
      .budget = {.ulp_fwd_f32 = 0.5, .ulp_bwd_f32 = 0, .ulp_fwd_f64 = 0.5, .ulp_bwd_f64 = 0}};
  static constexpr bool kNative = false;  // x - lambd exact enough only in float64
  template <class T> static T Math(T x, const double* p) {
    return x > T(p[0]) ? x - T(p[0]) : (x < -T(p[0]) ? x + T(p[0]) : T(0));
  }
  template <class T> static T MathDeriv(T x, const double* p) {
    return (x > T(p[0]) || x < -T(p[0])) ? T(1) : T(0);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    const V l = hn::Set(d, p[0]);
    const V r = hn::IfThenElse(hn::Gt(x, l), hn::Sub(x, l), hn::Add(x, l));
    return hn::IfThenElseZero(hn::Gt(hn::Abs(x), l), r);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    return hn::IfThenElseZero(hn::Gt(hn::Abs(x), hn::Set(d, p[0])), hn::Set(d, 1));
  }
  // float32 lanes: |x| > lambd as |x| >= the float above lambd; |x| - lambd
  // rounded once from the float64 lambd, sign restored (f is odd).
  static constexpr bool kFast32 = true, kFast32DoubleParams = true;
  static void Prepare32(const double* p, float* c) {
    c[0] = tbl::FloatAbove(p[0]);
    c[1] = float(p[0]);                      // lambd = c[1] + c[2]
    c[2] = float(p[0] - double(c[1]));
  }
  template <class D, class V> static V Fwd32(D d, V x, const float* c) {
    const V ax = hn::Abs(x);
    V e;  // |x| - lambd rounded once: |x| - c[1] exactly (2Sum), then - c[2]
    const V s = vm32::detail::TwoSum(ax, hn::Set(d, -c[1]), &e);
    const V r = hn::CopySign(hn::Add(s, hn::Sub(e, hn::Set(d, c[2]))), x);
    return hn::IfThenElseZero(hn::Ge(ax, hn::Set(d, c[0])), r);
  }
  template <class D, class V> static V Deriv32(D d, V x, const float* c) {
    return hn::IfThenElseZero(hn::Ge(hn::Abs(x), hn::Set(d, c[0])), hn::Set(d, 1.0f));
  }
  // From y: f' = 1 where y != 0 (|x| > lambd), else 0.
  template <class D, class V> static V DerivY(D d, V y, const double*) {
    return hn::IfThenElseZero(hn::Ne(y, hn::Zero(d)), hn::Set(d, 1));
  }
  static std::vector<double> Kinks(const double* p) { return {-p[0], p[0]}; }
};

// ---- hardshrink ---------------------------------------------------------------------------------------------------------
// f(x) = x if |x| > lambd else 0;  f'(x) = 1 if |x| > lambd else 0.
struct Hardshrink {
  static constexpr Spec kSpec{
      .name = "hardshrink", .aliases = {"hard_shrink"}, .torch = "torch.nn.Hardshrink",
      .formula = "x if |x| > lambd else 0", .derivative = "1 if |x| > lambd else 0",
      .kinks = "f jumps at +-lambd; f'(+-lambd) = 0",
      .params = {tbl::Param("lambd", 0.5, 0, tbl::kAny, "half-width of the zero band")},
      .num_params = 1,
      .range_min = -tbl::kInf, .range_max = tbl::kInf, .range_text = "(-inf, -lambd) U {0} U (lambd, inf)",
      .props = kMonotonic | kZeroCentred,
      .deriv_from_output = true,
      .budget = {.ulp_fwd_f32 = 0, .ulp_bwd_f32 = 0, .ulp_fwd_f64 = 0, .ulp_bwd_f64 = 0}};
  static constexpr bool kNative = false;  // compare against the float64 lambd
  template <class T> static T Math(T x, const double* p) {
    return (x > T(p[0]) || x < -T(p[0])) ? x : T(0);
  }
  template <class T> static T MathDeriv(T x, const double* p) {
    return (x > T(p[0]) || x < -T(p[0])) ? T(1) : T(0);
  }
  template <class Out, class D, class V> static V Fwd(D d, V x, const double* p) {
    return hn::IfThenElseZero(hn::Gt(hn::Abs(x), hn::Set(d, p[0])), x);
  }
  template <class Out, class D, class V> static V Deriv(D d, V x, const double* p) {
    return hn::IfThenElseZero(hn::Gt(hn::Abs(x), hn::Set(d, p[0])), hn::Set(d, 1));
  }
  static constexpr bool kFast32 = true, kFast32DoubleParams = true;
  static void Prepare32(const double* p, float* c) { c[0] = tbl::FloatAbove(p[0]); }
  template <class D, class V> static V Fwd32(D d, V x, const float* c) {
    return hn::IfThenElseZero(hn::Ge(hn::Abs(x), hn::Set(d, c[0])), x);
  }
  template <class D, class V> static V Deriv32(D d, V x, const float* c) {
    return hn::IfThenElseZero(hn::Ge(hn::Abs(x), hn::Set(d, c[0])), hn::Set(d, 1.0f));
  }
  // From y: f' = 1 where y != 0 (|x| > lambd), else 0.
  template <class D, class V> static V DerivY(D d, V y, const double*) {
    return hn::IfThenElseZero(hn::Ne(y, hn::Zero(d)), hn::Set(d, 1));
  }
  static std::vector<double> Kinks(const double* p) { return {-p[0], p[0]}; }
};

// ---- glu --------------------------------------------------------------------------------------------------------------------
// Gated linear unit on rows of 2K: [a | b] -> a*sigma(b) (rows of K).
// VJP: da = dy sigma(b), db = dy a sigma(b) sigma(-b).
// Math/MathDeriv here are the gate alone, g(b) = sigma(b) and g'(b).
struct Glu {
  static constexpr Spec kSpec{
      .name = "glu", .aliases = {}, .torch = "torch.nn.GLU(dim=-1)",
      .formula = "a * sigmoid(b), [a | b] = halves of the last axis",
      .derivative = "da = dy * sigmoid(b), db = dy * a * sigmoid(b) * (1 - sigmoid(b))",
      .kinks = "none",
      .range_min = -tbl::kInf, .range_max = tbl::kInf, .range_text = "(-inf, inf)",
      .props = kSmooth,
      .shape = Shape::kGlu,
      .deriv_from_output = false,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
  template <class T> static T Gate(T b) {
    using std::exp;
    return T(1) / (T(1) + exp(-b));
  }
};

// ---- softmax, log_softmax, softmin ------------------------------------------------------------------------------------------
// Along rows of K (the last axis of a row-major matrix). The row kernels live
// in kernels-inl.h (they are reductions, not elementwise maps); the entries
// carry the metadata and the row-wise definitions.
//   softmax:     y_i = e^(x_i - m) / sum_j e^(x_j - m), m = max x.
//                VJP dx_i = y_i (dy_i - sum_j dy_j y_j).
//   log_softmax: y_i = (x_i - m) - log sum_j e^(x_j - m), with the sum's log
//                taken as log1p(sum of the terms other than the max one) so
//                the dominant entry's log-probability keeps its digits.
//                VJP dx_i = dy_i - softmax_i sum_j dy_j.
//   softmin:     softmax(-x). VJP dx = -(softmax VJP at -x).
enum class AxisOp { kSoftmax, kLogSoftmax, kSoftmin };
template <class T>
void AxisMathRow(AxisOp op, const T* x, T* y, size_t k) {
  using std::exp;
  using std::log;
  // Shifting by the max changes nothing mathematically and keeps exp finite
  // (MPFR overflows too, at e^(3e18)).
  const auto s = [&](size_t j) { return op == AxisOp::kSoftmin ? -x[j] : x[j]; };
  T m = s(0);
  for (size_t j = 1; j < k; ++j)
    if (s(j) > m) m = s(j);
  T sum(0);
  for (size_t j = 0; j < k; ++j) sum += exp(s(j) - m);
  for (size_t j = 0; j < k; ++j) y[j] = op == AxisOp::kLogSoftmax ? (s(j) - m) - log(sum) : exp(s(j) - m) / sum;
}
template <class T>
void AxisMathVjpRow(AxisOp op, const T* x, const T* dy, T* dx, size_t k) {
  std::vector<T> s(k, T(0));
  AxisMathRow(op == AxisOp::kLogSoftmax ? AxisOp::kSoftmax : op, x, s.data(), k);
  T dot(0);
  for (size_t j = 0; j < k; ++j) dot += op == AxisOp::kLogSoftmax ? dy[j] : dy[j] * s[j];
  for (size_t j = 0; j < k; ++j) {
    if (op == AxisOp::kLogSoftmax) dx[j] = dy[j] - s[j] * dot;
    else if (op == AxisOp::kSoftmax) dx[j] = s[j] * (dy[j] - dot);
    else dx[j] = -(s[j] * (dy[j] - dot));
  }
}
template <AxisOp kOp>
struct AxisEntry;
template <>
struct AxisEntry<AxisOp::kSoftmax> {
  static constexpr AxisOp kOp = AxisOp::kSoftmax;
  static constexpr Spec kSpec{
      .name = "softmax", .aliases = {}, .torch = "torch.nn.Softmax(dim=-1)",
      .formula = "exp(x_i) / sum_j exp(x_j) along the axis (max subtracted first)",
      .derivative = "dx_i = y_i * (dy_i - sum_j dy_j y_j)", .kinks = "none",
      .range_min = 0, .range_max = 1, .range_text = "(0, 1), rows sum to 1",
      .props = kSmooth | kBoundedBelow | kBoundedAbove,
      .shape = Shape::kAxis,
      .deriv_from_output = true,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
};
template <>
struct AxisEntry<AxisOp::kLogSoftmax> {
  static constexpr AxisOp kOp = AxisOp::kLogSoftmax;
  static constexpr Spec kSpec{
      .name = "log_softmax", .aliases = {"logsoftmax"}, .torch = "torch.nn.LogSoftmax(dim=-1)",
      .formula = "x_i - log sum_j exp(x_j) along the axis",
      .derivative = "dx_i = dy_i - softmax_i * sum_j dy_j", .kinks = "none",
      .range_min = -tbl::kInf, .range_max = 0, .range_text = "(-inf, 0]",
      .props = kSmooth | kBoundedAbove,
      .shape = Shape::kAxis,
      .deriv_from_output = true,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
};
template <>
struct AxisEntry<AxisOp::kSoftmin> {
  static constexpr AxisOp kOp = AxisOp::kSoftmin;
  static constexpr Spec kSpec{
      .name = "softmin", .aliases = {}, .torch = "torch.nn.Softmin(dim=-1)",
      .formula = "exp(-x_i) / sum_j exp(-x_j) along the axis",
      .derivative = "dx_i = -y_i * (dy_i - sum_j dy_j y_j)", .kinks = "none",
      .range_min = 0, .range_max = 1, .range_text = "(0, 1), rows sum to 1",
      .props = kSmooth | kBoundedBelow | kBoundedAbove,
      .shape = Shape::kAxis,
      .deriv_from_output = true,
      .budget = {.lo = -30, .hi = 30}};
  static constexpr bool kNative = false;
};
using Softmax = AxisEntry<AxisOp::kSoftmax>;
using LogSoftmax = AxisEntry<AxisOp::kLogSoftmax>;
using Softmin = AxisEntry<AxisOp::kSoftmin>;

// ---- the list -------------------------------------------------------------------------------------------------------------
template <class... Ts>
struct TypeList {
  static constexpr size_t kSize = sizeof...(Ts);
};
using AllActivations =
    TypeList<Identity, Step, Sigmoid, Tanh, Relu, Relu6, LeakyRelu, Prelu, Rrelu, Threshold, Elu, Selu,
             Celu, Gelu, GeluTanh, Silu, Mish, Softplus, Softsign, Hardsigmoid, Hardswish, Hardtanh,
             Logsigmoid, Tanhshrink, Softshrink, Hardshrink, Glu, Softmax, LogSoftmax, Softmin>;

// Calls f.template operator()<Entry>() for the entry at `index`.
template <class F, class... Ts>
HWY_INLINE void VisitEntry(TypeList<Ts...>, size_t index, F&& f) {
  size_t i = 0;
  ((i++ == index ? (f.template operator()<Ts>(), true) : false) || ...);
}

}  // namespace actlab::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // ACTLAB_SRC_ACT_TABLE_INL_H_
