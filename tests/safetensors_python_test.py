"""actlab's safetensors files against Python's own safetensors package (PyPI).

Usage: safetensors_python_test.py SAFETENSORS_TOOL   (run with the venv's python)

(a) files written by actlab load in Python with the same names, dtypes,
    shapes, bit-exact values and metadata, and their layout is the one
    Python's writer produces for the same tensors;
(b) files written by Python's save_file read back in actlab identically, and
    actlab re-writes them byte for byte (when the metadata order is fixed);
(c) tensors actlab does not store (F16, BOOL) are refused with a one-line
    error naming the file and the tensor.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import safetensors
from safetensors import safe_open
from safetensors.numpy import load_file, save, save_file

TOOL = None

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64, "U8": np.uint8}
BITS = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}


def tool(*args, check=True):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"safetensors_tool {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def tool_json(*args):
    return json.loads(tool(*args).stdout)


def as_array(entry):
    """The tool's JSON description of a tensor as a numpy array (floats from their bits)."""
    dtype = np.dtype(DTYPES[entry["dtype"]])
    if dtype in BITS:
        a = np.array(entry["values"], dtype=BITS[dtype]).view(dtype)
    else:
        a = np.array(entry["values"], dtype=dtype)
    return a.reshape(entry["shape"])


def bits(a):
    """Values as comparable integers: floats by bit pattern, so NaN == NaN and -0.0 != 0.0."""
    return a.view(BITS[a.dtype]) if a.dtype in BITS else a


def parse(blob):
    """(header as ordered (key, value) pairs, with __metadata__ as a dict; data bytes)."""
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n].decode(), object_pairs_hook=list)
    return n, header, blob[8 + n :]


class Interop(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="actlab_st_py_")
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def assertSameTensor(self, name, got, want):
        self.assertEqual(got.dtype, want.dtype, name)
        self.assertEqual(got.shape, want.shape, name)
        np.testing.assert_array_equal(bits(got), bits(want), err_msg=name)

    # (a) -------------------------------------------------------------------
    def test_actlab_file_loads_in_python(self):
        path = self.path("actlab.safetensors")
        written = tool_json("write", path)
        want = {k: as_array(v) for k, v in written["tensors"].items()}
        self.assertIn("f32_special", want)
        self.assertTrue(np.isnan(want["f32_special"][2]))  # the payload NaN made it into the JSON

        got = load_file(path)
        self.assertEqual(sorted(got), sorted(want))
        for name in want:
            self.assertSameTensor(name, got[name], want[name])
        self.assertEqual(got["scalar_f64"].shape, ())
        self.assertEqual(got["empty_i32"].shape, (2, 0))

        with safe_open(path, framework="np") as f:
            self.assertEqual(f.metadata(), written["metadata"])
            self.assertEqual(sorted(f.keys()), sorted(want))
            self.assertSameTensor("i64", f.get_tensor("i64"), want["i64"])

        # actlab's reader agrees with what its writer said it wrote.
        self.assertEqual(tool_json("read", path), json.loads(json.dumps(written, sort_keys=True)))

    def test_actlab_layout_is_pythons(self):
        path = self.path("actlab.safetensors")
        written = tool_json("write", path)
        ours = open(path, "rb").read()
        theirs = save(load_file(path), metadata=written["metadata"])
        n1, h1, d1 = parse(ours)
        n2, h2, d2 = parse(theirs)
        # Python orders metadata keys by a hash; all else must match exactly.
        self.assertEqual(n1, n2)
        self.assertEqual(len(ours), len(theirs))
        self.assertEqual(h1[0][0], "__metadata__")
        self.assertEqual(dict(h1[0][1]), dict(h2[0][1]))
        self.assertEqual(h1[1:], h2[1:])  # tensors: same order, dtypes, shapes, offsets
        self.assertEqual(d1, d2)
        # The header is padded with fewer than 8 spaces to a multiple of 8.
        self.assertEqual(n1 % 8, 0)
        padding = ours[8 : 8 + n1][ours[8 : 8 + n1].rindex(b"}") + 1 :]
        self.assertEqual(padding, b" " * len(padding))
        self.assertLess(len(padding), 8)

    # (b) -------------------------------------------------------------------
    def python_tensors(self):
        rng = np.random.default_rng(7)
        return {
            "embed.weight": rng.standard_normal((3, 4)).astype(np.float32),
            "f32_special": np.array([np.inf, -np.inf, np.nan, -0.0, 1e-45, 3.4028235e38], dtype=np.float32),
            "f64": np.array([np.pi, -1e-300, 5e-324, -0.0, np.nan], dtype=np.float64),
            "i32": np.array([[-(2**31), -1], [0, 2**31 - 1]], dtype=np.int32),
            "i64": np.array([-(2**63), 0, 2**63 - 1], dtype=np.int64),
            "u8": np.arange(256, dtype=np.uint8).reshape(16, 16),
            "scalar": np.array(1.25, dtype=np.float64),
            "scalar_i32": np.array(-9, dtype=np.int32),
            "empty": np.zeros((0, 5), dtype=np.float32),
            "empty_u8": np.zeros((0,), dtype=np.uint8),
            "z.unicode.\u00e9": np.array([1, 2, 3], dtype=np.int64),
            "a.first": np.ones((1, 1, 1), dtype=np.int32),
        }

    def test_python_file_reads_in_actlab(self):
        path = self.path("python.safetensors")
        tensors = self.python_tensors()
        metadata = {"format": "pt", "epoch": "3", "note": "caf\u00e9 \"q\"\n", "": "empty key"}
        save_file(tensors, path, metadata=metadata)
        got = tool_json("read", path)
        self.assertEqual(got["metadata"], metadata)
        self.assertEqual(sorted(got["tensors"]), sorted(tensors))
        for name, want in tensors.items():
            self.assertEqual(got["tensors"][name]["dtype"], {v: k for k, v in DTYPES.items()}[want.dtype.type])
            self.assertSameTensor(name, as_array(got["tensors"][name]), want)

    def test_actlab_rewrites_python_files_byte_for_byte(self):
        tensors = self.python_tensors()
        # With at most one metadata key Python's key order is fixed, so whole
        # files can be compared.
        for metadata in (None, {"format": "pt"}):
            src, dst = self.path("python.safetensors"), self.path("actlab.safetensors")
            save_file(tensors, src, metadata=metadata)
            tool("copy", src, dst)
            self.assertEqual(open(dst, "rb").read(), open(src, "rb").read(), f"metadata={metadata}")
        # A single tensor of each dtype, and no tensors at all.
        for name, t in tensors.items():
            save_file({name: t}, src)
            tool("copy", src, dst)
            self.assertEqual(open(dst, "rb").read(), open(src, "rb").read(), name)
        save_file({}, src)
        tool("copy", src, dst)
        self.assertEqual(open(dst, "rb").read(), open(src, "rb").read(), "no tensors")

    # (c) -------------------------------------------------------------------
    def test_unsupported_dtypes_are_refused_clearly(self):
        for dtype, name in ((np.float16, "F16"), (np.bool_, "BOOL"), (np.int8, "I8"), (np.uint64, "U64")):
            path = self.path(f"{name}.safetensors")
            save_file({"ok": np.zeros(2, np.float32), "h": np.zeros(3, dtype)}, path)
            p = tool("read", path, check=False)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(
                p.stderr,
                f"safetensors_tool: {path}: tensor 'h': dtype {name} is valid safetensors but actlab "
                "stores only F32, F64, I32, I64, U8; convert the tensor first\n",
            )

    def test_python_refuses_what_actlab_refuses(self):
        # A sanity check that the two readers agree on a truncated file.
        path = self.path("cut.safetensors")
        tool("write", path)
        blob = open(path, "rb").read()
        open(path, "wb").write(blob[:-1])
        with self.assertRaises(Exception):
            load_file(path)
        p = tool("read", path, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("truncated: header says", p.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    TOOL = sys.argv.pop(1)
    print(f"safetensors {safetensors.__version__} from {safetensors.__file__}; numpy {np.__version__}")
    unittest.main(verbosity=2)
