// Losses with PyTorch's definitions and 'mean' reduction (include/actlab/loss.h).
//
// Each loss walks the batch once (cross-entropy: each row a few times, while
// it is in L1), sums the loss in double and writes dLoss/dout straight into
// `grad`; nothing is allocated per call (the trainer calls this once per
// batch). Elements are converted to double before any
// arithmetic, so float outputs as large as 1e38 neither overflow (d^2) nor
// lose the loss to float rounding.
//
// Non-finite outputs: every loop adds 0 * out[k] to a "poison" sum, which is 0
// for finite values and NaN as soon as one output is inf or NaN (cheaper than
// a branch per element, and vectorisable). A poisoned batch returns NaN and a
// NaN gradient, so a diverged network can neither hide behind a finite loss
// (cross-entropy ignores a -inf logit) nor take a half-computed step.
#include "actlab/loss.h"
#include "src/nn/names.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>

namespace actlab {
namespace {

const std::vector<LossInfo> kLosses = {
    {LossKind::kMse, "mse", "nn.MSELoss", "mean squared error: mean((out - t)^2)"},
    {LossKind::kBceWithLogits, "bce", "nn.BCEWithLogitsLoss",
     "binary cross-entropy on logits: mean(max(z,0) - z t + log1p(exp(-|z|)))"},
    {LossKind::kCrossEntropy, "cross_entropy", "nn.CrossEntropyLoss",
     "softmax cross-entropy on logits: mean over rows of logsumexp(z) - z[label]"},
    {LossKind::kNll, "nll", "nn.NLLLoss", "negative log-likelihood of log-probabilities: mean of -out[label]"},
    {LossKind::kHuber, "huber", "nn.HuberLoss",
     "Huber: 0.5 d^2 for |d| < delta, delta (|d| - delta/2) beyond (d = out - t)"},
};

struct Alias {
  const char* name;
  LossKind kind;
};
// Names people type for the same losses (PyTorch's functional names, Keras's).
constexpr Alias kAliases[] = {
    {"l2", LossKind::kMse},
    {"mean_squared_error", LossKind::kMse},
    {"mse_loss", LossKind::kMse},
    {"bce_with_logits", LossKind::kBceWithLogits},
    {"binary_cross_entropy_with_logits", LossKind::kBceWithLogits},
    {"binary_cross_entropy", LossKind::kBceWithLogits},
    {"ce", LossKind::kCrossEntropy},
    {"xent", LossKind::kCrossEntropy},
    {"crossentropy", LossKind::kCrossEntropy},
    {"categorical_crossentropy", LossKind::kCrossEntropy},
    {"softmax_cross_entropy", LossKind::kCrossEntropy},
    {"nll_loss", LossKind::kNll},
    {"negative_log_likelihood", LossKind::kNll},
    {"huber_loss", LossKind::kHuber},
};

using detail::normalize_name;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool IsElementwise(LossKind k) {
  return k == LossKind::kMse || k == LossKind::kHuber || k == LossKind::kBceWithLogits;
}

// Everything that can be wrong with the arguments, checked before anything is
// written to `grad` (an Error leaves the caller's buffers untouched).
template <class T>
void Validate(LossKind kind, const T* out, size_t rows, size_t cols, const Targets<T>& tg,
              double huber_delta) {
  const std::string what = loss_name(kind);  // throws on a bad kind
  if (out == nullptr) throw Error(what + ": output pointer is null; pass the network's output (rows x cols)");
  if (rows == 0 || cols == 0)
    throw Error(what + ": empty output (" + std::to_string(rows) + " x " + std::to_string(cols) +
                "); pass at least one row and one column");
  if ((tg.labels == nullptr) == (tg.values == nullptr))
    throw Error(what + (tg.labels ? ": both labels and values given" : ": no targets given") +
                "; set exactly one of Targets::labels (classes) or Targets::values (rows x cols)");
  if (kind == LossKind::kNll && tg.values)
    throw Error(
        "nll: needs class labels, not target values; set Targets::labels, or use cross_entropy for "
        "probability targets");
  if (kind == LossKind::kHuber && !(huber_delta > 0))
    throw Error("huber: delta " + Num(huber_delta) + " is not positive; pass delta > 0 (PyTorch's default 1)");
  if (!tg.labels) return;
  // One output column with an elementwise loss is the binary case: the label
  // is the target itself, so 0 and 1 are the classes.
  const bool binary = cols == 1 && IsElementwise(kind);
  const int64_t classes = binary ? 2 : static_cast<int64_t>(cols);
  for (size_t i = 0; i < rows; ++i) {
    const int64_t y = tg.labels[i];
    if (y < 0 || y >= classes) {
      std::string msg = what + ": label " + std::to_string(y) + " at row " + std::to_string(i) +
                        " is out of range for " + std::to_string(classes) + " classes; ";
      msg += binary ? "with one output column the label is the 0/1 target"
                    : "labels must be in [0, " + std::to_string(classes) + ")";
      throw Error(msg);
    }
  }
}

// The target of element (i, j): a value, the one-hot of the row's label, or
// (one column) the label itself.
template <class T>
inline double Target(const Targets<T>& tg, size_t i, size_t j, size_t cols) {
  if (tg.values) return static_cast<double>(tg.values[i * cols + j]);
  const int32_t y = tg.labels[i];
  if (cols == 1) return static_cast<double>(y);
  return static_cast<size_t>(y) == j ? 1.0 : 0.0;
}

template <class T>
void FillNan(T* grad, size_t n) {
  if (!grad) return;
  for (size_t k = 0; k < n; ++k) grad[k] = std::numeric_limits<T>::quiet_NaN();
}

// Elementwise losses, N = rows * cols:
//   mse:   l = d^2,                                       dl/dz = 2 d          (d = z - t)
//   huber: l = 0.5 d^2 if |d| < delta else delta (|d| - delta/2),
//          dl/dz = d if |d| <= delta else delta sign(d)
//   bce:   l = max(z,0) - z t + log1p(e), e = exp(-|z|),  dl/dz = sigmoid(z) - t,
//          written per sign of z so that nothing overflows or cancels:
//            z >= 0: l = z (1 - t) + log1p(e),  dl/dz = (1 - t) - e/(1+e)
//            z <  0: l = -z t + log1p(e),       dl/dz = e/(1+e) - t
//          (1 - t is exact for t in [0.5, 1], so a confident right answer
//          keeps its tiny loss and gradient instead of rounding them to 0;
//          the one exp serves loss and gradient).
// Loss = sum(l) / N, grad = dl/dz / N.
template <LossKind kind, class T>
double Elementwise(const T* out, size_t rows, size_t cols, const Targets<T>& tg, T* grad,
                   double delta) {
  const size_t n = rows * cols;
  const double inv_n = 1.0 / static_cast<double>(n);
  double sum = 0, poison = 0;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      const size_t k = i * cols + j;
      const double z = static_cast<double>(out[k]);
      const double t = Target(tg, i, j, cols);
      poison += 0.0 * z;
      double l, g;
      if constexpr (kind == LossKind::kMse) {
        const double d = z - t;
        l = d * d;
        g = 2.0 * d;
      } else if constexpr (kind == LossKind::kHuber) {
        const double d = z - t, ad = std::fabs(d);
        l = ad < delta ? 0.5 * d * d : delta * (ad - 0.5 * delta);
        g = ad > delta ? std::copysign(delta, d) : d;  // NaN d stays NaN
      } else {
        const double e = std::exp(-std::fabs(z)), q = e / (1.0 + e), lp = std::log1p(e);
        if (z >= 0) {
          l = z * (1.0 - t) + lp;
          g = (1.0 - t) - q;
        } else {
          l = -z * t + lp;
          g = q - t;
        }
      }
      sum += l;
      if (grad) grad[k] = static_cast<T>(g * inv_n);
    }
  }
  if (std::isnan(poison)) {
    FillNan(grad, n);
    return std::numeric_limits<double>::quiet_NaN();
  }
  return sum / static_cast<double>(n);
}

// Where a row's e_j = exp(z_j - m) wait until their sum s is known, so that
// exp runs once per element: in grad itself when T is double (exact), in a
// stack buffer of doubles for float rows up to kPark columns (the float
// gradient is then rounded once, from double); wider float rows recompute exp.
constexpr size_t kPark = 1024;
template <class T>
struct Park {
  double scratch[std::is_same_v<T, double> ? 1 : kPark];
  double* row(T* g, size_t cols) {
    if constexpr (std::is_same_v<T, double>) return g;
    else return cols <= kPark ? scratch : nullptr;
  }
};

// Cross-entropy with labels, per row with m = max(z) and e_j = exp(z_j - m):
//   l = logsumexp(z) - z_y = (m - z_y) + log(s),  s = sum_j e_j
//   dl/dz_j = e_j / s - [j == y]
// The sum leaves e_y out (so = s - e_y, summed, not subtracted), which gives
// both quantities without cancellation where the net is confidently right
// (e_y = 1, so tiny): l = log1p(so) and dl/dz_y = -so / s. Torch's log(s) and
// softmax - 1 round those to 0 and lose digits; actlab keeps them.
// Loss = sum(l) / rows, grad = dl/dz / rows.
template <class T>
double CrossEntropyLabels(const T* out, size_t rows, size_t cols, const int32_t* labels, T* grad) {
  const double inv_rows = 1.0 / static_cast<double>(rows);
  double sum = 0, poison = 0;
  Park<T> park;
  for (size_t i = 0; i < rows; ++i) {
    const T* z = out + i * cols;
    const size_t y = static_cast<size_t>(labels[i]);
    double m = static_cast<double>(z[0]);
    for (size_t j = 0; j < cols; ++j) {
      const double v = static_cast<double>(z[j]);
      poison += 0.0 * v;
      m = v > m ? v : m;
    }
    const double zy = static_cast<double>(z[y]);
    const double ey = std::exp(zy - m);
    double so = 0;
    if (grad) {
      T* g = grad + i * cols;
      double* e = park.row(g, cols);
      for (size_t j = 0; j < cols; ++j) {
        const double ej = j == y ? 0.0 : std::exp(static_cast<double>(z[j]) - m);
        if (e) e[j] = ej;
        so += ej;
      }
      const double scale = inv_rows / (so + ey);
      for (size_t j = 0; j < cols; ++j) {
        const double ej = e ? e[j] : std::exp(static_cast<double>(z[j]) - m);
        g[j] = static_cast<T>(ej * scale);
      }
      g[y] = static_cast<T>(-so * scale);
    } else {
      for (size_t j = 0; j < cols; ++j)
        if (j != y) so += std::exp(static_cast<double>(z[j]) - m);
    }
    sum += zy == m ? std::log1p(so) : (m - zy) + std::log(so + ey);
  }
  if (std::isnan(poison)) {
    FillNan(grad, rows * cols);
    return std::numeric_limits<double>::quiet_NaN();
  }
  return sum / static_cast<double>(rows);
}

// Cross-entropy with probability targets t (nn.CrossEntropyLoss with a float
// target of the output's shape), per row:
//   l = -sum_j t_j log_softmax(z)_j = sum_j t_j (m - z_j) + T log(s),  T = sum_j t_j
//   dl/dz_j = T e_j / s - t_j
// (T is 1 for distributions, but torch does not require it and neither do we.)
template <class T>
double CrossEntropyValues(const T* out, size_t rows, size_t cols, const T* values, T* grad) {
  const double inv_rows = 1.0 / static_cast<double>(rows);
  double sum = 0, poison = 0;
  Park<T> park;
  for (size_t i = 0; i < rows; ++i) {
    const T* z = out + i * cols;
    const T* t = values + i * cols;
    double m = static_cast<double>(z[0]);
    for (size_t j = 0; j < cols; ++j) {
      const double v = static_cast<double>(z[j]);
      poison += 0.0 * v;
      m = v > m ? v : m;
    }
    double* e = grad ? park.row(grad + i * cols, cols) : nullptr;
    double s = 0, tsum = 0, dot = 0;
    for (size_t j = 0; j < cols; ++j) {
      const double v = static_cast<double>(z[j]), tj = static_cast<double>(t[j]);
      const double ej = std::exp(v - m);
      if (e) e[j] = ej;
      s += ej;
      tsum += tj;
      // A zero target contributes nothing, even against a huge m - z_j.
      if (tj != 0) dot += tj * (m - v);
    }
    sum += dot + tsum * std::log(s);
    if (grad) {
      T* g = grad + i * cols;
      const double scale = tsum / s;
      for (size_t j = 0; j < cols; ++j) {
        const double ej = e ? e[j] : std::exp(static_cast<double>(z[j]) - m);
        g[j] = static_cast<T>((ej * scale - static_cast<double>(t[j])) * inv_rows);
      }
    }
  }
  if (std::isnan(poison)) {
    FillNan(grad, rows * cols);
    return std::numeric_limits<double>::quiet_NaN();
  }
  return sum / static_cast<double>(rows);
}

// NLL on log-probabilities: l = -out[y], dl/dout_j = -[j == y]; mean over rows.
template <class T>
double Nll(const T* out, size_t rows, size_t cols, const int32_t* labels, T* grad) {
  const size_t n = rows * cols;
  const double inv_rows = 1.0 / static_cast<double>(rows);
  double poison = 0;
  for (size_t k = 0; k < n; ++k) poison += 0.0 * static_cast<double>(out[k]);
  if (std::isnan(poison)) {
    FillNan(grad, n);
    return std::numeric_limits<double>::quiet_NaN();
  }
  double sum = 0;
  for (size_t i = 0; i < rows; ++i) sum -= static_cast<double>(out[i * cols + labels[i]]);
  if (grad) {
    for (size_t k = 0; k < n; ++k) grad[k] = T(0);
    for (size_t i = 0; i < rows; ++i) grad[i * cols + labels[i]] = static_cast<T>(-inv_rows);
  }
  return sum / static_cast<double>(rows);
}

}  // namespace

const std::vector<LossInfo>& losses() { return kLosses; }

LossKind loss_from_name(std::string_view name) {
  const std::string key = normalize_name(name);
  for (const LossInfo& l : kLosses)
    if (key == l.name) return l.kind;
  for (const Alias& a : kAliases)
    if (key == a.name) return a.kind;
  std::string valid, aliases;
  for (const LossInfo& l : kLosses) valid += (valid.empty() ? "" : ", ") + std::string(l.name);
  for (const Alias& a : kAliases) aliases += (aliases.empty() ? "" : ", ") + std::string(a.name);
  throw Error("loss: unknown loss '" + std::string(name) + "'; valid names: " + valid + " (aliases: " + aliases + ")");
}

const char* loss_name(LossKind kind) {
  for (const LossInfo& l : kLosses)
    if (l.kind == kind) return l.name;
  throw Error("loss: unknown LossKind " + std::to_string(static_cast<int>(kind)) + "; use a LossKind enumerator");
}

template <class T>
double loss(LossKind kind, const T* out, size_t rows, size_t cols, const Targets<T>& targets, T* grad,
            double huber_delta) {
  Validate(kind, out, rows, cols, targets, huber_delta);
  switch (kind) {
    case LossKind::kMse:
      return Elementwise<LossKind::kMse>(out, rows, cols, targets, grad, huber_delta);
    case LossKind::kBceWithLogits:
      return Elementwise<LossKind::kBceWithLogits>(out, rows, cols, targets, grad, huber_delta);
    case LossKind::kHuber:
      return Elementwise<LossKind::kHuber>(out, rows, cols, targets, grad, huber_delta);
    case LossKind::kCrossEntropy:
      return targets.labels ? CrossEntropyLabels(out, rows, cols, targets.labels, grad)
                            : CrossEntropyValues(out, rows, cols, targets.values, grad);
    case LossKind::kNll:
      return Nll(out, rows, cols, targets.labels, grad);
  }
  return std::numeric_limits<double>::quiet_NaN();  // unreachable: Validate checked the kind
}

template double loss<float>(LossKind, const float*, size_t, size_t, const Targets<float>&, float*, double);
template double loss<double>(LossKind, const double*, size_t, size_t, const Targets<double>&, double*, double);

}  // namespace actlab
