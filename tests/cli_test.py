#!/usr/bin/env python3
"""The actlab CLI as a user meets it: list, eval, errors. Usage: cli_test.py ACTLAB"""
import json
import struct
import subprocess
import sys

ACTLAB = sys.argv[1]
failures = []
passed = 0


def run(args, stdin=""):
    p = subprocess.run([ACTLAB] + args, input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print("FAIL:", what)


# --help on every subcommand
for sub in [[], ["list"], ["eval"], ["bench"], ["info"]]:
    rc, out, err = run(sub + ["--help"])
    check(rc == 0 and "Usage" in out, f"{' '.join(sub)} --help")

# list / list --json
rc, out, _ = run(["list"])
check(rc == 0 and "gelu" in out and "f'(x)" in out and "negative_slope=0.01" in out, "list text")
rc, out, _ = run(["list", "--json"])
specs = json.loads(out)
names = {s["name"] for s in specs}
expected = {"identity", "step", "sigmoid", "tanh", "relu", "relu6", "leaky_relu", "prelu", "rrelu", "threshold",
            "elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "mish", "softplus", "softsign", "hardsigmoid",
            "hardswish", "hardtanh", "logsigmoid", "tanhshrink", "softshrink", "hardshrink", "glu", "softmax",
            "log_softmax", "softmin"}
check(expected <= names, f"list --json has every activation (missing {expected - names})")
gelu = next(s for s in specs if s["name"] == "gelu")
check(gelu["properties"]["smooth"] and not gelu["properties"]["monotonic"], "gelu properties")
lrelu = next(s for s in specs if s["name"] == "leaky_relu")
# One type per field: a range end is a number, or null where it is unbounded (JSON has no infinity).
ends = [(s["name"], s["range"][k]) for s in specs for k in ("min", "max")]
check(all(v is None or type(v) in (int, float) for _, v in ends), f"range ends are numbers or null: {ends}")
sig = next(s for s in specs if s["name"] == "sigmoid")
relu = next(s for s in specs if s["name"] == "relu")
check((sig["range"]["min"], sig["range"]["max"], relu["range"]["min"], relu["range"]["max"]) == (0, 1, 0, None),
      f"sigmoid (0, 1) and relu [0, inf) ranges: {sig['range']} {relu['range']}")
check(lrelu["parameters"][0]["name"] == "negative_slope" and lrelu["parameters"][0]["default"] == 0.01,
      "leaky_relu default in JSON")

# list NAME: one activation in detail, from the same table; --json is list --json's entry
for name, canonical in [("elu", "elu"), ("LeakyReLU", "leaky_relu"), ("threshold", "threshold")]:
    rc, out, err = run(["list", name])
    spec = next(s for s in specs if s["name"] == canonical)
    check(rc == 0 and out.startswith(canonical) and spec["formula"] in out and spec["derivative"] in out
          and spec["range"]["text"] in out and spec["torch"] in out and spec["kinks"] in out,
          f"list {name}: {out!r} {err!r}")
    for p in spec["parameters"]:
        default = "required (no default)" if p["required"] else "%g by default" % p["default"]
        check(f"{p['name']} = {default}, valid {p['range']}" in out and p["doc"] in out, f"list {name}: {p['name']}")
    rc, out, _ = run(["list", name, "--json"])
    check(rc == 0 and json.loads(out) == [spec], f"list {name} --json is its list --json entry")
rc, out, _ = run(["list", "elu"])
check("monotonic, smooth, not zero-centred, bounded below" in out and "alpha = 1 by default, valid [0, inf)" in out,
      f"list elu properties and parameter: {out!r}")
check("parameters  none" in run(["list", "relu"])[1], "list relu: no parameters")

# eval: values, digits that round-trip, nan/inf, dtypes
rc, out, _ = run(["eval", "relu"], "-1 0 2.5\n nan inf -inf\n")
check(rc == 0 and out.split() == ["0", "0", "2.5", "nan", "inf", "0"], f"eval relu: {out!r}")
rc, out, _ = run(["eval", "sigmoid"], "0.1\n")
v = out.strip()
f32 = struct.unpack("f", struct.pack("f", float(v)))[0]
check(len(v.replace("-", "").replace(".", "").lstrip("0")) <= 9 and "%.9g" % f32 == v,
      f"float32 prints 9 round-tripping digits: {v}")
rc, out, _ = run(["eval", "sigmoid", "--dtype", "float64"], "0.1\n")
check(rc == 0 and abs(float(out) - 0.52497918747894001) < 1e-17 and len(out.strip()) >= 17,
      f"float64 prints 17 digits: {out.strip()}")
rc, out, _ = run(["eval", "tanh", "--grad", "--dtype", "float64"], "0\n20\n")
vals = [float(t) for t in out.split()]
check(vals[0] == 1.0 and abs(vals[1] - 1.6993417021166355e-17) < 1e-30, f"tanh' tail exact: {vals}")
rc, out, _ = run(["eval", "elu", "--param", "alpha=2", "--dtype", "float64"], "-1\n")
check(abs(float(out) - 2 * (0.36787944117144233 - 1)) < 1e-15, "elu alpha=2")
rc, out, _ = run(["eval", "softmax", "--axis-size", "2", "--dtype", "float64"], "0 0\n1 1\n")
check(out.split() == ["0.5"] * 4, f"softmax rows: {out!r}")
rc, out, _ = run(["eval", "glu", "--axis-size", "2", "--dtype", "float64"], "3 0\n")
check(out.split() == ["1.5"], f"glu: {out!r}")
rc, out, _ = run(["eval", "threshold", "-p", "threshold=1", "-p", "value=-5"], "0.5 2\n")
check(out.split() == ["-5", "2"], f"threshold: {out!r}")

# errors: one line on stderr, exit code 2, a hint
def check_error(args, stdin, needle, what):
    rc, out, err = run(args, stdin)
    ok = rc == 2 and err.count("\n") == 1 and needle in err and out == ""
    check(ok, f"{what}: rc={rc} err={err!r}")

check_error(["eval", "gleu"], "1\n", "did you mean gelu", "unknown activation suggests")
check_error(["list", "gleu"], "", "did you mean gelu", "list with an unknown name suggests")
check_error(["list", "relu", "--markdown"], "", "--markdown with NAME", "list NAME --markdown")
check_error(["eval", "relu"], "1\n2 abc\n", "line 2: 'abc'", "bad number names its line")
check_error(["eval", "elu", "--param", "alpha=-1"], "1\n", "valid: [0, inf)", "bad parameter gives range")
check_error(["eval", "elu", "--param", "beta=1"], "1\n", "its parameters are alpha", "unknown parameter")
check_error(["eval", "elu", "--param", "alpha"], "1\n", "KEY=VALUE", "malformed --param")
check_error(["eval", "threshold"], "1\n", "needs threshold", "required parameter")
check_error(["eval", "softmax"], "1 2\n", "--axis-size", "softmax without axis")
check_error(["eval", "softmax", "--axis-size", "3"], "1 2\n", "whole rows", "softmax ragged rows")
check_error(["eval", "relu", "--dtype", "float16"], "1\n", "float16", "bad dtype")
check_error(["eval", "relu", "--bogus"], "1\n", "--bogus", "unknown flag")
check_error(["frobnicate"], "", "unknown command 'frobnicate'", "unknown subcommand")
# A misspelt flag names the closest one of its own subcommand (nothing is run or trained).
for args, needle in [(["train", "--epohcs", "3"], "unknown flag --epohcs; did you mean --epochs?"),
                     (["train", "--lr=0.1", "--bach-size", "4"], "unknown flag --bach-size; did you mean --batch-size?"),
                     (["diagnose", "--evrey", "3"], "unknown flag --evrey; did you mean --every?"),
                     (["recommend", "--dpeth", "3"], "unknown flag --dpeth; did you mean --depth?"),
                     (["plot", "relu", "--rnage=-2:2"], "unknown flag --rnage; did you mean --range?"),
                     (["compare", "--seed", "2", "--sedes", "1"], "did you mean --seeds?"),
                     (["eval", "relu", "--gard"], "unknown flag --gard; did you mean --grad?"),
                     (["report", "r", "--jsno"], "unknown flag --jsno; did you mean --json?")]:
    check_error(args, "1\n", needle, f"misspelt flag: {' '.join(args)}")
rc, out, err = run(["train", "--frobnicate-wildly"])
check(rc == 2 and "unknown flag --frobnicate-wildly (see 'actlab train --help')" in err and "did you mean" not in err,
      f"a flag near nothing gets no suggestion: {err!r}")

# bench --json: the schema users script against (figures are not checked)
rc, out, _ = run(["bench", "--json", "--threads", "1", "--only", "relu", "--only", "softmax"])
try:
    b = json.loads(out)
    sizes = {r["n"] for r in b["results"]}
    ok = (rc == 0 and isinstance(b["target"], str) and {c["n"] for c in b["copy"]} == {1 << 16, 1 << 24}
          and sizes == {1 << 16, 1 << 24}
          and {(r["name"], r["direction"]) for r in b["results"]} >= {("relu", "forward"), ("relu", "backward"),
                                                                   ("softmax", "forward")}
          and all(r["dtype"] == "float32" and r["threads"] == 1 and r["gelem_s"] > 0 for r in b["results"]))
except (ValueError, KeyError, TypeError) as e:
    ok = False
    print(e)
check(ok, "bench --json schema")
check_error(["bench", "--only", "gleu"], "", "did you mean", "bench with unknown activation")

# info
rc, out, _ = run(["info"])
check(rc == 0 and "SIMD target" in out, "info")

print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
