// actlab/diagnostics.h: watches a training run from inside the loop and says
// what is going wrong (vanishing or exploding gradients, dead ReLUs,
// saturated sigmoids, a learning rate off by orders of magnitude), with the
// figures that show it and what to try. docs/diagnostics.md has the
// definitions and thresholds.
//
// Cheap enough to leave on: it looks at one batch every `every` steps
// (default 50) and does nothing on the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "actlab/activation.h"
#include "actlab/nn.h"
#include "actlab/train.h"

namespace actlab::diag {

// ---- Statistics on plain buffers (the math the observer is made of) ----------

struct Moments {
  double mean = 0, std = 0;  // population std over the finite values
  double min = 0, max = 0;
  size_t count = 0;      // finite values
  size_t nonfinite = 0;  // NaN and +-inf, left out of the rest
};
template <class T>
Moments moments(const T* x, size_t n);

// `bins` equal bins over [lo, hi] = [min, max] of the finite values (one
// value, or none: lo == hi and everything in bin 0). Bin k holds
// lo + k*w <= x < lo + (k+1)*w, w = (hi - lo) / bins; x == hi goes in the last.
struct Histogram {
  double lo = 0, hi = 0;
  std::vector<uint64_t> counts;
};
template <class T>
Histogram histogram(const T* x, size_t n, size_t bins = 32);

// sqrt(sum x^2), accumulated in double.
template <class T>
double l2_norm(const T* x, size_t n);
// ||after - before|| / ||before|| (inf when before is all zeros and after is not,
// 0 when both are).
template <class T>
double update_ratio(const T* before, const T* after, size_t n);

// How an activation's gradient can disappear.
struct DerivativeProfile {
  // sup |f'(x)|, sampled on [-20, 20] in steps of 1/64 (0.25 for sigmoid, 1 for tanh).
  double peak = 0;
  // f'(x) is exactly 0 on some interval (the ReLU family: relu, relu6,
  // hardtanh, hardsigmoid...): a unit whose input stays there is dead, not
  // saturated, so such activations are checked for dead units.
  bool zero_region = false;
  // Elementwise (softmax-like and GLU activations have no per-unit f').
  bool elementwise = false;
  // A rectifier passes the gradient on the positive side and (almost) none
  // on the negative side: min |f'| over [4, 20] is > 0 and at least 10x max
  // |f'| over [-20, -4] (relu, leaky_relu, elu, selu, celu, gelu, silu, mish,
  // softplus, hardswish; not sigmoid, tanh, relu6 or prelu's 0.25 slope). A
  // rectifier unit whose input never goes above 0 is "off": dead when f' is 0
  // there (relu), still learning through the small slope otherwise (leaky_relu,
  // elu), which is why those two survive learning rates that kill ReLUs.
  bool rectifier = false;
};
DerivativeProfile derivative_profile(const Activation& a);

// Units are saturated where |f'(x)| < kSaturationLevel * peak: the gradient
// through them is cut more than a hundredfold (sigmoid: |x| > 6.9; tanh:
// |x| > 3.0; elu: x < -4.6). A slope of exactly 1% of the peak is not below
// it: leaky_relu's negative side (0.01, stored as 0.0099999998 in float32) is
// a fixed small slope, not saturation, so the comparison allows a relative
// 1e-6 for the rounding of the activation's parameters.
inline constexpr double kSaturationLevel = 0.01;

// Fraction of the n entries of x where |f'(x)| < kSaturationLevel * peak.
// scratch is resized to n.
template <class T>
double saturated_fraction(const Activation& a, const T* x, size_t n, double peak, std::vector<T>& scratch);

// For a rows x cols batch of pre-activations: active[j] |= (f'(x[r][j]) != 0
// for some row r). A unit never active over every batch looked at is dead.
// Returns the fraction of entries with f' == 0 in this batch.
template <class T>
double mark_active(const Activation& a, const T* x, size_t rows, size_t cols, std::vector<uint8_t>& active,
                   std::vector<T>& scratch);

// For a rows x cols batch of pre-activations of a rectifier: positive[j] |=
// (x[r][j] > 0 for some row r). A unit never positive over every batch looked
// at is off. Returns the fraction of entries <= 0 (NaN counts as neither).
template <class T>
double mark_positive(const T* x, size_t rows, size_t cols, std::vector<uint8_t>& positive);

// ---- Records ------------------------------------------------------------------

// One layer at one recorded step. Fields that do not apply are NaN.
struct LayerRecord {
  size_t layer = 0;
  Moments pre, out;       // activation layers: input and output
  Histogram pre_hist;     // activation layers
  double saturated = kNone;     // activation layers without a zero region
  double inactive = kNone;      // zero-region activations: share of f' == 0 in the batch
  double weight_norm = kNone;   // dense: ||W||
  double grad_norm = kNone;     // dense: ||dL/dW||
  double update_ratio = kNone;  // dense: ||W_after - W_before|| / ||W_before||
  double input_grad_norm = kNone;  // ||dL/d input|| per row (RMS over rows), i >= 1
  bool nonfinite = false;          // NaN or inf in this layer's values or gradients
};

struct StepRecord {
  uint64_t step = 0;
  size_t epoch = 0;
  double lr = kNone;
  double grad_norm = kNone;  // global, before clipping
  std::vector<LayerRecord> layers;
};

// Dead units of one zero-region activation layer at the end of an epoch:
// units with f' == 0 on every row of the epoch's last recorded batches: the
// second half of the epoch's records (rounded up), at most kDeadWindow, so a
// unit that dies mid-epoch counts.
inline constexpr size_t kDeadWindow = 10;
// Rectifier layers (DerivativeProfile::rectifier) also count their off units
// over the same window: input <= 0 on every row (for relu the dead ones;
// leaky_relu's and elu's still learn through their small slope).
struct DeadRecord {
  size_t epoch = 0, layer = 0;
  size_t units = 0;
  bool has_dead = true;   // the activation has a zero region of f'
  size_t dead = 0;
  bool has_off = false;   // the activation is a rectifier
  size_t off = 0;
};

struct LayerInfo {
  size_t index = 0;
  std::string kind;        // dense | activation | ...
  std::string activation;  // activation layers
  std::string weight;      // dense: the parameter's name ("0.weight")
  size_t units = 0;        // output features
};

struct Finding {
  // vanishing_gradients | exploding_gradients | dead_units | saturation | learning_rate | underfitting
  std::string kind;
  std::vector<size_t> layers;
  std::vector<std::pair<std::string, double>> figures;
  std::string message, advice;
};

// Thresholds (docs/diagnostics.md explains each).
struct Thresholds {
  double vanishing = 1e-3;   // first dense layer's grad norm / last's below this
  double exploding = 1e3;    // ... above this, or the global norm growing this much
  double dead = 0.2;         // share of a layer's units dead over an epoch
  double saturated = 0.3;    // share of a layer's entries saturated (median over records)
  double lr_high = 1e-1;     // median update ratio above
  double lr_low = 1e-5;      // ... below
  double underfit = 0.85;    // last epoch's training loss / a constant prediction's loss above this
};

struct Report {
  size_t every = 50;
  std::vector<LayerInfo> layers;
  std::vector<StepRecord> steps;
  std::vector<DeadRecord> dead;
  std::string stopped;  // why training stopped early ("" when it did not)
  // The underfitting finding compares the last epoch's training figures
  // (Observer::end_epoch) with what predicting the training set's class
  // shares, whatever the input, scores (Observer::set_baseline): the loss
  // (the shares' entropy under cross-entropy, ln K for K balanced classes)
  // and the accuracy (the commonest class's share). NaN: not known
  // (regression, or no baseline given).
  size_t epochs = 0;
  double train_loss = kNone, train_accuracy = kNone;
  double baseline_loss = kNone, chance_accuracy = kNone;
};

// The findings a report supports, most severe first.
std::vector<Finding> analyze(const Report& r, const Thresholds& t = {});

// {"every", "layers": [per layer: info + summary figures], "steps": [...],
//  "dead": [...], "findings": [...]} (non-finite figures as null).
std::string to_json(const Report& r, const std::vector<Finding>& findings);
// The findings and layer summaries back from to_json's text (what
// `actlab diagnose --run` prints). Error naming `source` when malformed.
std::pair<std::vector<Finding>, std::string> findings_from_json(const std::string& text, const std::string& source);
// The records back from to_json's text, or from a metrics file of
// `actlab train --diagnose` that holds them under "diagnostics" (to draw them
// again: include/actlab/charts.h). Per-step figures to_json leaves out (the
// min/max/count of the moments) stay at their defaults. Error naming `source`
// when malformed, inconsistent (a record of a layer that does not exist) or
// without diagnostics.
Report report_from_json(const std::string& text, const std::string& source);
// Plain text, one paragraph per finding ("no problems found" when none).
std::string findings_text(const std::vector<Finding>& findings);

// ---- The observer -----------------------------------------------------------

template <class T>
class Observer : public TrainObserver<T> {
 public:
  explicit Observer(size_t every = 50);
  void after_backward(Model<T>& model, uint64_t step, size_t epoch) override;
  void after_update(Model<T>& model, uint64_t step, double lr) override;
  void end_epoch(Model<T>& model, const EpochRecord& record) override;
  // Closes a partial epoch (a run that stopped with an error) so its dead
  // units count.
  void finish(const std::string& why);
  // What a constant prediction scores on the training data (Report's
  // baseline_loss and chance_accuracy), for the underfitting finding.
  void set_baseline(double loss, double accuracy) {
    report_.baseline_loss = loss;
    report_.chance_accuracy = accuracy;
  }

  const Report& report() const { return report_; }

 private:
  void setup(Model<T>& model);
  void close_epoch();

  Report report_;
  bool ready_ = false, recording_ = false;
  size_t epoch_ = 0;
  std::vector<Activation> acts_;
  std::vector<DerivativeProfile> profiles_;
  // Per layer, per unit: the last of this epoch's records (1-based) in which
  // the unit was active; 0: never.
  std::vector<std::vector<size_t>> last_active_;
  // The same for input > 0 (rectifier layers: off units).
  std::vector<std::vector<size_t>> last_positive_;
  std::vector<uint8_t> active_;  // scratch for mark_active and mark_positive
  size_t epoch_records_ = 0;
  std::vector<bool> seen_;  // layer looked at this epoch
  std::vector<std::vector<T>> before_;        // dense weights before the update
  std::vector<T> scratch_;
};

}  // namespace actlab::diag
