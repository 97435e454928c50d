// `actlab bench`: forward and backward speed of every activation, float32, at
// one size that stays in cache (2^16) and one that does not (2^24), beside a
// memcpy of the same bytes on the same threads (the memory-bound ceiling).
//
// Method: inputs are allocated once per size (64-byte aligned) and filled from
// a fixed-seed normal(0, 3), so both sides of every kink are taken. Each case
// is run once untimed (page faults, thread wake-up), then timed with
// std::chrono::steady_clock until `seconds_per_case` has passed and at least
// 5 runs (3 at 2^24) are in; a run of a case that takes under 200 us is a
// batch of calls, so clock and wake-up noise stay small. The figure is the
// median run. The copy is split across threads like actlab splits its work.
#include "tools/bench_cmd.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "actlab/activation.h"

namespace actlab::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kSizes[] = {size_t{1} << 16, size_t{1} << 24};
constexpr size_t kAxisSize = 1024;        // softmax & co.: rows of 1024; glu: rows of 2 x 1024
constexpr double kMinRunSeconds = 2e-4;  // shorter calls are timed in batches

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeDeleter>;

Buffer AllocateAligned(size_t n) {
  const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes);  // fault the pages in now, not inside a timed run
  return Buffer(p);
}

// A fixed team of threads for the copy baseline (the CLI does not link
// OpenMP). Workers spin briefly between back-to-back jobs, as OpenMP's do,
// then sleep so they never compete with actlab's own threads.
class Team {
 public:
  explicit Team(int threads) {
    for (int id = 1; id < threads; ++id) workers_.emplace_back([this, id] { Loop(id); });
  }
  ~Team() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs job(id) for id in [0, size()), id 0 on the calling thread.
  void Run(const std::function<void(int)>& job) {
    if (workers_.empty()) {
      job(0);
      return;
    }
    job_ = &job;
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    job(0);
    while (pending_.load(std::memory_order_acquire) != 0) {
    }
  }

 private:
  void Loop(int id) {
    uint64_t seen = 0;
    for (;;) {
      // Spin up to ~50 us for the next job, then sleep.
      const auto spin_until = Clock::now() + std::chrono::microseconds(50);
      uint64_t g;
      int polls = 0;
      while ((g = generation_.load(std::memory_order_acquire)) == seen) {
        if (++polls % 256 == 0 && Clock::now() > spin_until) {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        }
      }
      seen = g;
      if (stop_) return;
      (*job_)(id);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const std::function<void(int)>* job_ = nullptr;
  std::atomic<bool> stop_{false};
};

// Median elements/s of `fn`, which processes n elements per call.
double MedianRate(const std::function<void()>& fn, size_t n, double seconds, int min_runs,
                  std::vector<double>* samples_out = nullptr) {
  auto t0 = Clock::now();
  fn();  // untimed warm-up
  double one = Seconds(Clock::now() - t0);
  if (one < 1e-3) {  // calibrate on a warm call
    t0 = Clock::now();
    fn();
    one = Seconds(Clock::now() - t0);
  }
  const int batch = one >= kMinRunSeconds
                        ? 1
                        : static_cast<int>(std::min(1000.0, kMinRunSeconds / std::max(one, 1e-8))) + 1;
  std::vector<double> rates;
  double spent = 0;
  while (spent < seconds || static_cast<int>(rates.size()) < min_runs) {
    t0 = Clock::now();
    for (int b = 0; b < batch; ++b) fn();
    const double t = Seconds(Clock::now() - t0);
    spent += t;
    rates.push_back(static_cast<double>(n) * batch / std::max(t, 1e-9));
  }
  if (samples_out) samples_out->insert(samples_out->end(), rates.begin(), rates.end());
  std::nth_element(rates.begin(), rates.begin() + rates.size() / 2, rates.end());
  return rates[rates.size() / 2];
}

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// forward; backward from x (dx = dy * f'(x)); backward from the output y = f(x).
enum class Direction { kForward, kBackward, kFromOutput };
constexpr const char* kDirectionNames[] = {"forward", "backward", "backward_from_output"};

struct Result {
  const Spec* spec;
  Direction direction;
  size_t n;
  double gelem_s;
};

std::string SizeText(size_t n) {
  int log2 = 0;
  while ((size_t{1} << log2) < n) ++log2;
  return fmt::format("2^{}", log2);
}

}  // namespace

int RunBench(const BenchOptions& options, std::ostream& out) {
  // Which activations, in table order unless names were given (then in that
  // order, duplicates and aliases of one entry dropped).
  std::vector<Activation> acts;
  const auto make = [](const Spec& s) {
    if (s.name == "threshold") {
      const std::pair<std::string, double> p[] = {{"threshold", 0.0}, {"value", 0.0}};
      return Activation::make(s.name, p);
    }
    return Activation::make(s.name);
  };
  if (options.names.empty()) {
    for (const Spec& s : activations()) acts.push_back(make(s));
  } else {
    for (const std::string& name : options.names) {
      const Spec* s = find(name);
      if (!s) (void)Activation::make(name);  // throws Error with suggestions
      if (std::none_of(acts.begin(), acts.end(), [&](const Activation& a) { return a.spec == s; }))
        acts.push_back(make(*s));
    }
  }

  // A forced target holds for this run only (force_target throws Error if unavailable).
  struct TargetGuard {
    bool forced;
    ~TargetGuard() {
      if (forced) force_target("");
    }
  };
  if (!options.target.empty()) force_target(options.target);
  const TargetGuard target_guard{!options.target.empty()};
  set_threads(options.threads);
  const int threads = actlab::threads();
  const std::string target = active_target();
  const double per_case = options.seconds_per_case > 0 ? options.seconds_per_case : 0.05;
  Team team(threads);

  std::vector<std::pair<size_t, double>> copy_rates;
  std::vector<Result> results;
  for (const size_t n : kSizes) {
    const Buffer x = AllocateAligned(n), dy = AllocateAligned(n), y = AllocateAligned(n), fwd_y = AllocateAligned(n);
    {
      std::mt19937 gen(20241123);
      std::normal_distribution<float> normal(0.0f, 3.0f);
      for (size_t i = 0; i < n; ++i) x[i] = normal(gen);
      std::normal_distribution<float> unit(0.0f, 1.0f);
      for (size_t i = 0; i < n; ++i) dy[i] = unit(gen);
    }
    const int min_runs = n >= (size_t{1} << 24) ? 3 : 5;

    // memcpy of the same n floats, one contiguous part per thread, parts
    // rounded to 64 elements as actlab rounds its own.
    const auto copy = [&] {
      const size_t t = static_cast<size_t>(team.size());
      const size_t per = ((n + t - 1) / t + 63) / 64 * 64;
      team.Run([&](int id) {
        const size_t begin = std::min(n, static_cast<size_t>(id) * per);
        const size_t end = std::min(n, begin + per);
        if (begin < end) std::memcpy(y.get() + begin, x.get() + begin, (end - begin) * sizeof(float));
      });
    };
    // The copy is measured before and after this size's activations; its
    // figure is the median of both sets of runs (the machine drifts).
    std::vector<double> copy_samples;
    MedianRate(copy, n, per_case, min_runs, &copy_samples);

    for (const Activation& a : acts) {
      const size_t axis = a.spec->shape == Shape::kElementwise ? 0 : kAxisSize;
      const bool from_output = has_backward_from_output(a);
      if (from_output) forward(a, x.get(), fwd_y.get(), n, axis);  // the y a layer would keep
      for (const Direction dir : {Direction::kForward, Direction::kBackward, Direction::kFromOutput}) {
        if (dir == Direction::kFromOutput && !from_output) continue;
        const auto call = [&] {
          if (dir == Direction::kBackward) backward(a, x.get(), dy.get(), y.get(), n, axis);
          else if (dir == Direction::kFromOutput) backward_from_output(a, fwd_y.get(), dy.get(), y.get(), n, axis);
          else forward(a, x.get(), y.get(), n, axis);
        };
        results.push_back({a.spec, dir, n, MedianRate(call, n, per_case, min_runs)});
      }
    }
    MedianRate(copy, n, per_case, min_runs, &copy_samples);
    copy_rates.emplace_back(n, Median(copy_samples));
  }
  const auto copy_rate = [&](size_t n) {
    for (const auto& [cn, r] : copy_rates)
      if (cn == n) return r;
    return 0.0;
  };

  if (options.json) {
    nlohmann::json j;
    j["target"] = target;
    j["threads"] = threads;
    j["copy"] = nlohmann::json::array();
    for (const auto& [n, r] : copy_rates)
      j["copy"].push_back({{"n", n}, {"threads", threads}, {"gelem_s", r * 1e-9}});
    j["results"] = nlohmann::json::array();
    for (const Result& r : results)
      j["results"].push_back({{"name", r.spec->name},
                              {"direction", kDirectionNames[static_cast<int>(r.direction)]},
                              {"dtype", "float32"},
                              {"n", r.n},
                              {"threads", threads},
                              {"gelem_s", r.gelem_s * 1e-9},
                              {"vs_copy", r.gelem_s / copy_rate(r.n)}});
    out << j.dump() << '\n';
    return 0;
  }

  out << fmt::format(
      "actlab bench: float32, SIMD target {}, {} thread{}; Gelem/s = 1e9 input elements per second\n"
      "(median of timed runs); x copy = ratio to memcpy of the same n floats on the same threads.\n"
      "softmax, log_softmax, softmin: rows of {}; glu: rows of 2 x {}. Backward: dx = dy * f'(x) from x;\n"
      "from y: the same from the forward output y = f(x) (backward_from_output), where f' follows from y.\n\n",
      target, threads, threads == 1 ? "" : "s", kAxisSize, kAxisSize);
  for (const auto& [n, r] : copy_rates)
    out << fmt::format("copy (memcpy) n = {:<5}  {:6.2f} Gelem/s  ({:.1f} GB/s read + write)\n",
                       SizeText(n), r * 1e-9, r * 2 * sizeof(float) * 1e-9);
  out << '\n';
  std::string head1 = fmt::format("{:<13}", ""), head2 = fmt::format("{:<13}", "activation");
  for (const char* dir : {"forward", "backward from x", "backward from y"}) {
    head1 += fmt::format("  {:<30}", dir);
    for (const size_t n : kSizes) head2 += fmt::format("  {:>7} {:>6}", SizeText(n), "x copy");
  }
  out << head1 << '\n' << head2 << '\n';
  for (const Activation& a : acts) {
    std::string line = fmt::format("{:<13}", a.spec->name);
    for (const Direction dir : {Direction::kForward, Direction::kBackward, Direction::kFromOutput})
      for (const size_t n : kSizes) {
        bool found = false;
        for (const Result& r : results)
          if (r.spec == a.spec && r.direction == dir && r.n == n) {
            line += fmt::format("  {:7.3f} {:5.2f}x", r.gelem_s * 1e-9, r.gelem_s / copy_rate(n));
            found = true;
          }
        if (!found && dir == Direction::kFromOutput) line += fmt::format("  {:>7} {:>6}", "-", "");
      }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
  return 0;
}

}  // namespace actlab::cli
