// Layers: forward and backward side by side. Shapes: x is (B, in) row-major,
// y is (B, out); B = rows of the batch.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "actlab/nn.h"
#include "src/nn/blas.h"

namespace actlab {
namespace {

using blas::gemm;

template <class T>
NamedTensor<T> matrix(std::string name, size_t rows, size_t cols, T* value, T* grad) {
  return {std::move(name), rows, cols, false, value, grad};
}
template <class T>
NamedTensor<T> vec(std::string name, size_t n, T* value, T* grad) {
  return {std::move(name), n, 1, true, value, grad};
}

// ---- Dense: y = x W^T + b -------------------------------------------------------
// W is (out, in) as in torch.nn.Linear.
template <class T>
class Dense final : public Layer<T> {
 public:
  Dense(const LayerSpec& s, size_t in) : Layer<T>(s, in), out_(s.units) {
    if (out_ == 0) throw Error("dense layer: units must be >= 1");
    scheme_ = init_from_name(s.init);
  }
  size_t out_features() const override { return out_; }
  size_t parameter_count() const override { return out_ * this->in_ + out_; }
  void bind(T* value, T* grad) override {
    w_ = value;
    b_ = value + out_ * this->in_;
    dw_ = grad;
    db_ = grad + out_ * this->in_;
  }
  void named(const std::string& prefix, std::vector<NamedTensor<T>>& params,
             std::vector<NamedTensor<T>>&) override {
    params.push_back(matrix(prefix + "weight", out_, this->in_, w_, dw_));
    params.push_back(vec(prefix + "bias", out_, b_, db_));
  }
  void initialize(Rng& rng, InitScheme model_default, const Activation& next) override {
    const InitScheme s = scheme_ == InitScheme::kAuto ? model_default : scheme_;
    init_dense(w_, b_, out_, this->in_, s, next, rng);
  }

  void forward(const Tensor<T>& x, Tensor<T>& y, Mode, uint64_t) override {
    const size_t rows = x.rows(), in = this->in_;
    y.resize(rows, out_);
    // y = b (broadcast), then y += x W^T.
    for (size_t r = 0; r < rows; ++r) std::memcpy(y.row(r), b_, out_ * sizeof(T));
    gemm(false, true, rows, out_, in, T(1), x.data(), in, w_, in, T(1), y.data(), out_);
  }

  void backward(const Tensor<T>& x, const Tensor<T>&, const Tensor<T>& dy, Tensor<T>& dx,
                bool need_dx) override {
    const size_t rows = x.rows(), in = this->in_;
    // dW = dy^T x   (out, in)
    gemm(true, false, out_, in, rows, T(1), dy.data(), out_, x.data(), in, T(0), dw_, in);
    // db = sum over rows of dy
    for (size_t o = 0; o < out_; ++o) db_[o] = 0;
    for (size_t r = 0; r < rows; ++r) {
      const T* d = dy.row(r);
      for (size_t o = 0; o < out_; ++o) db_[o] += d[o];
    }
    // dx = dy W     (rows, in)
    if (need_dx) {
      dx.resize(rows, in);
      gemm(false, false, rows, in, out_, T(1), dy.data(), out_, w_, in, T(0), dx.data(), in);
    }
  }

 private:
  size_t out_;
  InitScheme scheme_;
  T *w_ = nullptr, *b_ = nullptr, *dw_ = nullptr, *db_ = nullptr;
};

// ---- Activation: y = f(x), dx = dy * f'(x) (a VJP for glu and the axis ones) ----
template <class T>
class ActivationLayer final : public Layer<T> {
 public:
  ActivationLayer(const LayerSpec& s, size_t in)
      : Layer<T>(s, in), act_(activation_of(s)), from_output_(!s.learnable && backward_from_output_in_training(act_)) {
    const Spec& spec = *act_.spec;
    if (spec.shape == Shape::kGlu && in % 2 != 0)
      throw Error("glu layer: needs an even number of features (got " + std::to_string(in) +
                  "); make the previous layer's width even");
    prelu_ = spec.name == "prelu";
    if (prelu_) {
      channels_ = s.per_channel ? in : 1;
    } else if (s.learnable) {
      for (int k = 0; k < kMaxParams; ++k)
        if (spec.params[k].learnable) learnable_.push_back(k);
      if (learnable_.empty())
        throw Error("activation '" + std::string(spec.name) +
                    "' has no learnable parameter; drop \"learnable\" (learnable ones: prelu, silu)");
    }
  }
  size_t out_features() const override {
    return act_.spec->shape == Shape::kGlu ? this->in_ / 2 : this->in_;
  }
  size_t parameter_count() const override { return prelu_ ? channels_ : learnable_.size(); }
  void bind(T* value, T* grad) override {
    value_ = value;
    grad_ = grad;
  }
  void named(const std::string& prefix, std::vector<NamedTensor<T>>& params,
             std::vector<NamedTensor<T>>&) override {
    if (prelu_) {
      params.push_back(vec(prefix + "weight", channels_, value_, grad_));
    } else {
      for (size_t i = 0; i < learnable_.size(); ++i)
        params.push_back(vec(prefix + std::string(act_.spec->params[learnable_[i]].name), 1,
                             value_ + i, grad_ + i));
    }
  }
  void initialize(Rng&, InitScheme, const Activation&) override {
    // Learnable parameters start at the activation's value (PReLU 0.25, beta 1).
    if (prelu_) {
      const double w = act_.params[0];
      for (size_t c = 0; c < channels_; ++c) value_[c] = static_cast<T>(w);
    }
    for (size_t i = 0; i < learnable_.size(); ++i)
      value_[i] = static_cast<T>(act_.params[learnable_[i]]);
  }

  void forward(const Tensor<T>& x, Tensor<T>& y, Mode, uint64_t) override {
    const size_t rows = x.rows();
    y.resize(rows, out_features());
    if (prelu_) {
      prelu_forward(x.data(), value_, y.data(), rows, channels_, this->in_ / channels_);
      return;
    }
    sync_params();
    actlab::forward(act_, x.data(), y.data(), x.size(), this->in_);
  }

  void backward(const Tensor<T>& x, const Tensor<T>& y, const Tensor<T>& dy, Tensor<T>& dx,
                bool need_dx) override {
    const size_t rows = x.rows();
    dx.resize(rows, this->in_);
    if (from_output_) {
      if (need_dx) backward_from_output(act_, y.data(), dy.data(), dx.data(), y.size(), this->in_);
      return;
    }
    if (prelu_) {
      // dx = dy * (x > 0 ? 1 : w), dw = sum dy * min(x, 0)
      for (size_t c = 0; c < channels_; ++c) grad_[c] = 0;
      prelu_backward(x.data(), value_, dy.data(), dx.data(), grad_, rows, channels_,
                     this->in_ / channels_);
      return;
    }
    if (!learnable_.empty()) {
      double g[kMaxParams] = {0, 0, 0};
      param_backward(act_, x.data(), dy.data(), x.size(), g);
      for (size_t i = 0; i < learnable_.size(); ++i) grad_[i] = static_cast<T>(g[learnable_[i]]);
    }
    if (need_dx) actlab::backward(act_, x.data(), dy.data(), dx.data(), x.size(), this->in_);
  }

 private:
  void sync_params() {
    for (size_t i = 0; i < learnable_.size(); ++i)
      act_.params[learnable_[i]] = static_cast<double>(value_[i]);
  }
  Activation act_;
  bool from_output_ = false;  // backward from y (backward_from_output_in_training; never learnable)
  bool prelu_ = false;
  size_t channels_ = 0;
  std::vector<int> learnable_;
  T *value_ = nullptr, *grad_ = nullptr;
};

// ---- Dropout (inverted): y = x * m / (1 - p), m ~ Bernoulli(1 - p); eval: y = x ----
template <class T>
class Dropout final : public Layer<T> {
 public:
  Dropout(const LayerSpec& s, size_t in, uint64_t seed, uint64_t index)
      : Layer<T>(s, in), rng_(Rng(seed).fork(0xD0D0ull + index)) {
    if (!(s.rate >= 0 && s.rate < 1))
      throw Error("dropout: rate must be in [0, 1) (got " + std::to_string(s.rate) + ")");
  }
  void forward(const Tensor<T>& x, Tensor<T>& y, Mode mode, uint64_t step) override {
    y.resize(x.rows(), x.cols());
    const size_t n = x.size();
    if (mode == Mode::kEval || this->spec_.rate == 0) {
      std::memcpy(y.data(), x.data(), n * sizeof(T));
      training_ = false;
      return;
    }
    training_ = true;
    mask_.resize(x.rows(), x.cols());
    Rng r = rng_.fork(step);
    const T keep_scale = static_cast<T>(1.0 / (1.0 - this->spec_.rate));
    const uint64_t threshold = static_cast<uint64_t>(this->spec_.rate * 0x1.0p64 >= 0x1.0p64
                                                         ? ~0ull
                                                         : this->spec_.rate * 0x1.0p64);
    T* m = mask_.data();
    for (size_t i = 0; i < n; ++i) m[i] = r.next() >= threshold ? keep_scale : T(0);
    const T* xp = x.data();
    T* yp = y.data();
    for (size_t i = 0; i < n; ++i) yp[i] = xp[i] * m[i];
  }
  void backward(const Tensor<T>& x, const Tensor<T>&, const Tensor<T>& dy, Tensor<T>& dx,
                bool need_dx) override {
    if (!need_dx) return;
    dx.resize(x.rows(), x.cols());
    const size_t n = x.size();
    if (!training_) {
      std::memcpy(dx.data(), dy.data(), n * sizeof(T));
      return;
    }
    // dx = dy * m / (1 - p)
    for (size_t i = 0; i < n; ++i) dx.data()[i] = dy.data()[i] * mask_.data()[i];
  }

 private:
  Rng rng_;
  Tensor<T> mask_;
  bool training_ = false;
};

// ---- Shared by the normalisations: y = gamma * xhat + beta per feature -------------
template <class T>
class AffineNorm : public Layer<T> {
 public:
  using Layer<T>::Layer;
  size_t parameter_count() const override { return 2 * this->in_; }
  void bind(T* value, T* grad) override {
    gamma_ = value;
    beta_ = value + this->in_;
    dgamma_ = grad;
    dbeta_ = grad + this->in_;
  }
  void named(const std::string& prefix, std::vector<NamedTensor<T>>& params,
             std::vector<NamedTensor<T>>&) override {
    params.push_back(vec(prefix + "weight", this->in_, gamma_, dgamma_));
    params.push_back(vec(prefix + "bias", this->in_, beta_, dbeta_));
  }
  void initialize(Rng&, InitScheme, const Activation&) override {
    for (size_t j = 0; j < this->in_; ++j) {
      gamma_[j] = 1;
      beta_[j] = 0;
    }
  }

 protected:
  T *gamma_ = nullptr, *beta_ = nullptr, *dgamma_ = nullptr, *dbeta_ = nullptr;
};

// ---- Batch normalisation over the batch, per feature (nn.BatchNorm1d) -------------
//   train: xhat = (x - mean_B) / sqrt(var_B + eps), y = gamma xhat + beta;
//          running = (1 - momentum) running + momentum * batch (unbiased var)
//   eval:  the running statistics replace the batch's.
//   backward (train): dxhat = dy gamma;
//     dx = (1/B) inv_std (B dxhat - sum dxhat - xhat sum(dxhat xhat))
template <class T>
class BatchNorm final : public AffineNorm<T> {
 public:
  BatchNorm(const LayerSpec& s, size_t in)
      : AffineNorm<T>(s, in), running_mean_(in, T(0)), running_var_(in, T(1)) {
    if (!(s.eps > 0)) throw Error("batchnorm: eps must be > 0");
    if (!(s.momentum >= 0 && s.momentum <= 1)) throw Error("batchnorm: momentum must be in [0, 1]");
  }
  void named(const std::string& prefix, std::vector<NamedTensor<T>>& params,
             std::vector<NamedTensor<T>>& buffers) override {
    AffineNorm<T>::named(prefix, params, buffers);
    buffers.push_back(vec<T>(prefix + "running_mean", this->in_, running_mean_.data(), nullptr));
    buffers.push_back(vec<T>(prefix + "running_var", this->in_, running_var_.data(), nullptr));
  }
  void initialize(Rng& rng, InitScheme scheme, const Activation& next) override {
    AffineNorm<T>::initialize(rng, scheme, next);
    std::fill(running_mean_.begin(), running_mean_.end(), T(0));
    std::fill(running_var_.begin(), running_var_.end(), T(1));
  }
  void forward(const Tensor<T>& x, Tensor<T>& y, Mode mode, uint64_t) override {
    const size_t rows = x.rows(), f = this->in_;
    y.resize(rows, f);
    mean_.assign(f, 0);
    inv_std_.assign(f, 0);
    if (mode == Mode::kEval || rows < 2) {
      if (mode == Mode::kTrain)
        throw Error("batchnorm: training needs at least 2 rows per batch; raise --batch-size");
      for (size_t j = 0; j < f; ++j) {
        mean_[j] = running_mean_[j];
        inv_std_[j] = 1.0 / std::sqrt(static_cast<double>(running_var_[j]) + this->spec_.eps);
      }
    } else {
      std::vector<double> sum(f, 0.0), sq(f, 0.0);
      for (size_t r = 0; r < rows; ++r)
        for (size_t j = 0; j < f; ++j) sum[j] += x(r, j);
      for (size_t j = 0; j < f; ++j) mean_[j] = sum[j] / rows;
      for (size_t r = 0; r < rows; ++r)
        for (size_t j = 0; j < f; ++j) {
          const double d = x(r, j) - mean_[j];
          sq[j] += d * d;
        }
      const double m = this->spec_.momentum;
      for (size_t j = 0; j < f; ++j) {
        const double var = sq[j] / rows;
        inv_std_[j] = 1.0 / std::sqrt(var + this->spec_.eps);
        running_mean_[j] = static_cast<T>((1 - m) * running_mean_[j] + m * mean_[j]);
        running_var_[j] =
            static_cast<T>((1 - m) * running_var_[j] + m * sq[j] / static_cast<double>(rows - 1));
      }
    }
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < f; ++j)
        y(r, j) = static_cast<T>(gamma_[j] * ((x(r, j) - mean_[j]) * inv_std_[j]) + beta_[j]);
  }
  void backward(const Tensor<T>& x, const Tensor<T>&, const Tensor<T>& dy, Tensor<T>& dx,
                bool need_dx) override {
    const size_t rows = x.rows(), f = this->in_;
    std::vector<double> sum_dy(f, 0.0), sum_dy_xhat(f, 0.0);
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < f; ++j) {
        const double xhat = (x(r, j) - mean_[j]) * inv_std_[j];
        sum_dy[j] += dy(r, j);
        sum_dy_xhat[j] += dy(r, j) * xhat;
      }
    for (size_t j = 0; j < f; ++j) {
      dgamma_[j] = static_cast<T>(sum_dy_xhat[j]);
      dbeta_[j] = static_cast<T>(sum_dy[j]);
    }
    if (!need_dx) return;
    dx.resize(rows, f);
    const double inv_rows = 1.0 / static_cast<double>(rows);
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < f; ++j) {
        const double xhat = (x(r, j) - mean_[j]) * inv_std_[j];
        dx(r, j) = static_cast<T>(gamma_[j] * inv_std_[j] *
                                  (dy(r, j) - inv_rows * (sum_dy[j] + xhat * sum_dy_xhat[j])));
      }
  }

 private:
  using AffineNorm<T>::gamma_;
  using AffineNorm<T>::beta_;
  using AffineNorm<T>::dgamma_;
  using AffineNorm<T>::dbeta_;
  std::vector<T> running_mean_, running_var_;
  std::vector<double> mean_, inv_std_;
};

// ---- Layer normalisation over the features of each row (nn.LayerNorm) ------------
//   xhat = (x - mean_row) / sqrt(var_row + eps), y = gamma xhat + beta
//   dx = inv_std (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy gamma
template <class T>
class LayerNorm final : public AffineNorm<T> {
 public:
  LayerNorm(const LayerSpec& s, size_t in) : AffineNorm<T>(s, in) {
    if (!(s.eps > 0)) throw Error("layernorm: eps must be > 0");
  }
  void forward(const Tensor<T>& x, Tensor<T>& y, Mode, uint64_t) override {
    const size_t rows = x.rows(), f = this->in_;
    y.resize(rows, f);
    mean_.resize(rows);
    inv_std_.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      const T* xr = x.row(r);
      double s = 0;
      for (size_t j = 0; j < f; ++j) s += xr[j];
      const double mean = s / f;
      double q = 0;
      for (size_t j = 0; j < f; ++j) q += (xr[j] - mean) * (xr[j] - mean);
      mean_[r] = mean;
      inv_std_[r] = 1.0 / std::sqrt(q / f + this->spec_.eps);
      T* yr = y.row(r);
      for (size_t j = 0; j < f; ++j)
        yr[j] = static_cast<T>(gamma_[j] * ((xr[j] - mean) * inv_std_[r]) + beta_[j]);
    }
  }
  void backward(const Tensor<T>& x, const Tensor<T>&, const Tensor<T>& dy, Tensor<T>& dx,
                bool need_dx) override {
    const size_t rows = x.rows(), f = this->in_;
    for (size_t j = 0; j < f; ++j) dgamma_[j] = dbeta_[j] = 0;
    if (need_dx) dx.resize(rows, f);
    for (size_t r = 0; r < rows; ++r) {
      const T* xr = x.row(r);
      const T* dyr = dy.row(r);
      double mean_dxhat = 0, mean_dxhat_xhat = 0;
      for (size_t j = 0; j < f; ++j) {
        const double xhat = (xr[j] - mean_[r]) * inv_std_[r];
        const double dxhat = dyr[j] * static_cast<double>(gamma_[j]);
        dgamma_[j] += static_cast<T>(dyr[j] * xhat);
        dbeta_[j] += dyr[j];
        mean_dxhat += dxhat;
        mean_dxhat_xhat += dxhat * xhat;
      }
      if (!need_dx) continue;
      mean_dxhat /= f;
      mean_dxhat_xhat /= f;
      T* dxr = dx.row(r);
      for (size_t j = 0; j < f; ++j) {
        const double xhat = (xr[j] - mean_[r]) * inv_std_[r];
        const double dxhat = dyr[j] * static_cast<double>(gamma_[j]);
        dxr[j] = static_cast<T>(inv_std_[r] * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat));
      }
    }
  }

 private:
  using AffineNorm<T>::gamma_;
  using AffineNorm<T>::beta_;
  using AffineNorm<T>::dgamma_;
  using AffineNorm<T>::dbeta_;
  std::vector<double> mean_, inv_std_;
};

// ---- Residual block: y = x + body(x); dx = dy + body^T(dy) --------------------------
template <class T>
class Residual final : public Layer<T> {
 public:
  Residual(const LayerSpec& s, size_t in, uint64_t seed, uint64_t index) : Layer<T>(s, in) {
    if (s.body.empty()) throw Error("residual block: empty body; give it layers");
    size_t width = in;
    for (size_t i = 0; i < s.body.size(); ++i) {
      body_.push_back(make_layer<T>(s.body[i], width, seed, index * 1000 + i + 1));
      width = body_.back()->out_features();
    }
    if (width != in)
      throw Error("residual block: its body maps " + std::to_string(in) + " features to " +
                  std::to_string(width) + "; the body must end with " + std::to_string(in) +
                  " features so x + body(x) is defined");
    values_.resize(body_.size());
    grads_.resize(body_.size() + 1);
  }
  size_t parameter_count() const override {
    size_t n = 0;
    for (auto& l : body_) n += l->parameter_count();
    return n;
  }
  void bind(T* value, T* grad) override {
    for (auto& l : body_) {
      l->bind(value, grad);
      value += l->parameter_count();
      grad += l->parameter_count();
    }
  }
  void named(const std::string& prefix, std::vector<NamedTensor<T>>& params,
             std::vector<NamedTensor<T>>& buffers) override {
    for (size_t i = 0; i < body_.size(); ++i)
      body_[i]->named(prefix + "body." + std::to_string(i) + ".", params, buffers);
  }
  void initialize(Rng& rng, InitScheme model_default, const Activation& next) override {
    for (size_t i = 0; i < body_.size(); ++i) {
      Activation follow = next;
      for (size_t j = i + 1; j < body_.size(); ++j)
        if (body_[j]->spec().kind == "activation") {
          follow = activation_of(body_[j]->spec());
          break;
        } else if (body_[j]->spec().kind == "dense") {
          break;
        }
      body_[i]->initialize(rng, model_default, follow);
    }
  }
  void forward(const Tensor<T>& x, Tensor<T>& y, Mode mode, uint64_t step) override {
    const Tensor<T>* in = &x;
    for (size_t i = 0; i < body_.size(); ++i) {
      body_[i]->forward(*in, values_[i], mode, step);
      in = &values_[i];
    }
    y.resize(x.rows(), x.cols());
    const size_t n = x.size();
    for (size_t i = 0; i < n; ++i) y.data()[i] = x.data()[i] + in->data()[i];
  }
  void backward(const Tensor<T>& x, const Tensor<T>&, const Tensor<T>& dy, Tensor<T>& dx,
                bool need_dx) override {
    const Tensor<T>* d = &dy;
    for (size_t i = body_.size(); i-- > 0;) {
      const Tensor<T>& in = i == 0 ? x : values_[i - 1];
      body_[i]->backward(in, values_[i], *d, grads_[i], true);
      d = &grads_[i];
    }
    if (!need_dx) return;
    dx.resize(x.rows(), x.cols());
    const size_t n = x.size();
    for (size_t i = 0; i < n; ++i) dx.data()[i] = dy.data()[i] + d->data()[i];
  }

 private:
  std::vector<std::unique_ptr<Layer<T>>> body_;
  std::vector<Tensor<T>> values_, grads_;
};

}  // namespace

Activation activation_of(const LayerSpec& spec) {
  if (spec.kind != "activation") return Activation::make("identity");
  return Activation::make(spec.activation, spec.params);
}

bool backward_from_output_in_training(const Activation& a) {
  static constexpr std::string_view kFromOutput[] = {"sigmoid", "tanh", "elu", "selu", "celu",
                                                     "softmax", "log_softmax", "softmin"};
  return std::find(std::begin(kFromOutput), std::end(kFromOutput), a.spec->name) != std::end(kFromOutput) &&
         has_backward_from_output(a);
}

template <class T>
std::unique_ptr<Layer<T>> make_layer(const LayerSpec& spec, size_t in, uint64_t seed,
                                     uint64_t index) {
  if (in == 0) throw Error("layer " + spec.kind + ": input has 0 features");
  if (spec.kind == "dense") return std::make_unique<Dense<T>>(spec, in);
  if (spec.kind == "activation") return std::make_unique<ActivationLayer<T>>(spec, in);
  if (spec.kind == "dropout") return std::make_unique<Dropout<T>>(spec, in, seed, index);
  if (spec.kind == "batchnorm") return std::make_unique<BatchNorm<T>>(spec, in);
  if (spec.kind == "layernorm") return std::make_unique<LayerNorm<T>>(spec, in);
  if (spec.kind == "residual") return std::make_unique<Residual<T>>(spec, in, seed, index);
  throw Error("unknown layer kind '" + spec.kind +
              "'; kinds: dense, activation, dropout, batchnorm, layernorm, residual");
}

template std::unique_ptr<Layer<float>> make_layer(const LayerSpec&, size_t, uint64_t, uint64_t);
template std::unique_ptr<Layer<double>> make_layer(const LayerSpec&, size_t, uint64_t, uint64_t);

}  // namespace actlab
