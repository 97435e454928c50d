// The training engine's layers and model against truth: every layer's
// backward against central finite differences in float64, whole-model
// gradients, determinism, XOR, architecture JSON.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "actlab/loss.h"
#include "actlab/nn.h"
#include "actlab/train.h"

namespace actlab {
namespace {

LayerSpec Dense(size_t units) {
  LayerSpec s;
  s.kind = "dense";
  s.units = units;
  return s;
}
LayerSpec Act(const std::string& name, std::vector<std::pair<std::string, double>> params = {},
              bool learnable = false, bool per_channel = false) {
  LayerSpec s;
  s.kind = "activation";
  s.activation = name;
  s.params = std::move(params);
  s.learnable = learnable;
  s.per_channel = per_channel;
  return s;
}
LayerSpec Kind(const std::string& kind) {
  LayerSpec s;
  s.kind = kind;
  return s;
}

void Fill(Tensor<double>& t, Rng& rng, double scale = 1.0) {
  for (size_t i = 0; i < t.size(); ++i) t.data()[i] = scale * rng.normal();
}

// Checks d(sum(w * model(x)))/d(x, params) of a model built from `layers`
// against central differences. Inputs stay away from kinks by construction
// (smooth activations) or by the draw (relu at |x| > 1e-3 almost surely).
void CheckModelGradients(const std::vector<LayerSpec>& layers, size_t in, size_t rows,
                         double tol = 1e-6, uint64_t seed = 3) {
  Model<double> model(in, layers, seed);
  model.initialize(seed);
  Rng rng(seed + 1);
  // Move learnable activation parameters off their defaults.
  for (auto& p : model.named_parameters())
    if (p.name.find("beta") != std::string::npos && p.name.find(".bias") == std::string::npos)
      p.value[0] = 1.3;
  Tensor<double> x(rows, in), w;
  Fill(x, rng);
  const Tensor<double>& y0 = model.forward(x, Mode::kTrain, 7);
  w.resize(y0.rows(), y0.cols());
  Fill(w, rng);
  auto objective = [&]() {
    const Tensor<double>& y = model.forward(x, Mode::kTrain, 7);
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i) s += w.data()[i] * y.data()[i];
    return s;
  };
  objective();
  model.backward(w);
  const std::vector<double> analytic(model.gradients(), model.gradients() + model.parameter_count());
  const double h = 1e-6;
  double* p = model.parameters();
  for (size_t k = 0; k < model.parameter_count(); ++k) {
    const double keep = p[k];
    p[k] = keep + h;
    const double up = objective();
    p[k] = keep - h;
    const double down = objective();
    p[k] = keep;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(analytic[k], numeric, tol * std::max(1.0, std::fabs(numeric))) << "parameter " << k;
  }
  objective();
  model.backward(w, /*input_gradient=*/true);
  const Tensor<double> dx = model.gradient(0);
  for (size_t i = 0; i < x.size(); ++i) {
    const double keep = x.data()[i];
    x.data()[i] = keep + h;
    const double up = objective();
    x.data()[i] = keep - h;
    const double down = objective();
    x.data()[i] = keep;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(dx.data()[i], numeric, tol * std::max(1.0, std::fabs(numeric))) << "input " << i;
  }
}

TEST(Gradients, Dense) { CheckModelGradients({Dense(5)}, 4, 3); }
TEST(Gradients, DenseTanhDense) { CheckModelGradients({Dense(6), Act("tanh"), Dense(3)}, 4, 5); }
TEST(Gradients, EveryElementwiseActivation) {
  for (const Spec& s : activations()) {
    if (s.shape != Shape::kElementwise || s.name == "step" || s.name == "rrelu") continue;
    std::vector<std::pair<std::string, double>> params;
    if (s.name == "threshold") params = {{"threshold", 0.1}, {"value", -1.0}};
    SCOPED_TRACE(std::string(s.name));
    CheckModelGradients({Dense(6), Act(std::string(s.name), params), Dense(2)}, 3, 4, 2e-6);
  }
}
TEST(Gradients, AxisActivationsAndGlu) {
  CheckModelGradients({Dense(6), Act("softmax"), Dense(2)}, 3, 4);
  CheckModelGradients({Dense(6), Act("log_softmax"), Dense(2)}, 3, 4);
  CheckModelGradients({Dense(6), Act("glu"), Dense(2)}, 3, 4);
}
TEST(Gradients, LearnablePreluAndSwish) {
  CheckModelGradients({Dense(6), Act("prelu"), Dense(2)}, 3, 4);
  CheckModelGradients({Dense(6), Act("prelu", {}, false, true), Dense(2)}, 3, 4);
  CheckModelGradients({Dense(6), Act("silu", {}, true), Dense(2)}, 3, 4);
}
TEST(Gradients, BatchNormLayerNormDropout) {
  CheckModelGradients({Dense(6), Kind("batchnorm"), Act("tanh"), Dense(2)}, 3, 5);
  CheckModelGradients({Dense(6), Kind("layernorm"), Act("gelu"), Dense(2)}, 3, 5);
  LayerSpec d = Kind("dropout");
  d.rate = 0.3;
  CheckModelGradients({Dense(8), Act("tanh"), d, Dense(2)}, 3, 5);
}
TEST(Gradients, ResidualBlock) {
  LayerSpec r = Kind("residual");
  r.body = {Dense(5), Act("tanh"), Dense(5)};
  CheckModelGradients({Dense(5), r, Act("silu"), Dense(2)}, 3, 4);
}

// The whole model with cross-entropy: dL/dW by the engine = finite differences.
TEST(Gradients, ModelWithCrossEntropy) {
  Model<double> model(4, {Dense(7), Act("elu"), Dense(5), Act("sigmoid"), Dense(3)});
  model.initialize(11);
  Rng rng(5);
  Tensor<double> x(6, 4), dout;
  Fill(x, rng);
  std::vector<int32_t> labels{0, 2, 1, 1, 0, 2};
  Targets<double> t;
  t.labels = labels.data();
  auto value = [&](double* grad) {
    const Tensor<double>& out = model.forward(x, Mode::kTrain);
    return loss(LossKind::kCrossEntropy, out.data(), out.rows(), out.cols(), t, grad);
  };
  dout.resize(6, 3);
  value(dout.data());
  model.backward(dout);
  const std::vector<double> g(model.gradients(), model.gradients() + model.parameter_count());
  for (size_t k = 0; k < model.parameter_count(); ++k) {
    double* p = model.parameters() + k;
    const double keep = *p, h = 1e-6;
    *p = keep + h;
    const double up = value(nullptr);
    *p = keep - h;
    const double down = value(nullptr);
    *p = keep;
    EXPECT_NEAR(g[k], (up - down) / (2 * h), 1e-7) << k;
  }
}

TEST(Model, ShapeErrorsAreClear) {
  LayerSpec r = Kind("residual");
  r.body = {Dense(3)};
  try {
    Model<float> m(5, {Dense(5), r});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("body must end with 5 features"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Model<float>(5, {Dense(3), Act("glu")}), Error);
  EXPECT_THROW(Model<float>(5, {Dense(0)}), Error);
  EXPECT_THROW(Model<float>(5, {Kind("conv")}), Error);
  EXPECT_THROW(Model<float>(5, {Act("relu", {}, true)}), Error);  // relu has no learnable parameter
  Model<float> ok(5, {Dense(4)});
  ok.initialize(1);
  Tensor<float> wrong(2, 6);
  EXPECT_THROW(ok.forward(wrong, Mode::kEval), Error);
}

// The activation layers that run their backward from y, and the summary that says so.
TEST(Model, BackwardFromOutputWhereItPays) {
  for (const char* name : {"sigmoid", "tanh", "elu", "selu", "celu", "softmax", "log_softmax", "softmin"})
    EXPECT_TRUE(backward_from_output_in_training(Activation::make(name))) << name;
  for (const char* name : {"relu", "leaky_relu", "gelu", "silu", "softsign", "identity"})
    EXPECT_FALSE(backward_from_output_in_training(Activation::make(name))) << name;
  Model<float> m(5, {Dense(4), Act("sigmoid"), Dense(4), Act("relu"), Dense(2)});
  const std::string summary = m.summary();
  EXPECT_NE(summary.find("sigmoid, backward from y"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("relu, backward from y"), std::string::npos) << summary;
}

TEST(Model, NamesFollowTorchSequential) {
  LayerSpec r = Kind("residual");
  r.body = {Dense(4), Act("relu")};
  Model<float> m(3, {Dense(4), Kind("batchnorm"), Act("prelu"), r, Dense(2)});
  std::vector<std::string> names;
  for (auto& p : m.named_parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "2.weight",
                                             "3.body.0.weight", "3.body.0.bias", "4.weight", "4.bias"}));
  std::vector<std::string> buffers;
  for (auto& b : m.named_buffers()) buffers.push_back(b.name);
  EXPECT_EQ(buffers, (std::vector<std::string>{"1.running_mean", "1.running_var"}));
  EXPECT_EQ(m.parameter_count(), 3u * 4 + 4 + 4 + 4 + 1 + 16 + 4 + 8 + 2);
}

TEST(Model, ArchitectureJsonRoundTrip) {
  LayerSpec r = Kind("residual");
  r.body = {Dense(4), Act("leaky_relu", {{"negative_slope", 0.2}})};
  LayerSpec d = Kind("dropout");
  d.rate = 0.25;
  std::vector<LayerSpec> layers{Dense(4), Kind("layernorm"), Act("silu", {}, true), d, r, Dense(2)};
  const std::string text = layers_to_json(3, layers);
  auto [in, back] = layers_from_json(text, "test");
  EXPECT_EQ(in, 3u);
  EXPECT_EQ(layers_to_json(in, back), text);
  EXPECT_THROW(layers_from_json("{\"layers\": [{\"kind\": \"dense\"}]}", "m.json"), Error);
  EXPECT_THROW(layers_from_json("{\"layers\": [{\"kind\": \"activation\", \"activation\": \"relux\"}]}", "m.json"), Error);
  EXPECT_THROW(layers_from_json("{\"layers\": [{\"kind\": \"dense\", \"units\": 3, \"colour\": 1}]}", "m.json"), Error);
  EXPECT_THROW(layers_from_json("not json", "m.json"), Error);
}

data::Splits XorSplits() {
  data::Splits s;
  s.train = data::synthetic("xor", 64, 0.0, 1);
  s.test = data::synthetic("xor", 4, 0.0, 1);
  return s;
}

TrainConfig XorConfig(uint64_t seed) {
  TrainConfig c;
  c.epochs = 300;
  c.batch_size = 4;
  c.seed = seed;
  c.loss = LossKind::kBceWithLogits;
  c.output = "sigmoid";
  c.optimizer.kind = "sgd";
  c.optimizer.lr = 2.0;
  c.optimizer = validated(c.optimizer);
  return c;
}

// The classic: 2-4-1 with sigmoid hidden units learns XOR (plain SGD, lr 2,
// batch 4, 300 epochs) on seeds 1-20. Not on every seed there is: 3 of seeds
// 1-500 (229, 408, 467; with the CLI's default cosine schedule also 392) end in
// the textbook local minimum (75%).
TEST(Training, XorLearnsOnEverySeed) {
  const data::Splits s = XorSplits();
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Model<float> m(2, mlp({2, 4, 1}, "sigmoid", {}), seed);
    m.initialize(seed);
    TrainState<float> state;
    train(m, XorConfig(seed), s, state, {}, {});
    EXPECT_EQ(state.history.back().test_accuracy, 1.0) << "seed " << seed;
  }
}

TEST(Training, DeterministicForASeed) {
  const data::Splits s = XorSplits();
  auto run = [&](uint64_t seed) {
    Model<float> m(2, mlp({2, 8, 1}, "tanh", {}), seed);
    m.initialize(seed);
    TrainState<float> state;
    TrainConfig c = XorConfig(seed);
    c.epochs = 20;
    train(m, c, s, state, {}, {});
    return std::vector<float>(m.parameters(), m.parameters() + m.parameter_count());
  };
  EXPECT_EQ(run(4), run(4));
  EXPECT_NE(run(4), run(5));
}

// y = w x + b on one feature, with the weights set by hand.
Model<double> OneDense(size_t outputs, const std::vector<double>& weight, const std::vector<double>& bias) {
  Model<double> m(1, {Dense(outputs)});
  for (const auto& t : m.named_parameters()) {
    const std::vector<double>& v = t.name == "0.weight" ? weight : bias;
    std::copy(v.begin(), v.end(), t.value);
  }
  return m;
}

data::Dataset OneFeature(const std::vector<float>& x) {
  data::Dataset d;
  d.name = "hand-made";
  d.rows = x.size();
  d.features = 1;
  d.x = x;
  return d;
}

TEST(Evaluate, RegressionMetricsAsScikitLearn) {
  TrainConfig c;
  c.loss = LossKind::kMse;
  c.output = "identity";
  data::Dataset d = OneFeature({0, 1, 2, 3});
  d.outputs = 1;
  d.targets = {0, 2, 4, 7};  // predictions 0, 2, 4, 6: one error of 1
  Model<double> m = OneDense(1, {2}, {0});
  Evaluation e = evaluate(m, c, d);
  EXPECT_DOUBLE_EQ(e.rmse, 0.5);
  EXPECT_DOUBLE_EQ(e.mae, 0.25);
  EXPECT_DOUBLE_EQ(e.r2, 1 - 1 / 26.75);  // SST = sum (t - 3.25)^2
  EXPECT_TRUE(std::isnan(e.accuracy));
  // A constant target: R^2 is 1 when it is predicted exactly, else 0.
  d.targets = {1, 1, 1, 1};
  Model<double> exact = OneDense(1, {0}, {1}), off = OneDense(1, {0}, {2});
  EXPECT_EQ(evaluate(exact, c, d).r2, 1.0);
  EXPECT_EQ(evaluate(off, c, d).r2, 0.0);
  // Wider than the targets: an error, not a read past them.
  Model<double> wide = OneDense(2, {1, 1}, {0, 0});
  EXPECT_THROW(evaluate(wide, c, d), Error);
}

TEST(Evaluate, ConfusionMatrixByTrueAndPredictedClass) {
  TrainConfig c;
  data::Dataset d = OneFeature({1, 2, -1, 3});
  d.classes = 2;
  d.labels = {0, 0, 1, 1};
  Model<double> m = OneDense(2, {1, -1}, {0, 0});  // x > 0: class 0, else class 1
  const Evaluation e = evaluate(m, c, d);
  EXPECT_EQ(e.confusion, (std::vector<size_t>{2, 0, 1, 1}));
  EXPECT_DOUBLE_EQ(e.accuracy, 0.75);
  EXPECT_TRUE(std::isnan(e.rmse));
}

TEST(Training, DivergenceIsReportedNotHidden) {
  const data::Splits s = XorSplits();
  Model<float> m(2, mlp({2, 8, 1}, "relu", {}), 1);
  m.initialize(1);
  TrainState<float> state;
  TrainConfig c = XorConfig(1);
  c.loss = LossKind::kMse;
  c.optimizer.lr = 1e30;
  c.optimizer = validated(c.optimizer);
  try {
    train(m, c, s, state, {}, {});
    FAIL() << "expected divergence";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lower --lr"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace actlab
