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
//   TanhShrink (x - tanh x) 1.16 | 1.51 (no FMA: near |x| = 1.4e-3);
//          gradual underflow for tiny x (x^3/3), ±inf -> ±inf.
//   Erf    0.99 | 1.32 (near |x| = 0.99).
//   Erfc   0.91 (AVX3) 0.92 (AVX2) | 0.96, gradual underflow included (0
//          from ~10.05 on).
//   ErfcDD 0.99 (AVX3) 1.08 (AVX2) | 1.17 of the exact erfc(zh + zl).
//   TwoProd: error-free (tested: hi + lo == a*b exactly).
//   NaN in -> NaN out everywhere; signed zeros are preserved where odd.
//
// Design: float32 lanes with float-float tricks where one rounding would
// cost too much (exp: Cody-Waite reduction with the rounding error of r kept,
// 1 + r split exactly; expm1: 2^k - 1 split exactly; log1p: the rounding
// error of 1 + x kept; tanhshrink: x^3 and its c0 as float-float). Polynomials
// are minimax fits (relative error, float32 coefficients) from
// scripts/fit_vmath32.py; the fitted interval and error are stated at each.
// Erfc/ErfcDD (and Erf for |x| >= 1) are float32 too: e^(-z^2) from z^2 as
// a float-float times a piecewise erfcx polynomial (detail::ErfcCore).
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

// erfc(zh + zl) in float32 lanes for any zh (|zl| <= ulp(zh); kDD = false:
// zl ignored, taken as 0), one formula everywhere (no cancellation: erfc(a)
// <= 1 and erfc(-a) = 2 - erfc(a) is in [1, 2]):
//   a + al = |zh + zl| (a = min(|zh|, 10.1), al = 0 when clamped: erfc(10.1)
//   rounds to 0), erfc(a + al) = e^-(a + al)^2 * erfcx(a + al), with
//   * (a + al)^2 = h + l: h + hl = a^2 exactly (TwoProd), l = hl + 2 a al
//     (error ~2^-47 h); e^(-h - l) = 2^k (s + lo): a Cody-Waite reduction
//     of -h with l folded into the reduced argument (|l| <= 2^-16, its
//     square is negligible) and a degree-4 polynomial (see the code): ~2^-28
//     relative, unrounded.
//   * erfcx(a + al) = c0 + sum_j c_j t^j, t = (a - m) + al. AVX3: degree 6
//     on 16 pieces (see the code). Elsewhere degree 8 on 8
//     pieces selected by the float bits of a + 0.75 (>> 22: binade and first
//     mantissa bit): a in [0, 0.25) [0.25, 0.75) [0.75, 1.25) [1.25, 2.25)
//     [2.25, 3.25) [3.25, 5.25) [5.25, 7.25) [7.25, 10.1], max relative error
//     0.0031 0.0074 0.0016 0.041 0.0017 0.050 0.013 0.0061 * 2^-24
//     (scripts/fit_vmath32.py erfcxf 8 0.75); c0 as a float-float c0h + c0l
//     (a rounded c0 would cost up to 0.5 * 2^-24 at t = 0), c1.. floats.
//     Coefficients per lane: one permute each on AVX2/AVX3 (TableLookupLanes),
//     a gather elsewhere (kT unused on AVX3, which has kT16).
//   * mm = (s + lo)(c0h + u), u = t P(t) + c0l: c0h + u = qh + ql and
//     s qh = ph + pl exactly, mm = ph + (pl + lo qh + s ql) (one rounding
//     that matters, plus u's Horner errors, |u| <= ~0.25 c0h; AVX3: s c0h =
//     ph + pl and s u rounded inside an FMA instead), then times
//     2^k: exact for normal results; subnormal results (a > ~9.1) round mm
//     a second time (see below; mm's rounding costs <= 2^-24 relative there,
//     i.e. <= 0.5 units of 2^-149). Vectors with every |zh| < 9 skip the
//     clamping and the subnormal code (hn::AllTrue; GELU's usual case).
//   zh < 0: 2 - that. Errors: the final rounding (0.5 ULP) plus the rounding
//   of s u + lo Q (|s u| <= ~0.1 of the result) and the fits.
// NaN/inf: erfc(+inf) = 0, erfc(-inf) = 2, NaN -> NaN.
template <bool kDD, class D, class V>
HWY_INLINE V ErfcCore(D d, V zh, V zl) {
  const hn::RebindToSigned<D> di;
  alignas(64) static constexpr float kT[11][16] = {
      {0x1p-3f, 0x1p-1f, 0x1p+0f, 0x1.cp+0f, 0x1.6p+1f, 0x1.1p+2f, 0x1.9p+2f, 0x1.15999ap+3f, 0, 0, 0, 0, 0, 0, 0, 0},
      {0x1.bf16fp-1f, 0x1.3b3bc4p-1f, 0x1.b5d878p-2f, 0x1.23cfc2p-2f, 0x1.8c9eb6p-3f, 0x1.08e62cp-3f, 0x1.6d2f82p-4f, 0x1.08a71ep-4f, 0, 0, 0, 0, 0, 0, 0, 0},
      {-0x1.f4e0c2p-26f, -0x1.b3eebep-28f, 0x1.f272bp-31f, 0x1.e2f96ap-27f, 0x1.1fd848p-28f, 0x1.d0a9e8p-28f, -0x1.c81848p-29f, -0x1.dd4d2ap-30f, 0, 0, 0, 0, 0, 0, 0, 0},
      {-0x1.d1f52ep-1f, -0x1.067f26p-1f, -0x1.17c4e4p-2f, -0x1.0c3d52p-3f, -0x1.030578p-4f, -0x1.da395p-6f, -0x1.c82c12p-7f, -0x1.e1d6fap-8f, 0, 0, 0, 0, 0, 0, 0, 0},
      {0x1.84d848p-1f, 0x1.6ff862p-2f, 0x1.3c2728p-3f, 0x1.c8d0cep-5f, 0x1.43b98cp-6f, 0x1.9ef716p-8f, 0x1.19a244p-9f, 0x1.b3e0c8p-11f, 0, 0, 0, 0, 0, 0, 0, 0},
      {-0x1.163cacp-1f, -0x1.c6ae12p-3f, -0x1.448368p-4f, -0x1.6cb74p-6f, -0x1.84e9eep-8f, -0x1.6375fep-10f, -0x1.57e21p-12f, -0x1.87df6cp-14f, 0, 0, 0, 0, 0, 0, 0, 0},
      {0x1.62144cp-2f, 0x1.fc998ep-4f, 0x1.33cb14p-5f, 0x1.1365aep-7f, 0x1.c2c704p-10f, 0x1.2a67a2p-12f, 0x1.9f5956p-15f, 0x1.5e2d24p-17f, 0, 0, 0, 0, 0, 0, 0, 0},
      {-0x1.9898eep-3f, -0x1.05d694p-4f, -0x1.1103c4p-6f, -0x1.8b367cp-9f, -0x1.f95fdep-12f, -0x1.ea38d4p-15f, -0x1.ef8366p-18f, -0x1.36ca56p-20f, 0, 0, 0, 0, 0, 0, 0, 0},
      {0x1.b0161p-4f, 0x1.f7769ap-6f, 0x1.c89b2ep-8f, 0x1.0ff64ap-10f, 0x1.130ffep-13f, 0x1.8caeaap-17f, 0x1.2520e6p-20f, 0x1.127326p-23f, 0, 0, 0, 0, 0, 0, 0, 0},
      {-0x1.31d424p-4f, -0x1.db3c16p-7f, -0x1.6d174p-9f, -0x1.81f142p-12f, -0x1.2db21p-15f, -0x1.57fbe8p-19f, -0x1.71e886p-23f, -0x1.fb537ap-27f, 0, 0, 0, 0, 0, 0, 0, 0},
      {0x1.252fb2p-4f, 0x1.8e12f4p-8f, 0x1.1b09dcp-10f, 0x1.eb0b38p-14f, 0x1.344c8ap-17f, 0x1.0b4c14p-21f, 0x1.ac5e1ep-26f, 0x1.badccap-30f, 0, 0, 0, 0, 0, 0, 0, 0},
  };
  const V kMax = hn::Set(d, 10.1f);
  const V sign = hn::And(zh, hn::SignBit(d));
  const V az = hn::Abs(zh);
  // Fast path: every |zh| < 9 (no clamping; erfc >= 4e-37: normal results,
  // k >= -122). Otherwise (also NaN) clamp and handle subnormal results.
  const bool fast = hn::AllTrue(d, hn::Lt(az, hn::Set(d, 9.0f)));
  V a = az;
  V al = hn::Zero(d);
  if (HWY_LIKELY(fast)) {
    if (kDD) al = hn::Xor(zl, sign);
  } else {
    a = hn::Min(az, kMax);
    if (kDD) al = hn::IfThenZeroElse(hn::Gt(az, kMax), hn::Xor(zl, sign));
  }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // 16 pieces, degree 6 (one 512-bit permute holds all 16 coefficients):
  // selected by the float bits of a + 0.75 >> 21 (binade and first two
  // mantissa bits): a in [0, 1/8) [1/8, 1/4) [1/4, 1/2) [1/2, 3/4) [3/4, 1)
  // [1, 1.25) [1.25, 1.75) [1.75, 2.25) [2.25, 2.75) [2.75, 3.25)
  // [3.25, 4.25) [4.25, 5.25) [5.25, 6.25) [6.25, 7.25) [7.25, 9.25)
  // [9.25, 10.1], max relative error 0.091 * 2^-24 (at [3.25, 4.25]; the
  // others <= 0.083) (scripts/fit_vmath32.py erfcxf16 6 0.75). Rows: m, c0h,
  // c0l, c1..c6.
  alignas(64) static constexpr float kT16[9][16] = {
      {0x1p-4f, 0x1.8p-3f, 0x1.8p-2f, 0x1.4p-1f, 0x1.cp-1f, 0x1.2p+0f, 0x1.8p+0f, 0x1p+1f, 0x1.4p+1f, 0x1.8p+1f, 0x1.ep+1f, 0x1.3p+2f, 0x1.7p+2f, 0x1.bp+2f, 0x1.08p+3f, 0x1.35999ap+3f},
      {0x1.ddcd36p-1f, 0x1.a36bbcp-1f, 0x1.5f28aep-1f, 0x1.1d16b6p-1f, 0x1.db747ep-2f, 0x1.9531ep-2f, 0x1.494dbp-2f, 0x1.058672p-2f, 0x1.afbb4p-3f, 0x1.6e9828p-3f, 0x1.2a2af2p-3f, 0x1.dc603ap-4f, 0x1.8c1404p-4f, 0x1.52b80ep-4f, 0x1.1618fcp-4f, 0x1.db32a2p-5f},
      {-0x1.8d05e6p-27f, -0x1.019294p-26f, -0x1.c21b7cp-29f, -0x1.fd6a36p-27f, 0x1.c81d06p-27f, 0x1.362cdep-27f, -0x1.572afcp-32f, -0x1.2af2cap-28f, -0x1.890524p-28f, -0x1.6e9c9ap-30f, -0x1.8df7fp-29f, 0x1.f494fep-31f, 0x1.39b372p-29f, -0x1.73859ep-29f, -0x1.c40844p-31f, 0x1.a8d4d8p-36f},
      {-0x1.0300a2p+0f, -0x1.a47284p-1f, -0x1.3a5c68p-1f, -0x1.babd0ep-2f, -0x1.4369f6p-2f, -0x1.e78b36p-3f, -0x1.4f198ap-3f, -0x1.b57036p-4f, -0x1.3086d8p-4f, -0x1.bd6ae6p-5f, -0x1.2aa656p-5f, -0x1.81149ep-6f, -0x1.0bc46ep-6f, -0x1.8914e8p-7f, -0x1.09d8b4p-7f, -0x1.84d6aep-8f},
      {0x1.bd6d22p-1f, 0x1.549644p-1f, 0x1.d28c0ep-2f, 0x1.257742p-2f, 0x1.80ef9p-3f, 0x1.05e726p-3f, 0x1.37ea26p-4f, 0x1.5672bap-5f, 0x1.98958ap-6f, 0x1.043fe2p-6f, 0x1.22f06ap-7f, 0x1.317c16p-8f, 0x1.653506p-9f, 0x1.c39a48p-10f, 0x1.f8c38ap-11f, 0x1.3c8d18p-11f},
      {-0x1.46c434p-1f, -0x1.db70bep-2f, -0x1.2e817p-2f, -0x1.59c358p-3f, -0x1.9d57eep-4f, -0x1.0132cp-4f, -0x1.0dc0d8p-5f, -0x1.fa9854p-7f, -0x1.0630ecp-7f, -0x1.258d42p-8f, -0x1.1429b2p-9f, -0x1.dc1244p-11f, -0x1.d65bdcp-12f, -0x1.00e4f2p-12f, -0x1.dbe1ecp-14f, -0x1.006586p-14f},
      {0x1.a8fb78p-2f, 0x1.27fc6ap-2f, 0x1.611a0ap-3f, 0x1.72d484p-4f, 0x1.982fccp-5f, 0x1.d4e106p-6f, 0x1.b656aep-7f, 0x1.648e5p-8f, 0x1.435ba4p-9f, 0x1.409a2cp-10f, 0x1.ffde9ap-12f, 0x1.6cba58p-13f, 0x1.31d888p-14f, 0x1.21817ep-15f, 0x1.bdc146p-17f, 0x1.9d4a34p-18f},
      {-0x1.ff065cp-3f, -0x1.542c14p-3f, -0x1.7cb466p-4f, -0x1.711724p-5f, -0x1.791d6cp-6f, -0x1.947d78p-7f, -0x1.55d814p-8f, -0x1.e555b8p-10f, -0x1.83942cp-11f, -0x1.57e36ep-12f, -0x1.da387ep-14f, -0x1.172c18p-15f, -0x1.8e8dfcp-17f, -0x1.44e08ap-18f, -0x1.a89cd8p-20f, -0x1.526b5ap-21f},
      {0x1.19c932p-3f, 0x1.7413a6p-4f, 0x1.7a83b2p-5f, 0x1.56063ap-6f, 0x1.47269p-7f, 0x1.4994dcp-8f, 0x1.f38e64p-10f, 0x1.397304p-11f, 0x1.bd2e94p-13f, 0x1.622e18p-14f, 0x1.a4136ap-16f, 0x1.9e6dc2p-18f, 0x1.faa35ap-20f, 0x1.66ebbep-21f, 0x1.88567cp-23f, 0x1.121108p-24f},
  };
  const auto idx = hn::Sub(hn::ShiftRight<21>(hn::BitCast(di, hn::Add(a, hn::Set(d, 0.75f)))),
                           hn::Set(di, 506));
  const auto ind = hn::IndicesFromVec(d, idx);
  const auto coef = [&](int j) HWY_ATTR { return hn::TableLookupLanes(hn::Load(d, kT16[j]), ind); };
  V t = hn::Sub(a, coef(0));
  if (kDD) t = hn::Add(t, al);
  V p = hn::MulAdd(coef(8), t, coef(7));
  p = hn::MulAdd(p, t, coef(6));
  p = hn::MulAdd(p, t, coef(5));
  p = hn::MulAdd(p, t, coef(4));
  p = hn::MulAdd(p, t, coef(3));
  const V c0h = coef(1);
  const V u = hn::MulAdd(p, t, coef(2));
  (void)kT;
#else
  const auto idx = hn::Sub(hn::ShiftRight<22>(hn::BitCast(di, hn::Add(a, hn::Set(d, 0.75f)))),
                           hn::Set(di, 253));
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  const auto ind = hn::IndicesFromVec(d, idx);
  const auto coef = [&](int j) HWY_ATTR { return hn::TableLookupLanes(hn::Load(d, kT[j]), ind); };
#else
  const auto coef = [&](int j) HWY_ATTR { return hn::GatherIndex(d, kT[j], idx); };
#endif
  V t = hn::Sub(a, coef(0));
  if (kDD) t = hn::Add(t, al);
  // Horner, unrolled by hand.
  V p = hn::MulAdd(coef(10), t, coef(9));
  p = hn::MulAdd(p, t, coef(8));
  p = hn::MulAdd(p, t, coef(7));
  p = hn::MulAdd(p, t, coef(6));
  p = hn::MulAdd(p, t, coef(5));
  p = hn::MulAdd(p, t, coef(4));
  p = hn::MulAdd(p, t, coef(3));
  const V c0h = coef(1);
  const V u = hn::MulAdd(p, t, coef(2));
#endif

  V hl;
  const V h = vm32::TwoProd(d, a, a, &hl);
  const V l = kDD ? hn::MulAdd(hn::Add(a, a), al, hl) : hl;
  // e^-(h + l) = 2^k e^-(r + rl): k = round(-h/ln2) (1.5*2^23 shifter),
  // h + k C1 exact (as in ExpReduce, signs flipped), r + rl = h + k C1 +
  // (k C2 + l) (Fast2Sum; k C2 + l rounds once, ~2^-36 absolute).
  // e^-r = 1 - r + r^2 P(-r), P degree 4 minimax on [-0.35, 0.35] (relative
  // error 0.056 * 2^-24, scripts/fit_vmath32.py exp 4; as in TanhTail),
  // 1 - r = s + e exactly (Fast2Sum), rl to first order:
  // e^-(r + rl) = s + lo, lo = e - rl (1 - r) + r^2 P(-r) (~2^-28 relative).
  const V kShift = hn::Set(d, 0x1.8p23f);
  const V tt = hn::NegMulAdd(h, hn::Set(d, 0x1.715476p0f), kShift);
  const V kf = hn::Sub(tt, kShift);
  const V rh = hn::MulAdd(kf, hn::Set(d, 0x1.62e4p-1f), h);  // exact
  V rl;
  const V r = FastTwoSum(rh, hn::MulAdd(kf, hn::Set(d, 0x1.7f7d1cp-20f), l), &rl);
  const V r2 = hn::Mul(r, r);
  V pp = hn::MulAdd(hn::Set(d, 0x1.6a4da6p-10f), r, hn::Set(d, -0x1.123e58p-7f));
  const V p01 = hn::MulAdd(hn::Set(d, -0x1.55548cp-3f), r, hn::Set(d, 0x1.fffffcp-2f));
  pp = hn::MulAdd(pp, r, hn::Set(d, 0x1.5558b8p-5f));
  pp = hn::MulAdd(pp, r2, p01);
  const V one = hn::Set(d, 1.0f);
  const V s = hn::Sub(one, r);
  const V e = hn::Sub(hn::Sub(one, s), r);
  const V lo = hn::MulAdd(r2, pp, hn::Sub(e, hn::NegMulAdd(r, rl, rl)));

  // (s + lo)(qh + ql), qh + ql = c0h + u exactly (Fast2Sum), s qh = ph + pl
  // exactly (TwoProd): only the small terms and the final sum round.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // AVX3 (FMA, and the more accurate 16-piece erfcx): s c0h = ph + pl
  // exactly, s u rounds inside the FMA that adds the small terms (|s u| <=
  // ~0.25 of the result): ErfcDD 0.99 ULP measured (with AVX2's 8 pieces
  // this measured 1.25, so AVX2 keeps the Fast2Sum below).
  V pl;
  const V ph = vm32::TwoProd(d, s, c0h, &pl);
  const V mm = hn::Add(ph, hn::MulAdd(s, u, hn::MulAdd(lo, hn::Add(c0h, u), pl)));
#else
  V ql;
  const V qh = FastTwoSum(c0h, u, &ql);
  V pl;
  const V ph = vm32::TwoProd(d, s, qh, &pl);
  const V mm = hn::Add(ph, hn::MulAdd(s, ql, hn::MulAdd(lo, qh, pl)));
#endif
  // 2^k mm: exponent add for normal results; subnormal results (the bits of
  // a subnormal are its multiple of 2^-149) as the integer n =
  // round(mm 2^(k+149)) from the 2^23 shifter (rounds once, to nearest even
  // like the underflowing product would; n = 2^23 gives 2^-126), so no
  // arithmetic op produces a subnormal (microcode assists on x86).
  // k << 23 == bits(tt) << 23 (the shifter's bits 0x4B400000 vanish).
  V y = hn::BitCast(d, hn::Add(hn::BitCast(di, mm), hn::ShiftLeft<23>(hn::BitCast(di, tt))));
  if (HWY_UNLIKELY(!fast)) {
    const VI<D> ki = hn::Sub(hn::BitCast(di, tt), hn::BitCast(di, kShift));
    const V k2p23 = hn::Set(d, 0x1p23f);
    // k + 149 in [2, 149], capped at 100 (only v < 2^23 matters)
    const V v = hn::Mul(mm, Pow2I(d, hn::Min(hn::Add(ki, hn::Set(di, 149)), hn::Set(di, 100))));
    const V sub = hn::BitCast(d, hn::Sub(hn::BitCast(di, hn::Add(v, k2p23)), hn::BitCast(di, k2p23)));
    y = hn::IfThenElse(hn::Lt(v, k2p23), sub, y);
  }
  y = hn::IfThenElse(hn::Lt(zh, hn::Zero(d)), hn::Sub(hn::Set(d, 2.0f), y), y);
  // NaN lanes (never on the fast path) -> NaN
  if (HWY_UNLIKELY(!fast)) y = hn::IfThenElse(hn::IsNaN(zh), zh, y);
  return y;
}

// Large-|x| part of Tanh/TanhShrink: 2e/(1 + e) = e2 * rc (unrounded
// product), e = e^(-2a), a = min(ax, 9.5) (no clamp below: callers discard
// small lanes). 2a = k ln2 + 2r, r = a - k C1/2 - k C2/2 (the first step
// exact, the second rounds: <= 2^-27 absolute), e^-2r = 1 - 2r + 4r^2
// P(-2r), P degree 4 minimax on [-0.35, 0.35] (relative error 0.056 *
// 2^-24, scripts/fit_vmath32.py exp 4; its powers of -2 folded into the
// coefficients), e2 = 2e as 2 + r (-4 + r 2Q(r)), rounded once, times 2^-k
// exact (k <= 28); rc = Recip(1 + e), 1 + e = e2/2 + 1 (one rounding):
// relative error of the quotient <= ~1.6 * 2^-24 (e ~0.6, 1 + e 0.5,
// Recip 0.5).
template <class D, class V>
HWY_INLINE void TanhTail(D d, V ax, V* e2, V* rc) {
  const hn::RebindToSigned<D> di;
  const V one = hn::Set(d, 1.0f);
  const V a = hn::Min(ax, hn::Set(d, 9.5f));
  const V kShift = hn::Set(d, 0x1.8p23f);
  const V t = hn::MulAdd(a, hn::Set(d, 0x1.715476p1f), kShift);
  const V k = hn::Sub(t, kShift);  // round(2a/ln2) >= 0
  V r = hn::NegMulAdd(k, hn::Set(d, 0x1.62e4p-2f), a);  // exact
  r = hn::NegMulAdd(k, hn::Set(d, 0x1.7f7d1cp-21f), r);
  // 2 e^-2r = 2 + r (-4 + r 2Q(r)) (2e directly: all scalings exact)
  V p = hn::MulAdd(hn::Set(d, 0x1.6a4da6p-3f), r, hn::Set(d, -0x1.123e58p-1f));
  p = hn::MulAdd(p, r, hn::Set(d, 0x1.5558b8p0f));
  p = hn::MulAdd(p, r, hn::Set(d, -0x1.55548cp1f));
  p = hn::MulAdd(p, r, hn::Set(d, 0x1.fffffcp1f));
  const V em2 = hn::MulAdd(r, hn::MulAdd(r, p, hn::Set(d, -4.0f)), hn::Set(d, 2.0f));
  // k << 23 == bits(t) << 23 (the shifter's bits 0x4B400000 vanish)
  const V e2v = hn::BitCast(d, hn::Sub(hn::BitCast(di, em2), hn::ShiftLeft<23>(hn::BitCast(di, t))));
  *e2 = e2v;
  *rc = Recip(d, hn::MulAdd(e2v, hn::Set(d, 0.5f), one));  // 1 + e
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

// e^x, lean: for the activation kernels' hot loops, where Exp's float-float
// tail (0.51 ULP) costs twice the operations. x = k ln2 + r exactly enough
// (Cody-Waite, ln2 in two parts), e^r by its degree-7 Taylor polynomial
// (truncation 0.347^8/8! = 5e-9, 0.09 ULP) in Horner form, whose last fma
// rounds once; then 2^k into the exponent bits. Vectors with any |x| >= 87
// (subnormal or overflowing results) or NaN go to Exp. Accuracy is measured
// through the kernels that use it (tests/accuracy_test.cc).
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ExpFast(D d, V x) {
  if (HWY_UNLIKELY(!hn::AllTrue(d, hn::Lt(hn::Abs(x), hn::Set(d, 87.0f))))) return vm32::Exp(d, x);
  const hn::RebindToSigned<D> di;
  const V kShift = hn::Set(d, 0x1.8p23f);
  const V t = hn::MulAdd(x, hn::Set(d, 0x1.715476p0f), kShift);
  const V k = hn::Sub(t, kShift);
  const auto ki = hn::Sub(hn::BitCast(di, t), hn::BitCast(di, kShift));
  V r = hn::NegMulAdd(k, hn::Set(d, 0x1.62e4p-1f), x);  // exact
  r = hn::NegMulAdd(k, hn::Set(d, 0x1.7f7d1cp-20f), r);
  V p = hn::Set(d, 1.0f / 5040);
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 720));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 120));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 24));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 6));
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  return hn::BitCast(d, hn::Add(hn::BitCast(di, p), hn::ShiftLeft<23>(ki)));
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
//   |x| >= 1: 1 - 2e/(1 + e), e = e^-2a, a = min(|x|, 9.5) (tanh rounds to
//            1 above 9.01), with a short float exp (~0.6 * 2^-24 relative):
//            the quotient is <= 0.24, so its errors cost <= 0.4 ULP.
// 1.08 ULP (FMA) / 1.19 (no FMA), both in the polynomial near |x| = 0.88
// (x^3 P is -0.24 of x there). Mixed vectors evaluate both formulas on |x|,
// select once and copy the sign once (one branch: all lanes >= 1).
// ±inf -> ±1; NaN -> NaN.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Tanh(D d, V x) {
  const V ax = hn::Abs(x);
  const V one = hn::Set(d, 1.0f);
  // Both formulas on |x|, one select, then the sign of x (±0 -> ±0). NaN
  // lanes are not "large" and take the polynomial, which keeps them NaN.
  const auto m_large = hn::Ge(ax, one);
  V v;
  if (HWY_UNLIKELY(hn::AllTrue(d, m_large))) {
    V e2, rc;
    detail::TanhTail(d, ax, &e2, &rc);
    v = hn::NegMulAdd(e2, rc, one);
  } else {
    const V x2 = hn::Mul(ax, ax);
    const V x4 = hn::Mul(x2, x2);
    V p = hn::MulAdd(hn::Set(d, 0x1.e76c16p-14f), x2, hn::Set(d, -0x1.ae8cbap-11f));
    V q = hn::MulAdd(hn::Set(d, 0x1.8f862cp-9f), x2, hn::Set(d, -0x1.18db64p-7f));
    V s = hn::MulAdd(hn::Set(d, 0x1.64c044p-6f), x2, hn::Set(d, -0x1.b9f6dap-5f));
    V t = hn::MulAdd(hn::Set(d, 0x1.11103cp-3f), x2, hn::Set(d, -0x1.555552p-2f));
    p = hn::MulAdd(p, x4, q);
    s = hn::MulAdd(s, x4, t);
    p = hn::MulAdd(p, hn::Mul(x4, x4), s);
    v = hn::MulAdd(hn::Mul(ax, x2), p, ax);
    if (!hn::AllFalse(d, m_large)) {
      V e2, rc;
      detail::TanhTail(d, ax, &e2, &rc);
      v = hn::IfThenElse(m_large, hn::NegMulAdd(e2, rc, one), v);
    }
  }
  return hn::CopySignToAbs(v, x);
}

// tanhshrink(x) = x - tanh(x).
//   |x| < 1.25: x^3 P(v), v = x^2 - 0.75 (x^2 from TwoProd, both halves),
//            P degree 9 minimax on x in [0, 1.25] (relative error 0.026 *
//            2^-24, scripts/fit_vmath32.py tanhshrink 9 1.25 0.75; in x^2
//            itself the terms alternate and cancel near x = 1.25, costing
//            ~3 ULP), its c0 a float-float c0h + c0l; x^3 = x * x^2 as a float-float
//            (TwoProd twice), c0h * x^3hi exact inside the final FMA (without
//            FMA: TwoProd), so one rounding matters. |x| < 2^-20 is scaled
//            by 2^40 (x^3 P by 2^120) so that no intermediate underflows;
//            the scaling back rounds into the subnormals (after x^3 P's own
//            rounding: <= 2^-24 relative, i.e. <= 0.5 units of 2^-149).
//   |x| >= 1.25: (|x| - 1) + 2e/(1 + e), e = e^-2|x| (detail::TanhTail):
//            |x| - 1 is exact, the quotient's errors (<= 1.6 * 2^-24 of
//            q <= 0.16) cost <= 0.5 ULP of the result (>= 0.40).
// Odd (±0 -> ±0), ±inf -> ±inf, NaN -> NaN.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V TanhShrink(D d, V x) {
  const V ax = hn::Abs(x);
  const V one = hn::Set(d, 1.0f);
  const V thr = hn::Set(d, 1.25f);
  const auto m_small = hn::Lt(ax, thr);
  V y = x;  // NaN stays NaN
  if (!hn::AllFalse(d, m_small)) {
    // |x| < 2^-20: work on xs = 2^40 |x| (exact) so that x^2, x^3 and their
    // low parts stay normal, and scale x^3 P back by 2^-120 at the end (one
    // rounding, into the subnormals where the result is one).
    const auto tiny = hn::Lt(ax, hn::Set(d, 0x1p-20f));
    const V xs = hn::Mul(ax, hn::IfThenElse(tiny, hn::Set(d, 0x1p40f), one));
    const V isc2 = hn::IfThenElse(tiny, hn::Set(d, 0x1p-80f), one);
    V x2l;
    const V x2 = vm32::TwoProd(d, xs, xs, &x2l);
    // v + vl = x^2 - 0.75 (Fast2Sum: |x^2| < 2 * 0.75 or the sum is exact)
    V vl;
    const V v = detail::FastTwoSum(hn::Set(d, -0.75f), hn::Mul(x2, isc2), &vl);
    vl = hn::MulAdd(x2l, isc2, vl);
    // Horner (fewer large cancelling intermediates than Estrin here).
    V p = hn::MulAdd(hn::Set(d, -0x1.dd0b52p-18f), v, hn::Set(d, 0x1.a84b78p-16f));
    p = hn::MulAdd(p, v, hn::Set(d, -0x1.29b3d6p-14f));
    p = hn::MulAdd(p, v, hn::Set(d, 0x1.d8a742p-13f));
    p = hn::MulAdd(p, v, hn::Set(d, -0x1.7ef94ep-11f));
    p = hn::MulAdd(p, v, hn::Set(d, 0x1.343546p-9f));
    p = hn::MulAdd(p, v, hn::Set(d, -0x1.efc26cp-8f));
    p = hn::MulAdd(p, v, hn::Set(d, 0x1.8ede46p-6f));
    p = hn::MulAdd(p, v, hn::Set(d, -0x1.417866p-4f));  // c9..c1
    const V c0h = hn::Set(d, 0x1.06c612p-2f);
    // P - c0h, with v's low part through the first-order term
    const V pl = hn::MulAdd(p, v, hn::MulAdd(p, vl, hn::Set(d, -0x1.79f29ap-28f)));
    V x3l;
    const V x3 = vm32::TwoProd(d, xs, x2, &x3l);
    x3l = hn::MulAdd(xs, x2l, x3l);
    const V tail = hn::MulAdd(x3, pl, hn::Mul(x3l, c0h));
#if HWY_NATIVE_FMA
    const V res = hn::MulAdd(x3, c0h, tail);
#else
    V ml;
    const V mh = vm32::TwoProd(d, x3, c0h, &ml);
    const V res = hn::Add(mh, hn::Add(ml, tail));
#endif
    const V r = hn::Mul(res, hn::IfThenElse(tiny, hn::Set(d, 0x1p-120f), one));
    y = hn::IfThenElse(m_small, hn::CopySignToAbs(r, x), y);
  }
  const auto m_large = hn::Ge(ax, thr);
  if (!hn::AllFalse(d, m_large)) {
    V e2, rc;
    detail::TanhTail(d, ax, &e2, &rc);
    const V v = hn::MulAdd(e2, rc, hn::Sub(ax, one));
    y = hn::IfThenElse(m_large, hn::CopySignToAbs(v, x), y);
  }
  return y;
}

// erf(x):
//   |x| < 1:  x + x P(x^2) (P: see detail::ErfSmallP).
//   |x| >= 1: ±(1 - erfc(|x|)) with detail::ErfcCore (erfc <= 0.16 there,
//             its error <= ~0.2 ULP of the result), |x| clamped to 4 (erf(4)
//             rounds to 1).
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
    const V v = hn::Sub(one, detail::ErfcCore<false>(d, a, a));
    y = hn::IfThenElse(m_large, hn::CopySignToAbs(v, x), y);
  }
  return y;
}

// erfc(x), float32 lanes (detail::ErfcCore): gradual underflow included
// (units of 2^-149; 0 from ~10.05 on), 2 below ~-3.9; erfc(+inf) = 0,
// erfc(-inf) = 2, NaN -> NaN.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Erfc(D d, V x) {
  return detail::ErfcCore<false>(d, x, x);
}

// erfc(zh + zl) for a float-float argument (|zl| <= ulp(zh)), e.g. GELU's
// z = -x/sqrt(2) = zh + zl with zl from TwoProd: detail::ErfcCore with zl
// carried into both e^(-z^2) and erfcx's argument; error measured against
// the exact erfc(zh + zl). NaN in zh -> NaN.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ErfcDD(D d, V zh, V zl) {
  return detail::ErfcCore<true>(d, zh, zl);
}

}  // namespace actlab::HWY_NAMESPACE::vm32
HWY_AFTER_NAMESPACE();

#endif  // ACTLAB_SRC_ACT_VMATH32_INL_H_
