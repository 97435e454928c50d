// The sequential model: layers in order, one parameter block, one gradient
// block, the values of the last forward kept for backward.

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "actlab/nn.h"
#include "src/common/json_error.h"

namespace actlab {

template <class T>
Model<T>::Model(size_t input_features, std::vector<LayerSpec> layers, uint64_t seed)
    : input_features_(input_features), specs_(std::move(layers)) {
  if (input_features_ == 0) throw Error("model: the input has 0 features");
  if (specs_.empty()) throw Error("model: no layers; give at least one dense layer");
  size_t width = input_features_;
  for (size_t i = 0; i < specs_.size(); ++i) {
    try {
      layers_.push_back(make_layer<T>(specs_[i], width, seed, i));
    } catch (const Error& e) {
      throw Error(fmt::format("layer {}: {}", i, e.what()));
    }
    width = layers_.back()->out_features();
  }
  size_t n = 0;
  for (auto& l : layers_) n += l->parameter_count();
  params_.assign(n, T(0));
  param_grads_.assign(n, T(0));
  T* v = params_.data();
  T* g = param_grads_.data();
  for (auto& l : layers_) {
    l->bind(v, g);
    v += l->parameter_count();
    g += l->parameter_count();
  }
  values_.resize(layers_.size());
  grads_.resize(layers_.size());
}

template <class T>
size_t Model<T>::output_features() const {
  return layers_.back()->out_features();
}

template <class T>
void Model<T>::initialize(uint64_t seed, InitScheme scheme) {
  Rng rng(seed);
  for (size_t i = 0; i < layers_.size(); ++i) {
    // A dense layer is initialised for the activation that follows it
    // (skipping dropout and normalisation); the last one for identity.
    Activation next = Activation::make("identity");
    for (size_t j = i + 1; j < layers_.size(); ++j) {
      const std::string& k = specs_[j].kind;
      if (k == "activation") {
        next = activation_of(specs_[j]);
        break;
      }
      if (k == "dense" || k == "residual") break;
    }
    layers_[i]->initialize(rng, scheme, next);
  }
}

template <class T>
const Tensor<T>& Model<T>::forward(const Tensor<T>& x, Mode mode, uint64_t step) {
  if (x.cols() != input_features_)
    throw Error(fmt::format("model: input has {} features, the model expects {}", x.cols(),
                            input_features_));
  input_ = &x;
  const Tensor<T>* in = &x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->forward(*in, values_[i], mode, step);
    in = &values_[i];
  }
  return *in;
}

template <class T>
void Model<T>::backward(const Tensor<T>& doutput, bool input_gradient) {
  // grads_[i] = dL/d(input of layer i); the input needs none.
  const Tensor<T>* d = &doutput;
  for (size_t i = layers_.size(); i-- > 0;) {
    const Tensor<T>& in = i == 0 ? *input_ : values_[i - 1];
    layers_[i]->backward(in, values_[i], *d, grads_[i], i > 0 || input_gradient);
    d = &grads_[i];
  }
}

template <class T>
std::vector<NamedTensor<T>> Model<T>::named_parameters() {
  std::vector<NamedTensor<T>> p, b;
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->named(std::to_string(i) + ".", p, b);
  return p;
}

template <class T>
std::vector<NamedTensor<T>> Model<T>::named_buffers() {
  std::vector<NamedTensor<T>> p, b;
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->named(std::to_string(i) + ".", p, b);
  return b;
}

namespace {
std::string describe(const LayerSpec& s) {
  if (s.kind == "dense") return fmt::format("dense({})", s.units);
  if (s.kind == "activation") {
    std::string out = s.activation;
    if (!s.params.empty()) {
      out += "(";
      for (size_t i = 0; i < s.params.size(); ++i)
        out += fmt::format("{}{}={}", i ? ", " : "", s.params[i].first, s.params[i].second);
      out += ")";
    }
    if (s.per_channel) out += " per-channel";
    if (s.learnable) out += " learnable";
    else if (backward_from_output_in_training(activation_of(s))) out += ", backward from y";
    return out;
  }
  if (s.kind == "dropout") return fmt::format("dropout(p={})", s.rate);
  if (s.kind == "residual") {
    std::string out = "residual[";
    for (size_t i = 0; i < s.body.size(); ++i) out += (i ? ", " : "") + describe(s.body[i]);
    return out + "]";
  }
  return s.kind;
}
}  // namespace

template <class T>
std::string Model<T>::summary() const {
  size_t w = 5;
  for (const LayerSpec& s : specs_) w = std::max(w, describe(s).size());
  std::string out = fmt::format("  {:<4} {:<{}} {:>12} {:>12}\n", "#", "layer", w, "output", "parameters");
  out += fmt::format("  {:<4} {:<{}} {:>12}\n", "", "input", w, fmt::format("(B, {})", input_features_));
  for (size_t i = 0; i < layers_.size(); ++i)
    out += fmt::format("  {:<4} {:<{}} {:>12} {:>12}\n", i, describe(specs_[i]), w,
                       fmt::format("(B, {})", layers_[i]->out_features()),
                       layers_[i]->parameter_count());
  out += fmt::format("  total parameters: {} ({:.2f} MB as {})\n", params_.size(),
                     params_.size() * sizeof(T) / 1e6, sizeof(T) == 4 ? "float32" : "float64");
  return out;
}

template class Model<float>;
template class Model<double>;

// ---- Architecture as JSON ---------------------------------------------------------------
namespace {
using nlohmann::json;

json spec_json(const LayerSpec& s) {
  json j{{"kind", s.kind}};
  if (s.kind == "dense") {
    j["units"] = s.units;
    if (s.init != "auto") j["init"] = s.init;
  } else if (s.kind == "activation") {
    j["activation"] = s.activation;
    if (!s.params.empty()) {
      json p = json::object();
      for (auto& [k, v] : s.params) p[k] = v;
      j["params"] = p;
    }
    if (s.learnable) j["learnable"] = true;
    if (s.per_channel) j["per_channel"] = true;
  } else if (s.kind == "dropout") {
    j["rate"] = s.rate;
  } else if (s.kind == "batchnorm") {
    j["eps"] = s.eps;
    j["momentum"] = s.momentum;
  } else if (s.kind == "layernorm") {
    j["eps"] = s.eps;
  } else if (s.kind == "residual") {
    json b = json::array();
    for (auto& c : s.body) b.push_back(spec_json(c));
    j["body"] = b;
  }
  return j;
}

LayerSpec spec_from(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": must be an object like {\"kind\": \"dense\", \"units\": 128}");
  static const char* known[] = {"kind", "units", "init", "activation", "params", "learnable",
                                "per_channel", "rate", "eps", "momentum", "body"};
  for (auto& [k, v] : j.items()) {
    bool ok = false;
    for (const char* n : known) ok |= k == n;
    if (!ok) throw Error(where + ": unknown field '" + k + "'");
  }
  auto num = [&](const char* key, double fallback) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_number()) throw Error(where + ": '" + key + "' must be a number");
    return j[key].get<double>();
  };
  auto flag = [&](const char* key) {
    if (!j.contains(key)) return false;
    if (!j[key].is_boolean()) throw Error(where + ": '" + key + "' must be true or false");
    return j[key].get<bool>();
  };
  LayerSpec s;
  if (!j.contains("kind") || !j["kind"].is_string())
    throw Error(where + ": needs \"kind\" (dense, activation, dropout, batchnorm, layernorm, residual)");
  s.kind = j["kind"].get<std::string>();
  if (s.kind == "dense") {
    const double u = num("units", 0);
    if (!(u >= 1 && u <= 1e8 && u == static_cast<double>(static_cast<size_t>(u))))
      throw Error(where + ": dense needs \"units\", a whole number >= 1");
    s.units = static_cast<size_t>(u);
    if (j.contains("init")) {
      if (!j["init"].is_string()) throw Error(where + ": 'init' must be a string");
      s.init = j["init"].get<std::string>();
      try {
        init_from_name(s.init);  // validates
      } catch (const Error& e) {
        throw Error(where + ": " + e.what());
      }
    }
  } else if (s.kind == "activation") {
    if (!j.contains("activation") || !j["activation"].is_string())
      throw Error(where + ": activation needs \"activation\": a name from `actlab list`");
    s.activation = j["activation"].get<std::string>();
    if (j.contains("params")) {
      if (!j["params"].is_object()) throw Error(where + ": 'params' must be an object {\"name\": value}");
      for (auto& [k, v] : j["params"].items()) {
        if (!v.is_number()) throw Error(where + ": parameter '" + k + "' must be a number");
        s.params.emplace_back(k, v.get<double>());
      }
    }
    s.learnable = flag("learnable");
    s.per_channel = flag("per_channel");
    try {
      Activation::make(s.activation, s.params);  // validates name and parameters
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  } else if (s.kind == "dropout") {
    s.rate = num("rate", 0.5);
  } else if (s.kind == "batchnorm") {
    s.eps = num("eps", 1e-5);
    s.momentum = num("momentum", 0.1);
  } else if (s.kind == "layernorm") {
    s.eps = num("eps", 1e-5);
  } else if (s.kind == "residual") {
    if (!j.contains("body") || !j["body"].is_array())
      throw Error(where + ": residual needs \"body\": [layers]");
    for (size_t i = 0; i < j["body"].size(); ++i)
      s.body.push_back(spec_from(j["body"][i], where + ".body[" + std::to_string(i) + "]"));
  } else {
    throw Error(where + ": unknown kind '" + s.kind +
                "'; kinds: dense, activation, dropout, batchnorm, layernorm, residual");
  }
  return s;
}
}  // namespace

std::string layers_to_json(size_t input_features, const std::vector<LayerSpec>& layers) {
  json j{{"input", input_features}, {"layers", json::array()}};
  for (auto& s : layers) j["layers"].push_back(spec_json(s));
  return j.dump();
}

std::pair<size_t, std::vector<LayerSpec>> layers_from_json(const std::string& text,
                                                           const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(source + ": not valid JSON (" + detail::json_error_text(e) + ")");
  }
  if (!j.is_object() || !j.contains("layers") || !j["layers"].is_array())
    throw Error(source + ": expected {\"input\": N, \"layers\": [...]}");
  size_t input = 0;
  if (j.contains("input")) {
    if (!j["input"].is_number_unsigned() || j["input"].get<size_t>() == 0)
      throw Error(source + ": \"input\" must be a whole number >= 1");
    input = j["input"].get<size_t>();
  }
  std::vector<LayerSpec> layers;
  for (size_t i = 0; i < j["layers"].size(); ++i)
    layers.push_back(spec_from(j["layers"][i], source + ": layers[" + std::to_string(i) + "]"));
  if (layers.empty()) throw Error(source + ": \"layers\" is empty");
  return {input, std::move(layers)};
}

std::vector<LayerSpec> mlp(const std::vector<size_t>& widths, const std::string& act,
                           const std::vector<std::pair<std::string, double>>& act_params) {
  std::vector<LayerSpec> out;
  for (size_t i = 1; i < widths.size(); ++i) {
    LayerSpec d;
    d.kind = "dense";
    d.units = widths[i];
    out.push_back(d);
    if (i + 1 < widths.size()) {
      LayerSpec a;
      a.kind = "activation";
      a.activation = act;
      a.params = act_params;
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace actlab
