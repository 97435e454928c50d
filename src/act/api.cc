// The public API: the registry built from the table, parameter resolution,
// shape checks, threading, target control, and the learnable-parameter paths
// (PReLU per channel, Swish-beta, RReLU training), which are plain loops.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <thread>

#include "actlab/activation.h"
#include "src/common/parallel.h"
#include "hwy/targets.h"
#include "src/act/kernel_api.h"
#include "src/act/table-inl.h"  // static target: specs and scalar definitions

namespace actlab {
namespace tbl_static = HWY_NAMESPACE;

// ---- parameters ---------------------------------------------------------------
bool ParamSpec::valid(double v) const {
  if (!std::isfinite(v)) return false;
  if (min_open ? v <= min : v < min) return false;
  if (max_open ? v >= max : v > max) return false;
  return true;
}

static std::string FormatBound(double v) {
  if (v <= -1e308) return "-inf";
  if (v >= 1e308) return "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string ParamSpec::range_text() const {
  const bool lo_inf = min <= -1e308, hi_inf = max >= 1e308;
  return std::string(min_open || lo_inf ? "(" : "[") + FormatBound(min) + ", " + FormatBound(max) +
         (max_open || hi_inf ? ")" : "]");
}

// ---- registry -------------------------------------------------------------------
namespace {
template <class... Ts>
constexpr auto MakeSpecs(tbl_static::TypeList<Ts...>) {
  return std::array<Spec, sizeof...(Ts)>{Ts::kSpec...};
}
constexpr auto kSpecs = MakeSpecs(tbl_static::AllActivations{});

std::string Normalize(std::string_view name) {
  std::string s;
  for (char c : name) s += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

size_t IndexOf(const Spec* spec) { return static_cast<size_t>(spec - kSpecs.data()); }
}  // namespace

std::span<const Spec> activations() { return kSpecs; }

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

const Spec* find(std::string_view name) {
  const std::string key = Normalize(name);
  for (const Spec& s : kSpecs) {
    if (s.name == key) return &s;
    for (std::string_view alias : s.aliases)
      if (!alias.empty() && alias == key) return &s;
  }
  return nullptr;
}

std::vector<std::string_view> suggest(std::string_view name, size_t max_count) {
  const std::string key = Normalize(name);
  std::vector<std::pair<size_t, std::string_view>> scored;
  for (const Spec& s : kSpecs) {
    size_t best = edit_distance(key, s.name);
    for (std::string_view alias : s.aliases)
      if (!alias.empty()) best = std::min(best, edit_distance(key, alias));
    // A prefix or substring match ("soft" -> softmax, softplus) counts as close.
    if (!key.empty() && s.name.find(key) != std::string_view::npos) best = std::min<size_t>(best, 1);
    scored.emplace_back(best, s.name);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string_view> out;
  const size_t limit = std::max<size_t>(2, key.size() / 2);
  for (const auto& [dist, n] : scored)
    if (out.size() < max_count && dist <= limit) out.push_back(n);
  return out;
}

Activation Activation::make(std::string_view name,
                            std::span<const std::pair<std::string, double>> overrides) {
  const Spec* spec = find(name);
  if (!spec) {
    std::string msg = "unknown activation '" + std::string(name) + "'";
    const auto near = suggest(name);
    if (!near.empty()) {
      msg += "; did you mean ";
      for (size_t i = 0; i < near.size(); ++i)
        msg += (i ? (i + 1 == near.size() ? " or " : ", ") : "") + std::string(near[i]);
      msg += "?";
    }
    msg += " ('actlab list' shows all)";
    throw Error(msg);
  }
  Activation a;
  a.spec = spec;
  std::array<bool, kMaxParams> given{};
  for (int k = 0; k < spec->num_params; ++k) a.params[k] = spec->params[k].default_value;
  for (const auto& [key, value] : overrides) {
    int k = 0;
    while (k < spec->num_params && spec->params[k].name != key) ++k;
    if (k == spec->num_params) {
      std::string msg = std::string(spec->name) + " has no parameter '" + key + "'";
      if (spec->num_params == 0) {
        msg += " (it takes none)";
      } else {
        msg += "; its parameters are";
        for (const ParamSpec& p : spec->parameters()) msg += " " + std::string(p.name);
      }
      throw Error(msg);
    }
    const ParamSpec& p = spec->params[k];
    if (!p.valid(value)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", value);
      throw Error(std::string(spec->name) + ": " + std::string(p.name) + " = " + buf +
                  " is out of range; valid: " + p.range_text());
    }
    a.params[k] = value;
    given[k] = true;
  }
  for (int k = 0; k < spec->num_params; ++k) {
    if (spec->params[k].required && !given[k])
      throw Error(std::string(spec->name) + " needs " + std::string(spec->params[k].name) +
                  " (no default, as in PyTorch); pass --param " + std::string(spec->params[k].name) +
                  "=VALUE");
  }
  if (spec->validate) {
    if (const char* why = spec->validate(a.params.data()))
      throw Error(std::string(spec->name) + ": " + why);
  }
  return a;
}

double Activation::param(std::string_view name) const {
  for (int k = 0; k < spec->num_params; ++k)
    if (spec->params[k].name == name) return params[k];
  throw Error(std::string(spec->name) + " has no parameter '" + std::string(name) + "'");
}

// ---- execution ----------------------------------------------------------------------
namespace {
std::atomic<int> g_threads{0};
std::atomic<int64_t> g_forced_target{0};  // 0: automatic choice

int HardwareThreads() {
  const int n = omp_get_num_procs();
  return n > 0 ? n : 1;
}

// Elementwise work below this many elements per thread stays on one thread:
// waking a thread costs more than mapping 16k values (bench/ has the figures).
constexpr size_t kMinPerThread = 1 << 14;
// Outputs at least this large are written with non-temporal stores.
constexpr size_t kStreamBytes = size_t{8} << 20;

// Splits [0, units) across the threads, at least min_units_per_thread each.
template <class F>
void ParallelFor(size_t units, size_t min_units_per_thread, size_t granule, const F& f) {
  const int t = std::min<size_t>(threads(), std::max<size_t>(1, units / std::max<size_t>(1, min_units_per_thread)));
  detail::ParallelRanges(units, t, granule, f);
}

template <class T>
void Run(const Activation& a, int op, const T* x, const T* dy, T* out, size_t n, size_t axis_size) {
  if (!a.spec) throw Error("activation not initialized; use Activation::make(name)");
  const Spec& s = *a.spec;
  if (n > 0 && (!x || !out)) throw Error(std::string(s.name) + ": null input or output pointer");
  KernelCall<T> call;
  call.index = IndexOf(a.spec);
  call.op = op;
  call.params = a.params.data();
  const auto run = [](const KernelCall<T>& c) {
    if constexpr (sizeof(T) == 4) detail::RunKernelF32(c);
    else detail::RunKernelF64(c);
  };
  if (s.shape == Shape::kElementwise) {
    call.stream = n * sizeof(T) >= kStreamBytes && out != x;
    ParallelFor(n, kMinPerThread, 64, [&](size_t b, size_t e) {
      KernelCall<T> c = call;
      c.x = x + b;
      c.dy = dy ? dy + b : nullptr;
      c.out = out + b;
      c.n = e - b;
      run(c);
    });
    return;
  }
  if (axis_size == 0)
    throw Error(std::string(s.name) + " works along an axis: give its size (--axis-size K)");
  if (s.shape == Shape::kGlu && axis_size % 2 != 0)
    throw Error("glu splits the axis in two halves: its size must be even, not " +
                std::to_string(axis_size));
  const size_t row_in = axis_size;
  if (n % row_in != 0)
    throw Error(std::string(s.name) + ": " + std::to_string(n) + " values are not whole rows of " +
                std::to_string(row_in) + " (the axis size)");
  if (s.shape == Shape::kGlu && op == kForward && out == x)
    throw Error("glu cannot run in place: its output has half the size of its input");
  const size_t rows = n / row_in;
  const size_t half = s.shape == Shape::kGlu ? axis_size / 2 : axis_size;
  const size_t row_out = s.shape == Shape::kGlu && op == kForward ? half : row_in;
  const size_t row_dy = half;
  ParallelFor(rows, std::max<size_t>(1, kMinPerThread / row_in), 1, [&](size_t b, size_t e) {
    KernelCall<T> c = call;
    c.x = x + b * row_in;
    c.dy = dy ? dy + b * row_dy : nullptr;
    c.out = out + b * row_out;
    c.n = (e - b) * row_in;
    c.axis_size = half;  // the kernels take K, the half, for glu
    run(c);
  });
}
}  // namespace

void forward(const Activation& a, const float* x, float* y, size_t n, size_t axis_size) {
  Run(a, kForward, x, static_cast<const float*>(nullptr), y, n, axis_size);
}
void forward(const Activation& a, const double* x, double* y, size_t n, size_t axis_size) {
  Run(a, kForward, x, static_cast<const double*>(nullptr), y, n, axis_size);
}
void backward(const Activation& a, const float* x, const float* dy, float* dx, size_t n,
              size_t axis_size) {
  Run(a, dy ? kBackward : kDerivative, x, dy, dx, n, axis_size);
}
void backward(const Activation& a, const double* x, const double* dy, double* dx, size_t n,
              size_t axis_size) {
  Run(a, dy ? kBackward : kDerivative, x, dy, dx, n, axis_size);
}

bool has_backward_from_output(const Activation& a) {
  if (!a.spec) throw Error("activation not initialized; use Activation::make(name)");
  bool valid = a.spec->deriv_from_output;
  tbl_static::VisitEntry(tbl_static::AllActivations{}, IndexOf(a.spec), [&]<class A>() {
    if constexpr (requires { A::FromOutputValid(a.params.data()); }) valid = valid && A::FromOutputValid(a.params.data());
  });
  return valid;
}
namespace {
template <class T>
void BackwardFromOutput(const Activation& a, const T* y, const T* dy, T* dx, size_t n, size_t axis_size) {
  if (!has_backward_from_output(a)) {
    if (a.spec->deriv_from_output)  // refused by FromOutputValid: a negative slope
      throw Error(std::string(a.spec->name) + " with a negative slope has no backward from the output (y > 0 for "
                  "x < 0 too); use backward() from x");
    throw Error(std::string(a.spec->name) + " has no backward from the output (f'(x) does not follow from "
                "f(x)); use backward() from x");
  }
  Run(a, kBackwardFromOutput, y, dy, dx, n, axis_size);
}
}  // namespace
void backward_from_output(const Activation& a, const float* y, const float* dy, float* dx, size_t n,
                          size_t axis_size) {
  BackwardFromOutput(a, y, dy, dx, n, axis_size);
}
void backward_from_output(const Activation& a, const double* y, const double* dy, double* dx, size_t n,
                          size_t axis_size) {
  BackwardFromOutput(a, y, dy, dx, n, axis_size);
}

// ---- learnable parameters ---------------------------------------------------------------
namespace {
template <class T>
void ParamBackward(const Activation& a, const T* x, const T* dy, size_t n, double* grads) {
  if (!a.spec) throw Error("activation not initialized; use Activation::make(name)");
  bool handled = false;
  tbl_static::VisitEntry(tbl_static::AllActivations{}, IndexOf(a.spec), [&]<class A>() {
    if constexpr (requires { A::template DParam<double>(0.0, nullptr, 0); }) {
      handled = true;
      for (int k = 0; k < A::kSpec.num_params; ++k) {
        if (!A::kSpec.params[k].learnable) continue;
        // Pairwise-free but double accumulation: float32 inputs lose nothing.
        double sum = 0;
        for (size_t i = 0; i < n; ++i)
          sum += double(dy ? dy[i] : T(1)) * A::template DParam<double>(double(x[i]), a.params.data(), k);
        grads[k] += sum;
      }
    }
  });
  if (!handled) throw Error(std::string(a.spec->name) + " has no learnable parameter");
}
}  // namespace

void param_backward(const Activation& a, const float* x, const float* dy, size_t n, double* grads) {
  ParamBackward(a, x, dy, n, grads);
}
void param_backward(const Activation& a, const double* x, const double* dy, size_t n,
                    double* grads) {
  ParamBackward(a, x, dy, n, grads);
}

template <class T>
void prelu_forward(const T* x, const T* weight, T* y, size_t outer, size_t channels, size_t inner) {
  for (size_t o = 0; o < outer; ++o)
    for (size_t c = 0; c < channels; ++c) {
      const double w = weight[c];
      const size_t base = (o * channels + c) * inner;
      for (size_t i = 0; i < inner; ++i) {
        const T v = x[base + i];
        y[base + i] = v > 0 ? v : T(w * v);  // y = x > 0 ? x : w x
      }
    }
}

template <class T>
void prelu_backward(const T* x, const T* weight, const T* dy, T* dx, T* dweight, size_t outer,
                    size_t channels, size_t inner) {
  for (size_t c = 0; c < channels; ++c) {
    const double w = weight[c];
    double dw = 0;  // dL/dw_c = sum over x <= 0 of dy * x
    for (size_t o = 0; o < outer; ++o) {
      const size_t base = (o * channels + c) * inner;
      for (size_t i = 0; i < inner; ++i) {
        const T v = x[base + i], g = dy[base + i];
        if (v > 0) {
          dx[base + i] = g;  // dx = dy
        } else {
          dw += double(g) * double(v);
          dx[base + i] = T(double(g) * w);  // dx = dy w
        }
      }
    }
    dweight[c] += T(dw);
  }
}

template <class T>
void rrelu_forward_train(const T* x, T* y, T* noise, size_t n, double lower, double upper,
                         uint64_t seed) {
  if (!(lower <= upper) || !std::isfinite(lower) || !std::isfinite(upper))
    throw Error("rrelu: need finite lower <= upper");
  // One generator stream, consumed in element order: the slopes depend on the
  // seed only, not on how the work is split.
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> slope(lower, upper);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] > 0) {
      noise[i] = T(1);
      y[i] = x[i];
    } else {
      // The slope is rounded to T once, so backward's dy * noise uses the
      // very slope forward applied.
      const T a = T(lower == upper ? lower : slope(gen));
      noise[i] = a;
      y[i] = T(double(a) * double(x[i]));
    }
  }
}

template <class T>
void rrelu_backward_train(const T* noise, const T* dy, T* dx, size_t n) {
  for (size_t i = 0; i < n; ++i) dx[i] = dy[i] * noise[i];  // dx = dy * slope
}

template void prelu_forward<float>(const float*, const float*, float*, size_t, size_t, size_t);
template void prelu_forward<double>(const double*, const double*, double*, size_t, size_t, size_t);
template void prelu_backward<float>(const float*, const float*, const float*, float*, float*, size_t,
                                    size_t, size_t);
template void prelu_backward<double>(const double*, const double*, const double*, double*, double*,
                                     size_t, size_t, size_t);
template void rrelu_forward_train<float>(const float*, float*, float*, size_t, double, double, uint64_t);
template void rrelu_forward_train<double>(const double*, double*, double*, size_t, double, double,
                                          uint64_t);
template void rrelu_backward_train<float>(const float*, const float*, float*, size_t);
template void rrelu_backward_train<double>(const double*, const double*, double*, size_t);

// ---- threads and targets ------------------------------------------------------------------
void set_threads(int t) {
  if (t < 0) throw Error("threads must be >= 0 (0 = all cores)");
  g_threads = t;
}
namespace {
thread_local int t_scoped_threads = 0;  // ScopedThreads on this thread; 0 = none
}

ScopedThreads::ScopedThreads(int t) : previous_(t_scoped_threads) {
  if (t < 1) throw Error("ScopedThreads: threads must be >= 1");
  t_scoped_threads = t;
}
ScopedThreads::~ScopedThreads() { t_scoped_threads = previous_; }

int threads() {
  if (t_scoped_threads > 0) return t_scoped_threads;
  const int t = g_threads.load();
  return t > 0 ? t : HardwareThreads();
}

std::string active_target() {
  const int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
  return hwy::TargetName(targets & -targets);  // lowest bit = best target
}

std::vector<std::string> available_targets() {
  std::vector<std::string> names;
  hwy::SetSupportedTargetsForTest(0);
  for (int64_t t = hwy::SupportedTargets() & HWY_TARGETS; t != 0; t &= t - 1)
    names.push_back(hwy::TargetName(t & -t));
  hwy::SetSupportedTargetsForTest(g_forced_target.load());
  return names;
}

void force_target(std::string_view name) {
  if (name.empty()) {
    hwy::SetSupportedTargetsForTest(0);
  } else {
    int64_t chosen = 0;
    hwy::SetSupportedTargetsForTest(0);
    for (int64_t t = hwy::SupportedTargets() & HWY_TARGETS; t != 0; t &= t - 1)
      if (name == hwy::TargetName(t & -t)) chosen = t & -t;
    if (!chosen) {
      hwy::SetSupportedTargetsForTest(g_forced_target.load());
      throw Error("SIMD target '" + std::string(name) + "' is not available here");
    }
    hwy::SetSupportedTargetsForTest(chosen);
  }
  g_forced_target = name.empty() ? 0 : hwy::SupportedTargets();
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

}  // namespace actlab
