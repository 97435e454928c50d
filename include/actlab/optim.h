// actlab/optim.h: optimizers over one flat block of parameters and gradients,
// with the update rules of torch.optim (same names, defaults, and the same
// result step for step), learning-rate schedules, and gradient clipping.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actlab/activation.h"  // actlab::Error

namespace actlab {

struct OptimizerConfig {
  std::string kind = "sgd";  // sgd | adam | adamw | rmsprop | adagrad
  double lr = 0.01;
  double momentum = 0.0;       // sgd, rmsprop
  double dampening = 0.0;      // sgd
  bool nesterov = false;       // sgd (needs momentum > 0, dampening 0, as torch)
  double weight_decay = 0.0;   // L2 added to the gradient; adamw: decoupled (torch default 1e-2 there)
  double beta1 = 0.9, beta2 = 0.999;  // adam, adamw
  double eps = -1;             // < 0: the optimizer's torch default (adam 1e-8, rmsprop 1e-8, adagrad 1e-10)
  double alpha = 0.99;         // rmsprop smoothing
  bool centered = false;       // rmsprop
  double lr_decay = 0.0;       // adagrad
  double initial_accumulator = 0.0;  // adagrad
};

// Checks every field (lr > 0, 0 <= momentum, 0 <= beta < 1, eps > 0 ...) and
// fills the defaults; Error naming the flag and its valid range otherwise.
OptimizerConfig validated(OptimizerConfig config);

template <class T>
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update of all n parameters with learning rate lr (the schedule's
  // value for this step), in one pass over memory.
  virtual void step(T* params, const T* grads, double lr) = 0;
  // Named state buffers (momentum, first/second moments ...), each n values,
  // and the step count: what a checkpoint saves to resume exactly.
  virtual std::vector<std::pair<std::string, std::vector<T>*>> state() = 0;
  size_t steps = 0;
  const OptimizerConfig& config() const { return config_; }

 protected:
  explicit Optimizer(OptimizerConfig c) : config_(std::move(c)) {}
  OptimizerConfig config_;
};

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerConfig& config, size_t n);

// Learning-rate schedules, evaluated per step (as torch's schedulers stepped
// once per batch would be).
struct ScheduleConfig {
  std::string kind = "constant";  // constant | step | cosine
  size_t step_size = 0;           // step: decay every step_size epochs (by gamma)
  double gamma = 0.1;
  double min_lr = 0.0;            // cosine: eta_min
  size_t warmup_steps = 0;        // linear warm-up from lr/warmup_steps... to lr, then the schedule
};
ScheduleConfig validated(ScheduleConfig config);
// step: 0-based global step; steps_per_epoch, total_steps: of the whole run.
// cosine anneals from base_lr to min_lr over the steps after warm-up.
double scheduled_lr(const ScheduleConfig& s, double base_lr, size_t step, size_t steps_per_epoch,
                    size_t total_steps);

// torch.nn.utils.clip_grad_norm_ (L2 over all n values together; scales by
// max_norm / (norm + 1e-6) when norm > max_norm); returns the norm before
// clipping. clip_grad_value_: clamps each value to [-clip, clip].
template <class T>
double clip_grad_norm(T* grads, size_t n, double max_norm);
template <class T>
void clip_grad_value(T* grads, size_t n, double clip);

}  // namespace actlab
