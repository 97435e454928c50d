// Diagnostics math on hand-made tensors: moments, histogram, norms, update
// ratio, derivative profiles, saturation, dead units, the observer's records
// and the findings' thresholds.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "actlab/diagnostics.h"

namespace actlab::diag {
namespace {

TEST(DiagStats, MomentsSkipNonFinite) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double x[] = {1, 2, 3, 4, nan, INFINITY};
  const Moments m = moments(x, 6);
  EXPECT_EQ(m.count, 4u);
  EXPECT_EQ(m.nonfinite, 2u);
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_DOUBLE_EQ(m.std, std::sqrt(1.25));  // population std of 1..4
  EXPECT_EQ(m.min, 1);
  EXPECT_EQ(m.max, 4);
}

TEST(DiagStats, MomentsKeepDigitsFarFromZero) {
  // 1e4 + {-1, +1} in float: a one-pass E[x^2] - E[x]^2 gives 0 or garbage.
  const float x[] = {9999.f, 10001.f, 9999.f, 10001.f};
  const Moments m = moments(x, 4);
  EXPECT_DOUBLE_EQ(m.mean, 10000.0);
  EXPECT_DOUBLE_EQ(m.std, 1.0);
}

TEST(DiagStats, HistogramBinsAndEdges) {
  double x[10];
  for (int i = 0; i < 10; ++i) x[i] = i;
  // [0, 9] in 5 bins of 1.8: {0,1} {2,3} {4,5} {6,7} {8,9}; 9 == hi goes in the last.
  const Histogram h = histogram(x, 10, 5);
  EXPECT_EQ(h.lo, 0);
  EXPECT_EQ(h.hi, 9);
  EXPECT_EQ(h.counts, (std::vector<uint64_t>{2, 2, 2, 2, 2}));
  const float c[] = {3, 3, 3, NAN};
  const Histogram hc = histogram(c, 4, 32);
  EXPECT_EQ(hc.counts.size(), 32u);
  EXPECT_EQ(hc.counts[0], 3u);  // one value: everything in bin 0, NaN left out
  EXPECT_EQ(hc.lo, 3);
  EXPECT_EQ(hc.hi, 3);
  EXPECT_THROW(histogram(c, 4, 0), Error);
}

TEST(DiagStats, NormAndUpdateRatio) {
  const float w[] = {3, 4}, w2[] = {3, 4.5f}, z[] = {0, 0};
  EXPECT_DOUBLE_EQ(l2_norm(w, 2), 5.0);
  EXPECT_DOUBLE_EQ(update_ratio(w, w2, 2), 0.1);  // ||(0, 0.5)|| / ||(3, 4)||
  EXPECT_EQ(update_ratio(w, w, 2), 0.0);
  EXPECT_EQ(update_ratio(z, z, 2), 0.0);
  EXPECT_TRUE(std::isinf(update_ratio(z, w, 2)));
}

TEST(DiagStats, DerivativeProfiles) {
  const DerivativeProfile s = derivative_profile(Activation::make("sigmoid"));
  EXPECT_NEAR(s.peak, 0.25, 1e-12);
  EXPECT_FALSE(s.zero_region);
  EXPECT_TRUE(s.elementwise);
  EXPECT_NEAR(derivative_profile(Activation::make("tanh")).peak, 1.0, 1e-12);
  const DerivativeProfile r = derivative_profile(Activation::make("relu"));
  EXPECT_TRUE(r.zero_region);
  EXPECT_EQ(r.peak, 1.0);
  EXPECT_TRUE(derivative_profile(Activation::make("hardtanh")).zero_region);
  EXPECT_FALSE(derivative_profile(Activation::make("leaky_relu")).zero_region);
  EXPECT_FALSE(derivative_profile(Activation::make("softmax")).elementwise);
}

TEST(DiagStats, RectifiersPassGradientOnlyOnThePositiveSide) {
  for (const char* name : {"relu", "leaky_relu", "elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "mish",
                           "softplus", "hardswish"})
    EXPECT_TRUE(derivative_profile(Activation::make(name)).rectifier) << name;
  // Bounded (f' -> 0 on both sides), linear on both sides, flat above 6, or a
  // negative slope of a quarter: not rectifiers.
  for (const char* name : {"sigmoid", "tanh", "softsign", "identity", "relu6", "hardtanh", "prelu", "logsigmoid",
                           "softshrink", "step"})
    EXPECT_FALSE(derivative_profile(Activation::make(name)).rectifier) << name;
}

TEST(DiagStats, LeakyReluSlopeIsNotSaturation) {
  // leaky_relu's 0.01 is exactly 1% of its peak: a fixed slope, not saturation,
  // in float32 (0.0099999998) as in float64. A slope of 0.001 is below it.
  const Activation leaky = Activation::make("leaky_relu");
  const double peak = derivative_profile(leaky).peak;
  const float xf[] = {-5, -1, 2, -100};
  std::vector<float> sf;
  EXPECT_EQ(saturated_fraction(leaky, xf, 4, peak, sf), 0.0);
  const double xd[] = {-5, -1, 2, -100};
  std::vector<double> sd;
  EXPECT_EQ(saturated_fraction(leaky, xd, 4, peak, sd), 0.0);
  const std::pair<std::string, double> slope[] = {{"negative_slope", 0.001}};
  const Activation tiny_slope = Activation::make("leaky_relu", slope);
  EXPECT_DOUBLE_EQ(saturated_fraction(tiny_slope, xd, 4, peak, sd), 3.0 / 4);
  // elu's negative side does saturate: e^x < 0.01 <=> x < -4.6.
  const double xe[] = {-4.5, -4.7, -50, 1};
  EXPECT_DOUBLE_EQ(saturated_fraction(Activation::make("elu"), xe, 4, 1.0, sd), 2.0 / 4);
}

TEST(DiagStats, OffUnitsAreNeverPositive) {
  // Unit 0 is <= 0 on every row (0 itself is not positive), unit 1 once
  // positive, unit 2 NaN then negative: off, since NaN is not positive.
  const float x[] = {-1, -2, NAN,  //
                     0, 0.5f, -1};
  std::vector<uint8_t> positive;
  const double off = mark_positive(x, 2, 3, positive);
  EXPECT_EQ(positive, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_DOUBLE_EQ(off, 4.0 / 6);  // the NaN counts as neither
  const float y[] = {3, -1, -1};
  mark_positive(y, 1, 3, positive);
  EXPECT_EQ(positive, (std::vector<uint8_t>{1, 1, 0}));
}

TEST(DiagStats, SaturationIsOnePercentOfThePeakDerivative) {
  std::vector<double> scratch;
  // sigmoid'(x) < 0.0025 <=> |x| > 6.9: 5 is not saturated (0.0066), 7, -8, 100 are.
  const double xs[] = {0, 5, 7, -8, 100};
  EXPECT_DOUBLE_EQ(saturated_fraction(Activation::make("sigmoid"), xs, 5, 0.25, scratch), 3.0 / 5);
  // tanh'(x) < 0.01 <=> |x| > 2.993: 2.9 (0.0121) is not, 3.0 (0.00987) is.
  const float xt[] = {2.9f, -3.0f};
  std::vector<float> sf;
  EXPECT_DOUBLE_EQ(saturated_fraction(Activation::make("tanh"), xt, 2, 1.0, sf), 0.5);
}

TEST(DiagStats, DeadUnitsNeedEveryRowInactive) {
  // 3 rows x 3 units: unit 0 negative everywhere, unit 1 positive in one
  // row, unit 2 exactly 0 (relu'(0) = 0, PyTorch's convention).
  const float x[] = {-1, -2, 0,  //
                     -3, 0.5f, 0,  //
                     -0.1f, -1, 0};
  std::vector<uint8_t> active;
  std::vector<float> scratch;
  const double zero = mark_active(Activation::make("relu"), x, 3, 3, active, scratch);
  EXPECT_EQ(active, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_DOUBLE_EQ(zero, 8.0 / 9);
  // A second batch only adds activity.
  const float y[] = {1, -1, -1};
  mark_active(Activation::make("relu"), y, 1, 3, active, scratch);
  EXPECT_EQ(active, (std::vector<uint8_t>{1, 1, 0}));
}

// 2 -> dense 3 -> relu -> dense 1, weights by hand: unit 2 of the hidden
// layer has zero weights and bias -1, so it is dead on every row.
Model<double> tiny(const std::string& activation = "relu") {
  LayerSpec d1, a, d2;
  d1.kind = "dense";
  d1.units = 3;
  a.kind = "activation";
  a.activation = activation;
  d2.kind = "dense";
  d2.units = 1;
  Model<double> m(2, {d1, a, d2});
  for (auto& p : m.named_parameters()) {
    const size_t n = p.rows * p.cols;
    for (size_t i = 0; i < n; ++i) p.value[i] = 0;
    if (p.name == "0.weight") {  // out x in: unit 0 = x0, unit 1 = x1
      p.value[0 * 2 + 0] = 1;
      p.value[1 * 2 + 1] = 1;
    }
    if (p.name == "0.bias") p.value[2] = -1;
    if (p.name == "2.weight")
      for (size_t i = 0; i < n; ++i) p.value[i] = 1;
  }
  return m;
}

double* param(Model<double>& m, const std::string& name) {
  for (auto& p : m.named_parameters())
    if (p.name == name) return p.value;
  return nullptr;
}

TEST(DiagObserver, RecordsLayerFiguresAndUpdateRatio) {
  Model<double> m = tiny();
  Tensor<double> x(3, 2), dout(3, 1);
  const double rows[3][2] = {{1, 1}, {2, -1}, {-1, 2}};
  for (size_t r = 0; r < 3; ++r) {
    x(r, 0) = rows[r][0];
    x(r, 1) = rows[r][1];
    dout(r, 0) = 1;
  }
  Observer<double> obs(2);
  m.forward(x, Mode::kTrain, 0);
  m.backward(dout);
  obs.after_backward(m, 0, 1);
  double* w = param(m, "0.weight");
  for (size_t i = 0; i < 6; ++i) w[i] *= 1.1;  // ||dW|| / ||W|| = 0.1
  obs.after_update(m, 0, 0.01);
  obs.after_backward(m, 1, 1);  // step 1: not a record (every 2)
  obs.after_update(m, 1, 0.01);
  obs.end_epoch(m, EpochRecord{});

  const Report& r = obs.report();
  ASSERT_EQ(r.steps.size(), 1u);
  ASSERT_EQ(r.layers.size(), 3u);
  EXPECT_EQ(r.layers[0].weight, "0.weight");
  EXPECT_EQ(r.layers[1].activation, "relu");
  const StepRecord& s = r.steps[0];
  EXPECT_EQ(s.lr, 0.01);
  // Pre-activations: unit 0 {1, 2, -1}, unit 1 {1, -1, 2}, unit 2 {-1, -1, -1}.
  EXPECT_DOUBLE_EQ(s.layers[1].pre.mean, 1.0 / 9);
  EXPECT_DOUBLE_EQ(s.layers[1].inactive, 5.0 / 9);
  EXPECT_TRUE(std::isnan(s.layers[1].saturated));  // relu: dead units, not saturation
  // dL/dW0[o][i] = sum over rows where unit o is active of x[r][i]:
  // unit 0 (rows 0, 1): (3, 0); unit 1 (rows 0, 2): (0, 3); unit 2: 0.
  EXPECT_NEAR(s.layers[0].grad_norm, std::sqrt(18.0), 1e-12);
  EXPECT_NEAR(s.layers[0].weight_norm, std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(s.layers[0].update_ratio, 0.1, 1e-12);
  EXPECT_EQ(s.layers[2].update_ratio, 0.0);
  ASSERT_EQ(r.dead.size(), 1u);
  EXPECT_EQ(r.dead[0].layer, 1u);
  EXPECT_EQ(r.dead[0].units, 3u);
  EXPECT_EQ(r.dead[0].dead, 1u);
}

// One epoch of `records` records of tiny(): unit 0 never active, unit 2
// active in the first `dies_after` records, unit 1 in the first `one_until`.
// Returns the dead count at the end of the epoch.
size_t dead_after(uint64_t records, uint64_t dies_after, uint64_t one_until) {
  Model<double> m = tiny();
  Tensor<double> x(1, 2), dout(1, 1);
  x(0, 0) = -1;
  x(0, 1) = 1;
  dout(0, 0) = 1;
  Observer<double> obs(1);
  for (uint64_t step = 0; step < records; ++step) {
    param(m, "0.bias")[2] = step < dies_after ? 1 : -1;
    param(m, "0.weight")[1 * 2 + 1] = step < one_until ? 1 : -1;
    m.forward(x, Mode::kTrain, step);
    m.backward(dout);
    obs.after_backward(m, step, 1);
    obs.after_update(m, step, 0.1);
  }
  obs.end_epoch(m, EpochRecord{});
  return obs.report().dead.at(0).dead;
}

TEST(DiagObserver, DeadWindowIsTheEpochsSecondHalfAtMostTen) {
  // 30 records: the window is the last 10 (21..30).
  EXPECT_EQ(dead_after(30, 20, 21), 2u);  // unit 2 dead, unit 1 active in record 21
  EXPECT_EQ(dead_after(30, 20, 20), 3u);
  // 10 records (one epoch recorded every 50 steps): the last 5. A unit alive
  // only at step 0 is dead, as a too-high learning rate leaves it.
  EXPECT_EQ(dead_after(10, 1, 6), 2u);
  EXPECT_EQ(dead_after(10, 1, 5), 3u);
  // 1 record: that one.
  EXPECT_EQ(dead_after(1, 0, 1), 2u);
}

TEST(DiagObserver, RectifiersCountOffUnitsAndOnlyZeroRegionsDeadOnes) {
  // The input (-1, 1) of tiny(): unit 0 gets -1, unit 1 gets 1, unit 2 the
  // bias -1. Two steps in one epoch.
  auto epoch = [](const std::string& act) {
    Model<double> m = tiny(act);
    Tensor<double> x(1, 2), dout(1, 1);
    x(0, 0) = -1;
    x(0, 1) = 1;
    dout(0, 0) = 1;
    Observer<double> obs(1);
    for (uint64_t step = 0; step < 2; ++step) {
      m.forward(x, Mode::kTrain, step);
      m.backward(dout);
      obs.after_backward(m, step, 1);
      obs.after_update(m, step, 0.1);
    }
    obs.end_epoch(m, EpochRecord{});
    return obs.report();
  };
  const Report relu = epoch("relu");
  ASSERT_EQ(relu.dead.size(), 1u);
  EXPECT_TRUE(relu.dead[0].has_dead && relu.dead[0].has_off);
  EXPECT_EQ(relu.dead[0].dead, 2u);
  EXPECT_EQ(relu.dead[0].off, 2u);  // relu's off units are its dead ones
  const Report leaky = epoch("leaky_relu");
  ASSERT_EQ(leaky.dead.size(), 1u);
  EXPECT_FALSE(leaky.dead[0].has_dead);  // f' = 0.01 there: still learning
  EXPECT_TRUE(leaky.dead[0].has_off);
  EXPECT_EQ(leaky.dead[0].off, 2u);
  EXPECT_EQ(leaky.dead[0].units, 3u);
  // No dead_units finding for leaky_relu, however many units are off.
  for (const Finding& f : analyze(leaky)) EXPECT_NE(f.kind, "dead_units");
  EXPECT_EQ(epoch("tanh").dead.size(), 0u);  // neither a zero region nor a rectifier
  // Both survive the JSON round trip ("dead": null for leaky_relu).
  const std::string text = to_json(leaky, analyze(leaky));
  EXPECT_NE(text.find(R"("dead":null,"off":2)"), std::string::npos) << text;
  const Report back = report_from_json(text, "test");
  ASSERT_EQ(back.dead.size(), 1u);
  EXPECT_FALSE(back.dead[0].has_dead);
  EXPECT_TRUE(back.dead[0].has_off);
  EXPECT_EQ(back.dead[0].off, 2u);
}

TEST(DiagObserver, UnitsThatDieMidEpochCount) {
  // 12 records in one epoch; unit 2 active in the first 2, unit 1 in the
  // first 7. The window is the last 6 records (7..12): unit 2 is dead,
  // unit 1 active in record 7 is not.
  Model<double> m = tiny();
  Tensor<double> x(1, 2), dout(1, 1);
  x(0, 0) = -1;
  x(0, 1) = 1;  // unit 0 inactive, unit 1 active while its weight is 1
  dout(0, 0) = 1;
  Observer<double> obs(1);
  for (uint64_t step = 0; step < 12; ++step) {
    param(m, "0.bias")[2] = step < 2 ? 1 : -1;
    param(m, "0.weight")[1 * 2 + 1] = step < 7 ? 1 : -1;
    m.forward(x, Mode::kTrain, step);
    m.backward(dout);
    obs.after_backward(m, step, 1);
    obs.after_update(m, step, 0.1);
  }
  obs.end_epoch(m, EpochRecord{});
  ASSERT_EQ(obs.report().dead.size(), 1u);
  EXPECT_EQ(obs.report().dead[0].dead, 2u);  // units 0 and 2
  EXPECT_EQ(kDeadWindow, 10u);
}

// A report with two dense layers (0, 2) around one activation (1).
Report hand_report(double g_first, double g_last, double ratio, double saturated, size_t dead) {
  Report r;
  r.layers = {{0, "dense", "", "0.weight", 4}, {1, "activation", "sigmoid", "", 4}, {2, "dense", "", "2.weight", 1}};
  for (uint64_t step = 0; step < 3; ++step) {
    StepRecord s;
    s.step = step;
    s.epoch = 1;
    s.grad_norm = 1;
    s.layers.resize(3);
    for (size_t i = 0; i < 3; ++i) s.layers[i].layer = i;
    s.layers[0].grad_norm = g_first;
    s.layers[2].grad_norm = g_last;
    s.layers[0].update_ratio = s.layers[2].update_ratio = ratio;
    s.layers[1].saturated = saturated;
    r.steps.push_back(s);
  }
  r.dead.push_back({1, 1, 10, true, dead});
  return r;
}

bool has(const std::vector<Finding>& f, const std::string& kind) {
  for (const auto& x : f)
    if (x.kind == kind) return true;
  return false;
}

TEST(DiagFindings, Thresholds) {
  // Healthy: ratio 1, update 1e-3, 10% saturated, 2 of 10 dead (20% is not > 20%).
  EXPECT_TRUE(analyze(hand_report(1, 1, 1e-3, 0.1, 2)).empty());
  auto f = analyze(hand_report(1e-4, 1, 1e-3, 0.1, 2));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, "vanishing_gradients");
  EXPECT_EQ(f[0].layers, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(f[0].figures[0].first, "first_to_last_grad_ratio");
  EXPECT_DOUBLE_EQ(f[0].figures[0].second, 1e-4);
  EXPECT_TRUE(has(analyze(hand_report(1e4, 1, 1e-3, 0.1, 2)), "exploding_gradients"));
  EXPECT_TRUE(has(analyze(hand_report(1, 1, 1e-3, 0.31, 2)), "saturation"));
  EXPECT_FALSE(has(analyze(hand_report(1, 1, 1e-3, 0.29, 2)), "saturation"));
  EXPECT_TRUE(has(analyze(hand_report(1, 1, 1e-3, 0.1, 3)), "dead_units"));
  auto hi = analyze(hand_report(1, 1, 0.2, 0.1, 2));
  ASSERT_TRUE(has(hi, "learning_rate"));
  EXPECT_NE(hi[0].message.find("too high"), std::string::npos);
  auto lo = analyze(hand_report(1, 1, 1e-6, 0.1, 2));
  ASSERT_TRUE(has(lo, "learning_rate"));
  EXPECT_NE(lo[0].message.find("too low"), std::string::npos);
  // Zero gradients (a dead network) say nothing about the learning rate.
  EXPECT_FALSE(has(analyze(hand_report(0, 0, 0, 0.1, 2)), "learning_rate"));
  Report nan = hand_report(1, 1, 1e-3, 0.1, 2);
  nan.steps[1].layers[2].nonfinite = true;
  auto fn = analyze(nan);
  ASSERT_TRUE(has(fn, "exploding_gradients"));
  EXPECT_EQ(fn[0].layers, (std::vector<size_t>{2}));
}

TEST(DiagFindings, Underfitting) {
  // Two balanced classes: a constant prediction scores ln 2 = 0.693.
  const auto with = [](double train_loss) {
    Report r = hand_report(1, 1, 1e-3, 0.1, 2);
    r.epochs = 15;
    r.train_loss = train_loss;
    r.train_accuracy = 0.652;
    r.baseline_loss = std::log(2.0);
    r.chance_accuracy = 0.507;
    return r;
  };
  const auto f = analyze(with(0.6328));  // the spirals demo at its old flags: 91% of ln 2
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, "underfitting");
  EXPECT_EQ(f[0].layers, (std::vector<size_t>{0, 2}));
  ASSERT_EQ(f[0].figures.size(), 5u);
  EXPECT_EQ(f[0].figures[2].first, "loss_ratio");
  EXPECT_NEAR(f[0].figures[2].second, 0.6328 / std::log(2.0), 1e-12);
  EXPECT_EQ(f[0].figures[4].first, "chance_accuracy");
  EXPECT_DOUBLE_EQ(f[0].figures[4].second, 0.507);
  EXPECT_NE(f[0].message.find("after 15 epochs the training loss is 0.6328, 91% of the 0.6931"), std::string::npos)
      << f[0].message;
  EXPECT_NE(f[0].message.find("training accuracy 65.2%, against 50.7%"), std::string::npos) << f[0].message;
  EXPECT_NE(f[0].advice.find("--epochs"), std::string::npos);
  EXPECT_NE(f[0].advice.find("--batch-size"), std::string::npos);
  // The threshold: above 85% of the baseline only.
  EXPECT_TRUE(has(analyze(with(0.86 * std::log(2.0))), "underfitting"));
  EXPECT_FALSE(has(analyze(with(0.84 * std::log(2.0))), "underfitting"));
  EXPECT_FALSE(has(analyze(with(0.25)), "underfitting"));  // trained: 36%
  // Without a baseline (regression, other losses) there is nothing to compare with.
  Report unknown = with(0.6328);
  unknown.baseline_loss = kNone;
  EXPECT_FALSE(has(analyze(unknown), "underfitting"));
  // Listed after the findings that are its usual causes.
  Report vanishing = with(0.69);
  vanishing.steps = hand_report(1e-4, 1, 1e-3, 0.1, 2).steps;
  const auto both = analyze(vanishing);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].kind, "vanishing_gradients");
  EXPECT_EQ(both[1].kind, "underfitting");
}

TEST(DiagFindings, JsonRoundTrip) {
  const Report r = hand_report(1e-4, 1, 0.2, 0.5, 5);
  const auto f = analyze(r);
  ASSERT_EQ(f.size(), 4u);  // vanishing, dead, saturation, learning rate
  const std::string text = to_json(r, f);
  const auto [back, layers] = findings_from_json(text, "test");
  ASSERT_EQ(back.size(), f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(back[i].kind, f[i].kind);
    EXPECT_EQ(back[i].layers, f[i].layers);
    EXPECT_EQ(back[i].message, f[i].message);
    EXPECT_EQ(back[i].figures, f[i].figures);
  }
  EXPECT_NE(layers.find("\"0.weight\""), std::string::npos);
  // Wrapped in a metrics file, as `train --diagnose --metrics-out` writes it.
  EXPECT_EQ(findings_from_json("{\"command\": \"train\", \"diagnostics\": " + text + "}", "m").first.size(), 4u);
  EXPECT_THROW(findings_from_json("{\"command\": \"train\"}", "m.json"), Error);
  EXPECT_THROW(findings_from_json("not json", "x.json"), Error);
  EXPECT_NE(findings_text(f).find("advice:"), std::string::npos);
  EXPECT_EQ(findings_text({}), "no problems found\n");
}

}  // namespace
}  // namespace actlab::diag
