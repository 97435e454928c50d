// Losses: each gradient against central finite differences of the loss
// itself (float64), exact values where the answer is known in closed form
// (huge logits included), the label / one-hot / one-column rules, non-finite
// outputs, the name table, errors, and the promise of no allocation per call.
// PyTorch agreement is tests/loss_torch_test.py's job.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <new>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "actlab/loss.h"
#include "tests/support/error_of.h"

// Counts every operator new in the process (the library's included), so a
// test can prove loss() allocates nothing. new and delete are malloc and free
// as a pair; GCC, seeing only the inlined halves, calls that a mismatch.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<long> g_allocations{0};
}
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace actlab {
namespace {

constexpr LossKind kAll[] = {LossKind::kMse, LossKind::kBceWithLogits, LossKind::kCrossEntropy, LossKind::kNll,
                             LossKind::kHuber};
const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

struct Batch {
  size_t rows = 0, cols = 0;
  std::vector<double> out, values;
  std::vector<int32_t> labels;
  Targets<double> targets(bool use_labels) const {
    Targets<double> t;
    if (use_labels) t.labels = labels.data();
    else t.values = values.data();
    return t;
  }
};

// Outputs ~ N(0, scale^2); values suit the loss (probabilities for BCE and
// soft cross-entropy, anything for MSE/Huber); labels uniform over the classes
// (0/1 for one column).
Batch Random(LossKind kind, size_t rows, size_t cols, double scale, std::mt19937_64& gen) {
  Batch b;
  b.rows = rows, b.cols = cols;
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (size_t k = 0; k < rows * cols; ++k) b.out.push_back(scale * normal(gen));
  const bool binary = cols == 1 && kind != LossKind::kCrossEntropy && kind != LossKind::kNll;
  const size_t classes = binary ? 2 : cols;
  for (size_t i = 0; i < rows; ++i) b.labels.push_back(static_cast<int32_t>(gen() % classes));
  if (kind == LossKind::kCrossEntropy) {
    for (size_t i = 0; i < rows; ++i) {
      double s = 0;
      for (size_t j = 0; j < cols; ++j) s += (b.values.emplace_back(unit(gen)));
      for (size_t j = 0; j < cols; ++j) b.values[i * cols + j] /= s;
    }
  } else if (kind == LossKind::kBceWithLogits) {
    for (size_t k = 0; k < rows * cols; ++k) b.values.push_back(unit(gen));
  } else {
    for (size_t k = 0; k < rows * cols; ++k) b.values.push_back(1.5 * normal(gen));
  }
  if (kind == LossKind::kNll) {  // log-probabilities: log_softmax of the outputs
    for (size_t i = 0; i < rows; ++i) {
      double m = -kInf, s = 0;
      for (size_t j = 0; j < cols; ++j) m = std::max(m, b.out[i * cols + j]);
      for (size_t j = 0; j < cols; ++j) s += std::exp(b.out[i * cols + j] - m);
      for (size_t j = 0; j < cols; ++j) b.out[i * cols + j] -= m + std::log(s);
    }
  }
  return b;
}

// Worst |grad - fd| / |fd| where fd resolves 1e-10 (its rounding bound is
// below 1e-10 |fd|), and how many elements that covered; reported.
double g_worst_fd_error = 0;
long g_fd_resolved = 0, g_fd_total = 0;

// Finite-difference step. MSE, Huber and NLL are polynomials of degree <= 2
// in each output (Huber away from its kink), so central differences are exact
// for any h, and a step relative to |x| keeps the rounding of l small. The
// exponential losses (BCE, cross-entropy) get h = 1e-6 absolute: in their
// tails f''' is about f' at any |x|, so the truncation h^2 f''' / 6 stays
// ~1e-13 relative where a step relative to |x| = 1e3 would make it 1e-7.
double Step(LossKind kind, double x) {
  if (kind == LossKind::kBceWithLogits || kind == LossKind::kCrossEntropy) return 1e-6;
  return 1e-4 * std::max(1.0, std::fabs(x));
}

// The batch loss is the mean of its rows' losses and the batch gradient the
// rows' gradients over the number of rows (checked to rounding), so finite
// differences can run on one row at a time: the 1/N of a batch would shrink
// the gradient against the rounding of L by N.
// Central differences per element: fd = (l(x + h) - l(x - h)) / 2h; the
// rounding of l, 2 eps |l| / 2h, enters the tolerance as is.
void CheckGradient(LossKind kind, const Batch& b, bool use_labels, double delta, const std::string& what) {
  const size_t rows = b.rows, cols = b.cols, n = rows * cols;
  std::vector<double> grad(n, kNan);
  const double l0 = loss(kind, b.out.data(), rows, cols, b.targets(use_labels), grad.data(), delta);
  ASSERT_TRUE(std::isfinite(l0)) << what;
  // Without grad the loss is the same number.
  EXPECT_EQ(loss(kind, b.out.data(), rows, cols, b.targets(use_labels), static_cast<double*>(nullptr), delta), l0)
      << what;
  double row_sum = 0;
  for (size_t i = 0; i < rows; ++i) {
    std::vector<double> x(b.out.begin() + i * cols, b.out.begin() + (i + 1) * cols), g(cols, kNan);
    Targets<double> t;
    if (use_labels) t.labels = b.labels.data() + i;
    else t.values = b.values.data() + i * cols;
    const double l = loss(kind, x.data(), 1, cols, t, g.data(), delta);
    row_sum += l;
    for (size_t j = 0; j < cols; ++j) {
      // (1e-300: gradients of 1e-320 at logits of 1e3 are subnormal, short of bits)
      EXPECT_NEAR(grad[i * cols + j] * rows, g[j], 1e-15 * std::fabs(g[j]) + 1e-300) << what << " row " << i;
    }
    for (size_t j = 0; j < cols; ++j) {
      const double x0 = x[j];
      const double h = Step(kind, x0);
      x[j] = x0 + h;
      const double lp = loss(kind, x.data(), 1, cols, t, static_cast<double*>(nullptr), delta);
      x[j] = x0 - h;
      const double lm = loss(kind, x.data(), 1, cols, t, static_cast<double*>(nullptr), delta);
      x[j] = x0;
      const double fd = (lp - lm) / ((x0 + h) - (x0 - h));
      const double rounding = 2 * std::numeric_limits<double>::epsilon() * std::fabs(l) / h;
      ++g_fd_total;
      if (rounding <= 1e-10 * std::fabs(fd)) {
        ++g_fd_resolved;
        g_worst_fd_error = std::max(g_worst_fd_error, std::fabs(g[j] - fd) / std::fabs(fd));
      }
      EXPECT_NEAR(g[j], fd, 1e-8 * std::fabs(fd) + rounding) << what << " row " << i << " col " << j << " out " << x0;
    }
  }
  EXPECT_NEAR(l0, row_sum / rows, 1e-15 * std::fabs(l0)) << what;
}

TEST(Loss, GradientMatchesFiniteDifferences) {
  std::mt19937_64 gen(7);
  const size_t shapes[][2] = {{1, 1}, {1, 5}, {6, 1}, {7, 3}, {16, 10}};
  for (LossKind kind : kAll) {
    for (auto [rows, cols] : shapes) {
      for (double scale : {0.3, 1.0, 4.0, 1e3}) {
        for (bool labels : {true, false}) {
          if (kind == LossKind::kNll && !labels) continue;
          Batch b = Random(kind, rows, cols, scale, gen);
          double delta = 1.0;
          if (kind == LossKind::kHuber) {
            delta = scale == 1.0 ? 0.5 : 1.0;
            // Keep FD from straddling the kink |d| = delta (where the second
            // derivative jumps and FD is no longer exact).
            for (size_t k = 0; k < rows * cols; ++k) {
              const double t = labels ? (cols == 1 ? b.labels[k] : (k % cols == size_t(b.labels[k / cols])))
                                      : b.values[k];
              const double h = Step(kind, b.out[k]);
              if (std::fabs(std::fabs(b.out[k] - t) - delta) < 3 * h) b.out[k] += 10 * h;
            }
          }
          CheckGradient(kind, b, labels, delta,
                        std::string(loss_name(kind)) + " " + std::to_string(rows) + "x" + std::to_string(cols) +
                            " scale " + std::to_string(scale) + (labels ? " labels" : " values"));
        }
      }
    }
  }
  std::printf("[ measured ] worst relative gradient error vs finite differences: %.1e (%ld of %ld elements "
              "resolved to 1e-10)\n",
              g_worst_fd_error, g_fd_resolved, g_fd_total);
}

// Logits around 1e3 and 1e30: exp would overflow, naive log(sigmoid) would
// give log(0). The exact answers follow from the formulas by hand.
TEST(Loss, HugeLogitsGiveExactValues) {
  for (double big : {1e3, 1e30}) {
    SCOPED_TRACE(big);
    {  // BCE: loss(z, 1) = softplus(-z), loss(z, 0) = softplus(z), both exact
       // here: 0 for the right sign, |z| for the wrong one.
      const std::vector<double> z = {big, -big, big, -big};
      const std::vector<double> t = {1, 1, 0, 0};
      std::vector<double> g(4);
      const double l = loss(LossKind::kBceWithLogits, z.data(), 1, 4, Targets<double>{nullptr, t.data()}, g.data());
      EXPECT_EQ(l, (0 + big + big + 0) / 4);
      EXPECT_EQ(g[0], 0.0);
      EXPECT_EQ(g[1], -0.25);
      EXPECT_EQ(g[2], 0.25);
      EXPECT_EQ(g[3], 0.0);
    }
    {  // Cross-entropy, rows [big, 0, -big]: label 0 costs log(1 + e^-big +
       // e^-2big) = 0, label 1 costs big, label 2 costs 2 big.
      const std::vector<double> z = {big, 0, -big, big, 0, -big, big, 0, -big};
      const std::vector<int32_t> y = {0, 1, 2};
      std::vector<double> g(9);
      const double l = loss(LossKind::kCrossEntropy, z.data(), 3, 3, Targets<double>{y.data(), nullptr}, g.data());
      EXPECT_EQ(l, (0 + big + 2 * big) / 3);
      const double third = 1.0 / 3;
      const std::vector<double> expect = {0, 0, 0, third, -third, 0, third, 0, -third};
      for (size_t k = 0; k < 9; ++k) EXPECT_EQ(g[k], expect[k]) << k;
    }
    {  // float: the same, logits representable, loss and grad exact.
      const float fb = static_cast<float>(big);
      const std::vector<float> z = {fb, -fb};
      const std::vector<int32_t> y = {1};
      std::vector<float> g(2);
      const double l = loss(LossKind::kCrossEntropy, z.data(), 1, 2, Targets<float>{y.data(), nullptr}, g.data());
      EXPECT_EQ(l, 2.0 * static_cast<double>(fb));
      EXPECT_EQ(g[0], 1.0f);
      EXPECT_EQ(g[1], -1.0f);
      // One column of BCE with labels [1, 1]: (softplus(-fb) + softplus(fb)) / 2.
      const std::vector<int32_t> y1 = {1, 1};
      EXPECT_EQ(loss(LossKind::kBceWithLogits, z.data(), 2, 1, Targets<float>{y1.data(), nullptr}, g.data()),
                static_cast<double>(fb) / 2);
      EXPECT_EQ(g[0], 0.0f);
      EXPECT_EQ(g[1], -0.5f);
    }
    {  // MSE and Huber with a float output of 1e30: d^2 = 1e60 must not
       // overflow float.
      const std::vector<float> z = {static_cast<float>(big)};
      const std::vector<float> t = {-1};
      std::vector<float> g(1);
      const double d = static_cast<double>(z[0]) + 1;
      EXPECT_EQ(loss(LossKind::kMse, z.data(), 1, 1, Targets<float>{nullptr, t.data()}, g.data()), d * d);
      EXPECT_EQ(g[0], static_cast<float>(2 * d));
      EXPECT_EQ(loss(LossKind::kHuber, z.data(), 1, 1, Targets<float>{nullptr, t.data()}, g.data(), 0.5),
                0.5 * (d - 0.25));
      EXPECT_EQ(g[0], 0.5f);
    }
  }
}

// Where the net is confidently right the loss is tiny but not zero, and the
// gradient at the label is -(1 - p), not p - 1 rounded to 0.
TEST(Loss, ConfidentPredictionsKeepTheirDigits) {
  const std::vector<double> z = {40, 0};
  const std::vector<int32_t> y = {0};
  std::vector<double> g(2);
  const double l = loss(LossKind::kCrossEntropy, z.data(), 1, 2, Targets<double>{y.data(), nullptr}, g.data());
  const double e = std::exp(-40.0);  // 4.25e-18
  EXPECT_NEAR(l, std::log1p(e), 1e-16 * l);
  EXPECT_NEAR(g[0], -e / (1 + e), 1e-16 * e);
  EXPECT_NEAR(g[1], e / (1 + e), 1e-16 * e);
  const std::vector<double> t = {1};
  const double lb = loss(LossKind::kBceWithLogits, z.data(), 1, 1, Targets<double>{nullptr, t.data()}, g.data());
  EXPECT_NEAR(lb, std::log1p(e), 1e-16 * lb);
  EXPECT_NEAR(g[0], -e / (1 + e), 1e-16 * e);
}

TEST(Loss, ClosedFormValues) {
  // Equal logits: cross-entropy is log(C) whatever the label; NLL of the
  // matching log-probabilities is the same number.
  const std::vector<double> z(10, 3.25), lp(10, -std::log(10.0));
  const std::vector<int32_t> y = {7};
  std::vector<double> g(10);
  EXPECT_NEAR(loss(LossKind::kCrossEntropy, z.data(), 1, 10, Targets<double>{y.data(), nullptr}, g.data()),
              std::log(10.0), 1e-15);
  for (size_t j = 0; j < 10; ++j) EXPECT_NEAR(g[j], j == 7 ? -0.9 : 0.1, 1e-16);
  EXPECT_NEAR(loss(LossKind::kNll, lp.data(), 1, 10, Targets<double>{y.data(), nullptr}, g.data()), std::log(10.0),
              1e-15);
  for (size_t j = 0; j < 10; ++j) EXPECT_EQ(g[j], j == 7 ? -1.0 : 0.0);
  // MSE and Huber (delta 0.5) of d = [0.25, -2, 1]: mean of d^2, and of
  // 0.5 d^2 = 0.03125 | 0.5 (2 - 0.25) = 0.875 | 0.5 (1 - 0.25) = 0.375.
  const std::vector<double> out = {1.25, -1, 4}, t = {1, 1, 3};
  std::vector<double> gm(3);
  EXPECT_EQ(loss(LossKind::kMse, out.data(), 3, 1, Targets<double>{nullptr, t.data()}, gm.data()),
            (0.0625 + 4 + 1) / 3);
  EXPECT_EQ(gm[0], 2 * 0.25 / 3);
  EXPECT_EQ(gm[1], 2 * -2.0 / 3);
  EXPECT_EQ(loss(LossKind::kHuber, out.data(), 1, 3, Targets<double>{nullptr, t.data()}, gm.data(), 0.5),
            (0.03125 + 0.875 + 0.375) / 3);
  EXPECT_EQ(gm[0], 0.25 / 3);
  EXPECT_EQ(gm[1], -0.5 / 3);
  EXPECT_EQ(gm[2], 0.5 / 3);
  // At |d| = delta both branches give delta^2 / 2 and the gradient is d.
  const std::vector<double> at = {1.5}, zero = {1};
  EXPECT_EQ(loss(LossKind::kHuber, at.data(), 1, 1, Targets<double>{nullptr, zero.data()}, gm.data(), 0.5), 0.125);
  EXPECT_EQ(gm[0], 0.5);
  // BCE at z = 0 is log 2 for any target, gradient (1/2 - t) / N.
  const std::vector<double> z0 = {0, 0}, t0 = {0.25, 1};
  EXPECT_NEAR(loss(LossKind::kBceWithLogits, z0.data(), 2, 1, Targets<double>{nullptr, t0.data()}, gm.data()),
              std::log(2.0), 1e-16);
  EXPECT_EQ(gm[0], 0.125);
  EXPECT_EQ(gm[1], -0.25);
}

// Labels stand for their one-hot rows (cols > 1) or for the 0/1 value itself
// (one column): the loss and gradient must be bit-identical to passing those
// values.
TEST(Loss, LabelsMeanOneHotOrTheLabelItself) {
  std::mt19937_64 gen(11);
  for (LossKind kind : {LossKind::kMse, LossKind::kHuber, LossKind::kBceWithLogits, LossKind::kCrossEntropy}) {
    for (size_t cols : {1, 4}) {
      if (kind == LossKind::kCrossEntropy && cols == 1) continue;
      Batch b = Random(kind, 9, cols, 2.0, gen);
      std::vector<double> onehot(9 * cols, 0.0);
      for (size_t i = 0; i < 9; ++i) {
        if (cols == 1) onehot[i] = b.labels[i];
        else onehot[i * cols + b.labels[i]] = 1.0;
      }
      std::vector<double> g1(9 * cols), g2(9 * cols);
      const double l1 = loss(kind, b.out.data(), 9, cols, Targets<double>{b.labels.data(), nullptr}, g1.data(), 0.7);
      const double l2 = loss(kind, b.out.data(), 9, cols, Targets<double>{nullptr, onehot.data()}, g2.data(), 0.7);
      SCOPED_TRACE(std::string(loss_name(kind)) + " cols " + std::to_string(cols));
      if (kind == LossKind::kCrossEntropy) {
        // Two code paths (the label one sums without e_y): equal to rounding.
        EXPECT_NEAR(l1, l2, 1e-15 * l2);
        for (size_t k = 0; k < g1.size(); ++k) EXPECT_NEAR(g1[k], g2[k], 1e-16);
      } else {
        EXPECT_EQ(l1, l2);
        EXPECT_EQ(g1, g2);
      }
    }
  }
}

// The float path converts to double and computes exactly what the double path
// computes on the same numbers: the same loss, and the double gradient
// rounded once to float. 1500 columns take cross-entropy's wide-row path.
TEST(Loss, FloatIsDoubleRoundedOnce) {
  std::mt19937_64 gen(3);
  const size_t shapes[][2] = {{32, 10}, {3, 1500}, {5, 1}};
  for (LossKind kind : kAll) {
    for (auto [rows, cols] : shapes) {
      for (bool labels : {true, false}) {
        if ((kind == LossKind::kNll && !labels) || (cols == 1 && kind == LossKind::kCrossEntropy)) continue;
        Batch b = Random(kind, rows, cols, 3.0, gen);
        const size_t n = rows * cols;
        std::vector<float> of(b.out.begin(), b.out.end()), vf(b.values.begin(), b.values.end());
        std::vector<double> od(of.begin(), of.end()), vd(vf.begin(), vf.end());  // the same numbers
        Targets<float> tf;
        Targets<double> td;
        if (labels) tf.labels = td.labels = b.labels.data();
        else tf.values = vf.data(), td.values = vd.data();
        std::vector<float> gf(n);
        std::vector<double> gd(n);
        const double lf = loss(kind, of.data(), rows, cols, tf, gf.data(), 0.5);
        const double ld = loss(kind, od.data(), rows, cols, td, gd.data(), 0.5);
        SCOPED_TRACE(std::string(loss_name(kind)) + " " + std::to_string(rows) + "x" + std::to_string(cols) +
                     (labels ? " labels" : " values"));
        EXPECT_EQ(lf, ld);
        size_t mismatches = 0;
        for (size_t k = 0; k < n; ++k) mismatches += gf[k] != static_cast<float>(gd[k]);
        EXPECT_EQ(mismatches, 0u);
      }
    }
  }
}

TEST(Loss, NonFiniteOutputsGiveNan) {
  for (LossKind kind : kAll) {
    for (double bad : {kNan, kInf, -kInf}) {
      for (size_t where : {0, 5}) {
        std::vector<double> out = {0.1, -0.3, 0.2, 1.0, -2.0, 0.5}, values = {0, 1, 0, 1, 0, 0};
        const std::vector<int32_t> labels = {1, 0};
        if (kind == LossKind::kNll)
          for (double& v : out) v = -std::fabs(v) - 0.1;
        out[where] = bad;
        std::vector<double> g(6, 0.0);
        const Targets<double> t = kind == LossKind::kNll ? Targets<double>{labels.data(), nullptr}
                                                         : Targets<double>{nullptr, values.data()};
        const double l = loss(kind, out.data(), 2, 3, t, g.data());
        EXPECT_TRUE(std::isnan(l)) << loss_name(kind) << " " << bad << " at " << where;
        for (double v : g) EXPECT_TRUE(std::isnan(v)) << loss_name(kind) << " " << bad << " at " << where;
        std::vector<float> of(out.begin(), out.end()), vf(values.begin(), values.end()), gf(6);
        const Targets<float> tf = kind == LossKind::kNll ? Targets<float>{labels.data(), nullptr}
                                                         : Targets<float>{nullptr, vf.data()};
        EXPECT_TRUE(std::isnan(loss(kind, of.data(), 2, 3, tf, gf.data()))) << loss_name(kind);
        EXPECT_TRUE(std::isnan(loss(kind, of.data(), 2, 3, tf, static_cast<float*>(nullptr)))) << loss_name(kind);
      }
    }
  }
}

using test::ErrorOf;

TEST(Loss, BadArgumentsThrowOneLineErrors) {
  const std::vector<double> out(12, 0.5), values(12, 0.0);
  std::vector<double> g(12, 42.0);
  const std::vector<int32_t> labels = {0, 3, 10, 1};
  const auto call = [&](LossKind kind, size_t rows, size_t cols, Targets<double> t, double delta = 1.0) {
    return ErrorOf([&] { loss(kind, out.data(), rows, cols, t, g.data(), delta); });
  };
  std::string e = call(LossKind::kCrossEntropy, 4, 3, {labels.data(), nullptr});
  EXPECT_NE(e.find("label 3 at row 1"), std::string::npos) << e;
  EXPECT_NE(e.find("3 classes"), std::string::npos) << e;
  e = call(LossKind::kMse, 3, 4, {labels.data() + 1, nullptr});
  EXPECT_NE(e.find("label 10 at row 1"), std::string::npos) << e;
  EXPECT_NE(e.find("4 classes"), std::string::npos) << e;
  const std::vector<int32_t> neg = {0, -1};
  e = call(LossKind::kNll, 2, 6, {neg.data(), nullptr});
  EXPECT_NE(e.find("label -1 at row 1"), std::string::npos) << e;
  // One column: the label is the 0/1 target of an elementwise loss.
  const std::vector<int32_t> two = {1, 0, 2};
  e = call(LossKind::kBceWithLogits, 3, 1, {two.data(), nullptr});
  EXPECT_NE(e.find("label 2 at row 2"), std::string::npos) << e;
  EXPECT_NE(e.find("0/1"), std::string::npos) << e;
  const std::vector<int32_t> one = {1};
  EXPECT_NE(call(LossKind::kCrossEntropy, 1, 1, {one.data(), nullptr}), "(no error)");
  // Targets: exactly one kind.
  EXPECT_NE(call(LossKind::kMse, 3, 4, {}).find("no targets"), std::string::npos);
  EXPECT_NE(call(LossKind::kMse, 3, 4, {labels.data(), values.data()}).find("both"), std::string::npos);
  EXPECT_NE(call(LossKind::kNll, 3, 4, {nullptr, values.data()}).find("labels"), std::string::npos);
  // Shapes, pointers, delta, kind.
  EXPECT_NE(call(LossKind::kMse, 0, 4, {nullptr, values.data()}).find("empty"), std::string::npos);
  EXPECT_NE(call(LossKind::kMse, 4, 0, {nullptr, values.data()}).find("empty"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { loss<double>(LossKind::kMse, nullptr, 1, 1, {nullptr, values.data()}, g.data()); })
                .find("null"),
            std::string::npos);
  for (double d : {0.0, -1.0, kNan})
    EXPECT_NE(call(LossKind::kHuber, 3, 4, {nullptr, values.data()}, d).find("delta"), std::string::npos) << d;
  EXPECT_NE(call(static_cast<LossKind>(99), 3, 4, {nullptr, values.data()}).find("LossKind"), std::string::npos);
  // Every message is one line of "WHAT: PROBLEM; FIX", and grad was not touched.
  for (const std::string& m : {call(LossKind::kCrossEntropy, 4, 3, {labels.data(), nullptr}),
                               call(LossKind::kHuber, 3, 4, {nullptr, values.data()}, -1),
                               ErrorOf([] { loss_from_name("hinge"); })}) {
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_NE(m.find(": "), std::string::npos) << m;
    EXPECT_NE(m.find("; "), std::string::npos) << m;
  }
  for (double v : g) EXPECT_EQ(v, 42.0);
  // ... which the same call with a valid label does write.
  EXPECT_EQ(call(LossKind::kMse, 1, 1, {one.data(), nullptr}), "(no error)");
  EXPECT_EQ(g[0], -1.0);
}

TEST(Loss, NameTable) {
  std::set<std::string> names;
  ASSERT_EQ(losses().size(), 5u);
  for (const LossInfo& l : losses()) {
    EXPECT_TRUE(names.insert(l.name).second) << l.name;
    EXPECT_EQ(loss_from_name(l.name), l.kind);
    EXPECT_STREQ(loss_name(l.kind), l.name);
    EXPECT_EQ(std::string(l.torch).rfind("nn.", 0), 0u) << l.torch;
    EXPECT_GT(std::string(l.doc).size(), 10u);
  }
  for (LossKind k : kAll) EXPECT_TRUE(names.count(loss_name(k)));
  EXPECT_EQ(loss_from_name("ce"), LossKind::kCrossEntropy);
  EXPECT_EQ(loss_from_name("Cross-Entropy"), LossKind::kCrossEntropy);
  EXPECT_EQ(loss_from_name("bce_with_logits"), LossKind::kBceWithLogits);
  EXPECT_EQ(loss_from_name("L2"), LossKind::kMse);
  EXPECT_EQ(loss_from_name("nll_loss"), LossKind::kNll);
  EXPECT_EQ(loss_from_name("huber_loss"), LossKind::kHuber);
  const std::string e = ErrorOf([] { loss_from_name("hinge"); });
  EXPECT_NE(e.find("'hinge'"), std::string::npos) << e;
  for (const LossInfo& l : losses()) EXPECT_NE(e.find(l.name), std::string::npos) << e;
}

// The trainer calls loss() once per batch of 128 x 10: no heap traffic.
TEST(Loss, NoAllocationPerCall) {
  std::mt19937_64 gen(5);
  for (LossKind kind : kAll) {
    for (bool labels : {true, false}) {
      if (kind == LossKind::kNll && !labels) continue;
      Batch b = Random(kind, 128, 10, 2.0, gen);
      std::vector<double> g(1280);
      std::vector<float> of(b.out.begin(), b.out.end()), vf(b.values.begin(), b.values.end()), gf(1280);
      Targets<float> tf;
      if (labels) tf.labels = b.labels.data();
      else tf.values = vf.data();
      const long before = g_allocations.load();
      double sink = loss(kind, b.out.data(), 128, 10, b.targets(labels), g.data(), 0.5);
      sink += loss(kind, of.data(), 128, 10, tf, gf.data(), 0.5);
      EXPECT_EQ(g_allocations.load() - before, 0) << loss_name(kind);
      EXPECT_TRUE(std::isfinite(sink));
    }
  }
}

// Reports the cost of one 128 x 10 cross-entropy with gradient (float, the
// trainer's case); a sanity bound only, the number is for the docs.
TEST(Loss, Speed) {
  std::mt19937_64 gen(9);
  Batch b = Random(LossKind::kCrossEntropy, 128, 10, 3.0, gen);
  std::vector<float> of(b.out.begin(), b.out.end()), gf(1280);
  const Targets<float> t{b.labels.data(), nullptr};
  for (LossKind kind : kAll) {
    double sink = 0;
    const int reps = 20000;
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) sink += loss(kind, of.data(), 128, 10, t, gf.data());
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / reps;
    std::printf("[ speed    ] %-13s 128x10 float with grad: %.0f ns/call\n", loss_name(kind), ns);
    EXPECT_LT(ns, 1e6) << loss_name(kind);  // 1 ms would mean something is badly wrong
    EXPECT_TRUE(std::isfinite(sink));
  }
}

}  // namespace
}  // namespace actlab
