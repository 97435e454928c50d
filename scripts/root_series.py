#!/usr/bin/env python3
"""Taylor series of f' around its zero, for the float64 backward kernels.

Near a zero r of f' (the minimum of gelu, gelu_tanh, silu, mish) the direct
formula for f' is a difference of terms ~0.3 that cancel, so its relative
error grows like 1/|x - r| without bound. There the kernels evaluate
f'(x) = sum_{k>=1} c_k d^k, d = (x - r_hi) - r_lo (exact: x - r_hi by
Sterbenz's lemma), with r = r_hi + r_lo to ~106 bits. This script computes r
and the c_k with mpmath at 60 digits and prints them as C++; it also checks
that the truncated series is exact to 2^-60 relative over |d| <= window.
Run: python3 scripts/root_series.py   (needs mpmath)
"""
import mpmath as mp

mp.mp.dps = 60
K = mp.mpf(0.7978845608028654)   # the double sqrt(2/pi) of gelu_tanh (its definition)
C = mp.mpf(0.044715)             # the double 0.044715


def sig(z):
    return 1 / (1 + mp.exp(-z))


FUNCS = {
    "gelu": (lambda x: mp.ncdf(x) + x * mp.npdf(x), -0.75),
    "gelu_tanh": (lambda x: sig(2 * K * (x + C * x**3)) * (1 + 2 * x * K * (1 + 3 * C * x**2) * sig(-2 * K * (x + C * x**3))), -0.75),
    "silu": (lambda z: sig(z) * (1 + z * sig(-z)), -1.28),
    "mish": (lambda x: mp.tanh(mp.log1p(mp.exp(x))) + x * sig(x) * (1 - mp.tanh(mp.log1p(mp.exp(x)))**2), -1.19),
}
WINDOW = 0.45
DEGREE = 28


def split(v):
    hi = float(v)
    return hi, float(v - mp.mpf(hi))


for name, (fp, guess) in FUNCS.items():
    r = mp.findroot(fp, guess)
    coeffs = mp.taylor(fp, r, DEGREE)
    assert abs(coeffs[0]) < mp.mpf(10) ** -50
    # truncation check at the window edges
    worst = 0
    for d in [mp.mpf(i) / 100 * WINDOW for i in range(-100, 101) if i != 0]:
        series = sum(coeffs[k] * d**k for k in range(1, DEGREE + 1))
        worst = max(worst, abs(series - fp(r + d)) / abs(fp(r + d)))
    hi, lo = split(r)
    print(f"// {name}: f'(r) = 0 at r = {mp.nstr(r, 25)}; series over |d| <= {WINDOW}, degree {DEGREE}, "
          f"truncation error {mp.nstr(worst, 3)} relative")
    print(f"static constexpr double kRootHi = {hi!r}, kRootLo = {lo!r};")
    print("static constexpr double kRootSeries[] = {" + ", ".join(repr(float(c)) for c in coeffs[1:]) + "};")
    # float32 lanes use the first 14 terms: check their truncation error too.
    worst32 = max(abs(sum(coeffs[k] * d**k for k in range(1, 15)) - fp(r + d)) / abs(fp(r + d))
                  for d in [mp.mpf(i) / 100 * WINDOW for i in range(-100, 101) if i != 0])
    assert worst32 < mp.mpf(2) ** -30, (name, worst32)
