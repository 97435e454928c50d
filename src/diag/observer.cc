// The diagnostics observer: one batch every `every` steps, per layer.

#include <algorithm>
#include <cmath>

#include "actlab/diagnostics.h"

namespace actlab::diag {
namespace {

// last[j] = record for every unit j that `on` marks (the last record of the
// epoch in which unit j was active, or positive).
void remember(std::vector<size_t>& last, const std::vector<uint8_t>& on, size_t record) {
  last.resize(on.size(), 0);
  for (size_t j = 0; j < on.size(); ++j)
    if (on[j]) last[j] = record;
}

// Units whose last record lies before the window of `records`.
size_t stale(const std::vector<size_t>& last, size_t window, size_t records) {
  size_t n = 0;
  for (size_t a : last) n += a + window <= records;
  return n;
}

}  // namespace

template <class T>
Observer<T>::Observer(size_t every) {
  if (every == 0) throw Error("--diagnose-every: must be >= 1 (steps between records)");
  report_.every = every;
}

template <class T>
void Observer<T>::setup(Model<T>& model) {
  const auto& specs = model.specs();
  const size_t L = specs.size();
  report_.layers.clear();
  acts_.assign(L, Activation::make("identity"));
  profiles_.assign(L, DerivativeProfile{});
  last_active_.assign(L, {});
  last_positive_.assign(L, {});
  seen_.assign(L, false);
  before_.assign(L, {});
  const auto params = model.named_parameters();
  for (size_t i = 0; i < L; ++i) {
    LayerInfo info;
    info.index = i;
    info.kind = specs[i].kind;
    info.units = model.layer(i).out_features();
    if (info.kind == "activation") {
      acts_[i] = activation_of(specs[i]);
      info.activation = std::string(acts_[i].spec->name);
      profiles_[i] = derivative_profile(acts_[i]);
    } else if (info.kind == "dense") {
      const std::string name = std::to_string(i) + ".weight";
      for (const auto& p : params)
        if (p.name == name) info.weight = name;
    }
    report_.layers.push_back(info);
  }
  ready_ = true;
}

template <class T>
void Observer<T>::close_epoch() {
  if (epoch_ == 0) return;
  for (size_t i = 0; i < seen_.size(); ++i) {
    if (!seen_[i]) continue;
    DeadRecord d;
    d.epoch = epoch_;
    d.layer = i;
    d.has_dead = profiles_[i].zero_region;
    d.has_off = profiles_[i].rectifier;
    d.units = d.has_dead ? last_active_[i].size() : last_positive_[i].size();
    // The epoch's second half, at most kDeadWindow records: with few records
    // per epoch a window of all of them would reach back to the first
    // (step 0 of a run), before a too-high learning rate has had a step to
    // kill anything.
    const size_t window = std::min(kDeadWindow, epoch_records_ - epoch_records_ / 2);
    d.dead = stale(last_active_[i], window, epoch_records_);
    d.off = stale(last_positive_[i], window, epoch_records_);
    report_.dead.push_back(d);
  }
  epoch_ = 0;
}

template <class T>
void Observer<T>::after_backward(Model<T>& model, uint64_t step, size_t epoch) {
  if (!ready_) setup(model);
  if (epoch != epoch_) {
    close_epoch();
    epoch_ = epoch;
    for (auto& a : last_active_) a.clear();
    for (auto& a : last_positive_) a.clear();
    seen_.assign(seen_.size(), false);
    epoch_records_ = 0;
  }
  recording_ = step % report_.every == 0;
  if (!recording_) return;
  ++epoch_records_;
  StepRecord rec;
  rec.step = step;
  rec.epoch = epoch;
  rec.grad_norm = l2_norm(model.gradients(), model.parameter_count());
  const auto params = model.named_parameters();
  for (size_t i = 0; i < report_.layers.size(); ++i) {
    const LayerInfo& info = report_.layers[i];
    LayerRecord lr;
    lr.layer = i;
    if (info.kind == "activation") {
      const Tensor<T>& x = model.activation(i);
      const Tensor<T>& y = model.activation(i + 1);
      lr.pre = moments(x.data(), x.size());
      lr.pre_hist = histogram(x.data(), x.size(), 32);
      lr.out = moments(y.data(), y.size());
      lr.nonfinite = lr.pre.nonfinite || lr.out.nonfinite;
      const DerivativeProfile& p = profiles_[i];
      if (p.elementwise && p.zero_region) {
        active_.assign(x.cols(), 0);
        lr.inactive = mark_active(acts_[i], x.data(), x.rows(), x.cols(), active_, scratch_);
        remember(last_active_[i], active_, epoch_records_);
        seen_[i] = true;
      } else if (p.elementwise) {
        lr.saturated = saturated_fraction(acts_[i], x.data(), x.size(), p.peak, scratch_);
      }
      if (p.elementwise && p.rectifier) {
        active_.assign(x.cols(), 0);
        mark_positive(x.data(), x.rows(), x.cols(), active_);
        remember(last_positive_[i], active_, epoch_records_);
        seen_[i] = true;
      }
    } else if (!info.weight.empty()) {
      for (const auto& p : params) {
        if (p.name != info.weight) continue;
        const size_t n = p.rows * p.cols;
        lr.weight_norm = l2_norm(p.value, n);
        lr.grad_norm = l2_norm(p.grad, n);
        lr.nonfinite = !std::isfinite(lr.weight_norm) || !std::isfinite(lr.grad_norm);
        before_[i].assign(p.value, p.value + n);
      }
    }
    if (i >= 1) {
      // RMS over rows of the per-row gradient norm: comparable across batch sizes.
      const Tensor<T>& g = model.gradient(i);
      if (g.rows()) lr.input_grad_norm = l2_norm(g.data(), g.size()) / std::sqrt(static_cast<double>(g.rows()));
      lr.nonfinite = lr.nonfinite || !std::isfinite(lr.input_grad_norm);
    }
    rec.layers.push_back(std::move(lr));
  }
  report_.steps.push_back(std::move(rec));
}

template <class T>
void Observer<T>::after_update(Model<T>& model, uint64_t /*step*/, double lr) {
  if (!recording_) return;
  recording_ = false;
  StepRecord& rec = report_.steps.back();
  rec.lr = lr;
  const auto params = model.named_parameters();
  for (size_t i = 0; i < report_.layers.size(); ++i) {
    if (report_.layers[i].weight.empty()) continue;
    for (const auto& p : params)
      if (p.name == report_.layers[i].weight)
        rec.layers[i].update_ratio = update_ratio(before_[i].data(), p.value, p.rows * p.cols);
  }
}

template <class T>
void Observer<T>::end_epoch(Model<T>& /*model*/, const EpochRecord& record) {
  close_epoch();
  report_.epochs = record.epoch;
  report_.train_loss = record.train_loss;
  report_.train_accuracy = record.train_accuracy;
}

template <class T>
void Observer<T>::finish(const std::string& why) {
  close_epoch();
  recording_ = false;
  report_.stopped = why;
}

template class Observer<float>;
template class Observer<double>;

}  // namespace actlab::diag
