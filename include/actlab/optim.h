// actlab/optim.h: optimizers over one flat block of parameters and gradients,
// with the update rules of torch.optim (same names, defaults, and the same
// result step for step), learning-rate schedules, and gradient clipping.
//
// Validation errors name the command-line flag of the field they reject:
//   kind --optimizer, lr --lr, momentum --momentum, dampening --dampening,
//   nesterov --nesterov, weight_decay --weight-decay, beta1 --beta1,
//   beta2 --beta2, eps --eps, alpha --alpha, centered --centered,
//   lr_decay --lr-decay, initial_accumulator --initial-accumulator;
//   schedule: kind --schedule, step_size --step-size, gamma --gamma,
//   min_lr --min-lr, warmup_steps --warmup;
//   clipping: --clip-norm, --clip-value.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actlab/activation.h"  // actlab::Error

namespace actlab {

// The update rules, with g the gradient, p the parameter, t the step count
// after this step (1, 2, ...), lr this step's learning rate; every buffer
// starts at 0 unless noted; "wd" is weight_decay.
//   sgd:     g += wd p; b = t == 1 ? g : momentum b + (1 - dampening) g;
//            g = nesterov ? g + momentum b : b (when momentum > 0); p -= lr g
//   adam:    g += wd p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
//            p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//   adamw:   p *= 1 - lr wd; then adam's update without the g += wd p
//   rmsprop: g += wd p; s = alpha s + (1 - alpha) g^2; centered: a = alpha a +
//            (1 - alpha) g, d = sqrt(s - a^2) + eps, else d = sqrt(s) + eps;
//            momentum > 0: b = momentum b + g / d, p -= lr b; else p -= lr g / d
//   adagrad: g += wd p; S += g^2 (S starts at initial_accumulator);
//            p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(S) + eps)
// The arithmetic runs in T (float or double) in the order of torch 1.13's CPU
// kernels, fusing a multiply-add exactly where they do (add_ with alpha,
// addcmul_) on CPUs with FMA, so float32 results match torch's bit for bit
// there; only the per-step scalars (bias corrections, 1 - lr wd ...) are
// computed in double and rounded to T once, as torch does with Python floats.
struct OptimizerConfig {
  std::string kind = "sgd";  // sgd | adam | adamw | rmsprop | adagrad
  double lr = 0.01;
  double momentum = 0.0;       // sgd, rmsprop; [0, 1)
  double dampening = 0.0;      // sgd; [0, 1]
  bool nesterov = false;       // sgd (needs momentum > 0, dampening 0, as torch)
  // L2 added to the gradient (adamw: decoupled, p *= 1 - lr wd). < 0: the
  // torch default, 0 except adamw's 1e-2; validated() fills it in.
  double weight_decay = -1;
  double beta1 = 0.9, beta2 = 0.999;  // adam, adamw; [0, 1)
  double eps = -1;             // < 0: the optimizer's torch default (adam 1e-8, rmsprop 1e-8, adagrad 1e-10)
  double alpha = 0.99;         // rmsprop smoothing; [0, 1)
  bool centered = false;       // rmsprop
  double lr_decay = 0.0;       // adagrad
  double initial_accumulator = 0.0;  // adagrad
};

// Checks every field (lr > 0, 0 <= momentum < 1, 0 <= beta < 1, eps > 0, all
// finite ...), rejects a field set away from its default for an optimizer
// that ignores it (--momentum with adam), lower-cases the kind and fills the
// defaults; Error naming the flag and its valid range otherwise.
OptimizerConfig validated(OptimizerConfig config);

template <class T>
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update of all n parameters with learning rate lr (the schedule's
  // value for this step, finite and >= 0), in one pass over memory. params
  // and grads must not overlap (grads is read only). Error on a bad lr or a
  // state buffer resized away from n.
  virtual void step(T* params, const T* grads, double lr) = 0;
  // Named state buffers, each n values: sgd "momentum_buffer" (momentum > 0
  // only); adam/adamw "exp_avg", "exp_avg_sq"; rmsprop "square_avg",
  // "momentum_buffer" (momentum > 0), "grad_avg" (centered); adagrad "sum".
  // With `steps`, what a checkpoint saves: a fresh optimizer of the same
  // config given these values and `steps` continues bit for bit.
  virtual std::vector<std::pair<std::string, std::vector<T>*>> state() = 0;
  size_t steps = 0;  // updates done; sgd's first update (steps == 0) sets b = g
  const OptimizerConfig& config() const { return config_; }

 protected:
  explicit Optimizer(OptimizerConfig c) : config_(std::move(c)) {}
  OptimizerConfig config_;
};

// Validates config (Error as validated()); the optimizer keeps the validated
// copy (config() shows the filled-in defaults).
template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerConfig& config, size_t n);

// Learning-rate schedules, evaluated per step (as torch's schedulers stepped
// once per batch would be).
struct ScheduleConfig {
  std::string kind = "constant";  // constant | step | cosine
  size_t step_size = 0;           // step: decay every step_size epochs (by gamma)
  double gamma = 0.1;             // step; (0, 1]
  double min_lr = 0.0;            // cosine: eta_min, >= 0
  size_t warmup_steps = 0;        // linear warm-up (below), then the schedule
};
// Checks the fields the kind uses (step: step_size >= 1, 0 < gamma <= 1;
// cosine: min_lr finite >= 0), rejects the ones it ignores when set away
// from their defaults, lower-cases the kind.
ScheduleConfig validated(ScheduleConfig config);
// The learning rate of 0-based global step t, with W = warmup_steps,
// E = steps_per_epoch, T = total_steps (of the whole run):
//   warm(t)   = t < W ? 1/W + (1 - 1/W) t / W : 1
//               (torch LinearLR(start_factor=1/W, total_iters=W) stepped per
//               step: 1/W of the rate at step 0, the full rate from step W on)
//   constant: base_lr warm(t)
//   step:     base_lr gamma^floor(floor(t / E) / step_size) warm(t)
//               (StepLR stepped once per epoch; epochs count from the run's
//               start, warm-up included)
//   cosine:   t < W: base_lr warm(t); else with u = min(t - W, T - W):
//               min_lr + (base_lr - min_lr) (1 + cos(pi u / (T - W))) / 2
//               (CosineAnnealingLR(T_max = T - W) after the warm-up, as torch
//               SequentialLR([LinearLR, CosineAnnealingLR], milestones=[W]);
//               closed form, so resuming at any t gives the same rate)
// Error when the config is invalid, base_lr is not finite and > 0, E is 0
// for step, or W >= T for cosine.
double scheduled_lr(const ScheduleConfig& s, double base_lr, size_t step, size_t steps_per_epoch,
                    size_t total_steps);

// torch.nn.utils.clip_grad_norm_ (L2 over all n values together): the norm
// is summed in double; when max_norm / (norm + 1e-6) < 1 the gradients are
// scaled by it (rounded to T). Returns the norm before clipping. Unlike torch
// (which multiplies by NaN or 0 then), a NaN or infinite norm leaves the
// gradients untouched and is returned as is, for the caller to skip the
// step or stop. Error unless max_norm is finite and > 0.
// clip_grad_value (torch.nn.utils.clip_grad_value_): clamps each value to
// [-clip, clip] (NaN stays NaN); Error unless clip is finite and > 0.
template <class T>
double clip_grad_norm(T* grads, size_t n, double max_norm);
template <class T>
void clip_grad_value(T* grads, size_t n, double clip);

}  // namespace actlab
