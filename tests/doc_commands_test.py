#!/usr/bin/env python3
"""Every command shown in README.md and docs/*.md runs as written, and says what the docs say it says.

What counts as a command: in a fenced block that is not C++ or JSON, a line (continued with a trailing
backslash) that starts with `build/actlab SUB`, `actlab SUB` or `$ actlab SUB` (SUB: a subcommand of
`actlab --help`), that pipes into one (`echo ... | build/actlab ...`), or that runs a benchmark
(`build/bench/...`, `... bench/*.py`); and in prose, an inline `actlab SUB ...` or `build/actlab SUB ...`.
Each is checked by what it is:

- a command: run with bash, in document order, in one scratch folder per document (so
  `train --save m.safetensors` feeds the `evaluate m.safetensors` below it). It must exit 0, and every
  file it is told to write (`--out`, `--save`, `--metrics-out`, `--run-dir`, `--chart`, ...) must exist.
- a synopsis (`[optional]`, `NAME...`, upper-case placeholders, `a|b` alternatives): every `--flag` it
  names must be one that `actlab SUB --help` lists; then the part before the first `[` runs when it
  has no placeholder left, once per alternative of an `a|b|c` value.
- an inline `actlab ...` in prose: its flags are checked as a synopsis's; the prose form "`CMD` →
  `MESSAGE`" runs CMD and wants a non-zero exit with MESSAGE on stderr; an inline `build/actlab ...`
  without placeholders runs.
- a `$ actlab ...` line followed by what it prints: the output must have the same lines in the same
  shape: a shown line without digits appears verbatim, a shown line with digits matches an actual line
  with every decimal or exponent number as a wildcard (integers, the step counts and layer numbers,
  must be equal); "..." lines stand for lines left out.
- `./setup.sh`: not run (this test is one of the steps it runs).
- benchmarks: run as written with a quick suffix (two activations, short timing; one epoch, one
  thread), since in full they take minutes and their figures are not checked here; a comparator that
  was not built (oneDNN is optional) is said and skipped; without the bench venv (torch 2.x,
  bench/setup-bench.sh) the scripts run under /usr/bin/python3 (Debian's torch 1.13), and say so.

The reader's own data that the docs name get fixtures made here: `iris.csv` (150 rows of four
measurements and a `species` of three names, drawn around the iris data's class means) and `rows.txt`
(Fashion-MNIST test images as rows of 784 pixels). Commands that train on Fashion-MNIST (the default
data) read a 6,000 + 1,000 row subset of it through $ACTLAB_FASHION_MNIST, so the 80-odd trainings of
the docs' `compare` lines take seconds; a block that shows its output runs on the full set, as shown.

usage: doc_commands_test.py SOURCE_DIR ACTLAB [BENCH_DIR]
"""
import gzip
import os
import pathlib
import random
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time

FASHION = pathlib.Path("/usr/share/datasets/fashion-mnist")
SUBSET_ROWS = {"train": 6000, "t10k": 1000}
PATH_FLAGS = ("--out", "--save", "--metrics-out", "--run-dir", "--chart", "--csv-out", "--json-out")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?%?|[-+]?inf|nan")


# ---- the documents --------------------------------------------------------------------------------

class Item:
    """One command of a document: where it is, its text, what it is and what the docs show it print."""

    def __init__(self, where, text, kind, expect_error=None, prompted=False):
        self.where, self.text, self.kind = where, text, kind
        self.shown = []  # the lines a prompted ("$ ") command is shown printing
        self.expect_error = expect_error
        self.prompted = prompted


def strip_comment(command):
    """The command without a trailing '# comment' (outside quotes)."""
    quote = None
    for i, c in enumerate(command):
        if quote:
            quote = None if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c == "#" and (i == 0 or command[i - 1].isspace()):
            return command[:i].rstrip()
    return command.rstrip()


def command_start(line, subcommands):
    """The command a line holds (prompt and comment removed), or None when it holds none."""
    text = line.strip()
    if text.startswith("$ "):
        text = text[2:].strip()
    text = strip_comment(text)
    if not text:
        return None
    if text.startswith("./setup.sh") or text.startswith("build/bench/") or re.match(r"^\S*python3? bench/", text):
        return text
    for part in re.split(r"\s+(?:\||&&)\s+", text):
        words = part.split()
        # build/actlab and a prompt always mean a command (a misspelt subcommand is then an error);
        # a bare "actlab ..." in printed output ("actlab SIMD target: ...") only with a real subcommand.
        if len(words) >= 2 and (words[0] == "build/actlab" or line.strip().startswith("$ ")
                                or (words[0] == "actlab" and words[1] in subcommands)):
            return text
    return None


def is_synopsis(command):
    body = re.sub(r"\"[^\"]*\"|'[^']*'", "", command)  # quoted text (echo's rows) is data, not syntax
    return bool(re.search(r"\[|\.\.\.|(?<![\w-])[A-Z][A-Z0-9_]*(?![\w-])|\w\|\w", body))


def document_items(doc, rel, subcommands):
    lines = doc.read_text().splitlines()
    items, i = [], 0
    prose = []  # (line number, text) outside fenced blocks, for the inline commands
    while i < len(lines):
        fence = re.match(r"^\s*```(\S*)\s*$", lines[i])
        if not fence:
            prose.append((i + 1, lines[i]))
            i += 1
            continue
        lang, start = fence.group(1), i + 1
        i += 1
        block = []
        while i < len(lines) and not lines[i].strip().startswith("```"):
            block.append((i + 1, lines[i]))
            i += 1
        i += 1
        if lang in ("cpp", "c++", "json", "python"):
            continue
        current = None
        j = 0
        while j < len(block):
            number, line = block[j]
            while line.rstrip().endswith("\\") and j + 1 < len(block):
                j += 1
                line = line.rstrip()[:-1] + " " + block[j][1].strip()
            command = command_start(line, subcommands)
            if command:
                kind = "skip" if command.startswith("./setup.sh") else "synopsis" if is_synopsis(command) else "run"
                current = Item(f"{rel}:{number}", command, kind, prompted=line.strip().startswith("$ "))
                items.append(current)
            elif current is not None and current.prompted and line.strip():
                current.shown.append(line)
            j += 1
    # Inline commands: paragraphs joined, so a span may cross a line break.
    text = "\n".join(t for _, t in prose)
    offsets = []
    position = 0
    for number, t in prose:
        offsets.append((position, number))
        position += len(t) + 1
    joined = text.replace("\n", " ")
    for m in re.finditer(r"`((?:build/)?actlab [^`]+)`(\s*→\s*`([^`]+)`)?", joined):
        command = m.group(1).strip()
        words = command.split()
        if words[1] not in subcommands:
            continue
        number = max(n for p, n in offsets if p <= m.start())
        where = f"{rel}:{number}"
        if m.group(3):
            items.append(Item(where, command, "error", expect_error=m.group(3)))
        elif command.startswith("build/actlab"):
            items.append(Item(where, command, "synopsis" if is_synopsis(command) else "run"))
        else:
            items.append(Item(where, command, "flags"))
    items.sort(key=lambda it: int(it.where.rsplit(":", 1)[1]))
    return items


# ---- fixtures ----------------------------------------------------------------------------------------

def read_idx(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return f.read()


def idx_file(folder, stem):
    for name in (stem, stem + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise SystemExit(f"doc_commands_test: {folder}/{stem} missing (apt install dataset-fashion-mnist)")


def fashion_subset(dest):
    """The first rows of each Fashion-MNIST split, as a folder of the four IDX files."""
    dest.mkdir()
    for split, rows in SUBSET_ROWS.items():
        images = read_idx(idx_file(FASHION, f"{split}-images-idx3-ubyte"))
        labels = read_idx(idx_file(FASHION, f"{split}-labels-idx1-ubyte"))
        magic, _, height, width = struct.unpack(">IIII", images[:16])
        (dest / f"{split}-images-idx3-ubyte").write_bytes(
            struct.pack(">IIII", magic, rows, height, width) + images[16:16 + rows * height * width])
        (dest / f"{split}-labels-idx1-ubyte").write_bytes(
            struct.pack(">II", struct.unpack(">I", labels[:4])[0], rows) + labels[8:8 + rows])
    test = (dest / "t10k-images-idx3-ubyte").read_bytes()[16:]
    return [" ".join(str(b) for b in test[r * 784:(r + 1) * 784]) for r in range(3)]


def iris_csv():
    """150 rows shaped as the iris data: four measurements (cm) and the species' name."""
    means = {"setosa": (5.01, 3.43, 1.46, 0.25), "versicolor": (5.94, 2.77, 4.26, 1.33),
             "virginica": (6.59, 2.97, 5.55, 2.03)}
    spread = (0.4, 0.3, 0.35, 0.15)
    rng = random.Random(1936)
    rows = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    for i in range(150):
        species = list(means)[i % 3]
        values = [max(0.1, rng.gauss(m, s)) for m, s in zip(means[species], spread)]
        rows.append(",".join(f"{v:.1f}" for v in values) + "," + species)
    return "\n".join(rows) + "\n"


def workspace(root, name, source_dir, actlab, bench_dir, image_rows):
    """A scratch folder laid out as the docs assume: build/actlab, build/bench/, bench/, examples/."""
    work = root / name
    (work / "build").mkdir(parents=True)
    (work / "build" / "actlab").symlink_to(actlab)
    if bench_dir and bench_dir.is_dir():
        (work / "build" / "bench").symlink_to(bench_dir)
    if bench_dir and (bench_dir.parent / "bench-venv").is_dir():
        (work / "build" / "bench-venv").symlink_to(bench_dir.parent / "bench-venv")
    (work / "bench").symlink_to(source_dir / "bench")
    shutil.copytree(source_dir / "examples", work / "examples")
    (work / "iris.csv").write_text(iris_csv())
    (work / "rows.txt").write_text("\n".join(image_rows) + "\n")
    return work


# ---- the checks -----------------------------------------------------------------------------------------

def help_flags(actlab, sub, cache={}):
    if sub not in cache:
        out = subprocess.run([actlab, sub, "--help"], capture_output=True, text=True).stdout
        cache[sub] = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", out))
    return cache[sub]


def flags_problems(actlab, command, subcommands):
    """What in a command (or synopsis) is not a flag of its subcommand."""
    problems = []
    for part in re.split(r"\s+(?:\||&&)\s+", strip_comment(command)):
        words = part.split()
        if len(words) < 2 or words[0] not in ("actlab", "build/actlab"):
            continue
        if words[1] not in subcommands:
            problems.append(f"`{words[1]}` is not a subcommand of `actlab --help`")
            continue
        known = help_flags(actlab, words[1])
        for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", re.sub(r"\"[^\"]*\"|'[^']*'", "", part)):
            if flag not in known:
                problems.append(f"`actlab {words[1]} --help` lists no {flag}")
    return problems


def runnable_forms(synopsis):
    """The commands a synopsis's required part stands for, or [] when a placeholder is left in it."""
    head = strip_comment(synopsis).split(" [", 1)[0].strip()
    choices = re.findall(r"(?<=\s)([a-z0-9_]+(?:\|[a-z0-9_]+)+)(?=\s|$)", head)
    if len(choices) > 1:
        return []
    forms = [head.replace(choices[0], c) for c in choices[0].split("|")] if choices else [head]
    return [] if any(is_synopsis(f) for f in forms) else forms


def written_paths(command):
    paths = []
    words = shlex.split(strip_comment(command))
    for flag, value in zip(words, words[1:]):
        if flag in PATH_FLAGS:
            paths.append(value)
    return paths


def skeleton(line):
    """A line with its decimal and exponent numbers made wildcards and its spacing collapsed."""
    def one(m):
        token = m.group(0)
        return token if re.fullmatch(r"[-+]?\d+", token) else "#"
    return " ".join(NUMBER.sub(one, line).split())


def shown_problems(shown, actual):
    actual_lines = [line.strip() for line in actual.splitlines()]
    actual_shapes = {skeleton(line) for line in actual_lines}
    problems = []
    for line in shown:
        text = line.strip()
        if text in ("...", "…"):
            continue
        if not re.search(r"\d", text):
            if text not in actual_lines:
                problems.append(f"shown, but not printed: {text}")
        elif skeleton(text) not in actual_shapes:
            problems.append(f"printed in another shape (or not at all): {text}")
    return problems


VENV_PYTHON = "build/bench-venv/bin/python"
BENCH_QUICK = [  # (what a benchmark line starts with, what is appended to keep it short)
    (re.compile(r"\S*python3? bench/compare\.py\b"), " --only relu,gelu --min-time 0.01"),
    (re.compile(r"\S*python3? bench/train_bench\.py\b"), " --epochs 1 --threads 1"),
    (re.compile(r"build/bench/fma_peak\b"), " --seconds 0.05"),
    (re.compile(r"build/bench/actlab_bench\b"), " --benchmark_filter='relu' --benchmark_min_time=0.01"),
    (re.compile(r"build/actlab bench\b"), " --only relu"),
]


def main():
    source_dir, actlab = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2]).resolve()
    bench_dir = pathlib.Path(sys.argv[3]).resolve() if len(sys.argv) > 3 else None
    top = subprocess.run([actlab, "--help"], capture_output=True, text=True).stdout
    subcommands = set(re.findall(r"^\s{2}([a-z]+)\s", top.split("SUBCOMMANDS", 1)[-1], re.M))
    assert {"train", "list", "eval", "plot"} <= subcommands, f"subcommands not found in --help:\n{top}"

    root = pathlib.Path(tempfile.mkdtemp(prefix="actlab-doc-commands-"))
    image_rows = fashion_subset(root / "fashion-mnist-subset")
    env = dict(os.environ, ACTLAB_FASHION_MNIST=str(root / "fashion-mnist-subset"))
    env.pop("OMP_NUM_THREADS", None)

    docs = [source_dir / "README.md"] + sorted((source_dir / "docs").glob("*.md"))
    passed, failed, counts = 0, 0, {}
    for doc in docs:
        rel = str(doc.relative_to(source_dir))
        items = document_items(doc, rel, subcommands)
        if not items:
            continue
        work = workspace(root, doc.stem, source_dir, actlab, bench_dir, image_rows)
        for item in items:
            counts[item.kind] = counts.get(item.kind, 0) + 1
            problems, note = [], ""
            if item.kind == "skip":
                print(f"skip {item.where}: {item.text} (this test is one of the steps it runs)")
                continue
            if item.kind != "error":  # an error example names a wrong flag on purpose
                problems += flags_problems(actlab, item.text, subcommands)
            commands = []
            if item.kind == "run":
                commands = [item.text]
            elif item.kind == "synopsis":
                commands = runnable_forms(item.text)
                note = f"flags checked; ran {len(commands)} form(s) of its required part" if commands else "flags checked"
            elif item.kind == "flags":
                note = "flags checked"
            elif item.kind == "error":
                commands = [item.text]
            for command in commands:
                quick = ""
                for pattern, suffix in BENCH_QUICK:
                    if pattern.match(command):
                        quick = suffix
                first = command.split()[0]
                if first.startswith("build/bench/") and not (work / first).exists():
                    note = f"{first} was not built (an optional benchmark): not run"
                    continue
                for flag, path in re.findall(r"(--[a-z-]+) (build/bench/\S+)", command):
                    if not (work / path).exists():  # an optional comparator (oneDNN): run without it
                        command = command.replace(f" {flag} {path}", "")
                        note = (note + "; " if note else "") + f"{path} was not built: ran without {flag}"
                run_env = env
                if item.shown:  # what it prints is shown: the data it was shown on
                    run_env = {k: v for k, v in env.items() if k != "ACTLAB_FASHION_MNIST"}
                shell = command.replace("$ ", "", 1) if command.startswith("$ ") else command
                shell = re.sub(r"(?<![\w/.-])actlab(?= )", "build/actlab", shell)
                shell = strip_comment(shell) + quick
                if shell.startswith(VENV_PYTHON) and not (work / VENV_PYTHON).exists():
                    # The bench venv (torch 2.x, bench/setup-bench.sh) is never part of a test set-up;
                    # the benchmark scripts run under Debian's torch as well.
                    shell = "/usr/bin/python3" + shell[len(VENV_PYTHON):]
                    note = (note + "; " if note else "") + f"{VENV_PYTHON} absent: ran under /usr/bin/python3"
                began = time.monotonic()
                r = subprocess.run(["bash", "-c", shell], cwd=work, env=run_env, capture_output=True, text=True,
                                   timeout=900)
                seconds = time.monotonic() - began
                note = (note + "; " if note else "") + f"{seconds:.1f} s" + (f" (with{quick})" if quick else "")
                if item.kind == "error":
                    if r.returncode == 0:
                        problems.append("exits 0, but the docs show an error")
                    elif item.expect_error not in " ".join(r.stderr.split()):
                        problems.append(f"the error is not `{item.expect_error}`: {r.stderr.strip()[:300]}")
                    continue
                if r.returncode != 0:
                    problems.append(f"exits {r.returncode}: {(r.stderr.strip() or r.stdout.strip())[-600:]}")
                    continue
                for path in written_paths(shell):
                    if not (work / path).exists():
                        problems.append(f"{path} was not written")
                if item.shown:
                    problems += shown_problems(item.shown, r.stdout)
                    note += f"; its {len(item.shown)} shown lines printed alike"
            if problems:
                failed += 1
                print(f"FAIL {item.where}: {item.text}")
                for p in problems:
                    print(f"       {p}")
            else:
                passed += 1
                print(f"ok   {item.where}: {item.text[:100]}{'...' if len(item.text) > 100 else ''} [{item.kind}]"
                      + (f" {note}" if note else ""))
    shutil.rmtree(root, ignore_errors=True)
    print(f"{passed} passed, {failed} failed ({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))})")
    assert passed + failed > 20, "fewer than 20 commands found in README.md and docs/: the parser is broken"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
