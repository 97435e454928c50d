// actlab/train.h: mini-batch training, evaluation and checkpoints.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actlab/data.h"
#include "actlab/loss.h"
#include "actlab/nn.h"
#include "actlab/optim.h"

namespace actlab {

// Everything that defines a run (saved in checkpoints, so --resume continues
// the same run).
struct TrainConfig {
  size_t epochs = 15;
  size_t batch_size = 128;
  uint64_t seed = 1;
  LossKind loss = LossKind::kCrossEntropy;
  double huber_delta = 1.0;
  // The activation applied to the model's output at prediction time when the
  // loss fuses it (softmax with cross-entropy, sigmoid with BCE), else
  // "identity".
  std::string output = "softmax";
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  double clip_norm = 0;   // 0: off
  double clip_value = 0;  // 0: off
  std::string init = "auto";
};

inline constexpr double kNone = NAN;

struct EpochRecord {
  size_t epoch = 0;  // 1-based
  double lr = kNone;
  double train_loss = kNone, train_accuracy = kNone;  // means over the epoch's batches
  double val_loss = kNone, val_accuracy = kNone;
  double test_loss = kNone, test_accuracy = kNone;
  double seconds = 0;       // training steps only
  double eval_seconds = 0;  // validation + test evaluation
  double samples_per_second = 0;
  double grad_norm = kNone;  // global gradient norm, mean over the epoch's steps
};

struct Evaluation {
  double loss = kNone, accuracy = kNone;  // accuracy NaN for regression
  size_t rows = 0;
  // Classification: rows and correct predictions per class (label), and the
  // confusion matrix, classes x classes, row-major: confusion[label * classes
  // + predicted] (a prediction of an output index >= classes is in no column).
  std::vector<size_t> class_rows, class_correct, confusion;
  // Regression, on the predictions (the output activation applied): root mean
  // squared error, mean absolute error and R^2 = 1 - SSE/SST, each per target
  // and then averaged over the targets, as scikit-learn's metrics; a constant
  // target has R^2 1 when predicted exactly, else 0 (its force_finite). NaN
  // for classification.
  double rmse = kNone, mae = kNone, r2 = kNone;
};

// Where a run stands: what a checkpoint restores.
template <class T>
struct TrainState {
  size_t epochs_done = 0;
  uint64_t step = 0;  // optimizer steps taken
  std::unique_ptr<Optimizer<T>> optimizer;
  std::vector<EpochRecord> history;
};

// Called after every batch (for a progress bar) and after every epoch.
struct TrainCallbacks {
  std::function<void(size_t epoch, size_t batch, size_t batches, double loss_so_far,
                     double seconds_so_far)>
      on_batch;
  std::function<void(const EpochRecord&)> on_epoch;
};

// Watches training from inside the loop (diagnostics: per-layer statistics,
// dead and saturated units, gradient norms, update ratios). Every hook is
// optional; the loop calls them on the training thread.
template <class T>
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  // After backward, before clipping and the update: the model holds this
  // batch's layer inputs (model.activation(i)), dL/d(input of layer i)
  // (model.gradient(i), i >= 1) and the parameter gradients.
  virtual void after_backward(Model<T>& /*model*/, uint64_t /*step*/, size_t /*epoch*/) {}
  // After the optimizer step (the parameters are updated).
  virtual void after_update(Model<T>& /*model*/, uint64_t /*step*/, double /*lr*/) {}
  // After the epoch's evaluation, before the checkpoint and on_epoch.
  virtual void end_epoch(Model<T>& /*model*/, const EpochRecord& /*record*/) {}
};

// Loss and accuracy of `model` (eval mode) on `d`, in chunks of rows.
template <class T>
Evaluation evaluate(Model<T>& model, const TrainConfig& cfg, const data::Dataset& d);

// Trains from state.epochs_done + 1 to cfg.epochs. `checkpoint` (may be
// empty) is called after every epoch, so the caller can save.
// `planned_epochs` (0: cfg.epochs) is the length the schedule is laid out
// for, so a run stopped early and resumed matches an uninterrupted one. Deterministic
// for a given seed and thread count: epoch e shuffles with Rng(seed).fork(e),
// dropout draws from (seed, layer, step).
template <class T>
void train(Model<T>& model, const TrainConfig& cfg, const data::Splits& data, TrainState<T>& state,
           const TrainCallbacks& callbacks, const std::function<void()>& checkpoint,
           size_t planned_epochs = 0, TrainObserver<T>* observer = nullptr);

// ---- Checkpoints (safetensors; see docs/training.md) ---------------------------------
// Tensors: the model's parameters and buffers under their torch.nn.Sequential
// names, "optimizer.<buffer>" (flat), "scaler.shift"/"scaler.scale".
// Metadata (strings): "format" = "actlab-checkpoint-1", "dtype", "architecture"
// (layers JSON), "training" (TrainConfig + epochs_done + step + history as
// JSON), "classes" (JSON list), "scaler" (kind).
struct Checkpoint {
  size_t input_features = 0;
  std::vector<LayerSpec> layers;
  std::string dtype = "float32";
  TrainConfig config;
  data::Scaler scaler;
  std::vector<std::string> classes;
  size_t epochs_done = 0;
  uint64_t step = 0;
  std::vector<EpochRecord> history;
  // Where the data came from, as the CLI describes it (JSON; "" if unknown),
  // so --resume finds the same rows without being told again.
  std::string data;
};

template <class T>
void save_checkpoint(const std::string& path, Model<T>& model, const Checkpoint& meta,
                     TrainState<T>* state);

// Reads the metadata (architecture, config, history): enough to build the model.
Checkpoint read_checkpoint_meta(const std::string& path);
// Loads the weights (and the optimizer state when `state` is not null) into a
// model built from read_checkpoint_meta(path).
template <class T>
void load_checkpoint(const std::string& path, Model<T>& model, TrainState<T>* state);

// JSON helpers shared by the CLI's metrics file and the checkpoint metadata.
std::string config_to_json(const TrainConfig& c);
TrainConfig config_from_json(const std::string& text, const std::string& source);
std::string history_to_json(const std::vector<EpochRecord>& h);
std::vector<EpochRecord> history_from_json(const std::string& text, const std::string& source);

}  // namespace actlab
