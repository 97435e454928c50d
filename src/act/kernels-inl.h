// Array loops around the table's vector functions: elementwise maps, GLU rows
// and the axis reductions (softmax family). Included once per SIMD target by
// kernels_f32.cc / kernels_f64.cc; single-threaded (api.cc splits the work).

#if defined(ACTLAB_SRC_ACT_KERNELS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTLAB_SRC_ACT_KERNELS_INL_H_
#undef ACTLAB_SRC_ACT_KERNELS_INL_H_
#else
#define ACTLAB_SRC_ACT_KERNELS_INL_H_
#endif

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "src/act/kernel_api.h"
#include "src/act/table-inl.h"

HWY_BEFORE_NAMESPACE();
namespace actlab::HWY_NAMESPACE {

// Loads `ds` lanes of T and widens them to the compute type of `dc` (a no-op
// when both are the same type).
template <class DC, class DS>
HWY_INLINE hn::Vec<DC> LoadAs(DC dc, DS ds, const hn::TFromD<DS>* p) {
  if constexpr (std::is_same_v<hn::TFromD<DC>, hn::TFromD<DS>>) {
    (void)ds;
    return hn::LoadU(dc, p);
  } else {
    return hn::PromoteTo(dc, hn::LoadU(ds, p));
  }
}
template <class DC, class DS>
HWY_INLINE hn::Vec<DS> Narrow(DC, DS ds, hn::Vec<DC> v) {
  if constexpr (std::is_same_v<hn::TFromD<DC>, hn::TFromD<DS>>) {
    (void)ds;
    return v;
  } else {
#if HWY_TARGET == HWY_SCALAR
    // Highway's scalar DemoteTo saturates at +-FLT_MAX; IEEE rounding
    // overflows to +-inf from 2^128 (1 - 2^-25) on, as the SIMD targets do.
    const double w = hn::GetLane(v);
    constexpr double kOverflow = 3.4028235677973366e38;  // FLT_MAX + ulp/2
    if (std::fabs(w) >= kOverflow)
      return hn::Set(ds, std::copysign(std::numeric_limits<float>::infinity(), float(w)));
    return hn::Set(ds, static_cast<float>(w));
#else
    return hn::DemoteTo(ds, v);
#endif
  }
}

// out = f(x) (kForward), dy * f'(x) (kBackward) or f'(x) (kDerivative).
// Native entries compute in T lanes; the others in float64 lanes, so float32
// results are correctly rounded from ~2^-50 accurate values.
// Entries may carry float32-lane kernels (Fwd32 / Deriv32) that meet the
// float32 budget without float64 lanes: twice the lanes and no double divide.
template <class A>
constexpr bool kHasFast32 = requires { A::kFast32; };

template <class A, int kOp, bool kFloatLanes, class T>
void ElementwiseLoop(const T* HWY_RESTRICT x, const T* dy, T* out, size_t n, const double* p,
                     bool stream) {
  using TC = std::conditional_t<A::kNative || kFloatLanes, T, double>;
  const hn::ScalableTag<TC> dc;
  const hn::Rebind<T, decltype(dc)> ds;
  using VS = hn::Vec<decltype(ds)>;
  const size_t N = hn::Lanes(dc);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const double at_neg = kOp == kForward ? LimitFwd<A>(-kInf, p) : LimitDeriv<A>(-kInf, p);
  const double at_pos = kOp == kForward ? LimitFwd<A>(kInf, p) : LimitDeriv<A>(kInf, p);

  // Entries may turn their float64 parameters into float32 constants once
  // (Prepare32) instead of in every vector.
  float prepared[8] = {};
  if constexpr (kFloatLanes && requires { A::Prepare32(p, prepared); }) A::Prepare32(p, prepared);
  const auto body = [&](const T* xp, const T* dyp) -> VS {
    const auto xv = LoadAs(dc, ds, xp);
    auto r = [&] {
      if constexpr (kFloatLanes && requires { A::Prepare32(p, prepared); }) {
        return kOp == kForward ? A::Fwd32(dc, xv, static_cast<const float*>(prepared))
                               : A::Deriv32(dc, xv, static_cast<const float*>(prepared));
      } else if constexpr (kFloatLanes) {
        return kOp == kForward ? A::Fwd32(dc, xv, p) : A::Deriv32(dc, xv, p);
      } else {
        return kOp == kForward ? A::template Fwd<T>(dc, xv, p) : A::template Deriv<T>(dc, xv, p);
      }
    }();
    // Highway's and our own range reductions assume finite input; NaN and
    // +-inf lanes are rare, so they are patched only when present.
    constexpr bool kSelfPatched = kFloatLanes && kOp == kForward && requires { A::kFast32ForwardNonFinite; };
    if constexpr (!kSelfPatched) {
      const auto finite = hn::IsFinite(xv);
      if (HWY_UNLIKELY(!hn::AllTrue(dc, finite))) {
        const auto limit = hn::IfThenElse(hn::Lt(xv, hn::Zero(dc)), hn::Set(dc, TC(at_neg)),
                                          hn::Set(dc, TC(at_pos)));
        r = hn::IfThenElse(hn::IsNaN(xv), xv, hn::IfThenElse(finite, r, limit));
      }
    }
    if constexpr (kOp == kBackward) r = hn::Mul(r, LoadAs(dc, ds, dyp));  // dx = dy * f'(x)
    return Narrow(dc, ds, r);
  };

  size_t i = 0;
  const bool aligned = reinterpret_cast<uintptr_t>(out) % (N * sizeof(T)) == 0;
  if (stream && aligned) {
    // Non-temporal stores: the output of a large map is not read back soon,
    // and skipping the read-for-ownership of each line saves 1/3 of traffic.
    for (; i + N <= n; i += N) hn::Stream(body(x + i, kOp == kBackward ? dy + i : dy), ds, out + i);
    hwy::FlushStream();
  } else {
    for (; i + N <= n; i += N) hn::StoreU(body(x + i, kOp == kBackward ? dy + i : dy), ds, out + i);
  }
  if (i < n) {  // tail: pad into aligned buffers (hwy 1.0.3 has no LoadN)
    HWY_ALIGN T xb[HWY_MAX_BYTES / sizeof(T)] = {};
    HWY_ALIGN T db[HWY_MAX_BYTES / sizeof(T)] = {};
    const size_t rest = n - i;
    std::memcpy(xb, x + i, rest * sizeof(T));
    if (kOp == kBackward) std::memcpy(db, dy + i, rest * sizeof(T));
    hn::Store(body(xb, db), ds, xb);
    std::memcpy(out + i, xb, rest * sizeof(T));
  }
}

// The float32-lane kernels take their parameters as floats, so they run only
// when every parameter is a float (the defaults are); otherwise float64 lanes
// keep the result exact for the float64 parameter.
template <class A, int kOp, class T>
void ElementwiseRun(const T* x, const T* dy, T* out, size_t n, const double* p, bool stream) {
  if constexpr (std::is_same_v<T, float> && kHasFast32<A>) {
    if constexpr (requires { A::kFast32DoubleParams; }) {
      return ElementwiseLoop<A, kOp, true>(x, dy, out, n, p, stream);  // exact for any float64 parameter
    }
    bool params_are_floats = true;
    for (int k = 0; k < A::kSpec.num_params; ++k) params_are_floats &= double(float(p[k])) == p[k];
    if (params_are_floats) return ElementwiseLoop<A, kOp, true>(x, dy, out, n, p, stream);
  }
  ElementwiseLoop<A, kOp, false>(x, dy, out, n, p, stream);
}

// dx = dy * f'(x) from y = f(x) (dy == nullptr: f'(x)), in lanes of T: a
// handful of operations on data read once, so the loop runs at memory speed.
// NaN in y gives NaN, as the from-x kernels give for NaN in x.
template <class A, class T>
void FromOutputLoop(const T* HWY_RESTRICT y, const T* dy, T* out, size_t n, const double* p, bool stream) {
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  const auto body = [&](const T* yp, const T* dyp) -> V {
    const V yv = hn::LoadU(d, yp);
    V r = A::DerivY(d, yv, p);
    r = hn::IfThenElse(hn::IsNaN(yv), yv, r);
    return dy ? hn::Mul(r, hn::LoadU(d, dyp)) : r;
  };
  size_t i = 0;
  if (stream && reinterpret_cast<uintptr_t>(out) % (N * sizeof(T)) == 0) {
    for (; i + N <= n; i += N) hn::Stream(body(y + i, dy ? dy + i : dy), d, out + i);
    hwy::FlushStream();
  } else {
    for (; i + N <= n; i += N) hn::StoreU(body(y + i, dy ? dy + i : dy), d, out + i);
  }
  if (i < n) {
    HWY_ALIGN T yb[HWY_MAX_BYTES / sizeof(T)] = {};
    HWY_ALIGN T db[HWY_MAX_BYTES / sizeof(T)] = {};
    const size_t rest = n - i;
    std::memcpy(yb, y + i, rest * sizeof(T));
    if (dy) std::memcpy(db, dy + i, rest * sizeof(T));
    hn::Store(body(yb, db), d, yb);
    std::memcpy(out + i, yb, rest * sizeof(T));
  }
}

// ---- GLU ----------------------------------------------------------------------
// x: (rows, 2K) = [a | b]. Forward y (rows, K) = a sigma(b). Backward with dy
// (rows, K) (or 1): dx = [dy sigma(b) | dy a sigma(b) sigma(-b)].
// The vector body in lanes of type TC (float32 data: float32 lanes, with a
// float64 retry of any vector whose gate sigma(b) falls into the float
// subnormals, b < -80, where a * sigma(b) would amplify its rounding).
template <int kOp, class D>
HWY_INLINE void GluVec(D d, hn::Vec<D> av, hn::Vec<D> bv, hn::Vec<D> gv, hn::Vec<D>* o1, hn::Vec<D>* o2) {
  hn::Vec<D> s, sn;
  if constexpr (sizeof(hn::TFromD<D>) == 4) {
    tbl::SigmoidPairLo(d, bv, hn::Zero(d), &s, &sn);
  } else {
    tbl::SigmoidPair(d, bv, &s, &sn);
  }
  if constexpr (kOp == kForward) {
    *o1 = hn::Mul(av, s);  // y = a sigma(b)
  } else {
    *o1 = hn::Mul(gv, s);                          // da = dy sigma(b)
    *o2 = hn::Mul(hn::Mul(gv, av), hn::Mul(s, sn));  // db = dy a sigma(b) sigma(-b)
  }
}

template <int kOp, class T>
void GluRun(const T* x, const T* dy, T* out, size_t rows, size_t k) {
  using TC = std::conditional_t<std::is_same_v<T, float>, float, double>;
  const hn::ScalableTag<TC> dc;
  const hn::Rebind<T, decltype(dc)> ds;
  using VC = hn::Vec<decltype(dc)>;
  const size_t N = hn::Lanes(dc);
  // 64 bytes (not HWY_MAX_BYTES) so GCC sees the tail copies fit on every target.
  alignas(64) T ab[64 / sizeof(T)] = {}, bb[64 / sizeof(T)] = {}, gb[64 / sizeof(T)] = {},
      o1b[64 / sizeof(T)] = {}, o2b[64 / sizeof(T)] = {};
  for (size_t r = 0; r < rows; ++r) {
    const T* a = x + r * 2 * k;
    const T* b = a + k;
    const T* g = dy ? dy + r * k : nullptr;
    for (size_t j = 0; j < k; j += N) {
      const size_t m = j + N <= k ? N : k - j;
      const bool full = m == N;
      if (!full) {  // tail: pad into aligned buffers
        std::memcpy(ab, a + j, m * sizeof(T));
        std::memcpy(bb, b + j, m * sizeof(T));
        if (g) std::memcpy(gb, g + j, m * sizeof(T));
      }
      const VC av = LoadAs(dc, ds, full ? a + j : ab), bv = LoadAs(dc, ds, full ? b + j : bb);
      const VC gv = g ? LoadAs(dc, ds, full ? g + j : gb) : hn::Set(dc, TC(1));
      VC o1, o2 = hn::Zero(dc);
      GluVec<kOp>(dc, av, bv, gv, &o1, &o2);
      if constexpr (std::is_same_v<TC, float>) {
        const auto tiny = hn::Lt(bv, hn::Set(dc, -80.0f));
        if (HWY_UNLIKELY(!hn::AllFalse(dc, tiny))) {
          const auto redo = [&](int which) {
            return vm32::detail::ViaF64(dc, av, bv, [&](auto dd, auto a64, auto b64) HWY_ATTR {
              using V64 = decltype(a64);
              V64 p1, p2 = hn::Zero(dd);
              const hn::Half<decltype(dc)> dh;
              (void)dh;
              GluVec<kOp>(dd, a64, b64, hn::Set(dd, 1.0), &p1, &p2);
              return which == 1 ? p1 : p2;
            });
          };
          // gv multiplies afterwards in float64 would be exact too, but the
          // retry is rare: recompute with dy = 1 and scale by dy in float.
          if constexpr (kOp == kForward) {
            o1 = hn::IfThenElse(tiny, redo(1), o1);
          } else {
            o1 = hn::IfThenElse(tiny, hn::Mul(gv, redo(1)), o1);
            o2 = hn::IfThenElse(tiny, hn::Mul(gv, redo(2)), o2);
          }
        }
      }
      T* y1 = kOp == kForward ? out + r * k + j : out + r * 2 * k + j;
      if (full) {
        hn::StoreU(Narrow(dc, ds, o1), ds, y1);
        if constexpr (kOp != kForward) hn::StoreU(Narrow(dc, ds, o2), ds, out + r * 2 * k + k + j);
      } else {
        hn::Store(Narrow(dc, ds, o1), ds, o1b);
        std::memcpy(y1, o1b, m * sizeof(T));
        if constexpr (kOp != kForward) {
          hn::Store(Narrow(dc, ds, o2), ds, o2b);
          std::memcpy(out + r * 2 * k + k + j, o2b, m * sizeof(T));
        }
      }
    }
  }
}

// ---- softmax family --------------------------------------------------------------
// Sums in float64. For float64 data the differences x_j - m and the products
// dy_j s_j are carried with their rounding errors (2Sum / fma), because
// e^(x-m) turns an absolute error of the difference into a relative error of
// the result (up to 100 ULP for differences ~100).
namespace axis {

// (s, err) with s + err == a + b exactly (Knuth's 2Sum).
inline double TwoSum(double a, double b, double* err) {
  const double s = a + b;
  const double bb = s - a;
  *err = (a - (s - bb)) + (b - bb);
  return s;
}

// Per row: s = sign * x (sign = -1 for softmin), m = max s, e_j = e^(s_j - m)
// (corrected), `non_max` = sum of e_j over j with s_j != m, `count_max` = how
// many s_j == m (each contributes exactly 1). e_j and the exact differences
// are written to scratch rows of doubles.
template <class T>
void Exponentials(const T* x, size_t k, double sign, double* e, double* diff, double* diff_err,
                  double* non_max, size_t* count_max) {
  const hn::ScalableTag<double> d;
  const hn::Rebind<T, decltype(d)> ds;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  const V vsign = hn::Set(d, sign);
  HWY_ALIGN T xb[HWY_MAX_BYTES / sizeof(T)];
  HWY_ALIGN double buf[HWY_MAX_BYTES / sizeof(double)];
  // Loads lanes j.. of sign*x, padding past the end with -inf (exp(-inf) = 0).
  const auto load = [&](size_t j) -> V {
    if (j + N <= k) return hn::Mul(vsign, LoadAs(d, ds, x + j));
    for (size_t l = 0; l < N; ++l) xb[l] = j + l < k ? x[j + l] : T(0);
    return hn::IfThenElse(hn::FirstN(d, k - j), hn::Mul(vsign, LoadAs(d, ds, xb)), hn::Set(d, kNegInf));
  };
  V vmax = hn::Set(d, kNegInf);
  for (size_t j = 0; j < k; j += N) vmax = hn::Max(vmax, load(j));
  const double m = hn::GetLane(hn::MaxOfLanes(d, vmax));
  const V vm_neg = hn::Set(d, -m);
  const bool finite_max = std::isfinite(m);
  V sum = hn::Zero(d), sum_lo = hn::Zero(d);  // float64: sum's rounding errors (2Sum per lane)
  size_t count = 0;
  for (size_t j = 0; j < k; j += N) {
    const V sv = load(j);
    V err = hn::Zero(d);
    // float32 inputs: s - m is exact in float64; float64: 2Sum keeps the error.
    const V dv = std::is_same_v<T, double> ? vm::TwoSum(d, sv, vm_neg, &err) : hn::Add(sv, vm_neg);
    // Padding and -inf inputs give inf - inf = NaN in 2Sum's error: e^-inf = 0 exactly.
    err = finite_max ? hn::IfThenElseZero(hn::IsFinite(dv), err) : hn::Zero(d);
    V ev = vm::Exp(d, dv);
    ev = hn::MulAdd(ev, err, ev);  // e^(d + err) = e^d (1 + err)
    const auto is_max = hn::Eq(dv, hn::Zero(d));
    count += hn::CountTrue(d, is_max);
    if constexpr (std::is_same_v<T, double>) {
      V serr;
      sum = vm::TwoSum(d, sum, hn::IfThenZeroElse(is_max, ev), &serr);
      sum_lo = hn::Add(sum_lo, serr);
    } else {
      sum = hn::Add(sum, hn::IfThenZeroElse(is_max, ev));
    }
    if (j + N <= k) {
      hn::StoreU(ev, d, e + j);
      hn::StoreU(dv, d, diff + j);
      hn::StoreU(err, d, diff_err + j);
    } else {
      const size_t rest = k - j;
      hn::Store(ev, d, buf);
      std::memcpy(e + j, buf, rest * sizeof(double));
      hn::Store(dv, d, buf);
      std::memcpy(diff + j, buf, rest * sizeof(double));
      hn::Store(err, d, buf);
      std::memcpy(diff_err + j, buf, rest * sizeof(double));
    }
  }
  if constexpr (std::is_same_v<T, double>) {
    // Lanes combined with 2Sum too: the row sum is exact to ~2^-100.
    HWY_ALIGN double lo_buf[HWY_MAX_BYTES / sizeof(double)];
    hn::Store(sum, d, buf);
    hn::Store(sum_lo, d, lo_buf);
    double hi = 0, lo = 0;
    for (size_t l = 0; l < N; ++l) {
      double err;
      hi = TwoSum(hi, buf[l], &err);
      lo += err + lo_buf[l];
    }
    *non_max = hi + lo;
  } else {
    *non_max = hn::GetLane(hn::SumOfLanes(d, sum));
  }
  *count_max = count;
}

template <class T>
void ForwardRows(AxisOp op, const T* x, T* y, size_t rows, size_t k) {
  std::vector<double> scratch(3 * k);
  double* e = scratch.data();
  double* diff = e + k;
  double* diff_err = diff + k;
  const double sign = op == AxisOp::kSoftmin ? -1.0 : 1.0;
  for (size_t r = 0; r < rows; ++r) {
    const T* xr = x + r * k;
    T* yr = y + r * k;
    double non_max = 0;
    size_t count = 0;
    Exponentials(xr, k, sign, e, diff, diff_err, &non_max, &count);
    if (count == 0) {  // the max is NaN or +inf: PyTorch gives NaN throughout
      for (size_t j = 0; j < k; ++j) yr[j] = std::numeric_limits<T>::quiet_NaN();
      continue;
    }
    if (op == AxisOp::kLogSoftmax) {
      // log sum = log1p(non_max + (count - 1)): the dominant entry's y = -log1p(...)
      const double lse = std::log1p(non_max + double(count - 1));
      for (size_t j = 0; j < k; ++j) yr[j] = T((diff[j] - lse) + diff_err[j]);
    } else {
      const double sum = non_max + double(count);
      if constexpr (std::is_same_v<T, float>) {
        // e/sum in float64 to 2^-52, then one rounding to float: correctly
        // rounded but for ties, without float64 divides.
        const double inv = 1.0 / sum;
        for (size_t j = 0; j < k; ++j) yr[j] = T(e[j] * inv);
      } else {
        for (size_t j = 0; j < k; ++j) yr[j] = T(e[j] / sum);
      }
    }
  }
}

template <class T>
void BackwardRows(AxisOp op, const T* x, const T* dy, T* dx, size_t rows, size_t k) {
  std::vector<double> scratch(4 * k);
  double* e = scratch.data();
  double* diff = e + k;
  double* diff_err = diff + k;
  double* s = diff_err + k;
  const double sign = op == AxisOp::kSoftmin ? -1.0 : 1.0;
  for (size_t r = 0; r < rows; ++r) {
    const T* xr = x + r * k;
    const T* gr = dy ? dy + r * k : nullptr;
    T* dxr = dx + r * k;
    double non_max = 0;
    size_t count = 0;
    Exponentials(xr, k, sign, e, diff, diff_err, &non_max, &count);
    const double sum = non_max + double(count);
    for (size_t j = 0; j < k; ++j) s[j] = count ? e[j] / sum : std::numeric_limits<double>::quiet_NaN();
    // dot = sum_j dy_j s_j (softmax, softmin) or sum_j dy_j (log_softmax),
    // accumulated as a double-double (hi, lo).
    double hi = 0, lo = 0;
    for (size_t j = 0; j < k; ++j) {
      const double g = gr ? double(gr[j]) : 1.0;
      const double term = op == AxisOp::kLogSoftmax ? g : g * s[j];
      const double term_err = op == AxisOp::kLogSoftmax ? 0.0 : std::fma(g, s[j], -term);
      double err;
      hi = TwoSum(hi, term, &err);
      lo += err + term_err;
    }
    for (size_t j = 0; j < k; ++j) {
      const double g = gr ? double(gr[j]) : 1.0;
      if (op == AxisOp::kLogSoftmax) {
        // dx = dy - s * dot
        double err;
        const double p = s[j] * hi;
        const double q = TwoSum(g, -p, &err);
        dxr[j] = T(q + (err + std::fma(-s[j], hi, p) - s[j] * lo));
      } else {
        // dx = sign * s * (dy - dot)
        double err;
        const double q = TwoSum(g, -hi, &err);
        dxr[j] = T(sign * s[j] * (q + (err - lo)));
      }
    }
  }
}
// float32 rows in float32 lanes: e^(s - m) by vmath32 with the rounding of
// s - m carried (2Sum), sums in float64. Results within ~2 ULP; the rows are
// mapped at twice the lanes and without float64 exponentials.
struct RowsF32 {
  hn::ScalableTag<float> d;
  size_t N = hn::Lanes(d);
  std::vector<float> e, diff, err;
  explicit RowsF32(size_t k) : e(k), diff(k), err(k) {}

  // Returns the sum of e_j over the non-maximal entries; `count` = number of
  // maximal ones (each e_j = 1 exactly). NaN anywhere gives NaN sums.
  // e_j goes to `e_out` (the output row itself for softmax); s_j - m and its
  // rounding error are kept only when `keep_diff` (log_softmax).
  double Exponentials(const float* x, size_t k, float sign, size_t* count, float* e_out, bool keep_diff) {
    using V = hn::Vec<decltype(d)>;
    HWY_ALIGN float xb[HWY_MAX_BYTES / sizeof(float)];
    const auto load = [&](size_t j) -> V {
      if (j + N <= k) return hn::Mul(hn::Set(d, sign), hn::LoadU(d, x + j));
      for (size_t l = 0; l < N; ++l) xb[l] = j + l < k ? sign * x[j + l] : -std::numeric_limits<float>::infinity();
      return hn::Load(d, xb);
    };
    V vmax = hn::Set(d, -std::numeric_limits<float>::infinity());
    for (size_t j = 0; j < k; j += N) vmax = hn::Max(vmax, load(j));
    const float m = hn::GetLane(hn::MaxOfLanes(d, vmax));
    const V neg_m = hn::Set(d, -m);
    const bool finite_max = std::isfinite(m);
    V sum = hn::Zero(d), sum_lo = hn::Zero(d);  // per-lane 2Sum: exact to ~2^-48
    size_t c = 0;
    HWY_ALIGN float eb[HWY_MAX_BYTES / sizeof(float)] = {}, db[HWY_MAX_BYTES / sizeof(float)] = {};
    for (size_t j = 0; j < k; j += N) {
      const V sv = load(j);
      V lo;
      const V dv = vm32::detail::TwoSum(sv, neg_m, &lo);
      lo = finite_max ? hn::IfThenElseZero(hn::IsFinite(dv), lo) : hn::Zero(d);
      V ev = vm32::ExpFast(d, dv);
      ev = hn::MulAdd(ev, lo, ev);  // e^(d + lo) = e^d (1 + lo)
      const auto is_max = hn::Eq(dv, hn::Zero(d));
      c += hn::CountTrue(d, is_max);
      V serr;
      sum = vm32::detail::TwoSum(sum, hn::IfThenZeroElse(is_max, ev), &serr);
      sum_lo = hn::Add(sum_lo, serr);
      const size_t cnt = std::min(N, k - j);
      if (cnt == N) {
        hn::StoreU(ev, d, e_out + j);
        if (keep_diff) {
          hn::StoreU(dv, d, diff.data() + j);
          hn::StoreU(lo, d, err.data() + j);
        }
      } else {
        hn::Store(ev, d, eb);
        std::memcpy(e_out + j, eb, cnt * sizeof(float));
        if (keep_diff) {
          hn::Store(dv, d, db);
          std::memcpy(diff.data() + j, db, cnt * sizeof(float));
          hn::Store(lo, d, db);
          std::memcpy(err.data() + j, db, cnt * sizeof(float));
        }
      }
    }
    *count = c;
    hn::Store(sum, d, eb);
    hn::Store(sum_lo, d, db);
    double total = 0;
    for (size_t l = 0; l < N; ++l) total += double(eb[l]) + double(db[l]);
    return total;
  }
};

template <>
inline void ForwardRows<float>(AxisOp op, const float* x, float* y, size_t rows, size_t k) {
  RowsF32 w(k);
  const float sign = op == AxisOp::kSoftmin ? -1.0f : 1.0f;
  for (size_t r = 0; r < rows; ++r) {
    size_t count = 0;
    float* yr = y + r * k;
    const bool log = op == AxisOp::kLogSoftmax;
    // In place (y == x) is fine: each x_j is read before e_j overwrites it.
    const double non_max = w.Exponentials(x + r * k, k, sign, &count, log ? w.e.data() : yr, log);
    if (count == 0) {
      for (size_t j = 0; j < k; ++j) yr[j] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    if (op == AxisOp::kLogSoftmax) {
      const float lse = float(std::log1p(non_max + double(count - 1)));
      for (size_t j = 0; j < k; ++j) yr[j] = (w.diff[j] - lse) + w.err[j];
    } else {
      const float inv = float(1.0 / (non_max + double(count)));
      for (size_t j = 0; j < k; ++j) yr[j] *= inv;
    }
  }
}

template <>
inline void BackwardRows<float>(AxisOp op, const float* x, const float* dy, float* dx, size_t rows, size_t k) {
  RowsF32 w(k);
  const float sign = op == AxisOp::kSoftmin ? -1.0f : 1.0f;
  for (size_t r = 0; r < rows; ++r) {
    size_t count = 0;
    const double sum = w.Exponentials(x + r * k, k, sign, &count, w.e.data(), false) + double(count);
    const float inv = count ? float(1.0 / sum) : std::numeric_limits<float>::quiet_NaN();
    const float* g = dy ? dy + r * k : nullptr;
    float* dxr = dx + r * k;
    for (size_t j = 0; j < k; ++j) w.e[j] *= inv;  // s_j
    // dot = sum_j dy_j s_j (sum_j dy_j for log_softmax), in float64 with four
    // independent accumulators.
    double acc[4] = {0, 0, 0, 0};
    for (size_t j = 0; j < k; ++j) {
      const double gj = g ? double(g[j]) : 1.0;
      acc[j & 3] += op == AxisOp::kLogSoftmax ? gj : gj * double(w.e[j]);
    }
    const double dot = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (size_t j = 0; j < k; ++j) {
      const double gj = g ? double(g[j]) : 1.0;
      const double sj = w.e[j];
      dxr[j] = op == AxisOp::kLogSoftmax ? float(gj - sj * dot) : float(sign * sj * (gj - dot));
    }
  }
}

// float32 rows in float32 lanes. dot: blocks of 4 vectors summed per lane in
// float (fma; at most 3 roundings, each relative to the block's terms), each
// block's lanes then added in float64, so dot is within ~3 ulp of
// sum_j |dy_j y_j| (of sum_j |dy_j| for log_softmax) and rounded to float
// once. Then dx = y (dy - dot) with two roundings, or dy - e^y dot with one
// fma (e^y by vmath32).
inline void FromOutputRowF32(AxisOp op, const float* y, const float* g, float* dx, size_t k) {
  const hn::ScalableTag<float> d;
  const hn::ScalableTag<double> dd;
  using V = hn::Vec<decltype(d)>;
  using VD = hn::Vec<decltype(dd)>;
  const size_t N = hn::Lanes(d);
  const bool log_op = op == AxisOp::kLogSoftmax;
  const V one = hn::Set(d, 1.0f);
  const auto term = [&](size_t j) {
    const V gv = g ? hn::LoadU(d, g + j) : one;
    return log_op ? gv : hn::Mul(gv, hn::LoadU(d, y + j));
  };
  VD acc_lo = hn::Zero(dd), acc_hi = hn::Zero(dd);
  const auto add_block = [&](V b) {
#if HWY_TARGET == HWY_SCALAR
    acc_lo = hn::Add(acc_lo, hn::PromoteTo(dd, b));
#else
    acc_lo = hn::Add(acc_lo, hn::PromoteTo(dd, hn::LowerHalf(b)));
    acc_hi = hn::Add(acc_hi, hn::PromoteTo(dd, hn::UpperHalf(hn::Half<decltype(d)>(), b)));
#endif
  };
  size_t j = 0;
  for (; j + 4 * N <= k; j += 4 * N) {
    const V a = hn::Add(term(j), term(j + N)), b = hn::Add(term(j + 2 * N), term(j + 3 * N));
    add_block(hn::Add(a, b));
  }
  for (; j + N <= k; j += N) add_block(term(j));
  double dot_sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(acc_lo, acc_hi)));
  for (; j < k; ++j) {
    const double gj = g ? double(g[j]) : 1.0;
    dot_sum += log_op ? gj : gj * double(y[j]);
  }
  const V vdot = hn::Set(d, float(dot_sum));
  // One pass per row with the operation chosen outside the loop (a branch
  // inside it cost softmax a quarter of its speed); softmin's -y (dy - dot)
  // is y (dot - dy): no extra multiply.
  const auto pass = [&](auto body) {
    for (j = 0; j + N <= k; j += N)
      hn::StoreU(body(hn::LoadU(d, y + j), g ? hn::LoadU(d, g + j) : one), d, dx + j);
    if (j < k) {
      HWY_ALIGN float yb[HWY_MAX_BYTES / sizeof(float)] = {}, gb[HWY_MAX_BYTES / sizeof(float)] = {};
      const size_t rest = k - j;
      std::memcpy(yb, y + j, rest * sizeof(float));
      if (g) std::memcpy(gb, g + j, rest * sizeof(float));
      hn::Store(body(hn::Load(d, yb), g ? hn::Load(d, gb) : one), d, yb);
      std::memcpy(dx + j, yb, rest * sizeof(float));
    }
  };
  if (log_op) {
    pass([&](V yv, V gv) HWY_ATTR { return hn::NegMulAdd(vm32::ExpFast(d, yv), vdot, gv); });
  } else if (op == AxisOp::kSoftmin) {
    pass([&](V yv, V gv) HWY_ATTR { return hn::Mul(yv, hn::Sub(vdot, gv)); });
  } else {
    pass([&](V yv, V gv) HWY_ATTR { return hn::Mul(yv, hn::Sub(gv, vdot)); });
  }
}

// Backward from the forward output y (rows of k):
//   softmax:     dx = y (dy - dot),   dot = sum_j dy_j y_j
//   softmin:     dx = -y (dy - dot)   (softmin(x) = softmax(-x))
//   log_softmax: dx = dy - e^y sum_j dy_j
// float64 rows: the sum carries its rounding errors (2Sum per lane, lanes
// combined by 2Sum), exact to ~2^-100 relative to its terms, since
// log_softmax's sum_j dy_j cancels far below their scale; dy - dot then loses
// what cancels, as from x; log_softmax's e^y carries y's rounding (relative
// error |y| ulp of y ~ the from-x kernel's for moderate |y|).
inline void BackwardRowsFromOutput(AxisOp op, const double* y, const double* dy, double* dx, size_t rows,
                                   size_t k) {
  const hn::ScalableTag<double> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  HWY_ALIGN double yb[HWY_MAX_BYTES / sizeof(double)] = {}, gb[HWY_MAX_BYTES / sizeof(double)] = {};
  const auto load = [&](const double* p, size_t j, double* buf) -> V {
    if (j + N <= k) return hn::LoadU(d, p + j);
    std::memcpy(buf, p + j, (k - j) * sizeof(double));
    return hn::Load(d, buf);  // lanes past k are 0 and add nothing
  };
  const bool log = op == AxisOp::kLogSoftmax;
  const V sign = hn::Set(d, op == AxisOp::kSoftmin ? -1.0 : 1.0);
  for (size_t r = 0; r < rows; ++r) {
    const double* yr = y + r * k;
    const double* gr = dy ? dy + r * k : nullptr;
    double* dxr = dx + r * k;
    V acc0 = hn::Zero(d), acc1 = hn::Zero(d), lo = hn::Zero(d);
    const auto add = [&](V& acc, V term) {
      V err;
      acc = vm::TwoSum(d, acc, term, &err);
      lo = hn::Add(lo, err);
    };
    size_t j = 0;
    for (; j + 2 * N <= k; j += 2 * N) {
      const V g0 = gr ? hn::LoadU(d, gr + j) : hn::Set(d, 1.0);
      const V g1 = gr ? hn::LoadU(d, gr + j + N) : hn::Set(d, 1.0);
      add(acc0, log ? g0 : hn::Mul(g0, hn::LoadU(d, yr + j)));
      add(acc1, log ? g1 : hn::Mul(g1, hn::LoadU(d, yr + j + N)));
    }
    for (; j < k; j += N) {
      const V g = gr ? load(gr, j, gb) : hn::IfThenElseZero(hn::FirstN(d, k - j), hn::Set(d, 1.0));
      add(acc0, log ? g : hn::Mul(g, load(yr, j, yb)));
    }
    HWY_ALIGN double hi_buf[HWY_MAX_BYTES / sizeof(double)], lo_buf[HWY_MAX_BYTES / sizeof(double)];
    V err;
    hn::Store(vm::TwoSum(d, acc0, acc1, &err), d, hi_buf);
    hn::Store(hn::Add(lo, err), d, lo_buf);
    double hi = 0, low = 0;
    for (size_t l = 0; l < N; ++l) {
      double e;
      hi = TwoSum(hi, hi_buf[l], &e);
      low += e + lo_buf[l];
    }
    const V dot = hn::Set(d, hi + low);
    for (j = 0; j < k; j += N) {
      const V yv = load(yr, j, yb);
      const V g = gr ? load(gr, j, gb) : hn::Set(d, 1.0);
      const V v = log ? hn::NegMulAdd(vm::Exp(d, yv), dot, g) : hn::Mul(hn::Mul(sign, yv), hn::Sub(g, dot));
      if (j + N <= k) {
        hn::StoreU(v, d, dxr + j);
      } else {
        hn::Store(v, d, yb);
        std::memcpy(dxr + j, yb, (k - j) * sizeof(double));
      }
    }
  }
}
inline void BackwardRowsFromOutput(AxisOp op, const float* y, const float* dy, float* dx, size_t rows, size_t k) {
  for (size_t r = 0; r < rows; ++r) FromOutputRowF32(op, y + r * k, dy ? dy + r * k : nullptr, dx + r * k, k);
}
}  // namespace axis

// ---- dispatch by table index -----------------------------------------------------
template <class T>
void RunKernel(const KernelCall<T>& c) {
  VisitEntry(AllActivations{}, c.index, [&]<class A>() {
    static_assert(!A::kSpec.deriv_from_output || A::kSpec.shape != Shape::kElementwise ||
                      requires { A::DerivY(hn::ScalableTag<T>(), hn::Zero(hn::ScalableTag<T>()), nullptr); },
                  "an entry with deriv_from_output needs DerivY");
    if constexpr (A::kSpec.shape == Shape::kElementwise) {
      const auto* p = c.params;
      if constexpr (std::is_same_v<A, Identity>) {
        // dx = dy * 1: a copy, without reading x (or y) at all.
        if (c.op != kForward && c.dy) {
          std::memmove(c.out, c.dy, c.n * sizeof(T));
          return;
        }
      }
      if (c.op == kBackwardFromOutput) {
        if constexpr (A::kSpec.deriv_from_output) FromOutputLoop<A>(c.x, c.dy, c.out, c.n, p, c.stream);
      } else if (c.op == kForward) ElementwiseRun<A, kForward>(c.x, c.dy, c.out, c.n, p, c.stream);
      else if (c.dy) ElementwiseRun<A, kBackward>(c.x, c.dy, c.out, c.n, p, c.stream);
      else ElementwiseRun<A, kDerivative>(c.x, c.dy, c.out, c.n, p, c.stream);
    } else if constexpr (A::kSpec.shape == Shape::kGlu) {
      const size_t rows = c.n / (2 * c.axis_size);
      if (c.op == kForward) GluRun<kForward>(c.x, c.dy, c.out, rows, c.axis_size);
      else GluRun<kBackward>(c.x, c.dy, c.out, rows, c.axis_size);
    } else {
      const size_t rows = c.n / c.axis_size;
      if (c.op == kForward) axis::ForwardRows(A::kOp, c.x, c.out, rows, c.axis_size);
      else if (c.op == kBackwardFromOutput) axis::BackwardRowsFromOutput(A::kOp, c.x, c.dy, c.out, rows, c.axis_size);
      else axis::BackwardRows(A::kOp, c.x, c.dy, c.out, rows, c.axis_size);
    }
  });
}

}  // namespace actlab::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // ACTLAB_SRC_ACT_KERNELS_INL_H_
