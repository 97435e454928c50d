// `actlab recommend`. Each recommendation carries its reason; with --run the
// measured findings of that run come first and override the general rules.

#include "tools/recommend_cmd.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "actlab/activation.h"
#include "src/common/json_error.h"

namespace actlab::cli {
namespace {

using nlohmann::json;

struct Advice {
  std::string topic;  // hidden_activation, output_activation, loss, init, normalization, learning_rate, clipping
  std::string value;
  std::string reason;
  std::string source;  // "guide" or the finding kind it comes from
};

std::vector<Advice> guide(const RecommendOptions& o) {
  std::vector<Advice> a;
  if (o.task == "binary") {
    a.push_back({"output_activation", "sigmoid", "one output read as P(class 1); the sigmoid maps any logit into (0, 1)", "guide"});
    a.push_back({"loss", "bce", "binary cross-entropy on the logit (fused with the sigmoid, stable for any logit); MSE on a sigmoid saturates and learns slowly when wrong", "guide"});
  } else if (o.task == "multiclass") {
    a.push_back({"output_activation", "softmax", "one probability per class that sum to 1", "guide"});
    a.push_back({"loss", "cross_entropy", "cross-entropy on the logits (fused log-softmax, stable); its gradient softmax - onehot never vanishes for a wrong answer", "guide"});
  } else {
    a.push_back({"output_activation", "identity", "a regression target can be any real number; a squashing output would cap it", "guide"});
    a.push_back({"loss", "mse", "mean squared error; use huber when the targets have outliers", "guide"});
  }
  if (o.depth >= 8) {
    a.push_back({"hidden_activation", "relu",
                 fmt::format("{} hidden layers: sigmoid and tanh multiply the gradient by at most 0.25 and 1 per layer and "
                             "saturate, so it vanishes through depth; ReLU passes it unchanged where active "
                             "(alternatives: leaky_relu or elu if units die, gelu/silu for smoothness, selu with lecun "
                             "init for self-normalising MLPs)", o.depth),
                 "guide"});
    a.push_back({"init", "he", "He (Kaiming) init keeps the activations' variance constant through ReLU layers; naive small weights shrink the signal layer by layer", "guide"});
    a.push_back({"normalization", "batch or residual",
                 "at this depth add batch/layer normalisation (--norm batch) or residual blocks (a model file) so the gradient has a short path", "guide"});
  } else if (o.depth >= 3) {
    a.push_back({"hidden_activation", "relu",
                 "the default that trains fastest; leaky_relu/elu if units die, gelu/silu are smooth alternatives that often match or beat it", "guide"});
    a.push_back({"init", "he", "He init matches ReLU's halving of the variance (gain sqrt(2))", "guide"});
  } else {
    a.push_back({"hidden_activation", "relu",
                 "ReLU trains fastest; with 1-2 hidden layers tanh (with xavier init) also trains well; sigmoid, not zero-centred, learns slower", "guide"});
    a.push_back({"init", "auto", "auto picks He for the ReLU family and Xavier for tanh/sigmoid, with torch's gains", "guide"});
  }
  a.push_back({"learning_rate", "adam 1e-3 with cosine decay", "a robust default; with SGD use momentum 0.9 and lr 0.01-0.1", "guide"});
  return a;
}

// Findings of a run: a metrics file's "diagnostics" (actlab train --diagnose)
// or the output of actlab diagnose --json.
std::vector<Advice> from_run(const std::string& path, std::vector<std::string>& facts) {
  std::ifstream f(path);
  if (!f) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  json j;
  try {
    j = json::parse(f);
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON (" + actlab::detail::json_error_text(e) + "); pass a file from --metrics-out or `actlab diagnose --json`");
  }
  if (j.contains("final") && j["final"].is_object() && j["final"].contains("test_accuracy") &&
      j["final"]["test_accuracy"].is_number())
    facts.push_back(fmt::format("final test accuracy {:.2f}%", 100 * j["final"]["test_accuracy"].get<double>()));
  const json* findings = nullptr;
  if (j.contains("findings") && j["findings"].is_array()) findings = &j["findings"];
  if (j.contains("diagnostics") && j["diagnostics"].is_object() && j["diagnostics"].contains("findings") &&
      j["diagnostics"]["findings"].is_array())
    findings = &j["diagnostics"]["findings"];
  if (!findings) {
    if (!j.contains("epochs"))
      throw Error(path + ": has neither findings nor epochs; pass a file from `actlab train --metrics-out` "
                  "(with --diagnose for measured advice) or `actlab diagnose --json`");
    facts.push_back("the run has no diagnostics (train it with --diagnose for measured advice)");
    return {};
  }
  std::vector<Advice> out;
  for (const json& x : *findings) {
    if (!x.is_object() || !x.contains("kind") || !x["kind"].is_string()) continue;
    const std::string kind = x["kind"].get<std::string>();
    const std::string message = x.value("message", std::string());
    const std::string advice = x.value("advice", std::string());
    std::string layers;
    if (x.contains("layers") && x["layers"].is_array())
      for (const json& l : x["layers"]) layers += (layers.empty() ? "" : ", ") + l.dump();
    const std::string why = message + (layers.empty() ? "" : " (layers " + layers + ")");
    if (kind == "dead_units") {
      out.push_back({"hidden_activation", "leaky_relu or elu", why + "; their negative side keeps a gradient, so a unit pushed below zero can come back", kind});
      out.push_back({"learning_rate", "lower it", "large updates push units into the dead region; " + advice, kind});
      out.push_back({"init", "he", "He init starts ReLU units in their active range", kind});
    } else if (kind == "saturation") {
      out.push_back({"hidden_activation", "relu (or gelu/silu)", why + "; saturated sigmoid/tanh units pass almost no gradient", kind});
      out.push_back({"init", "xavier (if keeping tanh/sigmoid)", "Xavier init keeps pre-activations in the non-saturated range; " + advice, kind});
      out.push_back({"normalization", "batch", "normalising pre-activations keeps them near zero where f' is largest", kind});
    } else if (kind == "vanishing_gradients") {
      out.push_back({"hidden_activation", "relu", why, kind});
      out.push_back({"init", "he", "naive small weights shrink the gradient at every layer; " + advice, kind});
      out.push_back({"normalization", "batch or residual", "a short path for the gradient through depth", kind});
    } else if (kind == "exploding_gradients") {
      out.push_back({"clipping", "--clip-norm 1", why + "; " + advice, kind});
      out.push_back({"learning_rate", "lower it", "exploding updates usually mean the step is too large", kind});
    } else if (kind == "learning_rate") {
      out.push_back({"learning_rate", advice.empty() ? "adjust" : advice, why, kind});
    } else {
      out.push_back({"other", advice, why, kind});
    }
  }
  if (out.empty()) facts.push_back("the run's diagnostics found no problem");
  return out;
}

}  // namespace

CLI::App* AddRecommendCommand(CLI::App& app, RecommendOptions& o) {
  CLI::App* r = app.add_subcommand("recommend", "Which activation, output, loss and init: the guide, or advice measured on a run");
  r->add_option("--task", o.task, "binary, multiclass or regression")
      ->check(CLI::IsMember({"binary", "multiclass", "regression"}));
  r->add_option("--depth", o.depth, "Hidden layers")->check(CLI::Range(size_t{1}, size_t{1000}));
  r->add_option("--run", o.run, "Metrics of a run (actlab train --metrics-out, with --diagnose) or actlab diagnose --json");
  r->add_flag("--json", o.json, "Print one JSON object");
  return r;
}

int RunRecommend(const RecommendOptions& o) {
  std::vector<std::string> facts;
  std::vector<Advice> measured;
  if (!o.run.empty()) measured = from_run(o.run, facts);
  std::vector<Advice> all = measured;
  // The guide fills in every topic the measurements did not speak to.
  for (const Advice& g : guide(o)) {
    bool covered = false;
    for (const Advice& m : measured) covered |= m.topic == g.topic;
    if (!covered) all.push_back(g);
  }
  if (o.json) {
    json j{{"task", o.task}, {"depth", o.depth}, {"facts", facts}, {"recommendations", json::array()}};
    if (!o.run.empty()) j["run"] = o.run;
    for (const Advice& a : all)
      j["recommendations"].push_back({{"topic", a.topic}, {"value", a.value}, {"reason", a.reason}, {"source", a.source}});
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("task: {}, {} hidden layer{}{}\n", o.task, o.depth, o.depth == 1 ? "" : "s",
             o.run.empty() ? "" : ", run " + o.run);
  for (const std::string& f : facts) fmt::print("  ({})\n", f);
  for (const Advice& a : all)
    fmt::print("{:<18} {:<28} {}{}\n", a.topic, a.value, a.reason,
               a.source == "guide" ? "" : " [measured: " + a.source + "]");
  return 0;
}

}  // namespace actlab::cli
