#!/usr/bin/python3
"""actlab compare: the table, its CSV/JSON, errors, and the textbook phenomena
on Fashion-MNIST (a deep sigmoid network with naive init barely trains and its
first layer's gradient vanishes; ReLU with He init trains; tanh with Xavier
keeps its gradient norms within an order of magnitude; a too-high learning
rate kills ReLU units while Leaky ReLU and ELU survive it).
Usage: compare_cli_test.py ACTLAB"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

ACTLAB = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="actlab-compare-test-")
FASHION = os.path.isdir("/usr/share/datasets/fashion-mnist")


def compare(*args, check=True):
    p = subprocess.run([ACTLAB, "compare", *args], capture_output=True, text=True, timeout=600)
    if check and p.returncode:
        raise AssertionError(p.stderr)
    return p


class Table(unittest.TestCase):
    def test_outputs(self):
        c, j, png = os.path.join(TMP, "t.csv"), os.path.join(TMP, "t.json"), os.path.join(TMP, "t.png")
        out = compare("--data", "moons", "--rows", "400", "--acts", "relu,tanh", "--depth", "1,3", "--seeds", "2",
                      "--epochs", "30", "--batch-size", "16", "--width", "16", "--csv-out", c, "--json-out", j, "--chart", png).stdout
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertIn("activation", out)
        rows = list(csv.DictReader(open(c)))
        self.assertEqual([(r["activation"], r["depth"]) for r in rows],
                         [("relu", "1"), ("tanh", "1"), ("relu", "3"), ("tanh", "3")])
        data = json.load(open(j))
        self.assertEqual(len(data["runs"]), 8)
        self.assertEqual({r["seed"] for r in data["runs"]}, {1, 2})
        for r in data["table"]:
            self.assertGreater(r["test_accuracy_mean"], 0.6)
        relu = next(r for r in data["table"] if r["activation"] == "relu")
        self.assertIsNotNone(relu["dead_fraction"])
        self.assertIsNone(relu["saturated_fraction"])
        # relu is a rectifier with a zero region: its off units are its dead ones.
        self.assertEqual(relu["off_fraction"], relu["dead_fraction"])
        tanh = next(r for r in data["table"] if r["activation"] == "tanh")
        self.assertIsNone(tanh["dead_fraction"])
        self.assertIsNone(tanh["off_fraction"])
        self.assertIn("off_fraction", rows[0])

    def test_one_seed_prints_no_spread_and_fast_cells_their_time(self):
        args = ["--data", "xor", "--rows", "64", "--acts", "relu,tanh", "--depth", "1", "--epochs", "2", "--width", "4"]
        out = compare(*args, "--seeds", "1").stdout
        rows = [l for l in out.splitlines() if l.startswith(("relu ", "tanh "))]
        self.assertEqual(len(rows), 2, out)
        for row in rows:
            self.assertNotIn("±", row)
            seconds = float(row.split()[5])  # activation, depth, accuracy, epochs to target (n/m), s/epoch
            self.assertGreater(seconds, 0, row)  # a cell of 64 rows trains in well under 0.005 s per epoch
        table = json.loads(compare(*args, "--seeds", "1", "--json").stdout)["table"]
        self.assertTrue(all(r["test_accuracy_std"] is None for r in table), table)
        self.assertIn("±", compare(*args, "--seeds", "2").stdout)

    def test_errors(self):
        for args, needle in ((["--acts", "relux"], "relux"), (["--layers", "2-4-1"], "--acts, --depth"),
                             (["--depth", "0", "--data", "xor"], "--depth")):
            p = compare(*args, check=False)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn(needle, p.stderr)


@unittest.skipUnless(FASHION, "dataset-fashion-mnist not installed")
class Phenomena(unittest.TestCase):
    def run_cells(self, init, acts):
        j = os.path.join(TMP, f"{init}.json")
        compare("--acts", acts, "--depth", "10", "--seeds", "1", "--epochs", "2", "--init", init,
                "--json-out", j)
        return {r["activation"]: r for r in json.load(open(j))["table"]}

    def test_deep_networks(self):
        naive = self.run_cells("naive", "sigmoid")
        auto = self.run_cells("auto", "relu,tanh")
        # 10 sigmoid layers with N(0, 0.01^2) weights: chance accuracy, the
        # first layer's gradient ~1e-10 of the last's.
        self.assertLess(naive["sigmoid"]["test_accuracy_mean"], 0.3)
        self.assertLess(naive["sigmoid"]["grad_norm_ratio_first_last"], 1e-6)
        # ReLU with He init and tanh with Xavier init train.
        self.assertGreater(auto["relu"]["test_accuracy_mean"], 0.8)
        self.assertGreater(auto["tanh"]["test_accuracy_mean"], 0.8)
        ratio = auto["tanh"]["grad_norm_ratio_first_last"]
        self.assertTrue(0.1 < ratio < 10, ratio)

    def test_high_learning_rate_kills_relu_not_leaky_or_elu(self):
        # Adam at lr 0.03, 30x its default: large steps push ReLU units to
        # inputs <= 0 on every row, where f' = 0 and nothing brings them back.
        # Leaky ReLU's and ELU's units get pushed there as well ("off"), but
        # keep a gradient, fewer stay there and the networks train better.
        def cells(lr, acts):
            j = os.path.join(TMP, f"lr{lr}.json")
            compare("--acts", acts, "--depth", "2", "--width", "64", "--seeds", "3", "--epochs", "3",
                    "--optimizer", "adam", "--lr", lr, "--val-fraction", "0", "--json-out", j)
            data = json.load(open(j))
            return ({r["activation"]: r for r in data["table"]},
                    {a: [r["test_accuracy"] for r in data["runs"] if r["activation"] == a] for a in acts.split(",")})
        high, runs = cells("0.03", "relu,leaky_relu,elu")
        control, _ = cells("0.001", "relu")
        relu = high["relu"]
        self.assertLess(control["relu"]["dead_fraction"], 0.2, control)
        self.assertGreater(relu["dead_fraction"], 0.4, relu)
        for act in ("leaky_relu", "elu"):
            cell = high[act]
            self.assertIsNone(cell["dead_fraction"])  # f' is never exactly 0
            self.assertLess(cell["off_fraction"], 0.8 * relu["dead_fraction"], (act, cell, relu))
            self.assertGreater(cell["test_accuracy_mean"], relu["test_accuracy_mean"] + 0.005, (act, cell, relu))
            self.assertGreater(min(runs[act]), min(runs["relu"]), (act, runs))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
