// actlab public API: activation functions, forward and backward, float32 and
// float64, SIMD (Highway runtime dispatch) and multithreaded.
//
// Every activation is described by a `Spec` (name, parameters, formula,
// properties). The table of specs is the single source of truth: the CLI, the
// docs, the tests and the benchmarks all read it through `activations()`.
//
// Conventions (PyTorch's): backward computes dx = dy * f'(x) from the input x;
// at kinks the derivative takes PyTorch's one-sided value (relu'(0) = 0,
// leaky_relu'(0) = negative_slope, ...), documented per entry in `Spec::kinks`.
// NaN in gives NaN out; +-inf give the mathematical limits.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actlab {

inline constexpr int kMaxParams = 3;

// A scalar parameter of an activation, with its PyTorch default and the
// interval of valid values.
struct ParamSpec {
  std::string_view name;
  double default_value = 0;
  double min = -1e308, max = 1e308;  // valid interval (finite bounds mean closed
  bool min_open = false, max_open = false;  // unless *_open)
  bool required = false;   // no default (PyTorch requires it, e.g. threshold)
  bool learnable = false;  // has a gradient (PReLU weight, Swish beta)
  std::string_view doc;

  bool valid(double v) const;
  std::string range_text() const;  // e.g. "[0, inf)" or "(0, inf)"
};

// Properties of f with default parameters; tests verify every claim.
enum Property : unsigned {
  kMonotonic = 1u << 0,     // non-decreasing on the whole real line
  kZeroCentred = 1u << 1,   // f(0) = 0 and E[f(z)] ~ 0 for z ~ N(0,1)
  kSmooth = 1u << 2,        // continuously differentiable everywhere
  kBoundedBelow = 1u << 3,
  kBoundedAbove = 1u << 4,
};

enum class Shape {
  kElementwise,  // y[i] = f(x[i])
  kGlu,          // rows of 2K -> rows of K: y = a * sigmoid(b), [a | b] = x
  kAxis,         // rows of K -> rows of K (softmax, log_softmax, softmin)
};

// Measured accuracy the tests hold each kernel to (ULP of the exact value),
// and the interval the finite-difference gradient check walks.
struct TestBudget {
  double ulp_fwd_f32 = 4, ulp_bwd_f32 = 8, ulp_fwd_f64 = 4, ulp_bwd_f64 = 8;
  double lo = -10, hi = 10;
};

struct Spec {
  std::string_view name;
  std::array<std::string_view, 2> aliases{};
  std::string_view torch;       // the PyTorch equivalent
  std::string_view formula;     // f(x)
  std::string_view derivative;  // f'(x)
  std::string_view kinks;       // derivative convention at non-smooth points
  std::array<ParamSpec, kMaxParams> params{};
  int num_params = 0;
  double range_min = 0, range_max = 0;  // image of f with default params
  std::string_view range_text;          // e.g. "(0, 1)"
  unsigned props = 0;
  Shape shape = Shape::kElementwise;
  // Whether f'(x) follows from y = f(x) alone: backward_from_output() runs
  // for this entry (leaky_relu, rrelu: for a slope >= 0). backward() from x
  // stays the exact one; from y is what PyTorch does for sigmoid, tanh and
  // softmax, and is faster where f' costs a transcendental function.
  bool deriv_from_output = false;
  TestBudget budget{};
  // Cross-parameter rule (e.g. min_val < max_val): an error message, or
  // nullptr when the parameters are consistent.
  const char* (*validate)(const double* params) = nullptr;

  std::span<const ParamSpec> parameters() const { return {params.data(), static_cast<size_t>(num_params)}; }
  bool has(Property p) const { return (props & p) != 0; }
};

// Every activation, in table order.
std::span<const Spec> activations();
// By name or alias ('-' and '_' are interchangeable, case-insensitive);
// nullptr when unknown.
const Spec* find(std::string_view name);
// The closest known names (edit distance), for "did you mean" messages.
std::vector<std::string_view> suggest(std::string_view name, size_t max_count = 3);
// Edit distance counting a swap of neighbours as one edit ("gleu" -> "gelu"):
// what suggest() ranks by, for "did you mean" messages about other names.
size_t edit_distance(std::string_view a, std::string_view b);

// Bad input to the API (unknown name, parameter out of range, bad shape).
struct Error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// An activation with its parameters resolved (defaults filled in, ranges
// checked).
struct Activation {
  const Spec* spec = nullptr;
  std::array<double, kMaxParams> params{};

  // Throws Error naming the problem: unknown name (with suggestions),
  // unknown parameter, missing required parameter, value out of range.
  static Activation make(std::string_view name,
                         std::span<const std::pair<std::string, double>> overrides = {});
  // make("elu", {{"alpha", 0.5}}): a braced list cannot become a span by itself.
  static Activation make(std::string_view name, std::initializer_list<std::pair<std::string, double>> overrides) {
    return make(name, std::span<const std::pair<std::string, double>>(overrides.begin(), overrides.size()));
  }
  double param(std::string_view name) const;
};

// ---- Kernels ---------------------------------------------------------------
// Shapes. kElementwise: x, y (and dy, dx) hold n values; axis_size unused.
// kAxis: n values seen as rows of axis_size (n % axis_size == 0), the
// function applies along each row. kGlu: x is rows of axis_size (even), y and
// dy are rows of axis_size/2, dx is like x; n is always the size of x.
// x and y may be the same buffer (in place) except for glu.
//
// forward:    y = f(x)
// backward:   dx = dy * f'(x) (the vector-Jacobian product for kAxis/kGlu);
//             dx may alias dy for kElementwise. dy == nullptr means dy = 1,
//             so backward(a, x, nullptr, d, n) gives f'(x).
// Both throw Error on a bad shape. Large arrays are split across threads.
void forward(const Activation& a, const float* x, float* y, size_t n, size_t axis_size = 0);
void forward(const Activation& a, const double* x, double* y, size_t n, size_t axis_size = 0);
void backward(const Activation& a, const float* x, const float* dy, float* dx, size_t n,
              size_t axis_size = 0);
void backward(const Activation& a, const double* x, const double* dy, double* dx, size_t n,
              size_t axis_size = 0);

// backward_from_output: dx = dy * f'(x) computed from the forward output
// y = f(x) instead of x (dy == nullptr: f'(x)); for entries with
// Spec::deriv_from_output. Memory speed, but inexact where y has rounded
// towards a saturation value: sigmoid and tanh lose f' where y nears 1
// (f' = 0 once y rounds to 1), elu/selu/celu as y nears -alpha, softsign as
// |y| nears 1 (docs/accuracy.md has the measured errors). Exact for the
// piecewise-linear entries. dx may alias y or dy.
// Throws Error for an entry without it (has_backward_from_output says).
bool has_backward_from_output(const Activation& a);
void backward_from_output(const Activation& a, const float* y, const float* dy, float* dx, size_t n,
                          size_t axis_size = 0);
void backward_from_output(const Activation& a, const double* y, const double* dy, double* dx, size_t n,
                          size_t axis_size = 0);

// Gradient of the loss with respect to each learnable parameter of an
// elementwise activation, accumulated: grads[k] += sum_i dy[i] * df/dp_k(x[i]).
// Only learnable parameters (Spec::params[k].learnable) are touched.
void param_backward(const Activation& a, const float* x, const float* dy, size_t n, double* grads);
void param_backward(const Activation& a, const double* x, const double* dy, size_t n,
                    double* grads);

// PReLU with one weight per channel; x is (outer, channels, inner) row-major
// (PyTorch's layout: channels are dim 1). dweight is accumulated (+=).
template <class T>
void prelu_forward(const T* x, const T* weight, T* y, size_t outer, size_t channels, size_t inner);
template <class T>
void prelu_backward(const T* x, const T* weight, const T* dy, T* dx, T* dweight, size_t outer,
                    size_t channels, size_t inner);

// RReLU in training mode: each negative element gets its own slope drawn
// uniformly from [lower, upper] by a generator seeded with `seed` (the same
// seed gives the same slopes on any thread count). `noise` (n values) records
// the slope used per element (1 for x > 0) for the backward pass, which is
// dx = dy * noise. In eval mode use forward()/backward() ("rrelu"), which use
// the fixed slope (lower + upper) / 2.
template <class T>
void rrelu_forward_train(const T* x, T* y, T* noise, size_t n, double lower, double upper,
                         uint64_t seed);
template <class T>
void rrelu_backward_train(const T* noise, const T* dy, T* dx, size_t n);

// ---- Execution -------------------------------------------------------------
// Threads used for large arrays (0 = all cores, the default).
void set_threads(int threads);
int threads();

// Kernels called from this thread use `threads` threads until the guard
// ends. The training engine runs batch-sized kernels on one thread: waking
// OpenMP workers for 32k values costs more than it saves, and their spinning
// afterwards takes the cores BLAS needs for the next GEMM.
class ScopedThreads {
 public:
  explicit ScopedThreads(int threads);
  ~ScopedThreads();
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int previous_;
};

// SIMD targets: the one in use, those compiled in and supported by this CPU
// (best first), and a way to force one (tests and benchmarks run every
// target). force_target("") returns to the automatic choice.
std::string active_target();
std::vector<std::string> available_targets();
void force_target(std::string_view name);  // throws Error if unavailable

}  // namespace actlab
