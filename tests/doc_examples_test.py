#!/usr/bin/env python3
"""Every C++ block of README.md and docs/*.md compiles against the library and runs.

A block is a fragment, as a reader sees it: its #include, namespace-alias and using lines go to file
scope, the rest becomes the body of main(), after a prelude that declares the few names the fragments
use as placeholders for the reader's own data (x, y, dy, dx, n; epochs, train_loss, val_loss).
A block that defines main() itself is compiled as it is. A fragment that draws ends, as a program
should, with plot::release_caches() (include/actlab/plot.h), so that the leak checker of a sanitized
build sees cairo's and fontconfig's caches freed rather than reports them.

usage: doc_examples_test.py SOURCE_DIR CXX INCLUDE_DIR LIBRARY [EXTRA_FLAG ...]
"""
import pathlib
import re
import subprocess
import sys
import tempfile

PRELUDE = """\
  [[maybe_unused]] float x[8] = {-3.0f, -1.0f, -0.5f, 0.0f, 0.25f, 1.0f, 2.0f, 40.0f};
  [[maybe_unused]] float y[8], dx[8];
  [[maybe_unused]] float dy[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  [[maybe_unused]] size_t n = 8;
  [[maybe_unused]] std::vector<double> epochs = {1, 2, 3}, train_loss = {0.9, 0.5, 0.4}, val_loss = {1.0, 0.6, 0.5};
"""
FILE_SCOPE = re.compile(r"^\s*(#include\b|namespace\s+\w+\s*=|using\s+namespace\b)")


def cpp_blocks(source_dir):
    docs = [source_dir / "README.md"] + sorted((source_dir / "docs").glob("*.md"))
    for doc in docs:
        lines = doc.read_text().splitlines()
        i = 0
        while i < len(lines):
            if re.match(r"^\s*```(cpp|c\+\+)\s*$", lines[i]):
                start = i + 1
                i += 1
                while not lines[i].strip().startswith("```"):
                    i += 1
                yield f"{doc.relative_to(source_dir)}:{start}", lines[start:i]
            i += 1


def program(block):
    if any(re.search(r"\bint\s+main\s*\(", line) for line in block):
        return "\n".join(block) + "\n"
    top = [line for line in block if FILE_SCOPE.match(line)]
    body = [line for line in block if not FILE_SCOPE.match(line)]
    head = "#include <cstddef>\n#include <vector>\n" + "\n".join(top)
    draws = any(re.search(r"actlab/(plot|charts)\.h", line) for line in top)
    if draws:
        head += '\n#include "actlab/plot.h"'
    ending = "\n  actlab::plot::release_caches();" if draws else ""
    return (f"{head}\n\nint main() {{\n{PRELUDE}\n" + "\n".join("  " + b for b in body) + ending
            + "\n  return 0;\n}\n")


def main():
    source_dir, cxx, include_dir, library, *extra = sys.argv[1:]
    source_dir = pathlib.Path(source_dir)
    blocks = list(cpp_blocks(source_dir))
    assert blocks, "no ```cpp block found in README.md or docs/: the test would check nothing"
    lib_dir = str(pathlib.Path(library).parent)
    passed = failed = 0
    for where, block in blocks:
        with tempfile.TemporaryDirectory() as tmp:
            src = pathlib.Path(tmp) / "example.cc"
            src.write_text(program(block))
            exe = pathlib.Path(tmp) / "example"
            build = subprocess.run([cxx, "-std=c++20", "-Wall", "-Wextra", "-Werror", *extra, "-I", include_dir,
                                    str(src), "-o", str(exe), library, f"-Wl,-rpath,{lib_dir}"],
                                   capture_output=True, text=True)
            if build.returncode != 0:
                print(f"FAIL {where}: does not compile\n{src.read_text()}\n{build.stderr[-4000:]}")
                failed += 1
                continue
            run = subprocess.run([str(exe)], cwd=tmp, capture_output=True, text=True, timeout=120)
            if run.returncode != 0:
                print(f"FAIL {where}: compiles, but exits {run.returncode}\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
                failed += 1
                continue
            print(f"ok   {where}: compiles and runs ({len(block)} lines)")
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
