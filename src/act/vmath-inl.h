// actlab: vector math for float64 lanes (Highway 1.0.3, per-target -inl.h).
//
// Functions (all `template <class D, class V = hn::Vec<D>> V Name(D d, V x)`,
// TFromD<D> == double), each valid over the WHOLE double range. Worst errors
// measured against MPFR by tests/vmath_test.cc (~220k-280k inputs each) on
// AVX3/AVX2 (FMA) and SSE4/SCALAR/EMU128 (no FMA):
//
//   Exp    0.53 ULP for normal results; gradual underflow rounds once into the
//          subnormals (< 0.75 units of 2^-1074); +inf from 709.7827128933840,
//          -inf -> +0.
//   Expm1  0.75 ULP (0.62 away from |x| ~ 2^-53); -> -1 for x <= -38, +inf.
//   Log1p  0.79 ULP (fdlibm algorithm), x in (-1, +inf]; -1 -> -inf, < -1 ->
//          NaN.
//   Tanh   0.56 ULP; tanh(x) == x for |x| < 2^-28 (subnormals too), ±inf -> ±1.
//   Erf    0.90 ULP (fdlibm s_erf.c algorithm).
//   Erfc   0.89 ULP (FMA) / 1.0 ULP (no FMA); denser sampling of [1.25, 3]
//          found 0.93 / 1.04. fdlibm s_erf.c algorithm with double-double
//          steps; gradual underflow up to x ~ 27.23.
//   TwoSum / TwoProd: error-free transformations.
//   NaN in -> NaN out everywhere; signed zeros are preserved where odd.
//
// None of hwy's contrib/math Exp/Expm1/Log1p/Tanh is used (see each function
// for why); all reductions are written so that they are exact/accurate both
// with a native FMA (AVX2, AVX3) and without (SSE4, SCALAR/EMU128, where
// hn::MulAdd is a rounded multiply followed by a rounded add), and also when
// the compiler contracts a*b+c into an FMA on its own (GCC's default
// -ffp-contract=fast).
//
// Every x86 target hwy 1.0.3 builds (SCALAR or EMU128, SSE4, AVX2, AVX3):
// only 1.0.3 APIs, no SIMD constants at namespace scope. Lanes are
// independent: branch skipping (AllTrue/AllFalse) never changes a lane.

#if defined(ACTLAB_SRC_ACT_VMATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTLAB_SRC_ACT_VMATH_INL_H_
#undef ACTLAB_SRC_ACT_VMATH_INL_H_
#else
#define ACTLAB_SRC_ACT_VMATH_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace actlab::HWY_NAMESPACE::vm {
namespace hn = hwy::HWY_NAMESPACE;

// ---------------------------------------------------------------------------
// Error-free transformations (double-double building blocks).

// s + *err == a + b exactly (Knuth's branch-free 2Sum, 6 flops). Requires
// round-to-nearest and no overflow; valid for any ordering of |a|, |b|.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V TwoSum(D /*d*/, V a, V b, V* err) {
  const V s = hn::Add(a, b);
  const V bb = hn::Sub(s, a);
  const V ab = hn::Sub(s, bb);
  *err = hn::Add(hn::Sub(a, ab), hn::Sub(b, bb));
  return s;
}

// p + *err == a * b exactly (barring underflow of the error term and
// |a|, |b| >= 2^1024 - 2^997). With a native FMA the error is
// MulSub(a, b, p). Targets without native FMA (SSE4, SCALAR/EMU128) emulate
// MulSub as a rounded multiply minus p, which would return 0, so there we use
// Dekker's product. Its operands are split into 26-bit halves with integer
// ops only (round the bit pattern at bit 27, clear the low 27 bits) instead of
// Veltkamp's (2^27+1)*a trick: the latter breaks if the compiler contracts
// c - (c - a) into an FMA (GCC contracts by default, -ffp-contract=fast, even
// in -std=c++20 mode, when the TU is built with FMA enabled).
template <class D, class V = hn::Vec<D>>
HWY_INLINE V TwoProd(D d, V a, V b, V* err) {
  const V p = hn::Mul(a, b);
#if HWY_NATIVE_FMA
  (void)d;
  *err = hn::MulSub(a, b, p);
#else
  const hn::RebindToUnsigned<D> du;
  const auto kRound = hn::Set(du, uint64_t{1} << 26);
  const auto kMask = hn::Set(du, ~((uint64_t{1} << 27) - 1));
  const V ah = hn::BitCast(d, hn::And(hn::Add(hn::BitCast(du, a), kRound), kMask));
  const V al = hn::Sub(a, ah);  // exact, <= 26 significant bits
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

// a - b*c with only the final rounding (exactly representable residuals are
// returned exactly): FMA where native, Dekker otherwise.
template <class D, class V>
HWY_INLINE V ResidualMul(D d, V a, V b, V c) {
#if HWY_NATIVE_FMA
  (void)d;
  return hn::NegMulAdd(b, c, a);
#else
  V pe;
  const V p = vm::TwoProd(d, b, c, &pe);
  return hn::Sub(hn::Sub(a, p), pe);  // a - p is exact (p ~ a by Sterbenz).
#endif
}

template <class D>
HWY_INLINE hn::Vec<D> Inf(D d) {
  const hn::RebindToUnsigned<D> du;
  return hn::BitCast(d, hn::Set(du, 0x7FF0000000000000ull));
}
template <class D>
HWY_INLINE hn::Vec<D> NaN(D d) {
  const hn::RebindToUnsigned<D> du;
  return hn::BitCast(d, hn::Set(du, 0x7FF8000000000000ull));
}

// 2^k for integer lanes k in [-1022, 1023].
template <class D>
HWY_INLINE hn::Vec<D> Pow2I(D d, VI<D> k) {
  const hn::RebindToSigned<D> di;
  return hn::BitCast(d, hn::ShiftLeft<52>(hn::Add(k, hn::Set(di, 1023))));
}

// y * 2^k with a single rounding (gradual underflow and overflow are exact
// IEEE roundings) for y in [2^-10, 4) and k in [-1140, 1030]: the first
// product is exact (stays normal), only the second one rounds.
template <class D, class V>
HWY_INLINE V LdexpSlow(D d, V y, VI<D> k) {
  const VI<D> k1 = hn::ShiftRight<1>(k);
  const VI<D> k2 = hn::Sub(k, k1);
  return hn::Mul(hn::Mul(y, Pow2I(d, k1)), Pow2I(d, k2));
}

// y * 2^k by adding k to the exponent field: exact, but only valid when the
// result is a finite normal number.
template <class D, class V>
HWY_INLINE V LdexpFast(D d, V y, VI<D> k) {
  const hn::RebindToSigned<D> di;
  return hn::BitCast(d, hn::Add(hn::BitCast(di, y), hn::ShiftLeft<52>(k)));
}

// exp() reduction + core. Writes k and returns hi with hi + *lo ≈ exp(r)
// where x = xh (+ xl) = k*ln2 + r, |r| <= ln2/2 (+tiny), so that
// exp(x) = 2^k * (hi + *lo), hi + lo in [0.70, 1.42], relative error of the
// pair ~2^-60 (rounding errors only in the r^3 term, plus the 2^-57.7
// relative approximation error of Q, i.e. <= 2^-62 of e^r).
//
// Reduction: k = round(x/ln2) via the 1.5*2^52 shifter (the low mantissa bits
// of t hold k); r_hi = xh - k*Ln2Hi is exact (Ln2Hi has 32 significant bits,
// |k| < 2^11, and x - k*Ln2Hi is a multiple of ulp(xh) of magnitude < 1), then
// r = r_hi (+ xl) - k*Ln2Lo with the rounding errors carried in rl.
// Core: exp(r + rl) = 1 + r + r^2*Q(r) + rl*(1 + r), Q(r) = (e^r-1-r)/r^2 a
// degree-10 minimax polynomial on [-0.35, 0.35] (relative error 2^-57.7 with
// double coefficients; generated with a Remez exchange in mpmath).
template <bool kHasLo, class D, class V>
HWY_INLINE V ExpCore(D d, V xh, V xl, V xl2, V* lo, VI<D>* k_out) {
  const hn::RebindToSigned<D> di;
  const V kLog2e = hn::Set(d, 0x1.71547652b82fep0);
  const V kShift = hn::Set(d, 0x1.8p52);
  const V kLn2Hi = hn::Set(d, 0x1.62e42fee00000p-1);   // fdlibm ln2_hi
  const V kLn2Lo = hn::Set(d, 0x1.a39ef35793c76p-33);  // fdlibm ln2_lo

  const V xs = kHasLo ? hn::Add(xh, xl) : xh;
  const V t = hn::MulAdd(xs, kLog2e, kShift);
  const V kd = hn::Sub(t, kShift);
  *k_out = hn::Sub(hn::BitCast(di, t), hn::BitCast(di, kShift));

  const V rh = hn::NegMulAdd(kd, kLn2Hi, xh);  // exact
  const V c = hn::Mul(kd, kLn2Lo);
  V r, rl;
  if (kHasLo) {
    V e1, e2;
    const V s1 = vm::TwoSum(d, rh, xl, &e1);
    r = FastTwoSum(s1, hn::Neg(c), &e2);
    rl = hn::Add(hn::Add(e1, e2), xl2);
  } else {
    r = FastTwoSum(rh, hn::Neg(c), &rl);
  }

  // Q(r) = (e^r - 1 - r)/r^2 ≈ q0 + q1 r + ... + q10 r^10, minimax (relative)
  // on [-0.35, 0.35], q0 = 1/2 exactly. e^r is assembled as
  //   1 + r + r^2/2 + r^3 (q1 + q2 r + ... + q10 r^9)
  // with r^2 = r2h + r2l exact (TwoProd) and 1 + r + r2h/2 split exactly
  // (two Fast2Sums), so only the r^3 term (<= 0.0071) carries rounding
  // errors: the pair (hi, lo) is accurate to ~2^-60 relative.
  V r2l;
  const V r2 = vm::TwoProd(d, r, r, &r2l);
  const V r4 = hn::Mul(r2, r2);
  const V r8 = hn::Mul(r4, r4);
  const V q12 = hn::MulAdd(hn::Set(d, 0x1.555555555554ep-5), r,
                           hn::Set(d, 0x1.5555555555557p-3));
  const V q34 = hn::MulAdd(hn::Set(d, 0x1.6c16c16c1a4bep-10), r,
                           hn::Set(d, 0x1.111111110ff9cp-7));
  const V q56 = hn::MulAdd(hn::Set(d, 0x1.a01a018f6d2c5p-16), r,
                           hn::Set(d, 0x1.a01a01ac96247p-13));
  const V q78 = hn::MulAdd(hn::Set(d, 0x1.27e511b745e07p-22), r,
                           hn::Set(d, 0x1.71de000b7ee0ep-19));
  const V q9a = hn::MulAdd(hn::Set(d, 0x1.1f1ad47891527p-29), r,
                           hn::Set(d, 0x1.af525c47a33acp-26));
  const V q14 = hn::MulAdd(q34, r2, q12);
  const V q58 = hn::MulAdd(q78, r2, q56);
  const V q = hn::MulAdd(q9a, r8, hn::MulAdd(q58, r4, q14));
  const V half = hn::Set(d, 0.5);

  V se, se2;
  const V sh = FastTwoSum(hn::Set(d, 1.0), r, &se);       // |r| < 1
  const V sh2 = FastTwoSum(sh, hn::Mul(r2, half), &se2);  // sh >= 0.7 > r^2/2
  V l = hn::MulAdd(hn::Mul(r, r2), q, hn::MulAdd(rl, r, rl));
  l = hn::MulAdd(r2l, half, l);
  *lo = hn::Add(hn::Add(se, se2), l);
  return sh2;
}

// expm1 core for x in [-40, 708]: returns expm1(x) rounded (≈0.5 ULP plus
// the ~2^-60 relative error of the exp core, amplified by at most
// 2^k*e^r/|expm1(x)| <= 3.5 around |x| = ln2/2) and, if kWantLo, *lo with
// hi + *lo ≈ expm1(x) as a normalized double-double.
// expm1(x) = 2^k*(eh + el) - 1: t*eh is exact, (t*eh) - 1 is split exactly
// with TwoSum, and t*el is added to the low part, so the only rounding that
// matters is the final one.
template <bool kWantLo, class D, class V>
HWY_INLINE V Expm1Core(D d, V xc, V* lo) {
  V el;
  VI<D> k;
  const V eh = ExpCore<false>(d, xc, xc, xc, &el, &k);
  const V t = Pow2I(d, k);  // k in [-58, 1022]: normal
  V ue;
  const V u = vm::TwoSum(d, hn::Mul(t, eh), hn::Set(d, -1.0), &ue);
  const V w = hn::MulAdd(t, el, ue);
  if (kWantLo) return vm::TwoSum(d, u, w, lo);
  (void)lo;
  return hn::Add(u, w);
}

// ---- erf/erfc pieces (fdlibm s_erf.c; coefficients verified bit-exact
// against two independent copies of s_erf.c: musl and libccc) ----

// |x| < 0.84375: erf(x) = x + x*y, y = pp(z)/qq(z), z = x^2,
// |y - (erf(x)-x)/x| <= 2^-57.90. The Horner schemes stop at the degree-2
// coefficient (in z) so that erfc can finish them in double-double.
template <class D, class V>
HWY_INLINE V ErfSmallR2(D d, V z) {
  V r = hn::Set(d, -0x1.8ead6120016acp-16);                      // pp4
  r = hn::MulAdd(r, z, hn::Set(d, -0x1.7a291236668e4p-8));       // pp3
  return hn::MulAdd(r, z, hn::Set(d, -0x1.d2a51dbd7194fp-6));    // pp2
}
template <class D, class V>
HWY_INLINE V ErfSmallS2(D d, V z) {
  V s = hn::Set(d, -0x1.09c4342a26120p-18);                      // qq5
  s = hn::MulAdd(s, z, hn::Set(d, 0x1.15dc9221c1a10p-13));       // qq4
  s = hn::MulAdd(s, z, hn::Set(d, 0x1.4d022c4d36b0fp-8));        // qq3
  return hn::MulAdd(s, z, hn::Set(d, 0x1.0a54c5536cebap-4));     // qq2
}
template <class D, class V>
HWY_INLINE V ErfSmallY(D d, V x) {
  const V z = hn::Mul(x, x);
  V r = hn::MulAdd(ErfSmallR2(d, z), z, hn::Set(d, -0x1.4cd7d691cb913p-2));  // pp1
  r = hn::MulAdd(r, z, hn::Set(d, 0x1.06eba8214db68p-3));                   // pp0
  V s = hn::MulAdd(ErfSmallS2(d, z), z, hn::Set(d, 0x1.97779cddadc09p-2));  // qq1
  s = hn::MulAdd(s, z, hn::Set(d, 1.0));
  return hn::Div(r, s);
}

// c0 + z*(c1 + z*t) as a double-double (hi + *lo) for z = zh + zl and a
// rounded double t: both steps use TwoProd/TwoSum, so the result is accurate
// to ~2^-53 * |z^2 * t| + O(2^-100) instead of ~1 ULP.
template <bool kHasZl, class D, class V>
HWY_INLINE V HornerTail2DD(D d, V zh, V zl, V t, V c1, V c0, V* lo) {
  V me, e;
  V m = vm::TwoProd(d, zh, t, &me);
  const V a1 = vm::TwoSum(d, c1, m, &e);
  V a1l = hn::Add(e, me);
  if (kHasZl) a1l = hn::MulAdd(zl, t, a1l);
  m = vm::TwoProd(d, zh, a1, &me);
  const V a0 = vm::TwoSum(d, c0, m, &e);
  V l = hn::MulAdd(zh, a1l, me);
  if (kHasZl) l = hn::MulAdd(zl, a1, l);
  *lo = hn::Add(e, l);
  return a0;
}

// (nh + nl) / (dh + dl) as a double-double: q0 = nh * (1/dh) and one Newton
// correction with the exact residual nh - q0*dh (FMA or Dekker).
template <class D, class V>
HWY_INLINE V DivDD(D d, V nh, V nl, V dh, V dl, V* lo);

// y of the previous interval as a double-double (yh + *lo), accurate to
// ~2^-57 relative (z = x^2 exact via TwoProd, last two Horner steps and the
// division in double-double). Used by erfc on [0.25, 0.84375), where the
// result 0.5 - ((x - 0.5) + x*y) is as small as 0.23 and the ~2-ULP error of
// the plain y (pp0 + pp1*z cancels to 0.8 of its terms) would show.
template <class D, class V>
HWY_INLINE V ErfSmallY_DD(D d, V x, V* lo) {
  V zl;
  const V zh = vm::TwoProd(d, x, x, &zl);
  V rl, sl;
  const V rh = HornerTail2DD<true>(d, zh, zl, ErfSmallR2(d, zh),
                                   hn::Set(d, -0x1.4cd7d691cb913p-2),  // pp1
                                   hn::Set(d, 0x1.06eba8214db68p-3),   // pp0
                                   &rl);
  const V sh = HornerTail2DD<true>(d, zh, zl, ErfSmallS2(d, zh),
                                   hn::Set(d, 0x1.97779cddadc09p-2),   // qq1
                                   hn::Set(d, 1.0), &sl);
  return DivDD(d, rh, rl, sh, sl, lo);
}

// 0.84375 <= |x| < 1.25: erf(|x|) = erx + P(s)/Q(s), s = |x| - 1 (exact),
// erx = (float)0.84506291151, |P/Q - (erf(|x|) - erx)| <= 2^-59.06.
// Horner down to the coefficient of degree 2; the last two steps are left to
// the callers (plain for erf, double-double for erfc).
template <class D, class V>
HWY_INLINE V ErfMidP2(D d, V s) {
  V p = hn::Set(d, -0x1.1bf380a96073fp-9);                       // pa6
  p = hn::MulAdd(p, s, hn::Set(d, 0x1.22a36599795ebp-5));        // pa5
  p = hn::MulAdd(p, s, hn::Set(d, -0x1.c63983d3e28ecp-4));       // pa4
  p = hn::MulAdd(p, s, hn::Set(d, 0x1.45fca805120e4p-2));        // pa3
  return hn::MulAdd(p, s, hn::Set(d, -0x1.7d240fbb8c3f1p-2));    // pa2
}
template <class D, class V>
HWY_INLINE V ErfMidQ2(D d, V s) {
  V q = hn::Set(d, 0x1.88b545735151dp-7);                        // qa6
  q = hn::MulAdd(q, s, hn::Set(d, 0x1.bedc26b51dd1cp-7));        // qa5
  q = hn::MulAdd(q, s, hn::Set(d, 0x1.02660e763351fp-3));        // qa4
  q = hn::MulAdd(q, s, hn::Set(d, 0x1.2635cd99fe9a7p-4));        // qa3
  return hn::MulAdd(q, s, hn::Set(d, 0x1.14af092eb6f33p-1));     // qa2
}
template <class D, class V>
HWY_INLINE V ErfMidPQ(D d, V ax) {
  const V s = hn::Sub(ax, hn::Set(d, 1.0));
  V p = hn::MulAdd(ErfMidP2(d, s), s, hn::Set(d, 0x1.a8d00ad92b34dp-2));  // pa1
  p = hn::MulAdd(p, s, hn::Set(d, -0x1.359b8bef77538p-9));               // pa0
  V q = hn::MulAdd(ErfMidQ2(d, s), s, hn::Set(d, 0x1.b3e6618eee323p-4));  // qa1
  q = hn::MulAdd(q, s, hn::Set(d, 1.0));
  return hn::Div(p, q);
}

template <class D, class V>
HWY_INLINE V DivDD(D d, V nh, V nl, V dh, V dl, V* lo) {
  const V rcp = hn::Div(hn::Set(d, 1.0), dh);
  const V q0 = hn::Mul(nh, rcp);
  const V res = ResidualMul(d, nh, q0, dh);
  *lo = hn::Mul(hn::NegMulAdd(q0, dl, hn::Add(res, nl)), rcp);
  return q0;
}

// P/Q of the previous interval as a double-double (hi + *lo, ~2^-100
// relative besides the 2^-59 approximation error): P and Q in double-double,
// then q0 = Ph * (1/Qh) and one Newton correction with the exact residual.
// Needed by erfc, whose result (1 - erx) - P/Q (0.077..0.23) is about as small
// as P/Q itself, so plain Horner/division errors (~1.5 ULP of P/Q) would
// pass straight into the result.
template <class D, class V>
HWY_INLINE V ErfMidPQ_DD(D d, V ax, V* lo) {
  const V s = hn::Sub(ax, hn::Set(d, 1.0));
  V pl, ql;
  const V ph = HornerTail2DD<false>(d, s, s, ErfMidP2(d, s),
                                    hn::Set(d, 0x1.a8d00ad92b34dp-2),   // pa1
                                    hn::Set(d, -0x1.359b8bef77538p-9),  // pa0
                                    &pl);
  const V qh = HornerTail2DD<false>(d, s, s, ErfMidQ2(d, s),
                                    hn::Set(d, 0x1.b3e6618eee323p-4),   // qa1
                                    hn::Set(d, 1.0), &ql);
  return DivDD(d, ph, pl, qh, ql, lo);
}

// One Horner step c + r*w in double-double: r = rh + rl, w = wh + wl.
// Requires |r*w| >= |c| (Fast2Sum); for the erfc tail steps below
// |r*w| >= 2.4|c| holds over each coefficient set's interval.
template <class D, class V>
HWY_INLINE V HornerStepDD(D d, V rh, V rl, V wh, V wl, V c, V* lo) {
  V pe, e;
  const V p = vm::TwoProd(d, rh, wh, &pe);
  const V s = FastTwoSum(p, c, &e);
  *lo = hn::Add(e, hn::MulAdd(rl, wh, hn::MulAdd(rh, wl, pe)));
  return s;
}

// R(s)/S(s), s = 1/x^2, for 1.25 <= x < 1/0.35 (ra/sa, degree 7/8,
// |R/S - f| < 2^-62.57) and 1/0.35 <= x <= 28 (rb/sb, degree 6/7,
// |R/S - f| < 2^-61.52), f = log(x*erfc(x)) + x^2 + 0.5625.
// To save the division computing s, both are evaluated as polynomials in
// w = x^2 = wh + wl (numerator and denominator multiplied by w^7 resp. w^8
// for ra/sa, w^6 resp. w^7 for rb/sb):
//   R/S = w * Rrev(w) / Srev(w),
// with reversed coefficient order (all terms of Rrev have the same sign, and
// so have those of Srev except the negligible last one). R/S reaches -0.21
// at x = 1.25 and its absolute error is a relative error of erfc, so the
// last three Horner steps of Rrev and Srev run in double-double: a plain
// evaluation leaves up to ~0.8 (FMA) / 1.1 (no FMA) ULP of erfc, this about
// 0.5 / 0.7 ULP.
// Coefficient tables, highest degree first. The rb/sb set is padded with a
// leading zero so that both sets share one evaluation (same degrees); mixed
// vectors then blend coefficients instead of evaluating both rationals.
struct ErfcRsCoefs {
  static constexpr double kNumA[8] = {
      -0x1.43412600d6435p-7, -0x1.63416e4ba7360p-1, -0x1.51e0441b0e726p+3,
      -0x1.f300ae4cba38dp+5, -0x1.44cb184282266p+7, -0x1.7135cebccabb2p+7,
      -0x1.4526557e4d2f2p+6, -0x1.3a0efc69ac25cp+3};  // ra0..ra7
  static constexpr double kDenA[9] = {
      1.0,                   0x1.3a6b9bd707687p+4,  0x1.1350c526ae721p+7,
      0x1.b290dd58a1a71p+8,  0x1.42b1921ec2868p+9,  0x1.ad02157700314p+8,
      0x1.b28a3ee48ae2cp+6,  0x1.a47ef8e484a93p+2,  -0x1.eeff2ee749a62p-5};
  // 1, sa1..sa8
  static constexpr double kNumB[8] = {
      0.0,                    -0x1.4341239e86f4ap-7, -0x1.993ba70c285dep-1,
      -0x1.1c209555f995ap+4,  -0x1.4145d43c5ed98p+7, -0x1.3ec881375f228p+9,
      -0x1.004616a2e5992p+10, -0x1.e384e9bdc383fp+8};  // 0, rb0..rb6
  static constexpr double kDenB[9] = {
      0.0,                   1.0,                   0x1.e568b261d5190p+4,
      0x1.45cae221b9f0ap+8,  0x1.802eb189d5118p+10, 0x1.8ffb7688c246ap+11,
      0x1.3f219cedf3be6p+11, 0x1.da874e79fe763p+8,  -0x1.670e242712d62p+4};
  // 0, 1, sb1..sb7
};

// kSet 0: ra/sa, 1: rb/sb, 2: per lane (use_a ? ra/sa : rb/sb).
template <int kSet, class D, class M>
HWY_INLINE hn::Vec<D> ErfcCoef(D d, M use_a, double a, double b) {
  if (kSet == 0) return hn::Set(d, a);
  if (kSet == 1) return hn::Set(d, b);
  return hn::IfThenElse(use_a, hn::Set(d, a), hn::Set(d, b));
}

// Rrev(w) = hi + *nl and Srev(w) = *dh + *dl for w = wh + wl (see above).
// With kDD false everything is plain Horner and the low parts are zero.
template <int kSet, bool kDD, class D, class V, class M>
HWY_INLINE V ErfcRs(D d, M use_a, V wh, V wl, V* nl, V* dh, V* dl) {
  using C = ErfcRsCoefs;
  const int kPlainNum = kDD ? 5 : 8;
  const int kPlainDen = kDD ? 6 : 9;
  V r = ErfcCoef<kSet>(d, use_a, C::kNumA[0], C::kNumB[0]);
  for (int i = 1; i < kPlainNum; ++i) {
    r = hn::MulAdd(r, wh, ErfcCoef<kSet>(d, use_a, C::kNumA[i], C::kNumB[i]));
  }
  V rl = hn::Zero(d);
  for (int i = kPlainNum; i < 8; ++i) {
    r = HornerStepDD(d, r, rl, wh, wl,
                     ErfcCoef<kSet>(d, use_a, C::kNumA[i], C::kNumB[i]), &rl);
  }
  V s = ErfcCoef<kSet>(d, use_a, C::kDenA[0], C::kDenB[0]);
  for (int i = 1; i < kPlainDen; ++i) {
    s = hn::MulAdd(s, wh, ErfcCoef<kSet>(d, use_a, C::kDenA[i], C::kDenB[i]));
  }
  V sl = hn::Zero(d);
  for (int i = kPlainDen; i < 9; ++i) {
    s = HornerStepDD(d, s, sl, wh, wl,
                     ErfcCoef<kSet>(d, use_a, C::kDenA[i], C::kDenB[i]), &sl);
  }
  *nl = rl;
  *dh = s;
  *dl = sl;
  return r;
}

// erfc(ax) for ax in [1.25, 28] (callers clamp all lanes into this range).
// fdlibm: erfc(x) = exp(-x^2 - 0.5625 + R/S) / x. With z = x with the low 32
// mantissa bits cleared (21 significant bits), z*z is exact and
// -x^2 = -z^2 + (z - x)(z + x), so the exp argument is the double-double
//   hi = -z*z - 0.5625 (exact: both terms are multiples of 2^-40, |hi| < 2^10)
//   lo = (z - x)(z + x) + R/S   (|lo| < 0.25)
// which ExpCore<true> reduces without losing the low part (no rounding of
// -x*x - 0.5625 + R/S as a whole). Then erfc = 2^k * (eh + el) / x, scaled by
// 2^k with a single rounding (also when the result is subnormal).
// kAccurate (erfc): R/S from the double-double Horner tails and a DivDD,
// lo kept as an exact pair, and (eh + el) / x as a Newton-corrected quotient:
// measured <= ~0.95 ULP with FMA, ~1.05 without (the plain version: ~1.35 /
// ~1.6, dominated by the rounding errors of R/S, whose absolute error is a
// relative error of erfc and which reaches -0.21 at x = 1.25).
// !kAccurate (erf = 1 - erfc, erfc <= 0.077 there): plain evaluation; its
// error is scaled down by erfc/erf <= 0.084 in the result.
template <bool kAccurate, class D, class V>
HWY_INLINE V ErfcTail(D d, V ax) {
  const hn::RebindToUnsigned<D> du;
  const auto use_a = hn::Lt(ax, hn::Set(d, 0x1.6db6db6db6db7p+1));  // 1/0.35
  V wl = hn::Zero(d);
  const V w = kAccurate ? vm::TwoProd(d, ax, ax, &wl) : hn::Mul(ax, ax);
  V nh, nl, dh, dl;
  if (hn::AllTrue(d, use_a)) {
    nh = ErfcRs<0, kAccurate>(d, use_a, w, wl, &nl, &dh, &dl);
  } else if (hn::AllFalse(d, use_a)) {
    nh = ErfcRs<1, kAccurate>(d, use_a, w, wl, &nl, &dh, &dl);
  } else {
    nh = ErfcRs<2, kAccurate>(d, use_a, w, wl, &nl, &dh, &dl);
  }

  const V z = hn::And(ax, hn::BitCast(d, hn::Set(du, 0xFFFFFFFF00000000ull)));
  const V hi = hn::NegMulAdd(z, z, hn::Set(d, -0.5625));
  const V zz = hn::Mul(hn::Sub(z, ax), hn::Add(z, ax));
  V el;
  VI<D> k;
  V q;
  if (kAccurate) {
    // R/S = w * (nh + nl) / (dh + dl) as a pair rs + rs_l.
    V pe;
    const V nwh = vm::TwoProd(d, nh, w, &pe);
    const V nwl = hn::MulAdd(nh, wl, hn::MulAdd(nl, w, pe));
    V rs_l;
    const V rs = DivDD(d, nwh, nwl, dh, dl, &rs_l);
    V lo2;
    const V lo = vm::TwoSum(d, rs, zz, &lo2);
    lo2 = hn::Add(lo2, rs_l);
    const V eh = ExpCore<true>(d, hi, lo, lo2, &el, &k);
    // (eh + el) / ax as a rounded double; q in [0.024, 1.14].
    const V rcp = hn::Div(hn::Set(d, 1.0), ax);
    const V q0 = hn::Mul(eh, rcp);
    const V res = ResidualMul(d, eh, q0, ax);
    q = hn::MulAdd(hn::Add(res, el), rcp, q0);
  } else {
    const V lo = hn::Add(hn::Div(hn::Mul(nh, w), dh), zz);
    const V eh = ExpCore<true>(d, hi, lo, hn::Zero(d), &el, &k);
    q = hn::Div(hn::Add(eh, el), ax);
  }

  // Normal results (ax < 26 => k >= -977) take the exact exponent add.
  if (hn::AllTrue(d, hn::Lt(ax, hn::Set(d, 26.0)))) {
    return LdexpFast(d, q, k);
  }
  return LdexpSlow(d, q, k);
}

}  // namespace detail

// ---------------------------------------------------------------------------
// exp(x). hwy's Exp (documented up to x = 706, but fine up to the overflow
// threshold and in the subnormal range in 1.0.3) returns 0 for NaN and has a
// measured worst error of 0.97 ULP; this one is ≈0.5 ULP (double-double core,
// one final rounding) at the same speed, and its core is shared with
// Expm1/Tanh/Erfc. +inf for x >= 709.7827128933840 (IEEE overflow of the
// final scaling), single-rounding gradual underflow, +0 below -745.13.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Exp(D d, V x) {
  V lo;
  detail::VI<D> k;
  const auto in_range = hn::Lt(hn::Abs(x), hn::Set(d, 707.0));
  if (HWY_LIKELY(hn::AllTrue(d, in_range))) {
    const V hi = detail::ExpCore<false>(d, x, x, x, &lo, &k);
    return detail::LdexpFast(d, hn::Add(hi, lo), k);
  }
  // Clamp so that k stays in [-1077, 1025]; beyond, the result is 0 or inf
  // anyway and the final rounding of LdexpSlow produces exactly that.
  const V xc = hn::Min(hn::Max(x, hn::Set(d, -746.0)), hn::Set(d, 710.0));
  const V hi = detail::ExpCore<false>(d, xc, xc, xc, &lo, &k);
  const V y = detail::LdexpSlow(d, hn::Add(hi, lo), k);
  return hn::IfThenElse(hn::IsNaN(x), x, y);
}

// expm1(x). hwy's Expm1 reconstructs 2^k*(1+p) - 1 with plain rounded
// operations (claims 4 ULP; measured worst 3.65 ULP near x = 0.375, and
// expm1(-0) = +0). Here: x = k*ln2 + r,
// double-double exp(r), exact t*hi - 1 via TwoSum, one final rounding:
// ≈0.5 ULP. x > 708 uses Exp (the -1 is far below half an ULP there);
// x <= -40 gives -1 (expm1(-40) rounds to -1); expm1(±0) = ±0.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Expm1(D d, V x) {
  const V xc = hn::Min(hn::Max(x, hn::Set(d, -40.0)), hn::Set(d, 708.0));
  V unused_lo;
  V y = detail::Expm1Core<false>(d, xc, &unused_lo);
  const V zero = hn::Zero(d);
  y = hn::IfThenElse(hn::Eq(x, zero), x, y);  // keep the sign of -0
  if (HWY_UNLIKELY(!hn::AllTrue(d, hn::Le(x, hn::Set(d, 708.0))))) {
    y = hn::IfThenElse(hn::Gt(x, hn::Set(d, 708.0)), vm::Exp(d, x), y);
    y = hn::IfThenElse(hn::IsNaN(x), x, y);
  }
  return y;
}

// log1p(x) for x in (-1, +inf]: fdlibm s_log1p.c algorithm (< 1 ULP there).
// hwy's Log1p computes log(1+x)*x/((1+x)-1), only documented for x >= 0
// (measured worst there 2.1 ULP; log1p(-1) gives -709.09 instead of -inf).
//   u = 1 + x rounded, c = exact rounding error of u (TwoSum).
//   u = 2^k * m, m in [sqrt(2)/2, sqrt(2)), f = m - 1 (exact).
//   If k == 0: f = x and c = 0 (no information lost).
//   log1p(x) = k*ln2_hi + (f - hfsq + s*(hfsq + R) + k*ln2_lo + c/u),
//   s = f/(2+f), hfsq = f^2/2, R = Lp1 s^2 + ... + Lp7 s^14
//   (|log1p(f) - (f - hfsq + s*(hfsq+R))| < 2^-58.45).
// Specials: -1 -> -inf, < -1 -> NaN, +inf -> +inf, NaN -> NaN, ±0 -> ±0.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Log1p(D d, V x) {
  const hn::RebindToSigned<D> di;
  const hn::RebindToUnsigned<D> du;
  const V one = hn::Set(d, 1.0);
  V c;
  const V u = vm::TwoSum(d, one, x, &c);

  // Exponent/mantissa split with m in [sqrt(2)/2, sqrt(2)).
  const auto kMagic = hn::Set(di, 0x3FE6A09E667F3BCDll);  // bits(sqrt(2)/2)
  const auto ui = hn::Add(hn::BitCast(di, u),
                          hn::Set(di, 0x3FF0000000000000ll - 0x3FE6A09E667F3BCDll));
  const V m = hn::BitCast(
      d, hn::Add(hn::And(ui, hn::Set(di, 0x000FFFFFFFFFFFFFll)), kMagic));
  // k as double: (ui >> 52) is a small non-negative integer (u > 0 finite);
  // or-ing it into the mantissa of 2^52 converts it exactly.
  const V kbias = hn::Sub(
      hn::BitCast(d, hn::Or(hn::ShiftRight<52>(hn::BitCast(du, ui)),
                            hn::Set(du, 0x4330000000000000ull))),
      hn::Set(d, 0x1.0p52 + 1023.0));
  const auto k0 = hn::Eq(kbias, hn::Zero(d));
  const V f = hn::IfThenElse(k0, x, hn::Sub(m, one));
  const V cu = hn::IfThenElseZero(hn::Not(k0), hn::Div(c, u));

  const V hfsq = hn::Mul(hn::Mul(f, f), hn::Set(d, 0.5));
  const V s = hn::Div(f, hn::Add(f, hn::Set(d, 2.0)));
  const V z = hn::Mul(s, s);
  const V z2 = hn::Mul(z, z);
  // R = z*(Lp1 + z*(Lp2 + ... )) split in even/odd parts like fdlibm's log.
  const V t1 = hn::Mul(
      z2, hn::MulAdd(z2, hn::MulAdd(z2, hn::Set(d, 0x1.39a09d078c69fp-3),
                                    hn::Set(d, 0x1.c71c51d8e78afp-3)),
                     hn::Set(d, 0x1.999999997fa04p-2)));  // Lp6, Lp4, Lp2
  const V t2 = hn::Mul(
      z, hn::MulAdd(z2, hn::MulAdd(z2, hn::MulAdd(z2, hn::Set(d, 0x1.2f112df3e5244p-3),
                                                  hn::Set(d, 0x1.7466496cb03dep-3)),
                                   hn::Set(d, 0x1.2492494229359p-2)),
                    hn::Set(d, 0x1.5555555555593p-1)));  // Lp7, Lp5, Lp3, Lp1
  const V R = hn::Add(t1, t2);

  const V kLn2Hi = hn::Set(d, 0x1.62e42fee00000p-1);
  const V kLn2Lo = hn::Set(d, 0x1.a39ef35793c76p-33);
  // k*ln2_hi - ((hfsq - (s*(hfsq+R) + (k*ln2_lo + c/u))) - f)
  const V corr = hn::MulAdd(kbias, kLn2Lo, cu);
  const V inner = hn::Sub(hfsq, hn::MulAdd(s, hn::Add(hfsq, R), corr));
  V y = hn::MulSub(kbias, kLn2Hi, hn::Sub(inner, f));

  // |x| < 2^-54 (incl. ±0 and subnormals): log1p(x) rounds to x.
  y = hn::IfThenElse(hn::Lt(hn::Abs(x), hn::Set(d, 0x1.0p-54)), x, y);

  const V kInf = detail::Inf(d);
  const auto ok = hn::And(hn::Gt(x, hn::Set(d, -1.0)), hn::Lt(x, kInf));
  if (HWY_UNLIKELY(!hn::AllTrue(d, ok))) {
    y = hn::IfThenElse(hn::Eq(x, hn::Set(d, -1.0)), hn::Neg(kInf), y);
    y = hn::IfThenElse(hn::Lt(x, hn::Set(d, -1.0)), detail::NaN(d), y);
    y = hn::IfThenElse(hn::Eq(x, kInf), kInf, y);
    y = hn::IfThenElse(hn::IsNaN(x), x, y);
  }
  return y;
}

// tanh(x). hwy's Tanh is expm1(2x)/(expm1(2x)+2) with plain roundings on top
// of its Expm1 (measured worst 2.78 ULP near x = 0.18). Here the same formula
// is evaluated in double-double:
//   e = expm1(2|x|) as a normalized pair (eh, el) from Expm1Core,
//   D = e + 2 = Dh + Dl (TwoSum), q = e / D with one Newton step:
//   q0 = eh * (1/Dh), q = q0 + (eh - q0*Dh + el - q0*Dl) / Dh,
// the residual eh - q0*Dh exact (FMA or Dekker). ≈0.5 ULP everywhere.
// |x| < 2^-28 returns x (tanh(x) = x(1 - x^2/3 ...) rounds to x there,
// subnormals included); |x| >= 20 gives ±1 naturally (clamped).
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Tanh(D d, V x) {
  const V ax = hn::Abs(x);
  const V xc = hn::Min(ax, hn::Set(d, 20.0));
  V el;
  const V eh = detail::Expm1Core<true>(d, hn::Add(xc, xc), &el);
  V de;
  const V dh = vm::TwoSum(d, eh, hn::Set(d, 2.0), &de);
  const V dl = hn::Add(de, el);
  const V rcp = hn::Div(hn::Set(d, 1.0), dh);
  const V q0 = hn::Mul(eh, rcp);
  const V res = detail::ResidualMul(d, eh, q0, dh);
  const V q = hn::MulAdd(hn::NegMulAdd(q0, dl, hn::Add(res, el)), rcp, q0);
  const V y = hn::CopySignToAbs(q, x);
  const auto keep_x =
      hn::Or(hn::Lt(ax, hn::Set(d, 0x1.0p-28)), hn::IsNaN(x));
  return hn::IfThenElse(keep_x, x, y);
}

// erf(x), fdlibm s_erf.c algorithm, branches blended per lane:
//   |x| < 0.84375:        x + x*y (y = pp/qq rational in x^2)        < 1 ULP
//   0.84375 <= |x| < 1.25: ±(erx + P/Q)(s = |x| - 1)                 < 1 ULP
//   1.25 <= |x| < 6:      ±(1 - erfc(|x|)), erfc from ErfcTail        < 1 ULP
//   |x| >= 6:             ±1 (1 - erfc(6) rounds to 1; computed by clamping)
// Only the branches present in the vector are evaluated (AllFalse checks).
// erf(±0) = ±0; subnormal x: x*y rounds once and x + x*y is exact (or the
// FMA rounds once), so erf(x) = 2/sqrt(pi)*x to within one subnormal unit.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Erf(D d, V x) {
  const V ax = hn::Abs(x);
  const auto m_small = hn::Lt(ax, hn::Set(d, 0.84375));
  const auto m_tail = hn::Ge(ax, hn::Set(d, 1.25));
  const auto m_mid = hn::AndNot(hn::Or(m_small, m_tail),
                                hn::Lt(ax, detail::Inf(d)));  // not NaN
  V y = x;  // NaN lanes stay NaN
  if (!hn::AllFalse(d, m_small)) {
    const V v = hn::MulAdd(x, detail::ErfSmallY(d, x), x);
    y = hn::IfThenElse(m_small, v, y);
  }
  if (!hn::AllFalse(d, m_mid)) {
    const V erx = hn::Set(d, 0x1.b0ac160000000p-1);
    const V v = hn::Add(erx, detail::ErfMidPQ(d, ax));
    y = hn::IfThenElse(m_mid, hn::CopySignToAbs(v, x), y);
  }
  if (!hn::AllFalse(d, m_tail)) {
    const V axc = hn::Min(hn::Max(ax, hn::Set(d, 1.25)), hn::Set(d, 6.0));
    const V v = hn::Sub(hn::Set(d, 1.0), detail::ErfcTail<false>(d, axc));
    y = hn::IfThenElse(m_tail, hn::CopySignToAbs(v, x), y);
  }
  return y;
}

// erfc(x), fdlibm s_erf.c algorithm:
//   |x| < 0.84375: x < 1/4:  1 - (x + x*y)
//                  x >= 1/4: 0.5 - ((x - 0.5) + x*y), evaluated with y, x*y
//                  and both sums in double-double (fdlibm's plain version
//                  loses up to ~1.2 extra ULP near x = 0.84, where the
//                  result is only 0.23)
//   0.84375 <= |x| < 1.25: x > 0: (1 - erx) - P/Q; x < 0: 1 + (erx + P/Q)
//   |x| >= 1.25: x > 0: ErfcTail(min(x, 28)) (gradual underflow, 0 beyond
//                27.23); x < 0: 2 - ErfcTail(min(|x|, 28)) (-> 2 below -6).
// erfc(+inf) = 0, erfc(-inf) = 2, NaN -> NaN.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Erfc(D d, V x) {
  const V ax = hn::Abs(x);
  const V one = hn::Set(d, 1.0);
  const V half = hn::Set(d, 0.5);
  const auto m_small = hn::Lt(ax, hn::Set(d, 0.84375));
  const auto m_tail = hn::Ge(ax, hn::Set(d, 1.25));
  const auto m_mid = hn::AndNot(hn::Or(m_small, m_tail),
                                hn::Lt(ax, detail::Inf(d)));
  const auto neg = hn::Lt(x, hn::Zero(d));
  V y = x;
  if (!hn::AllFalse(d, m_small)) {
    // x < 1/4: 1 - (x + x*y); 1/4 <= x < 0.84375: 0.5 - ((x - 0.5) + x*y)
    // with y, x*y and the sum as exact pairs (x - 0.5 is exact there).
    // Lanes pick by their own x only, so results never depend on neighbours.
    const auto m_dd = hn::AndNot(hn::Lt(x, hn::Set(d, 0.25)), m_small);
    const bool any_dd = !hn::AllFalse(d, m_dd);
    const bool all_dd = hn::AllTrue(d, hn::Or(m_dd, hn::Not(m_small)));
    V v_lo = x, v_hi = x;
    if (!all_dd) {
      const V xy = hn::Mul(x, detail::ErfSmallY(d, x));
      v_lo = hn::Sub(one, hn::Add(x, xy));
    }
    if (any_dd) {
      V yl, pl, l;
      const V yh = detail::ErfSmallY_DD(d, x, &yl);
      const V ph = vm::TwoProd(d, x, yh, &pl);
      const V h = vm::TwoSum(d, hn::Sub(x, half), ph, &l);
      V te;
      const V t = vm::TwoSum(d, half, hn::Neg(h), &te);  // 0.5 - h: not exact
      v_hi = hn::Add(t, hn::Sub(te, hn::Add(l, hn::MulAdd(x, yl, pl))));
    }
    const V v = hn::IfThenElse(m_dd, v_hi, v_lo);
    y = hn::IfThenElse(m_small, v, y);
  }
  if (!hn::AllFalse(d, m_mid)) {
    V pq_lo;
    const V pq = detail::ErfMidPQ_DD(d, ax, &pq_lo);
    V e;
    const V h = vm::TwoSum(d, hn::Set(d, 0x1.3d4fa80000000p-3), hn::Neg(pq),
                           &e);  // (1 - erx) - P/Q, 1 - erx exact
    const V v_pos = hn::Add(h, hn::Sub(e, pq_lo));
    const V v_neg =
        hn::Add(one, hn::Add(hn::Set(d, 0x1.b0ac160000000p-1), pq));
    y = hn::IfThenElse(m_mid, hn::IfThenElse(neg, v_neg, v_pos), y);
  }
  if (!hn::AllFalse(d, m_tail)) {
    const V axc = hn::Min(hn::Max(ax, hn::Set(d, 1.25)), hn::Set(d, 28.0));
    const V t = detail::ErfcTail<true>(d, axc);
    const V v = hn::IfThenElse(neg, hn::Sub(hn::Set(d, 2.0), t), t);
    y = hn::IfThenElse(m_tail, v, y);
  }
  return y;
}

}  // namespace actlab::HWY_NAMESPACE::vm
HWY_AFTER_NAMESPACE();

#endif  // ACTLAB_SRC_ACT_VMATH_INL_H_
