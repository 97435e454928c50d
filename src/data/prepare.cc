// Validation split and feature scaling.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "actlab/data.h"
#include "actlab/rng.h"

namespace actlab::data {
namespace {

// The buffers must agree with rows/features/outputs before rows are moved
// around by index.
void check_consistent(const Dataset& d, std::string_view who) {
  const bool ok = d.x.size() == d.rows * d.features &&
                  (d.classes == 0 ? d.labels.empty() : d.labels.size() == d.rows) &&
                  d.targets.size() == d.rows * d.outputs;
  if (!ok) {
    throw Error(fmt::format(
        "{}: dataset '{}' is inconsistent ({} rows x {} features but {} values, {} labels, {} targets for {} outputs); "
        "build it with a reader or fill every buffer",
        who, d.name, d.rows, d.features, d.x.size(), d.labels.size(), d.targets.size(), d.outputs));
  }
}

}  // namespace

Dataset take_validation(Dataset& train, double fraction, uint64_t seed) {
  if (!(fraction >= 0 && fraction < 1)) {
    throw Error(fmt::format("validation fraction {}: out of range; pass 0 <= fraction < 1", fraction));
  }
  check_consistent(train, "take_validation");
  const size_t n = train.rows;
  const size_t k = static_cast<size_t>(std::floor(fraction * static_cast<double>(n) + 0.5));
  if (k >= n && n > 0) {
    throw Error(fmt::format("validation fraction {}: takes all {} rows of '{}', none left to train on; pass a smaller fraction",
                            fraction, n, train.name));
  }

  Dataset v;
  v.name = train.name + "-validation";
  v.features = train.features;
  v.classes = train.classes;
  v.outputs = train.outputs;
  v.class_names = train.class_names;
  v.feature_names = train.feature_names;
  v.rows = k;

  // Partial Fisher-Yates: idx[0..k) is a uniform random k-subset, in random
  // order (the validation rows keep that order).
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  Rng rng(seed);
  for (size_t i = 0; i < k; ++i) std::swap(idx[i], idx[i + static_cast<size_t>(rng.below(n - i))]);
  std::vector<char> taken(n, 0);
  const size_t f = train.features, o = train.outputs;
  v.x.resize(k * f);
  if (train.classes) v.labels.resize(k);
  v.targets.resize(k * o);
  for (size_t i = 0; i < k; ++i) {
    const size_t r = idx[i];
    taken[r] = 1;
    std::memcpy(v.x.data() + i * f, train.x.data() + r * f, f * sizeof(float));
    if (train.classes) v.labels[i] = train.labels[r];
    if (o) std::memcpy(v.targets.data() + i * o, train.targets.data() + r * o, o * sizeof(float));
  }

  // Compact the kept rows to the front, in their original order. Row dst is
  // never after row src, and distinct rows never overlap.
  size_t dst = 0;
  for (size_t src = 0; src < n; ++src) {
    if (taken[src]) continue;
    if (dst != src) {
      std::memcpy(train.x.data() + dst * f, train.x.data() + src * f, f * sizeof(float));
      if (train.classes) train.labels[dst] = train.labels[src];
      if (o) std::memcpy(train.targets.data() + dst * o, train.targets.data() + src * o, o * sizeof(float));
    }
    ++dst;
  }
  // resize() down keeps the allocation: shrinking it would copy the whole
  // training set once more, the copy this function exists to avoid.
  train.rows = n - k;
  train.x.resize(train.rows * f);
  if (train.classes) train.labels.resize(train.rows);
  train.targets.resize(train.rows * o);
  return v;
}

Scaler Scaler::fit(const Dataset& train, std::string_view kind) {
  if (kind != "none" && kind != "unit" && kind != "minmax" && kind != "standard") {
    throw Error(fmt::format("scaler '{}': unknown kind; kinds: none, unit, minmax, standard", kind));
  }
  check_consistent(train, "Scaler::fit");
  const size_t n = train.rows, f = train.features;
  Scaler s;
  s.kind = std::string(kind);
  s.shift.assign(f, 0.0f);
  s.scale.assign(f, 1.0f);
  if (kind == "none") return s;
  if (kind == "unit") {
    s.scale.assign(f, 1.0f / 255.0f);
    return s;
  }
  if (n == 0) throw Error(fmt::format("scaler '{}': dataset '{}' has no rows to fit on; fit on the training set", kind, train.name));

  if (kind == "minmax") {
    // x' = (x - min) / (max - min); a constant feature maps to 0.
    std::vector<float> lo(train.row(0), train.row(0) + f), hi = lo;
    for (size_t i = 1; i < n; ++i) {
      const float* x = train.row(i);
      for (size_t j = 0; j < f; ++j) {
        lo[j] = std::min(lo[j], x[j]);
        hi[j] = std::max(hi[j], x[j]);
      }
    }
    for (size_t j = 0; j < f; ++j) {
      s.shift[j] = lo[j];
      const double range = static_cast<double>(hi[j]) - lo[j];
      s.scale[j] = range > 0 ? static_cast<float>(1.0 / range) : 0.0f;
    }
    return s;
  }

  // standard: x' = (x - mean) / sigma with the population sigma
  // sqrt(sum (x - mean)^2 / n) (sklearn's StandardScaler). Two passes in
  // double: a constant feature has exactly zero variance and maps to 0.
  std::vector<double> mean(f, 0.0), var(f, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const float* x = train.row(i);
    for (size_t j = 0; j < f; ++j) mean[j] += x[j];
  }
  for (double& m : mean) m /= static_cast<double>(n);
  for (size_t i = 0; i < n; ++i) {
    const float* x = train.row(i);
    for (size_t j = 0; j < f; ++j) {
      const double dx = x[j] - mean[j];
      var[j] += dx * dx;
    }
  }
  for (size_t j = 0; j < f; ++j) {
    const double sigma = std::sqrt(var[j] / static_cast<double>(n));
    s.shift[j] = static_cast<float>(mean[j]);
    s.scale[j] = sigma > 0 ? static_cast<float>(1.0 / sigma) : 0.0f;
  }
  return s;
}

void Scaler::apply(Dataset& d) const {
  if (kind == "none") return;
  if (shift.size() != d.features || scale.size() != d.features) {
    throw Error(fmt::format("scaler '{}': fitted on {} features, dataset '{}' has {}; fit and apply on one kind of data",
                            kind, shift.size(), d.name, d.features));
  }
  if (d.x.size() != d.rows * d.features) check_consistent(d, "Scaler::apply");
  const size_t f = d.features;
  for (size_t i = 0; i < d.rows; ++i) {
    float* x = d.x.data() + i * f;
    for (size_t j = 0; j < f; ++j) x[j] = (x[j] - shift[j]) * scale[j];
  }
}

}  // namespace actlab::data
