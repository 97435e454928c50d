// Multiple-precision reference arithmetic for actlab tests (header-only).
//
// Mp wraps an MPFR number so that the *same* templated formula can be
// evaluated in float/double (the kernel under test) and in high precision
// (the reference), e.g.
//
//   template <class T> T Sigmoid(T x) { using std::exp; return T(1) / (T(1) + exp(-x)); }
//   Mp exact = ExactValue([&] { return Sigmoid(Mp(x)); });
//   EXPECT_LE(UlpError(kernel(x), exact), 1.0);
//
// Precision: every Mp result is computed at the thread-local "current
// precision" (default 256 bits, changed with the RAII guard MpPrecision).
// Conversions from arithmetic types are always exact (they use at least the
// source type's bit count), so inputs are never perturbed.
//
// Exponent range: on first use in each thread MPFR's exponent range is widened
// to the maximum ([1-2^62, 2^62-1] on 64-bit), so intermediate results such as
// exp(-1e10) or erfc(1e5) do not underflow to 0. Values beyond even that range
// (e.g. exp(-1e30) = 2^-1.4e30) still underflow to 0 / overflow to inf; that is
// harmless for float/double references, which round such values to 0 / inf.
// The rounding to float/double (to_float/to_double) is done explicitly at the
// target format's exponent, so it stays correct (subnormals, ties-to-even,
// overflow to inf) regardless of MPFR's range.
#ifndef ACTLAB_TESTS_SUPPORT_MP_H_
#define ACTLAB_TESTS_SUPPORT_MP_H_

#include <algorithm>
#include <bit>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <mpfr.h>

namespace actlab::test {

namespace mp_detail {

inline mpfr_prec_t& CurrentPrecisionRef() {
  thread_local mpfr_prec_t precision = 256;
  return precision;
}

// MPFR's exponent range is per thread (in thread-safe builds), hence the
// thread_local once-flag. Called from every Mp constructor; cheap after the
// first call.
inline void EnsureWideExponentRange() {
  thread_local const bool done = [] {
    mpfr_set_emin(mpfr_get_emin_min());
    mpfr_set_emax(mpfr_get_emax_max());
    return true;
  }();
  (void)done;
}

template <class T>
concept IeeeFloat = std::same_as<T, float> || std::same_as<T, double>;

}  // namespace mp_detail

// RAII guard setting the current thread's Mp precision (in bits).
class MpPrecision {
 public:
  explicit MpPrecision(mpfr_prec_t bits) : saved_(current()) {
    if (bits < MPFR_PREC_MIN || bits > MPFR_PREC_MAX) {
      throw std::invalid_argument("MpPrecision: precision out of MPFR range");
    }
    mp_detail::CurrentPrecisionRef() = bits;
  }
  ~MpPrecision() { mp_detail::CurrentPrecisionRef() = saved_; }
  MpPrecision(const MpPrecision&) = delete;
  MpPrecision& operator=(const MpPrecision&) = delete;

  static mpfr_prec_t current() { return mp_detail::CurrentPrecisionRef(); }

 private:
  mpfr_prec_t saved_;
};

class Mp {
 public:
  // +0 at the current precision.
  Mp() : Mp(Uninit{}, MpPrecision::current()) { mpfr_set_zero(v_, 1); }

  // Implicit and exact from any arithmetic type, so generic code such as
  // T(1) / (T(1) + exp(-x)), x * 0.5 and 2 * x compiles with T = Mp.
  template <class A>
    requires std::is_arithmetic_v<A>
  Mp(A a)  // NOLINT(google-explicit-constructor)
      : Mp(Uninit{}, std::max<mpfr_prec_t>(MpPrecision::current(),
                                           std::numeric_limits<A>::digits + 1)) {
    if constexpr (std::is_same_v<A, float>) {
      mpfr_set_flt(v_, a, MPFR_RNDN);
    } else if constexpr (std::is_same_v<A, double>) {
      mpfr_set_d(v_, a, MPFR_RNDN);
    } else if constexpr (std::is_same_v<A, long double>) {
      mpfr_set_ld(v_, a, MPFR_RNDN);
    } else {
      static_assert(std::is_integral_v<A> && sizeof(A) <= sizeof(long),
                    "Mp: unsupported arithmetic type");
      if constexpr (std::is_signed_v<A>) {
        mpfr_set_si(v_, static_cast<long>(a), MPFR_RNDN);
      } else {
        mpfr_set_ui(v_, static_cast<unsigned long>(a), MPFR_RNDN);
      }
    }
  }

  // Copy of a raw MPFR value, keeping its precision.
  explicit Mp(mpfr_srcptr x) : Mp(Uninit{}, mpfr_get_prec(x)) { mpfr_set(v_, x, MPFR_RNDN); }

  Mp(const Mp& o) : Mp(o.get()) {}
  Mp(Mp&& o) noexcept : Mp(Uninit{}, MPFR_PREC_MIN) { mpfr_swap(v_, o.v_); }
  Mp& operator=(const Mp& o) {
    if (this != &o) {
      mpfr_set_prec(v_, mpfr_get_prec(o.v_));
      mpfr_set(v_, o.v_, MPFR_RNDN);
    }
    return *this;
  }
  Mp& operator=(Mp&& o) noexcept {
    mpfr_swap(v_, o.v_);
    return *this;
  }
  ~Mp() { mpfr_clear(v_); }

  // Decimal (or "nan", "inf", hex "0x1p-3", ...) constant, rounded once to the
  // current precision. Use this, not a double literal, for constants such as
  // SELU's lambda = "1.0507009873554804934193349852946".
  static Mp from_string(const std::string& s) {
    Mp r;
    if (mpfr_set_str(r.v_, s.c_str(), 0, MPFR_RNDN) != 0) {
      throw std::invalid_argument("Mp::from_string: cannot parse '" + s + "'");
    }
    return r;
  }
  static Mp pi() {
    Mp r;
    mpfr_const_pi(r.v_, MPFR_RNDN);
    return r;
  }

  mpfr_srcptr get() const { return v_; }
  mpfr_ptr get() { return v_; }
  mpfr_prec_t precision() const { return mpfr_get_prec(v_); }

  // Correctly rounded (to nearest, ties to even) conversions, including
  // subnormal results and overflow to +-inf.
  double to_double() const { return RoundTo<double>(v_); }
  float to_float() const { return RoundTo<float>(v_); }

  std::string to_string(int digits = 40) const {
    char* s = nullptr;
    if (mpfr_asprintf(&s, "%.*Rg", digits, v_) < 0) return "<mpfr_asprintf failed>";
    std::string out(s);
    mpfr_free_str(s);
    return out;
  }
  friend std::ostream& operator<<(std::ostream& os, const Mp& x) { return os << x.to_string(); }

  // ---- Arithmetic. Mixed Mp/double/int forms work via the implicit
  // constructor. All functions below are hidden friends: found only by ADL
  // when an argument is an Mp, so a plain exp(0.5) in namespace actlab::test
  // still calls ::exp(double) and returns a double.
  friend Mp operator+(const Mp& a, const Mp& b) { return Apply(mpfr_add, a, b); }
  friend Mp operator-(const Mp& a, const Mp& b) { return Apply(mpfr_sub, a, b); }
  friend Mp operator*(const Mp& a, const Mp& b) { return Apply(mpfr_mul, a, b); }
  friend Mp operator/(const Mp& a, const Mp& b) { return Apply(mpfr_div, a, b); }
  friend Mp operator-(const Mp& a) { return Exact(mpfr_neg, a); }
  friend Mp operator+(const Mp& a) { return a; }
  Mp& operator+=(const Mp& b) { return *this = *this + b; }
  Mp& operator-=(const Mp& b) { return *this = *this - b; }
  Mp& operator*=(const Mp& b) { return *this = *this * b; }
  Mp& operator/=(const Mp& b) { return *this = *this / b; }

  // IEEE semantics: every comparison with NaN is false except != (rewritten
  // from == in C++20).
  friend bool operator==(const Mp& a, const Mp& b) { return mpfr_equal_p(a.v_, b.v_); }
  friend bool operator<(const Mp& a, const Mp& b) { return mpfr_less_p(a.v_, b.v_); }
  friend bool operator<=(const Mp& a, const Mp& b) { return mpfr_lessequal_p(a.v_, b.v_); }
  friend bool operator>(const Mp& a, const Mp& b) { return mpfr_greater_p(a.v_, b.v_); }
  friend bool operator>=(const Mp& a, const Mp& b) { return mpfr_greaterequal_p(a.v_, b.v_); }

#define ACTLAB_MP_UNARY(name, fn) \
  friend Mp name(const Mp& x) { return Apply(fn, x); }
  ACTLAB_MP_UNARY(exp, mpfr_exp)
  ACTLAB_MP_UNARY(exp2, mpfr_exp2)
  ACTLAB_MP_UNARY(expm1, mpfr_expm1)
  ACTLAB_MP_UNARY(log, mpfr_log)
  ACTLAB_MP_UNARY(log2, mpfr_log2)
  ACTLAB_MP_UNARY(log1p, mpfr_log1p)
  ACTLAB_MP_UNARY(tanh, mpfr_tanh)
  ACTLAB_MP_UNARY(sinh, mpfr_sinh)
  ACTLAB_MP_UNARY(cosh, mpfr_cosh)
  ACTLAB_MP_UNARY(atan, mpfr_atan)
  ACTLAB_MP_UNARY(erf, mpfr_erf)
  ACTLAB_MP_UNARY(erfc, mpfr_erfc)
  ACTLAB_MP_UNARY(sqrt, mpfr_sqrt)
  ACTLAB_MP_UNARY(cbrt, mpfr_cbrt)
#undef ACTLAB_MP_UNARY

  // Exact operations keep the operand's precision (no rounding).
  friend Mp abs(const Mp& x) { return Exact(mpfr_abs, x); }
  friend Mp fabs(const Mp& x) { return Exact(mpfr_abs, x); }
  friend Mp floor(const Mp& x) { return Exact(mpfr_floor, x); }
  friend Mp ceil(const Mp& x) { return Exact(mpfr_ceil, x); }
  friend Mp copysign(const Mp& x, const Mp& s) {
    Mp r(Uninit{}, mpfr_get_prec(x.v_));
    mpfr_copysign(r.v_, x.v_, s.v_, MPFR_RNDN);
    return r;
  }
  friend Mp ldexp(const Mp& x, long e) {
    Mp r(Uninit{}, mpfr_get_prec(x.v_));
    mpfr_mul_2si(r.v_, x.v_, e, MPFR_RNDN);
    return r;
  }
  // C semantics: a NaN argument is ignored.
  friend Mp fmin(const Mp& a, const Mp& b) { return Apply(mpfr_min, a, b); }
  friend Mp fmax(const Mp& a, const Mp& b) { return Apply(mpfr_max, a, b); }
  friend Mp pow(const Mp& a, const Mp& b) { return Apply(mpfr_pow, a, b); }
  // Template so that pow(x, 0.5) picks pow(Mp, Mp) instead of truncating to int.
  template <std::integral I>
  friend Mp pow(const Mp& a, I n) {
    Mp r;
    mpfr_pow_si(r.v_, a.v_, static_cast<long>(n), MPFR_RNDN);
    return r;
  }
  friend bool isnan(const Mp& x) { return mpfr_nan_p(x.v_) != 0; }
  friend bool isinf(const Mp& x) { return mpfr_inf_p(x.v_) != 0; }
  friend bool isfinite(const Mp& x) { return mpfr_number_p(x.v_) != 0; }
  friend bool signbit(const Mp& x) { return mpfr_signbit(x.v_) != 0; }

 private:
  struct Uninit {};
  Mp(Uninit, mpfr_prec_t prec) {
    mp_detail::EnsureWideExponentRange();
    mpfr_init2(v_, prec);
  }

  using UnaryFn = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t);
  using BinaryFn = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_srcptr, mpfr_rnd_t);
  static Mp Apply(UnaryFn fn, const Mp& x) {
    Mp r;
    fn(r.v_, x.v_, MPFR_RNDN);
    return r;
  }
  static Mp Apply(BinaryFn fn, const Mp& a, const Mp& b) {
    Mp r;
    fn(r.v_, a.v_, b.v_, MPFR_RNDN);
    return r;
  }
  static Mp Exact(UnaryFn fn, const Mp& x) {
    Mp r(Uninit{}, mpfr_get_prec(x.v_));
    fn(r.v_, x.v_, MPFR_RNDN);
    return r;
  }
  static Mp Exact(int (*fn)(mpfr_ptr, mpfr_srcptr), const Mp& x) {  // floor, ceil
    Mp r(Uninit{}, mpfr_get_prec(x.v_));
    fn(r.v_, x.v_);
    return r;
  }

  // Round x to the nearest T (ties to even), honouring T's subnormal grid and
  // overflow threshold explicitly: MPFR's own (widened) exponent range knows
  // nothing about T, so we compute how many significant bits T has at x's
  // magnitude and round to exactly that many; the result is then exactly
  // representable and mpfr_get_d / mpfr_get_flt convert it without rounding.
  template <class T>
  static T RoundTo(mpfr_srcptr x) {
    using L = std::numeric_limits<T>;
    if (mpfr_nan_p(x)) return L::quiet_NaN();
    const bool neg = mpfr_signbit(x) != 0;
    const T sign = neg ? T(-1) : T(1);
    if (mpfr_inf_p(x)) return sign * L::infinity();
    if (mpfr_zero_p(x)) return sign * T(0);

    constexpr mpfr_exp_t kQuantumExp = L::min_exponent - L::digits;  // log2(denorm_min)
    const mpfr_exp_t e = mpfr_get_exp(x);                        // |x| in [2^(e-1), 2^e)
    const mpfr_exp_t bits = std::min<mpfr_exp_t>(L::digits, e - kQuantumExp);
    if (bits <= 0) {
      // |x| < denorm_min: the only candidates are 0 and denorm_min. bits == 0
      // means |x| in [denorm_min/2, denorm_min): above the midpoint rounds up,
      // the midpoint itself ties to even (0).
      bool up = false;
      if (bits == 0) {
        mpfr_t half;
        mpfr_init2(half, 2);
        mpfr_set_ui_2exp(half, 1, kQuantumExp - 1, MPFR_RNDN);
        up = mpfr_cmpabs(x, half) > 0;
        mpfr_clear(half);
      }
      return sign * (up ? L::denorm_min() : T(0));
    }
    mpfr_t r;
    mpfr_init2(r, bits);
    mpfr_set(r, x, MPFR_RNDN);  // the one and only rounding
    T out;
    if (mpfr_get_exp(r) > L::max_exponent) {
      out = sign * L::infinity();  // rounded magnitude >= 2^max_exp
    } else if constexpr (std::is_same_v<T, float>) {
      out = mpfr_get_flt(r, MPFR_RNDN);
    } else {
      out = static_cast<T>(mpfr_get_d(r, MPFR_RNDN));
    }
    mpfr_clear(r);
    return out;
  }

  mpfr_t v_;
};

// ---------------------------------------------------------------------------
// Adaptive-precision evaluation (Ziv's strategy). f() must return an Mp
// computed at the current precision (it is called under MpPrecision guards of
// 128, 256, ..., 16384 bits). Stops when two consecutive results
//   - are both NaN, or both infinite with the same sign, or
//   - are nonzero, same sign, and agree to a relative 2^-agree_bits, or
//   - are nonzero, same sign, and both below 2^-1200 in magnitude (far below
//     any float/double subnormal, so further digits cannot change a rounded
//     float/double result);
// and returns the last (most precise) value. An exact zero never stops the
// iteration early: a zero at low precision is typically a cancellation (e.g.
// x - tanh(x) at x = 1e-300 is 0 up to 1024 bits), so zero is only returned if
// it persists up to 16384 bits.
template <class F>
Mp ExactValue(F&& f, int agree_bits = 90) {
  static_assert(std::is_same_v<std::remove_cvref_t<std::invoke_result_t<F&>>, Mp>,
                "ExactValue: f() must return Mp (a double result would 'converge' trivially)");
  auto agree = [agree_bits](const Mp& a, const Mp& b) {
    mpfr_srcptr x = a.get();
    mpfr_srcptr y = b.get();
    if (mpfr_nan_p(x) || mpfr_nan_p(y)) return mpfr_nan_p(x) && mpfr_nan_p(y);
    if (mpfr_inf_p(x) || mpfr_inf_p(y)) {
      return mpfr_inf_p(x) && mpfr_inf_p(y) && mpfr_signbit(x) == mpfr_signbit(y);
    }
    if (mpfr_zero_p(x) || mpfr_zero_p(y)) return false;
    if (mpfr_signbit(x) != mpfr_signbit(y)) return false;
    if (mpfr_get_exp(x) <= -1200 && mpfr_get_exp(y) <= -1200) return true;
    MpPrecision p(64);  // |a-b| only needs a few correct bits
    return abs(a - b) <= ldexp(abs(b), -agree_bits);
  };
  Mp prev;
  for (mpfr_prec_t prec = 128; prec <= 16384; prec *= 2) {
    MpPrecision guard(prec);
    Mp cur = f();
    if (prec > 128 && agree(prev, cur)) return cur;
    prev = std::move(cur);
  }
  return prev;
}

// Correctly rounded float/double value of `exact`.
template <mp_detail::IeeeFloat T>
T CorrectlyRounded(const Mp& exact) {
  if constexpr (std::is_same_v<T, float>) {
    return exact.to_float();
  } else {
    return exact.to_double();
  }
}

// |computed - exact| in units of ulp_T(exact) = 2^(floor(log2|exact|) -
// (digits_T - 1)), never less than T's denorm_min (also used when exact == 0).
// A correctly rounded result therefore scores <= 0.5. Special cases:
//   both NaN -> 0; exactly one NaN -> +inf;
//   exact is +-inf or rounds to +-inf in T -> 0 if computed is that inf, else +inf;
//   computed is +-inf but exact does not round to it -> +inf;
//   -0 and +0 are equal values.
template <mp_detail::IeeeFloat T>
double UlpError(T computed, const Mp& exact) {
  using L = std::numeric_limits<T>;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const bool computed_nan = std::isnan(computed);
  if (computed_nan || isnan(exact)) return computed_nan && isnan(exact) ? 0.0 : kInf;
  const T rounded = CorrectlyRounded<T>(exact);  // +-inf iff exact is or overflows
  if (std::isinf(rounded) || std::isinf(computed)) return computed == rounded ? 0.0 : kInf;

  const Mp c(computed);
  mpfr_srcptr x = exact.get();
  // Precision making the difference exact whenever the exponents are within
  // 4096 of each other (always, when the error is below 2^4000 ULP); beyond
  // that it is correctly rounded with relative error 2^-4096, still irrelevant.
  mpfr_prec_t prec = std::max<mpfr_prec_t>(mpfr_get_prec(x), L::digits) + 2;
  if (!mpfr_zero_p(x) && computed != 0) {
    const mpfr_exp_t gap = mpfr_get_exp(x) - mpfr_get_exp(c.get());
    prec += static_cast<mpfr_prec_t>(std::min<mpfr_exp_t>(gap < 0 ? -gap : gap, 4096));
  }
  mpfr_t diff;
  mpfr_init2(diff, prec);
  mpfr_sub(diff, c.get(), x, MPFR_RNDN);
  mpfr_abs(diff, diff, MPFR_RNDN);

  constexpr mpfr_exp_t kMinUlpExp = L::min_exponent - L::digits;  // log2(denorm_min)
  mpfr_exp_t ulp_exp = kMinUlpExp;
  if (!mpfr_zero_p(x)) {
    ulp_exp = std::max<mpfr_exp_t>(mpfr_get_exp(x) - 1 - (L::digits - 1), kMinUlpExp);
  }
  mpfr_mul_2si(diff, diff, -ulp_exp, MPFR_RNDN);  // exact: only the exponent changes
  const double err = Mp(diff).to_double();
  mpfr_clear(diff);
  return err;
}

// ---------------------------------------------------------------------------
// Test-grid helpers (T = float or double).

// `count` magnitudes log-spaced over [lo_mag, hi_mag] (0 < lo_mag <= hi_mag,
// endpoints included exactly), with both signs: 2*count values, sorted
// ascending (non-decreasing: neighbouring points may coincide after rounding
// to T when the range is narrow).
template <mp_detail::IeeeFloat T>
std::vector<T> LogSpaced(T lo_mag, T hi_mag, int count) {
  if (!(lo_mag > 0) || !(hi_mag >= lo_mag) || std::isinf(hi_mag) || count < 1) {
    throw std::invalid_argument("LogSpaced: need 0 < lo_mag <= hi_mag < inf, count >= 1");
  }
  std::vector<T> mags(count);
  const long double llo = std::log(static_cast<long double>(lo_mag));
  const long double lhi = std::log(static_cast<long double>(hi_mag));
  for (int i = 0; i < count; ++i) {
    const long double t = count == 1 ? 0.0L : static_cast<long double>(i) / (count - 1);
    long double m = std::exp(llo + t * (lhi - llo));
    m = std::clamp<long double>(m, lo_mag, hi_mag);  // rounding must not leave the range
    mags[i] = static_cast<T>(m);
  }
  mags.front() = lo_mag;
  mags.back() = hi_mag;
  std::vector<T> out;
  out.reserve(2 * count);
  for (int i = count - 1; i >= 0; --i) out.push_back(-mags[i]);
  for (int i = 0; i < count; ++i) out.push_back(mags[i]);
  return out;
}

// `center` and its `ulps_each_side` nextafter neighbours on each side, sorted
// ascending: 2*ulps_each_side + 1 values. Walking stops at +-inf (included
// once). A walk crossing zero visits a single zero (nextafter's rule), but if
// center is +-0 both zeros are included (-0 first), giving 2*ulps_each_side + 2
// values, the outer ones being the subnormals of both signs. NaN -> {NaN}.
template <mp_detail::IeeeFloat T>
std::vector<T> BitSweep(T center, int ulps_each_side) {
  constexpr T kInf = std::numeric_limits<T>::infinity();
  if (std::isnan(center)) return {center};
  std::vector<T> below;
  T v = center;
  for (int i = 0; i < ulps_each_side && v != -kInf; ++i) below.push_back(v = std::nextafter(v, -kInf));
  std::vector<T> out(below.rbegin(), below.rend());
  if (center == 0) {
    out.push_back(T(-0.0));
    out.push_back(T(0.0));
  } else {
    out.push_back(center);
  }
  v = center;
  for (int i = 0; i < ulps_each_side && v != kInf; ++i) out.push_back(v = std::nextafter(v, kInf));
  return out;
}

// `count` values with random sign and magnitude in [lo_mag, hi_mag]: a binade
// (power-of-two interval, subnormal binades included) is picked uniformly, then
// a uniformly random value of T inside it (i.e. random significand bits). So
// magnitudes are log-uniform and every binade is sampled about equally.
template <mp_detail::IeeeFloat T>
std::vector<T> RandomAllMagnitudes(std::mt19937_64& rng, int count, T lo_mag, T hi_mag) {
  if (!(lo_mag > 0) || !(hi_mag >= lo_mag) || std::isinf(hi_mag) || count < 0) {
    throw std::invalid_argument("RandomAllMagnitudes: need 0 < lo_mag <= hi_mag < inf");
  }
  // For positive IEEE values the bit pattern is monotone in the value, so a
  // range of values is a range of integers.
  using Bits = std::conditional_t<std::is_same_v<T, float>, std::uint32_t, std::uint64_t>;
  const Bits lo_bits = std::bit_cast<Bits>(lo_mag);
  const Bits hi_bits = std::bit_cast<Bits>(hi_mag);
  std::uniform_int_distribution<int> binade(std::ilogb(lo_mag), std::ilogb(hi_mag));
  std::vector<T> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) {
    const int e = binade(rng);
    // [2^e, 2^(e+1)) intersected with [lo, hi]; 2^(e+1) may be inf, whose bit
    // pattern directly follows max().
    const Bits first = std::max(lo_bits, std::bit_cast<Bits>(std::ldexp(T(1), e)));
    const Bits last = std::min<Bits>(hi_bits, std::bit_cast<Bits>(std::ldexp(T(1), e + 1)) - 1);
    const T mag = std::bit_cast<T>(std::uniform_int_distribution<Bits>(first, last)(rng));
    out.push_back((rng() & 1) ? -mag : mag);
  }
  return out;
}

// NaN, +-inf, +-0, +-max, +-min normal, +-denorm_min, +-1.
template <mp_detail::IeeeFloat T>
std::vector<T> Specials() {
  using L = std::numeric_limits<T>;
  return {L::quiet_NaN(), L::infinity(), -L::infinity(), T(0),          T(-0.0),
          L::max(),       -L::max(),     L::min(),       -L::min(),     L::denorm_min(),
          -L::denorm_min(), T(1),        T(-1)};
}

}  // namespace actlab::test

#endif  // ACTLAB_TESTS_SUPPORT_MP_H_
