#!/usr/bin/python3
"""actlab train / evaluate / predict refuse what cannot work before they start
(issue 10): flag ranges, --model beside the flags it replaces, output widths
and losses that cannot learn, paths that cannot be written, checkpoints with
NaN or inf weights. Each refusal is one line on stderr with exit code 2.
evaluate says which rows it scored, never scores labels the model does not
know, and reports regression metrics and a confusion matrix; predict takes the
training CSV and prints nothing before every row is read.

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
                 ("--seed", "1.5", "integer"), ("--seed", "1e3", "integer"), ("--threads", "-1", "[0, 1024]")]
        for flag, value, interval in cases:
            with self.subTest(flag=flag, value=value):
                self.refused(["train", "--data", "xor", flag, value], flag, value, interval)
        self.refused(["train", "--data", "xor", "--diagnose-every", "0"], "--diagnose-every", "[1, 1000000]")
        self.refused(["predict", "m.safetensors", "--top", "0"], "--top", "[1, 1000]")
        self.refused(["evaluate", "m.safetensors", "--threads", "-3"], "--threads", "[0, 1024]")
        self.refused(["bench", "--threads", "-1"], "--threads", "[0, 1024]")
        self.refused(["eval", "softmax", "--axis-size", "-1"], "--axis-size", "[1, ")
        self.refused(["compare", "--data", "xor", "--acts", "relu", "--depth", "2,-1"], "--depth", "[1, 1000]")
        self.refused(["compare", "--data", "xor", "--acts", "relu", "--depth", "1", "--target", "2"], "--target",
                     "[0, 1]")

    def test_library_errors_name_the_flags_the_cli_has(self):
        r = run("train", "--data", "xor", "--warmup", "100000", "--epochs", "2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("actlab: --warmup: 100000 leaves none of the run's", r.stderr)

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


def flower_csv(path, rows, species=("a", "b", "c"), offset=0):
    """Three separable classes in the middle column, with a header."""
    with open(path, "w") as f:
        f.write("x,species,y\n")
        for i in range(rows):
            k = species[(i + offset) % len(species)]
            c = {"a": 0, "b": 1, "c": 2}.get(k, 3)
            f.write(f"{c * 3 + (i % 7) * 0.1},{k},{-c * 2 + (i % 5) * 0.1}\n")
    return path


class Evaluate(Refusals):
    @classmethod
    def setUpClass(cls):
        cls.csv = flower_csv(os.path.join(TMP, "flowers.csv"), 60)
        cls.held = os.path.join(TMP, "held.safetensors")
        cls.none_held = os.path.join(TMP, "none-held.safetensors")
        common = ["train", "--csv", cls.csv, "--label", "species", "--layers", "2-8-3", "--epochs", "60",
                  "--batch-size", "8", "--lr", "0.02", "--quiet"]
        for path, fraction in ((cls.held, "0.2"), (cls.none_held, "0")):
            r = run(*common, "--val-fraction", fraction, "--save", path)
            assert r.returncode == 0, r.stderr

    def evaluate(self, *args):
        r = run("evaluate", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def test_says_which_rows_it_scored(self):
        r = self.evaluate(self.held, "--json")
        j = json.loads(r.stdout)
        self.assertEqual((j["split"], j["rows"]), ("validation", 12))
        self.assertEqual(r.stderr, "")
        self.assertIn(": 12 rows of flowers-validation, the validation rows the run held out\n",
                      self.evaluate(self.held).stdout)
        # The same file passed again is still the run's own: its held-out rows.
        self.assertEqual(json.loads(self.evaluate(self.held, "--csv", self.csv, "--json").stdout)["split"],
                         "validation")
        # Nothing held out: the training rows, with a warning.
        r = self.evaluate(self.none_held, "--json")
        self.assertEqual((json.loads(r.stdout)["split"], json.loads(r.stdout)["rows"]), ("train", 60))
        self.assertIn("warning", r.stderr)
        self.assertIn("--test-csv", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        other = flower_csv(os.path.join(TMP, "other.csv"), 9, offset=1)
        self.assertEqual(json.loads(self.evaluate(self.held, "--csv", other, "--json").stdout)["split"], "all")
        test = flower_csv(os.path.join(TMP, "test.csv"), 9, offset=2)
        j = json.loads(self.evaluate(self.none_held, "--test-csv", test, "--json").stdout)
        self.assertEqual((j["split"], j["rows"]), ("test", 9))

    def test_a_synthetic_set_flag_alone_keeps_the_runs_set(self):
        model = os.path.join(TMP, "spirals.safetensors")
        r = run("train", "--data", "spirals", "--rows", "200", "--layers", "2-8-1", "--epochs", "1", "--quiet",
                "--save", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(self.evaluate(model, "--rows", "400", "--json").stdout)
        self.assertEqual((j["data"], j["split"], j["rows"]), ("spirals (test)", "test", 100))

    def test_flags_it_cannot_honour_are_refused(self):
        self.refused(["evaluate", self.held, "--scale", "minmax"], "--scale", "scaler saved in the checkpoint")
        self.refused(["evaluate", self.held, "--val-fraction", "0.5"], "--val-fraction")
        self.refused(["evaluate", self.held, "--regression"], "--regression", "classifier")
        shown = run("evaluate", "--help").stdout
        self.assertNotIn("--scale", shown)
        self.assertNotIn("--val-fraction", shown)

    def test_labels_are_matched_to_the_model_by_name(self):
        # Only b and c: the file numbers them 0 and 1, the model 1 and 2.
        part = flower_csv(os.path.join(TMP, "bc.csv"), 12, species=("b", "c"))
        j = json.loads(self.evaluate(self.held, "--test-csv", part, "--json").stdout)
        self.assertEqual([c["rows"] for c in j["per_class"]], [0, 6, 6])
        self.assertEqual([c["name"] for c in j["per_class"]], ["a", "b", "c"])
        unknown = flower_csv(os.path.join(TMP, "abd.csv"), 12, species=("a", "b", "d"))
        self.refused(["evaluate", self.held, "--test-csv", unknown], unknown, "label 'd' (4 rows)",
                     "3 classes the model was trained on (a, b, c)")
        numbers = flower_csv(os.path.join(TMP, "numbers.csv"), 12, species=("0", "1", "2"))
        self.refused(["evaluate", self.held, "--csv", numbers], "label '0'", "(a, b, c)")
        # Training with such a test file is refused the same way.
        self.refused(["train", "--csv", self.csv, "--label", "species", "--test-csv", unknown], "label 'd'",
                     "classes of the training rows")

    def test_confusion_matrix(self):
        j = json.loads(self.evaluate(self.none_held, "--json").stdout)
        m = j["confusion"]
        self.assertEqual([sum(row) for row in m], [c["rows"] for c in j["per_class"]])
        self.assertEqual(sum(map(sum, m)), j["rows"])
        self.assertAlmostEqual(sum(m[k][k] for k in range(3)) / j["rows"], j["accuracy"], places=12)
        text = self.evaluate(self.none_held).stdout
        self.assertIn("confusion (rows: true class, columns: predicted):", text)
        self.assertIn("   2 c" + " " * 13 + "".join(f" {v:>6}" for v in m[2]), text)

    def test_regression_metrics_agree_with_the_predictions(self):
        train = self.write("reg-train.csv", "a,b,t\n" + "".join(f"{i % 5},{i % 3},{(i % 5) * 0.7 - (i % 3)}\n"
                                                                   for i in range(60)))
        test = self.write("reg-test.csv", "a,b,t\n" + "".join(f"{i % 4},{i % 3},{(i % 4) * 0.7 - (i % 3) + 0.1}\n"
                                                                 for i in range(17)))
        model = os.path.join(TMP, "reg.safetensors")
        r = run("train", "--csv", train, "--label", "t", "--regression", "--test-csv", test, "--layers", "2-8-1",
                "--epochs", "5", "--quiet", "--save", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(self.evaluate(model, "--json").stdout)
        self.assertEqual((j["split"], j["rows"]), ("test", 17))
        r = run("predict", model, "--csv", test, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        pred = [json.loads(line)["prediction"][0] for line in r.stdout.splitlines()]
        with open(test) as f:
            truth = [float(line.split(",")[2]) for line in f.read().splitlines()[1:]]
        n = len(truth)
        mean = sum(truth) / n
        sse = sum((p - t) ** 2 for p, t in zip(pred, truth))
        sst = sum((t - mean) ** 2 for t in truth)
        self.assertAlmostEqual(j["rmse"], (sse / n) ** 0.5, delta=1e-5)
        self.assertAlmostEqual(j["mae"], sum(abs(p - t) for p, t in zip(pred, truth)) / n, delta=1e-5)
        self.assertAlmostEqual(j["r2"], 1 - sse / sst, delta=1e-5)
        self.assertAlmostEqual(j["loss"], sse / n, delta=1e-5)
        text = self.evaluate(model).stdout
        for key in ("rmse", "mae", "r2"):
            self.assertIn(f"\n{key} ", text)


class Predict(Refusals):
    def test_the_training_csv_is_valid_input(self):
        csv = flower_csv(os.path.join(TMP, "predict.csv"), 30)
        model = os.path.join(TMP, "predict.safetensors")
        r = run("train", "--csv", csv, "--label", "species", "--layers", "2-4-3", "--epochs", "2", "--quiet",
                "--save", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        for extra in ([], ["--label", "species"], ["--label", "1"]):
            r = run("predict", model, "--csv", csv, "--json", *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            rows = [json.loads(line) for line in r.stdout.splitlines()]
            self.assertEqual([row["row"] for row in rows], list(range(1, 31)))
            self.assertTrue(all(row["name"] in ("a", "b", "c") for row in rows))
        self.refused(["predict", model, "--csv", csv, "--input", csv], "--csv and --input")
        self.refused(["predict", model, "--label", "species"], "--label", "--csv")
        self.refused(["predict", model, "--csv", csv, "--label", "y"], csv, "species", "not a number")
        # Given as plain rows, the header gets a pointer to --csv.
        self.refused(["predict", model, "--input", csv], "line 1", "--csv FILE")

    def test_nothing_is_printed_before_every_row_is_read(self):
        model = os.path.join(TMP, "rows.safetensors")
        self.assertEqual(run(*XOR, "--save", model).returncode, 0)
        r = self.refused(["predict", model], "stdin line 3", "not a finite number", stdin="0 1\n1 0\n1 x\n")
        self.assertEqual(r.stdout, "")
        r = self.refused(["predict", model], "stdin line 2", "3 values", stdin="0 1\n1 0 1\n")
        self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
