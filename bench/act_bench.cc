// Google Benchmark suite: every activation in actlab::activations() x
// {forward, backward (dy given)} x N in {2^16 (in cache), 2^24 (out of cache)}
// x threads in {1, 2}, float32, each reported as items/s (elements of x) and
// bytes/s (the minimal traffic: read x [and dy], write y or dx), beside a
// memcpy case of the same N floats on the same threads, measured in this run;
// the counter vs_copy = activation elements/s / copy elements/s.
//
// Inputs: fixed-seed normal(0, 3) (both sides of every kink), 64-byte aligned,
// allocated once per N. Axis functions (softmax, log_softmax, softmin) run on
// rows of 1024; glu on rows of 2 x 1024. Default --benchmark_min_time is 0.1 s
// per case (the whole run takes ~1-2 minutes); pass the flag to change it.
//
//   actlab_bench                                  # everything
//   actlab_bench --benchmark_filter='gelu|memcpy' # a subset
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "actlab/activation.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kAxisSize = 1024;
constexpr size_t kSizes[] = {size_t{1} << 16, size_t{1} << 24};
constexpr int kThreads[] = {1, 2};

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeDeleter>;

Buffer AllocateAligned(size_t n) {
  const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes);  // fault the pages in before any timing
  return Buffer(p);
}

struct Buffers {
  Buffer x, dy, y;
};

// One set of buffers per N, made on first use and kept.
Buffers& BuffersFor(size_t n) {
  static std::map<size_t, Buffers> all;
  auto it = all.find(n);
  if (it != all.end()) return it->second;
  Buffers b{AllocateAligned(n), AllocateAligned(n), AllocateAligned(n)};
  std::mt19937 gen(20241123);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (size_t i = 0; i < n; ++i) b.x[i] = normal(gen);
  std::normal_distribution<float> unit(0.0f, 1.0f);
  for (size_t i = 0; i < n; ++i) b.dy[i] = unit(gen);
  return all.emplace(n, std::move(b)).first->second;
}

// memcpy of n floats split like actlab splits elementwise work: one
// contiguous part per OpenMP thread, parts rounded to 64 elements.
void ParallelCopy(float* dst, const float* src, size_t n, int threads) {
  if (threads <= 1) {
    std::memcpy(dst, src, n * sizeof(float));
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const size_t id = static_cast<size_t>(omp_get_thread_num());
    const size_t nt = static_cast<size_t>(omp_get_num_threads());
    const size_t per = ((n + nt - 1) / nt + 63) / 64 * 64;
    const size_t begin = std::min(n, id * per), end = std::min(n, begin + per);
    if (begin < end) std::memcpy(dst + begin, src + begin, (end - begin) * sizeof(float));
  }
}

// Copy elements/s per (N, threads), written by the memcpy cases of this run.
std::map<std::pair<size_t, int>, double>& CopyRates() {
  static std::map<std::pair<size_t, int>, double> rates;
  return rates;
}

// The memcpy figure for vs_copy; measured here (median of short runs) when the
// memcpy case was filtered out of this run.
double CopyRate(size_t n, int threads) {
  auto& rates = CopyRates();
  if (auto it = rates.find({n, threads}); it != rates.end()) return it->second;
  Buffers& b = BuffersFor(n);
  ParallelCopy(b.y.get(), b.x.get(), n, threads);
  std::vector<double> samples;
  double spent = 0;
  while (spent < 0.1 || samples.size() < 5) {
    const auto t0 = Clock::now();
    ParallelCopy(b.y.get(), b.x.get(), n, threads);
    const double t = std::chrono::duration<double>(Clock::now() - t0).count();
    spent += t;
    samples.push_back(static_cast<double>(n) / t);
  }
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  return rates[{n, threads}] = samples[samples.size() / 2];
}

void BM_Memcpy(benchmark::State& state, size_t n, int threads) {
  Buffers& b = BuffersFor(n);
  ParallelCopy(b.y.get(), b.x.get(), n, threads);  // warm-up
  const auto t0 = Clock::now();
  for (auto _ : state) {
    ParallelCopy(b.y.get(), b.x.get(), n, threads);
    benchmark::ClobberMemory();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto items = static_cast<int64_t>(state.iterations() * n);
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(items * 2 * static_cast<int64_t>(sizeof(float)));
  CopyRates()[{n, threads}] = static_cast<double>(items) / seconds;  // the last (reported) run wins
  state.counters["vs_copy"] = 1.0;
}

// Bytes one call must move at least, in floats per element of x.
double FloatsPerElement(actlab::Shape shape, bool backward) {
  if (shape == actlab::Shape::kGlu) return backward ? 2.5 : 1.5;  // x, dy/2, dx | x, y/2
  return backward ? 3.0 : 2.0;                                    // x, dy, dx | x, y
}

void BM_Activation(benchmark::State& state, actlab::Activation a, bool backward, size_t n,
                   int threads) {
  actlab::set_threads(threads);
  Buffers& b = BuffersFor(n);
  const size_t axis = a.spec->shape == actlab::Shape::kElementwise ? 0 : kAxisSize;
  const auto call = [&] {
    if (backward) actlab::backward(a, b.x.get(), b.dy.get(), b.y.get(), n, axis);
    else actlab::forward(a, b.x.get(), b.y.get(), n, axis);
  };
  try {
    call();  // warm-up; also surfaces a shape error as a skipped case
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    for (auto _ : state) {
    }
    return;
  }
  const auto t0 = Clock::now();
  for (auto _ : state) {
    call();
    benchmark::ClobberMemory();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto items = static_cast<int64_t>(state.iterations() * n);
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(
      static_cast<int64_t>(static_cast<double>(items) * FloatsPerElement(a.spec->shape, backward) *
                           sizeof(float)));
  state.counters["vs_copy"] = static_cast<double>(items) / seconds / CopyRate(n, threads);
}

actlab::Activation Make(const actlab::Spec& s) {
  if (s.name == "threshold") {  // no defaults in PyTorch: threshold = 0, value = 0 (a relu)
    const std::pair<std::string, double> p[] = {{"threshold", 0.0}, {"value", 0.0}};
    return actlab::Activation::make(s.name, p);
  }
  return actlab::Activation::make(s.name);
}

void RegisterAll(bool set_min_time) {
  const auto finish = [&](benchmark::internal::Benchmark* bm) {
    bm->UseRealTime()->Unit(benchmark::kMicrosecond);
    if (set_min_time) bm->MinTime(0.1);
  };
  // Grouped by (N, threads), the memcpy case first, so each vs_copy divides by
  // a copy measured moments before.
  for (const size_t n : kSizes) {
    for (const int t : kThreads) {
      const std::string suffix = "/n:" + std::to_string(n) + "/threads:" + std::to_string(t);
      finish(benchmark::RegisterBenchmark(("memcpy" + suffix).c_str(), BM_Memcpy, n, t));
      for (const actlab::Spec& s : actlab::activations()) {
        const actlab::Activation a = Make(s);
        for (const bool bwd : {false, true}) {
          const std::string name = std::string(s.name) + (bwd ? "/backward" : "/forward") + suffix;
          finish(benchmark::RegisterBenchmark(name.c_str(), BM_Activation, a, bwd, n, t));
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool user_min_time = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--benchmark_min_time", 20) == 0) user_min_time = true;
  RegisterAll(!user_min_time);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::string available;
  for (const std::string& t : actlab::available_targets()) available += (available.empty() ? "" : " ") + t;
  benchmark::AddCustomContext("actlab_simd_target", actlab::active_target());
  benchmark::AddCustomContext("actlab_available_targets", available);
  benchmark::AddCustomContext("actlab_input",
                              "float32, normal(0, 3) fixed seed, 64-byte aligned; axis_size 1024 "
                              "(softmax/log_softmax/softmin rows of 1024, glu rows of 2048)");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
