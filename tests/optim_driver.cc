// optim_driver SPEC.json: runs actlab's optimizers, schedules and clipping on
// what optim_torch_test.py generates, and prints the results as JSON on
// stdout for it to compare with torch.
//
// mode "train" (default): p starts at "params"; for each step t of
// "total_steps", g = A p - b + noise[t] (in double, rounded to the dtype), optional
// clip_grad_norm to "clip_norm", lr = scheduled_lr(t), one optimizer step.
//   Prints {"lrs": [...], "norms": [...], "params": [[p after step 0], ...]}.
// mode "clip_norm" / "clip_value": clips "grads" with "max_norm" / "clip";
//   prints {"norm": ..., "grads": [...]}.
// mode "bench": times "steps" updates of "n" parameters (float32 unless
//   "dtype" says float64) for each optimizer config in "optimizers", after a
//   warm-up; prints [{"optimizer": ..., "ns_per_param": ...}, ...] with the
//   best of "repeats" runs, memcpy's and clip_grad_norm's; "target" forces a
//   SIMD target (AVX3, AVX2, SSE4, SCALAR ...).
// Exit 2 with the message on stderr for an actlab::Error.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actlab/optim.h"

namespace {
using nlohmann::json;

actlab::OptimizerConfig OptimizerFrom(const json& j) {
  actlab::OptimizerConfig c;
  c.kind = j.value("kind", c.kind);
  c.lr = j.value("lr", c.lr);
  c.momentum = j.value("momentum", c.momentum);
  c.dampening = j.value("dampening", c.dampening);
  c.nesterov = j.value("nesterov", c.nesterov);
  c.weight_decay = j.value("weight_decay", c.weight_decay);
  c.beta1 = j.value("beta1", c.beta1);
  c.beta2 = j.value("beta2", c.beta2);
  c.eps = j.value("eps", c.eps);
  c.alpha = j.value("alpha", c.alpha);
  c.centered = j.value("centered", c.centered);
  c.lr_decay = j.value("lr_decay", c.lr_decay);
  c.initial_accumulator = j.value("initial_accumulator", c.initial_accumulator);
  return c;
}

actlab::ScheduleConfig ScheduleFrom(const json& j) {
  actlab::ScheduleConfig s;
  s.kind = j.value("kind", s.kind);
  s.step_size = j.value("step_size", s.step_size);
  s.gamma = j.value("gamma", s.gamma);
  s.min_lr = j.value("min_lr", s.min_lr);
  s.warmup_steps = j.value("warmup_steps", s.warmup_steps);
  return s;
}

template <class T>
std::vector<double> Widen(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

template <class T>
json Train(const json& spec) {
  const actlab::OptimizerConfig oc = OptimizerFrom(spec.value("optimizer", json::object()));
  const actlab::ScheduleConfig sc = ScheduleFrom(spec.value("schedule", json::object()));
  const size_t total = spec.at("total_steps"), per_epoch = spec.value("steps_per_epoch", size_t{1});
  std::vector<T> p;
  for (double x : spec.value("params", std::vector<double>{})) p.push_back(static_cast<T>(x));
  const size_t n = p.size();
  const auto A = spec.value("A", std::vector<std::vector<double>>{});
  const auto b = spec.value("b", std::vector<double>{});
  const auto noise_rows = spec.value("noise", std::vector<std::vector<double>>{});
  const bool clip = spec.contains("clip_norm");
  auto opt = actlab::make_optimizer<T>(oc, n);
  json lrs = json::array(), norms = json::array(), traj = json::array();
  std::vector<T> g(n);
  for (size_t t = 0; t < total; ++t) {
    const double lr = actlab::scheduled_lr(sc, oc.lr, t, per_epoch, total);
    lrs.push_back(lr);
    if (n == 0) continue;
    for (size_t i = 0; i < n; ++i) {
      double acc = 0;
      for (size_t j = 0; j < n; ++j) acc += A[i][j] * p[j];
      g[i] = static_cast<T>(acc - b[i] + noise_rows.at(t).at(i));
    }
    if (clip) norms.push_back(actlab::clip_grad_norm(g.data(), n, spec.at("clip_norm").get<double>()));
    opt->step(p.data(), g.data(), lr);
    traj.push_back(Widen(p));
  }
  return {{"lrs", lrs}, {"norms", norms}, {"params", traj}};
}

template <class T>
json Clip(const json& spec, bool by_norm) {
  std::vector<T> g;
  for (double x : spec.at("grads").get<std::vector<double>>()) g.push_back(static_cast<T>(x));
  json out;
  if (by_norm)
    out["norm"] = actlab::clip_grad_norm(g.data(), g.size(), spec.at("max_norm").get<double>());
  else
    actlab::clip_grad_value(g.data(), g.size(), spec.at("clip").get<double>());
  out["grads"] = Widen(g);
  return out;
}

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Best-of-repeats seconds per call of f.
template <class F>
double Time(size_t steps, size_t repeats, const F& f) {
  f();  // warm-up: page faults, caches, the dispatch table
  double best = 1e300;
  for (size_t r = 0; r < repeats; ++r) {
    const double t0 = Seconds();
    for (size_t s = 0; s < steps; ++s) f();
    best = std::min(best, (Seconds() - t0) / double(steps));
  }
  return best;
}

template <class T>
json Bench(const json& spec) {
  actlab::force_target(spec.value("target", ""));  // "" = the best this CPU has
  const size_t n = spec.at("n"), steps = spec.value("steps", size_t{200}), repeats = spec.value("repeats", size_t{5});
  // Two gradients, alternated: the moments see a spread (centered rmsprop's
  // s - a^2 stays positive), and no value is 0 or near it (no subnormals).
  std::vector<T> p0(n), p(n), g0(n), g1(n), a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    p0[i] = static_cast<T>(0.01 * (double(i % 97) - 48.5));
    g0[i] = static_cast<T>(1e-3 * (double(i % 89) - 44.5));
    g1[i] = static_cast<T>(0.5 * g0[i] + 1e-3 * (double(i % 7) + 0.5));
  }
  json out = json::array();
  for (const json& o : spec.at("optimizers")) {
    auto opt = actlab::make_optimizer<T>(OptimizerFrom(o), n);
    const double lr = opt->config().lr;
    p = p0;
    size_t k = 0;
    const double s = Time(steps, repeats, [&] { opt->step(p.data(), (k++ % 2 ? g1 : g0).data(), lr); });
    // NaN or subnormal values would time something other than the update.
    size_t odd = 0;
    for (const auto& [name, buf] : opt->state())
      odd += size_t(std::count_if(buf->begin(), buf->end(), [](T x) { return !std::isnormal(x) && x != 0; }));
    odd += size_t(std::count_if(p.begin(), p.end(), [](T x) { return !std::isnormal(x) && x != 0; }));
    out.push_back({{"optimizer", o}, {"ns_per_param", s * 1e9 / double(n)}, {"non_normal_values", odd}});
  }
  // Two copies of n values: 4 streams, about what sgd without momentum moves.
  const double s = Time(steps, repeats, [&] {
    std::memcpy(a.data(), p0.data(), n * sizeof(T));
    std::memcpy(b.data(), g0.data(), n * sizeof(T));
    asm volatile("" ::: "memory");
  });
  out.push_back({{"optimizer", "2x memcpy"}, {"ns_per_param", s * 1e9 / double(n)}});
  const double c = Time(steps, repeats, [&] { actlab::clip_grad_norm(g0.data(), n, 1e30); });
  out.push_back({{"optimizer", "clip_grad_norm (no clip)"}, {"ns_per_param", c * 1e9 / double(n)}});
  return out;
}

template <class T>
json Run(const json& spec) {
  const std::string mode = spec.value("mode", "train");
  if (mode == "bench") return Bench<T>(spec);
  if (mode == "clip_norm" || mode == "clip_value") return Clip<T>(spec, mode == "clip_norm");
  return Train<T>(spec);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: optim_driver SPEC.json\n");
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    const json spec = json::parse(in);
    const bool f32 = spec.value("dtype", "float64") == "float32";
    std::cout << (f32 ? Run<float>(spec) : Run<double>(spec)).dump() << "\n";
  } catch (const actlab::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return 0;
}
