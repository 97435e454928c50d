// The classic 2-D toy sets, drawn with actlab::Rng only so a seed gives the
// same rows on every platform.
//
// Shapes are laid out class by class (as sklearn does), then the row order is
// shuffled with one stream and Gaussian noise is added with another:
// changing `noise` moves the same points, it does not reorder them.
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "actlab/data.h"
#include "actlab/rng.h"

namespace actlab::data {
namespace {

constexpr double kPi = std::numbers::pi;
// 10^8 rows of 2 floats is 800 MB: beyond any demo, and a size_t from a
// typo ("-1") must not become a bad_alloc.
constexpr size_t kMaxRows = 100'000'000;

// numpy.linspace(0, stop, m, endpoint): point k of m.
double linspace(double stop, size_t k, size_t m, bool endpoint) {
  if (endpoint) return m > 1 ? stop * static_cast<double>(k) / static_cast<double>(m - 1) : 0.0;
  return stop * static_cast<double>(k) / static_cast<double>(m);
}

struct Builder {
  Dataset d;
  void add(double x, double y, int32_t label) {
    d.x.push_back(static_cast<float>(x));
    d.x.push_back(static_cast<float>(y));
    d.labels.push_back(label);
  }
};

// sklearn.datasets.make_moons: the upper half of the unit circle (class 0,
// n/2 points) and the lower half of a unit circle centred at (1, 0.5)
// (class 1, the rest), each at numpy.linspace(0, pi, m) angles.
void moons(Builder& b, size_t n) {
  const size_t n_out = n / 2, n_in = n - n_out;
  for (size_t k = 0; k < n_out; ++k) {
    const double t = linspace(kPi, k, n_out, true);
    b.add(std::cos(t), std::sin(t), 0);
  }
  for (size_t k = 0; k < n_in; ++k) {
    const double t = linspace(kPi, k, n_in, true);
    b.add(1.0 - std::cos(t), 1.0 - std::sin(t) - 0.5, 1);
  }
}

// sklearn.datasets.make_circles(factor=0.5): the unit circle (class 0, n/2
// points) and the circle of radius 0.5 (class 1), each at
// numpy.linspace(0, 2 pi, m, endpoint=False) angles.
void circles(Builder& b, size_t n) {
  const double factor = 0.5;
  const size_t n_out = n / 2, n_in = n - n_out;
  for (size_t k = 0; k < n_out; ++k) {
    const double t = linspace(2 * kPi, k, n_out, false);
    b.add(std::cos(t), std::sin(t), 0);
  }
  for (size_t k = 0; k < n_in; ++k) {
    const double t = linspace(2 * kPi, k, n_in, false);
    b.add(factor * std::cos(t), factor * std::sin(t), 1);
  }
}

// Two Archimedean arms r = t / (3 pi), angle t + a pi (arm a = class a),
// t in (0, 3 pi]: one and a half turns each, point reflections of each other,
// within the unit disc like the other sets. t_k = 3 pi sqrt((k + 1/2) / m)
// spaces the points evenly along the arm (arc length grows as t^2).
void spirals(Builder& b, size_t n) {
  const size_t counts[2] = {n / 2, n - n / 2};
  for (int a = 0; a < 2; ++a) {
    const size_t m = counts[a];
    for (size_t k = 0; k < m; ++k) {
      const double t = 3 * kPi * std::sqrt((static_cast<double>(k) + 0.5) / static_cast<double>(m));
      const double r = t / (3 * kPi);
      b.add(r * std::cos(t + a * kPi), r * std::sin(t + a * kPi), a);
    }
  }
}

// Three Gaussian blobs (std = noise) centred on the unit circle at 90, 210
// and 330 degrees; sizes as sklearn.datasets.make_blobs splits them (n / 3
// each, the first n % 3 blobs one more).
void blobs(Builder& b, size_t n) {
  for (int c = 0; c < 3; ++c) {
    const size_t m = n / 3 + (static_cast<size_t>(c) < n % 3 ? 1 : 0);
    const double angle = kPi / 2 + 2 * kPi * c / 3;
    for (size_t k = 0; k < m; ++k) b.add(std::cos(angle), std::sin(angle), c);
  }
}

// XOR's truth table, row i = entry i mod 4.
void xor_table(Builder& b, size_t n) {
  static constexpr int kTable[4][3] = {{0, 0, 0}, {0, 1, 1}, {1, 0, 1}, {1, 1, 0}};
  for (size_t i = 0; i < n; ++i) b.add(kTable[i % 4][0], kTable[i % 4][1], kTable[i % 4][2]);
}

std::string kinds_list() {
  std::string s;
  for (std::string_view k : synthetic_kinds()) s += fmt::format("{}{}", s.empty() ? "" : ", ", k);
  return s;
}

}  // namespace

std::vector<std::string_view> synthetic_kinds() { return {"xor", "spirals", "moons", "circles", "blobs"}; }

Dataset synthetic(std::string_view kind, size_t rows, double noise, uint64_t seed) {
  void (*make)(Builder&, size_t) = nullptr;
  if (kind == "xor") make = xor_table;
  if (kind == "spirals") make = spirals;
  if (kind == "moons") make = moons;
  if (kind == "circles") make = circles;
  if (kind == "blobs") make = blobs;
  if (!make) throw Error(fmt::format("synthetic dataset '{}': unknown kind; kinds: {}", kind, kinds_list()));
  if (rows < 1 || rows > kMaxRows) {
    throw Error(fmt::format("synthetic dataset '{}': {} rows; pass 1..{}", kind, rows, kMaxRows));
  }
  if (!(noise >= 0) || !std::isfinite(noise)) {
    throw Error(fmt::format("synthetic dataset '{}': noise {}; pass a standard deviation >= 0", kind, noise));
  }

  Builder b;
  b.d.x.reserve(2 * rows);
  b.d.labels.reserve(rows);
  make(b, rows);
  Dataset& d = b.d;
  d.name = std::string(kind);
  d.rows = rows;
  d.features = 2;
  d.classes = kind == "blobs" ? 3 : 2;
  for (size_t c = 0; c < d.classes; ++c) d.class_names.push_back(std::to_string(c));
  d.feature_names = {"x1", "x2"};

  const Rng base(seed);
  // The truth table stays in table order; the others are laid out class by
  // class and would train badly in that order.
  if (kind != "xor") {
    Rng order = base.fork(1);
    for (size_t i = rows; i > 1; --i) {
      const size_t j = static_cast<size_t>(order.below(i));
      std::swap(d.x[2 * (i - 1)], d.x[2 * j]);
      std::swap(d.x[2 * (i - 1) + 1], d.x[2 * j + 1]);
      std::swap(d.labels[i - 1], d.labels[j]);
    }
  }
  if (noise > 0) {
    Rng jitter = base.fork(2);
    for (float& v : d.x) v = static_cast<float>(v + jitter.normal(0.0, noise));
  }
  return d;
}

}  // namespace actlab::data
