#!/usr/bin/python3
"""actlab's optimizers, schedules and clipping against torch 1.13.

Usage: optim_torch_test.py OPTIM_DRIVER

For every optimizer in several configurations, 50 steps on a fixed random
37-vector (odd, and more than one SIMD vector, so the loop tails run) with
gradients g = A p - b + noise_t (A symmetric positive definite, a seeded
noise sequence that this script writes into the spec; summed in float64 in
the same order on both sides and rounded to the dtype, so the runs differ
only in the optimizer's arithmetic), under a learning-rate
schedule: the trajectory must match torch.optim's to 1e-12 relative in
float64 and 1e-5 in float32, and the learning rates torch's schedulers
(LinearLR / StepLR / CosineAnnealingLR / SequentialLR) to 1e-12.
clip_grad_norm / clip_grad_value are compared with torch.nn.utils'.
Needs Debian's python3-torch (run with /usr/bin/python3).
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import warnings

import torch

warnings.filterwarnings("ignore")  # scheduler.step(0) in SequentialLR warns
DRIVER = sys.argv[1]
N, STEPS = 37, 50
failures = []


def run_driver(spec):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        path = f.name
    try:
        r = subprocess.run([DRIVER, path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if r.returncode != 0:
        raise SystemExit(f"optim_driver failed ({r.returncode}): {r.stderr.strip()}")
    return json.loads(r.stdout)


def problem(seed):
    """A (SPD, eigenvalues in [0.5, 2]), b, p0 and the noise sequence, as lists."""
    gen = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(N, N, generator=gen, dtype=torch.float64))
    eig = 0.5 + 1.5 * torch.rand(N, generator=gen, dtype=torch.float64)
    a = q @ torch.diag(eig) @ q.T
    a = (a + a.T) / 2
    b = torch.randn(N, generator=gen, dtype=torch.float64)
    p0 = torch.randn(N, generator=gen, dtype=torch.float64)
    noise = 0.1 * torch.randn(STEPS, N, generator=gen, dtype=torch.float64)
    return a.tolist(), b.tolist(), p0.tolist(), noise.tolist()


def torch_optimizer(cfg, params):
    kind, lr = cfg["kind"], cfg["lr"]
    wd = cfg.get("weight_decay")
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=cfg.get("momentum", 0), dampening=cfg.get("dampening", 0),
                               nesterov=cfg.get("nesterov", False), weight_decay=wd or 0, foreach=False)
    if kind in ("adam", "adamw"):
        kw = dict(lr=lr, betas=(cfg.get("beta1", 0.9), cfg.get("beta2", 0.999)), foreach=False)
        if "eps" in cfg:
            kw["eps"] = cfg["eps"]
        if wd is not None:  # else torch's default: adam 0, adamw 1e-2
            kw["weight_decay"] = wd
        return (torch.optim.Adam if kind == "adam" else torch.optim.AdamW)(params, **kw)
    if kind == "rmsprop":
        kw = dict(lr=lr, alpha=cfg.get("alpha", 0.99), momentum=cfg.get("momentum", 0),
                  centered=cfg.get("centered", False), weight_decay=wd or 0, foreach=False)
        if "eps" in cfg:
            kw["eps"] = cfg["eps"]
        return torch.optim.RMSprop(params, **kw)
    if kind == "adagrad":
        kw = dict(lr=lr, lr_decay=cfg.get("lr_decay", 0), weight_decay=wd or 0,
                  initial_accumulator_value=cfg.get("initial_accumulator", 0), foreach=False)
        if "eps" in cfg:
            kw["eps"] = cfg["eps"]
        return torch.optim.Adagrad(params, **kw)
    raise ValueError(kind)


class TorchSchedule:
    """torch's schedulers for actlab's schedule: step_batch() after every
    optimizer step (warm-up, cosine), step_epoch() after each epoch (StepLR)."""

    def __init__(self, opt, s, total):
        sched = torch.optim.lr_scheduler
        kind, w = s.get("kind", "constant"), s.get("warmup_steps", 0)
        self.per_batch, self.per_epoch = [], []
        if kind == "cosine":
            cos = sched.CosineAnnealingLR(opt, T_max=total - w, eta_min=s.get("min_lr", 0.0))
            if w:
                warm = sched.LinearLR(opt, start_factor=1 / w, end_factor=1.0, total_iters=w)
                self.per_batch.append(sched.SequentialLR(opt, [warm, cos], milestones=[w]))
            else:
                self.per_batch.append(cos)
            return
        if w:
            self.per_batch.append(sched.LinearLR(opt, start_factor=1 / w, end_factor=1.0, total_iters=w))
        if kind == "step":
            self.per_epoch.append(sched.StepLR(opt, step_size=s["step_size"], gamma=s.get("gamma", 0.1)))

    def after_step(self, t, steps_per_epoch):
        for s in self.per_batch:
            s.step()
        if (t + 1) % steps_per_epoch == 0:
            for s in self.per_epoch:
                s.step()


def gradient(spec, p, t):
    """A p - b + noise[t] in float64, summed in the driver's order (j ascending),
    so both sides start each step from the same gradient bits."""
    out = []
    for row, bi, ni in zip(spec["A"], spec["b"], spec["noise"][t]):
        acc = 0.0
        for aij, pj in zip(row, p):
            acc += aij * pj
        out.append(acc - bi + ni)
    return out


def torch_train(spec):
    dtype = torch.float32 if spec["dtype"] == "float32" else torch.float64
    total, per_epoch = spec["total_steps"], spec.get("steps_per_epoch", 1)
    lrs, norms, traj = [], [], []
    if spec.get("params"):
        p = torch.nn.Parameter(torch.tensor(spec["params"], dtype=dtype))
    else:
        p = torch.nn.Parameter(torch.zeros(1, dtype=dtype))
    opt = torch_optimizer(spec["optimizer"], [p])
    sched = TorchSchedule(opt, spec.get("schedule", {}), total)
    for t in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        if spec.get("params"):
            p.grad = torch.tensor(gradient(spec, p.detach().double().tolist(), t), dtype=dtype)
            if "clip_norm" in spec:
                norms.append(float(torch.nn.utils.clip_grad_norm_([p], spec["clip_norm"])))
            opt.step()
            traj.append(p.detach().double().tolist())
        sched.after_step(t, per_epoch)
    return {"lrs": lrs, "norms": norms, "params": traj}


def max_rel(got, want, floor):
    """Largest |got - want| / max(|want|, floor) over nested lists."""
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return math.inf
        return max((max_rel(g, w, floor) for g, w in zip(got, want)), default=0.0)
    if math.isnan(want) or math.isnan(got):
        return 0.0 if math.isnan(want) and math.isnan(got) else math.inf
    return abs(got - want) / max(abs(want), floor)


def check(name, got, want, tol, floor):
    err = max_rel(got, want, floor)
    status = "ok" if err <= tol else "FAIL"
    print(f"{status:4} {name}: max rel diff {err:.2e} (tol {tol:g}){' bit-exact' if err == 0 else ''}")
    if err > tol:
        failures.append(name)
    return err


OPTIMIZERS = [
    {"kind": "sgd", "lr": 0.05},
    {"kind": "sgd", "lr": 0.05, "momentum": 0.9},
    {"kind": "sgd", "lr": 0.05, "momentum": 0.8, "dampening": 0.5, "weight_decay": 1e-2},
    {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
    {"kind": "adam", "lr": 0.01},
    {"kind": "adam", "lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 1e-2},
    {"kind": "adamw", "lr": 0.01},  # weight decay: the 1e-2 default on both sides
    {"kind": "adamw", "lr": 0.01, "weight_decay": 0.1, "beta1": 0.5},
    {"kind": "adamw", "lr": 0.01, "weight_decay": 0.0},
    {"kind": "rmsprop", "lr": 0.005},
    {"kind": "rmsprop", "lr": 0.005, "momentum": 0.5, "alpha": 0.9},
    {"kind": "rmsprop", "lr": 0.005, "centered": True},
    {"kind": "rmsprop", "lr": 0.002, "centered": True, "momentum": 0.3, "weight_decay": 1e-2, "eps": 1e-6},
    {"kind": "adagrad", "lr": 0.1},
    {"kind": "adagrad", "lr": 0.1, "lr_decay": 0.01, "initial_accumulator": 0.1, "weight_decay": 1e-3},
]
SCHEDULES = [
    {"kind": "constant"},
    {"kind": "constant", "warmup_steps": 7},
    {"kind": "step", "step_size": 2, "gamma": 0.5, "warmup_steps": 4},
    {"kind": "cosine", "min_lr": 1e-4, "warmup_steps": 10},
    {"kind": "cosine"},
]


def test_trajectories():
    a, b, p0, noise = problem(1234)
    for k, cfg in enumerate(OPTIMIZERS):
        sched = SCHEDULES[k % len(SCHEDULES)]
        for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
            spec = {"dtype": dtype, "optimizer": cfg, "schedule": sched, "steps_per_epoch": 10,
                    "total_steps": STEPS, "params": p0, "A": a, "b": b, "noise": noise}
            if k % 4 == 3:
                spec["clip_norm"] = 2.0  # |g| is ~3-6 here: clips on most steps
            want, got = torch_train(spec), run_driver(spec)
            name = f"{dtype} {json.dumps(cfg)} {json.dumps(sched)}" + (" clip 2" if "clip_norm" in spec else "")
            # Relative to max(|p|, 0.1): the parameters are O(1) here, and a
            # component passing near 0 would otherwise turn one ulp of
            # float32 rounding into a large relative difference.
            check(name + " params", got["params"], want["params"], tol, 0.1)
            check(name + " lr", got["lrs"], want["lrs"], 1e-12, 0.0)
            if "clip_norm" in spec:
                check(name + " norms", got["norms"], want["norms"], 1e-12 if dtype == "float64" else 1e-5, 0.0)


def test_schedules():
    total = 1000
    for s in [
        {"kind": "constant", "warmup_steps": 1},
        {"kind": "constant", "warmup_steps": 100},
        {"kind": "step", "step_size": 3, "gamma": 0.3},
        {"kind": "step", "step_size": 1, "gamma": 0.9, "warmup_steps": 150},
        {"kind": "cosine"},
        {"kind": "cosine", "min_lr": 0.002, "warmup_steps": 1},
        {"kind": "cosine", "min_lr": 0.001, "warmup_steps": 250},
    ]:
        spec = {"dtype": "float64", "optimizer": {"kind": "sgd", "lr": 0.1}, "schedule": s,
                "steps_per_epoch": 70, "total_steps": total}
        want, got = torch_train(spec), run_driver(spec)
        # Absolute in units of the base rate: cosine's values near 0 at the
        # end carry torch's recursive-form rounding, not a semantic difference.
        check(f"schedule {json.dumps(s)}", [x / 0.1 for x in got["lrs"]], [x / 0.1 for x in want["lrs"]], 1e-12, 1.0)


def test_clipping():
    gen = torch.Generator().manual_seed(99)
    for n in (1, 15, 1000, 4099):
        g = (3 * torch.randn(n, generator=gen, dtype=torch.float64)).tolist()
        for dtype, tol in (("float64", 1e-14), ("float32", 1e-6)):
            tdtype = torch.float64 if dtype == "float64" else torch.float32
            norm = float(torch.linalg.vector_norm(torch.tensor(g, dtype=torch.float64)))
            for max_norm in (norm * 0.1, norm * 0.999, norm * 2):
                p = torch.nn.Parameter(torch.tensor(g, dtype=tdtype))
                p.grad = torch.tensor(g, dtype=tdtype)
                want_norm = float(torch.nn.utils.clip_grad_norm_([p], max_norm))
                got = run_driver({"dtype": dtype, "mode": "clip_norm", "grads": g, "max_norm": max_norm})
                name = f"clip_grad_norm {dtype} n={n} max_norm={max_norm / norm:.3g}*norm"
                check(name + " norm", [got["norm"]], [want_norm], tol, 0.0)
                check(name + " grads", got["grads"], p.grad.double().tolist(), tol, 1e-30)
            for clip in (0.5, 2.5):
                p = torch.nn.Parameter(torch.tensor(g, dtype=tdtype))
                p.grad = torch.tensor(g, dtype=tdtype)
                torch.nn.utils.clip_grad_value_([p], clip)
                got = run_driver({"dtype": dtype, "mode": "clip_value", "grads": g, "clip": clip})
                check(f"clip_grad_value {dtype} n={n} clip={clip}", got["grads"], p.grad.double().tolist(), 0.0, 1e-30)


test_trajectories()
test_schedules()
test_clipping()
if failures:
    print(f"{len(failures)} FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("all ok")
