// Weight initialisation as torch.nn.init defines it (include/actlab/init.h).
//
// Every number comes from actlab::Rng (never std::*_distribution, whose output
// differs between standard libraries), drawn in a fixed order: the weight in
// row-major order, then the bias. A seed therefore gives the same network on
// every platform and thread count.
#include "actlab/init.h"
#include "src/nn/names.h"

#include <cmath>
#include <string>

namespace actlab {
namespace {

struct SchemeName {
  const char* name;
  InitScheme scheme;
};
// Canonical names first (init_name returns these), then aliases.
constexpr SchemeName kNames[] = {
    {"auto", InitScheme::kAuto},
    {"naive", InitScheme::kNaive},
    {"xavier_uniform", InitScheme::kXavierUniform},
    {"xavier_normal", InitScheme::kXavierNormal},
    {"he_uniform", InitScheme::kHeUniform},
    {"he_normal", InitScheme::kHeNormal},
    {"lecun_uniform", InitScheme::kLeCunUniform},
    {"lecun_normal", InitScheme::kLeCunNormal},
    {"torch", InitScheme::kTorchDefault},
};
constexpr size_t kCanonical = sizeof(kNames) / sizeof(kNames[0]);
constexpr SchemeName kAliases[] = {
    {"xavier", InitScheme::kXavierUniform},
    {"glorot", InitScheme::kXavierUniform},
    {"glorot_uniform", InitScheme::kXavierUniform},
    {"glorot_normal", InitScheme::kXavierNormal},
    {"he", InitScheme::kHeNormal},
    {"kaiming", InitScheme::kHeNormal},
    {"kaiming_normal", InitScheme::kHeNormal},
    {"kaiming_uniform", InitScheme::kHeUniform},
    {"lecun", InitScheme::kLeCunNormal},
    {"torch_default", InitScheme::kTorchDefault},
    {"default", InitScheme::kTorchDefault},
};

using detail::normalize_name;

bool In(std::string_view name, std::initializer_list<std::string_view> set) {
  for (std::string_view s : set)
    if (name == s) return true;
  return false;
}

std::string_view NameOf(const Activation& act, const char* who) {
  if (act.spec == nullptr)
    throw Error(std::string(who) + ": the activation is empty; build it with Activation::make(name)");
  return act.spec->name;
}

}  // namespace

InitScheme init_from_name(std::string_view name) {
  const std::string key = normalize_name(name);
  for (const SchemeName& s : kNames)
    if (key == s.name) return s.scheme;
  for (const SchemeName& s : kAliases)
    if (key == s.name) return s.scheme;
  std::string valid, aliases;
  for (const SchemeName& s : kNames) valid += (valid.empty() ? "" : ", ") + std::string(s.name);
  for (const SchemeName& s : kAliases) aliases += (aliases.empty() ? "" : ", ") + std::string(s.name);
  throw Error("init: unknown scheme '" + std::string(name) + "'; valid names: " + valid + " (aliases: " + aliases + ")");
}

const char* init_name(InitScheme s) {
  for (size_t k = 0; k < kCanonical; ++k)
    if (kNames[k].scheme == s) return kNames[k].name;
  throw Error("init: unknown InitScheme " + std::to_string(static_cast<int>(s)) + "; use an InitScheme enumerator");
}

// The expressions are torch.nn.init.calculate_gain's, operation for operation,
// so the values agree to the last bit.
double calculate_gain(const Activation& act, bool* gain_is_torch) {
  const std::string_view name = NameOf(act, "calculate_gain");
  bool torch = true;
  double gain = 1.0;
  if (In(name, {"identity", "sigmoid"})) {
    gain = 1.0;
  } else if (name == "tanh") {
    gain = 5.0 / 3;
  } else if (name == "relu") {
    gain = std::sqrt(2.0);
  } else if (name == "leaky_relu") {
    const double slope = act.param("negative_slope");
    gain = std::sqrt(2.0 / (1 + slope * slope));
  } else if (name == "selu") {
    gain = 3.0 / 4;
  } else {
    // No torch value. Activations that pass positive inputs (nearly)
    // unchanged and squash negative ones halve the variance like ReLU, so
    // they take ReLU's sqrt(2); the rest keep 1 (Xavier's assumption).
    torch = false;
    gain = In(name, {"elu", "celu", "gelu", "gelu_tanh", "silu", "mish", "softplus", "prelu", "rrelu",
                     "relu6", "hardswish", "threshold"})
               ? std::sqrt(2.0)
               : 1.0;
  }
  if (gain_is_torch) *gain_is_torch = torch;
  return gain;
}

InitScheme auto_init(const Activation& act) {
  const std::string_view name = NameOf(act, "auto_init");
  if (name == "selu") return InitScheme::kLeCunNormal;
  if (In(name, {"sigmoid", "hardsigmoid", "tanh", "softsign", "hardtanh", "identity", "softmax", "log_softmax",
                "softmin"}))
    return InitScheme::kXavierUniform;
  return InitScheme::kHeNormal;
}

// With g the gain (Xavier and He only), fan_in = in, fan_out = out:
//   naive           W ~ N(0, 0.01^2)
//   xavier_uniform  W ~ U(-a, a),  a = g sqrt(6 / (fan_in + fan_out))
//   xavier_normal   W ~ N(0, s^2), s = g sqrt(2 / (fan_in + fan_out))
//   he_uniform      W ~ U(-a, a),  a = g sqrt(3 / fan_in)
//   he_normal       W ~ N(0, s^2), s = g / sqrt(fan_in)
//   lecun_uniform   W ~ U(-a, a),  a = sqrt(3 / fan_in)
//   lecun_normal    W ~ N(0, s^2), s = 1 / sqrt(fan_in)
//   torch           W ~ U(-a, a),  a = 1 / sqrt(fan_in), and b ~ U(-a, a)
// b = 0 except for torch. (Uniform U(-a, a) has standard deviation a/sqrt(3),
// which is how each uniform scheme matches its normal twin.)
template <class T>
void init_dense(T* weight, T* bias, size_t out, size_t in, InitScheme scheme, const Activation& act, Rng& rng) {
  const std::string what = std::string("init ") + init_name(scheme);  // throws on a bad scheme
  if (out == 0 || in == 0)
    throw Error(what + ": empty layer (" + std::to_string(out) + " x " + std::to_string(in) +
                "); give the layer at least one input and one output");
  if (weight == nullptr) throw Error(what + ": weight pointer is null; pass the layer's out x in weight");
  if (scheme == InitScheme::kAuto) scheme = auto_init(act);
  const double fan_in = static_cast<double>(in), fan_out = static_cast<double>(out);
  const bool gained = scheme == InitScheme::kXavierUniform || scheme == InitScheme::kXavierNormal ||
                      scheme == InitScheme::kHeUniform || scheme == InitScheme::kHeNormal;
  const double g = gained ? calculate_gain(act) : 1.0;

  bool uniform = true;
  double scale = 0;  // a for uniform schemes, s for normal ones
  switch (scheme) {
    case InitScheme::kNaive: uniform = false, scale = 0.01; break;
    case InitScheme::kXavierUniform: scale = g * std::sqrt(6.0 / (fan_in + fan_out)); break;
    case InitScheme::kXavierNormal: uniform = false, scale = g * std::sqrt(2.0 / (fan_in + fan_out)); break;
    case InitScheme::kHeUniform: scale = g * std::sqrt(3.0 / fan_in); break;
    case InitScheme::kHeNormal: uniform = false, scale = g / std::sqrt(fan_in); break;
    case InitScheme::kLeCunUniform: scale = std::sqrt(3.0 / fan_in); break;
    case InitScheme::kLeCunNormal: uniform = false, scale = 1.0 / std::sqrt(fan_in); break;
    case InitScheme::kTorchDefault: scale = 1.0 / std::sqrt(fan_in); break;
    case InitScheme::kAuto: break;  // resolved above
  }

  const size_t n = out * in;
  if (uniform) {
    for (size_t k = 0; k < n; ++k) weight[k] = static_cast<T>(rng.uniform(-scale, scale));
  } else {
    for (size_t k = 0; k < n; ++k) weight[k] = static_cast<T>(rng.normal(0.0, scale));
  }
  if (bias == nullptr) return;  // a layer without bias
  if (scheme == InitScheme::kTorchDefault) {
    for (size_t k = 0; k < out; ++k) bias[k] = static_cast<T>(rng.uniform(-scale, scale));
  } else {
    for (size_t k = 0; k < out; ++k) bias[k] = T(0);
  }
}

template void init_dense<float>(float*, float*, size_t, size_t, InitScheme, const Activation&, Rng&);
template void init_dense<double>(double*, double*, size_t, size_t, InitScheme, const Activation&, Rng&);

}  // namespace actlab
