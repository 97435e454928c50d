// For nn_torch_test.py: builds a float64 model from a JSON architecture,
// initialises it, runs one training-mode forward and backward on seeded
// inputs, and prints everything PyTorch needs to redo it and compare:
// weights, inputs, targets, loss, parameter gradients, dL/dx, buffers.
//
// Usage: nn_parity_driver '{"input": 4, "layers": [...], "rows": 8, "loss": "cross_entropy",
//                           "seed": 3, "init": "auto"}'
#include <cstdio>
#include <nlohmann/json.hpp>

#include "actlab/loss.h"
#include "actlab/nn.h"

using nlohmann::json;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: nn_parity_driver SPEC_JSON\n");
    return 2;
  }
  try {
    const json spec = json::parse(argv[1]);
    auto [input, layers] = actlab::layers_from_json(argv[1], "spec");
    const size_t rows = spec.at("rows").get<size_t>();
    const uint64_t seed = spec.at("seed").get<uint64_t>();
    const actlab::LossKind loss_kind = actlab::loss_from_name(spec.at("loss").get<std::string>());
    actlab::Model<double> model(input, layers, seed);
    model.initialize(seed, actlab::init_from_name(spec.value("init", "auto")));

    json out;
    for (auto& p : model.named_parameters())
      out["weights"][p.name] = std::vector<double>(p.value, p.value + p.rows * p.cols);
    actlab::Rng rng(seed + 100);
    actlab::Tensor<double> x(rows, input);
    for (size_t i = 0; i < x.size(); ++i) x.data()[i] = 2 * rng.normal();
    out["x"] = std::vector<double>(x.data(), x.data() + x.size());

    const actlab::Tensor<double>& y = model.forward(x, actlab::Mode::kTrain);
    const size_t cols = y.cols();
    std::vector<int32_t> labels(rows);
    std::vector<double> values(rows * cols);
    actlab::Targets<double> t;
    if (loss_kind == actlab::LossKind::kCrossEntropy || loss_kind == actlab::LossKind::kNll) {
      for (auto& l : labels) l = static_cast<int32_t>(rng.below(cols));
      t.labels = labels.data();
      out["labels"] = labels;
    } else {
      for (auto& v : values) v = loss_kind == actlab::LossKind::kBceWithLogits ? rng.uniform() : rng.normal();
      t.values = values.data();
      out["targets"] = values;
    }
    actlab::Tensor<double> dy(rows, cols);
    out["loss"] = actlab::loss(loss_kind, y.data(), rows, cols, t, dy.data());
    out["output"] = std::vector<double>(y.data(), y.data() + y.size());
    model.backward(dy, /*input_gradient=*/true);
    for (auto& p : model.named_parameters())
      out["grads"][p.name] = std::vector<double>(p.grad, p.grad + p.rows * p.cols);
    const actlab::Tensor<double>& dx = model.gradient(0);
    out["dx"] = std::vector<double>(dx.data(), dx.data() + dx.size());
    for (auto& b : model.named_buffers())
      out["buffers"][b.name] = std::vector<double>(b.value, b.value + b.rows * b.cols);
    std::printf("%s\n", out.dump(-1, ' ', false, json::error_handler_t::strict).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nn_parity_driver: %s\n", e.what());
    return 2;
  }
  return 0;
}
