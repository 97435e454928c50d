// actlab/nn.h: layers and the sequential model that trains them.
//
// Each layer keeps its forward and backward side by side (llm.c style):
//   forward:  y = layer(x)
//   backward: given dL/dy, writes dL/dx (when asked) and dL/dparameters.
// All parameters of a model live in one contiguous block, all gradients in
// another, so an optimizer step or a gradient norm is a single loop.
// Parameter names follow torch.nn.Sequential ("0.weight", "2.bias",
// "4.body.0.weight"), so a checkpoint maps onto the equivalent PyTorch model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actlab/activation.h"
#include "actlab/init.h"
#include "actlab/rng.h"
#include "actlab/tensor.h"

namespace actlab {

// The architecture, one entry per layer (what a model file and a checkpoint's
// metadata hold).
struct LayerSpec {
  std::string kind;  // dense | activation | dropout | batchnorm | layernorm | residual
  // dense
  size_t units = 0;
  std::string init = "auto";  // see init.h; "auto" follows the next activation
  // activation: a table name, parameter overrides, and whether the table's
  // learnable parameters (PReLU's weight, SiLU's beta) are trained. PReLU is
  // always trained; per_channel gives one weight per feature (nn.PReLU(num_parameters=features)).
  std::string activation;
  std::vector<std::pair<std::string, double>> params;
  bool learnable = false;
  bool per_channel = false;
  // dropout
  double rate = 0.5;
  // batchnorm / layernorm
  double eps = 1e-5;
  double momentum = 0.1;  // batchnorm running statistics (torch's default)
  // residual: y = x + body(x); body must keep the feature count
  std::vector<LayerSpec> body;
};

enum class Mode { kTrain, kEval };

template <class T>
struct NamedTensor {
  std::string name;
  size_t rows, cols;  // cols == 1 and rows == n for vectors (saved with shape [n])
  bool vector;
  T* value;
  T* grad;  // nullptr for buffers (running statistics)
};

template <class T>
class Layer {
 public:
  virtual ~Layer() = default;
  const LayerSpec& spec() const { return spec_; }
  size_t in_features() const { return in_; }
  virtual size_t out_features() const { return in_; }

  // Trained parameters, in the order they occupy the model's block.
  virtual size_t parameter_count() const { return 0; }
  // Receives this layer's slices of the parameter and gradient blocks.
  virtual void bind(T* /*value*/, T* /*grad*/) {}
  virtual void named(const std::string& /*prefix*/, std::vector<NamedTensor<T>>& /*params*/,
                     std::vector<NamedTensor<T>>& /*buffers*/) {}
  // `next` is the activation the layer feeds (identity when none).
  virtual void initialize(Rng& /*rng*/, InitScheme /*model_default*/, const Activation& /*next*/) {}

  // step: the global training step, so dropout masks are a function of
  // (seed, layer, step) and a resumed run draws the same masks.
  virtual void forward(const Tensor<T>& x, Tensor<T>& y, Mode mode, uint64_t step) = 0;
  // x, y: this layer's input and output of the last forward (train mode).
  virtual void backward(const Tensor<T>& x, const Tensor<T>& y, const Tensor<T>& dy, Tensor<T>& dx,
                        bool need_dx) = 0;

 protected:
  Layer(LayerSpec spec, size_t in) : spec_(std::move(spec)), in_(in) {}
  LayerSpec spec_;
  size_t in_;
};

// Builds one layer; Error for an unknown kind, bad activation, zero units.
// `seed`/`index` give dropout its stream.
template <class T>
std::unique_ptr<Layer<T>> make_layer(const LayerSpec& spec, size_t in_features, uint64_t seed,
                                     uint64_t index);

// The activation a layer spec applies (identity for other kinds).
Activation activation_of(const LayerSpec& spec);

// Whether an activation layer computes its backward from its output y
// (backward_from_output) instead of from x: for the entries whose f' from x
// costs an exponential and a divide but follows from y in a multiply or two
// (sigmoid, tanh, elu, selu, celu, softmax, log_softmax, softmin; as PyTorch
// does), a pass at memory speed whose error stays below a few eps * max|f'|
// (docs/accuracy.md). The piecewise-linear ones keep the exact from-x kernel,
// which is as fast. Model::summary() marks the layers that use it.
bool backward_from_output_in_training(const Activation& a);

template <class T>
class Model {
 public:
  // Error when the layers do not fit together (a residual body that changes
  // the width, glu on an odd width, zero units...).
  Model(size_t input_features, std::vector<LayerSpec> layers, uint64_t seed = 0);
  Model(Model&&) noexcept = default;

  size_t input_features() const { return input_features_; }
  size_t output_features() const;
  const std::vector<LayerSpec>& specs() const { return specs_; }
  size_t layer_count() const { return layers_.size(); }
  Layer<T>& layer(size_t i) { return *layers_[i]; }

  // Fresh weights: each dense layer by its own init, or `scheme` when that is
  // "auto"... (see LayerSpec::init), drawn from Rng(seed).
  void initialize(uint64_t seed, InitScheme scheme = InitScheme::kAuto);

  // Runs every layer; the returned output (rows x output_features()) and the
  // intermediate values stay valid until the next forward.
  const Tensor<T>& forward(const Tensor<T>& x, Mode mode, uint64_t step = 0);
  // dL/doutput -> every parameter's gradient (overwritten, not accumulated).
  // Needs the preceding forward in Mode::kTrain. dL/dinput (gradient(0)) is
  // computed only when asked: training never needs it.
  void backward(const Tensor<T>& doutput, bool input_gradient = false);
  // Input of layer i (i == layer_count(): the model's output) and, for
  // i < layer_count(), the gradient with respect to it after backward
  // (i >= 1; i = 0 when asked).
  const Tensor<T>& activation(size_t i) const { return i == 0 ? *input_ : values_[i - 1]; }
  const Tensor<T>& gradient(size_t i) const { return grads_[i]; }

  T* parameters() { return params_.data(); }
  T* gradients() { return param_grads_.data(); }
  size_t parameter_count() const { return params_.size(); }
  std::vector<NamedTensor<T>> named_parameters();
  std::vector<NamedTensor<T>> named_buffers();

  // The table printed before training: layer, output shape, parameters.
  std::string summary() const;

 private:
  size_t input_features_;
  std::vector<LayerSpec> specs_;
  std::vector<std::unique_ptr<Layer<T>>> layers_;
  std::vector<T> params_, param_grads_;
  const Tensor<T>* input_ = nullptr;
  std::vector<Tensor<T>> values_;  // values_[i]: output of layer i
  std::vector<Tensor<T>> grads_;   // grads_[i]: dL/d(input of layer i)
};

// Architecture <-> JSON text (model files, checkpoint metadata):
// {"input": 784, "layers": [{"kind": "dense", "units": 256}, {"kind": "activation",
//  "activation": "relu"}, ...]}. Errors name the field and the layer index.
std::string layers_to_json(size_t input_features, const std::vector<LayerSpec>& layers);
std::pair<size_t, std::vector<LayerSpec>> layers_from_json(const std::string& text,
                                                           const std::string& source);

// The classic MLP: "784-256-128-10" with `act` between dense layers and no
// activation after the last (the loss or `output` handles it).
std::vector<LayerSpec> mlp(const std::vector<size_t>& widths, const std::string& act,
                           const std::vector<std::pair<std::string, double>>& act_params);

}  // namespace actlab
