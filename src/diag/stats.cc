// Statistics on plain buffers for the diagnostics (see actlab/diagnostics.h).

#include <algorithm>
#include <cmath>
#include <limits>

#include "actlab/diagnostics.h"

namespace actlab::diag {

template <class T>
Moments moments(const T* x, size_t n) {
  // Two passes (mean, then squared deviations): one-pass sum-of-squares loses
  // every digit of the std when |mean| >> std, as saturated inputs are.
  Moments m;
  double sum = 0;
  m.min = std::numeric_limits<double>::infinity();
  m.max = -m.min;
  for (size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    if (!std::isfinite(v)) {
      ++m.nonfinite;
      continue;
    }
    sum += v;
    m.min = std::min(m.min, v);
    m.max = std::max(m.max, v);
    ++m.count;
  }
  if (m.count == 0) {
    m.min = m.max = 0;
    return m;
  }
  m.mean = sum / static_cast<double>(m.count);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    if (std::isfinite(v)) ss += (v - m.mean) * (v - m.mean);
  }
  m.std = std::sqrt(ss / static_cast<double>(m.count));
  return m;
}

template <class T>
Histogram histogram(const T* x, size_t n, size_t bins) {
  // The range adapts to the batch ([min, max]) so a histogram never clips;
  // lo and hi travel with the counts so records stay comparable.
  if (bins == 0) throw Error("histogram: bins must be >= 1");
  Histogram h;
  h.counts.assign(bins, 0);
  const Moments m = moments(x, n);
  h.lo = m.min;
  h.hi = m.max;
  const double w = (h.hi - h.lo) / static_cast<double>(bins);
  for (size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    if (!std::isfinite(v)) continue;
    size_t k = 0;
    if (w > 0) k = std::min(bins - 1, static_cast<size_t>((v - h.lo) / w));
    ++h.counts[k];
  }
  return h;
}

template <class T>
double l2_norm(const T* x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return std::sqrt(s);
}

template <class T>
double update_ratio(const T* before, const T* after, size_t n) {
  double d = 0, b = 0;
  for (size_t i = 0; i < n; ++i) {
    const double delta = static_cast<double>(after[i]) - static_cast<double>(before[i]);
    d += delta * delta;
    b += static_cast<double>(before[i]) * static_cast<double>(before[i]);
  }
  if (b == 0) return d == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return std::sqrt(d / b);
}

DerivativeProfile derivative_profile(const Activation& a) {
  DerivativeProfile p;
  p.elementwise = a.spec && a.spec->shape == Shape::kElementwise;
  if (!p.elementwise) return p;
  // f' on a grid fine enough to find sigmoid's 0.25 at 0 and wide enough
  // to reach every table entry's flat regions.
  constexpr size_t kPoints = 40 * 64 + 1;
  std::vector<double> x(kPoints), d(kPoints);
  for (size_t i = 0; i < kPoints; ++i) x[i] = -20.0 + static_cast<double>(i) / 64.0;
  backward(a, x.data(), nullptr, d.data(), kPoints);
  size_t zero_run = 0;
  double negative_max = 0, positive_min = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < kPoints; ++i) {
    if (std::isfinite(d[i])) p.peak = std::max(p.peak, std::fabs(d[i]));
    // Two neighbouring zeros: an interval, not a single stationary point.
    zero_run = d[i] == 0 ? zero_run + 1 : 0;
    if (zero_run >= 2) p.zero_region = true;
    if (x[i] <= -4) negative_max = std::max(negative_max, std::fabs(d[i]));
    if (x[i] >= 4) positive_min = std::min(positive_min, std::fabs(d[i]));
  }
  // NaN compares false: an activation with NaN f' is not a rectifier.
  p.rectifier = positive_min > 0 && positive_min >= 10 * negative_max;
  return p;
}

template <class T>
double saturated_fraction(const Activation& a, const T* x, size_t n, double peak, std::vector<T>& scratch) {
  if (n == 0) return 0;
  scratch.resize(n);
  backward(a, x, nullptr, scratch.data(), n);
  const double level = kSaturationLevel * peak * (1 - 1e-6);  // see kSaturationLevel
  size_t sat = 0;
  for (size_t i = 0; i < n; ++i) sat += std::fabs(static_cast<double>(scratch[i])) < level;
  return static_cast<double>(sat) / static_cast<double>(n);
}

template <class T>
double mark_active(const Activation& a, const T* x, size_t rows, size_t cols, std::vector<uint8_t>& active,
                   std::vector<T>& scratch) {
  const size_t n = rows * cols;
  if (active.size() != cols) active.assign(cols, 0);
  if (n == 0) return 0;
  scratch.resize(n);
  backward(a, x, nullptr, scratch.data(), n);
  size_t zero = 0;
  for (size_t r = 0; r < rows; ++r) {
    const T* d = scratch.data() + r * cols;
    for (size_t j = 0; j < cols; ++j) {
      // A NaN derivative is not evidence of a dead unit (the run is
      // diverging, which exploding_gradients reports).
      const bool off = d[j] == T(0);
      zero += off;
      active[j] |= !off;
    }
  }
  return static_cast<double>(zero) / static_cast<double>(n);
}

template <class T>
double mark_positive(const T* x, size_t rows, size_t cols, std::vector<uint8_t>& positive) {
  const size_t n = rows * cols;
  if (positive.size() != cols) positive.assign(cols, 0);
  if (n == 0) return 0;
  size_t off = 0;
  for (size_t r = 0; r < rows; ++r) {
    const T* row = x + r * cols;
    for (size_t j = 0; j < cols; ++j) {
      off += row[j] <= T(0);
      positive[j] |= row[j] > T(0);
    }
  }
  return static_cast<double>(off) / static_cast<double>(n);
}

#define ACTLAB_DIAG_STATS(T)                                                                        \
  template Moments moments(const T*, size_t);                                                       \
  template Histogram histogram(const T*, size_t, size_t);                                           \
  template double l2_norm(const T*, size_t);                                                        \
  template double update_ratio(const T*, const T*, size_t);                                         \
  template double saturated_fraction(const Activation&, const T*, size_t, double, std::vector<T>&); \
  template double mark_active(const Activation&, const T*, size_t, size_t, std::vector<uint8_t>&,   \
                              std::vector<T>&);                                                     \
  template double mark_positive(const T*, size_t, size_t, std::vector<uint8_t>&);
ACTLAB_DIAG_STATS(float)
ACTLAB_DIAG_STATS(double)
#undef ACTLAB_DIAG_STATS

}  // namespace actlab::diag
