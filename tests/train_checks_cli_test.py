#!/usr/bin/python3
"""actlab train / evaluate / predict refuse what cannot work before they start
(issue 10): flag ranges, --model beside the flags it replaces, output widths
and losses that cannot learn, paths that cannot be written, checkpoints with
NaN or inf weights. Each refusal is one line on stderr with exit code 2.

Usage: train_checks_cli_test.py ACTLAB
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

ACTLAB = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="actlab-checks-test-")
XOR = ["train", "--data", "xor", "--rows", "16", "--val-fraction", "0", "--layers", "2-4-1", "--act", "tanh",
       "--epochs", "1", "--quiet"]


def run(*args, stdin=None):
    return subprocess.run([ACTLAB, *args], capture_output=True, text=True, input=stdin, timeout=300)


class Refusals(unittest.TestCase):
    def refused(self, args, *needles, stdin=None):
        r = run(*args, stdin=stdin)
        self.assertEqual(r.returncode, 2, f"{args}: exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertNotIn("internal error", r.stderr)
        self.assertNotIn("epoch", r.stdout, "refused only after training started")
        for n in needles:
            self.assertIn(n, r.stderr)
        return r

    def write(self, name, text):
        path = os.path.join(TMP, name)
        with open(path, "w") as f:
            f.write(text)
        return path


class FlagRanges(Refusals):
    def test_every_numeric_flag_states_its_range(self):
        cases = [("--noise", "-0.5", "[0, inf)"), ("--rows", "-1", "[4, 10000000]"),
                 ("--val-fraction", "0.95", "[0, 0.9]"), ("--dropout", "1", "[0, 0.99]"),
                 ("--huber-delta", "0", "(0, inf)"), ("--lr", "-1", "(0, inf)"), ("--momentum", "-0.5", "[0, 1)"),
                 ("--momentum", "2", "[0, 1)"), ("--weight-decay", "-1", "[0, inf)"), ("--beta1", "1", "[0, 1)"),
                 ("--beta2", "-0.1", "[0, 1)"), ("--eps", "0", "(0, inf)"), ("--step-size", "-1", "[1, 100000]"),
                 ("--gamma", "0", "(0, 1]"), ("--min-lr", "-1", "[0, inf)"), ("--warmup", "-1", "[0, "),
                 ("--clip-norm", "-1", "[0, inf)"), ("--clip-value", "nan", "[0, inf)"),
                 ("--epochs", "0", "[1, 100000]"), ("--stop-after", "-2", "[1, 100000]"),
                 ("--batch-size", "-1", "[1, 1048576]"), ("--seed", "-1", "[0, 18446744073709551615]"),
                 ("--seed", "1.5", "integer"), ("--threads", "-1", "[0, 1024]")]
        for flag, value, interval in cases:
            with self.subTest(flag=flag, value=value):
                self.refused(["train", "--data", "xor", flag, value], flag, value, interval)
        self.refused(["train", "--data", "xor", "--diagnose-every", "0"], "--diagnose-every", "[1, 1000000]")
        self.refused(["predict", "m.safetensors", "--top", "0"], "--top", "[1, 1000]")
        self.refused(["evaluate", "m.safetensors", "--threads", "-3"], "--threads", "[0, 1024]")
        self.refused(["bench", "--threads", "-1"], "--threads", "[0, 1024]")
        self.refused(["eval", "softmax", "--axis-size", "-1"], "--axis-size", "[1, ")
        self.refused(["compare", "--data", "xor", "--acts", "relu", "--depth", "2,-1"], "--depth", "[1, 1000]")

    def test_a_seed_is_taken_as_written(self):
        r = run(*XOR, "--seed", "18446744073709551615", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["config"]["seed"], 18446744073709551615)

    def test_flags_of_another_data_source_are_refused(self):
        self.refused(["train", "--data", "xor", "--test-csv", "t.csv"], "--test-csv", "--csv")
        self.refused(["train", "--data", "xor", "--label", "y"], "--label", "--csv")
        self.refused(["train", "--data", "xor", "--regression"], "--regression", "--csv")
        csv = self.write("plain.csv", "a,b,y\n1,2,0\n2,1,1\n")
        self.refused(["train", "--csv", csv, "--rows", "100"], "--rows", "synthetic")
        self.refused(["train", "--csv", csv, "--noise", "0.2"], "--noise", "synthetic")


class OutputsAndLosses(Refusals):
    def test_output_width_against_the_classes_for_layers_and_model_files(self):
        self.refused(["train", "--data", "xor", "--layers", "2-4-3"], "--layers 2-4-3", "3 outputs", "2 classes",
                     "or 1")
        self.refused(["train", "--data", "blobs", "--layers", "2-4-1"], "1 output but", "3 classes", "3 wide")
        model = self.write("wide.json", '{"layers": [{"kind": "dense", "units": 4}, '
                                        '{"kind": "activation", "activation": "tanh"}, {"kind": "dense", "units": 3}]}')
        self.refused(["train", "--data", "xor", "--model", model], model, "3 outputs", "2 classes")
        good = self.write("good.json", '{"input": 2, "output": "sigmoid", "layers": [{"kind": "dense", "units": 4}, '
                                       '{"kind": "activation", "activation": "tanh"}, {"kind": "dense", "units": 1}]}')
        r = run("train", "--data", "xor", "--model", good, "--epochs", "1", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_output_width_against_the_targets(self):
        csv = self.write("reg.csv", "a,b,y\n" + "".join(f"{i % 5},{i % 3},{i * 0.5}\n" for i in range(30)))
        self.refused(["train", "--csv", csv, "--label", "y", "--regression", "--layers", "2-4-2"], "2 outputs",
                     "1 target per row", "1 wide")
        self.refused(["train", "--csv", csv, "--label", "y", "--regression", "--loss", "cross_entropy"],
                     "--loss cross_entropy", "class labels", "--loss mse")

    def test_outputs_and_losses_that_cannot_learn(self):
        self.refused(["train", "--data", "xor", "--layers", "2-4-1", "--loss", "mse", "--out", "softmax"],
                     "--out softmax with one output", "constant")
        self.refused(["train", "--data", "xor", "--layers", "2-4-1", "--loss", "cross_entropy", "--out", "identity"],
                     "--loss cross_entropy with one output", "--loss bce")

    def test_model_file_conflicts_name_both_flags(self):
        model = self.write("m.json", '{"layers": [{"kind": "dense", "units": 1}]}')
        for flag, value in (("--layers", "2-4-1"), ("--act", "relu"), ("--act-param", "negative_slope=0.1"),
                            ("--norm", "batch"), ("--dropout", "0.2")):
            with self.subTest(flag=flag):
                self.refused(["train", "--data", "xor", "--model", model, flag, value], flag, "--model", model)


class Paths(Refusals):
    def test_unwritable_paths_fail_before_training(self):
        missing = os.path.join(TMP, "no", "such", "folder")
        self.refused([*XOR, "--save", os.path.join(missing, "m.safetensors")], "--save", "cannot write")
        self.refused([*XOR, "--metrics-out", os.path.join(missing, "m.json")], "--metrics-out", "cannot write")
        folder = os.path.join(TMP, "paths")
        os.makedirs(os.path.join(folder, "sub"))
        # The --save probe succeeds, --metrics-out is a folder: nothing may be left behind.
        self.refused([*XOR, "--save", os.path.join(folder, "m.safetensors"), "--metrics-out",
                      os.path.join(folder, "sub")], "--metrics-out", "is a folder")
        self.assertEqual(os.listdir(folder), ["sub"])
        run_dir = os.path.join(TMP, "run")
        os.makedirs(os.path.join(run_dir, "model.safetensors"))
        self.refused([*XOR, "--run-dir", run_dir], "--run-dir", "is a folder")
        same = os.path.join(folder, "same")
        self.refused([*XOR, "--save", same, "--metrics-out", same], "--save and --metrics-out", "same file")


def poison(path, tensor, value):
    """Overwrites the first element of a float32 tensor in a safetensors file."""
    with open(path, "r+b") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        begin = header[tensor]["data_offsets"][0]
        f.seek(8 + n + begin)
        f.write(struct.pack("<f", value))


class NonFiniteCheckpoints(Refusals):
    def test_nan_and_inf_weights_are_refused_at_load(self):
        for tensor, value, word in (("0.weight", float("nan"), "NaN"), ("2.bias", float("inf"), "inf"),
                                    ("optimizer.exp_avg", float("nan"), "NaN")):
            path = os.path.join(TMP, f"poisoned-{word}-{tensor}.safetensors")
            self.assertEqual(run(*XOR, "--epochs", "2", "--stop-after", "1", "--save", path).returncode, 0)
            poison(path, tensor, value)
            needles = [path, f"'{tensor}'", word]
            self.refused(["train", "--resume", path], *needles)
            if not tensor.startswith("optimizer."):
                self.refused(["evaluate", path], *needles)
                self.refused(["predict", path], *needles, stdin="0 1\n")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
