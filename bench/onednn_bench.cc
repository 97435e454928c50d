// oneDNN (Debian libdnnl 2.6, OpenMP runtime) timings of the eltwise and
// softmax primitives that compute one of actlab's activations, float32, at
// N = 2^16 (in cache) and 2^24 (out of cache), forward (forward_inference) and
// backward (backward_data from src, where oneDNN has it; and from dst, the
// forward output, for its *_use_dst_for_bwd variants and softmax, as
// "backward_from_output"). One JSON line per
// case on stdout:
//   {"name": "gelu", "direction": "forward", "n": 65536, "threads": 1, "gelem_s": 1.47}
// Gelem/s is 1e9 input elements per second, the median of timed runs (each run
// of a fast case is a batch of calls lasting >= 200 us; at least --reps runs
// and --min-time seconds per case). Before timing, each mapping is checked
// against actlab's own kernel on the same input; a mismatch is reported on
// stderr (the case is still timed).
//
//   onednn_bench --threads 2 [--min-time 0.1] [--reps 5] [--only gelu,silu]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "actlab/activation.h"

namespace {

using Clock = std::chrono::steady_clock;
using dnnl::algorithm;
constexpr size_t kAxisSize = 1024;  // softmax rows, as in actlab's benchmarks
constexpr size_t kSizes[] = {size_t{1} << 16, size_t{1} << 24};

enum class Kind { kEltwise, kSoftmax };

struct Case {
  const char* name;  // actlab's name
  Kind kind;
  algorithm alg;
  float alpha = 0, beta = 0;
  // The variant whose backward reads the forward output (dst) instead of x,
  // where oneDNN has one: timed as "backward_from_output".
  algorithm from_dst = algorithm::undef;
};

// actlab activation -> the oneDNN primitive computing the same function.
const Case kCases[] = {
    {"identity", Kind::kEltwise, algorithm::eltwise_linear, 1.0f, 0.0f},
    {"sigmoid", Kind::kEltwise, algorithm::eltwise_logistic, 0.0f, 0.0f, algorithm::eltwise_logistic_use_dst_for_bwd},
    {"tanh", Kind::kEltwise, algorithm::eltwise_tanh, 0.0f, 0.0f, algorithm::eltwise_tanh_use_dst_for_bwd},
    {"relu", Kind::kEltwise, algorithm::eltwise_relu, 0.0f, 0.0f, algorithm::eltwise_relu_use_dst_for_bwd},
    {"relu6", Kind::kEltwise, algorithm::eltwise_clip_v2, 0.0f, 6.0f, algorithm::eltwise_clip_v2_use_dst_for_bwd},
    {"leaky_relu", Kind::kEltwise, algorithm::eltwise_relu, 0.01f, 0.0f, algorithm::eltwise_relu_use_dst_for_bwd},
    {"prelu", Kind::kEltwise, algorithm::eltwise_relu, 0.25f},  // one shared weight 0.25
    {"rrelu", Kind::kEltwise, algorithm::eltwise_relu,
     static_cast<float>((1.0 / 8 + 1.0 / 3) / 2)},               // eval: slope (lower+upper)/2
    {"threshold", Kind::kEltwise, algorithm::eltwise_relu, 0.0f},  // threshold 0, value 0
    {"elu", Kind::kEltwise, algorithm::eltwise_elu, 1.0f, 0.0f, algorithm::eltwise_elu_use_dst_for_bwd},
    {"gelu", Kind::kEltwise, algorithm::eltwise_gelu_erf},
    {"gelu_tanh", Kind::kEltwise, algorithm::eltwise_gelu_tanh},
    {"silu", Kind::kEltwise, algorithm::eltwise_swish, 1.0f},
    {"mish", Kind::kEltwise, algorithm::eltwise_mish},
    {"softplus", Kind::kEltwise, algorithm::eltwise_soft_relu},
    {"hardswish", Kind::kEltwise, algorithm::eltwise_hardswish},
    {"hardtanh", Kind::kEltwise, algorithm::eltwise_clip_v2, -1.0f, 1.0f},
    {"logsigmoid", Kind::kEltwise, algorithm::eltwise_logsigmoid},
    {"softmax", Kind::kSoftmax, algorithm::softmax_accurate},
    {"log_softmax", Kind::kSoftmax, algorithm::softmax_log},
};

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeDeleter>;

Buffer AllocateAligned(size_t n) {
  const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return Buffer(p);
}

double MedianRate(const std::function<void()>& fn, size_t n, double min_time, int min_runs) {
  auto t0 = Clock::now();
  fn();  // warm-up (JIT code, pages, threads)
  double one = std::chrono::duration<double>(Clock::now() - t0).count();
  if (one < 1e-3) {
    t0 = Clock::now();
    fn();
    one = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  const int batch = one >= 2e-4 ? 1 : static_cast<int>(std::min(1000.0, 2e-4 / std::max(one, 1e-8))) + 1;
  std::vector<double> rates;
  double spent = 0;
  while (spent < min_time || static_cast<int>(rates.size()) < min_runs) {
    t0 = Clock::now();
    for (int b = 0; b < batch; ++b) fn();
    const double t = std::chrono::duration<double>(Clock::now() - t0).count();
    spent += t;
    rates.push_back(static_cast<double>(n) * batch / std::max(t, 1e-9));
  }
  std::nth_element(rates.begin(), rates.begin() + rates.size() / 2, rates.end());
  return rates[rates.size() / 2];
}

// Largest |a - b| / max(|b|, 1) over the array: oneDNN vs actlab. Catches a
// wrong mapping (parameters, a factor), not the last digits.
double MaxRelDiff(const float* a, const float* b, size_t n) {
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i])) / std::max(std::fabs(double(b[i])), 1.0);
    if (!(d <= worst)) worst = d;  // NaN counts as the worst
  }
  return worst;
}

actlab::Activation MakeActlab(const char* name) {
  if (std::strcmp(name, "threshold") == 0) {
    const std::pair<std::string, double> p[] = {{"threshold", 0.0}, {"value", 0.0}};
    return actlab::Activation::make(name, p);
  }
  return actlab::Activation::make(name);
}

const char* IsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--threads T] [--min-time SECONDS] [--reps R] [--only NAME,NAME...]\n"
               "  --threads   OpenMP threads for oneDNN (default 1)\n"
               "  --min-time  measuring time per case (default 0.1)\n"
               "  --reps      at least this many timed runs per case (default 5; 3 at 2^24)\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, reps = 5;
  double min_time = 0.1;
  std::vector<std::string> only;  // empty: every case
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if ((arg == "--threads" || arg == "-t") && (v = value())) threads = std::atoi(v);
    else if (arg == "--min-time" && (v = value())) min_time = std::atof(v);
    else if (arg == "--reps" && (v = value())) reps = std::atoi(v);
    else if (arg == "--only" && (v = value())) {
      for (const char* p = v; *p;) {
        const char* comma = std::strchr(p, ',');
        const size_t len = comma ? static_cast<size_t>(comma - p) : std::strlen(p);
        if (len) only.emplace_back(p, len);
        p += len + (comma ? 1 : 0);
      }
    }
    else return Usage(argv[0]);
  }
  if (threads < 1 || reps < 1 || !(min_time >= 0)) return Usage(argv[0]);
  omp_set_num_threads(threads);

  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const dnnl_version_t* version = dnnl::version();
  std::fprintf(stderr, "onednn_bench: oneDNN %d.%d.%d, ISA %s, %d OpenMP thread%s\n", version->major,
               version->minor, version->patch, IsaName(dnnl::get_effective_cpu_isa()), threads,
               threads == 1 ? "" : "s");
  int mismatches = 0;

  for (const size_t n : kSizes) {
    const Buffer x = AllocateAligned(n), dy = AllocateAligned(n), y = AllocateAligned(n),
                 fwd_y = AllocateAligned(n), ref = AllocateAligned(n);
    std::mt19937 gen(20241123);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    for (size_t i = 0; i < n; ++i) x[i] = normal(gen);
    std::normal_distribution<float> unit(0.0f, 1.0f);
    for (size_t i = 0; i < n; ++i) dy[i] = unit(gen);
    const int min_runs = n >= (size_t{1} << 24) ? std::min(reps, 3) : reps;

    const dnnl::memory::desc md_1d({static_cast<dnnl::memory::dim>(n)}, dnnl::memory::data_type::f32,
                                   dnnl::memory::format_tag::a);
    const dnnl::memory::desc md_rows(
        {static_cast<dnnl::memory::dim>(n / kAxisSize), static_cast<dnnl::memory::dim>(kAxisSize)},
        dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);

    for (const Case& c : kCases) {
      if (!only.empty() && std::find(only.begin(), only.end(), c.name) == only.end()) continue;
      const auto& md = c.kind == Kind::kSoftmax ? md_rows : md_1d;
      dnnl::memory m_x(md, engine, x.get()), m_dy(md, engine, dy.get()), m_y(md, engine, y.get()),
          m_fwd_y(md, engine, fwd_y.get());
      const actlab::Activation act = MakeActlab(c.name);
      const size_t axis = c.kind == Kind::kSoftmax ? kAxisSize : 0;

      std::function<void()> fwd, bwd, bwd_dst;
      if (c.kind == Kind::kEltwise) {
        const dnnl::eltwise_forward::primitive_desc inf_pd(
            {dnnl::prop_kind::forward_inference, c.alg, md, c.alpha, c.beta}, engine);
        const dnnl::eltwise_forward::primitive_desc train_pd(
            {dnnl::prop_kind::forward_training, c.alg, md, c.alpha, c.beta}, engine);
        dnnl::eltwise_forward prim(inf_pd);
        fwd = [=, &stream]() mutable {
          prim.execute(stream, {{DNNL_ARG_SRC, m_x}, {DNNL_ARG_DST, m_y}});
          stream.wait();
        };
        try {
          const dnnl::eltwise_backward::primitive_desc bwd_pd({c.alg, md, md, c.alpha, c.beta}, engine,
                                                              train_pd);
          dnnl::eltwise_backward bprim(bwd_pd);
          bwd = [=, &stream]() mutable {
            bprim.execute(stream, {{DNNL_ARG_SRC, m_x}, {DNNL_ARG_DIFF_DST, m_dy}, {DNNL_ARG_DIFF_SRC, m_y}});
            stream.wait();
          };
        } catch (const dnnl::error&) {
          std::fprintf(stderr, "onednn_bench: %s: no backward in oneDNN\n", c.name);
        }
        if (c.from_dst != algorithm::undef) {
          // The forward output this backward reads, computed once, untimed.
          const dnnl::eltwise_forward::primitive_desc dst_pd(
              {dnnl::prop_kind::forward_training, c.from_dst, md, c.alpha, c.beta}, engine);
          dnnl::eltwise_forward(dst_pd).execute(stream, {{DNNL_ARG_SRC, m_x}, {DNNL_ARG_DST, m_fwd_y}});
          stream.wait();
          const dnnl::eltwise_backward::primitive_desc bwd_pd({c.from_dst, md, md, c.alpha, c.beta}, engine, dst_pd);
          dnnl::eltwise_backward bprim(bwd_pd);
          bwd_dst = [=, &stream]() mutable {
            bprim.execute(stream, {{DNNL_ARG_DST, m_fwd_y}, {DNNL_ARG_DIFF_DST, m_dy}, {DNNL_ARG_DIFF_SRC, m_y}});
            stream.wait();
          };
        }
      } else {
        const dnnl::softmax_v2_forward::primitive_desc inf_pd(
            {dnnl::prop_kind::forward_inference, c.alg, md, md, 1}, engine);
        const dnnl::softmax_v2_forward::primitive_desc train_pd(
            {dnnl::prop_kind::forward_training, c.alg, md, md, 1}, engine);
        dnnl::softmax_v2_forward prim(inf_pd);
        fwd = [=, &stream]() mutable {
          prim.execute(stream, {{DNNL_ARG_SRC, m_x}, {DNNL_ARG_DST, m_y}});
          stream.wait();
        };
        // oneDNN's softmax backward reads the forward output; compute it once, untimed.
        dnnl::softmax_v2_forward(train_pd).execute(stream, {{DNNL_ARG_SRC, m_x}, {DNNL_ARG_DST, m_fwd_y}});
        stream.wait();
        const dnnl::softmax_v2_backward::primitive_desc bwd_pd({c.alg, md, md, md, 1}, engine, train_pd);
        dnnl::softmax_v2_backward bprim(bwd_pd);
        bwd_dst = [=, &stream]() mutable {
          bprim.execute(stream, {{DNNL_ARG_DST, m_fwd_y}, {DNNL_ARG_DIFF_DST, m_dy}, {DNNL_ARG_DIFF_SRC, m_y}});
          stream.wait();
        };
      }

      for (const char* direction : {"forward", "backward", "backward_from_output"}) {
        const std::string_view dir = direction;
        const auto& run = dir == "forward" ? fwd : dir == "backward" ? bwd : bwd_dst;
        if (!run) continue;
        if (n == kSizes[0]) {  // same function as actlab's? (checked once, in cache)
          run();
          if (dir == "backward") actlab::backward(act, x.get(), dy.get(), ref.get(), n, axis);
          else if (dir == "forward") actlab::forward(act, x.get(), ref.get(), n, axis);
          else actlab::backward_from_output(act, fwd_y.get(), dy.get(), ref.get(), n, axis);
          const double diff = MaxRelDiff(y.get(), ref.get(), n);
          if (!(diff <= 1e-3)) {
            ++mismatches;
            std::fprintf(stderr, "onednn_bench: %s %s differs from actlab: max |diff| / max(|actlab|, 1) = %.3g\n", c.name,
                         direction, diff);
          }
        }
        const double rate = MedianRate(run, n, min_time, min_runs);
        std::printf(
            "{\"name\": \"%s\", \"direction\": \"%s\", \"n\": %zu, \"threads\": %d, \"gelem_s\": %.6g}\n",
            c.name, direction, n, threads, rate * 1e-9);
        std::fflush(stdout);
      }
    }
  }
  if (mismatches) std::fprintf(stderr, "onednn_bench: %d mapping check(s) failed\n", mismatches);
  return 0;
}
