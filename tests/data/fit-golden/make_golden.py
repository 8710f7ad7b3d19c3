#!/usr/bin/env python3
"""Golden reference data for the bounded nonlinear least-squares (Levenberg-Marquardt) fitter.

Purpose
-------
Synthetic noisy curves for three models (``expdecay3``, ``etofts``, ``gauss4``), fitted voxel by
voxel with an independent, well-known solver, SciPy's ``scipy.optimize.least_squares``, so that
the project's own fitter can be checked against it: same data, same initial guess, same bounds,
same cost. Every file in this directory (the ``.npy`` files and ``README.md``) is written by this
script; nothing is edited by hand.

How to run
----------
From the repository root::

    python3.12 -m venv /work/venv-golden
    /work/venv-golden/bin/pip install numpy==2.5.5 scipy==1.18.1
    /work/venv-golden/bin/python tests/data/fit-golden/make_golden.py

``--out DIR`` writes everything into DIR instead of next to this script (to compare a rerun with
the stored files: ``cmp`` or the SHA-256 list in README.md). The run takes about 10 s on one
core and prints the checks (analytic Jacobians against central differences, the Tofts recurrence
against numerical quadrature, bound hits, errors against the truth).

Pinned versions
---------------
Python 3.12.1, numpy 2.5.5, scipy 1.18.1 (scipy-openblas 0.3.34, run with one BLAS thread).
The inputs (``t``, ``cp``, ``y``, ``true_params``, ``init``, ``lower``, ``upper``) depend only on
numpy's ``default_rng(20261124)`` stream and IEEE arithmetic, so they are reproduced bit for bit
by these versions. The fitted ``ref_params``/``ref_chi2`` are reproduced bit for bit on the same
versions and CPU family; another BLAS, CPU or libm may move them by a few ulps (well below any
sensible test tolerance). The script warns when the versions differ from the pinned ones.

Solver settings
---------------
Residuals ``r_k = f_k(p) - y_k``, hand-derived analytic Jacobian of ``f`` (checked against
central differences below), ``x_scale='jac'``, ``ftol = xtol = gtol = machine epsilon`` (the
smallest SciPy accepts: 'lm' refuses anything below it), ``max_nfev = 20000``, ``loss='linear'``.

1. ``method='trf'`` with ``bounds=(lower, upper)`` from ``x0 = init``.
2. Polishing from the TRF solution: ``method='lm'`` (MINPACK, unbounded) only when the TRF
   solution lies strictly inside the bounds, and ``method='dogbox'`` with the bounds.
3. Per voxel, keep the in-bounds candidate (``lower <= p <= upper``) with the lowest
   ``chi2 = sum_k (y_k - f_k)^2`` recomputed here from the final parameters with the forward
   model below (SciPy's ``cost`` is half of that); ties go to the earlier solver (trf, lm, dogbox).
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import hashlib  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy.integrate import quad  # noqa: E402
from scipy.optimize import least_squares  # noqa: E402
from scipy.stats import chi2 as chi2_dist  # noqa: E402

SEED = 20261124
V = 1000
EPS = float(np.finfo(np.float64).eps)
MAX_NFEV = 20000
DATE = "2026-11-24"
PINNED = {"python": "3.12.1", "numpy": "2.5.5", "scipy": "1.18.1"}
# A parameter counts as "at a bound" when it is within this fraction of (upper - lower) of it.
AT_BOUND_REL = 1e-6
# A polishing solver counts as a "real" improvement when chi2 drops by more than this fraction.
REAL_GAIN_REL = 1e-12


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------


def _cast(p, t, ld):
    """Parameters and grid in float64, or in x87 extended precision (``ld``) for the checks."""
    if ld:
        return np.asarray(p, dtype=np.longdouble), np.asarray(t, dtype=np.longdouble)
    return p, t


class Model:
    """One model: grid, forward model, analytic Jacobian, truth distribution, init and bounds.

    ``f`` and ``jac`` take ``ld=True`` to evaluate the same formulas in extended precision
    (``np.longdouble``); that is only used by the checks, never for the stored data.
    """

    name = ""
    params = ()
    noise_sd = 0.0

    def f(self, p, ld=False):
        raise NotImplementedError

    def jac(self, p, ld=False):
        raise NotImplementedError


class ExpDecay3(Model):
    name = "expdecay3"
    params = ("a", "k", "c")
    formula = "f_k = a * exp(-k * t_k) + c"
    grid = "t = 0, 0.1, ..., 4.9 (n = 50)"
    truth_lo = np.array([0.5, 0.3, -0.2])
    truth_hi = np.array([2.0, 3.0, 0.2])
    noise_sd = 0.02
    init = np.array([1.0, 1.0, 0.0])
    lower = np.array([0.0, 0.0, -1.0])
    upper = np.array([10.0, 20.0, 1.0])

    def __init__(self):
        self.t = np.arange(50) * 0.1
        self.files = {"t": self.t}

    def f(self, p, ld=False):
        (a, k, c), t = _cast(p, self.t, ld)
        return a * np.exp(-k * t) + c

    def jac(self, p, ld=False):
        (a, k, c), t = _cast(p, self.t, ld)
        e = np.exp(-k * t)
        return np.column_stack([e, -a * t * e, np.ones_like(t)])


class Gauss4(Model):
    name = "gauss4"
    params = ("A", "mu", "s", "c")
    formula = "f_k = A * exp(-(t_k - mu)^2 / (2 s^2)) + c"
    grid = "t = 0, 0.25, ..., 19.75 (n = 80)"
    truth_lo = np.array([1.0, 8.0, 1.0, -0.5])
    truth_hi = np.array([3.0, 12.0, 3.0, 0.5])
    noise_sd = 0.05
    init = np.array([2.0, 10.0, 2.0, 0.0])
    lower = np.array([0.0, 0.0, 0.1, -5.0])
    upper = np.array([10.0, 20.0, 10.0, 5.0])

    def __init__(self):
        self.t = np.arange(80) * 0.25
        self.files = {"t": self.t}

    def f(self, p, ld=False):
        (A, mu, s, c), t = _cast(p, self.t, ld)
        d = t - mu
        return A * np.exp(-d * d / (2.0 * s * s)) + c

    def jac(self, p, ld=False):
        (A, mu, s, c), t = _cast(p, self.t, ld)
        d = t - mu
        g = np.exp(-d * d / (2.0 * s * s))
        return np.column_stack([g, A * g * d / (s * s), A * g * d * d / (s * s * s), np.ones_like(d)])


# Parker population AIF (Parker et al. 2006, MRM 56:993), t in minutes, whole-blood concentration.
PARKER = dict(
    A1=0.809, A2=0.330, T1=0.17046, T2=0.365, sigma1=0.0563, sigma2=0.132,
    alpha=1.050, beta=0.1685, s=38.078, tau=0.483,
)  # fmt: skip
HCT = 0.42
BASELINE_S = 30.0


def parker_cb(tm):
    P = PARKER
    g1 = P["A1"] / (P["sigma1"] * math.sqrt(2.0 * math.pi)) * np.exp(
        -((tm - P["T1"]) ** 2) / (2.0 * P["sigma1"] ** 2)
    )
    g2 = P["A2"] / (P["sigma2"] * math.sqrt(2.0 * math.pi)) * np.exp(
        -((tm - P["T2"]) ** 2) / (2.0 * P["sigma2"] ** 2)
    )
    return g1 + g2 + P["alpha"] * np.exp(-P["beta"] * tm) / (1.0 + np.exp(-P["s"] * (tm - P["tau"])))


def tofts_grid():
    """t_i = 5 i s for i < 30, then 10 s steps: t_29 = 145, t_30 = 155, ..., t_59 = 445 (n = 60)."""
    return np.array([5.0 * i if i < 30 else 145.0 + 10.0 * (i - 29) for i in range(60)])


def parker_cp(t):
    """Plasma AIF (mM): 0 during the 30 s baseline, then Cb((t - 30)/60) / (1 - Hct)."""
    cp = np.zeros_like(t)
    m = t >= BASELINE_S
    cp[m] = parker_cb((t[m] - BASELINE_S) / 60.0) / (1.0 - HCT)
    return cp


def tofts_recurrence(ktrans, ve, t, cp, ld=False):
    """F_i (mM min) and G_i = dF_i/dkep, exactly the recurrence of the spec (small-x branch too).

    Scalar Python floats and libm's ``exp`` (as a compiled implementation would do), or
    ``np.longdouble`` throughout with ``ld=True`` (checks only).
    """
    conv, exp = (np.longdouble, np.exp) if ld else (float, math.exp)
    ktrans, ve = conv(ktrans), conv(ve)
    t = [conv(v) for v in t]
    cp = [conv(v) for v in cp]
    kep = ktrans / ve
    n = len(t)
    F = [conv(0.0)] * n
    G = [conv(0.0)] * n
    for i in range(1, n):
        dt = (t[i] - t[i - 1]) / 60.0
        x = kep * dt
        E = exp(-x)
        a = cp[i - 1]
        b = cp[i]
        if x > 1e-3:
            I = (b - a * E) / kep - (b - a) * (1.0 - E) / (kep * kep * dt)
            dI = (
                a * dt * E / kep
                - (b - a * E) / (kep * kep)
                - (b - a) * E / (kep * kep)
                + 2.0 * (b - a) * (1.0 - E) / (kep * kep * kep * dt)
            )
        else:
            I = dt * (
                a * (1.0 - x / 2.0 + x * x / 6.0 - x * x * x / 24.0)
                + (b - a) * (1.0 / 2.0 - x / 6.0 + x * x / 24.0 - x * x * x / 120.0)
            )
            # d/dkep = dt * d/dx
            dI = (
                dt
                * dt
                * (
                    a * (-1.0 / 2.0 + x / 3.0 - x * x / 8.0)
                    + (b - a) * (-1.0 / 6.0 + x / 12.0 - x * x / 40.0)
                )
            )
        F[i] = E * F[i - 1] + I
        G[i] = E * G[i - 1] - dt * E * F[i - 1] + dI
    dtype = np.longdouble if ld else np.float64
    return np.array(F, dtype=dtype), np.array(G, dtype=dtype)


class ETofts(Model):
    name = "etofts"
    params = ("ktrans", "ve", "vp")
    formula = "extended Tofts, Ct_i = vp * cp_i + ktrans * F_i with the recurrence below"
    grid = "t_i = 5 i s for i < 30, then 10 s steps (t_29 = 145, t_30 = 155, ..., t_59 = 445; n = 60)"
    truth_lo = np.array([0.02, 0.1, 0.01])
    truth_hi = np.array([0.5, 0.6, 0.1])
    noise_sd = 0.01
    init = np.array([0.1, 0.3, 0.05])
    lower = np.array([1e-5, 1e-3, 0.0])
    upper = np.array([5.0, 1.0, 1.0])

    def __init__(self):
        self.t = tofts_grid()
        self.cp = parker_cp(self.t)
        self.files = {"t": self.t, "cp": self.cp}

    def f(self, p, ld=False):
        (ktrans, ve, vp), cp = _cast(p, self.cp, ld)
        F, _ = tofts_recurrence(ktrans, ve, self.t, self.cp, ld)
        return vp * cp + ktrans * F

    def jac(self, p, ld=False):
        (ktrans, ve, vp), cp = _cast(p, self.cp, ld)
        F, G = tofts_recurrence(ktrans, ve, self.t, self.cp, ld)
        # kep = ktrans / ve: dkep/dktrans = 1/ve, dkep/dve = -ktrans/ve^2.
        return np.column_stack([F + ktrans * G / ve, -ktrans * ktrans * G / (ve * ve), cp])


MODELS = (ExpDecay3, ETofts, Gauss4)

# ----------------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------------


FD_REL = {False: 1e-5, True: 1e-6}  # central-difference step relative to max(|p|, 0.01)


def central_diff(model, p, ld=False):
    p = np.asarray(p, dtype=np.longdouble if ld else np.float64)
    J = np.empty((len(model.t), len(p)), dtype=p.dtype)
    for j in range(len(p)):
        h = FD_REL[ld] * max(abs(p[j]), 1e-2)
        pp = p.copy()
        pm = p.copy()
        pp[j] += h
        pm[j] -= h
        J[:, j] = (model.f(pp, ld) - model.f(pm, ld)) / (pp[j] - pm[j])
    return J


def _dev(J, Jref):
    """max over columns of max_k |J - Jref| / max_k |Jref column|."""
    scale = np.maximum(np.max(np.abs(Jref), axis=0), 1e-300)
    return float(np.max(np.abs(J - Jref) / scale))


def jacobian_check(model, rng):
    """Worst deviations over the test points, each as max_k |J - J_ref| / max_k |J_ref column|.

    Returns (float64 analytic vs float64 central differences,
             extended-precision analytic vs extended-precision central differences,
             float64 analytic vs extended-precision analytic, number of points).
    The second isolates the derivation from rounding; the third measures the rounding of the
    float64 Jacobian (the spec's x > 1e-3 formula cancels badly for x just above 1e-3).
    """
    pts = [model.init.copy()]
    pts += list(rng.uniform(model.truth_lo, model.truth_hi, size=(25, len(model.params))))
    if model.name == "etofts":
        # kep = 0.004 /min: the small-x series branch on every step (x = 3.3e-4 and 6.7e-4);
        # kep = 0.009 and 0.0083 /min: series on the 5 s steps, exact formula on the 10 s steps
        # (x = 7.5e-4 / 1.5e-3 and 6.9e-4 / 1.4e-3); kep = 40 /min: fast exchange. (No point has
        # x within a difference step of 1e-3, where the branch switch would spoil the differences.)
        pts += [
            np.array([0.002, 0.5, 0.05]),
            np.array([0.0009, 0.1, 0.03]),
            np.array([0.005, 0.6, 0.02]),
            np.array([2.0, 0.05, 0.2]),
        ]
    w64 = wld = wround = 0.0
    for p in pts:
        Ja = model.jac(p)
        Ja_ld = model.jac(p, ld=True)
        w64 = max(w64, _dev(Ja, central_diff(model, p)))
        wld = max(wld, _dev(Ja_ld, central_diff(model, p, ld=True)))
        wround = max(wround, _dev(Ja.astype(np.longdouble), Ja_ld))
    return w64, wld, wround, len(pts)


def tofts_quadrature_check(model):
    """F_i against adaptive quadrature of int_0^t exp(-kep (t - u)) cp_lin(u) du (t in minutes)."""
    tm = model.t / 60.0
    worst = 0.0
    for ktrans, ve in ((0.25, 0.3), (0.02, 0.6), (0.5, 0.1), (0.003, 0.5)):
        kep = ktrans / ve
        F, _ = tofts_recurrence(ktrans, ve, model.t, model.cp)
        Fq = np.zeros_like(F)
        for i in range(1, len(tm)):
            acc = 0.0
            for j in range(1, i + 1):
                t0, t1, c0, c1 = tm[j - 1], tm[j], model.cp[j - 1], model.cp[j]

                def integrand(u, t0=t0, t1=t1, c0=c0, c1=c1):
                    return math.exp(-kep * (tm[i] - u)) * (c0 + (c1 - c0) * (u - t0) / (t1 - t0))

                acc += quad(integrand, t0, t1, epsabs=0.0, epsrel=1e-13)[0]
            Fq[i] = acc
        worst = max(worst, float(np.max(np.abs(F - Fq)) / np.max(np.abs(Fq))))
    return worst


# ----------------------------------------------------------------------------------------------
# Fitting
# ----------------------------------------------------------------------------------------------

SOLVERS = ("trf", "lm", "dogbox")


def chi2_of(model, p, y):
    r = y - model.f(p)
    return float(np.sum(r * r))


def in_bounds(model, p):
    return bool(np.all(np.isfinite(p)) and np.all(p >= model.lower) and np.all(p <= model.upper))


def fit_voxel(model, y):
    def fun(p):
        return model.f(p) - y

    common = dict(jac=model.jac, x_scale="jac", ftol=EPS, xtol=EPS, gtol=EPS, max_nfev=MAX_NFEV)
    bounds = (model.lower, model.upper)
    cands = {}
    trf = least_squares(fun, model.init, bounds=bounds, method="trf", **common)
    cands["trf"] = trf
    if np.all(trf.x > model.lower) and np.all(trf.x < model.upper):
        cands["lm"] = least_squares(fun, trf.x, method="lm", **common)
    cands["dogbox"] = least_squares(fun, trf.x, bounds=bounds, method="dogbox", **common)

    results = {}
    best = None
    for s in SOLVERS:
        if s not in cands:
            continue
        r = cands[s]
        ok = in_bounds(model, r.x)
        c2 = chi2_of(model, r.x, y) if ok else math.inf
        results[s] = (r.x.copy(), c2, ok, int(r.status), int(r.nfev))
        if ok and (best is None or c2 < results[best][1]):
            best = s
    return best, results


def fit_model(model, y):
    Vn, P = y.shape[0], len(model.params)
    ref = np.empty((Vn, P))
    chi2 = np.empty(Vn)
    st = dict(
        wins={s: 0 for s in SOLVERS},
        real_wins={s: 0 for s in SOLVERS[1:]},
        ran={s: 0 for s in SOLVERS},
        out_of_bounds={s: 0 for s in SOLVERS},
        maxnfev_hit={s: 0 for s in SOLVERS},
        trf_gain=np.zeros(Vn),  # (chi2_trf - chi2_best) / chi2_best
        trf_dp=np.zeros(Vn),  # max_j |p_trf - p_best| / (upper - lower)
        cand_chi2_spread=np.zeros(Vn),  # (max - min) / min over in-bounds candidates
        cand_dp=np.zeros(Vn),  # max over candidates and params of |p - p_best| / (upper - lower)
    )
    width = model.upper - model.lower
    for v in range(Vn):
        best, res = fit_voxel(model, y[v])
        if best is None:
            raise RuntimeError(f"{model.name} voxel {v}: no in-bounds solution")
        ref[v], chi2[v] = res[best][0], res[best][1]
        st["wins"][best] += 1
        for s, (x, c2, ok, status, nfev) in res.items():
            st["ran"][s] += 1
            st["out_of_bounds"][s] += 0 if ok else 1
            st["maxnfev_hit"][s] += 1 if status == 0 else 0
        if best != "trf" and (res["trf"][1] - chi2[v]) > REAL_GAIN_REL * chi2[v]:
            st["real_wins"][best] += 1
        st["trf_gain"][v] = (res["trf"][1] - chi2[v]) / chi2[v]
        st["trf_dp"][v] = np.max(np.abs(res["trf"][0] - ref[v]) / width)
        ok_c2 = [r[1] for r in res.values() if r[2]]
        st["cand_chi2_spread"][v] = (max(ok_c2) - min(ok_c2)) / min(ok_c2)
        st["cand_dp"][v] = max(np.max(np.abs(r[0] - ref[v]) / width) for r in res.values() if r[2])
    return ref, chi2, st


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------


def save(path, arr):
    arr = np.ascontiguousarray(np.asarray(arr, dtype="<f8"))
    with open(path, "wb") as fh:
        np.lib.format.write_array(fh, arr, version=(1, 0), allow_pickle=False)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fmt(x):
    return f"{x:.3g}"


def readme(out, models, summaries, checks, total_bytes):
    L = []
    w = L.append
    w("# Golden reference fits for the bounded least-squares fitter")
    w("")
    w("Synthetic noisy curves for three models with, per voxel, the reference least-squares fit of")
    w("an independent, well-known solver: SciPy's `scipy.optimize.least_squares`. They are for")
    w("checking the project's own bounded Levenberg-Marquardt fitter: same data, same initial")
    w("guess, same bounds, same cost.")
    w("")
    w("## Provenance")
    w("")
    w(f"- Generated by `make_golden.py` (this directory) on {DATE}; every file here, this README")
    w("  included, is written by it and reproduced by rerunning it.")
    w(f"- Solver: SciPy {PINNED['scipy']} `least_squares` (TRF, then MINPACK LM and dogbox polishing);")
    w(f"  numpy {PINNED['numpy']}, Python {PINNED['python']}, scipy-openblas 0.3.34 with one thread.")
    w(f"- Random numbers: `numpy.random.default_rng({SEED})`, one stream for all models in the order")
    w("  expdecay3, etofts, gauss4; per model first `true_params` (`rng.uniform(lo, hi, size=(V, P))`)")
    w("  then the noise (`rng.normal(0, sd, size=(V, n))`).")
    w("- Command (from the repository root):")
    w("")
    w("  ```sh")
    w("  python3.12 -m venv /work/venv-golden")
    w(f"  /work/venv-golden/bin/pip install numpy=={PINNED['numpy']} scipy=={PINNED['scipy']}")
    w("  /work/venv-golden/bin/python tests/data/fit-golden/make_golden.py")
    w("  ```")
    w("")
    w("- The inputs (`t`, `cp`, `y`, `true_params`, `init`, `lower`, `upper`) depend only on numpy's")
    w("  random stream and IEEE arithmetic. `ref_params` and `ref_chi2` are bit-identical on a rerun")
    w("  with the same versions on the same kind of CPU; another BLAS, CPU or libm may move them by a")
    w("  few ulps. Compare with a tolerance, not bit for bit.")
    w("")
    w("## Layout")
    w("")
    w("One directory per model. Every `.npy` file is little-endian float64 (`'<f8'`), C order,")
    w("`.npy` format version 1.0. V = number of voxels, n = number of samples, P = number of")
    w("parameters.")
    w("")
    w("| file | shape | content |")
    w("| --- | --- | --- |")
    w("| `t.npy` | (n,) | sample times (the model's own units, seconds for etofts) |")
    w("| `cp.npy` | (n,) | plasma concentration in mM (etofts only) |")
    w("| `y.npy` | (V, n) | noisy data: forward model at `true_params` plus Gaussian noise |")
    w("| `true_params.npy` | (V, P) | parameters the data were generated with |")
    w("| `init.npy` | (P,) | initial guess, the same for every voxel |")
    w("| `lower.npy` | (P,) | lower bounds |")
    w("| `upper.npy` | (P,) | upper bounds |")
    w("| `ref_params.npy` | (V, P) | reference fit |")
    w("| `ref_chi2.npy` | (V,) | `chi2` of the reference fit |")
    w("")
    w("| model | V | n | P (in order) |")
    w("| --- | --- | --- | --- |")
    for m in models:
        w(f"| `{m.name}` | {V} | {len(m.t)} | {', '.join(m.params)} |")
    w("")
    w("## Models")
    w("")
    w("`f_k` is the model's prediction at sample k.")
    w("")
    for m in models:
        w(f"### `{m.name}`")
        w("")
        w(f"- Model: {m.formula}.")
        w(f"- Grid: {m.grid}.")
        truth = ", ".join(
            f"{p} ~ U({fmt(lo)}, {fmt(hi)})" for p, lo, hi in zip(m.params, m.truth_lo, m.truth_hi)
        )
        w(f"- Truth: {truth}; noise SD {fmt(m.noise_sd)}.")
        w(
            f"- init ({', '.join(fmt(x) for x in m.init)}); lower ({', '.join(fmt(x) for x in m.lower)});"
            f" upper ({', '.join(fmt(x) for x in m.upper)})."
        )
        if m.name == "etofts":
            w("- Forward model (t in seconds, cp in mM, ktrans in /min, kep = ktrans / ve in /min):")
            w("")
            w("  ```text")
            w("  F_0 = 0; Ct_0 = vp * cp[0] + ktrans * F_0.")
            w("  For i >= 1: dt = (t[i] - t[i-1]) / 60; x = kep * dt; E = exp(-x); a = cp[i-1]; b = cp[i];")
            w("    if x > 1e-3:  I = (b - a*E) / kep - (b - a) * (1 - E) / (kep * kep * dt)")
            w("    else:         I = dt * ( a * (1 - x/2 + x^2/6 - x^3/24)")
            w("                            + (b - a) * (1/2 - x/6 + x^2/24 - x^3/120) )")
            w("    F_i = E * F_{i-1} + I")
            w("    Ct_i = vp * cp[i] + ktrans * F_i")
            w("  ```")
            w("")
            w("  This is the exact convolution of `exp(-kep t)` with `cp` interpolated linearly between")
            w("  samples (the series branch up to O(x^4)).")
            w("- AIF: Parker population AIF (Parker et al. 2006, MRM 56:993),")
            w("  `Cb(t) = sum_{j=1,2} A_j / (sigma_j sqrt(2 pi)) exp(-(t - T_j)^2 / (2 sigma_j^2))")
            w("  + alpha exp(-beta t) / (1 + exp(-s (t - tau)))` (t in minutes) with A1 = 0.809,")
            w("  A2 = 0.330, T1 = 0.17046, T2 = 0.365, sigma1 = 0.0563, sigma2 = 0.132, alpha = 1.050,")
            w("  beta = 0.1685, s = 38.078, tau = 0.483. 30 s of baseline: `cp = 0` for `t < 30 s`, else")
            w("  `cp = Cb((t - 30) / 60) / (1 - 0.42)`. (So `cp` jumps from 0 to `Cb(0) / 0.58 =")
            w(f"  {fmt(m.cp[6])}` mM at t = 30 s: Parker's `Cb(0)` is not zero.)")
        w("")
    w("## Cost")
    w("")
    w("`chi2 = sum_k (y_k - f_k)^2` over the n samples of a voxel, unweighted, recomputed by")
    w("`make_golden.py` from the final parameters with the forward model above. This is the full")
    w("sum of squares: SciPy's `OptimizeResult.cost` is half of it.")
    w("")
    w("## Solver settings")
    w("")
    w("Residuals `r_k = f_k(p) - y_k` with a hand-derived analytic Jacobian of `f`,")
    w("`x_scale='jac'`, `ftol = xtol = gtol = 2.22e-16` (machine epsilon, the smallest SciPy")
    w(f"accepts: `method='lm'` refuses anything smaller), `max_nfev = {MAX_NFEV}`, `loss='linear'`.")
    w("")
    w("1. `method='trf'` with `bounds=(lower, upper)` from `x0 = init`.")
    w("2. Polishing from the TRF solution: `method='lm'` (MINPACK, unbounded) only when the TRF")
    w("   solution is strictly inside the bounds, and `method='dogbox'` with the bounds.")
    w("3. Per voxel, the in-bounds candidate (`lower <= p <= upper`) with the lowest `chi2` is kept;")
    w("   ties go to the earlier solver in the order trf, lm, dogbox.")
    w("")
    w("## Results")
    w("")
    w("Which solver's result was kept (\"won\"), and how much the polishing mattered. A win by lm")
    w(f"or dogbox is \"real\" when it lowers chi2 by more than {REAL_GAIN_REL:g} relative to TRF; the")
    w("other wins are last-bit differences. `dp` is a parameter difference divided by")
    w("`upper - lower`.")
    w("")
    w("| model | trf won | lm won (real) | dogbox won (real) | lm ran | lm out of bounds "
      "| max_nfev hit | median / max (chi2_trf - chi2) / chi2 | max dp trf vs kept "
      "| max chi2 spread of candidates | max dp of candidates |")  # fmt: skip
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in models:
        st = summaries[m.name]["stats"]
        hit = sum(st["maxnfev_hit"].values())
        w(
            f"| `{m.name}` | {st['wins']['trf']} | {st['wins']['lm']} ({st['real_wins']['lm']}) "
            f"| {st['wins']['dogbox']} ({st['real_wins']['dogbox']}) | {st['ran']['lm']} "
            f"| {st['out_of_bounds']['lm']} | {hit} "
            f"| {fmt(np.median(st['trf_gain']))} / {fmt(np.max(st['trf_gain']))} "
            f"| {fmt(np.max(st['trf_dp']))} | {fmt(np.max(st['cand_chi2_spread']))} "
            f"| {fmt(np.max(st['cand_dp']))} |"
        )
    w("")
    w(f"Parameters at a bound (within {AT_BOUND_REL:g} x (upper - lower) of it), per parameter, and")
    w("the median error of `ref_params` against `true_params`, relative (|ref - true| / |true|) and")
    w("absolute:")
    w("")
    w("| model | parameter | at lower | at upper | median rel. error | median abs. error |")
    w("| --- | --- | --- | --- | --- | --- |")
    for m in models:
        s = summaries[m.name]
        for j, p in enumerate(m.params):
            w(
                f"| `{m.name}` | {p} | {s['at_lower'][j]} | {s['at_upper'][j]} "
                f"| {fmt(s['med_rel'][j])} | {fmt(s['med_abs'][j])} |"
            )
    w("")
    w("Per model: voxels with any parameter at a bound; the median reduced chi2 in units of the")
    w("noise variance (expected near 1); voxels where the reference fit's chi2 is at most the chi2")
    w("at `true_params` (must be all); and the median of `(chi2_true - chi2) / sd^2`, which for a")
    w("linearisable model follows a chi-square law with P degrees of freedom (median given).")
    w("")
    w("| model | any param at a bound | median chi2 / (n - P) / sd^2 | chi2 <= chi2_true "
      "| median (chi2_true - chi2) / sd^2 | chi-square(P) median |")  # fmt: skip
    w("| --- | --- | --- | --- | --- | --- |")
    for m in models:
        s = summaries[m.name]
        w(
            f"| `{m.name}` | {s['any_bound']} of {V} | {s['red_chi2']:.4f} | {s['beats_truth']} of {V} "
            f"| {s['gain_vs_truth']:.3f} | {s['chi2_p_median']:.3f} |"
        )
    w("")
    w("## Checks run by `make_golden.py`")
    w("")
    w("- Analytic Jacobians against central differences, worst `max_k |J - J_ref| / max_k |J_ref|`")
    w("  per column over the test points (the initial guess, 25 draws from the truth distribution,")
    w("  and for etofts four extra points that exercise the small-x series branch, the branch")
    w("  switch between the 5 s and the 10 s steps, and fast exchange). Three comparisons: (a)")
    w("  float64 analytic vs float64 central differences (step 1e-5 x max(|p|, 0.01)); (b) the same")
    w("  formulas in x87 extended precision (`np.longdouble`, step 1e-6), which checks the")
    w("  derivation free of float64 rounding; (c) float64 analytic vs extended-precision analytic,")
    w("  the rounding of the float64 Jacobian. For etofts, (a) and (c) are dominated by the")
    w("  cancellation in the spec's `x > 1e-3` formula for small `x` (slow exchange, mostly the")
    w("  extra test points, whose kep is far below the truth distribution's), and (b) by the")
    w("  difference noise on the tiny ve column at slow exchange.")
    w("")
    w("  | model | points | (a) float64 FD | (b) extended FD | (c) float64 rounding |")
    w("  | --- | --- | --- | --- | --- |")
    for m in models:
        a64, ald, rnd, npts = checks["jac"][m.name]
        w(f"  | `{m.name}` | {npts} | {a64:.2e} | {ald:.2e} | {rnd:.2e} |")
    w("")
    w("- The etofts recurrence against adaptive quadrature of `int exp(-kep (t - u)) cp_lin(u) du`")
    w(f"  for four (ktrans, ve): worst error relative to max F {checks['quad']:.2e}.")
    w("")
    w(f"Total size of the generated files (the `.npy` files and this README): {total_bytes} bytes.")
    w("")
    w("SHA-256 of the `.npy` files (from the run that wrote this README):")
    w("")
    w("```text")
    for name, digest in checks["sha"]:
        w(f"{digest}  {name}")
    w("```")
    w("")
    w("## Licence")
    w("")
    w("The data and the script are generated by this project and are under the project's licence:")
    w("MIT OR Apache-2.0 (the `license` field of the workspace `Cargo.toml`).")
    w("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = ap.parse_args()
    out = args.out

    found = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}
    for k, v in PINNED.items():
        if found[k] != v:
            warnings.warn(f"{k} {found[k]} is not the pinned {v}: results may differ", stacklevel=1)

    rng = np.random.default_rng(SEED)
    models = [M() for M in MODELS]
    data = {}
    for m in models:
        true = rng.uniform(m.truth_lo, m.truth_hi, size=(V, len(m.params)))
        clean = np.array([m.f(p) for p in true])
        noise = rng.normal(0.0, m.noise_sd, size=clean.shape)
        data[m.name] = (true, clean + noise)

    # Checks on an independent stream, so that they never change the data.
    crng = np.random.default_rng(SEED + 1)
    checks = {"jac": {}, "sha": []}
    for m in models:
        checks["jac"][m.name] = jacobian_check(m, crng)
        a64, ald, rnd, npts = checks["jac"][m.name]
        print(
            f"[jac] {m.name}: {npts} points, float64 FD {a64:.2e}, extended FD {ald:.2e}, "
            f"float64 rounding {rnd:.2e}",
            flush=True,
        )
    checks["quad"] = tofts_quadrature_check(models[1])
    print(f"[quad] etofts recurrence vs quadrature: {checks['quad']:.2e}", flush=True)

    summaries = {}
    for m in models:
        true, y = data[m.name]
        ref, chi2, st = fit_model(m, y)
        chi2_true = np.array([chi2_of(m, p, yv) for p, yv in zip(true, y)])
        width = m.upper - m.lower
        at_lo = np.abs(ref - m.lower) <= AT_BOUND_REL * width
        at_hi = np.abs(m.upper - ref) <= AT_BOUND_REL * width
        s = dict(
            stats=st,
            at_lower=at_lo.sum(axis=0),
            at_upper=at_hi.sum(axis=0),
            any_bound=int(np.any(at_lo | at_hi, axis=1).sum()),
            med_rel=np.median(np.abs(ref - true) / np.abs(true), axis=0),
            med_abs=np.median(np.abs(ref - true), axis=0),
            red_chi2=float(np.median(chi2 / (len(m.t) - len(m.params)) / m.noise_sd**2)),
            # A least-squares fit must beat the truth; (chi2_true - chi2) / sd^2 ~ chi-square(P).
            beats_truth=int(np.sum(chi2 <= chi2_true)),
            gain_vs_truth=float(np.median((chi2_true - chi2) / m.noise_sd**2)),
            chi2_p_median=float(chi2_dist.median(len(m.params))),
        )
        summaries[m.name] = s
        print(
            f"[fit] {m.name}: wins {st['wins']} real {st['real_wins']} lm ran {st['ran']['lm']} "
            f"oob {st['out_of_bounds']} max_nfev hit {st['maxnfev_hit']} "
            f"trf gain median {np.median(st['trf_gain']):.2e} max {np.max(st['trf_gain']):.2e} "
            f"trf dp max {np.max(st['trf_dp']):.2e}",
            flush=True,
        )
        print(
            f"      at lower {s['at_lower']} at upper {s['at_upper']} any {s['any_bound']} "
            f"median rel err {s['med_rel']} median abs err {s['med_abs']} "
            f"median reduced chi2/sd^2 {s['red_chi2']:.4f} beats truth {s['beats_truth']} "
            f"median gain vs truth {s['gain_vs_truth']:.3f} (chi-square({len(m.params)}) median "
            f"{s['chi2_p_median']:.3f})",
            flush=True,
        )

        d = out / m.name
        d.mkdir(parents=True, exist_ok=True)
        for k, arr in m.files.items():
            save(d / f"{k}.npy", arr)
        save(d / "y.npy", y)
        save(d / "true_params.npy", true)
        save(d / "init.npy", m.init)
        save(d / "lower.npy", m.lower)
        save(d / "upper.npy", m.upper)
        save(d / "ref_params.npy", ref)
        save(d / "ref_chi2.npy", chi2)

    for m in models:
        for k in [*m.files.keys(), "y", "true_params", "init", "lower", "upper", "ref_params", "ref_chi2"]:
            rel = f"{m.name}/{k}.npy"
            checks["sha"].append((rel, sha256(out / rel)))

    # The README states the generated files' total size, itself included: iterate to the fixed point.
    others = sum((out / rel).stat().st_size for rel, _ in checks["sha"])
    total = others
    for _ in range(10):
        text = readme(out, models, summaries, checks, total)
        new_total = others + len(text.encode())
        if new_total == total:
            break
        total = new_total
    (out / "README.md").write_text(text)
    print(f"[size] {out}: {total} bytes", flush=True)
    if total > 2.5e6:
        print("[size] WARNING: over 2.5 MB", file=sys.stderr)


if __name__ == "__main__":
    main()
