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
    std::vector<T> y(rows * k), dx(rows * k);
    for (const std::string& target : available_targets()) {
      force_target(target);
      forward(act, x.data(), y.data(), x.size(), k);
      backward(act, x.data(), dy.data(), dx.data(), x.size(), k);
      double worst_f = 0, worst_b = 0;
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
        }
      }
      EXPECT_LE(worst_f, sizeof(T) == 4 ? s.budget.ulp_fwd_f32 : s.budget.ulp_fwd_f64)
          << s.name << " " << dtype << " forward, rows of " << k << " on " << target;
      EXPECT_LE(worst_b, sizeof(T) == 4 ? s.budget.ulp_bwd_f32 : s.budget.ulp_bwd_f64)
          << s.name << " " << dtype << " backward, rows of " << k << " on " << target;
      auto& row = Report()[std::string(s.name)];
      for (auto [key, w] : {std::pair{std::string(dtype) + " fwd", worst_f}, std::pair{std::string(dtype) + " bwd", worst_b}})
        if (w >= row[key].ulp) row[key] = {w, double(k), target};
      std::printf("%-12s %-8s %-6s rows of %-5zu fwd %8.3g ULP  bwd %8.3g ULP (of the cancelling terms)\n",
                  std::string(s.name).c_str(), dtype, target.c_str(), k, worst_f, worst_b);
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
    out.close();
    std::rename((std::string(path) + ".tmp").c_str(), path);
  }
};
const auto* const kReport = ::testing::AddGlobalTestEnvironment(new ReportWriter);

}  // namespace
}  // namespace actlab
