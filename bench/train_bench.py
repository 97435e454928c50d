#!/usr/bin/python3
"""Time per epoch: actlab train vs PyTorch on the same data, machine and run.

Trains the classic 784-256-128-10 ReLU MLP (cross-entropy, no validation
split) on Fashion-MNIST and reports the median training time per epoch (the
optimizer loop only; evaluation excluded on both sides) for:
  - batch 128, SGD momentum 0.9 (lr 0.05)
  - batch 32, Adam (lr 1e-3)
PyTorch is the torch of the interpreter that runs this script: a current
torch 2.x from build/bench-venv (bench/setup-bench.sh) is the reference;
Debian's python3-torch 1.13 (/usr/bin/python3) still runs. It trains in fresh
processes with 1 thread, T threads with OMP_WAIT_POLICY=passive, and T
threads by default; when its GEMM is OpenBLAS (Debian's torch: libblas =
OpenBLAS 0.3.21, which may not recognise the CPU and fall back to SSE3
kernels) each also with OPENBLAS_CORETYPE=SkylakeX, the kernels actlab picks
for itself. "Best PyTorch" is the fastest of these. Its loop is the fastest
plain form (tensors in memory, randperm indexing, no DataLoader).

The GEMM rate of each run is given as a share of the float32 FMA peak that
build/bench/fma_peak measures in the same run (the best SIMD target, T threads).

Usage: build/bench-venv/bin/python bench/train_bench.py --actlab build/actlab [--epochs 3] [--threads 2]
          [--fma-peak build/bench/fma_peak] [--json OUT.json] [--markdown]
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

DATA = "/usr/share/datasets/fashion-mnist"
# GEMM FLOPs of one epoch (60000 rows): forward 2*(784*256 + 256*128 + 128*10),
# weight gradients the same, input gradients of layers 2 and 3 only.
FWD = 2 * (784 * 256 + 256 * 128 + 128 * 10)
FLOP_PER_EPOCH = 60000 * (2 * FWD + 2 * (256 * 128 + 128 * 10))

TORCH_SCRIPT = r"""
import gzip, json, sys, time, numpy as np, torch
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(1)
def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)
x = torch.from_numpy(idx(cfg["data"] + "/train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
y = torch.from_numpy(idx(cfg["data"] + "/train-labels-idx1-ubyte.gz", 8).astype(np.int64))
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                            torch.nn.ReLU(), torch.nn.Linear(128, 10))
if cfg["optimizer"] == "sgd":
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
else:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
b = cfg["batch"]
times = []
for epoch in range(cfg["epochs"]):
    t0 = time.perf_counter()
    perm = torch.randperm(x.shape[0])
    total = 0.0
    for i in range(0, x.shape[0], b):
        idx_b = perm[i:i + b]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx_b]), y[idx_b])
        loss.backward()
        opt.step()
    times.append(time.perf_counter() - t0)
print(json.dumps({"epoch_seconds": times, "torch": torch.__version__}))
"""


def torch_run(label, threads, env_extra, optimizer, batch, epochs):
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    env.pop("OPENBLAS_CORETYPE", None)
    env.update(env_extra)
    env["OMP_NUM_THREADS"] = str(threads)
    cfg = {"threads": threads, "optimizer": optimizer, "batch": batch, "epochs": epochs, "data": DATA}
    out = subprocess.run([sys.executable, "-c", TORCH_SCRIPT, json.dumps(cfg)], env=env,
                         capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"who": "pytorch " + r["torch"], "setting": label, "epoch_seconds": r["epoch_seconds"]}


def actlab_run(actlab, threads, optimizer, batch, epochs):
    with tempfile.TemporaryDirectory() as tmp:
        metrics = os.path.join(tmp, "m.json")
        args = [actlab, "train", "--epochs", str(epochs), "--batch-size", str(batch), "--threads",
                str(threads), "--val-fraction", "0", "--quiet", "--metrics-out", metrics,
                "--optimizer", optimizer]
        args += ["--lr", "0.05", "--momentum", "0.9"] if optimizer == "sgd" else ["--lr", "0.001"]
        subprocess.run(args, check=True, capture_output=True, text=True)
        with open(metrics) as f:
            m = json.load(f)
    return {"who": "actlab", "setting": f"{threads} threads", "epoch_seconds": [e["seconds"] for e in m["epochs"]],
            "test_accuracy": m["final"]["test_accuracy"]}


def torch_info():
    """(version, CPU capability, whether its GEMM may be OpenBLAS) of this interpreter's torch: PyPI's
    wheels use MKL; Debian's says BLAS_INFO=generic, libblas, which is OpenBLAS on these machines."""
    # torch.backends.cpu.get_cpu_capability() is 2.x only; the build summary has it in 1.13 too.
    code = ("import torch; c = torch.__config__.show(); "
            "cap = [l.split(':', 1)[1].strip() for l in c.splitlines() if 'CPU capability usage' in l]; "
            "print(torch.__version__); print((cap or ['?'])[0]); print('BLAS_INFO=mkl' not in c)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"train_bench: PyTorch is not importable by {sys.executable}; run under build/bench-venv/bin/python "
                 "(bench/setup-bench.sh installs torch 2.x there) or /usr/bin/python3 (Debian's python3-torch)")
    version, capability, openblas = out.stdout.split()
    return version, capability, openblas == "True"


def fma_peak(path, threads):
    """(FLOP/s, target) of build/bench/fma_peak for this thread count, or (None, reason)."""
    if not os.access(path, os.X_OK):
        return None, f"no {path} (configure with -DACTLAB_BUILD_BENCH=ON)"
    out = subprocess.run([path, "--threads", str(threads), "--seconds", "0.5"], capture_output=True, text=True,
                         check=True)
    for line in out.stdout.splitlines():
        record = json.loads(line)
        if "peak" in record:
            return record["peak"]["gflop_s"] * 1e9, record["peak"]["target"]
    return None, "fma_peak printed no peak"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--actlab", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--fma-peak", default="build/bench/fma_peak", help="the FMA peak probe (default build/bench/fma_peak)")
    a = ap.parse_args()
    if not os.path.isdir(DATA):
        sys.exit(f"train_bench: {DATA} is missing; install dataset-fashion-mnist")
    t = a.threads
    version, capability, openblas = torch_info()
    info = subprocess.run([a.actlab, "info"], capture_output=True, text=True).stdout
    target = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("SIMD")), "?")
    gemm = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("GEMM")), "?")
    if os.environ.get("OPENBLAS_CORETYPE"):
        # actlab respects a user's choice of OpenBLAS kernels; a stale one (some environments set
        # OPENBLAS_CORETYPE=Haswell) halves its GEMM speed on an AVX-512 CPU.
        print(f"train_bench: note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set, so actlab uses "
              "those OpenBLAS kernels instead of its own choice; unset it to measure the default", file=sys.stderr)
    variants = [("", {})] + ([(", SkylakeX GEMM", {"OPENBLAS_CORETYPE": "SkylakeX"})] if openblas else [])
    results = []
    for optimizer, batch in (("sgd", 128), ("adam", 32)):
        rows = [actlab_run(a.actlab, t, optimizer, batch, a.epochs)]
        if t > 1:
            rows.append(actlab_run(a.actlab, 1, optimizer, batch, a.epochs))
        for kernels, env in variants:
            rows.append(torch_run("1 thread" + kernels, 1, env, optimizer, batch, a.epochs))
            if t > 1:
                rows.append(torch_run(f"{t} threads, OMP_WAIT_POLICY=passive" + kernels, t,
                                      {"OMP_WAIT_POLICY": "passive", **env}, optimizer, batch, a.epochs))
                rows.append(torch_run(f"{t} threads, default" + kernels, t, env, optimizer, batch, a.epochs))
        for r in rows:
            r["median"] = statistics.median(r["epoch_seconds"])
        best_torch = min(r["median"] for r in rows if r["who"] != "actlab")
        results.append({"optimizer": optimizer, "batch": batch, "rows": rows, "best_torch": best_torch})
    peak, peak_target = fma_peak(a.fma_peak, t)
    peak_text = (f"float32 FMA peak ({t} threads, {peak_target}, fma_peak): {peak / 1e9:.0f} GFLOP/s" if peak
                 else f"FMA peak not measured: {peak_target}")
    lines = [f"actlab SIMD target: {target}; actlab GEMM: {gemm}; PyTorch {version} (CPU capability {capability}); "
             f"{a.epochs} epochs per setting, median epoch time; {peak_text}; "
             f"GEMM FLOP per epoch: {FLOP_PER_EPOCH:.3g}",
             "", "| batch | optimizer | who | setting | s/epoch (median) | vs best PyTorch | GEMM GFLOP/s | of FMA peak |",
             "|---|---|---|---|---|---|---|---|"]
    for res in results:
        for r in res["rows"]:
            share = f"{FLOP_PER_EPOCH / r['median'] / peak:.0%}" if peak else "-"
            lines.append(f"| {res['batch']} | {res['optimizer']} | {r['who']} | {r['setting']} | "
                         f"{r['median']:.3f} | {res['best_torch'] / r['median']:.2f}x | "
                         f"{FLOP_PER_EPOCH / r['median'] / 1e9:.0f} | {share} |")
    print("\n".join(lines))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"target": target, "torch": version, "torch_capability": capability,
                       "fma_peak_flops": peak, "fma_peak_target": peak_target if peak else None,
                       "flop_per_epoch": FLOP_PER_EPOCH, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
