#!/usr/bin/python3
"""actlab recommend: the guide per task and depth, advice from a run's measured
findings, errors. Usage: recommend_cli_test.py ACTLAB"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ACTLAB = sys.argv[1]


def rec(*args, check=True):
    p = subprocess.run([ACTLAB, "recommend", *args], capture_output=True, text=True)
    if check and p.returncode:
        raise AssertionError(p.stderr)
    return p


def values(out):
    return {r["topic"]: r for r in json.loads(out)["recommendations"]}


class Guide(unittest.TestCase):
    def test_output_and_loss_follow_the_task(self):
        for task, out, loss in (("binary", "sigmoid", "bce"), ("multiclass", "softmax", "cross_entropy"),
                                ("regression", "identity", "mse")):
            v = values(rec("--task", task, "--json").stdout)
            self.assertEqual(v["output_activation"]["value"], out)
            self.assertEqual(v["loss"]["value"], loss)
            self.assertTrue(all(r["reason"] for r in v.values()))

    def test_depth_changes_the_advice(self):
        deep = values(rec("--depth", "12", "--json").stdout)
        self.assertEqual(deep["hidden_activation"]["value"], "relu")
        self.assertEqual(deep["init"]["value"], "he")
        self.assertIn("normalization", deep)
        self.assertNotIn("normalization", values(rec("--depth", "2", "--json").stdout))


class MeasuredRun(unittest.TestCase):
    def write(self, obj):
        f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(obj, f)
        f.close()
        self.addCleanup(os.remove, f.name)
        return f.name

    def test_dead_units_lead_to_leaky_relu(self):
        path = self.write({"epochs": [], "final": {"test_accuracy": 0.71},
                           "diagnostics": {"findings": [{"kind": "dead_units", "layers": [2],
                                                         "message": "40% of layer 2's units are dead",
                                                         "advice": "try leaky_relu or a lower --lr"}]}})
        v = values(rec("--run", path, "--json").stdout)
        self.assertEqual(v["hidden_activation"]["value"], "leaky_relu or elu")
        self.assertEqual(v["hidden_activation"]["source"], "dead_units")
        self.assertIn("40%", v["hidden_activation"]["reason"])
        self.assertEqual(v["loss"]["source"], "guide")
        text = rec("--run", path).stdout
        self.assertIn("[measured: dead_units]", text)
        self.assertIn("71.00%", text)

    def test_diagnose_output_and_vanishing(self):
        path = self.write({"findings": [{"kind": "vanishing_gradients", "layers": [0, 9],
                                         "message": "layer 0's gradient norm is 1e-6 of layer 9's", "advice": ""}]})
        v = values(rec("--run", path, "--json").stdout)
        self.assertEqual(v["init"]["value"], "he")
        self.assertEqual(v["hidden_activation"]["source"], "vanishing_gradients")

    def test_errors(self):
        for args, needle in ((["--run", "/nonexistent.json"], "cannot open"), (["--task", "ranking"], "ranking"),
                             (["--depth", "0"], "depth")):
            p = rec(*args, check=False)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn(needle, p.stderr)
        path = self.write({"something": 1})
        p = rec("--run", path, check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("neither findings nor epochs", p.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
