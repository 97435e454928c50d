#!/usr/bin/python3
"""Fits the polynomial coefficients of src/act/vmath32-inl.h.

Discrete minimax (Lawson's iteratively reweighted least squares) on a dense
Chebyshev-distributed grid, reference values from mpmath at 40 digits. Each
approximation has the form

    approx(x) = g(x) + h(x) * sum_j c_j v(x)^j

and minimises the RELATIVE error |approx - f| / |f|. For float32 evaluation
the coefficients are rounded to float32 one at a time, lowest degree first,
refitting the remaining ones after each rounding (so the rounding of c_0 is
absorbed by c_1.. etc.). Prints the coefficients as C hex literals and the
max relative error (in units of 2^-24) on a 4x denser check grid, evaluated
exactly (no rounding errors of the evaluation).

Usage: /usr/bin/python3 scripts/fit_vmath32.py [name ...]
"""
import sys

import mpmath
import numpy as np

mpmath.mp.dps = 40


def grid(a, b, n):
    k = np.arange(n)
    return (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / n)


def lawson(A, y, w0, iters=400):
    # minimise max_i |w0_i (A c - y)_i|
    n = A.shape[0]
    w = np.ones(n) / n
    Aw = A * w0[:, None]
    yw = y * w0
    best = None
    for _ in range(iters):
        sw = np.sqrt(w)
        c, *_ = np.linalg.lstsq(Aw * sw[:, None], yw * sw, rcond=None)
        e = np.abs(Aw @ c - yw)
        m = e.max()
        if best is None or m < best[0]:
            best = (m, c)
        w = w * e
        s = w.sum()
        if s == 0:
            break
        w /= s
    return best[1]


def fit(f, g, h, v, a, b, deg, f32=True, npts=3000, keep0=False):
    xs = grid(a, b, npts)
    fx = np.array([float(f(mpmath.mpf(float(x)))) for x in xs])
    gx = np.array([float(g(x)) for x in xs])
    hx = np.array([float(h(x)) for x in xs])
    vx = np.array([float(v(x)) for x in xs])
    A = np.stack([hx * vx**j for j in range(deg + 1)], axis=1)
    y = fx - gx
    w0 = 1 / np.abs(fx)
    fixed = []
    c = lawson(A, y, w0)
    if f32:
        for j in range(deg + 1):
            # keep0: c0 stays a double (used as a float-float hi + lo pair)
            cj = float(c[j]) if (keep0 and j == 0) else float(np.float32(c[j]))
            fixed.append(cj)
            y = y - A[:, j] * cj
            A[:, j] = 0
            if j < deg:
                rest = lawson(A[:, j + 1:], y, w0)
                c = np.concatenate([fixed, rest])
        c = np.array(fixed)
    # check on a denser grid with mpmath-exact evaluation of the polynomial
    xs2 = grid(a, b, 4 * npts)
    worst = 0
    for x in xs2[:: max(1, len(xs2) // 3000)]:
        X = mpmath.mpf(float(x))
        fv = f(X)
        p = sum(mpmath.mpf(float(cj)) * mpmath.mpf(float(v(x))) ** j
                for j, cj in enumerate(c))
        approx = mpmath.mpf(float(g(x))) + mpmath.mpf(float(h(x))) * p
        worst = max(worst, abs((approx - fv) / fv))
    return c, float(worst) * 2**24


def show(name, c, err, interval):
    print(f"// {name}: interval {interval}, max rel err {err:.4f} * 2^-24")
    for j, cj in enumerate(c):
        print(f"  c{j} = {float(cj).hex()}  ({cj!r})")


def run(name):
    E = mpmath
    if name == "exp":
        # e^r = 1 + r + r^2 P(r), |r| <= ln2/2 (+ margin)
        c, e = fit(E.exp, lambda r: 1 + r, lambda r: r * r, lambda r: r,
                   -0.35, 0.35, int(sys.argv[2]) if len(sys.argv) > 2 else 4)
        show("exp", c, e, "[-0.35, 0.35]")
    elif name == "exp0":
        # e^r = 1 + r + r^2/2 + r^3 Q(r) (the r^2/2 term exact for the
        # float-float tails of Expm1/Tanh)
        c, e = fit(E.exp, lambda r: 1 + r + r * r / 2, lambda r: r**3,
                   lambda r: r, -0.35, 0.35,
                   int(sys.argv[2]) if len(sys.argv) > 2 else 3)
        show("exp, r^3 Q(r)", c, e, "[-0.35, 0.35]")
    elif name == "log1p":
        a, b = float(E.sqrt(2) / 2 - 1), float(E.sqrt(2) - 1)
        deg = int(sys.argv[2]) if len(sys.argv) > 2 else 9
        c, e = fit(E.log1p, lambda x: x, lambda x: x * x, lambda x: x,
                   a, b, deg)
        show("log1p", c, e, f"[{a}, {b}]")
    elif name == "tanh":
        T = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
        deg = int(sys.argv[2]) if len(sys.argv) > 2 else 7
        c, e = fit(E.tanh, lambda x: x, lambda x: x**3, lambda x: x * x,
                   2**-10, T, deg)
        show("tanh", c, e, f"[0, {T}]")
    elif name == "tanhshrink":
        # x - tanh(x) = x^3 P(x^2 - C) on [0, T], c0 a double (float-float
        # c0h + c0l in the C code: rounding it would cost 0.5 * 2^-24). The
        # shift C keeps the terms of P small and non-cancelling up to T
        # (tanh's poles at i pi/2: radius pi^2/4 in x^2).
        # Usage: tanhshrink DEG T C
        T = float(sys.argv[3]) if len(sys.argv) > 3 else 1.25
        deg = int(sys.argv[2]) if len(sys.argv) > 2 else 8
        C = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
        c, e = fit(lambda x: x - E.tanh(x), lambda x: 0, lambda x: x**3,
                   lambda x: x * x - C, 2**-10, T, deg, keep0=True)
        show(f"tanhshrink, variable x^2 - {C}", c, e, f"[0, {T}]")
        hi = float(np.float32(c[0]))
        print(f"  c0h = {hi.hex()}, c0l = {float(np.float32(c[0] - hi)).hex()}")
    elif name == "erf":
        T = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
        deg = int(sys.argv[2]) if len(sys.argv) > 2 else 6
        # erf(x) = x + x * P(x^2)
        c, e = fit(E.erf, lambda x: x, lambda x: x, lambda x: x * x,
                   2**-10, T, deg)
        show("erf", c, e, f"[0, {T}]")
    elif name == "erfcx":
        # erfcx(x) = erfc(x) e^{x^2} as P(x - m) on [a, b], double coefficients
        a, b = float(sys.argv[2]), float(sys.argv[3])
        deg = int(sys.argv[4])
        m = (a + b) / 2
        c, e = fit(lambda x: E.erfc(x) * E.exp(x * x), lambda x: 0,
                   lambda x: 1, lambda x: x - m, a, b, deg, f32=False)
        show(f"erfcx, variable x - {m}", c, e, f"[{a}, {b}]")
    elif name == "erfcxf":
        # erfcx(a) = erfc(a) e^{a^2} as c0 + sum_j c_j (a - m)^j on 8 pieces
        # selected by the float bits of a + OFF (>> 22: binade and first
        # mantissa bit), i.e. a + OFF in [OFF,1) [1,1.5) [1.5,2) [2,3) [3,4)
        # [4,6) [6,8) [8,12), a in [0, 10.1]; each piece widened by 2^-20
        # (a + OFF rounds). c0 is a double (a float-float hi + lo in the C
        # code), c1.. floats. Usage: erfcxf DEG [OFF]
        deg = int(sys.argv[2]) if len(sys.argv) > 2 else 8
        off = float(sys.argv[3]) if len(sys.argv) > 3 else 0.75
        edges = [max(0.0, v - off) for v in [off, 1, 1.5, 2, 3, 4, 6, 8]] + [10.1]
        for a, b in zip(edges[:-1], edges[1:]):
            if b <= a:
                continue
            m = float(np.float32((a + b) / 2))
            c, e = fit(lambda x: E.erfc(x) * E.exp(x * x), lambda x: 0,
                       lambda x: 1, lambda x: x - m, max(0.0, a - 2**-20),
                       b + 2**-20, deg, keep0=True, npts=1000)
            hi = float(np.float32(c[0]))
            lo = float(np.float32(c[0] - hi))
            print(f"// erfcx [{a}, {b}] m = {m}: max rel err {e:.4f} * 2^-24")
            print("  {" + ", ".join([f"{m.hex()}f", f"{hi.hex()}f", f"{lo.hex()}f"] +
                                    [f"{float(x).hex()}f" for x in c[1:]]) + "},")
    elif name == "erfcxf16":
        # As erfcxf, 16 pieces (AVX3: one 512-bit permute holds 16 floats),
        # selected by the float bits of a + OFF >> 21 (binade and first two
        # mantissa bits): a + OFF in [OFF,0.875) [0.875,1) [1,1.25) .. [1.75,2)
        # [2,2.5) .. [3.5,4) [4,5) .. [7,8) [8,10) [10,12), a in [0, 10.1].
        # Usage: erfcxf16 DEG [OFF] (the cuts below assume OFF in [0.75, 0.875))
        deg = int(sys.argv[2]) if len(sys.argv) > 2 else 6
        off = float(sys.argv[3]) if len(sys.argv) > 3 else 0.75
        cuts = [0.875, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 10]
        edges = [0.0] + [v - off for v in cuts] + [10.1]
        for a, b in zip(edges[:-1], edges[1:]):
            m = float(np.float32((a + b) / 2))
            c, e = fit(lambda x: E.erfc(x) * E.exp(x * x), lambda x: 0,
                       lambda x: 1, lambda x: x - m, max(0.0, a - 2**-20),
                       b + 2**-20, deg, keep0=True, npts=1000)
            hi = float(np.float32(c[0]))
            lo = float(np.float32(c[0] - hi))
            print(f"// erfcx [{a}, {b}] m = {m}: max rel err {e:.4f} * 2^-24")
            print("  {" + ", ".join([f"{m.hex()}f", f"{hi.hex()}f", f"{lo.hex()}f"] +
                                    [f"{float(x).hex()}f" for x in c[1:]]) + "},")

if __name__ == "__main__":
    run(sys.argv[1])
