// loss_driver: actlab's losses and gains as JSON, for tests/loss_torch_test.py
// to compare with PyTorch. Reads one JSON object on stdin:
//   {"cases": [{"loss": NAME, "dtype": "float64"|"float32", "rows": R, "cols": C,
//               "out": [R*C numbers], "labels": [R ints] | "values": [R*C numbers],
//               "delta": D (huber, optional)}],
//    "gains": [{"activation": NAME, "params": {NAME: VALUE}}] | "all"}
// and prints {"cases": [{"loss": L, "grad": [...]} | {"error": MESSAGE}],
//             "gains": [{"activation": NAME, "gain": G, "torch": BOOL} | {"error": ...}]}.
// Doubles are printed with 17 significant digits (nlohmann round-trips them);
// NaN prints as null.
#include <cstdio>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actlab/init.h"
#include "actlab/loss.h"
#include "tests/support/params.h"

using nlohmann::json;

namespace {

template <class T>
json RunCase(const json& c) {
  const actlab::LossKind kind = actlab::loss_from_name(c.at("loss").get<std::string>());
  const size_t rows = c.at("rows").get<size_t>(), cols = c.at("cols").get<size_t>();
  const std::vector<T> out = c.at("out").get<std::vector<T>>();
  if (out.size() != rows * cols) throw actlab::Error("driver: out has the wrong size");
  std::vector<int32_t> labels;
  std::vector<T> values;
  actlab::Targets<T> targets;
  if (c.contains("labels")) {
    labels = c["labels"].get<std::vector<int32_t>>();
    if (labels.size() != rows) throw actlab::Error("driver: labels has the wrong size");
    targets.labels = labels.data();
  }
  if (c.contains("values")) {
    values = c["values"].get<std::vector<T>>();
    if (values.size() != rows * cols) throw actlab::Error("driver: values has the wrong size");
    targets.values = values.data();
  }
  std::vector<T> grad(rows * cols);
  const double delta = c.value("delta", 1.0);
  const double l = actlab::loss(kind, out.data(), rows, cols, targets, grad.data(), delta);
  json r;
  r["loss"] = l;
  r["grad"] = grad;
  return r;
}

json Gain(const std::string& name, const std::vector<std::pair<std::string, double>>& params) {
  const actlab::Activation act = actlab::Activation::make(name, params);
  bool is_torch = false;
  const double g = actlab::calculate_gain(act, &is_torch);
  return {{"activation", std::string(act.spec->name)}, {"gain", g}, {"torch", is_torch},
          {"auto", actlab::init_name(actlab::auto_init(act))}};
}

}  // namespace

int main() {
  try {
    const json in = json::parse(std::cin);
    json result;
    result["cases"] = json::array();
    for (const json& c : in.value("cases", json::array())) {
      try {
        result["cases"].push_back(c.value("dtype", "float64") == "float32" ? RunCase<float>(c)
                                                                             : RunCase<double>(c));
      } catch (const actlab::Error& e) {
        result["cases"].push_back({{"error", e.what()}});
      }
    }
    result["gains"] = json::array();
    const json gains = in.value("gains", json::array());
    if (gains.is_string() && gains.get<std::string>() == "all") {
      for (const actlab::Spec& s : actlab::activations())
        result["gains"].push_back(Gain(std::string(s.name), actlab::test::TestOverrides(s)));
    } else {
      for (const json& g : gains) {
        std::vector<std::pair<std::string, double>> params;
        const json given = g.value("params", json::object());  // outlives the loop (C++20 range-for)
        for (auto& [k, v] : given.items()) params.emplace_back(k, v.get<double>());
        try {
          result["gains"].push_back(Gain(g.at("activation").get<std::string>(), params));
        } catch (const actlab::Error& e) {
          result["gains"].push_back({{"error", e.what()}});
        }
      }
    }
    std::cout << result.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loss_driver: %s\n", e.what());
    return 2;
  }
}
