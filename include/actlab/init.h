// actlab/init.h: weight initialisation, as torch.nn.init defines it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "actlab/activation.h"
#include "actlab/rng.h"

namespace actlab {

enum class InitScheme {
  kAuto,           // chosen by the layer's activation (auto_init below)
  kNaive,          // the textbooks' "small random numbers": W ~ N(0, 0.01^2), b = 0
  kXavierUniform,  // U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)), b = 0
  kXavierNormal,   // N(0, gain^2 * 2 / (fan_in + fan_out)), b = 0
  kHeUniform,      // U(-a, a), a = gain * sqrt(3 / fan_in), b = 0      (kaiming_uniform_, fan_in)
  kHeNormal,       // N(0, gain^2 / fan_in), b = 0                       (kaiming_normal_, fan_in)
  kLeCunUniform,   // U(-a, a), a = sqrt(3 / fan_in), b = 0
  kLeCunNormal,    // N(0, 1 / fan_in), b = 0
  kTorchDefault,   // nn.Linear's own: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
};

// "auto", "naive", "xavier" (= xavier_uniform), "xavier_uniform", "xavier_normal",
// "glorot" (= xavier), "he" (= he_normal), "he_uniform", "he_normal", "kaiming"
// (= he), "lecun" (= lecun_normal), "lecun_uniform", "lecun_normal", "torch";
// Error listing them otherwise.
InitScheme init_from_name(std::string_view name);
const char* init_name(InitScheme s);

// torch.nn.init.calculate_gain for the activation that follows the layer:
// identity/linear/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu
// sqrt(2 / (1 + slope^2)) with the activation's own slope, selu 3/4. For
// activations torch has no gain for: the ReLU-like ones (elu, celu, gelu,
// gelu_tanh, silu, mish, softplus, prelu, rrelu, relu6, hardswish,
// threshold) use relu's sqrt(2) and the rest 1; `gain_is_torch` tells which
// case applied. Error if `act` is empty (no spec).
double calculate_gain(const Activation& act, bool* gain_is_torch = nullptr);

// The scheme "auto" picks: selu -> LeCun normal (self-normalising networks);
// the saturating, zero-centred or linear ones (sigmoid, hardsigmoid, tanh,
// softsign, hardtanh, identity) and the output layer's (identity for logits,
// softmax, log_softmax, softmin) -> Xavier uniform; everything else (the ReLU
// family and smooth ReLU-likes) -> He normal. Error if `act` is empty.
InitScheme auto_init(const Activation& act);

// Fills a dense layer's weight (out x in, row-major, PyTorch's layout) and
// bias (out) for the activation that follows it. kAuto resolves through
// auto_init. Gains apply to Xavier and He only (as in torch). Draws come from
// `rng` in a fixed order (weight row-major, then the bias for kTorchDefault),
// so a seed gives the same layer everywhere. bias may be null (no bias).
// Error on an empty layer (out or in 0), a null weight or a bad scheme.
template <class T>
void init_dense(T* weight, T* bias, size_t out, size_t in, InitScheme scheme, const Activation& act,
                Rng& rng);

}  // namespace actlab
