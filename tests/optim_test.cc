// Optimizers, schedules and clipping (actlab/optim.h): updates computed by
// hand, a scalar transcription of torch's formulas compared bit for bit on
// every SIMD target, checkpoint round trips, schedule values at their turning
// points, clipping, and the validation messages. Trajectories against torch
// itself are in optim_torch_test.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "actlab/activation.h"
#include "tests/support/error_of.h"
#include "actlab/optim.h"
#include "hwy/targets.h"

// The reference below must round every product it does not fuse explicitly.
#pragma GCC optimize("fp-contract=off")

namespace actlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

OptimizerConfig Config(std::string kind, double lr) {
  OptimizerConfig c;
  c.kind = std::move(kind);
  c.lr = lr;
  return c;
}

// p after one step per gradient vector, from a fresh optimizer.
template <class T = double>
std::vector<T> Steps(const OptimizerConfig& c, std::vector<T> p, const std::vector<std::vector<T>>& grads,
                     double lr) {
  auto opt = make_optimizer<T>(c, p.size());
  for (const auto& g : grads) opt->step(p.data(), g.data(), lr);
  return p;
}

using test::ErrorOf;

// ---- updates by hand (dyadic values: every operation exact) -----------------

TEST(OptimSgd, PlainStepIsPMinusLrG) {
  EXPECT_EQ(Steps(Config("sgd", 0.5), {1.0, -2.0}, {{0.5, -0.25}}, 0.5), (std::vector<double>{0.75, -1.875}));
}

TEST(OptimSgd, MomentumBufferStartsAsTheGradientThenDampens) {
  OptimizerConfig c = Config("sgd", 0.5);
  c.momentum = 0.5;
  c.dampening = 0.5;
  // step 1: b = g = 0.5 (no dampening on the first step), p = 1 - 0.25.
  // step 2: b = 0.5 b + 0.5 g = 0.25 + 0.5 = 0.75, p = 0.75 - 0.375.
  EXPECT_EQ(Steps(c, {1.0}, {{0.5}}, 0.5), std::vector<double>{0.75});
  EXPECT_EQ(Steps(c, {1.0}, {{0.5}, {1.0}}, 0.5), std::vector<double>{0.375});
}

TEST(OptimSgd, Nesterov) {
  OptimizerConfig c = Config("sgd", 0.5);
  c.momentum = 0.5;
  c.nesterov = true;
  // step 1: b = 0.5, d = g + 0.5 b = 0.75, p = 1 - 0.375.
  // step 2: b = 0.25 + 1 = 1.25, d = 1 + 0.625 = 1.625, p = 0.625 - 0.8125.
  EXPECT_EQ(Steps(c, {1.0}, {{0.5}, {1.0}}, 0.5), std::vector<double>{-0.1875});
}

TEST(OptimSgd, WeightDecayAddsToTheGradient) {
  OptimizerConfig c = Config("sgd", 0.5);
  c.weight_decay = 0.25;
  // d = 0.5 + 0.25 * 1 = 0.75, p = 1 - 0.375.
  EXPECT_EQ(Steps(c, {1.0}, {{0.5}}, 0.5), std::vector<double>{0.625});
}

TEST(OptimSgd, LrComesFromTheCallNotTheConfig) {
  EXPECT_EQ(Steps(Config("sgd", 0.5), {1.0}, {{1.0}}, 0.25), std::vector<double>{0.75});
}

TEST(OptimAdam, FirstStepMovesByLrTimesTheSign) {
  // m = 0.1 g, v = 0.001 g^2, bias corrections 0.1 and 0.001: the step is
  // lr g / (|g| + eps), whatever |g|.
  const double lr = 0.1, eps = 1e-8;
  const std::vector<double> p = Steps(Config("adam", lr), {1.0, 1.0, 1.0}, {{0.5, -4.0, 1e-3}}, lr);
  EXPECT_NEAR(p[0], 1 - lr * 0.5 / (0.5 + eps), 1e-15);
  EXPECT_NEAR(p[1], 1 + lr * 4.0 / (4.0 + eps), 1e-15);
  EXPECT_NEAR(p[2], 1 - lr * 1e-3 / (1e-3 + eps), 1e-14);
}

TEST(OptimAdam, SecondStepUsesBothBiasCorrections) {
  OptimizerConfig c = Config("adam", 0.01);
  c.beta1 = 0.5;
  c.beta2 = 0.75;
  c.eps = 0.125;
  // m1 = 0.5 g1 = 1, v1 = 0.25 g1^2 = 1; m2 = 0.5 + 0.5*1 = 1, v2 = 0.75 + 0.25 = 1.
  // bc1 = 0.75, bc2 = 1 - 0.5625 = 0.4375: p2 = p1 - 0.01/0.75 / (1/sqrt(0.4375) + 0.125).
  const double p1 = 1 - 0.01 / 0.5 * 1 / (1 / std::sqrt(0.25) + 0.125);
  const double p2 = p1 - 0.01 / 0.75 * 1 / (1 / std::sqrt(0.4375) + 0.125);
  EXPECT_NEAR(Steps(c, {1.0}, {{2.0}, {1.0}}, 0.01)[0], p2, 1e-15);
}

TEST(OptimAdam, WeightDecayIsL2ButAdamWDecouplesIt) {
  OptimizerConfig adam = Config("adam", 0.1), adamw = Config("adamw", 0.1);
  adam.weight_decay = adamw.weight_decay = 0.5;
  // adam: g = 0.5 + 0.5 * 2 = 1.5, step lr * sign. adamw: p = 2 (1 - 0.05) = 1.9, then the step on g = 0.5.
  EXPECT_NEAR(Steps(adam, {2.0}, {{0.5}}, 0.1)[0], 2 - 0.1 * 1.5 / (1.5 + 1e-8), 1e-15);
  EXPECT_NEAR(Steps(adamw, {2.0}, {{0.5}}, 0.1)[0], 1.9 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-15);
}

TEST(OptimAdam, AdamWDefaultsToTorchsWeightDecay) {
  EXPECT_EQ(validated(Config("adamw", 0.1)).weight_decay, 1e-2);
  EXPECT_EQ(validated(Config("adam", 0.1)).weight_decay, 0.0);
  EXPECT_NEAR(Steps(Config("adamw", 0.1), {2.0}, {{0.5}}, 0.1)[0], 2 * (1 - 0.1 * 0.01) - 0.1 * 0.5 / (0.5 + 1e-8),
              1e-15);
  OptimizerConfig none = Config("adamw", 0.1);
  none.weight_decay = 0;  // an explicit 0 stays 0
  EXPECT_EQ(validated(none).weight_decay, 0.0);
}

TEST(OptimRmsprop, FirstStepDividesByTenTimesTheGradient) {
  // s = 0.01 g^2, so sqrt(s) = 0.1 |g|: p -= lr g / (0.1 |g| + eps).
  const std::vector<double> p = Steps(Config("rmsprop", 0.01), {1.0, 1.0}, {{0.5, -2.0}}, 0.01);
  EXPECT_NEAR(p[0], 1 - 0.01 * 0.5 / (0.1 * 0.5 + 1e-8), 1e-15);
  EXPECT_NEAR(p[1], 1 + 0.01 * 2.0 / (0.1 * 2.0 + 1e-8), 1e-15);
}

TEST(OptimRmsprop, CenteredSubtractsTheSquaredMeanAndMomentumAccumulates) {
  OptimizerConfig c = Config("rmsprop", 0.01);
  c.alpha = 0.5;
  c.centered = true;
  c.momentum = 0.5;
  c.eps = 0.25;
  // step 1, g = 2: s = 2, a = 1, r = sqrt(2 - 1) + 0.25 = 1.25, b = 2 / 1.25 = 1.6, p = 1 - 0.016.
  // step 2, g = 4: s = 1 + 8 = 9, a = 0.5 + 2 = 2.5, r = sqrt(9 - 6.25) + 0.25,
  //   b = 0.8 + 4 / r, p -= 0.01 b.
  const double r2 = std::sqrt(2.75) + 0.25;
  EXPECT_NEAR(Steps(c, {1.0}, {{2.0}, {4.0}}, 0.01)[0], 1 - 0.016 - 0.01 * (0.8 + 4 / r2), 1e-15);
}

TEST(OptimAdagrad, AccumulatesSquaresAndDecaysTheRate) {
  OptimizerConfig c = Config("adagrad", 0.5);
  c.lr_decay = 0.5;
  c.initial_accumulator = 5;
  c.eps = 0.25;
  // step 1, g = 2: S = 9, p = 1 - 0.5 * 2 / 3.25. step 2, g = 4: S = 25,
  // clr = 0.5 / (1 + 0.5), p -= clr * 4 / 5.25.
  const double p1 = 1 - 0.5 * 2 / 3.25;
  EXPECT_NEAR(Steps(c, {1.0}, {{2.0}, {4.0}}, 0.5)[0], p1 - 0.5 / 1.5 * 4 / 5.25, 1e-15);
  auto opt = make_optimizer<double>(c, 3);
  ASSERT_EQ(opt->state().size(), 1u);
  EXPECT_EQ(*opt->state()[0].second, (std::vector<double>{5, 5, 5}));  // initial_accumulator
}

// ---- a scalar transcription of torch's formulas, on every SIMD target --------

// torch's CPU kernels fuse add_(alpha) and addcmul_ on FMA hardware; targets
// without FMA round the product (see optim.h).
template <class T>
T MulAdd(bool fused, T a, T b, T c) {
  return fused ? std::fma(a, b, c) : a * b + c;
}

template <class T>
struct Reference {
  OptimizerConfig c;
  bool fused;
  size_t t = 0;
  std::vector<T> s0, s1, s2;

  Reference(const OptimizerConfig& config, size_t n, bool fuses) : c(validated(config)), fused(fuses) {
    s0.assign(n, c.kind == "adagrad" ? T(c.initial_accumulator) : T(0));
    s1.assign(n, 0);
    s2.assign(n, 0);
  }

  void Step(std::vector<T>& p, const std::vector<T>& grads, double lr) {
    ++t;
    const T wd = T(c.weight_decay), eps = T(c.eps);
    for (size_t i = 0; i < p.size(); ++i) {
      T g = grads[i];
      if (c.kind != "adamw" && c.weight_decay != 0) g = MulAdd(fused, wd, p[i], g);
      if (c.kind == "sgd") {
        if (c.momentum != 0) {
          s0[i] = t == 1 ? g : MulAdd(fused, T(1 - c.dampening), g, s0[i] * T(c.momentum));
          g = c.nesterov ? MulAdd(fused, T(c.momentum), s0[i], g) : s0[i];
        }
        p[i] = MulAdd(fused, T(-lr), g, p[i]);
      } else if (c.kind == "adam" || c.kind == "adamw") {
        if (c.kind == "adamw" && c.weight_decay != 0) p[i] = p[i] * T(1 - lr * c.weight_decay);
        s0[i] = MulAdd(fused, T(1 - c.beta1), g, s0[i] * T(c.beta1));
        s1[i] = MulAdd(fused, T(1 - c.beta2) * g, g, s1[i] * T(c.beta2));
        const double bc1 = 1 - std::pow(c.beta1, double(t)), bc2 = 1 - std::pow(c.beta2, double(t));
        const T denom = std::sqrt(s1[i]) / T(std::sqrt(bc2)) + eps;
        p[i] = p[i] + T(-(lr / bc1)) * s0[i] / denom;
      } else if (c.kind == "rmsprop") {
        const T alpha = T(c.alpha), ca = T(1 - c.alpha);
        s0[i] = MulAdd(fused, ca * g, g, s0[i] * alpha);
        T r = s0[i];
        if (c.centered) {
          s2[i] = MulAdd(fused, ca, g, s2[i] * alpha);
          r = MulAdd(fused, -s2[i], s2[i], r);
        }
        r = std::sqrt(r) + eps;
        if (c.momentum > 0) {
          s1[i] = s1[i] * T(c.momentum) + g / r;
          p[i] = MulAdd(fused, T(-lr), s1[i], p[i]);
        } else {
          p[i] = p[i] + T(-lr) * g / r;
        }
      } else {  // adagrad
        s0[i] = MulAdd(fused, g, g, s0[i]);
        const T clr = T(-(lr / (1 + double(t - 1) * c.lr_decay)));
        p[i] = p[i] + clr * g / (std::sqrt(s0[i]) + eps);
      }
    }
  }
};

std::vector<OptimizerConfig> AllConfigs() {
  std::vector<OptimizerConfig> out;
  auto add = [&](OptimizerConfig c) { out.push_back(std::move(c)); };
  OptimizerConfig c = Config("sgd", 0.05);
  add(c);
  c.weight_decay = 0.01;
  c.momentum = 0.9;
  add(c);
  c.dampening = 0.3;
  add(c);
  c.dampening = 0;
  c.nesterov = true;
  add(c);
  c = Config("adam", 0.01);
  add(c);
  c.weight_decay = 0.02;
  c.beta1 = 0.8;
  add(c);
  c = Config("adamw", 0.01);
  add(c);
  c.weight_decay = 0;
  add(c);
  c = Config("rmsprop", 0.01);
  add(c);
  c.momentum = 0.5;
  add(c);
  c.centered = true;
  c.weight_decay = 0.01;
  add(c);
  c.momentum = 0;
  add(c);
  c = Config("adagrad", 0.1);
  add(c);
  c.lr_decay = 0.1;
  c.initial_accumulator = 0.5;
  c.weight_decay = 0.01;
  add(c);
  return out;
}

std::string Describe(const OptimizerConfig& config) {
  const OptimizerConfig c = validated(config);
  return c.kind + " momentum " + std::to_string(c.momentum) + " dampening " + std::to_string(c.dampening) +
         (c.nesterov ? " nesterov" : "") + (c.centered ? " centered" : "") + " wd " +
         std::to_string(c.weight_decay) + " lr_decay " + std::to_string(c.lr_decay);
}

// Deterministic inputs of either sign and a spread of magnitudes.
template <class T>
std::vector<T> Wave(size_t n, double phase, double scale) {
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = T(scale * std::sin(1.7 * double(i) + phase) * (1 + double(i % 5)));
  return v;
}

// Bitwise equality (NaN payloads, signed zeros), unlike ==.
template <class T>
bool SameBits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

bool TargetFuses(int64_t target) {
  // x86: AVX2 and every AVX-512 target have FMA; SSE4, EMU128, SCALAR do not.
  return std::string_view(hwy::TargetName(target)).starts_with("AVX");
}

template <class T>
void ExpectMatchesReferenceOnEveryTarget() {
  hwy::SetSupportedTargetsForTest(0);
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  for (int64_t target : targets) {
    force_target(hwy::TargetName(target));
    for (const OptimizerConfig& c : AllConfigs())
      for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{16}, size_t{37}, size_t{130}}) {
        auto opt = make_optimizer<T>(c, n);
        Reference<T> ref(c, n, TargetFuses(target));
        std::vector<T> p = Wave<T>(n, 0.3, 1.0), q = p;
        for (int step = 0; step < 6; ++step) {
          const std::vector<T> g = Wave<T>(n, 0.7 * step, 0.5);
          const double lr = c.lr * (1 + 0.1 * step);
          opt->step(p.data(), g.data(), lr);
          ref.Step(q, g, lr);
        }
        ASSERT_TRUE(SameBits(p, q))
            << Describe(c) << " n " << n << " on " << hwy::TargetName(target);
        EXPECT_EQ(opt->steps, 6u);
      }
  }
  force_target("");
}

TEST(OptimAllTargets, FloatUpdatesAreTorchsFormulaBitForBit) { ExpectMatchesReferenceOnEveryTarget<float>(); }
TEST(OptimAllTargets, DoubleUpdatesAreTorchsFormulaBitForBit) { ExpectMatchesReferenceOnEveryTarget<double>(); }

// ---- state: names, and a checkpoint round trip resumes bit for bit ------------

std::vector<std::string> StateNames(const OptimizerConfig& c) {
  auto opt = make_optimizer<float>(c, 4);
  std::vector<std::string> names;
  for (const auto& [name, buf] : opt->state()) {
    names.push_back(name);
    EXPECT_EQ(buf->size(), 4u) << name;
  }
  return names;
}

TEST(OptimState, NamesFollowTorch) {
  using V = std::vector<std::string>;
  OptimizerConfig c = Config("sgd", 0.1);
  EXPECT_EQ(StateNames(c), V{});
  c.momentum = 0.9;
  EXPECT_EQ(StateNames(c), V{"momentum_buffer"});
  EXPECT_EQ(StateNames(Config("adam", 0.1)), (V{"exp_avg", "exp_avg_sq"}));
  EXPECT_EQ(StateNames(Config("adamw", 0.1)), (V{"exp_avg", "exp_avg_sq"}));
  c = Config("rmsprop", 0.1);
  EXPECT_EQ(StateNames(c), V{"square_avg"});
  c.momentum = 0.5;
  c.centered = true;
  EXPECT_EQ(StateNames(c), (V{"square_avg", "momentum_buffer", "grad_avg"}));
  EXPECT_EQ(StateNames(Config("adagrad", 0.1)), V{"sum"});
}

template <class T>
void ExpectRoundTripResumes(const OptimizerConfig& c) {
  const size_t n = 23;
  auto run = [&](Optimizer<T>& opt, std::vector<T>& p, int from, int to) {
    for (int step = from; step < to; ++step) {
      const std::vector<T> g = Wave<T>(n, 0.9 * step, 0.5);
      opt.step(p.data(), g.data(), c.lr / (1 + step));
    }
  };
  auto straight = make_optimizer<T>(c, n);
  std::vector<T> p_straight = Wave<T>(n, 0.1, 1.0);
  run(*straight, p_straight, 0, 8);

  auto before = make_optimizer<T>(c, n);
  std::vector<T> p = Wave<T>(n, 0.1, 1.0);
  run(*before, p, 0, 3);
  // The checkpoint: copies of the buffers and the step count, nothing else.
  std::vector<std::vector<T>> saved;
  for (const auto& [name, buf] : before->state()) saved.push_back(*buf);
  const size_t steps = before->steps;
  before.reset();

  auto after = make_optimizer<T>(c, n);
  auto state = after->state();
  ASSERT_EQ(state.size(), saved.size());
  for (size_t k = 0; k < saved.size(); ++k) *state[k].second = saved[k];
  after->steps = steps;
  run(*after, p, 3, 8);

  EXPECT_TRUE(SameBits(p, p_straight)) << Describe(c);
  auto a = after->state(), b = straight->state();
  for (size_t k = 0; k < a.size(); ++k)
    EXPECT_TRUE(SameBits(*a[k].second, *b[k].second)) << Describe(c) << " " << a[k].first;
  EXPECT_EQ(after->steps, 8u);
}

TEST(OptimState, RoundTripResumesBitForBit) {
  for (const OptimizerConfig& c : AllConfigs()) {
    ExpectRoundTripResumes<float>(c);
    ExpectRoundTripResumes<double>(c);
  }
}

TEST(OptimState, ForgettingTheStepCountChangesTheResult) {
  // The round trip needs `steps`: sgd's first-step rule and adam's bias
  // corrections read it. (Guards the test above against passing vacuously.)
  OptimizerConfig c = Config("adam", 0.1);
  auto a = make_optimizer<double>(c, 1), b = make_optimizer<double>(c, 1);
  std::vector<double> p = {1}, q = {1}, g = {0.5};
  a->step(p.data(), g.data(), 0.1);
  a->step(p.data(), g.data(), 0.1);
  b->step(q.data(), g.data(), 0.1);
  b->steps = 0;
  b->step(q.data(), g.data(), 0.1);
  EXPECT_NE(p[0], q[0]);
}

TEST(OptimState, ResizedBufferIsAnError) {
  auto opt = make_optimizer<float>(Config("adam", 0.1), 4);
  opt->state()[1].second->resize(3);
  std::vector<float> p(4), g(4);
  EXPECT_EQ(ErrorOf([&] { opt->step(p.data(), g.data(), 0.1); }),
            "optimizer state 'exp_avg_sq': has 3 values, not the optimizer's 4; restore buffers of the parameters' size");
}

TEST(OptimStep, RejectsABadLearningRate) {
  auto opt = make_optimizer<double>(Config("sgd", 0.1), 1);
  std::vector<double> p = {1}, g = {1};
  for (double lr : {-0.1, kNaN, kInf})
    EXPECT_NE(ErrorOf([&] { opt->step(p.data(), g.data(), lr); }).find("optimizer step: learning rate"),
              std::string::npos);
  EXPECT_EQ(p[0], 1.0);
  EXPECT_EQ(opt->steps, 0u);
  opt->step(p.data(), g.data(), 0.0);  // lr 0 is a valid (no-op) step
  EXPECT_EQ(p[0], 1.0);
  EXPECT_EQ(opt->steps, 1u);
}

// ---- schedules ------------------------------------------------------------------

ScheduleConfig Schedule(std::string kind, size_t warmup = 0) {
  ScheduleConfig s;
  s.kind = std::move(kind);
  s.warmup_steps = warmup;
  return s;
}

TEST(OptimSchedule, ConstantWithLinearWarmup) {
  const ScheduleConfig s = Schedule("constant", 4);
  // 1/4 + (3/4) t / 4: 0.25, 0.4375, 0.625, 0.8125, then 1.
  const double want[] = {0.25, 0.4375, 0.625, 0.8125, 1, 1};
  for (size_t t = 0; t < 6; ++t) EXPECT_DOUBLE_EQ(scheduled_lr(s, 0.5, t, 10, 100), 0.5 * want[t]) << t;
  EXPECT_EQ(scheduled_lr(Schedule("constant"), 0.5, 0, 10, 100), 0.5);
  EXPECT_EQ(scheduled_lr(Schedule("constant", 1), 0.5, 0, 10, 100), 0.5);  // 1 warm-up step starts at 1/1
}

TEST(OptimSchedule, StepDecaysEveryStepSizeEpochs) {
  ScheduleConfig s = Schedule("step");
  s.step_size = 2;
  s.gamma = 0.5;
  // 10 steps per epoch: epochs 0-1 full rate, 2-3 half, 4-5 quarter.
  EXPECT_EQ(scheduled_lr(s, 0.8, 0, 10, 100), 0.8);
  EXPECT_EQ(scheduled_lr(s, 0.8, 19, 10, 100), 0.8);
  EXPECT_EQ(scheduled_lr(s, 0.8, 20, 10, 100), 0.4);
  EXPECT_EQ(scheduled_lr(s, 0.8, 39, 10, 100), 0.4);
  EXPECT_EQ(scheduled_lr(s, 0.8, 40, 10, 100), 0.2);
  s.warmup_steps = 2;  // warm-up multiplies: epochs count from the start
  EXPECT_EQ(scheduled_lr(s, 0.8, 0, 10, 100), 0.4);
  EXPECT_EQ(scheduled_lr(s, 0.8, 2, 10, 100), 0.8);
  EXPECT_EQ(scheduled_lr(s, 0.8, 20, 10, 100), 0.4);
}

TEST(OptimSchedule, CosineAnnealsAfterTheWarmup) {
  ScheduleConfig s = Schedule("cosine");
  s.min_lr = 0.1;
  EXPECT_EQ(scheduled_lr(s, 1.0, 0, 10, 100), 1.0);
  EXPECT_NEAR(scheduled_lr(s, 1.0, 50, 10, 100), 0.55, 1e-15);  // halfway: (1 + 0.1) / 2
  EXPECT_NEAR(scheduled_lr(s, 1.0, 25, 10, 100), 0.1 + 0.9 * (1 + std::sqrt(0.5)) / 2, 1e-15);
  EXPECT_NEAR(scheduled_lr(s, 1.0, 99, 10, 100), 0.1 + 0.9 * (1 + std::cos(std::numbers::pi * 0.99)) / 2, 1e-15);
  EXPECT_EQ(scheduled_lr(s, 1.0, 100, 10, 100), 0.1);  // past the end: stays at min_lr
  EXPECT_EQ(scheduled_lr(s, 1.0, 500, 10, 100), 0.1);
  s.warmup_steps = 20;  // warm-up over 0..19, cosine over the 80 steps after
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 1.0, 0, 10, 100), 1.0 / 20);
  EXPECT_EQ(scheduled_lr(s, 1.0, 20, 10, 100), 1.0);
  EXPECT_NEAR(scheduled_lr(s, 1.0, 60, 10, 100), 0.55, 1e-15);
}

TEST(OptimSchedule, RunShapeErrors) {
  ScheduleConfig s = Schedule("step");
  s.step_size = 1;
  EXPECT_EQ(ErrorOf([&] { scheduled_lr(s, 0.1, 0, 0, 100); }),
            "step schedule: steps per epoch is 0; give the number of batches per epoch");
  EXPECT_EQ(ErrorOf([&] { scheduled_lr(Schedule("cosine", 100), 0.1, 0, 10, 100); }),
            "--warmup: 100 leaves none of the run's 100 steps to the cosine schedule; use fewer warm-up steps");
  EXPECT_EQ(ErrorOf([&] { scheduled_lr(Schedule("constant"), -1, 0, 10, 100); }),
            "--lr: must be finite and > 0 (got -1); e.g. --lr 0.01");
}

// ---- clipping -----------------------------------------------------------------

TEST(OptimClip, NormScalesByMaxNormOverNormPlusEpsilon) {
  std::vector<double> g = {3, -4};
  EXPECT_EQ(clip_grad_norm(g.data(), 2, 1.0), 5.0);
  EXPECT_EQ(g[0], 3 * (1 / (5 + 1e-6)));
  EXPECT_EQ(g[1], -4 * (1 / (5 + 1e-6)));
  std::vector<float> f = {3, -4};
  EXPECT_EQ(clip_grad_norm(f.data(), 2, 2.5), 5.0);
  EXPECT_EQ(f[0], 3 * float(2.5 / (5 + 1e-6)));
}

TEST(OptimClip, NormBelowTheLimitLeavesGradientsAlone) {
  std::vector<float> g = {3, -4};
  EXPECT_EQ(clip_grad_norm(g.data(), 2, 5.0), 5.0);  // 5 / (5 + 1e-6) < 1 still clips, slightly
  EXPECT_LT(g[0], 3.0f);
  g = {3, -4};
  EXPECT_EQ(clip_grad_norm(g.data(), 2, 5.00001), 5.0);
  EXPECT_EQ(g, (std::vector<float>{3, -4}));
}

TEST(OptimClip, NormOfManyValuesIsSummedInDouble) {
  // 100003 values of 0.1f: a float running sum would drift by ~1e-4; the
  // double sum is exact to ~1e-12.
  std::vector<float> g(100003, 0.1f);
  const double want = std::sqrt(100003.0 * double(0.1f) * double(0.1f));
  EXPECT_NEAR(clip_grad_norm(g.data(), g.size(), 1e9), want, want * 1e-12);
  EXPECT_EQ(clip_grad_norm<float>(nullptr, 0, 1.0), 0.0);
}

TEST(OptimClip, NonFiniteNormIsReturnedAndGradientsAreUntouched) {
  std::vector<double> g = {kNaN, 1};
  EXPECT_TRUE(std::isnan(clip_grad_norm(g.data(), 2, 1.0)));
  EXPECT_EQ(g[1], 1.0);
  g = {kInf, 1};
  EXPECT_EQ(clip_grad_norm(g.data(), 2, 1.0), kInf);
  EXPECT_EQ(g[0], kInf);
  EXPECT_EQ(g[1], 1.0);
}

TEST(OptimClip, ValueClampsAndKeepsNaN) {
  for (size_t n : {4, 21}) {
    std::vector<float> g(n, 0.25f);
    g[0] = -3;
    g[1] = 2;
    g[2] = NAN;
    g[n - 1] = 7;
    clip_grad_value(g.data(), n, 1.0);
    EXPECT_EQ(g[0], -1.0f);
    EXPECT_EQ(g[1], 1.0f);
    EXPECT_TRUE(std::isnan(g[2]));
    EXPECT_EQ(g[n - 1], 1.0f) << n;
    if (n > 4) {
      EXPECT_EQ(g[3], 0.25f);
    }
  }
}

TEST(OptimClip, ValueBeyondFloatRangeClampsNothing) {
  std::vector<float> g = {INFINITY, 5, -INFINITY};
  clip_grad_value(g.data(), 3, 1e300);
  EXPECT_EQ(g, (std::vector<float>{INFINITY, 5, -INFINITY}));
  std::vector<double> d = {kInf, 5};
  clip_grad_value(d.data(), 2, 1e300);
  EXPECT_EQ(d, (std::vector<double>{1e300, 5}));
}

TEST(OptimClip, Errors) {
  std::vector<double> g = {1};
  EXPECT_EQ(ErrorOf([&] { clip_grad_norm(g.data(), 1, 0.0); }),
            "--clip-norm: must be finite and > 0 (got 0); e.g. --clip-norm 1");
  EXPECT_NE(ErrorOf([&] { clip_grad_norm(g.data(), 1, kNaN); }).find("(got nan)"), std::string::npos);
  EXPECT_EQ(ErrorOf([&] { clip_grad_value(g.data(), 1, -1.0); }),
            "--clip-value: must be finite and > 0 (got -1); e.g. --clip-value 1");
}

// ---- validation -----------------------------------------------------------------

std::string OptimizerError(const std::function<void(OptimizerConfig&)>& edit, std::string kind = "sgd") {
  OptimizerConfig c = Config(std::move(kind), 0.01);
  edit(c);
  return ErrorOf([&] { validated(c); });
}

TEST(OptimValidate, FillsTorchDefaults) {
  EXPECT_EQ(validated(Config("adam", 0.1)).eps, 1e-8);
  EXPECT_EQ(validated(Config("adamw", 0.1)).eps, 1e-8);
  EXPECT_EQ(validated(Config("rmsprop", 0.1)).eps, 1e-8);
  EXPECT_EQ(validated(Config("adagrad", 0.1)).eps, 1e-10);
  EXPECT_EQ(validated(Config("sgd", 0.1)).weight_decay, 0.0);
  EXPECT_EQ(validated(Config("ADAM", 0.1)).kind, "adam");
  EXPECT_EQ(make_optimizer<float>(Config("adamw", 0.1), 2)->config().weight_decay, 1e-2);
}

TEST(OptimValidate, RangesNameTheFlag) {
  EXPECT_EQ(OptimizerError([](auto& c) { c.lr = -1; }), "--lr: must be finite and > 0 (got -1); e.g. --lr 0.01");
  EXPECT_EQ(OptimizerError([](auto& c) { c.lr = kNaN; }), "--lr: must be finite and > 0 (got nan); e.g. --lr 0.01");
  EXPECT_EQ(OptimizerError([](auto& c) { c.momentum = 1; }),
            "--momentum: must be in [0, 1) (got 1); e.g. --momentum 0.9");
  EXPECT_EQ(OptimizerError([](auto& c) { c.dampening = -0.5; }),
            "--dampening: must be in [0, 1] (got -0.5); e.g. --dampening 0");
  EXPECT_EQ(OptimizerError([](auto& c) { c.weight_decay = kInf; }),
            "--weight-decay: must be finite and >= 0 (got inf); e.g. --weight-decay 1e-4, or 0 for none");
  EXPECT_EQ(OptimizerError([](auto& c) { c.beta2 = 1; }, "adam"),
            "--beta2: must be in [0, 1) (got 1); e.g. --beta2 0.999");
  EXPECT_EQ(OptimizerError([](auto& c) { c.beta1 = kNaN; }, "adamw"),
            "--beta1: must be in [0, 1) (got nan); e.g. --beta1 0.9");
  EXPECT_EQ(OptimizerError([](auto& c) { c.eps = 0; }, "adam"), "--eps: must be finite and > 0 (got 0); e.g. --eps 1e-8");
  EXPECT_EQ(OptimizerError([](auto& c) { c.alpha = 1.5; }, "rmsprop"),
            "--alpha: must be in [0, 1) (got 1.5); e.g. --alpha 0.99");
  EXPECT_EQ(OptimizerError([](auto& c) { c.lr_decay = -1; }, "adagrad"),
            "--lr-decay: must be finite and >= 0 (got -1); e.g. --lr-decay 0");
  EXPECT_EQ(OptimizerError([](auto& c) { c.initial_accumulator = -0.1; }, "adagrad"),
            "--initial-accumulator: must be finite and >= 0 (got -0.1); e.g. --initial-accumulator 0.1");
}

TEST(OptimValidate, NesterovNeedsMomentumAndNoDampening) {
  const std::string fix = "; add --momentum 0.9 and drop --dampening, or drop --nesterov";
  EXPECT_EQ(OptimizerError([](auto& c) { c.nesterov = true; }),
            "--nesterov: needs --momentum > 0 and dampening 0 (torch's rule; got momentum 0, dampening 0)" + fix);
  EXPECT_EQ(OptimizerError([](auto& c) {
              c.nesterov = true;
              c.momentum = 0.9;
              c.dampening = 0.1;
            }),
            "--nesterov: needs --momentum > 0 and dampening 0 (torch's rule; got momentum 0.9, dampening 0.1)" + fix);
}

TEST(OptimValidate, FlagsTheOptimizerIgnoresAreRejected) {
  EXPECT_EQ(OptimizerError([](auto& c) { c.momentum = 0.9; }, "adam"),
            "--momentum: not used by adam (only by sgd, rmsprop); drop it");
  EXPECT_EQ(OptimizerError([](auto& c) { c.eps = 1e-6; }, "sgd"),
            "--eps: not used by sgd (only by adam, adamw, rmsprop, adagrad); drop it");
  EXPECT_EQ(OptimizerError([](auto& c) { c.centered = true; }, "adagrad"),
            "--centered: not used by adagrad (only by rmsprop); drop it");
  EXPECT_EQ(OptimizerError([](auto& c) { c.beta1 = 0.8; }, "rmsprop"),
            "--beta1: not used by rmsprop (only by adam, adamw); drop it");
}

TEST(OptimValidate, UnknownKindSuggestsTheNearest) {
  EXPECT_EQ(OptimizerError([](auto& c) { c.kind = "adm"; }),
            "--optimizer: unknown optimizer 'adm'; did you mean adam? (one of sgd, adam, adamw, rmsprop, adagrad)");
  EXPECT_EQ(OptimizerError([](auto& c) { c.kind = "rmsprob"; }),
            "--optimizer: unknown optimizer 'rmsprob'; did you mean rmsprop? (one of sgd, adam, adamw, rmsprop, "
            "adagrad)");
  EXPECT_EQ(OptimizerError([](auto& c) { c.kind = "lbfgs-with-line-search"; }),
            "--optimizer: unknown optimizer 'lbfgs-with-line-search'; use one of sgd, adam, adamw, rmsprop, adagrad");
  EXPECT_THROW(make_optimizer<float>(Config("adm", 0.1), 3), Error);
}

TEST(OptimValidate, Schedules) {
  EXPECT_EQ(validated(Schedule("Cosine")).kind, "cosine");
  EXPECT_EQ(ErrorOf([] { validated(Schedule("cosin")); }),
            "--schedule: unknown schedule 'cosin'; did you mean cosine? (one of constant, step, cosine)");
  EXPECT_EQ(ErrorOf([] { validated(Schedule("step")); }),
            "--step-size: must be >= 1 for --schedule step (got 0); e.g. --step-size 10");
  ScheduleConfig s = Schedule("step");
  s.step_size = 3;
  s.gamma = 0;
  EXPECT_EQ(ErrorOf([&] { validated(s); }), "--gamma: must be in (0, 1] (got 0); e.g. --gamma 0.1");
  s.gamma = 1.5;
  EXPECT_EQ(ErrorOf([&] { validated(s); }), "--gamma: must be in (0, 1] (got 1.5); e.g. --gamma 0.1");
  s = Schedule("cosine");
  s.min_lr = -1e-3;
  EXPECT_EQ(ErrorOf([&] { validated(s); }), "--min-lr: must be finite and >= 0 (got -0.001); e.g. --min-lr 0");
  s = Schedule("cosine");
  s.gamma = 0.5;
  EXPECT_EQ(ErrorOf([&] { validated(s); }), "--gamma: only used by --schedule step (got --schedule cosine); drop it");
  s = Schedule("constant");
  s.min_lr = 0.01;
  EXPECT_EQ(ErrorOf([&] { validated(s); }),
            "--min-lr: only used by --schedule cosine (got --schedule constant); drop it");
}

}  // namespace
}  // namespace actlab
