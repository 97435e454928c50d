// Every activation, both dtypes, both directions, every SIMD target this CPU
// supports: the kernels against the exact value, computed here with MPFR at
// adaptive precision from the table's own definition (Math / MathDeriv).
// Errors are in ULP of the exact value (units of the smallest subnormal where
// it underflows). Each entry's budget is in its kSpec.budget; the measured
// worst values are written to $ACTLAB_ACCURACY_REPORT (docs/accuracy.md is
// generated from it by `cmake --build build --target accuracy_doc`).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "actlab/activation.h"
#include "tests/support/params.h"
#include "src/act/table-inl.h"
#include "tests/support/mp.h"

namespace actlab {
namespace {
using test::TestOverrides;
namespace tbl_ns = HWY_NAMESPACE;
using test::ExactValue;
using test::Mp;
using test::UlpError;

// A dense grid: random magnitudes over the whole range, log-spaced tails,
// uniform points over the interesting interval, bit-pattern sweeps around 0
// (subnormals, +-0) and every kink, and the special values.
// Zeros of f' inside the entry's interval (gelu, silu, mish have minima):
// there f' = (terms that cancel), the hardest place to be exact.
template <class A>
std::vector<double> DerivativeRoots(const double* p) {
  std::vector<double> roots;
  const double lo = A::kSpec.budget.lo, hi = A::kSpec.budget.hi;
  auto fd = [p](double x) { return A::template MathDeriv<double>(x, p); };
  for (double a = lo; a < hi; a += 0.01) {
    double l = a, r = a + 0.01;
    if (!(fd(l) < 0 && fd(r) > 0) && !(fd(l) > 0 && fd(r) < 0)) continue;
    for (int it = 0; it < 200 && l < r; ++it) {
      const double m = 0.5 * (l + r);
      if (m == l || m == r) break;
      ((fd(m) < 0) == (fd(l) < 0) ? l : r) = m;
    }
    roots.push_back(l);
  }
  return roots;
}

template <class T>
std::vector<T> Grid(const Spec& s, const std::vector<double>& kinks, const std::vector<double>& roots,
                    uint64_t seed) {
  using L = std::numeric_limits<T>;
  std::mt19937_64 rng(seed);
  std::vector<T> g = test::RandomAllMagnitudes<T>(rng, 1200, L::denorm_min(), L::max());
  auto add = [&g](const std::vector<T>& v) { g.insert(g.end(), v.begin(), v.end()); };
  add(test::LogSpaced<T>(T(1e-30), L::max(), 400));
  std::uniform_real_distribution<double> uni(s.budget.lo, s.budget.hi);
  for (int i = 0; i < 1200; ++i) g.push_back(T(uni(rng)));
  add(test::BitSweep<T>(T(0), 40));
  for (double k : kinks) add(test::BitSweep<T>(T(k), 24));
  for (double r : roots) {
    add(test::BitSweep<T>(T(r), 200));
    for (int e = 2; e <= 15; ++e)
      for (double sgn : {-1.0, 1.0}) g.push_back(T(r + sgn * std::pow(10.0, -e)));
  }
  // The minima of gelu, silu, mish... and the roots of their derivatives sit
  // in [-1.5, -0.5]: sweep them densely too.
  for (int i = 0; i <= 400; ++i) g.push_back(T(-1.5 + i * (1.0 / 400)));
  // Where e^x and friends fall into the subnormals (x*e^x, x*Phi(x) must not
  // amplify their rounding there): [80, 110] for float, [700, 760] for double.
  const double u_lo = sizeof(T) == 4 ? 80 : 700, u_hi = sizeof(T) == 4 ? 110 : 760;
  std::uniform_real_distribution<double> tail(u_lo, u_hi);
  for (int i = 0; i < 300; ++i) {
    const double t = tail(rng);
    g.push_back(T(-t));
    g.push_back(T(t));
  }
  // gelu's Phi(x) and gelu_tanh's sigma(2u) underflow much earlier.
  std::uniform_real_distribution<double> early(sizeof(T) == 4 ? 8 : 20, sizeof(T) == 4 ? 15 : 40);
  for (int i = 0; i < 300; ++i) g.push_back(T(-early(rng)));
  add(test::Specials<T>());
  for (double v : {1e10, 1e20, 1e30, 3e38}) {
    g.push_back(T(v));
    g.push_back(T(-v));
  }
  return g;
}

struct Worst {
  double ulp = 0;
  double at = 0;
  std::string target;
};

// Collected across tests for the report.
std::map<std::string, std::map<std::string, Worst>>& Report() {
  static std::map<std::string, std::map<std::string, Worst>> r;
  return r;
}

template <class A, class T>
void CheckEntry() {
  const Spec& s = A::kSpec;
  const Activation act = Activation::make(s.name, TestOverrides(s));
  const double* p = act.params.data();
  const std::vector<T> x = Grid<T>(s, A::Kinks(p), DerivativeRoots<A>(p), 1234 + sizeof(T));
  const size_t n = x.size();

  // Exact values (NaN inputs must give NaN; +-inf give the limits).
  std::vector<Mp> exact_f(n), exact_d(n);
  for (size_t i = 0; i < n; ++i) {
    const double xi = double(x[i]);
    if (std::isnan(xi)) {
      exact_f[i] = Mp(std::numeric_limits<double>::quiet_NaN());
      exact_d[i] = exact_f[i];
    } else if (std::isinf(xi)) {
      exact_f[i] = Mp(tbl_ns::LimitFwd<A>(xi, p));
      exact_d[i] = Mp(tbl_ns::LimitDeriv<A>(xi, p));
    } else {
      exact_f[i] = ExactValue([&] { return A::template Math<Mp>(Mp(xi), p); });
      exact_d[i] = ExactValue([&] { return A::template MathDeriv<Mp>(Mp(xi), p); });
    }
  }

  const double budget_f = sizeof(T) == 4 ? s.budget.ulp_fwd_f32 : s.budget.ulp_fwd_f64;
  const double budget_d = sizeof(T) == 4 ? s.budget.ulp_bwd_f32 : s.budget.ulp_bwd_f64;
  const char* dtype = sizeof(T) == 4 ? "float32" : "float64";
  std::vector<T> y(n), d(n);
  for (const std::string& target : available_targets()) {
    force_target(target);
    forward(act, x.data(), y.data(), n);
    backward(act, x.data(), static_cast<const T*>(nullptr), d.data(), n);
    Worst wf, wd;
    for (size_t i = 0; i < n; ++i) {
      const double ef = UlpError<T>(y[i], exact_f[i]);
      const double ed = UlpError<T>(d[i], exact_d[i]);
      if (!(ef <= wf.ulp)) wf = {ef, double(x[i]), target};
      if (!(ed <= wd.ulp)) wd = {ed, double(x[i]), target};
    }
    EXPECT_LE(wf.ulp, budget_f) << s.name << " " << dtype << " forward on " << target << ": worst at x = "
                                << wf.at;
    EXPECT_LE(wd.ulp, budget_d) << s.name << " " << dtype << " backward on " << target << ": worst at x = "
                                << wd.at;
    auto& row = Report()[std::string(s.name)];
    for (auto [key, w] : {std::pair{std::string(dtype) + " fwd", wf}, std::pair{std::string(dtype) + " bwd", wd}}) {
      if (!(w.ulp <= row[key].ulp)) row[key] = w;
      if (row[key].target.empty()) row[key] = w;
    }
    std::printf("%-12s %-8s %-6s fwd %8.3g ULP (x = %-12.6g)  bwd %8.3g ULP (x = %.6g)\n",
                std::string(s.name).c_str(), dtype, target.c_str(), wf.ulp, wf.at, wd.ulp, wd.at);
  }
  force_target("");
}

// Runs CheckEntry for every elementwise entry of the table.
template <class T, class... As>
void CheckAll(tbl_ns::TypeList<As...>) {
  (
      [] {
        if constexpr (As::kSpec.shape == Shape::kElementwise) {
          SCOPED_TRACE(std::string(As::kSpec.name));
          CheckEntry<As, T>();
        }
      }(),
      ...);
}

TEST(Accuracy, ElementwiseFloat32) { CheckAll<float>(tbl_ns::AllActivations{}); }
TEST(Accuracy, ElementwiseFloat64) { CheckAll<double>(tbl_ns::AllActivations{}); }

// ---- backward from the output ------------------------------------------------------
// backward_from_output(y) with y = forward(x) from the kernels, as a layer
// would call it. Piecewise-linear entries must equal backward(x) bit for bit.
// Smooth ones compute g(y) = f'(f^-1(y)), so y's rounding error dy_err
// reaches f' as g'(y) dy_err, g' = f''(x) / f'(x): the test holds every point
// to |g'(y)| (|y - f(x)| + ulp(y)) + 4 ULP of f'(x) (the second ulp(y) covers
// rounding inside g), and reports the worst ULP of f'(x) in bands of |x|.
struct FromOutputWorst {
  double band1 = 0, band4 = 0, band8 = 0;  // ULP of f'(x) for |x| <= 1, 4, 8
  double abs_rel = 0;                      // max |error| / (ulp(1) * max |f'|)
  double zero_from = 0;                    // smallest |x| where f'(x) > 0 but from y gives 0
};
std::map<std::string, std::map<std::string, FromOutputWorst>>& FromOutputReport() {
  static std::map<std::string, std::map<std::string, FromOutputWorst>> r;
  return r;
}

template <class A, class T>
void CheckFromOutput() {
  const Spec& s = A::kSpec;
  const Activation act = Activation::make(s.name, TestOverrides(s));
  ASSERT_TRUE(has_backward_from_output(act)) << s.name;
  const double* p = act.params.data();
  std::vector<T> x = Grid<T>(s, A::Kinks(p), DerivativeRoots<A>(p), 4321 + sizeof(T));
  // Where y nears its saturation value (float64's sigmoid up to x ~ 37).
  for (int i = 0; i <= 4000; ++i) x.push_back(T(-20.0 + i * 0.01));
  for (int i = 0; i <= 1400; ++i) x.push_back(T((i % 2 ? -1 : 1) * (20.0 + i * 0.1)));
  const size_t n = x.size();
  const char* dtype = sizeof(T) == 4 ? "float32" : "float64";
  using L = std::numeric_limits<T>;
  const bool linear = A::kSpec.budget.ulp_bwd_f32 == 0 || std::string_view(s.name) == "leaky_relu" ||
                      std::string_view(s.name) == "rrelu";
  std::vector<Mp> exact_f(n), exact_d(n);
  std::vector<double> slope(n, 0.0);  // |g'(y)| = |f''(x) / f'(x)|
  double max_d = 0;
  for (size_t i = 0; i < n && !linear; ++i) {
    const double xi = double(x[i]);
    if (!std::isfinite(xi)) continue;
    exact_f[i] = ExactValue([&] { return A::template Math<Mp>(Mp(xi), p); });
    exact_d[i] = ExactValue([&] { return A::template MathDeriv<Mp>(Mp(xi), p); });
    max_d = std::max(max_d, std::abs(exact_d[i].to_double()));
    const double h = 1e-4 * std::max(1.0, std::abs(xi));
    const double d0 = A::template MathDeriv<double>(xi, p);
    // One-sided at the kink x = 0 of elu & co (f'' jumps there).
    const double dl = A::template MathDeriv<double>(xi <= 0 ? xi - h : xi, p);
    const double dr = A::template MathDeriv<double>(xi <= 0 ? xi : xi + h, p);
    const double ratio = (dr - dl) / (h * d0);
    slope[i] = std::isfinite(ratio) ? std::abs(ratio) : 0.0;
  }
  std::vector<T> y(n), from_y(n), from_x(n);
  for (const std::string& target : available_targets()) {
    force_target(target);
    forward(act, x.data(), y.data(), n);
    backward_from_output(act, y.data(), static_cast<const T*>(nullptr), from_y.data(), n);
    backward(act, x.data(), static_cast<const T*>(nullptr), from_x.data(), n);
    FromOutputWorst w;
    w.zero_from = INFINITY;
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
      const double xi = double(x[i]), got = double(from_y[i]);
      if (linear || !std::isfinite(xi)) {
        const bool same = std::isnan(got) ? std::isnan(double(from_x[i])) : got == double(from_x[i]);
        if (!same && bad++ < 5)
          ADD_FAILURE() << s.name << " " << dtype << " on " << target << ": from y = " << got
                        << ", from x = " << double(from_x[i]) << " at x = " << xi;
        continue;
      }
      const double truth = exact_d[i].to_double();
      const double err = std::abs(got - truth);
      const double e_ulp = UlpError<T>(from_y[i], exact_d[i]);
      const double y_err = std::abs(double(y[i]) - exact_f[i].to_double());
      const double ulp_y = double(std::nextafter(std::abs(y[i]), L::infinity()) - std::abs(y[i]));
      const double ulp_t = e_ulp > 0 ? err / e_ulp : 0;
      const double propagated = slope[i] > 0 ? slope[i] * (y_err + ulp_y) * 1.01 : 0.0;
      double bound = propagated + 4 * ulp_t + double(L::denorm_min());
      // Where f' is subnormal in T, f''/f' is beyond double's finite
      // differences; there from y may lose f' entirely (y has saturated).
      if (!(std::abs(truth) >= double(L::min()))) bound = std::max(bound, std::abs(truth) * 1.01);
      if (!(err <= bound) && bad++ < 5)
        ADD_FAILURE() << s.name << " " << dtype << " on " << target << ": from y = " << got << ", exact "
                      << truth << " at x = " << xi << " (y = " << double(y[i]) << "); allowed " << bound;
      const double ax = std::abs(xi);
      if (ax <= 1) w.band1 = std::max(w.band1, e_ulp);
      if (ax <= 4) w.band4 = std::max(w.band4, e_ulp);
      if (ax <= 8) w.band8 = std::max(w.band8, e_ulp);
      w.abs_rel = std::max(w.abs_rel, err / (double(L::epsilon()) * max_d));
      if (got == 0 && truth > 0) w.zero_from = std::min(w.zero_from, ax);
    }
    if (linear) continue;
    auto& row = FromOutputReport()[std::string(s.name)][dtype];
    row.band1 = std::max(row.band1, w.band1);
    row.band4 = std::max(row.band4, w.band4);
    row.band8 = std::max(row.band8, w.band8);
    row.abs_rel = std::max(row.abs_rel, w.abs_rel);
    row.zero_from = row.zero_from == 0 ? w.zero_from : std::min(row.zero_from, w.zero_from);
    std::printf("%-12s %-8s %-6s from y: %8.3g ULP |x|<=1, %8.3g |x|<=4, %8.3g |x|<=8; max error %.3g eps*max|f'|; "
                "f' = 0 from |x| = %g\n",
                std::string(s.name).c_str(), dtype, target.c_str(), w.band1, w.band4, w.band8, w.abs_rel,
                w.zero_from);
  }
  force_target("");
}

template <class T, class... As>
void CheckAllFromOutput(tbl_ns::TypeList<As...>) {
  (
      [] {
        if constexpr (As::kSpec.shape == Shape::kElementwise && As::kSpec.deriv_from_output) {
          SCOPED_TRACE(std::string(As::kSpec.name));
          CheckFromOutput<As, T>();
        }
      }(),
      ...);
}

TEST(Accuracy, FromOutputFloat32) { CheckAllFromOutput<float>(tbl_ns::AllActivations{}); }
TEST(Accuracy, FromOutputFloat64) { CheckAllFromOutput<double>(tbl_ns::AllActivations{}); }

// Entries without it refuse, and so does leaky_relu with a negative slope.
TEST(Accuracy, FromOutputRefused) {
  const float y[2] = {0.5f, -0.5f};
  float dx[2];
  for (const char* name : {"gelu", "silu", "softplus", "glu"}) {
    const Activation a = Activation::make(name);
    EXPECT_FALSE(has_backward_from_output(a)) << name;
    EXPECT_THROW(backward_from_output(a, y, y, dx, 2, std::string_view(name) == "glu" ? 2 : 0), Error) << name;
  }
  const Activation neg = Activation::make("leaky_relu", {{"negative_slope", -0.5}});
  EXPECT_FALSE(has_backward_from_output(neg));
  EXPECT_THROW(backward_from_output(neg, y, y, dx, 2), Error);
  EXPECT_TRUE(has_backward_from_output(Activation::make("leaky_relu", {{"negative_slope", 0.0}})));
  const Activation rrelu_neg = Activation::make("rrelu", {{"lower", -0.5}, {"upper", -0.25}});
  EXPECT_FALSE(has_backward_from_output(rrelu_neg));
  EXPECT_THROW(backward_from_output(rrelu_neg, y, y, dx, 2), Error);
}

// ---- GLU and the axis functions --------------------------------------------------
// Forward: every output within the entry's ULP budget of the exact value.
// Backward: the VJP y_i (dy_i - sum_j dy_j y_j) cancels when dy_i is close to
// the weighted mean, and any method that rounds y at all shares that, so the
// error is measured in ULP of max(|exact|, y_i * sum_j |dy_j| y_j) (of
// |dy_i| + y_i sum_j |dy_j| for log_softmax): the scale of the terms that
// cancel. dy is random, not 1 (with dy = 1 the softmax VJP is exactly 0).
template <class T>
std::vector<T> AxisInput(std::mt19937_64& rng, size_t rows, size_t k) {
  std::vector<T> x(rows * k);
  std::normal_distribution<double> normal(0, 1);
  for (size_t r = 0; r < rows; ++r) {
    // Rows with growing spread, up to differences of ~700 (float64 range),
    // plus rows with ties for the max and one huge-magnitude row.
    const double scale = r == 0 ? 0.0 : std::pow(2.0, double(r % 12) - 2);
    for (size_t j = 0; j < k; ++j) x[r * k + j] = T(normal(rng) * scale * 10);
    if (r % 5 == 3 && k > 1) x[r * k + 1] = x[r * k];  // a tie
    if (r == rows - 1)
      for (size_t j = 0; j < k; ++j) x[r * k + j] = T(1e30 + normal(rng) * 1e16);
  }
  return x;
}

template <class T, class A>
void CheckAxis() {
  const Spec& s = A::kSpec;
  const Activation act = Activation::make(s.name);
  const char* dtype = sizeof(T) == 4 ? "float32" : "float64";
  std::mt19937_64 rng(99);
  for (size_t k : {1, 2, 7, 33, 1000}) {
    const size_t rows = 24;
    const std::vector<T> x = AxisInput<T>(rng, rows, k);
    std::vector<T> dy(rows * k);
    std::uniform_real_distribution<double> uni(-1, 1);
    for (T& v : dy) v = T(uni(rng));
    std::vector<Mp> xe(k), ye(k), de(k), dye(k);
    std::vector<T> y(rows * k), dx(rows * k), dx_y(rows * k);
    for (const std::string& target : available_targets()) {
      force_target(target);
      forward(act, x.data(), y.data(), x.size(), k);
      backward(act, x.data(), dy.data(), dx.data(), x.size(), k);
      backward_from_output(act, y.data(), dy.data(), dx_y.data(), x.size(), k);
      double worst_f = 0, worst_b = 0, worst_y = 0, allowed_y = 0;
      int count_bad_y = 0;
      for (size_t r = 0; r < rows; ++r) {
        for (size_t j = 0; j < k; ++j) {
          xe[j] = Mp(double(x[r * k + j]));
          dye[j] = Mp(double(dy[r * k + j]));
        }
        test::MpPrecision prec(1024);  // differences up to 2^128 times the smallest term
        tbl_ns::AxisMathRow(A::kOp, xe.data(), ye.data(), k);
        tbl_ns::AxisMathVjpRow(A::kOp, xe.data(), dye.data(), de.data(), k);
        std::vector<Mp> soft(k);
        tbl_ns::AxisMathRow(A::kOp == tbl_ns::AxisOp::kLogSoftmax ? tbl_ns::AxisOp::kSoftmax : A::kOp,
                            xe.data(), soft.data(), k);
        Mp weighted(0);
        for (size_t j = 0; j < k; ++j) weighted += abs(dye[j]) * soft[j];
        for (size_t j = 0; j < k; ++j) {
          worst_f = std::max(worst_f, UlpError<T>(y[r * k + j], ye[j]));
          Mp scale = A::kOp == tbl_ns::AxisOp::kLogSoftmax ? abs(dye[j]) + soft[j] * weighted
                                                           : soft[j] * weighted;
          if (abs(de[j]) > scale) scale = abs(de[j]);
          // The error in ULP of `scale` (never below the smallest subnormal).
          using L = std::numeric_limits<T>;
          const double scale_d = scale.to_double();
          const int min_e = L::min_exponent - L::digits;  // the smallest subnormal's exponent
          const int e_scale = scale_d > 0 ? std::ilogb(scale_d) - (L::digits - 1) : min_e;
          const double ulp_scale = std::ldexp(1.0, std::max(e_scale, min_e));
          const double e = (abs(Mp(double(dx[r * k + j])) - de[j])).to_double() / ulp_scale;
          worst_b = std::max(worst_b, std::isnan(double(dx[r * k + j])) ? INFINITY : e);
          // From y: softmax/softmin within the from-x budget (y's rounding
          // reaches dx only once); log_softmax's e^y turns y's error (ulps
          // of |y|) into a relative error of s: ~|y| ULP allowed.
          const double ey = (abs(Mp(double(dx_y[r * k + j])) - de[j])).to_double() / ulp_scale;
          const double y_mag = std::abs(double(y[r * k + j]));
          const double allowed = A::kOp == tbl_ns::AxisOp::kLogSoftmax
                                     ? 8 + 4 * std::max(1.0, y_mag) * (sizeof(T) == 4 ? s.budget.ulp_fwd_f32 : s.budget.ulp_fwd_f64)
                                     : (sizeof(T) == 4 ? s.budget.ulp_bwd_f32 : s.budget.ulp_bwd_f64);
          if (!(ey <= allowed) && count_bad_y++ < 5)
            ADD_FAILURE() << s.name << " " << dtype << " from y, rows of " << k << " on " << target << ": "
                          << ey << " ULP of the cancelling terms at row " << r << ", column " << j
                          << " (y = " << y_mag << "), allowed " << allowed;
          if (!(ey <= worst_y)) {
            worst_y = ey;
            allowed_y = allowed;
          }
        }
      }
      EXPECT_LE(worst_f, sizeof(T) == 4 ? s.budget.ulp_fwd_f32 : s.budget.ulp_fwd_f64)
          << s.name << " " << dtype << " forward, rows of " << k << " on " << target;
      EXPECT_LE(worst_b, sizeof(T) == 4 ? s.budget.ulp_bwd_f32 : s.budget.ulp_bwd_f64)
          << s.name << " " << dtype << " backward, rows of " << k << " on " << target;
      auto& row = Report()[std::string(s.name)];
      for (auto [key, w] : {std::pair{std::string(dtype) + " fwd", worst_f}, std::pair{std::string(dtype) + " bwd", worst_b}})
        if (w >= row[key].ulp) row[key] = {w, double(k), target};
      std::printf("%-12s %-8s %-6s rows of %-5zu fwd %8.3g ULP  bwd %8.3g ULP, from y %8.3g (allowed %.3g there) "
                  "(of the cancelling terms)\n",
                  std::string(s.name).c_str(), dtype, target.c_str(), k, worst_f, worst_b, worst_y, allowed_y);
      auto& fy = FromOutputReport()[std::string(s.name)][dtype];
      fy.band8 = std::max(fy.band8, worst_y);  // axis rows: one figure (all rows)
    }
    force_target("");
  }
}

TEST(Accuracy, AxisFunctions) {
  CheckAxis<float, tbl_ns::Softmax>();
  CheckAxis<float, tbl_ns::LogSoftmax>();
  CheckAxis<float, tbl_ns::Softmin>();
  CheckAxis<double, tbl_ns::Softmax>();
  CheckAxis<double, tbl_ns::LogSoftmax>();
  CheckAxis<double, tbl_ns::Softmin>();
}

template <class T>
void CheckGlu() {
  const Activation act = Activation::make("glu");
  const char* dtype = sizeof(T) == 4 ? "float32" : "float64";
  std::mt19937_64 rng(5);
  const size_t k = 37, rows = 60;
  std::vector<T> x = test::RandomAllMagnitudes<T>(rng, int(rows * 2 * k), T(1e-20), T(1e3));
  std::vector<T> dy(rows * k, T(1)), y(rows * k), dx(rows * 2 * k);
  for (const std::string& target : available_targets()) {
    force_target(target);
    forward(act, x.data(), y.data(), x.size(), 2 * k);
    backward(act, x.data(), dy.data(), dx.data(), x.size(), 2 * k);
    double wf = 0, wb = 0;
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < k; ++j) {
        const double a = double(x[r * 2 * k + j]), b = double(x[r * 2 * k + k + j]);
        const Mp g = ExactValue([&] { return tbl_ns::Glu::Gate(Mp(b)); });
        const Mp gn = ExactValue([&] { return tbl_ns::Glu::Gate(-Mp(b)); });
        wf = std::max(wf, UlpError<T>(y[r * k + j], Mp(a) * g));
        wb = std::max(wb, UlpError<T>(dx[r * 2 * k + j], g));
        wb = std::max(wb, UlpError<T>(dx[r * 2 * k + k + j], Mp(a) * g * gn));
      }
    const Spec& s = tbl_ns::Glu::kSpec;
    EXPECT_LE(wf, sizeof(T) == 4 ? s.budget.ulp_fwd_f32 : s.budget.ulp_fwd_f64) << dtype << " " << target;
    EXPECT_LE(wb, sizeof(T) == 4 ? s.budget.ulp_bwd_f32 : s.budget.ulp_bwd_f64) << dtype << " " << target;
    auto& row = Report()["glu"];
    for (auto [key, w] : {std::pair{std::string(dtype) + " fwd", wf}, std::pair{std::string(dtype) + " bwd", wb}})
      if (w >= row[key].ulp) row[key] = {w, 0, target};
    std::printf("glu          %-8s %-6s fwd %8.3g ULP  bwd %8.3g ULP\n", dtype, target.c_str(), wf, wb);
  }
  force_target("");
}

TEST(Accuracy, Glu) {
  CheckGlu<float>();
  CheckGlu<double>();
}

std::string fmt_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// Writes the measured worst errors as a Markdown table.
class ReportWriter : public ::testing::Environment {
 public:
  void TearDown() override {
    const char* path = std::getenv("ACTLAB_ACCURACY_REPORT");
    if (!path || Report().empty()) return;
    std::ofstream out(std::string(path) + ".tmp");
    out << "# Measured accuracy\n\n"
        << "Worst error of each kernel against the exact value (MPFR, adaptive precision), in ULP of the exact\n"
        << "value (units of the smallest subnormal where it underflows), over every SIMD target of the machine\n"
        << "that generated this file. Backward is f'(x) (dy = 1) for elementwise functions; for softmax,\n"
        << "log_softmax and softmin it is the VJP with random dy, in ULP of the cancelling terms' scale.\n"
        << "Generated by `tests/accuracy_test` (`cmake --build build --target accuracy_doc`); budgets: the\n"
        << "`budget` of each entry in `src/act/table-inl.h`.\n\n"
        << "| activation | f32 forward | f32 backward | f64 forward | f64 backward |\n"
        << "|---|---|---|---|---|\n";
    for (const Spec& s : activations()) {
      auto it = Report().find(std::string(s.name));
      if (it == Report().end()) continue;
      out << "| " << s.name;
      for (const char* key : {"float32 fwd", "float32 bwd", "float64 fwd", "float64 bwd"}) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.3g", it->second[key].ulp);
        out << " | " << buf;
      }
      out << " |\n";
    }
    if (!FromOutputReport().empty()) {
      out << "\n## Backward from the output\n\n"
          << "`backward_from_output(y)` with y from `forward(x)`, against the exact f'(x), in ULP of f'(x) over\n"
          << "bands of |x|; max error in units of eps * max|f'| (eps = 2^-23 or 2^-52); the smallest |x|\n"
          << "where f'(x) > 0 but f' from y is 0 (y has rounded to its saturation value). The\n"
          << "piecewise-linear entries equal backward(x) bit for bit (tested) and are not listed. softmax,\n"
          << "log_softmax, softmin: the VJP with random dy in ULP of the cancelling terms, one figure over all rows.\n\n"
          << "| activation | dtype | ULP, abs(x) <= 1 | ULP, abs(x) <= 4 | ULP, abs(x) <= 8 | max error / (eps max abs f') | f' = 0 from abs(x) |\n"
          << "|---|---|---|---|---|---|---|\n";
      for (const Spec& s : activations()) {
        auto it = FromOutputReport().find(std::string(s.name));
        if (it == FromOutputReport().end()) continue;
        for (const char* dtype : {"float32", "float64"}) {
          auto w = it->second.find(dtype);
          if (w == it->second.end()) continue;
          const FromOutputWorst& f = w->second;
          char buf[256];
          if (s.shape == Shape::kAxis)
            std::snprintf(buf, sizeof buf, "| %s | %s | | | %.3g (all rows) | | |\n", std::string(s.name).c_str(), dtype, f.band8);
          else
            std::snprintf(buf, sizeof buf, "| %s | %s | %.3g | %.3g | %.3g | %.3g | %s |\n", std::string(s.name).c_str(), dtype,
                          f.band1, f.band4, f.band8, f.abs_rel,
                          std::isfinite(f.zero_from) ? fmt_g(f.zero_from).c_str() : "never");
          out << buf;
        }
      }
    }
    out.close();
    std::rename((std::string(path) + ".tmp").c_str(), path);
  }
};
const auto* const kReport = ::testing::AddGlobalTestEnvironment(new ReportWriter);

}  // namespace
}  // namespace actlab
