// actlab/loss.h: losses with PyTorch's definitions and 'mean' reduction, each
// computing the loss and its gradient with respect to the network output in
// one pass. Stable for any finite input: log(0) never appears (log-sum-exp,
// log1p(exp(-|z|)) forms).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actlab/activation.h"  // actlab::Error

namespace actlab {

enum class LossKind {
  kMse,              // mean((out - t)^2) over all elements               (nn.MSELoss)
  kBceWithLogits,    // mean(softplus(z) - t*z) over all elements          (nn.BCEWithLogitsLoss)
  kCrossEntropy,     // mean over rows of logsumexp(z) - z[label]          (nn.CrossEntropyLoss)
  kNll,              // mean over rows of -out[label] (out = log-probs)    (nn.NLLLoss)
  kHuber,            // mean of 0.5 d^2 if |d| < delta else delta(|d| - 0.5 delta)  (nn.HuberLoss)
};

struct LossInfo {
  LossKind kind;
  const char* name;   // "mse", "bce", "cross_entropy", "nll", "huber"
  const char* torch;  // "nn.MSELoss" ...
  const char* doc;    // one line
};
const std::vector<LossInfo>& losses();
// Accepts the names above and aliases ("ce", "bce_with_logits", "l2"...);
// Error listing the names otherwise.
LossKind loss_from_name(std::string_view name);
const char* loss_name(LossKind kind);

// What the output is compared with; set exactly one. Classification: `labels`
// (one int per row, 0 <= label < cols, else Error naming the row, the label
// and the number of classes). For kMse/kHuber/kBceWithLogits with labels: the
// target is one-hot of the label when cols > 1, the label itself (0 or 1)
// when cols == 1. Regression: `values` (rows x cols); for kCrossEntropy these
// are class probabilities (torch's soft targets); kNll takes labels only.
template <class T>
struct Targets {
  const int32_t* labels = nullptr;
  const T* values = nullptr;
};

// Loss of `out` (rows x cols, row-major) against `targets`, reduced by mean as
// PyTorch does. When `grad` is not null it receives dLoss/dout (rows x cols),
// including the 1/N of the mean. Non-finite outputs (any inf or NaN in `out`)
// give a NaN loss and a NaN gradient (the trainer reports it), never a crash.
// The loss is accumulated in double for both T. Nothing is allocated; the
// arguments are checked before `grad` is written (Error: null out, empty
// shape, not exactly one kind of target, bad label, huber_delta <= 0).
// N is rows * cols for kMse, kBceWithLogits, kHuber and rows for
// kCrossEntropy, kNll, as in torch.
template <class T>
double loss(LossKind kind, const T* out, size_t rows, size_t cols, const Targets<T>& targets,
            T* grad, double huber_delta = 1.0);

}  // namespace actlab
