// fma_peak: the float32 fused-multiply-add ceiling of this CPU, per SIMD target and thread count.
//
// The training benchmark states its GEMM rate as a share of this figure, measured in the same run
// (bench/train_bench.py), since the machines are shared and their clocks move. Each thread runs
// 16 independent chains acc = acc * m + c over one vector each: enough chains to cover the FMA
// latency (4 cycles on Zen 4 and recent Intel cores) on two FMA pipes, no memory traffic.
// A float32 FMA counts 2 FLOP per lane. Every target Highway compiled and the CPU supports is
// measured (FMA targets only; on Zen 4 a 512-bit FMA is two 256-bit halves: AVX3 and AVX2 may tie), and the best
// is the peak.
//
// usage: fma_peak [--threads T[,T...]] [--seconds S]    prints one JSON object per line:
//   {"target": "AVX3", "threads": 2, "lanes": 16, "gflop_s": 218.3}
//   and last {"peak": {"threads": 2, "gflop_s": ..., "target": ...}} per thread count;
//        fma_peak --clock    prints {"clock_ghz": 3.7}: the core clock, for elements per cycle.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/fma_peak.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace fma_peak {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Runs `rounds` x 16 chained FMAs on 16 vectors; returns a sum so that nothing is optimised away,
// and the lane count through *lanes.
float Chains(size_t rounds, size_t* lanes) {
  const hn::ScalableTag<float> d;
  *lanes = hn::Lanes(d);
  // m slightly below 1 and c small keep every value finite and normal over any run length.
  const auto m = hn::Set(d, 0.9999999f), c = hn::Set(d, 1e-7f);
  auto a0 = hn::Set(d, 1.00f), a1 = hn::Set(d, 1.01f), a2 = hn::Set(d, 1.02f), a3 = hn::Set(d, 1.03f);
  auto a4 = hn::Set(d, 1.04f), a5 = hn::Set(d, 1.05f), a6 = hn::Set(d, 1.06f), a7 = hn::Set(d, 1.07f);
  auto a8 = hn::Set(d, 1.08f), a9 = hn::Set(d, 1.09f), a10 = hn::Set(d, 1.10f), a11 = hn::Set(d, 1.11f);
  auto a12 = hn::Set(d, 1.12f), a13 = hn::Set(d, 1.13f), a14 = hn::Set(d, 1.14f), a15 = hn::Set(d, 1.15f);
  for (size_t r = 0; r < rounds; ++r) {
    a0 = hn::MulAdd(a0, m, c), a1 = hn::MulAdd(a1, m, c), a2 = hn::MulAdd(a2, m, c), a3 = hn::MulAdd(a3, m, c);
    a4 = hn::MulAdd(a4, m, c), a5 = hn::MulAdd(a5, m, c), a6 = hn::MulAdd(a6, m, c), a7 = hn::MulAdd(a7, m, c);
    a8 = hn::MulAdd(a8, m, c), a9 = hn::MulAdd(a9, m, c), a10 = hn::MulAdd(a10, m, c);
    a11 = hn::MulAdd(a11, m, c), a12 = hn::MulAdd(a12, m, c), a13 = hn::MulAdd(a13, m, c);
    a14 = hn::MulAdd(a14, m, c), a15 = hn::MulAdd(a15, m, c);
  }
  const auto s = hn::Add(hn::Add(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)), hn::Add(hn::Add(a4, a5), hn::Add(a6, a7))),
                         hn::Add(hn::Add(hn::Add(a8, a9), hn::Add(a10, a11)),
                                 hn::Add(hn::Add(a12, a13), hn::Add(a14, a15))));
  return hn::GetLane(hn::SumOfLanes(d, s));
}

}  // namespace HWY_NAMESPACE
}  // namespace fma_peak
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <latch>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace fma_peak {
HWY_EXPORT(Chains);

// FLOP/s of `threads` threads each running Chains(rounds), released together; each thread times
// its own run (no spinning: on a shared machine a spinning waiter steals the core it waits for).
double Rate(int threads, size_t rounds, size_t* lanes) {
  std::latch start(threads);
  std::vector<double> rate(threads);
  std::vector<float> sink(threads);
  std::vector<std::thread> team;
  for (int t = 0; t < threads; ++t) {
    team.emplace_back([&, t] {
      start.arrive_and_wait();
      size_t l = 0;
      const auto t0 = std::chrono::steady_clock::now();
      sink[t] = HWY_DYNAMIC_DISPATCH(Chains)(rounds, &l);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      rate[t] = 2.0 * 16 * static_cast<double>(l) * static_cast<double>(rounds) / seconds;
      if (t == 0) *lanes = l;
    });
  }
  for (auto& th : team) th.join();
  if (sink[0] == 12345.0f) std::puts("");  // keeps the sums alive
  double total = 0;
  for (double r : rate) total += r;
  return total;
}

// The core clock, from a chain of dependent integer adds (one cycle each on every x86 core of the
// last decade): a kernel's elements per second over this is its elements per cycle. 0 elsewhere.
double ClockGhz() {
#if defined(__x86_64__)
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    uint64_t v = 0;
    constexpr uint64_t kIterations = 20'000'000;  // x 8 adds: 0.05 s at 3 GHz
    const auto t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < kIterations; ++i) {
      asm volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                   "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(v));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 8.0 * kIterations / seconds * 1e-9);
  }
  return best;
#else
  return 0;
#endif
}

// Targets without FMA (SSE4 and below, scalar) cannot be the peak; measuring them only costs time.
bool HasFma(int64_t target) {
  const std::string name = hwy::TargetName(target);
  return name != "SCALAR" && name != "EMU128" && name != "SSE4" && name != "SSSE3" && name != "SSE2";
}

int Main(int argc, char** argv) {
  std::vector<int> thread_counts = {1, 2};
  double seconds = 0.2;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      for (char* s = std::strtok(argv[++i], ","); s; s = std::strtok(nullptr, ",")) thread_counts.push_back(std::atoi(s));
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--clock") {
      std::printf("{\"clock_ghz\": %.3f}\n", ClockGhz());
      return 0;
    } else {
      std::fprintf(stderr, "usage: fma_peak [--threads T[,T...]] [--seconds S] | --clock\n");
      return 2;
    }
  }
  for (int t : thread_counts) {
    if (t < 1 || t > 1024 || !(seconds > 0 && seconds < 60)) {
      std::fprintf(stderr, "fma_peak: threads must be 1..1024 and seconds in (0, 60)\n");
      return 2;
    }
  }
  for (int threads : thread_counts) {
    double best = 0;
    const char* best_target = "";
    for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
      if (!HasFma(target)) continue;
      hwy::SetSupportedTargetsForTest(target);
      size_t lanes = 0;
      // Calibrate the rounds to about `seconds`, then keep the best of 5 runs (a shared machine).
      size_t rounds = 1 << 12;
      while (rounds < (size_t{1} << 40)) {
        const auto t0 = std::chrono::steady_clock::now();
        Rate(threads, rounds, &lanes);
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds / 5) break;
        rounds *= 2;
      }
      double rate = 0;
      for (int run = 0; run < 5; ++run) rate = std::max(rate, Rate(threads, rounds, &lanes));
      std::printf("{\"target\": \"%s\", \"threads\": %d, \"lanes\": %zu, \"gflop_s\": %.1f}\n",
                  hwy::TargetName(target), threads, lanes, rate * 1e-9);
      if (rate > best) best = rate, best_target = hwy::TargetName(target);
    }
    hwy::SetSupportedTargetsForTest(0);
    std::printf("{\"peak\": {\"threads\": %d, \"gflop_s\": %.1f, \"target\": \"%s\"}}\n", threads, best * 1e-9,
                best_target);
  }
  return 0;
}

}  // namespace fma_peak

int main(int argc, char** argv) { return fma_peak::Main(argc, argv); }
#endif  // HWY_ONCE
