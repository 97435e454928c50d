// `actlab recommend`. Each recommendation carries its reason; with --run the
// measured findings of that run come first and override the general rules.

#include "tools/recommend_cmd.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "actlab/activation.h"
#include "actlab/init.h"
#include "actlab/nn.h"
#include "actlab/train.h"
#include "src/common/json_error.h"
#include "tools/report_cmd.h"

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

// What a metrics file says the run used, for the topics advice can repeat.
struct RunSettings {
  bool known = false;  // false for diagnose --json output, which has no configuration
  std::string init;    // the scheme's family ("he", "xavier", "lecun", "naive", "torch"), auto resolved
  std::vector<std::string> activations;    // the hidden layers' canonical names
  std::vector<std::string> normalization;  // "batch", "layer", "residual"
  double clip_norm = 0;
};

std::string InitFamily(InitScheme scheme) {
  const std::string name = init_name(scheme);
  return name.substr(0, name.find('_'));
}

void CollectLayers(const std::vector<LayerSpec>& layers, RunSettings& s) {
  for (const LayerSpec& l : layers) {
    if (l.kind == "activation") {
      const std::string name(find(l.activation) ? find(l.activation)->name : l.activation);
      if (std::find(s.activations.begin(), s.activations.end(), name) == s.activations.end())
        s.activations.push_back(name);
    } else if (l.kind == "batchnorm" || l.kind == "layernorm") {
      s.normalization.push_back(l.kind == "batchnorm" ? "batch" : "layer");
    } else if (l.kind == "residual") {
      s.normalization.push_back("residual");
      CollectLayers(l.body, s);
    }
  }
}

RunSettings SettingsOf(const json& j, const std::string& path) {
  RunSettings s;
  if (!j.is_object() || !j.contains("config") || !j.contains("model")) return s;
  const TrainConfig config = config_from_json(j["config"].dump(), path);
  CollectLayers(layers_from_json(j["model"].dump(), path + " model").second, s);
  InitScheme scheme = init_from_name(config.init);
  if (scheme == InitScheme::kAuto && !s.activations.empty())
    scheme = auto_init(Activation::make(s.activations.front()));
  if (scheme != InitScheme::kAuto) s.init = InitFamily(scheme);
  s.clip_norm = config.clip_norm;
  s.known = true;
  return s;
}

// The advice without what the run already does: "leaky_relu or elu" to a
// leaky_relu run is "elu", and "--init xavier" to a xavier run is dropped
// (nullopt), with a fact saying so. Topics without a setting to compare
// (loss, learning rate) pass unchanged.
std::optional<Advice> WithoutRunSettings(Advice a, const RunSettings& run, std::vector<std::string>& facts) {
  if (!run.known) return a;
  const auto said = [&facts](const std::string& fact) {
    if (std::find(facts.begin(), facts.end(), fact) == facts.end()) facts.push_back(fact);
  };
  if (a.topic == "init") {
    const std::string first = a.value.substr(0, a.value.find(' '));
    InitScheme scheme = InitScheme::kAuto;
    try {
      scheme = init_from_name(first);
    } catch (const Error&) {
      return a;  // not a scheme's name
    }
    if (scheme == InitScheme::kAuto || InitFamily(scheme) != run.init) return a;
    said(fmt::format("the run already uses --init {}: not suggested again", run.init));
    return std::nullopt;
  }
  if (a.topic == "clipping") {
    if (run.clip_norm <= 0) return a;
    said(fmt::format("the run already clips at --clip-norm {:g}: not suggested again", run.clip_norm));
    return std::nullopt;
  }
  const bool activation = a.topic == "hidden_activation";
  if (!activation && a.topic != "normalization") return a;
  const std::vector<std::string>& used = activation ? run.activations : run.normalization;
  // The alternatives the value names ("relu (or gelu/silu)", "batch or residual").
  std::vector<std::string> kept, dropped;
  std::string word;
  for (char c : a.value + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      word += c;
    } else if (!word.empty()) {
      if (word != "or") (std::find(used.begin(), used.end(), word) == used.end() ? kept : dropped).push_back(word);
      word.clear();
    }
  }
  if (dropped.empty()) return a;
  said(activation
           ? fmt::format("the run already uses --act {}: not suggested again", fmt::join(dropped, ", "))
           : fmt::format("the run's model already has {} layers: not suggested again", fmt::join(dropped, ", ")));
  if (kept.empty()) return std::nullopt;
  a.value = fmt::format("{}", fmt::join(kept, " or "));
  return a;
}

// Findings of a run: a metrics file's "diagnostics" (actlab train --diagnose)
// or the output of actlab diagnose --json.
std::vector<Advice> from_run(const std::string& run, std::vector<std::string>& facts, RunSettings& settings) {
  const RunFile file = ReadRunFile(run);
  const std::string& path = file.metrics_path;
  json j;
  try {
    j = json::parse(file.text);
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON (" + actlab::detail::json_error_text(e) + "); pass a file from --metrics-out or `actlab diagnose --json`");
  }
  settings = SettingsOf(j, path);
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
    // A field of another type reads as absent, like a missing one (value() would throw).
    const auto text = [&x](const char* key) {
      return x.contains(key) && x[key].is_string() ? x[key].get<std::string>() : "";
    };
    const std::string message = text("message");
    const std::string advice = text("advice");
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
    } else if (kind == "underfitting") {
      out.push_back({"training", "more steps (--epochs, or a smaller --batch-size)", why + "; " + advice, kind});
      out.push_back({"learning_rate", "raise it (3-10x)",
                     "a network that barely moves from a constant guess "
                     "often takes steps too small to get anywhere",
                     kind});
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
  r->add_option("--run", o.run,
                "A run (its folder from actlab train --run-dir, or --metrics-out file; with --diagnose for measured "
                "advice) or the output of actlab diagnose --json");
  r->add_flag("--json", o.json, "Print one JSON object");
  return r;
}

int RunRecommend(const RecommendOptions& o) {
  std::vector<std::string> facts;
  std::vector<Advice> measured;
  RunSettings settings;
  if (!o.run.empty()) measured = from_run(o.run, facts, settings);
  std::vector<Advice> all;
  for (const Advice& m : measured)
    if (auto kept = WithoutRunSettings(m, settings, facts)) all.push_back(*kept);
  // The guide fills in every topic the measurements did not speak to.
  for (const Advice& g : guide(o)) {
    bool covered = false;
    for (const Advice& m : measured) covered |= m.topic == g.topic;
    if (covered) continue;
    if (auto kept = WithoutRunSettings(g, settings, facts)) all.push_back(*kept);
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
  // Columns as wide as their longest entry, so a long value stays in its column.
  size_t topic_width = 0, value_width = 0;
  for (const Advice& a : all)
    topic_width = std::max(topic_width, a.topic.size()), value_width = std::max(value_width, a.value.size());
  for (const Advice& a : all)
    fmt::print("{:<{}}  {:<{}}  {}{}\n", a.topic, topic_width, a.value, value_width, a.reason,
               a.source == "guide" ? "" : " [measured: " + a.source + "]");
  return 0;
}

}  // namespace actlab::cli
