#!/usr/bin/python3
"""docs/json.md against the programs: every field a command's --json prints is
documented there, and every documented field (not marked *optional*) is printed.
Usage: json_fields_test.py ACTLAB DOCS_JSON_MD"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

ACTLAB, DOC = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="actlab-json-test-")


def parse_doc(path):
    """{section command: {path: (optional, opaque)}} from the field tables."""
    sections, current = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^## `actlab (\w+)", line)
            if m:
                current = sections.setdefault(m.group(1), {})
                continue
            m = re.match(r"^\| `([^`]+)` \| (.*) \|$", line.rstrip("\n"))
            if m and current is not None:
                meaning = m.group(2)
                # A map (names chosen by the data, "name → number") is checked
                # as a whole, not field by field.
                current[m.group(1)] = (meaning.startswith("*optional*"),
                                       "→" in meaning or "checked as a whole" in meaning)
    return sections


def walk(value, path, out, opaque):
    if isinstance(value, dict):
        for k, v in value.items():
            p = f"{path}.{k}" if path else k
            out.add(p)
            if p not in opaque:
                walk(v, p, out, opaque)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, (dict, list)):
                walk(v, path + "[]", out, opaque)


def run(*args, stdin=None):
    p = subprocess.run([ACTLAB, *args], capture_output=True, text=True, input=stdin, timeout=600)
    if p.returncode:
        raise AssertionError(f"actlab {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def objects(text):
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


DOCS = parse_doc(DOC)


class Fields(unittest.TestCase):
    def check(self, section, *outputs):
        self.assertIn(section, DOCS, f"docs/json.md has no section for actlab {section}")
        fields = DOCS[section]
        opaque = {p for p, (_, o) in fields.items() if o}
        seen = set()
        for text in outputs:
            for obj in objects(text):
                walk(obj, "", seen, opaque)
        undocumented = sorted(seen - set(fields))
        missing = sorted(p for p, (optional, _) in fields.items() if not optional and p not in seen)
        self.assertEqual(undocumented, [], f"actlab {section}: printed but not in docs/json.md")
        self.assertEqual(missing, [], f"actlab {section}: in docs/json.md but not printed")

    @classmethod
    def setUpClass(cls):
        cls.model = os.path.join(TMP, "moons.safetensors")
        cls.metrics = os.path.join(TMP, "moons.json")
        run("train", "--data", "moons", "--rows", "200", "--layers", "2-8-2", "--epochs", "2", "--quiet",
            "--save", cls.model, "--metrics-out", cls.metrics, "--diagnose", "--diagnose-every", "5")
        csv = os.path.join(TMP, "r.csv")
        with open(csv, "w") as f:
            f.write("a,b,y\n" + "".join(f"{i % 5},{i % 3},{i % 5 + i % 3}\n" for i in range(40)))
        cls.regression = os.path.join(TMP, "regression.safetensors")
        run("train", "--csv", csv, "--label", "y", "--regression", "--layers", "2-4-1", "--epochs", "2",
            "--quiet", "--save", cls.regression)

    def test_list(self):
        self.check("list", run("list", "--json"), run("list", "elu", "--json"), run("list", "threshold", "--json"))

    def test_info(self):
        self.check("info", run("info", "--json"))

    def test_train(self):
        with open(self.metrics) as f:
            written = f.read()
        printed = run("train", "--data", "moons", "--rows", "200", "--layers", "2-8-2", "--epochs", "2", "--json",
                      "--diagnose", "--diagnose-every", "5")
        plain = run("train", "--data", "xor", "--rows", "16", "--layers", "2-4-1", "--act", "sigmoid",
                    "--epochs", "2", "--val-fraction", "0", "--json")
        self.assertNotIn("diagnostics", json.loads(plain))
        self.check("train", written, printed, plain)

    def test_plot(self):
        self.check("plot", run("plot", "relu", "gelu", "--out", os.path.join(TMP, "a.svg"), "--json"),
                   run("plot", "softmax", "--logits", "1,2,3", "--out", os.path.join(TMP, "s.svg"), "--json"),
                   run("plot", "--run", self.metrics, "--out", os.path.join(TMP, "c.svg"), "--json"))

    def test_report(self):
        self.check("report", run("report", self.metrics, "--out", os.path.join(TMP, "r.html"), "--json"))

    def test_bench(self):
        self.check("bench", run("bench", "--only", "relu", "--json"))

    def test_evaluate(self):
        self.check("evaluate", run("evaluate", self.model, "--json"), run("evaluate", self.regression, "--json"))

    def test_predict(self):
        self.check("predict", run("predict", self.model, "--json", stdin="0.1 0.2\n1 -1\n"),
                   run("predict", self.regression, "--json", stdin="1 2\n"))

    def test_diagnose(self):
        # Deep sigmoid with naive init: a finding, so its fields are printed too.
        out = run("diagnose", "--data", "moons", "--rows", "400", "--layers", "2-16-16-16-16-16-16-2",
                  "--act", "sigmoid", "--init", "naive", "--epochs", "2", "--json")
        self.assertTrue(json.loads(out)["findings"])
        self.check("diagnose", out, run("diagnose", "--run", self.metrics, "--json"))

    def test_compare(self):
        self.check("compare", run("compare", "--data", "moons", "--rows", "200", "--acts", "relu,tanh,leaky_relu",
                                  "--depth", "1", "--epochs", "2", "--width", "4", "--json"))

    def test_recommend(self):
        self.check("recommend", run("recommend", "--task", "multiclass", "--run", self.metrics, "--json"),
                   run("recommend", "--task", "binary", "--depth", "12", "--json"))

    def test_every_section_is_checked(self):
        tested = {name[len("test_"):] for name in dir(self) if name.startswith("test_")}
        self.assertEqual(sorted(set(DOCS) - tested), [], "docs/json.md sections without a test")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
