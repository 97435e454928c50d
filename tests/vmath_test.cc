// Accuracy tests for src/act/vmath-inl.h against MPFR, on every Highway
// target that is both compiled in and supported by this machine.
//
// Error metric: |computed - exact| / ulp(exact), ulp(v) = 2^(floor(log2|v|)-52)
// but never below 2^-1074 (so results in the subnormal range are measured in
// units of the smallest subnormal). If the exact value rounds to overflow the
// computed value must be the infinity of the right sign; NaN must give NaN,
// exact zeros must be reproduced with their sign.
//
// References: MPFR at 256 bits with the exponent range widened to the
// maximum. erfc(x) for x >= 4 (and erf(|x| >= 4) = 1 - erfc) uses the
// Laplace continued fraction at 256 bits with enough terms for > 125 correct
// bits (mpfr_erfc takes milliseconds per call there); elsewhere erfc = 1 - erf
// at 256 bits (at most 26 bits cancel for x < 4).

#include <math.h>
#include <mpfr.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/vmath_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "src/act/vmath-inl.h"

HWY_BEFORE_NAMESPACE();
namespace actlab {
namespace vmtest {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace vm = actlab::HWY_NAMESPACE::vm;

// Function ids: 0..5 are ours; 100..103 are hwy's contrib/math versions
// (only used by the informational DISABLED_ baseline test).
template <class D, class V>
HWY_INLINE V ApplyFn(D d, int fn, V v) {
  switch (fn) {
    case 0:
      return vm::Exp(d, v);
    case 1:
      return vm::Expm1(d, v);
    case 2:
      return vm::Log1p(d, v);
    case 3:
      return vm::Tanh(d, v);
    case 4:
      return vm::Erf(d, v);
    case 5:
      return vm::Erfc(d, v);
    case 100:
      return hn::Exp(d, v);
    case 101:
      return hn::Expm1(d, v);
    case 102:
      return hn::Log1p(d, v);
    case 103:
      return hn::Tanh(d, v);
    default:
      return v;
  }
}

void EvalVm(int fn, const double* HWY_RESTRICT x, double* HWY_RESTRICT y,
            size_t n) {
  const hn::ScalableTag<double> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(ApplyFn(d, fn, hn::LoadU(d, x + i)), d, y + i);
  }
  if (i < n) {
    HWY_ALIGN double buf[HWY_MAX_BYTES / sizeof(double)];
    for (size_t j = 0; j < N; ++j) buf[j] = (i + j < n) ? x[i + j] : x[i];
    hn::Store(ApplyFn(d, fn, hn::Load(d, buf)), d, buf);
    for (size_t j = 0; i + j < n; ++j) y[i + j] = buf[j];
  }
}

// fn 0: TwoSum, fn 1: TwoProd. n must be a multiple of the lane count.
void EvalPair(int fn, const double* HWY_RESTRICT a, const double* HWY_RESTRICT b,
              double* HWY_RESTRICT hi, double* HWY_RESTRICT lo, size_t n) {
  const hn::ScalableTag<double> d;
  const size_t N = hn::Lanes(d);
  for (size_t i = 0; i + N <= n; i += N) {
    const auto va = hn::LoadU(d, a + i);
    const auto vb = hn::LoadU(d, b + i);
    hn::Vec<decltype(d)> e;
    const auto h = fn == 0 ? vm::TwoSum(d, va, vb, &e) : vm::TwoProd(d, va, vb, &e);
    hn::StoreU(h, d, hi + i);
    hn::StoreU(e, d, lo + i);
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace vmtest
}  // namespace actlab
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include "gtest/gtest.h"

namespace actlab {
namespace vmtest {

HWY_EXPORT(EvalVm);
HWY_EXPORT(EvalPair);

namespace {

enum Fn { kExp = 0, kExpm1, kLog1p, kTanh, kErf, kErfc, kNumFns };
const char* const kFnNames[kNumFns] = {"Exp",  "Expm1", "Log1p",
                                       "Tanh", "Erf",   "Erfc"};

constexpr mpfr_prec_t kPrec = 256;

// ---------------------------------------------------------------------------
// Reference values.

enum Kind : uint8_t {
  kFinite,
  kNaN,
  kPosInf,
  kNegInf,
  kOverflowPos,  // finite exact value that rounds to +inf
  kOverflowNeg,
  kZeroPos,
  kZeroNeg,
};

// exact / 2^ue == hi + lo (to ~100 bits), ulp(exact) == 2^ue.
struct Ref {
  double hi = 0.0;
  double lo = 0.0;
  int ue = 0;
  Kind kind = kFinite;
};

// erfc(x) for x >= 4 via the Laplace continued fraction
//   erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...))))
// evaluated backwards with N = ceil((36/x)^2) + 16 terms: > 125 correct bits
// for x >= 4 (checked against mpmath at 300 bits).
struct CfScratch {
  mpfr_t xm, t, u, e;
  CfScratch() { mpfr_inits2(kPrec, xm, t, u, e, static_cast<mpfr_ptr>(nullptr)); }
  ~CfScratch() { mpfr_clears(xm, t, u, e, static_cast<mpfr_ptr>(nullptr)); }
};

void ErfcCf(mpfr_t out, double x, CfScratch& s) {
  const int n_terms = static_cast<int>(ceil((36.0 / x) * (36.0 / x))) + 16;
  mpfr_set_d(s.xm, x, MPFR_RNDN);
  mpfr_set_zero(s.t, 1);
  for (int n = n_terms; n >= 1; --n) {
    mpfr_add(s.u, s.xm, s.t, MPFR_RNDN);
    mpfr_ui_div(s.t, static_cast<unsigned long>(n), s.u, MPFR_RNDN);  // NOLINT
    mpfr_div_2ui(s.t, s.t, 1, MPFR_RNDN);
  }
  mpfr_add(s.u, s.xm, s.t, MPFR_RNDN);  // continued fraction denominator
  mpfr_sqr(s.e, s.xm, MPFR_RNDN);
  mpfr_neg(s.e, s.e, MPFR_RNDN);
  mpfr_exp(s.e, s.e, MPFR_RNDN);
  mpfr_const_pi(s.t, MPFR_RNDN);
  mpfr_sqrt(s.t, s.t, MPFR_RNDN);
  mpfr_mul(s.u, s.u, s.t, MPFR_RNDN);
  mpfr_div(out, s.e, s.u, MPFR_RNDN);
}

void ExactValue(int fn, double x, mpfr_t v, mpfr_t xm, CfScratch& s) {
  mpfr_set_d(xm, x, MPFR_RNDN);
  switch (fn) {
    case kExp:
      mpfr_exp(v, xm, MPFR_RNDN);
      break;
    case kExpm1:
      mpfr_expm1(v, xm, MPFR_RNDN);
      break;
    case kLog1p:
      mpfr_log1p(v, xm, MPFR_RNDN);
      break;
    case kTanh:
      mpfr_tanh(v, xm, MPFR_RNDN);
      break;
    case kErf:
      if (isfinite(x) && fabs(x) >= 4.0) {
        ErfcCf(v, fabs(x), s);
        mpfr_ui_sub(v, 1, v, MPFR_RNDN);
        if (x < 0) mpfr_neg(v, v, MPFR_RNDN);
      } else {
        mpfr_erf(v, xm, MPFR_RNDN);
      }
      break;
    case kErfc:
      if (isfinite(x) && x >= 4.0) {
        ErfcCf(v, x, s);
      } else {
        mpfr_erf(v, xm, MPFR_RNDN);
        mpfr_ui_sub(v, 1, v, MPFR_RNDN);
      }
      break;
  }
}

Ref MakeRef(mpfr_t v, mpfr_t tmp) {
  Ref r;
  if (mpfr_nan_p(v)) {
    r.kind = kNaN;
    return r;
  }
  if (mpfr_inf_p(v)) {
    r.kind = mpfr_signbit(v) ? kNegInf : kPosInf;
    return r;
  }
  if (mpfr_zero_p(v)) {
    r.kind = mpfr_signbit(v) ? kZeroNeg : kZeroPos;
    return r;
  }
  // mpfr_get_d rounds correctly, so it overflows exactly when the exact value
  // rounds to overflow (|v| >= 2^1024 - 2^970).
  if (isinf(mpfr_get_d(v, MPFR_RNDN))) {
    r.kind = mpfr_signbit(v) ? kOverflowNeg : kOverflowPos;
    return r;
  }
  // v = 0.1xxx * 2^e  =>  floor(log2|v|) = e - 1.
  const long e = static_cast<long>(mpfr_get_exp(v));  // NOLINT
  r.ue = static_cast<int>(std::max<long>(e - 1 - 52, -1074));  // NOLINT
  mpfr_mul_2si(tmp, v, -r.ue, MPFR_RNDN);
  r.hi = mpfr_get_d(tmp, MPFR_RNDN);
  mpfr_sub_d(tmp, tmp, r.hi, MPFR_RNDN);
  r.lo = mpfr_get_d(tmp, MPFR_RNDN);
  r.kind = kFinite;
  return r;
}

std::vector<Ref> ComputeRefs(int fn, const std::vector<double>& xs) {
  std::vector<Ref> refs(xs.size());
  unsigned num_threads = std::max(1u, std::thread::hardware_concurrency());
  num_threads = std::min(num_threads, 16u);
  std::vector<std::thread> threads;
  const size_t chunk = (xs.size() + num_threads - 1) / num_threads;
  for (unsigned t = 0; t < num_threads; ++t) {
    const size_t begin = t * chunk;
    const size_t end = std::min(xs.size(), begin + chunk);
    if (begin >= end) break;
    threads.emplace_back([&, begin, end]() {
      // The exponent range is thread-local in TLS builds of MPFR.
      mpfr_set_emin(mpfr_get_emin_min());
      mpfr_set_emax(mpfr_get_emax_max());
      mpfr_t v, xm, tmp;
      mpfr_inits2(kPrec, v, xm, tmp, static_cast<mpfr_ptr>(nullptr));
      CfScratch scratch;
      for (size_t i = begin; i < end; ++i) {
        ExactValue(fn, xs[i], v, xm, scratch);
        refs[i] = MakeRef(v, tmp);
      }
      mpfr_clears(v, xm, tmp, static_cast<mpfr_ptr>(nullptr));
      mpfr_free_cache();
    });
  }
  for (auto& th : threads) th.join();
  return refs;
}

// Error in ULP of the exact value (see file comment); +inf for a wrong
// special value.
double UlpError(double c, const Ref& r) {
  const double kInf = std::numeric_limits<double>::infinity();
  switch (r.kind) {
    case kNaN:
      return isnan(c) ? 0.0 : kInf;
    case kPosInf:
    case kOverflowPos:
      return (c == kInf) ? 0.0 : kInf;
    case kNegInf:
    case kOverflowNeg:
      return (c == -kInf) ? 0.0 : kInf;
    case kZeroPos:
      return (c == 0.0 && !signbit(c)) ? 0.0 : kInf;
    case kZeroNeg:
      return (c == 0.0 && signbit(c)) ? 0.0 : kInf;
    case kFinite:
      break;
  }
  if (!isfinite(c)) return kInf;
  const double cs = ldexp(c, -r.ue);  // exact unless wildly wrong
  return fabs((cs - r.hi) - r.lo);
}

// ---------------------------------------------------------------------------
// Inputs.

double Bits(uint64_t b) {
  double v;
  memcpy(&v, &b, sizeof(v));
  return v;
}
uint64_t ToBits(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof(b));
  return b;
}

// Random sign (if signed), exponent uniform in [emin, emax], random mantissa.
double RandExp(std::mt19937_64& rng, int emin, int emax, bool is_signed) {
  std::uniform_int_distribution<int> de(emin, emax);
  const double m = 1.0 + static_cast<double>(rng() >> 12) * 0x1.0p-52;
  double v = ldexp(m, de(rng));
  if (is_signed && (rng() & 1)) v = -v;
  return v;
}

double RandLin(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

// Every ULP neighbour within +-64 of x, plus a coarser +-2^-24 relative
// sweep.
void AddNeighbours(std::vector<double>& xs, double x) {
  if (!isfinite(x)) return;
  double up = x, down = x;
  xs.push_back(x);
  for (int i = 0; i < 64; ++i) {
    up = nextafter(up, HUGE_VAL);
    down = nextafter(down, -HUGE_VAL);
    xs.push_back(up);
    xs.push_back(down);
  }
  for (int i = -64; i <= 64; ++i) xs.push_back(x * (1.0 + i * 0x1.0p-30));
}

struct Domain {
  int emin, emax;      // exponent range for the random set
  bool is_signed;      // random sign
  double lin_lo, lin_hi;  // linear-uniform range
  double sweep_lo, sweep_hi;  // log2 range of the log-spaced sweep
  std::vector<double> boundaries;  // swept with ULP neighbours, both signs
};

Domain GetDomain(int fn) {
  switch (fn) {
    case kExp:
      return {-60, 9, true, -746.0, 710.0, -1074.0, 9.6,
              {709.782712893384, 709.78271289338397, -745.13321910194122,
               -745.1332191019411, -744.44007192138122, -708.39641853226408,
               -708.39641853226412, 707.0, 710.0, 746.0, 0.34657359027997264,
               0.5, 1.0, 1.0397207708399179, 0x1.0p-54, 0x1.0p-28}};
    case kExpm1:
      return {-60, 9, true, -40.0, 710.0, -1074.0, 9.6,
              {709.782712893384, 709.78271289338397, 708.0, 40.0,
               37.429947750237048, 36.7368005696771, 0.34657359027997264,
               1.0397207708399179, 0x1.0p-54, 0x1.0p-28, 1.0}};
    case kLog1p:
      return {-60, 1023, false, -1.0, 4.0, -1074.0, 1023.9,
              {0x1.0p-54, 0x1.0p-29, 0.41421356237309503, 0.41421356237309509,
               0.25, 0.5, 1.0, 2.0, 0x1.0p53, 0x1.0p54,
               1.7976931348623157e308}};
    case kTanh:
      return {-60, 4, true, -20.0, 20.0, -1074.0, 5.0,
              {0x1.0p-28, 0x1.0p-27, 0.55, 0.5493061443340549, 1.0,
               19.061547465398498, 19.06154746539849, 20.0, 22.0}};
    case kErf:
      return {-60, 2, true, -6.5, 6.5, -1074.0, 5.0,
              {0.84375, 1.25, 2.857142857142857, 0x1.6db6db6db6db7p+1, 6.0,
               5.9215871957945065, 5.8635847, 28.0, 0x1.0p-28, 0.25,
               0.6174, 1.0}};
    case kErfc:
    default:
      return {-60, 4, true, -6.5, 28.0, -1074.0, 5.0,
              {0.84375, 1.25, 2.857142857142857, 0x1.6db6db6db6db7p+1, 6.0,
               28.0, 26.0, 26.543258965342115, 27.226017111108366,
               27.2281, 27.228, 0.25, 0x1.0p-56, 0x1.0p-28, 5.9215871957945065,
               1.0}};
  }
}

std::vector<double> MakeInputs(int fn) {
  const Domain dom = GetDomain(fn);
  std::mt19937_64 rng(0x5eed0000u + static_cast<unsigned>(fn));
  std::vector<double> xs;
  xs.reserve(240000);

  // ~200k random values: 65% exponent-uniform over the non-saturated range,
  // 10% exponent-uniform over tiny magnitudes (subnormals included),
  // 25% linear-uniform over the core interval.
  const int kRandom = 200000;
  for (int i = 0; i < kRandom; ++i) {
    const int sel = i % 20;
    double v;
    if (sel < 13) {
      v = RandExp(rng, dom.emin, dom.emax, dom.is_signed);
      if (fn == kLog1p && (rng() & 1)) {
        // Negative side of log1p: x in (-1, 0).
        v = -ldexp(1.0 + static_cast<double>(rng() >> 12) * 0x1.0p-52,
                   std::uniform_int_distribution<int>(-60, -1)(rng));
      }
    } else if (sel < 15) {
      v = RandExp(rng, -1074, -61, true);
    } else {
      v = RandLin(rng, dom.lin_lo, dom.lin_hi);
    }
    xs.push_back(v);
  }
  if (fn == kLog1p) {
    // x = -1 + 2^-e*m: arguments approaching the pole.
    for (int i = 0; i < 4000; ++i) {
      const double m = 1.0 + static_cast<double>(rng() >> 12) * 0x1.0p-52;
      xs.push_back(-1.0 + ldexp(m, -std::uniform_int_distribution<int>(1, 53)(rng)));
    }
  }
  if (fn == kExp) {
    // Dense in the gradual-underflow range.
    for (int i = 0; i < 10000; ++i) xs.push_back(RandLin(rng, -745.2, -708.3));
  }
  if (fn == kErfc) {
    // Dense in the gradual-underflow range of erfc.
    for (int i = 0; i < 10000; ++i) xs.push_back(RandLin(rng, 26.4, 27.3));
  }
  if (fn == kErf || fn == kErfc) {
    // Dense where erfc is least accurate (the exp tail near 1.25..3, and the
    // 0.84375..1.25 rational), both signs.
    for (int i = 0; i < 20000; ++i) {
      const double v = RandLin(rng, 0.25, 3.5);
      xs.push_back((i & 3) == 0 ? -v : v);
    }
    // erfc's worst case: the exp tail just above 1.25, where |R/S| is largest.
    for (int i = 0; i < 30000; ++i) xs.push_back(RandLin(rng, 1.25, 2.25));
  }

  // Log-spaced sweep: +-2^t.
  const int kSweep = 3000;
  for (int i = 0; i < kSweep; ++i) {
    const double t = dom.sweep_lo + (dom.sweep_hi - dom.sweep_lo) * i / (kSweep - 1);
    const double v = exp2(t);
    xs.push_back(v);
    if (dom.is_signed) xs.push_back(-v);
    if (fn == kLog1p && v < 1.0) xs.push_back(-v);
  }

  // Bit patterns near 0: smallest subnormals, largest subnormals, smallest
  // normals, both signs.
  for (uint64_t b = 0; b < 1024; ++b) {
    for (uint64_t base : {uint64_t{0}, uint64_t{0x000FFFFFFFFFFC00ull},
                          uint64_t{0x0010000000000000ull}}) {
      xs.push_back(Bits(base + b));
      xs.push_back(Bits((base + b) | 0x8000000000000000ull));
    }
  }

  // Algorithm boundaries and thresholds, +-64 ULP, both signs.
  for (double b : dom.boundaries) {
    AddNeighbours(xs, b);
    AddNeighbours(xs, -b);
  }
  if (fn == kLog1p) {
    AddNeighbours(xs, -1.0);
    AddNeighbours(xs, -0.29289321881345254);  // sqrt(2)/2 - 1
    AddNeighbours(xs, -0.5);
    AddNeighbours(xs, -0.25);
  }

  // Specials.
  const double kInf = std::numeric_limits<double>::infinity();
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (double v : {kNaN, -kNaN, kInf, -kInf, 0.0, -0.0, 1.7976931348623157e308,
                   -1.7976931348623157e308, 2.2250738585072014e-308,
                   -2.2250738585072014e-308, 4.9406564584124654e-324,
                   -4.9406564584124654e-324, 1.0, -1.0}) {
    xs.push_back(v);
  }
  return xs;
}

// ---------------------------------------------------------------------------

// All targets compiled into this binary and supported by this CPU. Clears any
// previous SetSupportedTargetsForTest mock first (it also filters this list).
std::vector<int64_t> AllTargets() {
  hwy::SetSupportedTargetsForTest(0);
  return hwy::SupportedAndGeneratedTargets();
}

struct Worst {
  double ulp = 0.0;
  double x = 0.0;
  double got = 0.0;
};

Worst Measure(int fn_id, const std::vector<double>& xs,
              const std::vector<Ref>& refs, std::vector<double>& ys,
              bool (*in_domain)(double) = nullptr) {
  ys.assign(xs.size(), 0.0);
  HWY_DYNAMIC_DISPATCH(EvalVm)(fn_id, xs.data(), ys.data(), xs.size());
  Worst w;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (in_domain && !in_domain(xs[i])) continue;
    const double e = UlpError(ys[i], refs[i]);
    if (!(e <= w.ulp)) {
      w.ulp = e;
      w.x = xs[i];
      w.got = ys[i];
    }
  }
  return w;
}

void RunAccuracy(int fn, double budget) {
  const std::vector<double> xs = MakeInputs(fn);
  const std::vector<Ref> refs = ComputeRefs(fn, xs);
  std::vector<double> ys, ys2;

  // Permuted copy: results must not depend on the neighbouring lanes
  // (branch skipping with AllTrue/AllFalse must not change any lane).
  std::vector<double> xs_perm(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) xs_perm[i] = xs[(i * 7919 + 13) % xs.size()];
  ASSERT_NE(xs.size() % 7919, 0u);

  for (int64_t target : AllTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    const Worst w = Measure(fn, xs, refs, ys);
    printf("%-6s %-8s worst %.4f ULP at x=%.17g (%a) got %.17g [%zu inputs]\n",
           kFnNames[fn], hwy::TargetName(target), w.ulp, w.x, w.x, w.got,
           xs.size());
    EXPECT_LE(w.ulp, budget) << kFnNames[fn] << " on " << hwy::TargetName(target)
                             << " at x=" << w.x << " got " << w.got;

    ys2.assign(xs.size(), 0.0);
    HWY_DYNAMIC_DISPATCH(EvalVm)(fn, xs_perm.data(), ys2.data(), xs.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double a = ys[(i * 7919 + 13) % xs.size()];
      const double b = ys2[i];
      if (!(ToBits(a) == ToBits(b) || (isnan(a) && isnan(b)))) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0u) << kFnNames[fn] << " on " << hwy::TargetName(target)
                              << ": results depend on neighbouring lanes";
  }
  hwy::SetSupportedTargetsForTest(0);
  fflush(stdout);
}

TEST(VmathTest, Exp) { RunAccuracy(kExp, 1.0); }
TEST(VmathTest, Expm1) { RunAccuracy(kExpm1, 2.0); }
TEST(VmathTest, Log1p) { RunAccuracy(kLog1p, 2.0); }
TEST(VmathTest, Tanh) { RunAccuracy(kTanh, 2.0); }
TEST(VmathTest, Erf) { RunAccuracy(kErf, 2.0); }
TEST(VmathTest, Erfc) { RunAccuracy(kErfc, 2.0); }

// Spot checks of special values with exact expectations.
TEST(VmathTest, Specials) {
  const double kInf = std::numeric_limits<double>::infinity();
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    int fn;
    double x, y;
  };
  const Case cases[] = {
      {kExp, kInf, kInf},       {kExp, -kInf, 0.0},      {kExp, 0.0, 1.0},
      {kExp, 709.79, kInf},     {kExp, -746.0, 0.0},     {kExp, 1e300, kInf},
      {kExpm1, kInf, kInf},     {kExpm1, -kInf, -1.0},   {kExpm1, -0.0, -0.0},
      {kExpm1, 709.79, kInf},   {kExpm1, -1e300, -1.0},  {kLog1p, kInf, kInf},
      {kLog1p, -1.0, -kInf},    {kLog1p, -0.0, -0.0},    {kLog1p, 0.0, 0.0},
      {kTanh, kInf, 1.0},       {kTanh, -kInf, -1.0},    {kTanh, -0.0, -0.0},
      {kTanh, 4.9406564584124654e-324, 4.9406564584124654e-324},
      {kErf, kInf, 1.0},        {kErf, -kInf, -1.0},     {kErf, -0.0, -0.0},
      {kErf, 0.0, 0.0},         {kErfc, kInf, 0.0},      {kErfc, -kInf, 2.0},
      {kErfc, 0.0, 1.0},        {kErfc, 30.0, 0.0},      {kErfc, -30.0, 2.0},
  };
  for (int64_t target : AllTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (const Case& c : cases) {
      double y = 0.0;
      HWY_DYNAMIC_DISPATCH(EvalVm)(c.fn, &c.x, &y, 1);
      EXPECT_EQ(ToBits(y), ToBits(c.y))
          << kFnNames[c.fn] << "(" << c.x << ") = " << y << " on "
          << hwy::TargetName(target);
    }
    for (int fn = 0; fn < kNumFns; ++fn) {
      double y = 0.0;
      HWY_DYNAMIC_DISPATCH(EvalVm)(fn, &kNaN, &y, 1);
      EXPECT_TRUE(isnan(y)) << kFnNames[fn] << "(NaN) on " << hwy::TargetName(target);
    }
    double y = 0.0;
    const double m2 = -2.0;
    HWY_DYNAMIC_DISPATCH(EvalVm)(kLog1p, &m2, &y, 1);
    EXPECT_TRUE(isnan(y)) << "Log1p(-2) on " << hwy::TargetName(target);
  }
  hwy::SetSupportedTargetsForTest(0);
}

// TwoSum / TwoProd must be error-free: hi + lo == exact (checked in MPFR).
TEST(VmathTest, TwoSumTwoProd) {
  mpfr_set_emin(mpfr_get_emin_min());
  mpfr_set_emax(mpfr_get_emax_max());
  std::mt19937_64 rng(42);
  const size_t n = 64 * 1024;  // multiple of every lane count
  std::vector<double> a(n), b(n), hi(n), lo(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = RandExp(rng, -400, 400, true);
    // Sums: mix similar and very different magnitudes (cancellation too).
    b[i] = (i % 3 == 0) ? -a[i] * (1.0 + RandExp(rng, -60, -1, true))
                        : RandExp(rng, -400, 400, true);
  }
  mpfr_t ex, got, t;
  mpfr_inits2(4096, ex, got, t, static_cast<mpfr_ptr>(nullptr));
  for (int64_t target : AllTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (int fn = 0; fn < 2; ++fn) {
      HWY_DYNAMIC_DISPATCH(EvalPair)(fn, a.data(), b.data(), hi.data(), lo.data(), n);
      size_t bad = 0;
      for (size_t i = 0; i < n; ++i) {
        mpfr_set_d(ex, a[i], MPFR_RNDN);
        mpfr_set_d(t, b[i], MPFR_RNDN);
        if (fn == 0) {
          mpfr_add(ex, ex, t, MPFR_RNDN);
        } else {
          mpfr_mul(ex, ex, t, MPFR_RNDN);
        }
        mpfr_set_d(got, hi[i], MPFR_RNDN);
        mpfr_set_d(t, lo[i], MPFR_RNDN);
        mpfr_add(got, got, t, MPFR_RNDN);
        const double rounded = mpfr_get_d(ex, MPFR_RNDN);
        if (!mpfr_equal_p(ex, got) || rounded != hi[i]) ++bad;
      }
      EXPECT_EQ(bad, 0u) << (fn == 0 ? "TwoSum" : "TwoProd") << " on "
                         << hwy::TargetName(target);
    }
  }
  mpfr_clears(ex, got, t, static_cast<mpfr_ptr>(nullptr));
  hwy::SetSupportedTargetsForTest(0);
}

// Informational: the same measurement for hwy's contrib/math functions, over
// their documented domains (Exp/Expm1: 0 < |x| <= 700; Log1p: finite x > 0;
// Tanh: finite x != 0; signed zeros and specials excluded) and over the whole
// range. Run with --gtest_also_run_disabled_tests.
bool DomExp(double x) { return x != 0.0 && fabs(x) <= 700.0; }
bool DomLog1p(double x) { return x > 0.0 && isfinite(x); }
bool DomTanh(double x) { return x != 0.0 && isfinite(x); }
TEST(VmathTest, DISABLED_HwyBaseline) {
  const int fns[] = {kExp, kExpm1, kLog1p, kTanh};
  bool (*doms[])(double) = {DomExp, DomExp, DomLog1p, DomTanh};
  for (int k = 0; k < 4; ++k) {
    const int fn = fns[k];
    const std::vector<double> xs = MakeInputs(fn);
    const std::vector<Ref> refs = ComputeRefs(fn, xs);
    std::vector<double> ys;
    for (int64_t target : AllTargets()) {
      hwy::SetSupportedTargetsForTest(target);
      const Worst wd = Measure(100 + k, xs, refs, ys, doms[k]);
      const Worst wa = Measure(100 + k, xs, refs, ys);
      printf("hwy::%-6s %-8s documented-domain worst %.4g ULP at x=%.17g; "
             "whole range worst %.4g ULP at x=%.17g (got %.17g)\n",
             kFnNames[fn], hwy::TargetName(target), wd.ulp, wd.x, wa.ulp, wa.x,
             wa.got);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace
}  // namespace vmtest
}  // namespace actlab

#endif  // HWY_ONCE
