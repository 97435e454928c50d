#!/usr/bin/python3
"""Time per epoch: actlab train vs PyTorch on the same data, machine and run.

Trains the classic 784-256-128-10 ReLU MLP (cross-entropy, no validation
split) on Fashion-MNIST and reports the median training time per epoch (the
optimizer loop only; evaluation excluded on both sides) for:
  - batch 128, SGD momentum 0.9 (lr 0.05)
  - batch 32, Adam (lr 1e-3)
PyTorch runs in fresh processes with 1 thread, 2 threads with
OMP_WAIT_POLICY=passive, and 2 threads by default, each with OpenBLAS's own
kernel choice and with OPENBLAS_CORETYPE=SkylakeX (Debian's torch does its
Linear layers through libblas = OpenBLAS 0.3.21, which does not recognise
recent Xeons and falls back to SSE3 kernels; actlab sets the same variable
for itself, so PyTorch gets the same GEMM kernels). "Best PyTorch" is the
fastest of these. Its loop is the fastest plain form (tensors in memory,
randperm indexing, no DataLoader).

Usage: /usr/bin/python3 bench/train_bench.py --actlab build/actlab [--epochs 3] [--threads 2]
          [--json OUT.json] [--markdown]
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
    out = subprocess.run(["/usr/bin/python3", "-c", TORCH_SCRIPT, json.dumps(cfg)], env=env,
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


SGEMM_SCRIPT = r"""
import time, numpy as np
a = np.random.rand(2048, 2048).astype(np.float32)
b = np.random.rand(2048, 2048).astype(np.float32)
a @ b
best = 1e9
for _ in range(7):
    t0 = time.perf_counter()
    a @ b
    best = min(best, time.perf_counter() - t0)
print(2 * 2048 ** 3 / best)
"""


def sgemm_rate(threads):
    """OpenBLAS's large-sgemm rate (numpy -> libblas -> OpenBLAS, SkylakeX kernels): the practical peak."""
    env = dict(os.environ, OPENBLAS_CORETYPE="SkylakeX", OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run(["/usr/bin/python3", "-c", SGEMM_SCRIPT], env=env, capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--actlab", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    if not os.path.isdir(DATA):
        sys.exit(f"train_bench: {DATA} is missing; install dataset-fashion-mnist")
    t = a.threads
    target = subprocess.run([a.actlab, "info"], capture_output=True, text=True).stdout
    target = next((l.split(":", 1)[1].strip() for l in target.splitlines() if l.startswith("SIMD")), "?")
    results = []
    for optimizer, batch in (("sgd", 128), ("adam", 32)):
        rows = [actlab_run(a.actlab, t, optimizer, batch, a.epochs)]
        if t > 1:
            rows.append(actlab_run(a.actlab, 1, optimizer, batch, a.epochs))
        for kernels, env in (("", {}), (", SkylakeX GEMM", {"OPENBLAS_CORETYPE": "SkylakeX"})):
            rows.append(torch_run("1 thread" + kernels, 1, env, optimizer, batch, a.epochs))
            if t > 1:
                rows.append(torch_run(f"{t} threads, OMP_WAIT_POLICY=passive" + kernels, t,
                                      {"OMP_WAIT_POLICY": "passive", **env}, optimizer, batch, a.epochs))
                rows.append(torch_run(f"{t} threads, default" + kernels, t, env, optimizer, batch, a.epochs))
        for r in rows:
            r["median"] = statistics.median(r["epoch_seconds"])
        best_torch = min(r["median"] for r in rows if r["who"] != "actlab")
        results.append({"optimizer": optimizer, "batch": batch, "rows": rows, "best_torch": best_torch})
    peak = sgemm_rate(t)
    lines = [f"actlab SIMD target: {target}; {a.epochs} epochs per setting, median epoch time; "
             f"OpenBLAS 2048^3 sgemm ({t} threads, SkylakeX kernels): {peak / 1e9:.0f} GFLOP/s; "
             f"GEMM FLOP per epoch: {FLOP_PER_EPOCH:.3g}",
             "", "| batch | optimizer | who | setting | s/epoch (median) | vs best PyTorch | GEMM GFLOP/s | of sgemm peak |",
             "|---|---|---|---|---|---|---|---|"]
    for res in results:
        for r in res["rows"]:
            lines.append(f"| {res['batch']} | {res['optimizer']} | {r['who']} | {r['setting']} | "
                         f"{r['median']:.3f} | {res['best_torch'] / r['median']:.2f}x | "
                         f"{FLOP_PER_EPOCH / r['median'] / 1e9:.0f} | {FLOP_PER_EPOCH / r['median'] / peak:.0%} |")
    print("\n".join(lines))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"target": target, "sgemm_flops": peak, "flop_per_epoch": FLOP_PER_EPOCH,
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
