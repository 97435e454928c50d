// Mini-batch training: shuffle, gather a batch, forward, loss and dL/dout,
// backward, clip, optimizer step; evaluate after every epoch.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <numeric>
#include <optional>

#include "actlab/train.h"
#include "src/common/parallel.h"

namespace actlab {
namespace {

using Clock = std::chrono::steady_clock;

// Flush-to-zero and denormals-are-zero while the guard lives (this thread's
// SSE/AVX control register), as torch.set_flush_denormal(True) does.
// The optimizer step runs under it: Adam's first moment of a weight whose
// gradient is almost always 0 (a border pixel of Fashion-MNIST) decays by 0.9
// per step into the subnormal range in ~800 steps, where every vector
// operation on it takes a microcode assist; that made Adam 40% of a batch-32
// epoch. A state value below 2^-126 moves no parameter: its update is
// lr * m / (sqrt(v) + eps) < 1e-30.
class FlushDenormals {
 public:
  FlushDenormals() {
#if defined(__x86_64__) || defined(__i386__)
    saved_ = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(saved_ | 0x8040u);  // FTZ (bit 15) | DAZ (bit 6)
#endif
  }
  ~FlushDenormals() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_ldmxcsr(saved_);
#endif
  }

 private:
  unsigned saved_ = 0;
};
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Rows idx[0..count) of `d` into x (and the matching targets). The rows are
// copied by actlab::threads() threads (a batch of 128 Fashion-MNIST rows is
// 400 KB read from all over the data set: ~6% of a 2-thread epoch on one
// thread, while the other waited); copies are exact, so the split changes
// nothing but the time.
template <class T>
void gather(const data::Dataset& d, const uint32_t* idx, size_t count, Tensor<T>& x,
            std::vector<int32_t>& labels, Tensor<T>& values) {
  const size_t f = d.features;
  x.resize(count, f);
  constexpr size_t kMinBytesPerThread = size_t{64} << 10;
  const size_t by_size = count * f * sizeof(T) / kMinBytesPerThread;
  const int t = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads()), std::max<size_t>(1, by_size)));
  detail::ParallelRanges(count, t, 1, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const float* src = d.row(idx[r]);
      T* dst = x.row(r);
      if constexpr (std::is_same_v<T, float>) {
        std::memcpy(dst, src, f * sizeof(float));
      } else {
        for (size_t j = 0; j < f; ++j) dst[j] = src[j];
      }
    }
  });
  if (d.classification()) {
    labels.resize(count);
    for (size_t r = 0; r < count; ++r) labels[r] = d.labels[idx[r]];
  } else {
    values.resize(count, d.outputs);
    for (size_t r = 0; r < count; ++r)
      for (size_t j = 0; j < d.outputs; ++j) values(r, j) = d.targets[idx[r] * d.outputs + j];
  }
}

// Correct predictions in a batch: argmax for several outputs; one output is a
// logit (BCE: z > 0) or a probability-like score (> 0.5).
// per_class (optional): {rows, correct} counters indexed by label.
template <class T>
size_t correct(const Tensor<T>& out, const int32_t* labels, LossKind loss, Evaluation* per_class = nullptr) {
  size_t hits = 0;
  const size_t cols = out.cols();
  for (size_t r = 0; r < out.rows(); ++r) {
    const T* o = out.row(r);
    int32_t predicted;
    if (cols == 1) {
      const T threshold = loss == LossKind::kBceWithLogits ? T(0) : T(0.5);
      predicted = o[0] > threshold ? 1 : 0;
    } else {
      predicted = static_cast<int32_t>(std::max_element(o, o + cols) - o);
    }
    hits += predicted == labels[r];
    const size_t classes = per_class ? per_class->class_rows.size() : 0;
    if (static_cast<size_t>(labels[r]) < classes) {
      ++per_class->class_rows[labels[r]];
      per_class->class_correct[labels[r]] += predicted == labels[r];
      if (static_cast<size_t>(predicted) < classes) ++per_class->confusion[labels[r] * classes + predicted];
    }
  }
  return hits;
}

template <class T>
Targets<T> targets_of(const data::Dataset& d, const std::vector<int32_t>& labels,
                      const Tensor<T>& values) {
  Targets<T> t;
  if (d.classification())
    t.labels = labels.data();
  else
    t.values = values.data();
  return t;
}

}  // namespace

template <class T>
Evaluation evaluate(Model<T>& model, const TrainConfig& cfg, const data::Dataset& d) {
  Evaluation e;
  if (d.rows == 0) return e;
  if (d.features != model.input_features())
    throw Error(fmt::format("{}: rows have {} features, the model expects {}", d.name, d.features,
                            model.input_features()));
  constexpr size_t kChunk = 1000;
  const ScopedThreads one_thread_kernels(1);
  std::vector<uint32_t> idx(kChunk);
  Tensor<T> x, values;
  std::vector<int32_t> labels;
  double loss_sum = 0;
  size_t hits = 0;
  e.class_rows.assign(d.classes, 0);
  e.class_correct.assign(d.classes, 0);
  e.confusion.assign(d.classes * d.classes, 0);
  // Regression: per target, the sums of squared and absolute errors and of
  // squared deviations from the target's mean (taken first, so SST does not
  // lose digits to cancellation).
  const size_t targets = d.classification() ? 0 : d.outputs;
  if (targets && model.output_features() != targets)
    throw Error(
        fmt::format("{}: rows have {} targets, the model has {} outputs", d.name, targets, model.output_features()));
  std::vector<double> mean(targets, 0.0), sse(targets, 0.0), sae(targets, 0.0), sst(targets, 0.0);
  for (size_t r = 0; r < (targets ? d.rows : 0); ++r)
    for (size_t j = 0; j < targets; ++j) mean[j] += d.targets[r * targets + j] / static_cast<double>(d.rows);
  const Activation prediction = Activation::make(targets ? cfg.output : "identity");
  Tensor<T> predicted;
  for (size_t start = 0; start < d.rows; start += kChunk) {
    const size_t count = std::min(kChunk, d.rows - start);
    std::iota(idx.begin(), idx.begin() + count, static_cast<uint32_t>(start));
    gather(d, idx.data(), count, x, labels, values);
    const Tensor<T>& out = model.forward(x, Mode::kEval);
    // Every loss is a mean over rows (times a constant per row), so a
    // row-weighted mean of chunk means is the mean over the set.
    loss_sum += loss(cfg.loss, out.data(), count, out.cols(), targets_of(d, labels, values),
                     static_cast<T*>(nullptr), cfg.huber_delta) *
                static_cast<double>(count);
    if (d.classification()) hits += correct(out, labels.data(), cfg.loss, &e);
    if (targets) {
      predicted.resize(out.rows(), out.cols());
      forward(prediction, out.data(), predicted.data(), out.size(), out.cols());
      for (size_t r = 0; r < count; ++r)
        for (size_t j = 0; j < targets; ++j) {
          const double y = values(r, j), err = static_cast<double>(predicted(r, j)) - y;
          sse[j] += err * err;
          sae[j] += std::fabs(err);
          sst[j] += (y - mean[j]) * (y - mean[j]);
        }
    }
  }
  e.rows = d.rows;
  e.loss = loss_sum / static_cast<double>(d.rows);
  if (d.classification()) e.accuracy = static_cast<double>(hits) / static_cast<double>(d.rows);
  if (targets) {
    const double n = static_cast<double>(d.rows), k = static_cast<double>(targets);
    e.rmse = e.mae = e.r2 = 0;
    for (size_t j = 0; j < targets; ++j) {
      e.rmse += std::sqrt(sse[j] / n) / k;
      e.mae += sae[j] / n / k;
      e.r2 += (sst[j] > 0 ? 1 - sse[j] / sst[j] : sse[j] == 0 ? 1.0 : 0.0) / k;
    }
  }
  return e;
}

template <class T>
void train(Model<T>& model, const TrainConfig& cfg, const data::Splits& data, TrainState<T>& state,
           const TrainCallbacks& callbacks, const std::function<void()>& checkpoint,
           size_t planned_epochs, TrainObserver<T>* observer) {
  const data::Dataset& train_set = data.train;
  const size_t n = train_set.rows;
  if (n == 0) throw Error("training set is empty");
  if (cfg.batch_size == 0) throw Error("--batch-size: must be >= 1");
  if (train_set.features != model.input_features())
    throw Error(fmt::format("{}: rows have {} features, the model's input is {}; fix --layers",
                            train_set.name, train_set.features, model.input_features()));
  if (train_set.classification() && model.output_features() > 1 &&
      model.output_features() < train_set.classes)
    throw Error(fmt::format("the model has {} outputs but {} has {} classes; make the last layer {} wide",
                            model.output_features(), train_set.name, train_set.classes,
                            train_set.classes));
  if (!state.optimizer) state.optimizer = make_optimizer<T>(cfg.optimizer, model.parameter_count());

  const size_t batch = std::min(cfg.batch_size, n);
  const size_t batches = (n + batch - 1) / batch;
  const size_t total_steps = batches * (planned_epochs ? std::max(planned_epochs, cfg.epochs) : cfg.epochs);
  std::vector<uint32_t> perm(n);
  Tensor<T> x, values, dout;
  std::vector<int32_t> labels;

  for (size_t epoch = state.epochs_done + 1; epoch <= cfg.epochs; ++epoch) {
    std::iota(perm.begin(), perm.end(), 0u);
    Rng(cfg.seed).fork(epoch).shuffle(perm.data(), n);
    EpochRecord rec;
    rec.epoch = epoch;
    double loss_sum = 0, norm_sum = 0;
    size_t hits = 0, seen = 0, norms = 0;
    const auto t0 = Clock::now();
    for (size_t b = 0; b < batches; ++b) {
      const size_t start = b * batch, count = std::min(batch, n - start);
      gather(train_set, perm.data() + start, count, x, labels, values);
      // Batch-sized kernels stay on this thread (see ScopedThreads); the
      // GEMMs and the optimizer step use the threads.
      std::optional<ScopedThreads> one_thread_kernels(std::in_place, 1);
      const Tensor<T>& out = model.forward(x, Mode::kTrain, state.step);
      dout.resize(out.rows(), out.cols());
      const double l = loss(cfg.loss, out.data(), count, out.cols(),
                            targets_of(train_set, labels, values), dout.data(), cfg.huber_delta);
      if (!std::isfinite(l))
        throw Error(fmt::format(
            "training diverged in epoch {} (batch {} of {}): the loss is {}; lower --lr (now {}) or "
            "add --clip-norm 1",
            epoch, b + 1, batches, l, cfg.optimizer.lr));
      loss_sum += l * static_cast<double>(count);
      if (train_set.classification()) hits += correct(out, labels.data(), cfg.loss);
      seen += count;
      model.backward(dout);
      one_thread_kernels.reset();
      if (observer) observer->after_backward(model, state.step, epoch);
      if (cfg.clip_value > 0) clip_grad_value(model.gradients(), model.parameter_count(), cfg.clip_value);
      if (cfg.clip_norm > 0) {
        norm_sum += clip_grad_norm(model.gradients(), model.parameter_count(), cfg.clip_norm);
        ++norms;
      }
      const double lr = scheduled_lr(cfg.schedule, cfg.optimizer.lr, state.step, batches, total_steps);
      rec.lr = lr;
      {
        const FlushDenormals ftz;
        state.optimizer->step(model.parameters(), model.gradients(), lr);
      }
      if (observer) observer->after_update(model, state.step, lr);
      ++state.step;
      if (callbacks.on_batch)
        callbacks.on_batch(epoch, b + 1, batches, loss_sum / static_cast<double>(seen),
                           seconds_since(t0));
    }
    rec.seconds = seconds_since(t0);
    rec.samples_per_second = static_cast<double>(n) / rec.seconds;
    rec.train_loss = loss_sum / static_cast<double>(n);
    if (train_set.classification()) rec.train_accuracy = static_cast<double>(hits) / static_cast<double>(n);
    if (norms) rec.grad_norm = norm_sum / static_cast<double>(norms);
    const auto t1 = Clock::now();
    if (data.validation.rows) {
      const Evaluation v = evaluate(model, cfg, data.validation);
      rec.val_loss = v.loss;
      rec.val_accuracy = v.accuracy;
    }
    if (data.test.rows) {
      const Evaluation t = evaluate(model, cfg, data.test);
      rec.test_loss = t.loss;
      rec.test_accuracy = t.accuracy;
    }
    rec.eval_seconds = seconds_since(t1);
    if (observer) observer->end_epoch(model, rec);
    state.history.push_back(rec);
    state.epochs_done = epoch;
    if (checkpoint) checkpoint();
    if (callbacks.on_epoch) callbacks.on_epoch(rec);
  }
}

template Evaluation evaluate(Model<float>&, const TrainConfig&, const data::Dataset&);
template Evaluation evaluate(Model<double>&, const TrainConfig&, const data::Dataset&);
template void train(Model<float>&, const TrainConfig&, const data::Splits&, TrainState<float>&,
                    const TrainCallbacks&, const std::function<void()>&, size_t,
                    TrainObserver<float>*);
template void train(Model<double>&, const TrainConfig&, const data::Splits&, TrainState<double>&,
                    const TrainCallbacks&, const std::function<void()>&, size_t,
                    TrainObserver<double>*);

}  // namespace actlab
