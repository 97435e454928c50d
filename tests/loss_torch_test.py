#!/usr/bin/python3
"""actlab's losses and gains against PyTorch (Debian's python3-torch, float64).

Loss values and gradients (autograd through torch.nn's losses, reduction
'mean') for several shapes and every kind of target: labels as one-hot rows,
one column of 0/1 labels, values, probability targets for cross-entropy, Huber
with delta 1, 0.5 and 2, and extreme logits (|z| ~ 1e3, 1e30). Agreement to
1e-12 relative (the gradient elementwise, with a floor of 1e-15 of the batch's
largest entry, where torch's softmax - 1 cancels and actlab's does not). Also
float32 inputs against torch in float64 (actlab accumulates in double), labels
torch rejects, and calculate_gain for every activation: equal to torch's
where actlab says it is torch's, and torch refusing the name where not.
Usage: loss_torch_test.py LOSS_DRIVER
"""
import json
import math
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DRIVER = sys.argv[1]
torch.set_num_threads(1)
GEN = torch.Generator().manual_seed(20240601)
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run_driver(request):
    p = subprocess.run([DRIVER], input=json.dumps(request), capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"{DRIVER}: exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def randn(rows, cols, scale=1.0):
    return torch.randn(rows, cols, generator=GEN, dtype=torch.float64) * scale


def rand_labels(rows, classes):
    return torch.randint(0, classes, (rows,), generator=GEN)


def torch_target(kind, cols, labels, values):
    """The tensor torch's loss takes for actlab's Targets."""
    if labels is None:
        return values
    if kind in ("cross_entropy", "nll"):
        return labels
    if cols == 1:
        return labels.double().unsqueeze(1)
    return F.one_hot(labels, cols).double()


def torch_loss(kind, out, target, delta):
    x = out.clone().requires_grad_()
    if kind == "mse":
        l = nn.MSELoss()(x, target)
    elif kind == "bce":
        l = nn.BCEWithLogitsLoss()(x, target)
    elif kind == "cross_entropy":
        l = nn.CrossEntropyLoss()(x, target)
    elif kind == "nll":
        l = nn.NLLLoss()(x, target)
    elif kind == "huber":
        l = nn.HuberLoss(delta=delta)(x, target)
    else:
        raise ValueError(kind)
    l.backward()
    return l.item(), x.grad.flatten().tolist()


CASES = []  # (description, kind, out, labels, values, delta, dtype)


def add(desc, kind, out, labels=None, values=None, delta=1.0, dtype="float64"):
    CASES.append((desc, kind, out, labels, values, delta, dtype))


SHAPES = [(1, 1), (4, 3), (5, 1), (2, 7), (128, 10)]
for rows, cols in SHAPES:
    for scale in (1.0, 6.0):
        tag = f"{rows}x{cols} scale {scale}"
        binary = 2 if cols == 1 else cols
        # MSE and Huber: regression values, and labels (one-hot / the 0-1 label).
        for kind, deltas in (("mse", [1.0]), ("huber", [1.0, 0.5, 2.0])):
            for delta in deltas:
                add(f"{kind} values {tag} delta {delta}", kind, randn(rows, cols, scale), values=randn(rows, cols, 1.5),
                    delta=delta)
                add(f"{kind} labels {tag} delta {delta}", kind, randn(rows, cols, scale),
                    labels=rand_labels(rows, binary), delta=delta)
        # BCE: soft targets, one-hot labels, one column of 0/1 labels.
        add(f"bce values {tag}", "bce", randn(rows, cols, scale),
            values=torch.rand(rows, cols, generator=GEN, dtype=torch.float64))
        add(f"bce labels {tag}", "bce", randn(rows, cols, scale), labels=rand_labels(rows, binary))
        # Cross-entropy: labels and probability targets; NLL of log-probabilities.
        add(f"cross_entropy labels {tag}", "cross_entropy", randn(rows, cols, scale), labels=rand_labels(rows, cols))
        add(f"cross_entropy probabilities {tag}", "cross_entropy", randn(rows, cols, scale),
            values=torch.softmax(randn(rows, cols, 2.0), dim=1))
        add(f"nll labels {tag}", "nll", torch.log_softmax(randn(rows, cols, scale), dim=1),
            labels=rand_labels(rows, cols))

# Extreme logits: every term is either exactly 0 or |z|-sized, and neither
# side may overflow (exp(1e30)) or take log(0).
EXTREME = torch.tensor([[1e3, -1e3, 0.0, 2.5], [1e30, -1e30, -3.0, 1e3], [-1e30, 1e30, 1e3, -1e3]],
                       dtype=torch.float64)
add("bce extreme one-hot labels", "bce", EXTREME, labels=torch.tensor([0, 1, 2]))
add("bce extreme soft values", "bce", EXTREME,
    values=torch.tensor([[1, 0, 0.5, 0.25], [0.3, 0.999, 1, 0], [0, 1, 0.7, 0.1]], dtype=torch.float64))
add("bce extreme one column", "bce", EXTREME.reshape(12, 1), labels=torch.tensor([1, 0] * 6))
add("cross_entropy extreme labels", "cross_entropy", EXTREME, labels=torch.tensor([0, 3, 1]))
add("cross_entropy extreme right labels", "cross_entropy", EXTREME, labels=torch.tensor([0, 0, 1]))
add("cross_entropy extreme probabilities", "cross_entropy", EXTREME,
    values=torch.tensor([[0.5, 0, 0.5, 0], [0.25, 0.25, 0.25, 0.25], [0, 1, 0, 0]], dtype=torch.float64))
add("mse extreme", "mse", EXTREME, labels=torch.tensor([0, 3, 1]))
add("huber extreme delta 0.5", "huber", EXTREME, labels=torch.tensor([0, 3, 1]), delta=0.5)

# float32: inputs rounded to float, compared with torch in float64 on the same
# numbers (actlab's float path computes in double; the gradient is rounded to
# float at the end).
for kind in ("mse", "bce", "cross_entropy", "nll", "huber"):
    out = randn(64, 10, 3.0).float().double()
    if kind == "nll":
        out = torch.log_softmax(out, dim=1).float().double()
    add(f"{kind} float32 64x10", kind, out, labels=rand_labels(64, 10), delta=0.5, dtype="float32")


def to_request(kind, out, labels, values, delta, dtype):
    r = {"loss": kind, "dtype": dtype, "rows": out.shape[0], "cols": out.shape[1], "out": out.flatten().tolist(),
         "delta": delta}
    if labels is not None:
        r["labels"] = labels.tolist()
    if values is not None:
        r["values"] = values.flatten().tolist()
    return r


def close(a, b, rtol, floor=0.0):
    return a == b or abs(a - b) <= rtol * abs(b) + floor


reply = run_driver({"cases": [to_request(k, o, l, v, d, t) for (_, k, o, l, v, d, t) in CASES]})
worst_loss = worst_grad = 0.0
for (desc, kind, out, labels, values, delta, dtype), got in zip(CASES, reply["cases"]):
    if "error" in got:
        check(False, f"{desc}: actlab error {got['error']}")
        continue
    cols = out.shape[1]
    want_loss, want_grad = torch_loss(kind, out, torch_target(kind, cols, labels, values), delta)
    f32 = dtype == "float32"
    rtol = 1e-12 if not f32 else 1e-14  # float32's loss is a double sum of the same numbers
    check(math.isfinite(got["loss"]), f"{desc}: loss {got['loss']} not finite")
    check(close(got["loss"], want_loss, rtol), f"{desc}: loss {got['loss']!r} torch {want_loss!r}")
    if want_loss != 0:
        worst_loss = max(worst_loss, abs(got["loss"] - want_loss) / abs(want_loss))
    gmax = max(abs(g) for g in want_grad)
    grtol = 1e-12 if not f32 else 2 ** -24
    for k, (a, b) in enumerate(zip(got["grad"], want_grad)):
        check(a is not None and close(a, b, grtol, 1e-15 * gmax), f"{desc}: grad[{k}] {a!r} torch {b!r}")
        if not f32 and a is not None and b != 0:
            worst_grad = max(worst_grad, abs(a - b) / abs(b) if abs(b) > 1e-6 * gmax else 0)

# Labels torch rejects, actlab rejects too, naming row, label and classes.
bad = [("cross_entropy", randn(3, 4), torch.tensor([0, 4, 1]), "label 4 at row 1", "4 classes"),
       ("nll", randn(3, 4), torch.tensor([0, 1, -1]), "label -1 at row 2", "4 classes"),
       ("cross_entropy", randn(2, 1), torch.tensor([0, 1]), "label 1 at row 1", "1 classes")]
reply = run_driver({"cases": [to_request(k, o, l, None, 1.0, "float64") for (k, o, l, _, _) in bad]})
for (kind, out, labels, row_text, class_text), got in zip(bad, reply["cases"]):
    try:
        torch_loss(kind, out, labels, 1.0)
        torch_rejects = False
    except (IndexError, RuntimeError):
        torch_rejects = True
    check(torch_rejects, f"{kind} {labels.tolist()}: torch accepted it")
    msg = got.get("error", "")
    check(row_text in msg and class_text in msg, f"{kind} {labels.tolist()}: actlab said {msg!r}")

# calculate_gain: every activation actlab knows.
TORCH_NAME = {"identity": "linear"}  # torch's name for the identity
gains = run_driver({"gains": "all"})["gains"]
slopes = [0.2, 0.0, 1.0, 0.5, 3.0]
gains += run_driver({"gains": [{"activation": "leaky_relu", "params": {"negative_slope": s}} for s in slopes]})["gains"]
torch_count = 0
for i, g in enumerate(gains):
    name = g["activation"]
    tname = TORCH_NAME.get(name, name)
    param = slopes[i - (len(gains) - len(slopes))] if i >= len(gains) - len(slopes) else None
    if g["torch"]:
        torch_count += 1
        want = nn.init.calculate_gain(tname, param)
        # torch squares the slope with **, actlab with *: equal but for pow's last bit.
        check(close(g["gain"], float(want), 2.3e-16), f"gain {name} {param}: {g['gain']!r} torch {want!r}")
    else:
        try:
            nn.init.calculate_gain(tname)
            check(False, f"gain {name}: actlab says torch has no gain, but torch gives one")
        except ValueError:
            pass
        check(g["gain"] in (1.0, math.sqrt(2.0)), f"gain {name}: fallback {g['gain']!r} is neither 1 nor sqrt(2)")
check(torch_count == 6 + len(slopes), f"{torch_count} torch gains, expected identity, sigmoid, tanh, relu, "
      f"leaky_relu, selu and {len(slopes)} slopes")

print(f"{len(CASES)} loss cases; worst relative difference from torch: loss {worst_loss:.1e}, "
      f"gradient {worst_grad:.1e}; {len(gains)} gains, {torch_count} of them torch's")
if failures:
    for f in failures[:40]:
        print("FAIL", f)
    print(f"{len(failures)} failures")
    sys.exit(1)
print("OK")
