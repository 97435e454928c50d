// actlab: vector math for float32 lanes (Highway 1.0.3, per-target -inl.h).
//
// Functions (all `template <class D, class V = hn::Vec<D>> V Name(D d, V x)`,
// TFromD<D> == float; ErfcDD(d, zh, zl); TwoProd(d, a, b, &err)), each valid
// over the WHOLE float range. Worst errors measured by tests/vmath32_test.cc
// (~13-17M inputs per function: a stride-997 sweep of all 2^32 bit patterns,
// an exhaustive binade where the algorithm switches, 1M linear-uniform,
// +-256 ULP around every threshold) in ULP of the float result, AVX3/AVX2
// (FMA) | SSE4/SCALAR (no FMA):
//
//   Exp    0.62 | 0.62 for normal results; gradual underflow within 0.78
//          units of 2^-149; +inf from 88.72283935546875 on; -inf -> +0.
//   Expm1  0.89 | 0.89; -0 -> -0, tiny x -> x, -> -1 below ~-17.33.
//   Log1p  0.93 | 0.95; -1 -> -inf, < -1 -> NaN, +inf -> +inf, ±0 -> ±0.
//   Tanh   1.08 | 1.19 (near |x| = 0.88); tanh(x) == x for tiny |x|
//          (subnormals too), ±inf -> ±1.
//   Erf    0.99 | 1.32 (near |x| = 0.99).
//   Erfc   0.58 | 0.58, gradual underflow included (0 from ~10.05 on).
//   ErfcDD 0.58 | 0.58 of the exact erfc(zh + zl).
//   TwoProd: error-free (tested: hi + lo == a*b exactly).
//   NaN in -> NaN out everywhere; signed zeros are preserved where odd.
//
// Design: float32 lanes with float-float tricks where one rounding would
// cost too much (exp: Cody-Waite reduction with the rounding error of r kept,
// 1 + r split exactly; expm1: 2^k - 1 split exactly; log1p: the rounding
// error of 1 + x kept; tanh: exact 1 + 2^-k in the denominator). Polynomials
// are minimax fits (relative error, float32 coefficients) from
// scripts/fit_vmath32.py; the fitted interval and error are stated at each.
// Erfc/ErfcDD (and Erf for |x| >= 1) evaluate in float64 lanes with
// float-accuracy polynomials (~2^-28 relative): exp(-z^2) needs z^2 to
// ~2^-48 anyway (float-float in float32 lanes costs about as much as float64
// lanes), the product exp(-z^2)*erfcx(z) would need another float-float step
// to stay within 1.5 ULP, and the final float64 -> float32 conversion rounds
// once, also into the subnormals. Everything else stays in float32 lanes.
//
// All reductions are exact/accurate both with a native FMA (AVX2, AVX3) and
// without (SSE4, SCALAR/EMU128, where hn::MulAdd is a rounded multiply and a
// rounded add), and when GCC contracts a*b+c into an FMA on its own
// (-ffp-contract=fast): no step relies on a product being rounded.
//
// Every x86 target hwy 1.0.3 builds (SCALAR or EMU128, SSE4, AVX2, AVX3):
// only 1.0.3 APIs, no SIMD constants at namespace scope. Lanes are
// independent: branch skipping (AllTrue/AllFalse) never changes a lane.

#if defined(ACTLAB_SRC_ACT_VMATH32_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTLAB_SRC_ACT_VMATH32_INL_H_
#undef ACTLAB_SRC_ACT_VMATH32_INL_H_
#else
#define ACTLAB_SRC_ACT_VMATH32_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace actlab::HWY_NAMESPACE::vm32 {
namespace hn = hwy::HWY_NAMESPACE;

// p + *err == a * b exactly (barring underflow of the error term and
// overflow). With a native FMA the error is MulSub(a, b, p). Without one
// (SSE4, SCALAR/EMU128) Dekker's product, with the operands split into
// 12-bit halves by integer ops (round the bit pattern at bit 12, clear the low
// 12 bits) instead of Veltkamp's (2^12+1)*a trick, which breaks if the
// compiler contracts c - (c - a) into an FMA.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V TwoProd(D d, V a, V b, V* err) {
  const V p = hn::Mul(a, b);
#if HWY_NATIVE_FMA
  (void)d;
  *err = hn::MulSub(a, b, p);
#else
  const hn::RebindToUnsigned<D> du;
  const auto kRound = hn::Set(du, uint32_t{1} << 11);
  const auto kMask = hn::Set(du, ~((uint32_t{1} << 12) - 1));
  const V ah = hn::BitCast(d, hn::And(hn::Add(hn::BitCast(du, a), kRound), kMask));
  const V al = hn::Sub(a, ah);  // exact, <= 12 significant bits
  const V bh = hn::BitCast(d, hn::And(hn::Add(hn::BitCast(du, b), kRound), kMask));
  const V bl = hn::Sub(b, bh);
  V e = hn::Sub(hn::Mul(ah, bh), p);
  e = hn::Add(e, hn::Mul(ah, bl));
  e = hn::Add(e, hn::Mul(al, bh));
  *err = hn::Add(e, hn::Mul(al, bl));
#endif
  return p;
}

namespace detail {

template <class D>
using VI = hn::Vec<hn::RebindToSigned<D>>;

// s + *err == a + b exactly, provided exponent(a) >= exponent(b) (Fast2Sum).
template <class V>
HWY_INLINE V FastTwoSum(V a, V b, V* err) {
  const V s = hn::Add(a, b);
  *err = hn::Sub(b, hn::Sub(s, a));
  return s;
}

// s + *err == a + b exactly for any a, b (Knuth's 2Sum).
template <class V>
HWY_INLINE V TwoSum(V a, V b, V* err) {
  const V s = hn::Add(a, b);
  const V bb = hn::Sub(s, a);
  const V ab = hn::Sub(s, bb);
  *err = hn::Add(hn::Sub(a, ab), hn::Sub(b, bb));
  return s;
}

template <class D>
HWY_INLINE hn::Vec<D> Inf(D d) {
  const hn::RebindToUnsigned<D> du;
  return hn::BitCast(d, hn::Set(du, 0x7F800000u));
}
template <class D>
HWY_INLINE hn::Vec<D> NaN(D d) {
  const hn::RebindToUnsigned<D> du;
  return hn::BitCast(d, hn::Set(du, 0x7FC00000u));
}

// 2^k for int32 lanes k in [-126, 127].
template <class D>
HWY_INLINE hn::Vec<D> Pow2I(D d, VI<D> k) {
  const hn::RebindToSigned<D> di;
  return hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(k, hn::Set(di, 127))));
}

// 1/v to ~0.5 ULP (plus 2^-28 relative): on AVX3 rcp14 + one Newton step
// (the residual 1 - v*r0 is exact with the FMA), elsewhere a division
// (rcpps has only 12 bits; SSE4/SCALAR have no FMA for the residual).
template <class D, class V>
HWY_INLINE V Recip(D d, V v) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  const V r0 = hn::ApproximateReciprocal(v);
  return hn::MulAdd(r0, hn::NegMulAdd(v, r0, hn::Set(d, 1.0f)), r0);
#else
  return hn::Div(hn::Set(d, 1.0f), v);
#endif
}

// exp() reduction + core for float lanes. x = k*ln2 + r + rl exactly to
// ~2^-34 absolute (|r| <= ln2/2 + 2^-16, |rl| <= ulp(r)/2), returns
// s with s + *lo = e^(r + rl) to ~2^-28 relative (the rounding of s + lo is
// the only error that matters).
//   k = round(x/ln2) via the 1.5*2^23 shifter; r_hi = x - k*C1 is exact
//   (C1 = ln2 with 15 significant bits, |k| <= 2^8, Sterbenz); r = r_hi -
//   k*C2 with its rounding error rl (Fast2Sum: |k*C2| <= 2^-12 < |r_hi|
//   except where both are tiny and rl's error is irrelevant).
//   e^(r+rl) = 1 + r + tail (ExpTail); ExpCore splits 1 + r exactly
//   (Fast2Sum), so the tail's rounding (|tail| <= 0.07) costs < 0.1 ULP.
// kf (k as float) and ki (k as int32) are returned for the caller's scaling.
template <class D, class V>
HWY_INLINE V ExpReduce(D d, V x, V* kf, VI<D>* ki, V* r_out, V* rl_out) {
  const hn::RebindToSigned<D> di;
  const V kShift = hn::Set(d, 0x1.8p23f);
  const V t = hn::MulAdd(x, hn::Set(d, 0x1.715476p0f), kShift);
  const V k = hn::Sub(t, kShift);
  *kf = k;
  *ki = hn::Sub(hn::BitCast(di, t), hn::BitCast(di, kShift));
  const V rh = hn::NegMulAdd(k, hn::Set(d, 0x1.62e4p-1f), x);  // exact
  V rl;
  const V r = FastTwoSum(rh, hn::Mul(k, hn::Set(d, -0x1.7f7d1cp-20f)), &rl);
  *r_out = r;
  *rl_out = rl;
  return r;
}

// e^(r + rl) - 1 - r = tail_h + *tail_l to ~2^-28 relative of e^r, with
// tail_h = r^2/2 and *tail_l = (r^2 - r*r rounded)/2 + r^3 Q(r) + rl (1 + r).
// Q: degree 3 minimax of (e^r - 1 - r - r^2/2)/r^3 on [-0.35, 0.35],
// relative error of the whole 0.065 * 2^-24 (scripts/fit_vmath32.py exp0 3).
// kExactSquare: r^2 = r2h + r2l exactly (TwoProd), so that tail_h is exact
// and only *tail_l (<= 0.0072) carries rounding errors (Expm1, where the
// tail is scaled by 2^k and compared with 2^k e^r - 1). Otherwise r*r is
// rounded (its 2^-24 relative error is < 0.03 ULP of e^r).
template <bool kExactSquare, class D, class V>
HWY_INLINE V ExpTail(D d, V r, V rl, V* tail_l) {
  V r2l = hn::Zero(d);
  const V r2 = kExactSquare ? vm32::TwoProd(d, r, r, &r2l) : hn::Mul(r, r);
  const V half = hn::Set(d, 0.5f);
  V q = hn::MulAdd(hn::Set(d, 0x1.6b71cap-10f), r, hn::Set(d, 0x1.12354ap-7f));
  const V q01 = hn::MulAdd(hn::Set(d, 0x1.55568ep-5f), r, hn::Set(d, 0x1.55549cp-3f));
  q = hn::MulAdd(q, r2, q01);
  V l = hn::MulAdd(hn::Mul(r2, r), q, hn::MulAdd(rl, r, rl));
  if (kExactSquare) l = hn::MulAdd(r2l, half, l);
  *tail_l = l;
  return hn::Mul(r2, half);
}

// e^x / 2^k as s + *lo (unrounded), see ExpReduce.
template <class D, class V>
HWY_INLINE V ExpCore(D d, V x, V* lo, V* kf, VI<D>* ki) {
  V r, rl, tl;
  ExpReduce(d, x, kf, ki, &r, &rl);
  const V th = ExpTail<false>(d, r, rl, &tl);
  V e;
  const V s = FastTwoSum(hn::Set(d, 1.0f), r, &e);
  *lo = hn::Add(th, hn::Add(e, tl));
  return s;
}

// ---- float64 helpers (erfc) ----

// Applies f(dd, v) (float64 lanes -> float64 lanes) to x: promote both halves,
// evaluate, demote (one correct rounding, also into the subnormals).
template <class D, class F>
HWY_INLINE hn::Vec<D> ViaF64(D d, hn::Vec<D> x, hn::Vec<D> x2, const F& f) {
#if HWY_TARGET == HWY_SCALAR
  const hn::Rebind<double, D> dd;
  return hn::DemoteTo(d, f(dd, hn::PromoteTo(dd, x), hn::PromoteTo(dd, x2)));
#else
  const hn::Half<D> dh;
  const hn::Rebind<double, decltype(dh)> dd;
  const auto lo = f(dd, hn::PromoteTo(dd, hn::LowerHalf(dh, x)),
                    hn::PromoteTo(dd, hn::LowerHalf(dh, x2)));
  const auto hi = f(dd, hn::PromoteTo(dd, hn::UpperHalf(dh, x)),
                    hn::PromoteTo(dd, hn::UpperHalf(dh, x2)));
  return hn::Combine(d, hn::DemoteTo(dh, hi), hn::DemoteTo(dh, lo));
#endif
}

// e^a in float64 lanes for a in [-1022*ln2, 0], relative error ~2^-28:
// e^r = 1 + r + r^2 P(r), P degree 4 minimax on [-0.35, 0.35] (relative
// error 0.056 * 2^-24, scripts/fit_vmath32.py exp 4; float coefficients
// evaluated in double); the reduction is exact to 2^-46.
template <class DD, class VD>
HWY_INLINE VD ExpD(DD dd, VD a) {
  const hn::RebindToSigned<DD> di;
  const VD kShift = hn::Set(dd, 0x1.8p52);
  const VD t = hn::MulAdd(a, hn::Set(dd, 0x1.71547652b82fep0), kShift);
  const VD k = hn::Sub(t, kShift);
  const auto ki = hn::Sub(hn::BitCast(di, t), hn::BitCast(di, kShift));
  const VD r = hn::NegMulAdd(k, hn::Set(dd, 0x1.62e42fefa39efp-1), a);
  const VD r2 = hn::Mul(r, r);
  VD p = hn::MulAdd(hn::Set(dd, 0x1.6a4da6p-10), r, hn::Set(dd, 0x1.123e58p-7));
  const VD p01 = hn::MulAdd(hn::Set(dd, 0x1.55548cp-3), r, hn::Set(dd, 0x1.fffffcp-2));
  p = hn::MulAdd(p, r, hn::Set(dd, 0x1.5558b8p-5));
  p = hn::MulAdd(p, r2, p01);
  const VD e = hn::Add(hn::MulAdd(r2, p, r), hn::Set(dd, 1.0));
  return hn::BitCast(dd, hn::Add(hn::BitCast(di, e), hn::ShiftLeft<52>(ki)));
}

// erf(x)/x - 1 = c0 + z R(z), z = x^2, for |x| <= 1: degree 6 minimax
// (relative error of x + x*P: 0.024 * 2^-24, scripts/fit_vmath32.py erf 6
// 1.0). Works for float and double lanes (float coefficients).
template <class D, class V>
HWY_INLINE V ErfSmallR(D d, V z) {
  using T = hn::TFromD<D>;
  V p = hn::MulAdd(hn::Set(d, T(0x1.4771fep-14f)), z, hn::Set(d, T(-0x1.a3515ep-11f)));
  p = hn::MulAdd(p, z, hn::Set(d, T(0x1.53f224p-8f)));
  p = hn::MulAdd(p, z, hn::Set(d, T(-0x1.b7f71ap-6f)));
  p = hn::MulAdd(p, z, hn::Set(d, T(0x1.ce2ce6p-4f)));
  return hn::MulAdd(p, z, hn::Set(d, T(-0x1.81273ep-2f)));
}
template <class D>
HWY_INLINE hn::Vec<D> ErfSmallC0(D d) {
  return hn::Set(d, hn::TFromD<D>(0x1.06eba8p-3f));
}
template <class D, class V>
HWY_INLINE V ErfSmallP(D d, V z) {
  return hn::MulAdd(ErfSmallR(d, z), z, ErfSmallC0(d));
}

// erfcx(a) = e^(a^2) erfc(a) for a in [1, 10.1], float64 lanes: degree 9
// polynomials in a - m on [1, 2], [2, 3.5], [3.5, 6], [6, 10.1] (double
// coefficients, max relative errors 0.0024, 0.0056, 0.018, 0.027 * 2^-24;
// scripts/fit_vmath32.py erfcx A B 9), coefficients selected per lane.
template <class DD, class VD>
HWY_INLINE VD ErfcxD(DD dd, VD a) {
  static constexpr double kC[4][11] = {
      {1.5, 0x1.494daffaf1898p-2, -0x1.4f198841dc752p-3, 0x1.37ea24aa5a408p-4,
       -0x1.0dc51e1caf2e0p-5, 0x1.b65bb8198e88ap-7, -0x1.513f3b45f844ep-8,
       0x1.ed9534d32d700p-10, -0x1.5ab46e6b64bb5p-11, 0x1.f358ac707fba4p-13,
       -0x1.4107bf45dd6aap-14},
      {2.75, 0x1.8c9eb6922ccdap-3, -0x1.03057810b177bp-4, 0x1.43b985753385ep-6,
       -0x1.84e9aa893b14cp-8, 0x1.c2ccb67fad660p-10, -0x1.f9a16d02b16f8p-12,
       0x1.1240b51253bc0p-13, -0x1.22693930bdbe0p-15, 0x1.4763253decc00p-17,
       -0x1.45ec155a67500p-19},
      {4.75, 0x1.dc603a4729c92p-4, -0x1.81149bc1293d0p-6, 0x1.317c02e1a9616p-8,
       -0x1.dc1aea987b90ep-11, 0x1.6ccc2c0976c00p-13, -0x1.12f7ab9f54940p-15,
       0x1.95a0a05a16800p-18, -0x1.28d5d1355a800p-20, 0x1.e69de6cc90000p-23,
       -0x1.5762534e60000p-25},
      {8.05, 0x1.1ce7c1af5446bp-4, -0x1.16ed13600a845p-7, 0x1.0f1973b47fff6p-10,
       -0x1.05a0f4eb75490p-13, 0x1.f590227434280p-17, -0x1.dd68f39424a00p-20,
       0x1.bfbd45778c000p-23, -0x1.a4cada8f98000p-26, 0x1.c87e8cc800000p-29,
       -0x1.a5c13cc000000p-32},
  };
  const auto m1 = hn::Ge(a, hn::Set(dd, 2.0));
  const auto m2 = hn::Ge(a, hn::Set(dd, 3.5));
  const auto m3 = hn::Ge(a, hn::Set(dd, 6.0));
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  // >= 4 double lanes: one permute per coefficient (index = interval).
  alignas(64) static constexpr double kT[11][8] = {
#define ACTLAB_VM32_ROW(j) {kC[0][j], kC[1][j], kC[2][j], kC[3][j], 0, 0, 0, 0}
      ACTLAB_VM32_ROW(0), ACTLAB_VM32_ROW(1), ACTLAB_VM32_ROW(2),
      ACTLAB_VM32_ROW(3), ACTLAB_VM32_ROW(4), ACTLAB_VM32_ROW(5),
      ACTLAB_VM32_ROW(6), ACTLAB_VM32_ROW(7), ACTLAB_VM32_ROW(8),
      ACTLAB_VM32_ROW(9), ACTLAB_VM32_ROW(10)};
#undef ACTLAB_VM32_ROW
  const hn::RebindToSigned<DD> di;
  auto idx = hn::Sub(hn::Zero(di), hn::VecFromMask(di, hn::RebindMask(di, m1)));
  idx = hn::Sub(idx, hn::VecFromMask(di, hn::RebindMask(di, m2)));
  idx = hn::Sub(idx, hn::VecFromMask(di, hn::RebindMask(di, m3)));
  const auto ind = hn::IndicesFromVec(dd, idx);
  const auto coef = [&](int j) HWY_ATTR {
    return hn::TableLookupLanes(hn::Load(dd, kT[j]), ind);
  };
#else
  const bool any1 = !hn::AllFalse(dd, m1);
  const bool any2 = !hn::AllFalse(dd, m2);
  const auto coef = [&](int j) HWY_ATTR {
    if (!any1) return hn::Set(dd, kC[0][j]);
    VD c = hn::IfThenElse(m1, hn::Set(dd, kC[1][j]), hn::Set(dd, kC[0][j]));
    if (!any2) return c;
    c = hn::IfThenElse(m2, hn::Set(dd, kC[2][j]), c);
    return hn::IfThenElse(m3, hn::Set(dd, kC[3][j]), c);
  };
#endif
  const VD t = hn::Sub(a, coef(0));
  VD p = coef(10);
  for (int j = 9; j >= 1; --j) p = hn::MulAdd(p, t, coef(j));
  return p;
}

// erfc(z) in float64 lanes for any finite z (errors ~2^-27 relative of the
// result, and far below 2^-149 absolute), NaN -> unspecified (callers fix).
//   |z| < 1:  1 - (z + z P(z^2))
//   |z| >= 1: e^(-a^2) erfcx(a), a = min(|z|, 10.1) (erfc(10.1) rounds to 0
//             in float); z < 0: 2 - that (2 for z < -4 up to 2^-60).
template <class DD, class VD>
HWY_INLINE VD ErfcD(DD dd, VD z) {
  const VD az = hn::Abs(z);
  const VD one = hn::Set(dd, 1.0);
  const auto m_small = hn::Lt(az, one);
  VD y = one;
  if (!hn::AllFalse(dd, m_small)) {
    const VD zs = hn::IfThenElseZero(m_small, z);
    const VD p = ErfSmallP(dd, hn::Mul(zs, zs));
    y = hn::Sub(one, hn::MulAdd(zs, p, zs));
  }
  if (!hn::AllTrue(dd, m_small)) {
    const VD a = hn::Min(hn::Max(az, one), hn::Set(dd, 10.1));
    const VD e = ExpD(dd, hn::Neg(hn::Mul(a, a)));
    const VD t = hn::Mul(e, ErfcxD(dd, a));
    const VD v = hn::IfThenElse(hn::Lt(z, hn::Zero(dd)),
                                hn::Sub(hn::Set(dd, 2.0), t), t);
    y = hn::IfThenElse(m_small, y, v);
  }
  return y;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// exp(x). hwy's float Exp measures ~1 ULP and returns 0 for NaN. Here
// e^x = 2^k (s + lo) (ExpCore), rounded once: 0.62 ULP for normal results.
// Fast path (all |x| < 87): the exact exponent add. Otherwise x is clamped to
// [-104, 89] and the scaling by 2^k is split into two exact power-of-two
// factors so that only the last product rounds (gradual underflow: error
// <= 0.5 + 0.33 units of 2^-149 by analysis, 0.78 measured; overflow to +inf
// from 88.72283935546875 on).
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Exp(D d, V x) {
  const hn::RebindToSigned<D> di;
  V lo, kf;
  detail::VI<D> ki;
  if (HWY_LIKELY(hn::AllTrue(d, hn::Lt(hn::Abs(x), hn::Set(d, 87.0f))))) {
    const V s = detail::ExpCore(d, x, &lo, &kf, &ki);
    const V y = hn::Add(s, lo);
    return hn::BitCast(d, hn::Add(hn::BitCast(di, y), hn::ShiftLeft<23>(ki)));
  }
  const V xc = hn::Min(hn::Max(x, hn::Set(d, -104.0f)), hn::Set(d, 89.0f));
  const V s = detail::ExpCore(d, xc, &lo, &kf, &ki);
  const auto k1 = hn::ShiftRight<1>(ki);
  const auto k2 = hn::Sub(ki, k1);
  const V y = hn::Mul(hn::Mul(hn::Add(s, lo), detail::Pow2I(d, k1)),
                      detail::Pow2I(d, k2));
  return hn::IfThenElse(hn::IsNaN(x), x, y);
}

// expm1(x). hwy's float Expm1 measures up to ~4 ULP. Here, with x = k ln2 +
// r + rl (ExpReduce, x clamped to [-18, 88]),
//   expm1(x) = (2^k - 1) + 2^k r + 2^k tail
// where 2^k - 1 = th + tl exactly (2Sum), th + 2^k r = s + e exactly
// (Fast2Sum: |th| >= |2^k r|), and one final rounding of
// s + (e + tl + 2^k tail): 0.89 ULP measured (the tail's Horner error, scaled
// by 2^k, near x = 0.375 where the result is smallest relative to 2^k e^r);
// the r^2/2 part of the tail is exact (TwoProd), without that 1.06-1.18. k = 0 (|x| < ln2/2) degenerates to
// x + tail with r = x exactly, so tiny x gives x. x > 88 uses Exp (the -1 is
// far below half an ULP there); expm1(±0) = ±0, -inf -> -1.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Expm1(D d, V x) {
  const V xc = hn::Min(hn::Max(x, hn::Set(d, -18.0f)), hn::Set(d, 88.0f));
  V kf, r, rl;
  detail::VI<D> ki;
  detail::ExpReduce(d, xc, &kf, &ki, &r, &rl);
  V tail_l;
  const V tail_h = detail::ExpTail<true>(d, r, rl, &tail_l);
  const V p2 = detail::Pow2I(d, ki);
  V tl, e;
  const V th = detail::TwoSum(p2, hn::Set(d, -1.0f), &tl);
  const V s = detail::FastTwoSum(th, hn::Mul(p2, r), &e);
  const V lo = hn::MulAdd(p2, tail_l, hn::Add(e, tl));
  V y = hn::Add(s, hn::MulAdd(p2, tail_h, lo));
  y = hn::IfThenElse(hn::Eq(x, hn::Zero(d)), x, y);  // keep the sign of -0
  if (HWY_UNLIKELY(!hn::AllTrue(d, hn::Le(x, hn::Set(d, 88.0f))))) {
    y = hn::IfThenElse(hn::Gt(x, hn::Set(d, 88.0f)), vm32::Exp(d, x), y);
    y = hn::IfThenElse(hn::IsNaN(x), x, y);
  }
  return y;
}

// log1p(x), x in (-1, +inf]. hwy's float Log1p measures ~2 ULP (and is only
// documented for x >= 0).
//   u + c = 1 + x exactly (2Sum), u = 2^k m, m in [sqrt(2)/2, sqrt(2)),
//   f = m - 1 (exact); if k == 0, f = x and c = 0 instead (no information
//   lost). log1p(x) = k ln2 + log1p(f) + c/u, with
//   log1p(f) = f + f^2 P(f), P: degree 8 minimax on [sqrt(2)/2-1, sqrt(2)-1]
//   (relative error 0.070 * 2^-24, scripts/fit_vmath32.py log1p 8),
//   k*C1 + f split exactly (Fast2Sum; C1 = ln2 with 15 bits, k*C1 exact) and
//   c/u from an approximate reciprocal (its 2^-12 error is ~2^-36 absolute).
// 0.93 ULP (FMA) / 0.95 (no FMA). Specials: -1 -> -inf, < -1 -> NaN, +inf -> +inf, NaN -> NaN,
// ±0 -> ±0.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Log1p(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V one = hn::Set(d, 1.0f);
  V c;
  const V u = detail::TwoSum(one, x, &c);
  const auto ui = hn::Add(hn::BitCast(di, u), hn::Set(di, 0x3F800000 - 0x3F3504F3));
  const auto k = hn::Sub(hn::ShiftRight<23>(ui), hn::Set(di, 127));
  const V m = hn::BitCast(
      d, hn::Add(hn::And(ui, hn::Set(di, 0x007FFFFF)), hn::Set(di, 0x3F3504F3)));
  const V kf = hn::ConvertTo(d, k);
  const auto k0 = hn::RebindMask(d, hn::Eq(k, hn::Zero(di)));
  const V f = hn::IfThenElse(k0, x, hn::Sub(m, one));
  const V cu = hn::IfThenZeroElse(k0, hn::Mul(c, hn::ApproximateReciprocal(u)));

  V p = hn::MulAdd(hn::Set(d, -0x1.385190p-4f), f, hn::Set(d, 0x1.087db4p-3f));
  V q = hn::MulAdd(hn::Set(d, 0x1.226b32p-3f), f, hn::Set(d, -0x1.542422p-3f));
  V s = hn::MulAdd(hn::Set(d, 0x1.99a428p-3f), f, hn::Set(d, -0x1.000438p-2f));
  V t = hn::MulAdd(hn::Set(d, 0x1.555550p-2f), f, hn::Set(d, -0x1.fffff8p-2f));
  const V f2 = hn::Mul(f, f);
  const V f4 = hn::Mul(f2, f2);
  p = hn::MulAdd(p, f, hn::Set(d, -0x1.0f4cacp-3f));  // c8 c7 c6
  q = hn::MulAdd(q, f2, s);                           // c5..c2
  p = hn::MulAdd(p, f4, q);                           // c8..c2
  p = hn::MulAdd(p, f2, t);                           // c8..c0

  V e;
  const V hi = detail::FastTwoSum(hn::Mul(kf, hn::Set(d, 0x1.62e4p-1f)), f, &e);
  const V lo = hn::MulAdd(kf, hn::Set(d, 0x1.7f7d1cp-20f), hn::Add(cu, e));
  V y = hn::Add(hi, hn::MulAdd(f2, p, lo));
  y = hn::IfThenElse(hn::Eq(x, hn::Zero(d)), x, y);  // ±0

  const V kInf = detail::Inf(d);
  const auto ok = hn::And(hn::Gt(x, hn::Set(d, -1.0f)), hn::Lt(x, kInf));
  if (HWY_UNLIKELY(!hn::AllTrue(d, ok))) {
    y = hn::IfThenElse(hn::Eq(x, hn::Set(d, -1.0f)), hn::Neg(kInf), y);
    y = hn::IfThenElse(hn::Lt(x, hn::Set(d, -1.0f)), detail::NaN(d), y);
    y = hn::IfThenElse(hn::Eq(x, kInf), kInf, y);
    y = hn::IfThenElse(hn::IsNaN(x), x, y);
  }
  return y;
}

// tanh(x). hwy's float Tanh measures ~3-4 ULP.
//   |x| < 1: x + x^3 P(x^2), P degree 7 minimax on [0, 1] (relative error
//            0.008 * 2^-24, scripts/fit_vmath32.py tanh 7 1.0). Tiny and
//            subnormal x give x, ±0 -> ±0.
//   |x| >= 1: 1 - 2/(e^2a + 1), a = min(|x|, 9.5) (tanh rounds to 1 above
//            9.01): with e^2a = 2^k (1 + r + tail),
//            2/(e^2a + 1) = 2^(1-k) / ((1 + 2^-k) + r + tail), 1 + 2^-k exact
//            (k <= 23; beyond, the quotient is < 2^-22 anyway), so only the
//            denominator's and the reciprocal's roundings count; the
//            quotient is <= 0.24, so they cost <= 0.25 ULP of the result.
// 1.08 ULP (FMA) / 1.19 (no FMA), both in the polynomial near |x| = 0.88
// (x^3 P is -0.24 of x there).
// ±inf -> ±1; NaN -> NaN.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Tanh(D d, V x) {
  const V ax = hn::Abs(x);
  const V one = hn::Set(d, 1.0f);
  const auto m_small = hn::Lt(ax, one);
  V y = x;  // NaN stays NaN
  if (!hn::AllFalse(d, m_small)) {
    const V x2 = hn::Mul(ax, ax);
    const V x4 = hn::Mul(x2, x2);
    V p = hn::MulAdd(hn::Set(d, 0x1.e76c16p-14f), x2, hn::Set(d, -0x1.ae8cbap-11f));
    V q = hn::MulAdd(hn::Set(d, 0x1.8f862cp-9f), x2, hn::Set(d, -0x1.18db64p-7f));
    V s = hn::MulAdd(hn::Set(d, 0x1.64c044p-6f), x2, hn::Set(d, -0x1.b9f6dap-5f));
    V t = hn::MulAdd(hn::Set(d, 0x1.11103cp-3f), x2, hn::Set(d, -0x1.555552p-2f));
    p = hn::MulAdd(p, x4, q);
    s = hn::MulAdd(s, x4, t);
    p = hn::MulAdd(p, hn::Mul(x4, x4), s);
    // On |x| and then the sign of x: x + x^3 p with p < 0 would turn -0
    // into +0.
    const V v = hn::MulAdd(hn::Mul(ax, x2), p, ax);
    y = hn::IfThenElse(m_small, hn::CopySignToAbs(v, x), y);
  }
  const auto m_large = hn::Ge(ax, one);
  if (!hn::AllFalse(d, m_large)) {
    const V a = hn::Min(hn::Max(ax, one), hn::Set(d, 9.5f));
    V kf, r, rl;
    detail::VI<D> ki;
    detail::ExpReduce(d, hn::Add(a, a), &kf, &ki, &r, &rl);
    V tail_l;
    const V tail_h = detail::ExpTail<false>(d, r, rl, &tail_l);
    const hn::RebindToSigned<D> di;
    const V pinv = detail::Pow2I(d, hn::Neg(ki));  // 2^-k, k in [3, 28]
    // Denominator (1 + 2^-k) + r + tail as dh + dl, |dl| <= ulp(dh).
    V e1, e2;
    const V s1 = detail::FastTwoSum(hn::Add(one, pinv), r, &e1);
    // s1 >= 0.65 > tail; tail's rounding is <= 2^-29 absolute.
    const V dh = detail::FastTwoSum(s1, hn::Add(tail_h, tail_l), &e2);
    const V dl = hn::Add(e1, e2);
    const V rc = detail::Recip(d, dh);
    const V rc2 = hn::MulAdd(hn::Mul(hn::Neg(dl), rc), rc, rc);  // 1/(dh+dl)
    const V q2 = detail::Pow2I(d, hn::Sub(hn::Set(di, 1), ki));
    const V v = hn::NegMulAdd(q2, rc2, one);
    y = hn::IfThenElse(m_large, hn::CopySignToAbs(v, x), y);
  }
  return y;
}

// erf(x):
//   |x| < 1:  x + x P(x^2) in float lanes (P: see detail::ErfSmallP).
//   |x| >= 1: ±(1 - erfc(min(|x|, 4))) in float64 lanes (detail::ErfcD),
//             rounded once (erf(4) rounds to 1).
// 0.99 ULP (FMA) / 1.32 (no FMA), near |x| = 0.99 where c0 + z R cancels;
// ±0 -> ±0, subnormals: x + x*P rounds once; ±inf -> ±1.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Erf(D d, V x) {
  const V ax = hn::Abs(x);
  const V one = hn::Set(d, 1.0f);
  const auto m_small = hn::Lt(ax, one);
  V y = x;  // NaN stays NaN
  if (!hn::AllFalse(d, m_small)) {
    const V p = detail::ErfSmallP(d, hn::Mul(x, x));
    y = hn::IfThenElse(m_small, hn::MulAdd(x, p, x), y);
  }
  const auto m_large = hn::Ge(ax, one);
  if (!hn::AllFalse(d, m_large)) {
    const V a = hn::Min(hn::Max(ax, one), hn::Set(d, 4.0f));
    const V v = detail::ViaF64(
        d, a, a, [](auto dd, auto az, auto /*unused*/) HWY_ATTR {
          return hn::Sub(hn::Set(dd, 1.0), detail::ErfcD(dd, az));
        });
    y = hn::IfThenElse(m_large, hn::CopySignToAbs(v, x), y);
  }
  return y;
}

// erfc(x), evaluated in float64 lanes (detail::ErfcD) and rounded once:
// 0.58 ULP, gradual underflow included (units of 2^-149; 0 from ~10.05
// on), 2 below ~-3.9; erfc(+inf) = 0, erfc(-inf) = 2, NaN -> NaN.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Erfc(D d, V x) {
  const V xc = hn::Min(hn::Max(x, hn::Set(d, -4.0f)), hn::Set(d, 10.5f));
  const V y = detail::ViaF64(d, xc, xc, [](auto dd, auto z, auto /*unused*/) HWY_ATTR {
    return detail::ErfcD(dd, z);
  });
  return hn::IfThenElse(hn::IsNaN(x), x, y);
}

// erfc(zh + zl) for a float-float argument (|zl| <= ulp(zh)), e.g. GELU's
// z = -x/sqrt(2) = zh + zl with zl from TwoProd. zh + zl is formed in double
// (error <= 2^-53 relative, i.e. <= 2 z^2 2^-53 relative in erfc) and the
// rest is Erfc's float64 evaluation: 0.58 ULP of the exact erfc(zh + zl).
// NaN in zh -> NaN.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ErfcDD(D d, V zh, V zl) {
  const V lim_lo = hn::Set(d, -4.0f);
  const V lim_hi = hn::Set(d, 10.5f);
  const auto clamp = hn::Or(hn::Lt(zh, lim_lo), hn::Gt(zh, lim_hi));
  const V h = hn::Min(hn::Max(zh, lim_lo), lim_hi);
  const V l = hn::IfThenZeroElse(clamp, zl);
  const V y = detail::ViaF64(d, h, l, [](auto dd, auto a, auto b) HWY_ATTR {
    return detail::ErfcD(dd, hn::Add(a, b));
  });
  return hn::IfThenElse(hn::IsNaN(zh), zh, y);
}

}  // namespace actlab::HWY_NAMESPACE::vm32
HWY_AFTER_NAMESPACE();

#endif  // ACTLAB_SRC_ACT_VMATH32_INL_H_
