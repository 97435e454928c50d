// Accuracy (and a rough speed report) for src/act/vmath32-inl.h, on every
// Highway target that is both compiled in and supported by this machine.
//
// Error metric: |computed - exact| / ulp(exact) with ulp(v) =
// 2^(floor(log2|v|) - 23), never below 2^-149 (results in the subnormal range
// are measured in units of the smallest subnormal). Exact values that round
// to overflow must give the infinity of the right sign; NaN must give NaN;
// exact zeros must be reproduced with their sign.
//
// Reference ("exact"): the float64 functions of src/act/vmath-inl.h, which
// tests/vmath_test.cc checks against MPFR (<= ~1 ULP of a double, i.e.
// ~2^-29 ULP of a float: exact enough here). ErfcDD's reference is
// vm::Erfc(double(zh) + double(zl)) (the rounding of the sum changes erfc by
// <= 2 z^2 2^-53 relative, < 2^-20 float ULP). The reference itself is
// cross-checked against MPFR on a subsample (MpfrCrossCheck).
//
// Inputs per function (~6-15M): a stride-997 sweep of all 2^32 bit patterns
// (specials, subnormals, huge values included), exhaustive sweeps of whole
// binades where the algorithms switch or lose most, dense linear-uniform
// samples over the non-saturated range, every ULP neighbour (+-256) of the
// algorithm boundaries and thresholds, and specials.

#include <math.h>
#include <mpfr.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/vmath32_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "src/act/vmath-inl.h"
#include "src/act/vmath32-inl.h"

HWY_BEFORE_NAMESPACE();
namespace actlab {
namespace vm32test {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace vm = actlab::HWY_NAMESPACE::vm;
namespace vm32 = actlab::HWY_NAMESPACE::vm32;

// Function ids: 0..5, 7 ours (6 = ErfcDD, separate entry point); 100.. hwy's
// float contrib/math versions (speed baseline only).
template <class D, class V>
HWY_INLINE V ApplyFn(D d, int fn, V v) {
  switch (fn) {
    case 0:
      return vm32::Exp(d, v);
    case 1:
      return vm32::Expm1(d, v);
    case 2:
      return vm32::Log1p(d, v);
    case 3:
      return vm32::Tanh(d, v);
    case 4:
      return vm32::Erf(d, v);
    case 5:
      return vm32::Erfc(d, v);
    case 7:
      return vm32::TanhShrink(d, v);
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

template <class D, class F>
HWY_INLINE void Loop(D d, size_t n, const F& f) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) f(i, N);
  if (i < n) f(i, n - i);
}

void EvalF32(int fn, const float* HWY_RESTRICT x, float* HWY_RESTRICT y,
             size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(ApplyFn(d, fn, hn::LoadU(d, x + i)), d, y + i);
  }
  if (i < n) {
    HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)];
    for (size_t j = 0; j < N; ++j) buf[j] = (i + j < n) ? x[i + j] : x[i];
    hn::Store(ApplyFn(d, fn, hn::Load(d, buf)), d, buf);
    for (size_t j = 0; i + j < n; ++j) y[i + j] = buf[j];
  }
}

void EvalErfcDD(const float* HWY_RESTRICT zh, const float* HWY_RESTRICT zl,
                float* HWY_RESTRICT y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(vm32::ErfcDD(d, hn::LoadU(d, zh + i), hn::LoadU(d, zl + i)), d,
               y + i);
  }
  if (i < n) {
    HWY_ALIGN float bh[HWY_MAX_BYTES / sizeof(float)];
    HWY_ALIGN float bl[HWY_MAX_BYTES / sizeof(float)];
    for (size_t j = 0; j < N; ++j) {
      bh[j] = (i + j < n) ? zh[i + j] : zh[i];
      bl[j] = (i + j < n) ? zl[i + j] : zl[i];
    }
    hn::Store(vm32::ErfcDD(d, hn::Load(d, bh), hn::Load(d, bl)), d, bh);
    for (size_t j = 0; i + j < n; ++j) y[i + j] = bh[j];
  }
}

// Reference: float64 vm functions of double(x) (fn 6: x + x2). TanhShrink
// (fn 7): x - vm::Tanh(x) for |x| >= 2^-7 (cancellation costs a factor
// 3/x^2 <= 2^16 of vm's ~2^-52: < 2^-35 relative), else the series
// x^3/3 - 2x^5/15 + 17x^7/315 - 62x^9/2835 (next term < 2^-56 relative).
template <class DD, class VD>
HWY_INLINE VD ApplyRef(DD dd, int fn, VD v) {
  if (fn == 7) {
    const VD x2 = hn::Mul(v, v);
    VD s = hn::MulAdd(hn::Set(dd, -62.0 / 2835), x2, hn::Set(dd, 17.0 / 315));
    s = hn::MulAdd(s, x2, hn::Set(dd, -2.0 / 15));
    s = hn::MulAdd(s, x2, hn::Set(dd, 1.0 / 3));
    s = hn::Mul(hn::Mul(v, x2), s);
    const VD big = hn::Sub(v, vm::Tanh(dd, v));
    return hn::IfThenElse(hn::Lt(hn::Abs(v), hn::Set(dd, 0x1p-7)), s, big);
  }
  switch (fn) {
    case 0:
      return vm::Exp(dd, v);
    case 1:
      return vm::Expm1(dd, v);
    case 2:
      return vm::Log1p(dd, v);
    case 3:
      return vm::Tanh(dd, v);
    case 4:
      return vm::Erf(dd, v);
    default:
      return vm::Erfc(dd, v);
  }
}

void EvalRef(int fn, const float* HWY_RESTRICT x, const float* HWY_RESTRICT x2,
             double* HWY_RESTRICT y, size_t n) {
  const hn::ScalableTag<double> dd;
  const size_t N = hn::Lanes(dd);
  HWY_ALIGN double buf[HWY_MAX_BYTES / sizeof(double)];
  for (size_t i = 0; i < n; i += N) {
    for (size_t j = 0; j < N; ++j) {
      const size_t k = (i + j < n) ? i + j : i;
      buf[j] = static_cast<double>(x[k]);
      if (x2) buf[j] += static_cast<double>(x2[k]);
    }
    hn::Store(ApplyRef(dd, fn, hn::Load(dd, buf)), dd, buf);
    for (size_t j = 0; j < N && i + j < n; ++j) y[i + j] = buf[j];
  }
}

// TwoProd; n must be a multiple of the lane count.
void EvalTwoProd(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b,
                 float* HWY_RESTRICT hi, float* HWY_RESTRICT lo, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t i = 0; i + N <= n; i += N) {
    hn::Vec<decltype(d)> e;
    const auto h = vm32::TwoProd(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i), &e);
    hn::StoreU(h, d, hi + i);
    hn::StoreU(e, d, lo + i);
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace vm32test
}  // namespace actlab
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include "gtest/gtest.h"

namespace actlab {
namespace vm32test {

HWY_EXPORT(EvalF32);
HWY_EXPORT(EvalErfcDD);
HWY_EXPORT(EvalRef);
HWY_EXPORT(EvalTwoProd);

namespace {

enum Fn { kExp = 0, kExpm1, kLog1p, kTanh, kErf, kErfc, kErfcDD, kTanhShrink, kNumFns };
const char* const kFnNames[kNumFns] = {"Exp",  "Expm1", "Log1p",  "Tanh",
                                       "Erf",  "Erfc",  "ErfcDD", "TanhSh"};

float F(uint32_t b) {
  float v;
  memcpy(&v, &b, sizeof(v));
  return v;
}
uint32_t Bits(float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof(b));
  return b;
}

unsigned NumThreads() {
  return std::min(16u, std::max(1u, std::thread::hardware_concurrency()));
}

template <class F>
void ParallelFor(size_t n, const F& f) {
  const unsigned nt = NumThreads();
  const size_t chunk = (n + nt - 1) / nt;
  std::vector<std::thread> th;
  for (unsigned t = 0; t < nt; ++t) {
    const size_t b = t * chunk, e = std::min(n, b + chunk);
    if (b >= e) break;
    th.emplace_back([&f, b, e]() { f(b, e); });
  }
  for (auto& t : th) t.join();
}

// Error in ULP of the exact value `ref` (see file comment); +inf for a wrong
// special value.
double UlpError(float c, double ref) {
  const double kInf = std::numeric_limits<double>::infinity();
  if (isnan(ref)) return isnan(c) ? 0.0 : kInf;
  if (fabs(ref) >= 0x1.ffffffp127) {  // rounds to +-inf
    return (isinf(c) && (c > 0) == (ref > 0)) ? 0.0 : kInf;
  }
  if (ref == 0.0) {
    return (c == 0.0f && signbit(c) == signbit(ref)) ? 0.0 : kInf;
  }
  if (!isfinite(c)) return kInf;
  int e;
  frexp(ref, &e);  // |ref| in [2^(e-1), 2^e)
  const int ue = std::max(e - 1 - 23, -149);
  return fabs(static_cast<double>(c) - ref) * ldexp(1.0, -ue);
}

// ---------------------------------------------------------------------------
// Inputs.

struct Inputs {
  std::vector<float> x, x2;  // x2: ErfcDD's zl
};

void AddRange(std::vector<float>& xs, float lo, float hi) {  // all floats
  for (uint32_t b = Bits(lo), e = Bits(hi); b < e; ++b) xs.push_back(F(b));
}
void AddNeighbours(std::vector<float>& xs, float x, int n = 256) {
  float up = x, down = x;
  xs.push_back(x);
  for (int i = 0; i < n; ++i) {
    up = nextafterf(up, HUGE_VALF);
    down = nextafterf(down, -HUGE_VALF);
    xs.push_back(up);
    xs.push_back(down);
  }
}

struct Domain {
  float lin_lo, lin_hi;               // dense linear-uniform range
  std::vector<float> bands;           // [lo, hi) pairs swept exhaustively
  std::vector<float> boundaries;      // +-256 ULP, both signs
};

Domain GetDomain(int fn) {
  switch (fn) {
    case kExp:
      return {-104.0f, 89.0f,
              {-128.0f, -64.0f},  // normal and gradual underflow
              {88.72283935546875f, 88.7228317f, 87.0f, 89.0f, 104.0f,
               103.972076f, 87.3365479f, 0.34657359f, 1.0397208f, 0x1p-24f,
               0x1p-25f, 1.0f}};
    case kExpm1:
      return {-20.0f, 89.0f,
              {0.25f, 0.5f},  // k = 0 / k = 1 switch at ln2/2
              {88.72283935546875f, 88.0f, 17.3286800f, 18.0f, 0.34657359f,
               1.0397208f, 0x1p-24f, 0x1p-12f, 1.0f, 16.63553f}};
    case kLog1p:
      return {-1.0f, 8.0f,
              {0.25f, 0.5f},  // k = 0 / k = 1 switch at sqrt(2) - 1
              {0.41421356f, 0.29289322f, 0.5f, 1.0f, 2.0f, 0x1p-24f, 0x1p-12f,
               16777216.0f, 3.4028235e38f}};
    case kTanh:
      return {-10.0f, 10.0f,
              {0.75f, 1.5f},  // polynomial / exp switch at 1
              {1.0f, 0.55f, 9.0f, 9.01f, 9.5f, 0x1p-12f, 0x1p-13f, 2.0f,
               11.5f}};
    case kErf:
      return {-4.5f, 4.5f,
              {0.75f, 1.5f},  // float / float64 switch at 1
              {1.0f, 2.0f, 3.5f, 3.9f, 4.0f, 0x1p-12f, 0.5f}};
    case kErfc:
      return {-4.5f, 10.5f,
              {0.75f, 1.5f, 8.0f, 11.0f},  // erfcx pieces; gradual underflow
              {1.0f, 2.0f, 3.5f, 6.0f, 10.0f, 10.05f, 10.0546f, 10.1f, 10.5f,
               3.9f, 4.0f, 0.5f, 0x1p-12f, 0x1p-26f, 9.0f, 0.25f, 0.75f,
               1.25f, 2.25f, 3.25f, 5.25f, 7.25f, 9.1936f}};
    case kTanhShrink:
      return {-10.0f, 10.0f,
              {1.0f, 1.5f, 0x1p-43f, 0x1.4p-43f},  // switch at 1.25; underflow
              {1.25f, 9.5f, 9.01f, 1.0f, 2.0f, 0x1p-42f, 1e-13f, 1e-12f,
               0x1.ae89fap-42f, 0x1p-12f, 0x1p-7f, 4.0f}};
    case kErfcDD:
    default:
      return {-4.5f, 10.5f,
              {2.0f, 4.0f, 0.25f, 0.75f},
              {1.0f, 2.0f, 3.5f, 6.0f, 10.0f, 10.05f, 10.0546f, 10.1f, 10.5f,
               3.9f, 4.0f, 0.5f, 0x1p-12f, 0x1p-26f, 9.0f, 0.25f, 0.75f,
               1.25f, 2.25f, 3.25f, 5.25f, 7.25f, 9.1936f}};
  }
}

Inputs MakeInputs(int fn) {
  const Domain dom = GetDomain(fn);
  std::mt19937_64 rng(0x5eed32u + static_cast<unsigned>(fn));
  Inputs in;
  std::vector<float>& xs = in.x;
  xs.reserve(16u << 20);
  // Stride sweep over all bit patterns (stride 997 is odd: hits every
  // exponent and both signs).
  for (uint64_t b = 0; b < (uint64_t{1} << 32); b += 997) {
    xs.push_back(F(static_cast<uint32_t>(b)));
  }
  // Exhaustive bands.
  for (size_t i = 0; i + 1 < dom.bands.size(); i += 2) {
    const float lo = dom.bands[i], hi = dom.bands[i + 1];
    if (lo >= 0) {
      AddRange(xs, lo, hi);
    } else {  // negative: sweep |x| in [-hi, -lo)
      const size_t start = xs.size();
      AddRange(xs, -hi, -lo);
      for (size_t j = start; j < xs.size(); ++j) xs[j] = -xs[j];
    }
  }
  // Dense linear-uniform.
  std::uniform_real_distribution<float> lin(dom.lin_lo, dom.lin_hi);
  for (int i = 0; i < 1000000; ++i) xs.push_back(lin(rng));
  for (float b : dom.boundaries) {
    AddNeighbours(xs, b);
    AddNeighbours(xs, -b);
  }
  const float kInf = std::numeric_limits<float>::infinity();
  const float kNaN = std::numeric_limits<float>::quiet_NaN();
  for (float v : {kNaN, -kNaN, kInf, -kInf, 0.0f, -0.0f, 3.4028235e38f,
                  -3.4028235e38f, 1.17549435e-38f, -1.17549435e-38f, 1e-45f,
                  -1e-45f, 1.0f, -1.0f}) {
    xs.push_back(v);
  }
  if (fn == kErfcDD) {
    // zh as above, zl random with |zl| <= ulp(zh) (zero for non-finite zh),
    // plus GELU-like pairs: z = -x/sqrt(2) as (zh, zl) from an exact product.
    in.x2.resize(xs.size());
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (size_t i = 0; i < xs.size(); ++i) {
      const float h = xs[i];
      const float ulp = nextafterf(fabsf(h), HUGE_VALF) - fabsf(h);
      if (!isfinite(ulp)) continue;
      in.x2[i] = static_cast<float>(u(rng) * ulp);
    }
    std::uniform_real_distribution<float> lx(-15.0f, 6.0f);
    for (int i = 0; i < 1000000; ++i) {
      const float x = lx(rng);
      const double z = -static_cast<double>(x) * 0.70710678118654752440;
      const float zh = static_cast<float>(z);
      xs.push_back(zh);
      in.x2.push_back(static_cast<float>(z - zh));
    }
  }
  return in;
}

std::vector<double> ComputeRef(int fn, const Inputs& in) {
  std::vector<double> ref(in.x.size());
  hwy::SetSupportedTargetsForTest(0);
  const int rfn = fn == kErfcDD ? kErfc : fn;
  const float* x2 = in.x2.empty() ? nullptr : in.x2.data();
  ParallelFor(in.x.size(), [&](size_t b, size_t e) {
    HWY_DYNAMIC_DISPATCH(EvalRef)(rfn, in.x.data() + b, x2 ? x2 + b : nullptr,
                                  ref.data() + b, e - b);
  });
  return ref;
}

void Eval(int fn, const Inputs& in, std::vector<float>& ys) {
  ys.assign(in.x.size(), 0.0f);
  ParallelFor(in.x.size(), [&](size_t b, size_t e) {
    if (fn == kErfcDD) {
      HWY_DYNAMIC_DISPATCH(EvalErfcDD)(in.x.data() + b, in.x2.data() + b,
                                       ys.data() + b, e - b);
    } else {
      HWY_DYNAMIC_DISPATCH(EvalF32)(fn, in.x.data() + b, ys.data() + b, e - b);
    }
  });
}

std::vector<int64_t> AllTargets() {
  hwy::SetSupportedTargetsForTest(0);
  return hwy::SupportedAndGeneratedTargets();
}

struct Worst {
  double ulp = 0.0;
  size_t i = 0;
};

// budget_nofma (if > 0): the budget on targets without a native FMA (SSE4,
// SCALAR/EMU128).
void RunAccuracy(int fn, double budget, double budget_nofma = 0.0) {
  const Inputs in = MakeInputs(fn);
  const std::vector<double> ref = ComputeRef(fn, in);
  std::vector<float> ys;
  for (int64_t target : AllTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    Eval(fn, in, ys);
    Worst w, wn;  // wn: normal results only (|exact| >= 2^-126)
    for (size_t i = 0; i < ys.size(); ++i) {
      const double e = UlpError(ys[i], ref[i]);
      if (!(e <= w.ulp)) {
        w.ulp = e;
        w.i = i;
      }
      if (!(e <= wn.ulp) && !(fabs(ref[i]) < 0x1p-126)) {
        wn.ulp = e;
        wn.i = i;
      }
    }
    const float x = in.x[w.i];
    const float x2 = in.x2.empty() ? 0.0f : in.x2[w.i];
    char zl[64] = "";
    if (fn == kErfcDD) snprintf(zl, sizeof(zl), " + %a", x2);
    printf("%-6s %-7s worst %.4f ULP at x=%.9g (%a%s) got %.9g want %.12g "
           "[%zu inputs]\n",
           kFnNames[fn], hwy::TargetName(target), w.ulp, x, x, zl, ys[w.i],
           ref[w.i], ys.size());
    if (wn.i != w.i) {
      printf("%-6s %-7s   normal results: worst %.4f ULP at x=%.9g\n",
             kFnNames[fn], hwy::TargetName(target), wn.ulp, in.x[wn.i]);
    }
    const bool fma = (target & (HWY_AVX2 | HWY_AVX3 | HWY_AVX3_DL)) != 0;
    EXPECT_LE(w.ulp, (fma || budget_nofma <= 0) ? budget : budget_nofma) << kFnNames[fn] << " on " << hwy::TargetName(target)
                             << " at x=" << x << " + " << x2 << " got " << ys[w.i];

    // Results must not depend on the neighbouring lanes (branch skipping):
    // evaluate a permuted copy of the first 1M inputs.
    const size_t n = std::min<size_t>(ys.size(), 1u << 20);
    Inputs perm;
    std::vector<size_t> idx(n);
    for (size_t i = 0; i < n; ++i) idx[i] = (i * 7919 + 13) % n;
    for (size_t i = 0; i < n; ++i) {
      perm.x.push_back(in.x[idx[i]]);
      if (!in.x2.empty()) perm.x2.push_back(in.x2[idx[i]]);
    }
    std::vector<float> yp;
    Eval(fn, perm, yp);
    size_t mismatches = 0;
    for (size_t i = 0; i < n; ++i) {
      const float a = ys[idx[i]], b = yp[i];
      if (!(Bits(a) == Bits(b) || (isnan(a) && isnan(b)))) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0u) << kFnNames[fn] << " on " << hwy::TargetName(target)
                              << ": results depend on neighbouring lanes";
  }
  hwy::SetSupportedTargetsForTest(0);
  fflush(stdout);
}

TEST(Vmath32Test, Exp) { RunAccuracy(kExp, 1.0); }
TEST(Vmath32Test, Expm1) { RunAccuracy(kExpm1, 1.5); }
TEST(Vmath32Test, Log1p) { RunAccuracy(kLog1p, 1.5); }
TEST(Vmath32Test, Tanh) { RunAccuracy(kTanh, 1.5); }
TEST(Vmath32Test, Erf) { RunAccuracy(kErf, 1.5); }
TEST(Vmath32Test, Erfc) { RunAccuracy(kErfc, 1.5); }
TEST(Vmath32Test, ErfcDD) { RunAccuracy(kErfcDD, 1.5); }
// TanhShrink without FMA measures 1.507 (x ~ 1.4e-3, the polynomial's
// rounded Mul+Add steps); 1.5 with FMA.
TEST(Vmath32Test, TanhShrink) { RunAccuracy(kTanhShrink, 1.5, 1.55); }

// Spot checks with exact expectations.
TEST(Vmath32Test, Specials) {
  const float kInf = std::numeric_limits<float>::infinity();
  const float kNaN = std::numeric_limits<float>::quiet_NaN();
  const float kDen = 1e-45f;
  struct Case {
    int fn;
    float x, y;
  };
  const Case cases[] = {
      {kExp, kInf, kInf},       {kExp, -kInf, 0.0f},     {kExp, 0.0f, 1.0f},
      {kExp, 88.73f, kInf},     {kExp, -104.0f, 0.0f},   {kExp, 1e30f, kInf},
      {kExp, -1e30f, 0.0f},     {kExpm1, kInf, kInf},    {kExpm1, -kInf, -1.0f},
      {kExpm1, -0.0f, -0.0f},   {kExpm1, 0.0f, 0.0f},    {kExpm1, 88.73f, kInf},
      {kExpm1, -1e30f, -1.0f},  {kExpm1, kDen, kDen},    {kLog1p, kInf, kInf},
      {kLog1p, -1.0f, -kInf},   {kLog1p, -0.0f, -0.0f},  {kLog1p, 0.0f, 0.0f},
      {kLog1p, kDen, kDen},     {kTanh, kInf, 1.0f},     {kTanh, -kInf, -1.0f},
      {kTanh, -0.0f, -0.0f},    {kTanh, kDen, kDen},     {kTanh, -kDen, -kDen},
      {kErf, kInf, 1.0f},       {kErf, -kInf, -1.0f},    {kErf, -0.0f, -0.0f},
      {kErf, 0.0f, 0.0f},       {kErfc, kInf, 0.0f},     {kErfc, -kInf, 2.0f},
      {kErfc, 0.0f, 1.0f},      {kErfc, 11.0f, 0.0f},    {kErfc, -30.0f, 2.0f},
      {kTanh, 30.0f, 1.0f},     {kTanh, -9.5f, -1.0f},   {kTanhShrink, kInf, kInf},
      {kTanhShrink, -kInf, -kInf}, {kTanhShrink, 0.0f, 0.0f},
      {kTanhShrink, -0.0f, -0.0f}, {kTanhShrink, kDen, 0.0f},
      {kTanhShrink, -kDen, -0.0f}, {kTanhShrink, 1e30f, 1e30f},
  };
  for (int64_t target : AllTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (const Case& c : cases) {
      float y = 0.0f;
      HWY_DYNAMIC_DISPATCH(EvalF32)(c.fn, &c.x, &y, 1);
      EXPECT_EQ(Bits(y), Bits(c.y)) << kFnNames[c.fn] << "(" << c.x << ") = " << y
                                    << " on " << hwy::TargetName(target);
    }
    for (int fn = 0; fn < kNumFns; ++fn) {
      if (fn == kErfcDD) continue;
      float y = 0.0f;
      HWY_DYNAMIC_DISPATCH(EvalF32)(fn, &kNaN, &y, 1);
      EXPECT_TRUE(isnan(y)) << kFnNames[fn] << "(NaN) on " << hwy::TargetName(target);
    }
    float y = 0.0f;
    const float m2 = -2.0f, zero = 0.0f;
    HWY_DYNAMIC_DISPATCH(EvalF32)(kLog1p, &m2, &y, 1);
    EXPECT_TRUE(isnan(y)) << "Log1p(-2) on " << hwy::TargetName(target);
    HWY_DYNAMIC_DISPATCH(EvalErfcDD)(&kNaN, &zero, &y, 1);
    EXPECT_TRUE(isnan(y)) << "ErfcDD(NaN) on " << hwy::TargetName(target);
    HWY_DYNAMIC_DISPATCH(EvalErfcDD)(&kInf, &zero, &y, 1);
    EXPECT_EQ(y, 0.0f) << "ErfcDD(inf) on " << hwy::TargetName(target);
  }
  hwy::SetSupportedTargetsForTest(0);
}

// TwoProd must be error-free: hi + lo == a * b (exact in double) and
// hi == the rounded product.
TEST(Vmath32Test, TwoProd) {
  std::mt19937_64 rng(42);
  const size_t n = 1 << 20;  // multiple of every lane count
  std::vector<float> a(n), b(n), hi(n), lo(n);
  std::uniform_int_distribution<int> de(-40, 40);  // no underflow
  std::uniform_real_distribution<float> m(1.0f, 2.0f);
  for (size_t i = 0; i < n; ++i) {
    a[i] = ldexpf(m(rng), de(rng)) * ((rng() & 1) ? -1.0f : 1.0f);
    b[i] = (i % 4 == 0) ? F(Bits(a[i]) ^ static_cast<uint32_t>(rng() & 0xFFF))
                        : ldexpf(m(rng), de(rng));
  }
  for (int64_t target : AllTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    HWY_DYNAMIC_DISPATCH(EvalTwoProd)(a.data(), b.data(), hi.data(), lo.data(), n);
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
      const double ex = static_cast<double>(a[i]) * b[i];
      if (static_cast<double>(hi[i]) + lo[i] != ex ||
          hi[i] != static_cast<float>(ex)) {
        ++bad;
      }
    }
    EXPECT_EQ(bad, 0u) << "TwoProd on " << hwy::TargetName(target);
  }
  hwy::SetSupportedTargetsForTest(0);
}

// The float64 reference against MPFR (256 bits) on a subsample: the
// reference must be within 2^-20 float ULP, i.e. 2^-44 relative
// (generously: vm is <= ~1 double ULP = 2^-52).
TEST(Vmath32Test, MpfrCrossCheck) {
  mpfr_set_emin(mpfr_get_emin_min());
  mpfr_set_emax(mpfr_get_emax_max());
  mpfr_t v, xm;
  mpfr_inits2(256, v, xm, static_cast<mpfr_ptr>(nullptr));
  std::mt19937_64 rng(7);
  for (int fn = 0; fn < kNumFns; ++fn) {
    if (fn == kErfcDD) continue;
    const Domain dom = GetDomain(fn);
    std::vector<float> xs;
    std::uniform_real_distribution<float> lin(dom.lin_lo, dom.lin_hi);
    for (int i = 0; i < 3000; ++i) {
      float x = lin(rng);
      if (i % 3 == 0) x = ldexpf(x, -static_cast<int>(rng() % 30));
      if (fn == kErfc && x > 6.0f && (i % 10) != 0) x = x - 6.0f;  // mpfr is slow there
      xs.push_back(x);
    }
    std::vector<double> ref(xs.size());
    HWY_DYNAMIC_DISPATCH(EvalRef)(fn, xs.data(), nullptr, ref.data(), xs.size());
    double worst = 0.0;
    for (size_t i = 0; i < xs.size(); ++i) {
      mpfr_set_d(xm, xs[i], MPFR_RNDN);
      switch (fn) {
        case kExp: mpfr_exp(v, xm, MPFR_RNDN); break;
        case kExpm1: mpfr_expm1(v, xm, MPFR_RNDN); break;
        case kLog1p: mpfr_log1p(v, xm, MPFR_RNDN); break;
        case kTanh: mpfr_tanh(v, xm, MPFR_RNDN); break;
        case kErf: mpfr_erf(v, xm, MPFR_RNDN); break;
        case kTanhShrink:
          mpfr_tanh(v, xm, MPFR_RNDN);
          mpfr_sub(v, xm, v, MPFR_RNDN);
          break;
        default: mpfr_erfc(v, xm, MPFR_RNDN); break;
      }
      const double exact = mpfr_get_d(v, MPFR_RNDN);
      if (exact == 0.0) continue;
      worst = std::max(worst, fabs((ref[i] - exact) / exact));
    }
    // TanhShrink's x - vm::Tanh(x) cancels by up to 3/x^2 <= 2^16: 2^-34.
    EXPECT_LE(worst, fn == kTanhShrink ? 0x1p-34 : 0x1p-44) << kFnNames[fn] << " reference";
  }
  mpfr_clears(v, xm, static_cast<mpfr_ptr>(nullptr));
  mpfr_free_cache();
}

// Informational speed report (not asserted): Gelem/s on the best target,
// 2^16 floats (in cache), 1 thread, median of 21 runs of 20 passes.
double Gelems(int fn, const std::vector<float>& x, const std::vector<float>& x2,
              std::vector<float>& y) {
  std::vector<double> rates;
  for (int run = 0; run < 21; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int pass = 0; pass < 20; ++pass) {
      if (fn == kErfcDD) {
        HWY_DYNAMIC_DISPATCH(EvalErfcDD)(x.data(), x2.data(), y.data(), x.size());
      } else {
        HWY_DYNAMIC_DISPATCH(EvalF32)(fn, x.data(), y.data(), x.size());
      }
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(20.0 * x.size() / s * 1e-9);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

TEST(Vmath32Test, SpeedReport) {
  hwy::SetSupportedTargetsForTest(0);
  const size_t n = 1 << 16;
  std::mt19937 rng(3);
  std::vector<float> x(n), x2(n), y(n);
  struct Item {
    int fn;
    float lo, hi;
    int hwy_fn;
  };
  const Item items[] = {{kExp, -20.0f, 20.0f, 100},  {kExpm1, -5.0f, 5.0f, 101},
                        {kLog1p, -0.9f, 10.0f, 102}, {kTanh, -5.0f, 5.0f, 103},
                        {kErf, -4.0f, 4.0f, -1},     {kErfc, -4.0f, 10.0f, -1},
                        {kErfcDD, -4.0f, 10.0f, -1}, {kErfcDD, -4.0f, 4.0f, -1},
                        {kTanhShrink, -5.0f, 5.0f, -1}};
  printf("Speed (target %s, 1 thread, 2^16 floats in cache, median of 21):\n",
         hwy::TargetName(hwy::SupportedAndGeneratedTargets()[0]));
  for (const Item& it : items) {
    std::uniform_real_distribution<float> u(it.lo, it.hi);
    for (size_t i = 0; i < n; ++i) {
      x[i] = u(rng);
      x2[i] = x[i] * 0x1p-26f;
    }
    const double ours = Gelems(it.fn, x, x2, y);
    if (it.hwy_fn >= 0) {
      const double theirs = Gelems(it.hwy_fn, x, x2, y);
      printf("  %-6s x in [%g, %g]: %6.3f Gelem/s   (hwy::%s: %6.3f Gelem/s)\n",
             kFnNames[it.fn], it.lo, it.hi, ours, kFnNames[it.fn], theirs);
    } else {
      printf("  %-6s x in [%g, %g]: %6.3f Gelem/s\n", kFnNames[it.fn], it.lo,
             it.hi, ours);
    }
  }
  fflush(stdout);
}

}  // namespace
}  // namespace vm32test
}  // namespace actlab

#endif  // HWY_ONCE
