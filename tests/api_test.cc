// The public API: registry and parameters, the properties each table entry
// claims (checked numerically, so the table cannot lie), sizes and
// alignments on every target, in-place use, threads, the streaming path, the
// issue's overflow cases, and bad shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "actlab/activation.h"
#include "tests/support/params.h"

namespace actlab {
namespace {
using test::TestOverrides;

Activation Make(const Spec& s) { return Activation::make(s.name, TestOverrides(s)); }

TEST(Registry, NamesAreUniqueAndFindable) {
  std::set<std::string> seen;
  EXPECT_GE(activations().size(), 30u);
  for (const Spec& s : activations()) {
    EXPECT_TRUE(seen.insert(std::string(s.name)).second) << s.name;
    for (auto a : s.aliases) {
      if (a.empty()) continue;
      EXPECT_TRUE(seen.insert(std::string(a)).second) << a;
    }
    EXPECT_EQ(find(s.name), &s);
    EXPECT_FALSE(s.formula.empty());
    EXPECT_FALSE(s.derivative.empty());
    EXPECT_FALSE(s.torch.empty());
    for (const ParamSpec& p : s.parameters()) {
      if (!p.required) {
        EXPECT_TRUE(p.valid(p.default_value)) << s.name << "." << p.name;
      }
    }
  }
  EXPECT_EQ(find("Leaky-ReLU"), find("leaky_relu"));
  EXPECT_EQ(find("swish"), find("silu"));
  EXPECT_EQ(find("nope"), nullptr);
}

TEST(Registry, PyTorchDefaults) {
  EXPECT_DOUBLE_EQ(Activation::make("leaky_relu").param("negative_slope"), 0.01);
  EXPECT_DOUBLE_EQ(Activation::make("prelu").param("weight"), 0.25);
  EXPECT_DOUBLE_EQ(Activation::make("rrelu").param("lower"), 1.0 / 8);
  EXPECT_DOUBLE_EQ(Activation::make("rrelu").param("upper"), 1.0 / 3);
  EXPECT_DOUBLE_EQ(Activation::make("elu").param("alpha"), 1.0);
  EXPECT_DOUBLE_EQ(Activation::make("celu").param("alpha"), 1.0);
  EXPECT_DOUBLE_EQ(Activation::make("softplus").param("beta"), 1.0);
  EXPECT_DOUBLE_EQ(Activation::make("softplus").param("threshold"), 20.0);
  EXPECT_DOUBLE_EQ(Activation::make("hardtanh").param("min_val"), -1.0);
  EXPECT_DOUBLE_EQ(Activation::make("hardtanh").param("max_val"), 1.0);
  EXPECT_DOUBLE_EQ(Activation::make("softshrink").param("lambd"), 0.5);
  EXPECT_DOUBLE_EQ(Activation::make("hardshrink").param("lambd"), 0.5);
  EXPECT_DOUBLE_EQ(Activation::make("silu").param("beta"), 1.0);
}

std::string MessageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Registry, ErrorsNameTheProblemAndTheFix) {
  const std::string typo = MessageOf([] { Activation::make("gleu"); });
  EXPECT_NE(typo.find("did you mean"), std::string::npos) << typo;
  EXPECT_NE(typo.find("gelu"), std::string::npos) << typo;
  EXPECT_NE(MessageOf([] { Activation::make("relu7"); }).find("relu6"), std::string::npos);
  std::vector<std::pair<std::string, double>> bad_key{{"alhpa", 1.0}};
  EXPECT_NE(MessageOf([&] { Activation::make("elu", bad_key); }).find("its parameters are alpha"), std::string::npos);
  std::vector<std::pair<std::string, double>> bad_val{{"alpha", -1.0}};
  EXPECT_NE(MessageOf([&] { Activation::make("elu", bad_val); }).find("valid: [0, inf)"), std::string::npos);
  std::vector<std::pair<std::string, double>> zero_alpha{{"alpha", 0.0}};
  EXPECT_NE(MessageOf([&] { Activation::make("celu", zero_alpha); }).find("(0, inf)"), std::string::npos);
  EXPECT_NE(MessageOf([] { Activation::make("threshold"); }).find("needs threshold"), std::string::npos);
  std::vector<std::pair<std::string, double>> crossed{{"min_val", 2.0}};
  EXPECT_NE(MessageOf([&] { Activation::make("hardtanh", crossed); }).find("min_val must be < max_val"),
            std::string::npos);
  std::vector<std::pair<std::string, double>> nan_val{{"alpha", std::nan("")}};
  EXPECT_NE(MessageOf([&] { Activation::make("elu", nan_val); }).find("out of range"), std::string::npos);
}

TEST(Registry, EditDistanceCountsASwapAsOneEdit) {
  // What "did you mean" ranks by, for activation names and the CLI's flags alike.
  EXPECT_EQ(edit_distance("gleu", "gelu"), 1u);
  EXPECT_EQ(edit_distance("epohcs", "epochs"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "relu"), 4u);
  EXPECT_EQ(edit_distance("relu", "relu"), 0u);
  EXPECT_EQ(suggest("gleu").front(), "gelu");
}

TEST(Shapes, BadShapesThrow) {
  std::vector<float> x(12), y(12);
  EXPECT_NE(MessageOf([&] { forward(Activation::make("softmax"), x.data(), y.data(), 12); }).find("--axis-size"),
            std::string::npos);
  EXPECT_NE(MessageOf([&] { forward(Activation::make("softmax"), x.data(), y.data(), 12, 5); }).find("whole rows"),
            std::string::npos);
  EXPECT_NE(MessageOf([&] { forward(Activation::make("glu"), x.data(), y.data(), 12, 3); }).find("even"),
            std::string::npos);
  EXPECT_NE(MessageOf([&] { forward(Activation::make("glu"), x.data(), x.data(), 12, 4); }).find("in place"),
            std::string::npos);
  // Empty input is fine.
  forward(Activation::make("gelu"), x.data(), y.data(), 0);
}

// ---- properties: every claim in the table holds numerically --------------------------
std::vector<double> PropertyGrid() {
  std::vector<double> g;
  for (int i = -4000; i <= 4000; ++i) g.push_back(i * 0.005);  // [-20, 20]
  for (double v : {-1e6, -1e3, -100.0, -50.0, 50.0, 100.0, 1e3, 1e6}) g.push_back(v);
  std::sort(g.begin(), g.end());
  return g;
}

TEST(Properties, TableClaimsHold) {
  const auto g = PropertyGrid();
  for (const Spec& s : activations()) {
    if (s.shape != Shape::kElementwise) continue;
    SCOPED_TRACE(std::string(s.name));
    const Activation a = Make(s);
    std::vector<double> y(g.size()), d(g.size());
    forward(a, g.data(), y.data(), g.size());
    backward(a, g.data(), static_cast<const double*>(nullptr), d.data(), g.size());
    bool monotonic = true;
    for (size_t i = 1; i < g.size(); ++i) monotonic &= y[i] >= y[i - 1];
    EXPECT_EQ(monotonic, s.has(kMonotonic));
    // The range claim (with default parameters).
    const double lo = *std::min_element(y.begin(), y.end()), hi = *std::max_element(y.begin(), y.end());
    EXPECT_GE(lo, s.range_min - 1e-9 * std::fabs(s.range_min));
    EXPECT_LE(hi, s.range_max + 1e-9 * std::fabs(s.range_max));
    if (s.has(kBoundedBelow)) {
      EXPECT_TRUE(std::isfinite(s.range_min));
    } else {
      EXPECT_LT(lo, -100.0);
    }
    if (s.has(kBoundedAbove)) {
      EXPECT_TRUE(std::isfinite(s.range_max));
    } else {
      EXPECT_GT(hi, 100.0);
    }
    // Zero-centred: f(0) = 0 and E[f(z)] ~ 0 for z ~ N(0,1) (by quadrature).
    const size_t i0 = size_t(std::find(g.begin(), g.end(), 0.0) - g.begin());
    const double f0 = y[i0];
    double mean = 0;
    {
      std::vector<double> z, fz(2001);
      for (int i = -1000; i <= 1000; ++i) z.push_back(i * 0.008);
      forward(a, z.data(), fz.data(), z.size());
      double wsum = 0;
      for (size_t i = 0; i < z.size(); ++i) {
        const double w = std::exp(-z[i] * z[i] / 2);
        mean += w * fz[i];
        wsum += w;
      }
      mean /= wsum;
    }
    const bool centred = f0 == 0 && std::fabs(mean) < 0.01;
    EXPECT_EQ(centred, s.has(kZeroCentred)) << "f(0) = " << f0 << ", E[f(z)] = " << mean;
    // Smooth: f' continuous (neighbours 0.005 apart differ by less than
    // 0.005 * max|f''|); the others must really have a kink or a jump.
    double max_jump = 0;
    for (size_t i = 1; i < g.size(); ++i)
      if (g[i] - g[i - 1] < 0.0051) max_jump = std::max(max_jump, std::fabs(d[i] - d[i - 1]));
    double max_step = 0;  // a jump of f itself (step, threshold, hardshrink)
    for (size_t i = 1; i < g.size(); ++i)
      if (g[i] - g[i - 1] < 0.0051) max_step = std::max(max_step, std::fabs(y[i] - y[i - 1]));
    if (s.has(kSmooth)) {
      EXPECT_LT(max_jump, 0.02) << "f' jumps by " << max_jump;
    } else {
      EXPECT_TRUE(max_jump > 0.04 || max_step > 0.2) << "claims a kink but f and f' are continuous";
    }
  }
}

TEST(Properties, SeluSelfNormalizes) {
  // E[selu(z)] = 0 and Var[selu(z)] = 1 for z ~ N(0,1): the point of its constants.
  std::vector<double> z, fz(40001);
  for (int i = -20000; i <= 20000; ++i) z.push_back(i * 0.0005);
  forward(Activation::make("selu"), z.data(), fz.data(), z.size());
  double m = 0, m2 = 0, w_sum = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const double w = std::exp(-z[i] * z[i] / 2);
    m += w * fz[i];
    m2 += w * fz[i] * fz[i];
    w_sum += w;
  }
  m /= w_sum;
  m2 /= w_sum;
  EXPECT_NEAR(m, 0, 1e-6);
  EXPECT_NEAR(m2 - m * m, 1, 1e-6);
}

// ---- the overflow cases ------------------------------------------------------
TEST(Edges, NoOverflowInIntermediates) {
  auto f = [](const char* name, float x) {
    float y;
    forward(Activation::make(name), &x, &y, 1);
    return y;
  };
  auto df = [](const char* name, float x) {
    float d;
    backward(Activation::make(name), &x, static_cast<const float*>(nullptr), &d, 1);
    return d;
  };
  EXPECT_EQ(f("hardswish", 3e38f), 3e38f);
  EXPECT_EQ(f("gelu_tanh", 3e38f), 3e38f);
  EXPECT_EQ(f("gelu", 3e38f), 3e38f);
  EXPECT_EQ(f("silu", 3e38f), 3e38f);
  EXPECT_EQ(f("mish", 3e38f), 3e38f);
  EXPECT_EQ(f("softplus", 3e38f), 3e38f);
  EXPECT_FLOAT_EQ(df("softsign", 1e10f), 1e-20f);
  // x - tanh x = x^3/3 - 2x^5/15: no cancellation to 0 (PyTorch gives 0 or noise)
  const double x3 = double(1e-3f) * double(1e-3f) * double(1e-3f);
  EXPECT_NEAR(f("tanhshrink", 1e-3f), x3 / 3 - 2 * x3 * 1e-6 / 15, 1e-7 * x3);
  EXPECT_FLOAT_EQ(f("elu", -1e-30f), -1e-30f);
  EXPECT_FLOAT_EQ(df("sigmoid", 80.f), std::exp(-80.f));
  EXPECT_TRUE(std::isnan(f("relu", std::nanf(""))));
  EXPECT_EQ(f("sigmoid", -INFINITY), 0.f);
  EXPECT_EQ(f("elu", -INFINITY), -1.f);
}

// ---- sizes, alignment, targets, in place, threads --------------------------------------
TEST(Layout, EverySizeAndOffsetOnEveryTargetMatches) {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal(0, 4);
  const size_t max_n = 70;
  std::vector<float> base(max_n + 16), dy(max_n + 16);
  for (float& v : base) v = normal(rng);
  for (float& v : dy) v = normal(rng);
  for (const std::string& target : available_targets()) {
    force_target(target);
    for (const Spec& s : activations()) {
      if (s.shape != Shape::kElementwise) continue;
      const Activation a = Make(s);
      std::vector<float> ref(max_n + 16), ref_d(max_n + 16);
      forward(a, base.data(), ref.data(), base.size());
      backward(a, base.data(), dy.data(), ref_d.data(), base.size());
      for (size_t n = 0; n <= max_n; ++n) {
        for (size_t off = 0; off < 4; ++off) {
          std::vector<float> y(n + 8), d(n + 8);
          forward(a, base.data() + off, y.data() + 3, n);
          backward(a, base.data() + off, dy.data() + off, d.data() + 1, n);
          for (size_t i = 0; i < n; ++i) {
            ASSERT_EQ(std::memcmp(&y[3 + i], &ref[off + i], 4), 0) << s.name << " " << target << " n=" << n;
            ASSERT_EQ(std::memcmp(&d[1 + i], &ref_d[off + i], 4), 0) << s.name << " " << target << " n=" << n;
          }
        }
      }
      // In place: y over x, dx over dy.
      std::vector<float> inplace(base), g(dy);
      forward(a, inplace.data(), inplace.data(), inplace.size());
      EXPECT_EQ(inplace, ref) << s.name;
      backward(a, base.data(), g.data(), g.data(), g.size());
      EXPECT_EQ(g, ref_d) << s.name;
    }
  }
  force_target("");
}

TEST(Layout, AxisFunctionsInPlace) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> normal(0, 5);
  for (const char* name : {"softmax", "log_softmax", "softmin"}) {
    for (size_t k : {1, 5, 16, 37}) {
      std::vector<float> x(6 * k), y(6 * k);
      std::vector<double> xd(6 * k), yd(6 * k);
      for (size_t i = 0; i < x.size(); ++i) xd[i] = x[i] = float(normal(rng));
      const Activation a = Activation::make(name);
      forward(a, x.data(), y.data(), x.size(), k);
      forward(a, x.data(), x.data(), x.size(), k);
      EXPECT_EQ(x, y) << name << " k=" << k;
      forward(a, xd.data(), yd.data(), xd.size(), k);
      forward(a, xd.data(), xd.data(), xd.size(), k);
      EXPECT_EQ(xd, yd) << name << " k=" << k;
    }
  }
}

TEST(Layout, ThreadsAndStreamingGiveIdenticalResults) {
  const size_t n = (size_t{1} << 22) + 13;  // 16 MiB: the streaming path
  std::vector<float> x(n), y1(n), y2(n), y3(n);
  std::mt19937_64 rng(2);
  std::normal_distribution<float> normal(0, 3);
  for (float& v : x) v = normal(rng);
  for (const char* name : {"gelu", "relu", "tanh", "softmax"}) {
    const Activation a = Activation::make(name);
    const size_t axis = a.spec->shape == Shape::kElementwise ? 0 : 64;
    const size_t m = axis ? n - n % axis : n;
    set_threads(1);
    forward(a, x.data(), y1.data(), m, axis);
    set_threads(2);
    forward(a, x.data(), y2.data(), m, axis);
    // The small-array path (no streaming, one thread) on a copy:
    std::copy(x.begin(), x.end(), y3.begin());
    set_threads(1);
    forward(a, y3.data(), y3.data(), m, axis);  // in place: never streamed
    EXPECT_EQ(std::memcmp(y1.data(), y2.data(), m * 4), 0) << name;
    EXPECT_EQ(std::memcmp(y1.data(), y3.data(), m * 4), 0) << name;
  }
  set_threads(0);
  EXPECT_GE(threads(), 1);
  EXPECT_THROW(set_threads(-1), Error);
}

TEST(Targets, ForceAndReset) {
  const auto targets = available_targets();
  ASSERT_FALSE(targets.empty());
  for (const auto& t : targets) {
    force_target(t);
    EXPECT_EQ(active_target(), t);
  }
  force_target("");
  EXPECT_EQ(active_target(), targets.front());
  EXPECT_THROW(force_target("NEON_NOT_HERE"), Error);
  EXPECT_EQ(active_target(), targets.front());
}

}  // namespace
}  // namespace actlab
