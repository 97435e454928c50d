#!/usr/bin/python3
"""actlab recommend: the guide per task and depth, advice from a run's measured
findings, errors. Usage: recommend_cli_test.py ACTLAB"""
import json
import os
import shutil
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

    def trained(self, *flags):
        """A run folder of a small real run, its findings replaced by `findings` later."""
        folder = tempfile.mkdtemp(prefix="actlab-rec-test-")
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        subprocess.run([ACTLAB, "train", "--data", "xor", "--rows", "32", "--layers", "2-4-4-1", "--epochs", "1",
                        "--quiet", "--diagnose", "--run-dir", folder, *flags], check=True, capture_output=True)
        return folder

    def with_findings(self, folder, findings):
        path = os.path.join(folder, "metrics.json")
        with open(path) as f:
            m = json.load(f)
        m["diagnostics"]["findings"] = findings
        with open(path, "w") as f:
            json.dump(m, f)

    def test_run_folder_is_read_as_its_metrics_file(self):
        folder = self.trained()
        by_folder = json.loads(rec("--task", "binary", "--run", folder, "--json").stdout)
        by_file = json.loads(rec("--task", "binary", "--run", os.path.join(folder, "metrics.json"), "--json").stdout)
        self.assertEqual(by_folder["recommendations"], by_file["recommendations"])
        self.assertEqual(by_folder["facts"], by_file["facts"])
        self.assertEqual(by_folder["run"], folder)

    def test_advice_leaves_out_what_the_run_already_does(self):
        saturated = {"kind": "saturation", "layers": [1], "figures": {}, "message": "90% of layer 1 saturated",
                     "advice": "scale the inputs"}
        folder = self.trained("--act", "tanh", "--init", "xavier", "--norm", "batch")
        self.with_findings(folder, [saturated])
        v = values(rec("--run", folder, "--json").stdout)
        facts = json.loads(rec("--run", folder, "--json").stdout)["facts"]
        # Saturation advises xavier init and batch normalisation: this run has both.
        self.assertNotIn("init", v)
        self.assertNotIn("normalization", v)
        self.assertIn("the run already uses --init xavier: not suggested again", facts)
        self.assertIn("the run's model already has batch layers: not suggested again", facts)
        self.assertEqual(v["hidden_activation"]["value"], "relu (or gelu/silu)")  # the run has tanh
        # Another run (relu, he) gets them.
        folder = self.trained("--act", "relu", "--init", "he")
        self.with_findings(folder, [saturated])
        v = values(rec("--run", folder, "--json").stdout)
        self.assertEqual(v["init"]["value"], "xavier (if keeping tanh/sigmoid)")
        self.assertEqual(v["normalization"]["value"], "batch")
        self.assertEqual(v["hidden_activation"]["value"], "gelu or silu")
        # leaky_relu with dead units (auto init: He): elu, not leaky_relu again; no "he" either.
        folder = self.trained("--act", "leaky_relu")
        self.with_findings(folder, [{"kind": "dead_units", "layers": [1], "figures": {}, "message": "dead",
                                     "advice": ""}])
        v = values(rec("--run", folder, "--json").stdout)
        self.assertEqual(v["hidden_activation"]["value"], "elu")
        self.assertNotIn("init", v)
        facts = json.loads(rec("--run", folder, "--json").stdout)["facts"]
        self.assertIn("the run already uses --act leaky_relu: not suggested again", facts)
        self.assertIn("the run already uses --init he: not suggested again", facts)

    def test_columns_line_up(self):
        folder = self.trained("--act", "relu")
        self.with_findings(folder, [{"kind": "saturation", "layers": [1], "figures": {}, "message": "m",
                                     "advice": "a"}])
        rows = [l for l in rec("--run", folder).stdout.splitlines() if not l.startswith(("task:", "  ("))]
        self.assertGreater(len(rows), 4)
        starts = {len(l) - len(l.split("  ", 1)[1].lstrip()) for l in rows}
        self.assertEqual(len(starts), 1, rows)  # every value starts in the same column
        reason = {l.index(r["reason"]) for l in rows for r in values(rec("--run", folder, "--json").stdout).values()
                  if r["reason"] and r["reason"] in l}
        self.assertEqual(len(reason), 1, rows)  # and every reason

    def test_underfitting_asks_for_more_steps(self):
        path = self.write({"findings": [{"kind": "underfitting", "layers": [0, 2], "figures": {},
                                         "message": "the training loss is 91% of a constant guess's",
                                         "advice": "train for more steps"}]})
        v = values(rec("--run", path, "--json").stdout)
        self.assertIn("--epochs", v["training"]["value"])
        self.assertIn("--batch-size", v["training"]["value"])
        self.assertIn("91%", v["training"]["reason"])
        self.assertEqual(v["learning_rate"]["source"], "underfitting")

    def test_errors(self):
        empty = tempfile.mkdtemp(prefix="actlab-rec-test-")
        self.addCleanup(os.rmdir, empty)
        for args, needle in ((["--run", "/nonexistent.json"], "no such file or folder"),
                             (["--run", empty], "no metrics.json in this folder"), (["--task", "ranking"], "ranking"),
                             (["--depth", "0"], "depth")):
            p = rec(*args, check=False)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn(needle, p.stderr)
            self.assertNotIn("internal error", p.stderr)
        path = self.write({"something": 1})
        p = rec("--run", path, check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("neither findings nor epochs", p.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
