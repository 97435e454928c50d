// Weight initialisation: the statistics of every scheme against its formula
// (a million draws put the sample std within 0.1% of the truth, so 2% only
// fails when the formula is wrong), the distribution's shape (normal or
// uniform), bias rules, the gain table, auto's choices, the exact draw order
// and determinism by seed, names and errors. calculate_gain against torch's
// own function: tests/loss_torch_test.py.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "actlab/init.h"
#include "tests/support/error_of.h"
#include "tests/support/params.h"

namespace actlab {
namespace {

constexpr InitScheme kSchemes[] = {InitScheme::kNaive,        InitScheme::kXavierUniform, InitScheme::kXavierNormal,
                                   InitScheme::kHeUniform,    InitScheme::kHeNormal,      InitScheme::kLeCunUniform,
                                   InitScheme::kLeCunNormal,  InitScheme::kTorchDefault};

bool IsUniform(InitScheme s) {
  return s == InitScheme::kXavierUniform || s == InitScheme::kHeUniform || s == InitScheme::kLeCunUniform ||
         s == InitScheme::kTorchDefault;
}

// The standard deviation each scheme promises, written independently of
// src/nn/init.cc (uniform U(-a, a) has std a / sqrt(3)).
double ExpectedStd(InitScheme s, double gain, double out, double in) {
  switch (s) {
    case InitScheme::kNaive: return 0.01;
    case InitScheme::kXavierUniform:
    case InitScheme::kXavierNormal: return gain * std::sqrt(2.0 / (in + out));
    case InitScheme::kHeUniform:
    case InitScheme::kHeNormal: return gain * std::sqrt(1.0 / in);
    case InitScheme::kLeCunUniform:
    case InitScheme::kLeCunNormal: return std::sqrt(1.0 / in);
    case InitScheme::kTorchDefault: return 1.0 / std::sqrt(3.0 * in);
    case InitScheme::kAuto: break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

struct Moments {
  double mean = 0, std = 0, max_abs = 0, within_1std = 0, kurtosis = 0;
};
Moments Measure(const std::vector<double>& w) {
  Moments m;
  const double n = static_cast<double>(w.size());
  for (double v : w) m.mean += v;
  m.mean /= n;
  double m2 = 0, m4 = 0;
  for (double v : w) {
    const double d = v - m.mean;
    m2 += d * d;
    m4 += d * d * d * d;
    m.max_abs = std::max(m.max_abs, std::fabs(v));
  }
  m2 /= n, m4 /= n;
  m.std = std::sqrt(m2);
  m.kurtosis = m4 / (m2 * m2);  // 3 for a normal, 1.8 for a uniform
  for (double v : w) m.within_1std += std::fabs(v - m.mean) < m.std;
  m.within_1std /= n;
  return m;
}

void CheckScheme(InitScheme s, const char* act_name, size_t out, size_t in, uint64_t seed) {
  const Activation act = Activation::make(act_name);
  std::vector<double> w(out * in), b(out, 42.0);
  Rng rng(seed);
  init_dense(w.data(), b.data(), out, in, s, act, rng);
  const bool gained = s == InitScheme::kXavierUniform || s == InitScheme::kXavierNormal ||
                      s == InitScheme::kHeUniform || s == InitScheme::kHeNormal;
  const double expect = ExpectedStd(s, gained ? calculate_gain(act) : 1.0, double(out), double(in));
  const Moments m = Measure(w);
  SCOPED_TRACE(std::string(init_name(s)) + " " + act_name + " " + std::to_string(out) + "x" + std::to_string(in));
  EXPECT_NEAR(m.std, expect, 0.02 * expect);
  EXPECT_LT(std::fabs(m.mean), 5 * expect / std::sqrt(double(w.size())));  // 5 sigma of the sample mean
  if (IsUniform(s)) {
    const double a = std::sqrt(3.0) * expect;
    EXPECT_LE(m.max_abs, a);
    EXPECT_GT(m.max_abs, 0.999 * a);  // the whole interval is used
    EXPECT_NEAR(m.kurtosis, 1.8, 0.05);
    EXPECT_NEAR(m.within_1std, 1 / std::sqrt(3.0), 0.01);
  } else {
    EXPECT_NEAR(m.kurtosis, 3.0, 0.1);
    EXPECT_NEAR(m.within_1std, 0.6827, 0.01);
  }
  if (s == InitScheme::kTorchDefault) {
    const double a = 1 / std::sqrt(double(in));
    const Moments mb = Measure(b);
    EXPECT_LE(mb.max_abs, a);
    EXPECT_NEAR(mb.std, a / std::sqrt(3.0), 0.1 * a / std::sqrt(3.0));  // 1000 draws: ~2% noise
  } else {
    for (double v : b) EXPECT_EQ(v, 0.0);
  }
}

TEST(Init, EverySchemeHasItsFormulasStatistics) {
  uint64_t seed = 1;
  for (InitScheme s : kSchemes) {
    CheckScheme(s, "relu", 1000, 1000, seed++);
    CheckScheme(s, "tanh", 1000, 1000, seed++);
  }
}

// Fan-in and fan-out differ: He and LeCun use fan_in only, Xavier both.
TEST(Init, FansAreTheRightWayRound) {
  uint64_t seed = 100;
  for (InitScheme s : kSchemes) {
    CheckScheme(s, "leaky_relu", 200, 2000, seed++);
    CheckScheme(s, "sigmoid", 2000, 200, seed++);
  }
}

TEST(Init, AutoResolvesThroughAutoInit) {
  EXPECT_EQ(auto_init(Activation::make("selu")), InitScheme::kLeCunNormal);
  for (const char* n : {"sigmoid", "tanh", "softsign", "hardtanh", "identity", "linear", "hardsigmoid", "softmax",
                        "log_softmax"})
    EXPECT_EQ(auto_init(Activation::make(n)), InitScheme::kXavierUniform) << n;
  for (const char* n : {"relu", "leaky_relu", "elu", "gelu", "silu", "mish", "softplus", "prelu", "relu6", "hardswish"})
    EXPECT_EQ(auto_init(Activation::make(n)), InitScheme::kHeNormal) << n;
  // kAuto gives exactly what the resolved scheme gives from the same seed.
  for (const char* n : {"selu", "tanh", "relu"}) {
    const Activation act = Activation::make(n);
    std::vector<double> w1(64 * 32), w2(64 * 32), b1(64), b2(64);
    Rng r1(9), r2(9);
    init_dense(w1.data(), b1.data(), 64, 32, InitScheme::kAuto, act, r1);
    init_dense(w2.data(), b2.data(), 64, 32, auto_init(act), act, r2);
    EXPECT_EQ(w1, w2) << n;
    EXPECT_EQ(b1, b2) << n;
  }
  // Every activation gets some scheme other than auto.
  for (const Spec& s : activations())
    EXPECT_NE(auto_init(Activation::make(s.name, test::TestOverrides(s))), InitScheme::kAuto) << s.name;
}

TEST(Init, GainTable) {
  struct Case {
    const char* name;
    double gain;
    bool torch;
  };
  const Case cases[] = {
      {"identity", 1, true},     {"linear", 1, true},           {"sigmoid", 1, true},
      {"tanh", 5.0 / 3, true},   {"relu", std::sqrt(2.0), true}, {"selu", 0.75, true},
      {"leaky_relu", std::sqrt(2.0 / (1 + 0.01 * 0.01)), true},
      {"elu", std::sqrt(2.0), false}, {"gelu", std::sqrt(2.0), false}, {"silu", std::sqrt(2.0), false},
      {"mish", std::sqrt(2.0), false}, {"softplus", std::sqrt(2.0), false}, {"relu6", std::sqrt(2.0), false},
      {"prelu", std::sqrt(2.0), false}, {"rrelu", std::sqrt(2.0), false}, {"hardswish", std::sqrt(2.0), false},
      {"celu", std::sqrt(2.0), false}, {"gelu_tanh", std::sqrt(2.0), false},
      {"softsign", 1, false},   {"hardtanh", 1, false},   {"softmax", 1, false},   {"logsigmoid", 1, false},
  };
  for (const Case& c : cases) {
    bool torch = !c.torch;
    EXPECT_EQ(calculate_gain(Activation::make(c.name), &torch), c.gain) << c.name;
    EXPECT_EQ(torch, c.torch) << c.name;
  }
  // leaky_relu's gain follows the activation's own slope.
  const std::pair<std::string, double> slope[] = {{"negative_slope", 0.2}};
  EXPECT_EQ(calculate_gain(Activation::make("leaky_relu", slope)), std::sqrt(2.0 / (1 + 0.2 * 0.2)));
  const std::pair<std::string, double> flat[] = {{"negative_slope", 1.0}};
  EXPECT_EQ(calculate_gain(Activation::make("leaky_relu", flat)), 1.0);
  // The null pointer for gain_is_torch is allowed; every activation has a gain.
  for (const Spec& s : activations()) {
    const double g = calculate_gain(Activation::make(s.name, test::TestOverrides(s)));
    EXPECT_TRUE(g >= 0.75 && g <= 5.0 / 3) << s.name << " " << g;
  }
}

// The gain reaches Xavier and He (std scales with it) but not LeCun or naive.
TEST(Init, GainAppliesToXavierAndHeOnly) {
  const std::pair<std::string, double> slope[] = {{"negative_slope", 0.5}};
  const Activation leaky = Activation::make("leaky_relu", slope);
  const double g = std::sqrt(2.0 / 1.25);
  const struct {
    InitScheme s;
    double std;
  } cases[] = {
      {InitScheme::kHeNormal, g / std::sqrt(500.0)},
      {InitScheme::kHeUniform, g / std::sqrt(500.0)},
      {InitScheme::kXavierNormal, g * std::sqrt(2.0 / 1300)},
      {InitScheme::kXavierUniform, g * std::sqrt(2.0 / 1300)},
      {InitScheme::kLeCunNormal, 1 / std::sqrt(500.0)},
      {InitScheme::kNaive, 0.01},
  };
  for (const auto& c : cases) {
    std::vector<double> w(800 * 500);
    Rng rng(77);
    init_dense(w.data(), static_cast<double*>(nullptr), 800, 500, c.s, leaky, rng);
    EXPECT_NEAR(Measure(w).std, c.std, 0.02 * c.std) << init_name(c.s);
  }
}

// The draws are the Rng's, in the documented order: weight row-major, then
// (torch scheme) the bias. Recomputing them here pins the order.
TEST(Init, DrawOrderIsDocumented) {
  const Activation relu = Activation::make("relu");
  {
    std::vector<double> w(6 * 4), b(6);
    Rng rng(2024);
    init_dense(w.data(), b.data(), 6, 4, InitScheme::kHeNormal, relu, rng);
    Rng ref(2024);
    for (double v : w) EXPECT_EQ(v, ref.normal(0.0, std::sqrt(2.0) / std::sqrt(4.0)));
    // What the generator gives next is what the caller's rng gives next.
    EXPECT_EQ(rng.next(), ref.next());
  }
  {
    std::vector<double> w(6 * 4), b(6);
    Rng rng(2025);
    init_dense(w.data(), b.data(), 6, 4, InitScheme::kTorchDefault, relu, rng);
    Rng ref(2025);
    for (double v : w) EXPECT_EQ(v, ref.uniform(-0.5, 0.5));
    for (double v : b) EXPECT_EQ(v, ref.uniform(-0.5, 0.5));
  }
}

TEST(Init, DeterministicBySeed) {
  const Activation act = Activation::make("gelu");
  for (InitScheme s : kSchemes) {
    std::vector<double> a(50 * 30), b(50 * 30), c(50 * 30), ba(50), bb(50), bc(50);
    Rng r1(5), r2(5), r3(6);
    init_dense(a.data(), ba.data(), 50, 30, s, act, r1);
    init_dense(b.data(), bb.data(), 50, 30, s, act, r2);
    init_dense(c.data(), bc.data(), 50, 30, s, act, r3);
    EXPECT_EQ(a, b) << init_name(s);
    EXPECT_EQ(ba, bb) << init_name(s);
    EXPECT_NE(a, c) << init_name(s);
    // float draws the same numbers, rounded.
    std::vector<float> f(50 * 30), bf(50);
    Rng r4(5);
    init_dense(f.data(), bf.data(), 50, 30, s, act, r4);
    for (size_t k = 0; k < a.size(); ++k) ASSERT_EQ(f[k], static_cast<float>(a[k])) << init_name(s);
    for (size_t k = 0; k < ba.size(); ++k) ASSERT_EQ(bf[k], static_cast<float>(ba[k])) << init_name(s);
  }
}

using test::ErrorOf;

TEST(Init, Names) {
  for (InitScheme s : kSchemes) EXPECT_EQ(init_from_name(init_name(s)), s);
  EXPECT_EQ(init_from_name(init_name(InitScheme::kAuto)), InitScheme::kAuto);
  EXPECT_EQ(init_from_name("xavier"), InitScheme::kXavierUniform);
  EXPECT_EQ(init_from_name("glorot"), InitScheme::kXavierUniform);
  EXPECT_EQ(init_from_name("Xavier-Normal"), InitScheme::kXavierNormal);
  EXPECT_EQ(init_from_name("he"), InitScheme::kHeNormal);
  EXPECT_EQ(init_from_name("kaiming"), InitScheme::kHeNormal);
  EXPECT_EQ(init_from_name("he_uniform"), InitScheme::kHeUniform);
  EXPECT_EQ(init_from_name("lecun"), InitScheme::kLeCunNormal);
  EXPECT_EQ(init_from_name("lecun_uniform"), InitScheme::kLeCunUniform);
  EXPECT_EQ(init_from_name("torch"), InitScheme::kTorchDefault);
  EXPECT_EQ(init_from_name("naive"), InitScheme::kNaive);
  const std::string e = ErrorOf([] { init_from_name("orthogonal"); });
  EXPECT_NE(e.find("'orthogonal'"), std::string::npos) << e;
  for (InitScheme s : kSchemes) EXPECT_NE(e.find(init_name(s)), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(Init, BadArgumentsThrow) {
  const Activation relu = Activation::make("relu");
  std::vector<double> w(4), b(2);
  Rng rng(1);
  EXPECT_NE(ErrorOf([&] { init_dense(w.data(), b.data(), 0, 2, InitScheme::kHeNormal, relu, rng); }).find("empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { init_dense(w.data(), b.data(), 2, 0, InitScheme::kHeNormal, relu, rng); }).find("empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { init_dense(static_cast<double*>(nullptr), b.data(), 2, 2, InitScheme::kHeNormal, relu, rng); })
                .find("null"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { init_dense(w.data(), b.data(), 2, 2, static_cast<InitScheme>(42), relu, rng); })
                .find("InitScheme"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { calculate_gain(Activation{}); }).find("Activation::make"), std::string::npos);
  EXPECT_NE(ErrorOf([] { auto_init(Activation{}); }).find("Activation::make"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { init_dense(w.data(), b.data(), 2, 2, InitScheme::kAuto, Activation{}, rng); })
                .find("Activation::make"),
            std::string::npos);
}

}  // namespace
}  // namespace actlab
