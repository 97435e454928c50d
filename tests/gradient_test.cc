// Gradient checks.
// 1. The table's derivatives (MathDeriv, DParam) against central differences
//    of its definitions (Math) in 512-bit MPFR, where h can be 2^-100 and the
//    difference quotient is exact to ~60 digits: a wrong formula cannot hide.
// 2. The library's float64 backward (elementwise, learnable parameters, GLU,
//    softmax family, PReLU per channel) against central differences of its
//    own forward, as a user would check it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
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
using test::Mp;

bool NearKink(double x, const std::vector<double>& kinks, double margin) {
  for (double k : kinks)
    if (std::fabs(x - k) <= margin) return true;
  return false;
}

// Points in the entry's interval, plus a few in the tails.
std::vector<double> Points(const Spec& s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(s.budget.lo, s.budget.hi);
  std::vector<double> x;
  for (int i = 0; i < 150; ++i) x.push_back(uni(rng));
  for (double v : {-60.0, -25.0, -1e-3, 1e-7, 2.5e-4, 0.7, 25.0, 60.0}) x.push_back(v);
  return x;
}

template <class A>
void CheckTableDerivative() {
  const Spec& s = A::kSpec;
  const Activation act = Activation::make(s.name, TestOverrides(s));
  const double* p = act.params.data();
  const auto kinks = A::Kinks(p);
  test::MpPrecision prec(512);
  int checked = 0;
  for (double x : Points(s, 7)) {
    if (NearKink(x, kinks, 1e-6)) continue;
    const Mp mx(x);
    const Mp h = ldexp(Mp(1), -100) * (abs(mx) > Mp(1) ? abs(mx) : Mp(1));
    const Mp fd = (A::template Math<Mp>(mx + h, p) - A::template Math<Mp>(mx - h, p)) / (Mp(2) * h);
    const Mp d = A::template MathDeriv<Mp>(mx, p);
    const Mp tol = Mp(1e-40) * (abs(d) > Mp(1) ? abs(d) : Mp(1));
    EXPECT_TRUE(abs(fd - d) <= tol) << s.name << " f'(" << x << "): formula " << d.to_double()
                                    << ", difference quotient " << fd.to_double();
    if constexpr (requires { A::template DParam<Mp>(mx, p, 0); }) {
      for (int k = 0; k < s.num_params; ++k) {
        if (!s.params[k].learnable) continue;
        double pp[kMaxParams], pm[kMaxParams];
        std::copy(p, p + kMaxParams, pp);
        std::copy(p, p + kMaxParams, pm);
        const double hp = 1e-7;
        pp[k] += hp;
        pm[k] -= hp;
        // The parameter step is a double, so this check is at double level.
        const double fdp = ((A::template Math<Mp>(mx, pp) - A::template Math<Mp>(mx, pm)) /
                            Mp(pp[k] - pm[k])).to_double();
        const double dp = A::template DParam<Mp>(mx, p, k).to_double();
        EXPECT_NEAR(fdp, dp, 1e-6 * std::max(1.0, std::fabs(dp))) << s.name << " d/d" << s.params[k].name
                                                                  << " at x = " << x;
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 100) << s.name;
}

template <class... As>
void CheckAllTable(tbl_ns::TypeList<As...>) {
  (
      [] {
        if constexpr (As::kSpec.shape == Shape::kElementwise) CheckTableDerivative<As>();
      }(),
      ...);
}

TEST(Gradient, TableDerivativesMatchDifferenceQuotients) { CheckAllTable(tbl_ns::AllActivations{}); }

// ---- the library, float64 ------------------------------------------------------
template <class A>
void CheckLibraryElementwise() {
  const Spec& s = A::kSpec;
  const Activation act = Activation::make(s.name, TestOverrides(s));
  const auto kinks = A::Kinks(act.params.data());
  std::vector<double> x;
  for (double v : Points(s, 11))
    if (!NearKink(v, kinks, 1e-4)) x.push_back(v);
  const size_t n = x.size();
  std::vector<double> xp(n), xm(n), fp(n), fm(n), dy(n), dx(n);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uni(-2, 2);
  for (size_t i = 0; i < n; ++i) {
    const double h = 1e-6 * std::max(1.0, std::fabs(x[i]));
    xp[i] = x[i] + h;
    xm[i] = x[i] - h;
    dy[i] = uni(rng);
  }
  forward(act, xp.data(), fp.data(), n);
  forward(act, xm.data(), fm.data(), n);
  backward(act, x.data(), dy.data(), dx.data(), n);
  for (size_t i = 0; i < n; ++i) {
    const double fd = dy[i] * (fp[i] - fm[i]) / (xp[i] - xm[i]);
    EXPECT_NEAR(dx[i], fd, 1e-6 * std::max(1.0, std::fabs(fd))) << s.name << " at x = " << x[i];
  }
  // Learnable parameters: param_backward against a difference in the parameter.
  for (int k = 0; k < s.num_params; ++k) {
    if (!s.params[k].learnable) continue;
    double grads[kMaxParams] = {};
    param_backward(act, x.data(), dy.data(), n, grads);
    const double hp = 1e-6;
    auto shifted = [&](double delta) {
      std::vector<std::pair<std::string, double>> o{{std::string(s.params[k].name), act.params[k] + delta}};
      const Activation a2 = Activation::make(s.name, o);
      std::vector<double> y(n);
      forward(a2, x.data(), y.data(), n);
      double sum = 0;
      for (size_t i = 0; i < n; ++i) sum += dy[i] * y[i];
      return sum;
    };
    const double fd = (shifted(hp) - shifted(-hp)) / (2 * hp);
    EXPECT_NEAR(grads[k], fd, 1e-6 * std::max(1.0, std::fabs(fd))) << s.name << " d/d" << s.params[k].name;
  }
}

template <class... As>
void CheckAllLibrary(tbl_ns::TypeList<As...>) {
  (
      [] {
        if constexpr (As::kSpec.shape == Shape::kElementwise) CheckLibraryElementwise<As>();
      }(),
      ...);
}

TEST(Gradient, LibraryBackwardMatchesForwardDifferences) { CheckAllLibrary(tbl_ns::AllActivations{}); }

// sum_i dy_i * f(x)_i for a shaped function, and its gradient by differences.
void CheckShaped(const char* name, size_t axis, size_t rows) {
  const Activation act = Activation::make(name);
  const bool glu = act.spec->shape == Shape::kGlu;
  const size_t n = rows * axis, out_n = glu ? n / 2 : n;
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0, 2);
  std::vector<double> x(n), dy(out_n), dx(n), y(out_n);
  for (double& v : x) v = normal(rng);
  for (double& v : dy) v = normal(rng);
  backward(act, x.data(), dy.data(), dx.data(), n, axis);
  auto objective = [&](const std::vector<double>& in) {
    forward(act, in.data(), y.data(), n, axis);
    double sum = 0;
    for (size_t i = 0; i < out_n; ++i) sum += dy[i] * y[i];
    return sum;
  };
  for (size_t i = 0; i < n; ++i) {
    std::vector<double> xp = x, xm = x;
    const double h = 1e-6;
    xp[i] += h;
    xm[i] -= h;
    const double fd = (objective(xp) - objective(xm)) / (2 * h);
    EXPECT_NEAR(dx[i], fd, 1e-6 * std::max(1.0, std::fabs(fd))) << name << " element " << i;
  }
}

TEST(Gradient, AxisFunctionsAndGlu) {
  CheckShaped("softmax", 7, 3);
  CheckShaped("log_softmax", 7, 3);
  CheckShaped("softmin", 7, 3);
  CheckShaped("glu", 8, 3);
}

TEST(Gradient, PreluPerChannel) {
  const size_t outer = 3, channels = 4, inner = 5, n = outer * channels * inner;
  std::mt19937_64 rng(23);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> x(n), dy(n), y(n), dx(n), w = {0.25, -0.1, 0.5, 1.5}, dw(channels, 0.0);
  for (double& v : x) v = normal(rng);
  for (double& v : dy) v = normal(rng);
  prelu_forward(x.data(), w.data(), y.data(), outer, channels, inner);
  prelu_backward(x.data(), w.data(), dy.data(), dx.data(), dw.data(), outer, channels, inner);
  auto objective = [&](const std::vector<double>& xx, const std::vector<double>& ww) {
    std::vector<double> yy(n);
    prelu_forward(xx.data(), ww.data(), yy.data(), outer, channels, inner);
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += dy[i] * yy[i];
    return s;
  };
  for (size_t c = 0; c < channels; ++c) {
    auto wp = w, wm = w;
    wp[c] += 1e-6;
    wm[c] -= 1e-6;
    EXPECT_NEAR(dw[c], (objective(x, wp) - objective(x, wm)) / 2e-6, 1e-6) << "channel " << c;
  }
  for (size_t i = 0; i < n; ++i) {
    auto xp = x, xm = x;
    xp[i] += 1e-7;
    xm[i] -= 1e-7;
    EXPECT_NEAR(dx[i], (objective(xp, w) - objective(xm, w)) / 2e-7, 1e-6) << "element " << i;
  }
  // One shared weight reproduces the table's prelu entry.
  std::vector<double> shared(1, 0.25), y1(n), y2(n);
  prelu_forward(x.data(), shared.data(), y1.data(), 1, 1, n);
  forward(Activation::make("prelu"), x.data(), y2.data(), n);
  EXPECT_EQ(y1, y2);
}

TEST(Gradient, RreluTraining) {
  const size_t n = 100000;
  std::vector<float> x(n), y(n), noise(n), noise2(n), dy(n, 2.0f), dx(n);
  std::mt19937_64 rng(29);
  std::normal_distribution<float> normal(0, 1);
  for (float& v : x) v = normal(rng);
  const double lower = 1.0 / 8, upper = 1.0 / 3;
  rrelu_forward_train(x.data(), y.data(), noise.data(), n, lower, upper, 42);
  double sum = 0;
  size_t negatives = 0;
  for (size_t i = 0; i < n; ++i) {
    if (x[i] > 0) {
      EXPECT_EQ(noise[i], 1.0f);
      EXPECT_EQ(y[i], x[i]);
    } else {
      ASSERT_GE(noise[i], float(lower));
      ASSERT_LE(noise[i], float(upper));
      EXPECT_EQ(y[i], float(double(noise[i]) * x[i])) << i;
      sum += noise[i];
      ++negatives;
    }
  }
  EXPECT_NEAR(sum / negatives, (lower + upper) / 2, 0.002);  // uniform slopes
  rrelu_forward_train(x.data(), y.data(), noise2.data(), n, lower, upper, 42);
  EXPECT_EQ(noise, noise2);  // seeded: reproducible
  rrelu_forward_train(x.data(), y.data(), noise2.data(), n, lower, upper, 43);
  EXPECT_NE(noise, noise2);
  rrelu_backward_train(noise.data(), dy.data(), dx.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(dx[i], 2.0f * noise[i]);
  EXPECT_THROW(rrelu_forward_train(x.data(), y.data(), noise.data(), n, 0.5, 0.1, 1), Error);
}

}  // namespace
}  // namespace actlab
