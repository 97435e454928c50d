// Tests for the multiple-precision reference harness (tests/support/mp.h).
// The harness is what every kernel accuracy test trusts, so these tests pin
// it to independent oracles: published constants, hardware IEEE arithmetic
// (correctly rounded, incl. subnormals), and hand-computed ULP distances.
#include "tests/support/mp.h"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cstdint>
#include <cmath>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace actlab::test {
namespace {

// Hidden friends must not hijack double overloads inside this namespace.
static_assert(std::is_same_v<decltype(exp(0.5)), double>);
static_assert(std::is_same_v<decltype(exp(Mp(0.5))), Mp>);

constexpr double kDmin = std::numeric_limits<double>::denorm_min();
constexpr float kFmin = std::numeric_limits<float>::denorm_min();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kFInf = std::numeric_limits<float>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Mp Pow2(long e) { return ldexp(Mp(1), e); }

// |a - b| <= rel * |b|
::testing::AssertionResult RelClose(const Mp& a, const Mp& b, const Mp& rel) {
  if (abs(a - b) <= rel * abs(b)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a << " vs " << b << " (rel " << abs(a - b) / abs(b)
                                       << ")";
}

// The same templated code must work for double and Mp.
template <class T>
T Sigmoid(T x) {
  using std::exp;
  return T(1) / (T(1) + exp(-x));
}
template <class T>
T Mixed(T x) {
  using std::fmax;
  using std::tanh;
  return fmax(x * 0.5 + 2 * x - x / 4, T(0)) + tanh(x) - 1;
}

TEST(MpTest, KnownConstants) {
  // DLMF 7.2 / OEIS A099286, A001113, and (e-1)/(e+1) = tanh(1/2); checked
  // against mpmath at 60 digits.
  const Mp tol = Mp::from_string("1e-30");
  EXPECT_TRUE(RelClose(erf(Mp(1)), Mp::from_string("0.842700792949714869341220635082609259296066997966"), tol));
  EXPECT_TRUE(RelClose(erfc(Mp(1)), Mp::from_string("0.157299207050285130658779364917390740703933002034"), tol));
  EXPECT_TRUE(RelClose(exp(Mp(1)), Mp::from_string("2.71828182845904523536028747135266249775724709370"), tol));
  EXPECT_TRUE(RelClose(tanh(Mp(0.5)), Mp::from_string("0.462117157260009758502318483643672548730289280330"), tol));
  EXPECT_TRUE(RelClose(log(Mp(2)), Mp::from_string("0.693147180559945309417232121458176568075500134360"), tol));
  EXPECT_TRUE(RelClose(Mp::pi(), Mp::from_string("3.14159265358979323846264338327950288419716939938"), tol));
  // Precision really is 256 bits: a double-accurate value fails the check.
  EXPECT_FALSE(RelClose(Mp(std::exp(1.0)), exp(Mp(1)), tol));
}

TEST(MpTest, PrecisionGuard) {
  EXPECT_EQ(MpPrecision::current(), 256);
  EXPECT_EQ(Mp().precision(), 256);
  {
    MpPrecision outer(1000);
    EXPECT_EQ((Mp(1) / 3).precision(), 1000);
    {
      MpPrecision inner(100);
      EXPECT_EQ((Mp(1) / 3).precision(), 100);
      // Conversions are exact even below the source type's width.
      MpPrecision tiny(8);
      EXPECT_EQ(Mp(0.1).to_double(), 0.1);
      EXPECT_EQ(Mp(0.1f).to_float(), 0.1f);
      EXPECT_EQ(Mp(123456789012345L), Mp(123456789012345.0));
    }
    EXPECT_EQ(MpPrecision::current(), 1000);
    // 1/3 at 1000 bits is far more accurate than at 256.
    const Mp third = Mp(1) / 3;
    EXPECT_LT(abs(third * 3 - 1), Pow2(-990));
  }
  EXPECT_EQ(MpPrecision::current(), 256);
  EXPECT_THROW(MpPrecision bad(0), std::invalid_argument);
}

TEST(MpTest, ValueSemanticsAndOperators) {
  Mp a = 1.5;
  Mp b = a;  // copy
  b += 1;
  EXPECT_EQ(a, 1.5);
  EXPECT_EQ(b, 2.5);
  Mp c = std::move(b);
  EXPECT_EQ(c, 2.5);
  b = c;  // moved-from object is assignable
  EXPECT_EQ(b, 2.5);
  const Mp& self = b;
  b = self;
  EXPECT_EQ(b, 2.5);
  c -= 0.5;
  c *= 3;
  c /= 4;
  EXPECT_EQ(c, 1.5);
  EXPECT_EQ(2 * a, 3);
  EXPECT_EQ(a * 0.5, 0.75);
  EXPECT_EQ(1 - a, -0.5);
  EXPECT_EQ(3 / a, 2);
  EXPECT_EQ(-a, -1.5);
  EXPECT_TRUE(a < 2 && a <= 1.5 && a > 1 && a >= 1.5 && a != 1 && 1.5 == a);
  const Mp nan = Mp(kNaN);
  EXPECT_FALSE(nan == nan || nan < 0 || nan >= 0);
  EXPECT_TRUE(nan != nan);
  EXPECT_EQ(Mp::from_string("0.1").to_double(), 0.1);
  EXPECT_NE(Mp::from_string("0.1"), Mp(0.1));  // decimal constant, not the double
  EXPECT_THROW(Mp::from_string("1.2.3"), std::invalid_argument);
  EXPECT_GT(Mp::from_string("1e-400"), 0);
  EXPECT_EQ(Mp::from_string("-1e-400").to_double(), 0.0);
}

TEST(MpTest, MathFunctionsAndGenericCode) {
  for (double x : {-30.0, -1.0, -1e-5, 0.0, 0.25, 3.0, 40.0}) {
    EXPECT_LE(UlpError(Sigmoid(x), Sigmoid(Mp(x))), 2.0) << x;
    EXPECT_NEAR(Mixed(Mp(x)).to_double(), Mixed(x), 1e-15 * (1 + std::fabs(x)));
  }
  const Mp x = Mp(-2.75);
  EXPECT_EQ(abs(x), 2.75);
  EXPECT_EQ(fabs(x), 2.75);
  EXPECT_EQ(floor(x), -3);
  EXPECT_EQ(copysign(Mp(2), x), -2);
  EXPECT_EQ(fmin(x, 1), x);
  EXPECT_EQ(fmax(x, 1), 1);
  EXPECT_EQ(fmax(Mp(kNaN), 1), 1);  // C semantics: NaN operand ignored
  EXPECT_EQ(pow(x, 2), 7.5625);
  EXPECT_EQ(pow(Mp(4), 0.5), 2);  // not truncated to pow(4, 0)
  EXPECT_LT(abs(sqrt(Mp(2)) * sqrt(Mp(2)) - 2), Pow2(-250));
  EXPECT_TRUE(isnan(log(Mp(-1))));
  EXPECT_TRUE(signbit(Mp(-0.0)));
  EXPECT_FALSE(signbit(Mp(0.0)));
  EXPECT_TRUE(isinf(log(Mp(0))));
  EXPECT_EQ(expm1(Mp(1e-200)).to_double(), 1e-200);
  EXPECT_EQ(log1p(Mp(1e-200)).to_double(), 1e-200);
}

TEST(MpTest, WideExponentRange) {
  // Default MPFR emin is about -2^30: these would underflow/overflow there.
  const Mp tiny = exp(Mp(-1e10));
  EXPECT_GT(tiny, 0);
  EXPECT_LT(tiny, Pow2(-14000000000L));  // e^-1e10 = 2^-1.44e10
  EXPECT_TRUE(isfinite(exp(Mp(1e10))));
  EXPECT_GT(erfc(Mp(1e5)), 0);
  EXPECT_GT(exp(Mp(-1e18)), 0);
  // Rounding to double is unaffected by the wide range.
  EXPECT_EQ(tiny.to_double(), 0.0);
  EXPECT_EQ(exp(Mp(1e10)).to_double(), kInf);
  EXPECT_EQ((-exp(Mp(1e10))).to_float(), -kFInf);
}

TEST(MpTest, ToDoubleSubnormalsAndTies) {
  EXPECT_EQ((Pow2(-1075) * 1.5).to_double(), kDmin);
  EXPECT_EQ(Pow2(-1075).to_double(), 0.0);  // exact tie -> even (0)
  EXPECT_FALSE(std::signbit(Pow2(-1075).to_double()));
  EXPECT_TRUE(std::signbit((-Pow2(-1075)).to_double()));
  EXPECT_EQ((Pow2(-1075) * (1 + Pow2(-200))).to_double(), kDmin);  // just above tie
  EXPECT_EQ(Pow2(-1076).to_double(), 0.0);
  EXPECT_EQ((Pow2(-1075) * 3).to_double(), 2 * kDmin);   // 1.5 dmin ties to even 2 dmin
  EXPECT_EQ((Pow2(-1075) * 5).to_double(), 2 * kDmin);   // 2.5 dmin ties to even 2 dmin
  EXPECT_EQ((-Pow2(-1075) * 7).to_double(), -4 * kDmin);  // -3.5 dmin -> -4 dmin
  // Largest subnormal + half its quantum ties up to DBL_MIN.
  EXPECT_EQ((Mp(DBL_MIN) - Pow2(-1075)).to_double(), DBL_MIN);
  EXPECT_EQ((Mp(DBL_MIN) - Pow2(-1075) - Pow2(-1200)).to_double(), DBL_MIN - kDmin);
  // Normal range ties and no double rounding.
  EXPECT_EQ((1 + Pow2(-53)).to_double(), 1.0);
  EXPECT_EQ((1 + Pow2(-53) + Pow2(-200)).to_double(), 1.0 + DBL_EPSILON);
  EXPECT_EQ((1 + 3 * Pow2(-53)).to_double(), 1.0 + 2 * DBL_EPSILON);
  // Overflow threshold DBL_MAX + ulp/2 (ulp = 2^971).
  EXPECT_EQ((Mp(DBL_MAX) + Pow2(970) - Pow2(900)).to_double(), DBL_MAX);
  EXPECT_EQ((Mp(DBL_MAX) + Pow2(970)).to_double(), kInf);
  EXPECT_EQ((-Mp(DBL_MAX) - Pow2(970)).to_double(), -kInf);
  EXPECT_EQ(Pow2(5000).to_double(), kInf);
  // Specials.
  EXPECT_TRUE(std::isnan(Mp(kNaN).to_double()));
  EXPECT_EQ(Mp(-kInf).to_double(), -kInf);
  EXPECT_TRUE(std::signbit(Mp(-0.0).to_double()));
}

TEST(MpTest, ToFloatSubnormalsAndOverflow) {
  EXPECT_EQ((Pow2(-150) * 1.5).to_float(), kFmin);
  EXPECT_EQ(Pow2(-150).to_float(), 0.0f);
  EXPECT_EQ((Pow2(-150) * 3).to_float(), 2 * kFmin);
  EXPECT_EQ((Mp(FLT_MAX) * (1 + Pow2(-25))).to_float(), FLT_MAX);
  EXPECT_EQ((Mp(FLT_MAX) * (1 + Pow2(-24))).to_float(), kFInf);
  EXPECT_EQ((Mp(FLT_MAX) + Pow2(103)).to_float(), kFInf);  // exactly max + ulp/2
  // Direct rounding, no double rounding through double: 1 + 2^-24 + 2^-60
  // rounds to double 1 + 2^-24, which would then tie down to 1.0f.
  EXPECT_EQ((1 + Pow2(-24) + Pow2(-60)).to_float(), 1.0f + FLT_EPSILON);
  EXPECT_EQ(Mp(DBL_MAX).to_float(), kFInf);
  EXPECT_EQ(Mp(kDmin).to_float(), 0.0f);
}

// Oracle: hardware IEEE arithmetic is correctly rounded (SSE, no FTZ/DAZ), and
// at 2200 bits the Mp sum/product of two doubles is exact (quotient correctly
// rounded far beyond any tie), so rounding it must reproduce the hardware.
TEST(MpTest, RoundingMatchesHardwareArithmetic) {
  MpPrecision guard(2200);
  std::mt19937_64 rng(12345);
  const auto d = RandomAllMagnitudes<double>(rng, 30000, kDmin, DBL_MAX);
  const auto f = RandomAllMagnitudes<float>(rng, 30000, kFmin, FLT_MAX);
  int checked_subnormal = 0;
  for (size_t i = 0; i + 1 < d.size(); ++i) {
    double a = d[i], b = d[i + 1];
    // Bias half the pairs towards products/quotients near the subnormal range.
    if (i % 2) {
      const int below = static_cast<int>(i / 2 % 56);  // 0..55 binades under DBL_MIN
      b = std::ldexp(std::fabs(b) / std::pow(2.0, std::ilogb(b)), -1022 - std::ilogb(a) - below);
    }
    volatile double prod = a * b, quot = a / b, sum = a + b;
    ASSERT_EQ((Mp(a) * Mp(b)).to_double(), prod) << a << " * " << b;
    ASSERT_EQ((Mp(a) / Mp(b)).to_double(), quot) << a << " / " << b;
    ASSERT_EQ((Mp(a) + Mp(b)).to_double(), sum) << a << " + " << b;
    ASSERT_EQ(Mp(a).to_float(), static_cast<float>(a)) << a;
    checked_subnormal += std::fpclassify(prod) == FP_SUBNORMAL;
  }
  for (size_t i = 0; i + 1 < f.size(); ++i) {
    volatile float prod = f[i] * f[i + 1], quot = f[i] / f[i + 1];
    ASSERT_EQ((Mp(f[i]) * Mp(f[i + 1])).to_float(), prod);
    ASSERT_EQ((Mp(f[i]) / Mp(f[i + 1])).to_float(), quot);
  }
  EXPECT_GT(checked_subnormal, 1000);
}

TEST(MpTest, ExactValueCancellation) {
  const double x = 1e-300;
  auto naive = [x] { return Mp(x) - tanh(Mp(x)); };
  EXPECT_EQ(naive(), 0);  // at 256 bits the cancellation is total
  const Mp exact = ExactValue(naive);
  MpPrecision guard(512);
  const Mp mx(x);
  const Mp series = mx * mx * mx / 3 * (1 - 2 * mx * mx / 5);
  EXPECT_TRUE(RelClose(exact, series, Mp::from_string("1e-25")));
  // 0 up to 1024 bits; 2048 bits give ~52 correct bits, 4096 the full value,
  // and the two are both far below 2^-1200, which stops the iteration.
  EXPECT_EQ(exact.precision(), 4096);
  EXPECT_TRUE(RelClose(ExactValue([&] { return -naive(); }), -series, Mp::from_string("1e-25")));
}

TEST(MpTest, ExactValueStoppingRules) {
  int calls = 0;
  // Smooth value: converges at 256 bits (two evaluations).
  Mp v = ExactValue([&] { ++calls; return exp(Mp(0.5)); });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(v.precision(), 256);
  calls = 0;
  v = ExactValue([&] { ++calls; return log(Mp(-1.0)); });
  EXPECT_TRUE(isnan(v));
  EXPECT_EQ(calls, 2);
  calls = 0;
  v = ExactValue([&] { ++calls; return -exp(Mp(1e300)); });
  EXPECT_EQ(v.to_double(), -kInf);
  EXPECT_EQ(calls, 2);
  calls = 0;
  v = ExactValue([&] { ++calls; return MpPrecision::current() == 128 ? Mp(kInf) : Mp(-kInf); });
  EXPECT_EQ(v.to_double(), -kInf);
  EXPECT_EQ(calls, 3);  // +inf then -inf do not agree
  calls = 0;
  v = ExactValue([&] { ++calls; return exp(Mp(-5000.0)); });  // tiny, nonzero
  EXPECT_EQ(calls, 2);
  EXPECT_GT(v, 0);
  // Moderate cancellation (result ~2^-301 from terms ~2^-100): 256 bits leave
  // ~54 correct bits, so only 512 and 1024 agree to 2^-90.
  const double x = 1e-30;
  v = ExactValue([x] { return Mp(x) - tanh(Mp(x)); });
  EXPECT_EQ(v.precision(), 1024);
  EXPECT_TRUE(RelClose(v, Mp(x) * x * x / 3, Mp::from_string("1e-50")));
  // The "tiny" rule needs *both* values tiny and of the same sign.
  v = ExactValue([] { return MpPrecision::current() == 256 ? Pow2(-2000) : Mp(1); });
  EXPECT_EQ(v, 1);
  calls = 0;
  v = ExactValue([&] { ++calls; return MpPrecision::current() == 128 ? -Pow2(-2000) : Pow2(-2000); });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(v, Pow2(-2000));
  // A persistent exact zero is only accepted after the top precision.
  calls = 0;
  v = ExactValue([&] { ++calls; return Mp(0.0) - tanh(Mp(0.0)); });
  EXPECT_EQ(v, 0);
  EXPECT_EQ(calls, 8);
  EXPECT_EQ(v.precision(), 16384);
}

TEST(MpTest, UlpErrorHandMadeCases) {
  EXPECT_EQ(UlpError(std::nextafter(1.0, 2.0), Mp(1)), 1.0);
  EXPECT_EQ(UlpError(std::nextafter(1.0, 0.0), Mp(1)), 0.5);  // ulp below 1 is half
  EXPECT_EQ(UlpError(std::nextafter(1.0f, 2.0f), Mp(1)), 1.0);
  EXPECT_EQ(UlpError(std::nextafter(1.0f, 0.0f), Mp(1)), 0.5);
  EXPECT_EQ(UlpError(1.0, Mp(1)), 0.0);
  EXPECT_EQ(UlpError(-3.0, Mp(-3) + 3 * Pow2(-52)), 1.5);  // ulp(3) = 2^-51
  // Exact 1/3 vs its double: within half an ULP, and not zero (no T rounding).
  const double third = 1.0 / 3.0;
  const double e3 = UlpError(third, Mp(1) / 3);
  EXPECT_GT(e3, 0.3);
  EXPECT_LE(e3, 0.5);
  // Subnormals are measured in denorm_min.
  EXPECT_EQ(UlpError(kDmin, Mp(kDmin) * 3), 2.0);
  EXPECT_EQ(UlpError(0.0, Mp(kDmin) * 0.25), 0.25);
  EXPECT_EQ(UlpError(kDmin, Mp(0)), 1.0);
  EXPECT_EQ(UlpError(kFmin, Mp(0)), 1.0);
  EXPECT_EQ(UlpError(0.0f, Pow2(-151)), 0.25);
  EXPECT_EQ(UlpError(DBL_MIN, Mp(DBL_MIN) * (1 + Pow2(-10))), std::ldexp(1.0, 42));
  // Signed zeros are equal values.
  EXPECT_EQ(UlpError(-0.0, Mp(0.0)), 0.0);
  EXPECT_EQ(UlpError(0.0f, Mp(-0.0)), 0.0);
  EXPECT_EQ(UlpError(0.0, -Pow2(-2000)), std::ldexp(1.0, -926));  // tiny, not 0
  // Large errors are finite and exact.
  EXPECT_EQ(UlpError(2.0, Mp(1)), std::ldexp(1.0, 52));
  EXPECT_EQ(UlpError(1.0, Pow2(-1000)), std::ldexp(1.0, 1052));  // (2^1052 - 2^52) rounded
}

TEST(MpTest, UlpErrorSpecialRules) {
  EXPECT_EQ(UlpError(kNaN, Mp(kNaN)), 0.0);
  EXPECT_EQ(UlpError(1.0, Mp(kNaN)), kInf);
  EXPECT_EQ(UlpError(kNaN, Mp(1)), kInf);
  EXPECT_EQ(UlpError(std::numeric_limits<float>::quiet_NaN(), Mp(kNaN)), 0.0);
  EXPECT_EQ(UlpError(kInf, Mp(kInf)), 0.0);
  EXPECT_EQ(UlpError(-kInf, Mp(kInf)), kInf);
  EXPECT_EQ(UlpError(DBL_MAX, Mp(kInf)), kInf);
  EXPECT_EQ(UlpError(kInf, Mp(DBL_MAX)), kInf);
  // Exact value that rounds to overflow.
  EXPECT_EQ(UlpError(kInf, Mp(DBL_MAX) + Pow2(970)), 0.0);
  EXPECT_EQ(UlpError(DBL_MAX, Mp(DBL_MAX) + Pow2(970)), kInf);
  EXPECT_EQ(UlpError(-kInf, Mp(DBL_MAX) + Pow2(970)), kInf);
  EXPECT_EQ(UlpError(kFInf, Mp(FLT_MAX) * (1 + Pow2(-24))), 0.0);
  EXPECT_EQ(UlpError(-kFInf, -exp(Mp(1e6))), 0.0);
  // Just below the threshold it is an ordinary finite value.
  EXPECT_EQ(UlpError(FLT_MAX, Mp(FLT_MAX) * (1 + Pow2(-25))), 0.5 - std::ldexp(1.0, -25));
  EXPECT_EQ(UlpError(kFInf, Mp(FLT_MAX) * (1 + Pow2(-25))), kInf);
}

TEST(MpTest, CorrectlyRoundedScoresAtMostHalfUlp) {
  std::mt19937_64 rng(7);
  for (double x : RandomAllMagnitudes<double>(rng, 2000, 1e-320, 700.0)) {
    const Mp e = exp(Mp(-std::fabs(x))) * x;
    ASSERT_LE(UlpError(CorrectlyRounded<double>(e), e), 0.5) << x;
    ASSERT_LE(UlpError(CorrectlyRounded<float>(e), e), 0.5) << x;
    const double next = std::nextafter(CorrectlyRounded<double>(e), kInf);
    ASSERT_GE(UlpError(next, e), 0.5) << x;
  }
}

TEST(MpTest, LogSpaced) {
  const auto v = LogSpaced(1e-30, 1e30, 61);
  ASSERT_EQ(v.size(), 122u);
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
  EXPECT_EQ(v.front(), -1e30);
  EXPECT_EQ(v[60], -1e-30);
  EXPECT_EQ(v[61], 1e-30);
  EXPECT_EQ(v.back(), 1e30);
  EXPECT_NEAR(v[61 + 30], 1.0, 1e-12);  // geometric midpoint
  EXPECT_NEAR(v[61 + 31] / v[61 + 30], 10.0, 1e-9);
  const auto f = LogSpaced(kFmin, FLT_MAX, 200);
  ASSERT_EQ(f.size(), 400u);
  EXPECT_TRUE(std::is_sorted(f.begin(), f.end()));
  EXPECT_EQ(f.front(), -FLT_MAX);
  EXPECT_EQ(f.back(), FLT_MAX);
  for (float x : f) EXPECT_TRUE(std::isfinite(x) && x != 0);
  EXPECT_EQ(LogSpaced(2.0, 2.0, 1), (std::vector<double>{-2.0, 2.0}));
  EXPECT_THROW(LogSpaced(0.0, 1.0, 3), std::invalid_argument);
}

TEST(MpTest, BitSweep) {
  const auto v = BitSweep(1.0, 3);
  ASSERT_EQ(v.size(), 7u);
  EXPECT_EQ(v[3], 1.0);
  EXPECT_EQ(v[4], 1.0 + DBL_EPSILON);
  EXPECT_EQ(v[2], 1.0 - DBL_EPSILON / 2);
  for (size_t i = 1; i < v.size(); ++i) EXPECT_EQ(std::nextafter(v[i - 1], kInf), v[i]);

  const auto z = BitSweep(0.0f, 2);
  ASSERT_EQ(z.size(), 6u);
  EXPECT_EQ(z.front(), -2 * kFmin);
  EXPECT_EQ(z[1], -kFmin);
  EXPECT_TRUE(z[2] == 0 && std::signbit(z[2]));
  EXPECT_TRUE(z[3] == 0 && !std::signbit(z[3]));
  EXPECT_EQ(z[4], kFmin);
  EXPECT_EQ(z.back(), 2 * kFmin);
  EXPECT_TRUE(std::is_sorted(z.begin(), z.end()));

  const auto cross = BitSweep(kDmin, 3);  // walks through a single zero
  EXPECT_EQ(cross.front(), -2 * kDmin);
  EXPECT_EQ(cross.back(), 4 * kDmin);
  EXPECT_TRUE(std::is_sorted(cross.begin(), cross.end()));

  const auto top = BitSweep(DBL_MAX, 3);  // stops at inf
  EXPECT_EQ(top.size(), 5u);
  EXPECT_EQ(top.back(), kInf);
  EXPECT_EQ(top[3], DBL_MAX);
}

TEST(MpTest, RandomAllMagnitudes) {
  std::mt19937_64 rng(1);
  const auto v = RandomAllMagnitudes<double>(rng, 20000, kDmin, DBL_MAX);
  ASSERT_EQ(v.size(), 20000u);
  int neg = 0, subnormal = 0, huge = 0;
  std::vector<int> binades(2200, 0);
  for (double x : v) {
    ASSERT_TRUE(std::isfinite(x) && x != 0);
    neg += x < 0;
    subnormal += std::fpclassify(x) == FP_SUBNORMAL;
    huge += std::fabs(x) > 1e300;
    binades[std::ilogb(x) + 1100] = 1;
  }
  EXPECT_GT(neg, 9000);
  EXPECT_LT(neg, 11000);
  // 52 of the 2098 binades are subnormal, 25 are above 1e300.
  EXPECT_GT(subnormal, 300);
  EXPECT_GT(huge, 150);
  int distinct = 0;
  for (int b : binades) distinct += b;
  EXPECT_GT(distinct, 1900);

  const auto f = RandomAllMagnitudes<float>(rng, 5000, 0.5f, 2.0f);
  bool low_mantissa_bit = false;
  for (float x : f) {
    ASSERT_GE(std::fabs(x), 0.5f);
    ASSERT_LE(std::fabs(x), 2.0f);
    low_mantissa_bit |= (std::bit_cast<std::uint32_t>(x) & 1u) != 0;  // random mantissa
  }
  EXPECT_TRUE(low_mantissa_bit);
  const auto narrow = RandomAllMagnitudes<double>(rng, 10, 1.5, 1.5);
  for (double x : narrow) EXPECT_EQ(std::fabs(x), 1.5);
}

TEST(MpTest, Specials) {
  const auto s = Specials<double>();
  ASSERT_EQ(s.size(), 13u);
  EXPECT_EQ(std::count_if(s.begin(), s.end(), [](double x) { return std::isnan(x); }), 1);
  EXPECT_EQ(std::count(s.begin(), s.end(), kInf), 1);
  EXPECT_EQ(std::count(s.begin(), s.end(), -kInf), 1);
  EXPECT_EQ(std::count_if(s.begin(), s.end(), [](double x) { return x == 0 && std::signbit(x); }), 1);
  EXPECT_EQ(std::count_if(s.begin(), s.end(), [](double x) { return x == 0 && !std::signbit(x); }), 1);
  for (double x : {DBL_MAX, DBL_MIN, kDmin, 1.0}) {
    EXPECT_EQ(std::count(s.begin(), s.end(), x), 1);
    EXPECT_EQ(std::count(s.begin(), s.end(), -x), 1);
  }
  const auto f = Specials<float>();
  EXPECT_EQ(f.size(), 13u);
  EXPECT_EQ(std::count(f.begin(), f.end(), -kFmin), 1);
  EXPECT_EQ(std::count(f.begin(), f.end(), FLT_MAX), 1);
}

}  // namespace
}  // namespace actlab::test
