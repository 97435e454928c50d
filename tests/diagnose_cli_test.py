#!/usr/bin/python3
"""actlab diagnose / train --diagnose on real Fashion-MNIST runs: a deep
sigmoid network with naive init has vanishing gradients and the same
network with ReLU + He init does not; SGD at lr 1 kills ReLUs and lr 0.05
does not; raw pixels saturate sigmoids and scaled ones do not; the spirals demo underfits at its old flags
and not at its documented ones; a run's metrics file carries the report that `diagnose --run`
reads back; bad input gets one-line errors with exit code 2.

Usage: diagnose_cli_test.py ACTLAB CASE   (CASE: vanishing healthy dead saturation underfitting run_file errors)
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

ACTLAB, CASE = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="actlab-diag-test-")
DEEP = ["--layers", "784-64-64-64-64-64-64-64-64-64-10", "--val-fraction", "0"]


def run(*args, code=0):
    p = subprocess.run([ACTLAB, *args], capture_output=True, text=True, timeout=280)
    assert p.returncode == code, f"actlab {' '.join(args)}: exit {p.returncode}, expected {code}\n{p.stderr}"
    return p


def diagnose(*args):
    out = json.loads(run("diagnose", "--json", *args).stdout)
    assert set(out) == {"findings", "layers", "stopped", "final"}, out.keys()
    # The findings come with the figures of the run they are about.
    assert out["final"]["epoch"] >= 1 and out["final"]["train_loss"] > 0, out["final"]
    assert out["final"]["test_accuracy"] is None or 0 <= out["final"]["test_accuracy"] <= 1, out["final"]
    for f in out["findings"]:
        assert set(f) == {"kind", "layers", "figures", "message", "advice"}, f
        assert f["kind"] in {"vanishing_gradients", "exploding_gradients", "dead_units", "saturation",
                             "learning_rate", "underfitting"}, f["kind"]
    return out


def kinds(out):
    return [f["kind"] for f in out["findings"]]


def finding(out, kind):
    return next(f for f in out["findings"] if f["kind"] == kind)


def one_line_error(p, *needles):
    err = p.stderr.strip()
    assert p.returncode == 2, (p.returncode, err)
    assert "\n" not in err and err.startswith("actlab: "), err
    for n in needles:
        assert n in err, (n, err)


if CASE == "vanishing":
    out = diagnose(*DEEP, "--act", "sigmoid", "--init", "naive")
    assert "vanishing_gradients" in kinds(out), out["findings"]
    v = finding(out, "vanishing_gradients")
    assert v["figures"]["first_to_last_grad_ratio"] < 1e-3, v
    assert v["layers"] == list(range(0, 19, 2)), v["layers"]
    assert "--init" in v["advice"] and "--act" in v["advice"], v["advice"]
    # Its network learns nothing: the loss is a constant guess's ln 10 (cross-entropy, ten balanced
    # classes), listed after the cause.
    assert kinds(out)[-1] == "underfitting", kinds(out)
    u = finding(out, "underfitting")
    assert abs(u["figures"]["baseline_loss"] - math.log(10)) < 0.01 and u["figures"]["loss_ratio"] > 0.99, u
    assert abs(u["figures"]["chance_accuracy"] - 0.1) < 0.01 and u["figures"]["train_accuracy"] < 0.15, u
    assert len(out["layers"]) == 19
    sig = out["layers"][1]
    assert sig["activation"] == "sigmoid" and len(sig["histogram"]["counts"]) == 32
    # The last record (step 460 of 469): 128 rows of 64 units.
    assert sum(sig["histogram"]["counts"]) == 128 * 64, sum(sig["histogram"]["counts"])
    assert sig["histogram"]["lo"] <= sig["pre"]["min"] and sig["pre"]["max"] <= sig["histogram"]["hi"]
    # docs/diagnostics.md's example states what its command does (422 steps: 54,000 rows after the
    # default 10% validation split, in batches of 128).
    doc = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "diagnostics.md")).read()
    cmd, said = re.search(r"^\$ actlab (diagnose [^\n]*)\n(diagnosed \d+ steps[^:]*):", doc, re.M).groups()
    header = run(*cmd.split()).stdout.splitlines()[0]
    assert header.startswith(said + ":"), (header, said)
    # The text form says the same.
    text = run("diagnose", *DEEP, "--act", "sigmoid", "--init", "naive", "--every", "100").stdout
    assert "vanishing_gradients:" in text and "advice:" in text, text
elif CASE == "healthy":
    out = diagnose(*DEEP, "--act", "relu", "--init", "he")
    assert "vanishing_gradients" not in kinds(out), out["findings"]
    assert "exploding_gradients" not in kinds(out), out["findings"]
    dense = [l for l in out["layers"] if l["kind"] == "dense"]
    ratios = [l["update_ratio"] for l in dense]
    assert all(1e-5 < r < 1e-1 for r in ratios), ratios  # Adam at 1e-3: near Karpathy's 1e-3
elif CASE == "dead":
    args = ["--layers", "784-64-32-10", "--act", "relu", "--val-fraction", "0", "--optimizer", "sgd"]
    out = diagnose(*args, "--lr", "1")
    assert "dead_units" in kinds(out), out["findings"]
    d = finding(out, "dead_units")
    assert d["layers"] == [1, 3], d
    assert d["figures"]["worst_dead_fraction"] > 0.9, d
    for l in out["layers"]:
        if l.get("activation") == "relu":
            assert l["dead"]["dead"] > 0.2 * l["dead"]["units"], l
    # The control: the default SGD rate leaves the units alive.
    ok = diagnose(*args, "--lr", "0.05")
    assert "dead_units" not in kinds(ok), ok["findings"]
    # Adam at 30x its rate: relu's units die (a finding); leaky_relu's are
    # pushed below zero as often ("off") but keep a gradient: no dead units.
    adam = ["--layers", "784-64-64-10", "--val-fraction", "0", "--optimizer", "adam", "--lr", "0.03"]
    relu = diagnose(*adam, "--act", "relu")
    assert "dead_units" in kinds(relu), relu["findings"]
    leaky = diagnose(*adam, "--act", "leaky_relu")
    assert "dead_units" not in kinds(leaky), leaky["findings"]
    first = lambda out: next(l for l in out["layers"] if l["index"] == 1)["dead"]
    assert first(relu)["dead"] == first(relu)["off"] > 0.5 * 64, first(relu)
    assert first(leaky)["dead"] is None and 0 < first(leaky)["off"] < first(relu)["off"], first(leaky)
elif CASE == "saturation":
    # Raw pixels (0..255) into sigmoid: the first layer's inputs are hundreds wide.
    args = ["--layers", "784-64-64-10", "--act", "sigmoid", "--val-fraction", "0", "--every", "20"]
    out = diagnose(*args, "--scale", "none")
    assert "saturation" in kinds(out), out["findings"]
    s = finding(out, "saturation")
    assert s["layers"] == [1] and s["figures"]["layer_1_saturated_fraction"] > 0.9, s
    ok = diagnose(*args)  # scaled to [0, 1]
    assert "saturation" not in kinds(ok), ok["findings"]
    assert ok["layers"][1]["saturated"] < s["figures"]["layer_1_saturated_fraction"] / 5, ok["layers"][1]
elif CASE == "underfitting":
    # The spirals demo at its old documented flags (the defaults: 15 epochs of 8 steps of 128 rows)
    # ends at 64%: underfitting, measured against BCE's constant guess (ln 2 for balanced classes).
    out = diagnose("--data", "spirals", "--act", "tanh", "--epochs", "15")
    assert kinds(out) == ["underfitting"], out["findings"]
    u = finding(out, "underfitting")["figures"]
    assert abs(u["baseline_loss"] - math.log(2)) < 1e-3 and 0.85 < u["loss_ratio"] < 1, u
    assert abs(u["chance_accuracy"] - 0.5) < 0.02 and u["train_accuracy"] == out["final"]["train_accuracy"], u
    assert u["train_loss"] == out["final"]["train_loss"], (u, out["final"])
    # The demo as docs/report.md now gives it reaches a good result with no finding at all.
    doc = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "report.md")).read()
    demo = re.search(r"^build/actlab (train --data spirals [^\n]*) --run-dir \S+$", doc, re.M).group(1).split()
    rd = os.path.join(TMP, "demo")
    printed = json.loads(run(*demo, "--run-dir", rd, "--json").stdout)
    assert printed["final"]["test_accuracy"] >= 0.85, printed["final"]
    assert printed["diagnostics"]["findings"] == [], printed["diagnostics"]["findings"]
    text = run("diagnose", "--run", rd).stdout
    assert "no problems found" in text, text
    # train's summary says how few steps such an epoch is; the demo's 29 per epoch are not few.
    old = run("train", "--data", "spirals", "--act", "tanh", "--epochs", "15").stdout
    assert ("note: 8 steps per epoch (900 rows, batch 128), 120 in all; if the loss still falls at the end, "
            "a smaller --batch-size or more --epochs trains more") in old, old
    assert "note:" not in run(*[a for a in demo if a != "--diagnose"]).stdout
    # A regression run has no class shares to guess: no baseline, no finding.
    csv = os.path.join(TMP, "r.csv")
    open(csv, "w").write("a,y\n" + "".join(f"{i % 7},{(i * 37) % 11}\n" for i in range(60)))
    reg = diagnose("--csv", csv, "--label", "y", "--regression", "--layers", "1-2-1", "--epochs", "1")
    assert "underfitting" not in kinds(reg) and reg["final"]["test_accuracy"] is None, reg
elif CASE == "run_file":
    metrics = os.path.join(TMP, "m.json")
    p = run("train", "--layers", "784-32-10", "--epochs", "1", "--val-fraction", "0", "--quiet", "--diagnose",
            "--diagnose-every", "20", "--metrics-out", metrics)
    assert "diagnostics:" in p.stdout, p.stdout
    m = json.load(open(metrics))
    d = m["diagnostics"]
    assert d["every"] == 20
    assert [s["step"] for s in d["steps"]] == list(range(0, 469, 20)), [s["step"] for s in d["steps"]]
    assert all(s["lr"] is not None and s["layers"][0]["update_ratio"] > 0 for s in d["steps"])
    assert d["dead"] and d["dead"][0]["layer"] == 1 and d["dead"][0]["units"] == 32
    back = json.loads(run("diagnose", "--run", metrics, "--json").stdout)
    assert back["findings"] == d["findings"], (back["findings"], d["findings"])
    assert back["layers"] == d["layers"]
    last = m["epochs"][-1]
    assert back["final"] == {k: last[k] for k in ("epoch", "train_loss", "train_accuracy", "val_loss",
                                                   "val_accuracy", "test_loss", "test_accuracy")}, back["final"]
    assert ("train loss %.4f" % last["train_loss"]) in run("diagnose", "--run", metrics).stdout.splitlines()[0]
    assert "layer  kind" in run("diagnose", "--run", metrics).stdout
    # A run folder (train --run-dir) is read as its metrics file is.
    folder = os.path.join(TMP, "rundir")
    os.mkdir(folder)
    shutil.copy(metrics, os.path.join(folder, "metrics.json"))
    assert json.loads(run("diagnose", "--run", folder, "--json").stdout) == back
    # A run trained without --diagnose has nothing to report.
    plain = os.path.join(TMP, "plain.json")
    run("train", "--data", "xor", "--rows", "16", "--layers", "2-4-1", "--epochs", "1", "--quiet",
        "--metrics-out", plain)
    one_line_error(run("diagnose", "--run", plain, code=2), "--diagnose")
elif CASE == "errors":
    one_line_error(run("diagnose", "--run", os.path.join(TMP, "missing.json"), code=2), "no such file or folder")
    one_line_error(run("diagnose", "--run", TMP, code=2), "no metrics.json in this folder", "--run-dir")
    bad = os.path.join(TMP, "bad.json")
    open(bad, "w").write("not json")
    one_line_error(run("diagnose", "--run", bad, code=2), "not a diagnostics report")
    # Layer summaries missing a field: named, not an internal error, nothing printed.
    for layers in ([{"index": 0}], [{"index": 0, "kind": "dense", "units": 3, "weight_norm": 1}], [7]):
        open(bad, "w").write(json.dumps({"every": 1, "findings": [], "layers": layers, "steps": []}))
        p = run("diagnose", "--run", bad, code=2)
        one_line_error(p, "bad.json", "malformed")
        assert p.stdout == "", p.stdout
    one_line_error(run("diagnose", "--run", bad, "--lr", "1", code=2), "--lr with --run")
    one_line_error(run("diagnose", "--every", "0", code=2), "--every")
    one_line_error(run("diagnose", "--save", bad, code=2), "--save", "train --diagnose")
    one_line_error(run("train", "--diagnose-every", "0", code=2), "--diagnose-every")
    one_line_error(run("frobnicate", code=2), "diagnose")
else:
    sys.exit(f"unknown case {CASE}")
print(f"diagnose_cli_{CASE}: ok")
