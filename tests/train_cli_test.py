#!/usr/bin/python3
"""actlab train / evaluate / predict end to end: XOR on every seed, resume ==
uninterrupted, checkpoints read by Python's own safetensors and matched by a
PyTorch model, kills never corrupt the checkpoint, bad input gets one-line
errors with exit code 2.

Usage: train_cli_test.py ACTLAB VENV_PYTHON
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ACTLAB = sys.argv[1]
VENV_PY = sys.argv[2]
TMP = tempfile.mkdtemp(prefix="actlab-train-test-")


def run(*args, check=True):
    p = subprocess.run([ACTLAB, *args], capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError(f"actlab {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def venv(code, *args):
    p = subprocess.run([VENV_PY, "-c", code, *args], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    return json.loads(p.stdout)


XOR = ["train", "--data", "xor", "--rows", "64", "--val-fraction", "0", "--layers", "2-4-1", "--act", "sigmoid",
       "--batch-size", "4", "--optimizer", "sgd", "--momentum", "0", "--lr", "2", "--epochs", "300", "--quiet"]

READ_TENSORS = r"""
import json, sys
from safetensors.numpy import load_file
from safetensors import safe_open
t = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework="numpy") as f:
    meta = f.metadata()
print(json.dumps({"tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype), "values": v.ravel().tolist()}
                              for k, v in t.items()}, "metadata": meta}))
"""


class Xor(unittest.TestCase):
    def test_learns_on_every_seed(self):
        for seed in range(1, 21):
            out = run(*XOR, "--seed", str(seed)).stdout
            self.assertIn("final test accuracy: 100.00%", out, f"seed {seed}: {out}")


class Checkpoints(unittest.TestCase):
    def test_python_safetensors_reads_it_and_torch_agrees(self):
        path = os.path.join(TMP, "xor.safetensors")
        run(*XOR, "--seed", "3", "--save", path)
        d = venv(READ_TENSORS, path)
        t, meta = d["tensors"], d["metadata"]
        self.assertEqual(t["0.weight"]["shape"], [4, 2])
        self.assertEqual(t["0.bias"]["shape"], [4])
        self.assertEqual(t["2.weight"]["shape"], [1, 4])
        self.assertEqual(t["0.weight"]["dtype"], "float32")
        self.assertEqual(meta["format"], "actlab-checkpoint-1")
        arch = json.loads(meta["architecture"])
        self.assertEqual([l["kind"] for l in arch["layers"]], ["dense", "activation", "dense"])
        self.assertEqual(json.loads(meta["training"])["epochs_done"], 300)
        # The same weights in torch.nn.Sequential give the probabilities actlab predicts.
        code = r"""
import json, sys, torch
from safetensors.torch import load_file
sd = {k: v for k, v in load_file(sys.argv[1]).items() if not k.startswith(("optimizer.", "scaler."))}
m = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 1))
m.load_state_dict(sd)
x = torch.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
print(json.dumps(torch.sigmoid(m(x)).ravel().tolist()))
"""
        p_torch = venv(code, path)
        out = subprocess.run([ACTLAB, "predict", path, "--json"], input="0 0\n0 1\n1 0\n1 1\n",
                             capture_output=True, text=True, check=True).stdout
        rows = [json.loads(l) for l in out.splitlines()]
        for r, p in zip(rows, p_torch):
            prob1 = next(c["probability"] for c in r["top"] if c["class"] == 1)
            self.assertAlmostEqual(prob1, p, delta=1e-6)
        self.assertEqual([r["class"] for r in rows], [0, 1, 1, 0])

    def test_resume_ends_at_the_same_weights(self):
        common = ["train", "--data", "spirals", "--rows", "400", "--layers", "2-16-16-1", "--act", "tanh",
                  "--optimizer", "sgd", "--lr", "0.1", "--dropout", "0.1", "--batch-size", "16", "--seed", "5",
                  "--threads", "1", "--quiet"]
        a = os.path.join(TMP, "straight.safetensors")
        b = os.path.join(TMP, "resumed.safetensors")
        run(*common, "--epochs", "6", "--save", a)
        run(*common, "--epochs", "6", "--stop-after", "3", "--save", b)
        run("train", "--resume", b, "--threads", "1", "--quiet")
        ta, tb = venv(READ_TENSORS, a)["tensors"], venv(READ_TENSORS, b)["tensors"]
        self.assertEqual(sorted(ta), sorted(tb))
        self.assertIn("optimizer.momentum_buffer", ta)
        for k in ta:
            self.assertEqual(ta[k]["values"], tb[k]["values"], k)
        err = run("train", "--data", "spirals", "--resume", b, "--lr", "0.5", check=False)
        self.assertEqual(err.returncode, 2)
        self.assertIn("--lr cannot change when resuming", err.stderr)
        err = run("train", "--resume", b, "--rows", "500", check=False)
        self.assertEqual(err.returncode, 2)
        self.assertIn("--rows differs from the resumed run's", err.stderr)

    def test_kill_leaves_a_readable_checkpoint(self):
        path = os.path.join(TMP, "killed.safetensors")
        args = [ACTLAB, "train", "--data", "spirals", "--rows", "20000", "--layers", "2-64-64-64-1",
                "--batch-size", "8", "--epochs", "1000", "--save", path, "--quiet", "--threads", "1"]
        def check_after_kill():
            if os.path.exists(path):
                r = run("evaluate", path, "--data", "spirals", "--rows", "400", check=False)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("accuracy", r.stdout)

        for delay in (0.7, 1.3, 2.1, 2.9):
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            p.wait()
            check_after_kill()
        # Once more, killed just after a checkpoint exists (slow builds, e.g.
        # sanitizers, may not have saved one in 2.9 s).
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while not os.path.exists(path) and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
        time.sleep(0.3)
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.assertTrue(os.path.exists(path), "no checkpoint written in 120 s")
        check_after_kill()

    def test_corrupt_checkpoints_get_clear_errors(self):
        good = os.path.join(TMP, "good.safetensors")
        run(*XOR, "--epochs", "2", "--save", good)
        blob = open(good, "rb").read()
        cases = {"truncated": blob[: len(blob) // 2], "empty": b"", "garbage": b"\x00" * 64,
                 "bad-json": blob[:8] + b"{" * (len(blob) - 8)}
        for name, data in cases.items():
            path = os.path.join(TMP, name + ".safetensors")
            with open(path, "wb") as f:
                f.write(data)
            for cmd in (["evaluate", path, "--data", "xor"], ["predict", path],
                        ["train", "--data", "xor", "--resume", path]):
                r = subprocess.run([ACTLAB, *cmd], input="0 0\n", capture_output=True, text=True)
                self.assertEqual(r.returncode, 2, f"{name} {cmd}: {r.stderr}")
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertIn(path, r.stderr)


class Metrics(unittest.TestCase):
    def test_metrics_file(self):
        path = os.path.join(TMP, "metrics.json")
        out = run("train", "--data", "moons", "--rows", "500", "--epochs", "3", "--metrics-out", path).stdout
        m = json.load(open(path))
        self.assertEqual(len(m["epochs"]), 3)
        for e in m["epochs"]:
            for k in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss",
                      "test_accuracy", "seconds", "samples_per_second", "lr"):
                self.assertIn(k, e)
        self.assertEqual(m["final"]["test_accuracy"], m["epochs"][-1]["test_accuracy"])
        self.assertEqual(m["stopped"], "")
        self.assertIn("total parameters", out)
        self.assertTrue(out.strip().splitlines()[-1].startswith("final test accuracy"), out)

    def test_evaluate_defaults_to_the_runs_own_data(self):
        # No data flags: evaluate regenerates the saved synthetic test set (and
        # scales it with the saved scaler), so it agrees with training's last epoch.
        path, model = os.path.join(TMP, "own-data.json"), os.path.join(TMP, "own-data.safetensors")
        run("train", "--data", "spirals", "--rows", "300", "--layers", "2-16-2", "--epochs", "5",
            "--scale", "standard", "--metrics-out", path, "--save", model)
        final = json.load(open(path))["final"]
        ev = json.loads(run("evaluate", model, "--json").stdout)
        self.assertEqual(sum(c["rows"] for c in ev["per_class"]), 75)
        self.assertAlmostEqual(ev["accuracy"], final["test_accuracy"], places=12)
        self.assertAlmostEqual(ev["loss"], final["test_loss"], places=6)
        # Data of the wrong width: the error says what to pass.
        r = run("evaluate", model, "--data", "fashion-mnist", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("pass the data it was trained on", r.stderr)


class FashionMnist(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir("/usr/share/datasets/fashion-mnist"), "dataset-fashion-mnist not installed")
    @unittest.skipIf(os.environ.get("ACTLAB_SANITIZED") == "1", "AddressSanitizer's shadow memory is not the program's")
    def test_peak_memory(self):
        """Peak memory while training the classic network: under 2x the dataset
        in float32 plus 4x the parameter bytes (issue 3's bound)."""
        import resource
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out = run("train", "--epochs", "1", "--quiet").stdout
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        self.assertGreater(peak_kib, before)
        dataset = 70000 * 784 * 4
        params = 235146 * 4
        self.assertLess(peak_kib * 1024, 2 * dataset + 4 * params, f"peak {peak_kib} KiB")
        self.assertIn("final test accuracy", out)

    @unittest.skipUnless(os.path.isdir("/usr/share/datasets/fashion-mnist"), "dataset-fashion-mnist not installed")
    def test_default_data_folder_from_environment(self):
        """$ACTLAB_FASHION_MNIST moves the default data (here: 300 + 100 rows in a folder whose name says
        nothing of fashion, still named Fashion-MNIST); a folder that is not there is named in the error."""
        import gzip
        import struct
        folder = os.path.join(TMP, "subset")
        os.makedirs(folder, exist_ok=True)
        for split, rows in (("train", 300), ("t10k", 100)):
            for kind, header in (("images-idx3", 16), ("labels-idx1", 8)):
                with gzip.open(f"/usr/share/datasets/fashion-mnist/{split}-{kind}-ubyte.gz", "rb") as f:
                    data = f.read()
                row_bytes = 784 if kind.startswith("images") else 1
                head = data[:4] + struct.pack(">I", rows) + data[8:header]
                with open(os.path.join(folder, f"{split}-{kind}-ubyte"), "wb") as f:
                    f.write(head + data[header:header + rows * row_bytes])
        env = dict(os.environ, ACTLAB_FASHION_MNIST=folder)
        r = subprocess.run([ACTLAB, "train", "--epochs", "1", "--layers", "784-16-10"], env=env,
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("data: fashion-mnist-train (270 train, 30 validation, 100 test rows", r.stdout)
        env["ACTLAB_FASHION_MNIST"] = os.path.join(TMP, "no-such-folder")
        r = subprocess.run([ACTLAB, "train", "--epochs", "1"], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no-such-folder: cannot open", r.stderr)


class Errors(unittest.TestCase):
    def check(self, args, *needles, stdin=None):
        r = subprocess.run([ACTLAB, *args], capture_output=True, text=True, input=stdin)
        self.assertEqual(r.returncode, 2, f"{args}: {r.returncode} {r.stderr}")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        for n in needles:
            self.assertIn(n, r.stderr)

    def test_bad_flags(self):
        self.check(["train", "--data", "xor", "--layers", "2-x-1"], "--layers", "not a layer width")
        self.check(["train", "--data", "xor", "--layers", "3-4-1"], "starts with 3 inputs", "2 features")
        self.check(["train", "--data", "xor", "--act", "relux"], "relux", "relu")
        self.check(["train", "--data", "xor", "--optimizer", "adamm"], "adamm")
        self.check(["train", "--data", "xor", "--lr", "-1"], "--lr")
        self.check(["train", "--data", "xor", "--loss", "hinge"], "hinge")
        self.check(["train", "--data", "xor", "--init", "magic"], "magic")
        self.check(["train", "--data", "xor", "--act-param", "alpha"], "NAME=VALUE")
        self.check(["train", "--data", "nowhere"], "nowhere")
        self.check(["train", "--data", "xor", "--out", "softmax", "--loss", "bce"], "--out sigmoid")

    def test_bad_model_file(self):
        path = os.path.join(TMP, "model.json")
        with open(path, "w") as f:
            f.write('{"layers": [{"kind": "dense", "units": 4}, {"kind": "activation", "activation": "tanhh"}]}')
        self.check(["train", "--data", "xor", "--model", path], "layers[1]", "tanhh")

    def test_predict_input_errors(self):
        path = os.path.join(TMP, "p.safetensors")
        run(*XOR, "--epochs", "1", "--save", path)
        self.check(["predict", path], "stdin line 1", "3 values", stdin="1 2 3\n")
        self.check(["predict", path], "stdin line 2", "not a finite number", stdin="1 2\n1 nan\n")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
