#!/usr/bin/python3
"""actlab vs PyTorch (CPU) vs oneDNN: activation throughput, float32, in one invocation.

For each thread count (default 1 and 2) this runs, one after the other:
  * actlab:  `actlab bench --json --threads T` (forward and backward, N = 2^16 and 2^24, with
             actlab's memcpy figure for the same bytes and threads);
  * oneDNN:  `onednn_bench --threads T` (optional: the eltwise/softmax primitives that compute
             one of actlab's activations);
  * PyTorch: the torch of the interpreter that runs this script, in a child process
             (torch.set_num_threads(T), its default CPU capability: ATEN_CPU_CAPABILITY is removed
             from the environment), timing the ATen kernel behind each torch.nn.functional op.
             The reference is a current torch 2.x (build/bench-venv, from bench/setup-bench.sh:
             AVX512 kernels, MKL, oneDNN 3); Debian's python3-torch 1.13 (/usr/bin/python3, AVX2
             kernels by default) also runs, as an older point of comparison.
and prints, per thread count and size, one row per activation and direction: actlab, PyTorch and
oneDNN Gelem/s (1e9 input elements per second; medians of timed runs), actlab/PyTorch,
actlab/oneDNN, actlab/copy and actlab's elements per cycle per thread (the core clock from
`fma_peak --clock`). A summary lists the cases that miss the targets (in cache at one thread:
transcendental forwards below 2x PyTorch, backwards below 1.5x PyTorch's, anything below oneDNN;
out of cache at the most threads: forwards below half of copy).

How PyTorch is timed: every call writes into preallocated tensors, as actlab's and oneDNN's
benchmarks do, through the `out=` overload of the same ATen kernel the functional op runs
(F.relu -> clamp_min, F.logsigmoid -> log_sigmoid_forward, ...). Without it each 2^24 call would
also pay for a fresh 64 MiB mmap and its page faults (glibc maps every block over 32 MiB), which
cuts PyTorch's out-of-cache figures by 2-3x. Backward runs the ATen backward op autograd calls
(sigmoid_backward from the saved output, gelu_backward from x, ...) with a precomputed gradient;
where that op reads the saved output (sigmoid, tanh, softmax, log_softmax, softmin) its row is
`bwdy` and faces actlab's backward_from_output (and oneDNN's *_use_dst_for_bwd backward), while
actlab's exact backward from x (`bwd`) is shown beside it.
Marks: `a` the op has no true out= form and allocates its result each call (mish backward, prelu,
hardswish backward: their out= overloads are generated wrappers that allocate, then copy);
`c` a composite op timed as its kernels into preallocated buffers (softsign, tanhshrink, softmin
forward); `g` autograd through the composite's graph (their backward; allocates); `w` prelu
backward also reduces the weight gradient. step has no backward in PyTorch.

Run under the bench venv's interpreter (torch 2.x; bench/setup-bench.sh makes it):
  build/bench-venv/bin/python bench/compare.py --actlab build/actlab --onednn build/bench/onednn_bench \
      [--threads 1,2] [--min-time 0.1] [--wait-idle 120] [--json OUT]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SIZES = (1 << 16, 1 << 24)
AXIS = 1024  # softmax / log_softmax / softmin rows of 1024; glu rows of 2 x 1024


# ---- PyTorch worker (child process) ---------------------------------------------------------------

def median_rate(fn, n, min_time, min_runs):
    """Median elements/s of fn(); runs of fast calls are batches lasting >= 200 us."""
    fn()  # warm-up
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    batch = 1 if one >= 2e-4 else min(1000, int(2e-4 / max(one, 1e-8)) + 1)
    rates, spent = [], 0.0
    while spent < min_time or len(rates) < min_runs:
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        t = time.perf_counter() - t0
        spent += t
        rates.append(n * batch / max(t, 1e-9))
    return statistics.median(rates)


def torch_cases(torch, x, g, n):
    """name -> ((forward callable, mark), (backward callable, mark) or None)."""
    F = torch.nn.functional
    aten = torch.ops.aten
    y, dx, t = torch.empty_like(x), torch.empty_like(x), torch.empty_like(x)
    xr, gr, yr, dxr, tr = (v.view(-1, AXIS) for v in (x, g, y, dx, t))
    xg, dxg = x.view(-1, 2 * AXIS), dx.view(-1, 2 * AXIS)
    gg, yg = g[: n // 2].view(-1, AXIS), y[: n // 2].view(-1, AXIS)
    f32 = torch.float32
    c = {}

    def autograd(fn, xin, gin):
        with torch.enable_grad():
            xa = xin.detach().clone().requires_grad_(True)
            ya = fn(xa)
        return lambda: torch.autograd.grad(ya, xa, gin, retain_graph=True)

    c["identity"] = ((lambda: y.copy_(x), ""), (lambda: dx.copy_(g), ""))  # clone; grad copy
    zero = torch.zeros((), dtype=f32)
    c["step"] = ((lambda: aten.heaviside.out(x, zero, out=y), ""), None)
    y_sig, y_tanh, y_relu = torch.sigmoid(x), torch.tanh(x), F.relu(x)
    c["sigmoid"] = ((lambda: torch.sigmoid(x, out=y), ""),
                    (lambda: aten.sigmoid_backward.grad_input(g, y_sig, grad_input=dx), ""))
    c["tanh"] = ((lambda: torch.tanh(x, out=y), ""),
                 (lambda: aten.tanh_backward.grad_input(g, y_tanh, grad_input=dx), ""))
    c["relu"] = ((lambda: torch.clamp_min(x, 0, out=y), ""),  # aten::relu is clamp_min(x, 0)
                 (lambda: aten.threshold_backward.grad_input(g, y_relu, 0, grad_input=dx), ""))
    c["relu6"] = ((lambda: aten.hardtanh.out(x, 0.0, 6.0, out=y), ""),
                  (lambda: aten.hardtanh_backward.grad_input(g, x, 0.0, 6.0, grad_input=dx), ""))
    c["leaky_relu"] = ((lambda: aten.leaky_relu.out(x, 0.01, out=y), ""),
                       (lambda: aten.leaky_relu_backward.grad_input(g, x, 0.01, False, grad_input=dx), ""))
    w, dw = torch.tensor([0.25], dtype=f32), torch.empty(1, dtype=f32)
    if hasattr(aten, "prelu_backward"):  # torch 1.x: prelu.out and prelu_backward.out are generated
        c["prelu"] = ((lambda: aten.prelu.out(x, w, out=y), "a"),  # wrappers that allocate, then copy
                      (lambda: aten.prelu_backward.out(g, x, w, out0=dx, out1=dw), "aw"))
    else:  # torch 2.x: F.prelu runs _prelu_kernel, which has no out= form
        c["prelu"] = ((lambda: aten._prelu_kernel(x, w), "a"),
                      (lambda: aten._prelu_kernel_backward(g, x, w), "aw"))
    lo, hi, noise = 1.0 / 8, 1.0 / 3, torch.empty_like(x)  # eval mode: noise unused
    c["rrelu"] = ((lambda: aten.rrelu_with_noise.out(x, noise, lo, hi, False, None, out=y), ""),
                  # eval mode: rrelu_with_noise_backward is leaky_relu_backward with the mean slope
                  # (its .out overload is a generated wrapper that allocates, then copies)
                  (lambda: aten.leaky_relu_backward.grad_input(g, x, (lo + hi) / 2, False, grad_input=dx), ""))
    c["threshold"] = ((lambda: aten.threshold.out(x, 0.0, 0.0, out=y), ""),
                      (lambda: aten.threshold_backward.grad_input(g, x, 0.0, grad_input=dx), ""))

    def elu_like(alpha, scale, input_scale):
        return ((lambda: aten.elu.out(x, alpha, scale, input_scale, out=y), ""),
                (lambda: aten.elu_backward.grad_input(g, alpha, scale, input_scale, False, x,
                                                      grad_input=dx), ""))
    c["elu"] = elu_like(1.0, 1.0, 1.0)
    c["selu"] = elu_like(1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1.0)
    c["celu"] = elu_like(1.0, 1.0, 1.0)  # celu(x, alpha) = elu(x, alpha, 1, 1/alpha)
    for name, approx in (("gelu", "none"), ("gelu_tanh", "tanh")):
        c[name] = ((lambda a=approx: aten.gelu.out(x, approximate=a, out=y), ""),
                   (lambda a=approx: aten.gelu_backward.grad_input(g, x, approximate=a, grad_input=dx), ""))
    c["silu"] = ((lambda: aten.silu.out(x, out=y), ""),
                 (lambda: aten.silu_backward.grad_input(g, x, grad_input=dx), ""))
    c["mish"] = ((lambda: aten.mish.out(x, out=y), ""), (lambda: aten.mish_backward(g, x), "a"))
    c["softplus"] = ((lambda: aten.softplus.out(x, 1.0, 20.0, out=y), ""),
                     (lambda: aten.softplus_backward.grad_input(g, x, 1.0, 20.0, grad_input=dx), ""))

    def softsign_fwd():
        torch.abs(x, out=t)
        t.add_(1.0)
        torch.div(x, t, out=y)
    c["softsign"] = ((softsign_fwd, "c"), (autograd(F.softsign, x, g), "g"))
    c["hardsigmoid"] = ((lambda: aten.hardsigmoid.out(x, out=y), ""),
                        (lambda: aten.hardsigmoid_backward.grad_input(g, x, grad_input=dx), ""))
    c["hardswish"] = ((lambda: aten.hardswish.out(x, out=y), ""),
                      (lambda: aten.hardswish_backward.out(g, x, out=dx), "a"))  # generated wrapper
    c["hardtanh"] = ((lambda: aten.hardtanh.out(x, -1.0, 1.0, out=y), ""),
                     (lambda: aten.hardtanh_backward.grad_input(g, x, -1.0, 1.0, grad_input=dx), ""))
    buffer = aten.log_sigmoid_forward(x)[1]
    c["logsigmoid"] = ((lambda: aten.log_sigmoid_forward.output(x, output=y, buffer=t), ""),
                       (lambda: aten.log_sigmoid_backward.grad_input(g, x, buffer, grad_input=dx), ""))

    def tanhshrink_fwd():
        torch.tanh(x, out=t)
        torch.sub(x, t, out=y)
    c["tanhshrink"] = ((tanhshrink_fwd, "c"), (autograd(F.tanhshrink, x, g), "g"))
    c["softshrink"] = ((lambda: aten.softshrink.out(x, 0.5, out=y), ""),
                       (lambda: aten.softshrink_backward.grad_input(g, x, 0.5, grad_input=dx), ""))
    c["hardshrink"] = ((lambda: aten.hardshrink.out(x, 0.5, out=y), ""),
                       (lambda: aten.hardshrink_backward.grad_input(g, x, 0.5, grad_input=dx), ""))
    c["glu"] = ((lambda: aten.glu.out(xg, -1, out=yg), ""),
                (lambda: aten.glu_backward.grad_input(gg, xg, -1, grad_input=dxg), ""))
    y_sm, y_lsm = torch.softmax(xr, -1), torch.log_softmax(xr, -1)
    c["softmax"] = ((lambda: aten._softmax.out(xr, -1, False, out=yr), ""),
                    (lambda: aten._softmax_backward_data.out(gr, y_sm, -1, f32, grad_input=dxr), ""))
    c["log_softmax"] = ((lambda: aten._log_softmax.out(xr, -1, False, out=yr), ""),
                        (lambda: aten._log_softmax_backward_data.out(gr, y_lsm, -1, f32, out=dxr), ""))

    def softmin_fwd():
        torch.neg(xr, out=tr)
        aten._softmax.out(tr, -1, False, out=yr)
    c["softmin"] = ((softmin_fwd, "c"), (autograd(lambda v: F.softmin(v, dim=-1), xr, gr), "g"))
    return c


def torch_worker(threads, min_time, names):
    import torch
    torch.set_num_threads(threads)
    capability = "?"
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            capability = line.split(":", 1)[1].strip()
    out = {"version": torch.__version__, "capability": capability,
           "threads": torch.get_num_threads(), "results": []}
    gen = torch.Generator().manual_seed(20241123)
    for n in SIZES:
        x = torch.randn(n, generator=gen, dtype=torch.float32) * 3.0
        g = torch.randn(n, generator=gen, dtype=torch.float32)
        min_runs = 3 if n >= 1 << 24 else 5
        with torch.no_grad():
            cases = torch_cases(torch, x, g, n)
        for name, (fwd, bwd) in cases.items():
            if names and name not in names:
                continue
            for direction, case in (("forward", fwd), ("backward", bwd)):
                if case is None:
                    continue
                if direction == "backward" and name in TORCH_FROM_OUTPUT:
                    direction = "backward_from_output"
                fn, mark = case
                if mark == "g":
                    rate = median_rate(fn, n, min_time, min_runs)
                else:
                    with torch.no_grad():
                        rate = median_rate(fn, n, min_time, min_runs)
                out["results"].append({"name": name, "direction": direction, "n": n,
                                       "threads": threads, "gelem_s": rate * 1e-9, "mark": mark})
        del cases
    json.dump(out, sys.stdout)


# ---- driver -----------------------------------------------------------------------------------------

def runnable():
    """Runnable tasks on the machine now (this process included), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("procs_running"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 1


def wait_idle(limit):
    """Waits up to `limit` seconds for 2 s in which nothing else runs; returns whether it came."""
    if limit <= 0:
        return True
    deadline, quiet = time.monotonic() + limit, 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if runnable() <= 1 else 0
        if quiet >= 8:
            return True
        time.sleep(0.25)
    print(f"compare.py: the machine stayed busy for {limit:.0f} s; measuring anyway", file=sys.stderr)
    return False


def run(cmd, env=None):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"compare.py: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout, proc.stderr


DIR = {"forward": "fwd", "backward": "bwd", "backward_from_output": "bwdy"}
# PyTorch's backward kernels for these read the saved output y (sigmoid_backward, tanh_backward,
# _softmax_backward_data, ...): compared with actlab's backward_from_output, like with like.
TORCH_FROM_OUTPUT = {"sigmoid", "tanh", "softmax", "log_softmax", "softmin"}
TRANSCENDENTAL = {"gelu", "gelu_tanh", "silu", "sigmoid", "tanh", "mish", "softplus", "elu", "selu", "celu",
                  "logsigmoid", "softsign", "tanhshrink", "softmax", "log_softmax", "softmin"}
STALLED = 0.02  # Gelem/s: an in-cache call of 2^16 elements taking >= 3 ms was descheduled


def size_text(n):
    return f"2^{n.bit_length() - 1}"


def fmt(v, spec, suffix=""):
    return "-" if v is None else format(v, spec) + suffix


def main():
    head, _, rest = __doc__.partition("\n\n")
    ap = argparse.ArgumentParser(description=head, epilog=rest,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--actlab", default="build/actlab", help="actlab CLI (default build/actlab)")
    ap.add_argument("--onednn", default=None, help="onednn_bench binary (optional)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--min-time", type=float, default=0.1,
                    help="PyTorch/oneDNN measuring seconds per case (default 0.1)")
    ap.add_argument("--only", default="", help="comma-separated activations (default: all)")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    ap.add_argument("--json", metavar="OUT", help="save every figure to this JSON file")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="SEC",
                    help="before each measurement, wait up to SEC seconds for a moment when no other "
                         "process runs (a shared machine; default 0: do not wait)")
    ap.add_argument("--fma-peak", default="build/bench/fma_peak", metavar="PATH",
                    help="its --clock probe gives the core clock for elements per cycle (default build/bench/fma_peak)")
    ap.add_argument("--torch-worker", type=int, metavar="T", help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = [s for s in args.only.split(",") if s]

    if args.torch_worker is not None:
        torch_worker(args.torch_worker, args.min_time, names)
        return

    if not args.no_torch:
        probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
        if probe.returncode != 0:
            sys.exit("compare.py: PyTorch is not importable by " + sys.executable +
                     "; run under build/bench-venv/bin/python (bench/setup-bench.sh installs torch 2.x there), "
                     "/usr/bin/python3 (Debian's python3-torch 1.13), or pass --no-torch")
    if not os.access(args.actlab, os.X_OK):
        sys.exit(f"compare.py: no actlab CLI at {args.actlab} (--actlab PATH)")
    if args.onednn and not os.access(args.onednn, os.X_OK):
        sys.exit(f"compare.py: no onednn_bench at {args.onednn} (--onednn PATH)")

    thread_counts = [int(t) for t in args.threads.split(",") if t]
    machine = machine_info()
    machine["clock_ghz"] = clock_ghz(args.fma_peak)
    machine["load_before"] = os.getloadavg()
    if machine["load_before"][0] > 0.5:
        print(f"compare.py: warning: the machine is busy (load average {machine['load_before'][0]:.2f}); "
              "other processes skew the figures, 2-thread ones most", file=sys.stderr)
    torch_env = dict(os.environ)
    torch_env.pop("ATEN_CPU_CAPABILITY", None)  # PyTorch's default kernels
    saved = {"actlab": {}, "onednn": {}, "torch": {}}
    for t in thread_counts:
        cmd = [args.actlab, "bench", "--json", "--threads", str(t)]
        for name in names:
            cmd += ["--only", name]
        idle = wait_idle(args.wait_idle)
        print(f"running {' '.join(cmd)}", file=sys.stderr, flush=True)
        saved["actlab"][t] = json.loads(run(cmd)[0])
        saved["actlab"][t]["waited_idle"] = idle
        if args.onednn:
            cmd = [args.onednn, "--threads", str(t), "--min-time", str(args.min_time)]
            if names:
                cmd += ["--only", ",".join(names)]
            idle = wait_idle(args.wait_idle)
            print(f"running {' '.join(cmd)}", file=sys.stderr, flush=True)
            stdout, stderr = run(cmd)
            saved["onednn"][t] = {"info": stderr.strip(),
                                  "results": [json.loads(l) for l in stdout.splitlines() if l.startswith("{")],
                                  "waited_idle": idle}
        if not args.no_torch:
            cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", str(t),
                   "--min-time", str(args.min_time), "--only", ",".join(names)]
            idle = wait_idle(args.wait_idle)
            print(f"running PyTorch ({t} thread{'s' if t > 1 else ''})", file=sys.stderr, flush=True)
            saved["torch"][t] = json.loads(run(cmd, env=torch_env)[0])
            saved["torch"][t]["waited_idle"] = idle

    machine["load_after"] = os.getloadavg()
    report = print_tables(saved, thread_counts, machine)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "runs": saved, "rows": report}, f, indent=1)
        print(f"\nsaved to {args.json}")


def clock_ghz(probe):
    """The core clock now (fma_peak --clock: dependent integer adds), or None without the probe."""
    if not os.access(probe, os.X_OK):
        print(f"compare.py: no {probe}: elements per cycle not shown (configure with -DACTLAB_BUILD_BENCH=ON)",
              file=sys.stderr)
        return None
    value = json.loads(run([probe, "--clock"])[0])["clock_ghz"]
    return value or None


def machine_info():
    """CPU model, cores and cache sizes (from /proc and /sys; best effort)."""
    info = {"cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    for level, index_dir in (("l2", "index2"), ("l3", "index3")):
        try:
            with open(f"/sys/devices/system/cpu/cpu0/cache/{index_dir}/size") as f:
                info[level] = f.read().strip()
        except OSError:
            pass
    return info


def kib(text):
    """'2048K' -> 2048; '48M' -> 49152; None when unreadable."""
    try:
        return int(text[:-1]) * {"K": 1, "M": 1024}[text[-1]] if text[-1] in "KM" else int(text) // 1024
    except (TypeError, ValueError, IndexError, KeyError):
        return None


def index(results):
    return {(r["name"], r["direction"], r["n"]): r for r in results}


def print_tables(saved, thread_counts, machine):
    first = saved["actlab"][thread_counts[0]]
    print(f"machine: {machine.get('model', '?')}, {machine['cores']} cores, L2 {machine.get('l2', '?')}/core, "
          f"L3 {machine.get('l3', '?')}; load average (1 min) {machine['load_before'][0]:.2f} before, "
          f"{machine['load_after'][0]:.2f} after")
    l3 = kib(machine.get("l3"))
    if l3 and (1 << 24) * 4 * 2 // 1024 <= l3:
        print(f"note: at n = 2^24 an array is 64 MiB; this L3 ({machine['l3']}) can hold input and output, so "
              "'out of cache' means out of L2, with part of the traffic served by L3")
    print(f"actlab SIMD target: {first['target']} (float32; Gelem/s = 1e9 input elements/s, medians)")
    clock = machine.get("clock_ghz")
    if clock:
        print(f"core clock {clock:.2f} GHz (fma_peak --clock); el/cyc = actlab elements per cycle per thread")
    for t in thread_counts:
        if t in saved["torch"]:
            tr = saved["torch"][t]
            print(f"PyTorch {tr['version']} ({t} thread{'s' if t > 1 else ''}): default CPU kernels, "
                  f"capability {tr['capability']} (ATEN_CPU_CAPABILITY unset)")
        if t in saved["onednn"]:
            print(f"oneDNN ({t} thread{'s' if t > 1 else ''}): {saved['onednn'][t]['info']}")
    print("PyTorch marks: a = allocates its result, c = composite of out= kernels, "
          "g = autograd through a composite, w = also computes dweight")
    rows = []
    for t in thread_counts:
        act = saved["actlab"][t]
        copy = {c["n"]: c["gelem_s"] for c in act["copy"]}
        a_idx = index(act["results"])
        t_idx = index(saved["torch"][t]["results"]) if t in saved["torch"] else {}
        o_idx = index(saved["onednn"][t]["results"]) if t in saved["onednn"] else {}
        order = []
        for r in act["results"]:
            if r["name"] not in order:
                order.append(r["name"])
        for n in SIZES:
            where = "in cache" if n < 1 << 20 else "out of cache"
            print(f"\n== {act['threads']} thread{'s' if act['threads'] > 1 else ''}, n = {size_text(n)} "
                  f"({where}); actlab copy (memcpy): {copy[n]:.2f} Gelem/s ==")
            print(f"{'function':<12} {'dir':<4} {'actlab':>7} {'PyTorch':>8} {'oneDNN':>7}"
                  f" {'act/PT':>7} {'act/DNNL':>8} {'act/copy':>8} {'el/cyc':>6}")
            for name in order:
                for direction in ("forward", "backward", "backward_from_output"):
                    a = a_idx.get((name, direction, n))
                    if a is None:
                        continue
                    tp = t_idx.get((name, direction, n))
                    od = o_idx.get((name, direction, n))
                    pt_v = tp["gelem_s"] if tp else None
                    od_v = od["gelem_s"] if od else None
                    row = {"name": name, "direction": direction, "n": n, "threads": t,
                           "actlab": a["gelem_s"], "torch": pt_v, "torch_mark": tp["mark"] if tp else None,
                           "onednn": od_v, "vs_torch": a["gelem_s"] / pt_v if pt_v else None,
                           "vs_onednn": a["gelem_s"] / od_v if od_v else None, "vs_copy": a["vs_copy"],
                           "per_cycle": a["gelem_s"] / (clock * t) if clock else None}
                    rows.append(row)
                    mark = (tp["mark"] or " ") if tp else " "
                    print(f"{name:<12} {DIR[direction]:<4} {a['gelem_s']:7.3f} {fmt(pt_v, '.3f'):>7}{mark}"
                          f" {fmt(od_v, '.3f'):>7} {fmt(row['vs_torch'], '.2f', 'x'):>7}"
                          f" {fmt(row['vs_onednn'], '.2f', 'x'):>8} {a['vs_copy']:8.2f}"
                          f" {fmt(row['per_cycle'], '.2f'):>6}")

    # Another process on one of the cores stalls every multi-thread barrier for a scheduler tick
    # (~4-8 ms): an in-cache call of 2^16 elements then "runs" at < 0.02 Gelem/s.
    for t in thread_counts:
        stalled = [f"{r['name']} {DIR[r['direction']]} ({engine})" for r in rows
                   if r["threads"] == t and r["n"] == SIZES[0]
                   for engine in ("actlab", "torch", "onednn") if r[engine] is not None and r[engine] < STALLED]
        copy = saved["actlab"][t]["copy"][0]["gelem_s"]
        if copy < STALLED:
            stalled.append("copy")
        if t > 1 and stalled:
            print(f"\nwarning: {len(stalled)} in-cache {t}-thread figure(s) show scheduler stalls (another process "
                  f"held a core): {', '.join(stalled[:8])}{' ...' if len(stalled) > 8 else ''}; "
                  f"the {t}-thread tables are not meaningful, rerun on an idle machine")

    # The targets (issue 11): in cache at one thread, every transcendental forward >= 2x PyTorch, every
    # backward >= 1.5x PyTorch's, every forward and backward >= oneDNN; out of cache at the most threads,
    # every forward >= 0.5 of copy.
    print("\n== summary (targets) ==")
    small, large = SIZES
    one = [r for r in rows if r["threads"] == 1 and r["n"] == small]

    def misses(cases, key, limit):
        return ", ".join(f"{r['name']} {DIR[r['direction']]} ({r[key]:.2f}{'x' if key != 'vs_copy' else ''})"
                         for r in cases if r[key] is not None and r[key] < limit) or "none"
    print("in cache, 1 thread, transcendental forwards below 2x PyTorch: "
          + misses([r for r in one if r["direction"] == "forward" and r["name"] in TRANSCENDENTAL], "vs_torch", 2))
    print("in cache, 1 thread, backwards below 1.5x PyTorch's (from y where PyTorch's reads y): "
          + misses([r for r in one if r["direction"] != "forward"], "vs_torch", 1.5))
    if saved["onednn"]:
        print("in cache, 1 thread, below oneDNN: " + misses(one, "vs_onednn", 1))
    most = max(thread_counts)
    print(f"out of cache, {most} thread{'s' if most > 1 else ''}, forwards below 0.5 of copy: "
          + misses([r for r in rows if r["threads"] == most and r["n"] == large and r["direction"] == "forward"],
                   "vs_copy", 0.5))
    return rows


if __name__ == "__main__":
    main()
