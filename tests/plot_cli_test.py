#!/usr/bin/python3
"""actlab plot end to end: curves and logits bars in every format, default
output names, sizes read back from the PNG header; bad input gets a one-line
error, exit code 2 and no file.

Usage: plot_cli_test.py ACTLAB
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

ACTLAB = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="actlab-plot-cli-")


def run(*args, cwd=TMP):
    return subprocess.run([ACTLAB, "plot", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", head[:8]
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


class Works(unittest.TestCase):
    def test_two_names_png(self):
        out = os.path.join(TMP, "x.png")
        p = run("relu", "gelu", "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), f"wrote {out}")
        self.assertEqual(png_size(out), (3 * 480, 360))  # two panels and the overlay

    def test_size_range_params_and_formats(self):
        out = os.path.join(TMP, "elu.png")
        p = run("elu", "--param", "alpha=0.5", "--range", "-6:3", "--no-derivative", "--width", "800",
                "--height", "300", "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(png_size(out), (800, 300))
        for ext, magic in ((".svg", b"<?xml"), (".pdf", b"%PDF")):
            out = os.path.join(TMP, "silu" + ext)
            p = run("silu", "mish", "--out", out)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(len(magic)), magic)

    def test_default_names(self):
        d = tempfile.mkdtemp(dir=TMP)
        self.assertEqual(run("GELU", cwd=d).returncode, 0)  # aliases and case resolve to the table's name
        self.assertEqual(run("tanh", "sigmoid", cwd=d).returncode, 0)
        self.assertEqual(run("softmax", "--logits", "1,2,3", cwd=d).returncode, 0)
        self.assertEqual(sorted(os.listdir(d)), ["activations.png", "gelu.png", "softmax.png"])

    def test_logits(self):
        out = os.path.join(TMP, "sm.png")
        p = run("softmax", "log_softmax", "softmin", "glu", "--logits", "1, 2,3,-4", "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(png_size(out), (3 * 480, 2 * 360))  # five panels, three columns

    def test_every_elementwise_activation(self):
        import json
        table = json.loads(subprocess.run([ACTLAB, "list", "--json"], capture_output=True, text=True,
                                          check=True).stdout)
        names = []
        for s in table:
            if s["shape"] != "elementwise":
                continue
            if any(p["required"] for p in s["parameters"]):
                continue
            names.append(s["name"])
        out = os.path.join(TMP, "all.png")
        p = run(*names, "--range", "-100:100", "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)


class Errors(unittest.TestCase):
    def check(self, args, *needles):
        d = tempfile.mkdtemp(dir=TMP)
        p = run(*args, cwd=d)
        self.assertEqual(p.returncode, 2, f"{args}: {p.returncode} {p.stderr}")
        lines = p.stderr.strip().split("\n")
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("actlab: "), lines[0])
        for n in needles:
            self.assertIn(n, lines[0])
        self.assertEqual(os.listdir(d), [], "nothing may be written")

    def test_bad_input(self):
        self.check(["gleu"], "unknown activation 'gleu'", "did you mean", "gelu")
        self.check(["relu", "--range", "4:-4"], "--range", "LO must be below HI")
        self.check(["relu", "--range", "abc"], "--range", "LO:HI")
        self.check(["relu", "--range", "-1:nan"], "--range HI", "not a finite number")
        self.check(["elu", "--param", "alpha=x"], "--param alpha", "not a finite number")
        self.check(["elu", "--param", "alpha"], "KEY=VALUE")
        self.check(["relu", "gelu", "--param", "foo=1"], "no parameter 'foo'")
        self.check(["celu", "--param", "alpha=0"], "alpha", "out of range")
        self.check(["relu", "--out", "x.jpg"], "x.jpg: unknown image format '.jpg'", ".png, .svg or .pdf")
        self.check(["relu", "--out", "/nonexistent-dir/x.png"], "/nonexistent-dir/x.png: cannot write")
        self.check(["softmax"], "softmax", "--logits")
        self.check(["relu", "--logits", "1,2"], "relu", "elementwise", "--range")
        self.check(["glu", "--logits", "1,2,3"], "even")
        self.check(["softmax", "--logits", "1,,2"], "--logits", "not a finite number")
        self.check(["relu", "--width", "10"], "--width 10", "50 to 16384")
        self.check([], "NAME")


if __name__ == "__main__":
    try:
        unittest.main(argv=[sys.argv[0], "-v"])
    finally:
        if not os.environ.get("ACTLAB_PLOT_TEST_KEEP"):
            shutil.rmtree(TMP, ignore_errors=True)
