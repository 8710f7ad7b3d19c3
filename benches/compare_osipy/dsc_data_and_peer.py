#!/usr/bin/env python3
"""Synthetic DSC data for the side-by-side comparison, and the perfusion maps of the Python
osipy (the peer).

Part of ``benches/compare_osipy.sh dsc`` (``benches/compare_osipy/dsc.sh``); run by it with the
interpreter of a venv holding osipy 0.1.4 from PyPI (Python >= 3.12). It

1. makes the synthetic data once, with numpy alone (neither tool's code): ``nt`` frames ``dt``
   s apart from t = 0; a gamma-variate arterial concentration
   ``Ca(t) = A (x / (alpha beta))^alpha exp(alpha - x / beta)``, ``x = t - t0 >= 0``, with
   ``t0 = 10 s``, ``alpha = 3``, ``beta = 1.5 s``, peak ``A = 5 mM`` (no recirculation, no
   noise: both tools get the same noise-free AIF samples); per voxel CBF ~ U(10, 80)
   ml/100 g/min and MTT ~ U(2, 8) s, CBV = CBF MTT / 60 ml/100 g; an *exponential* residue
   ``R(t) = exp(-t / MTT)`` arriving with the AIF (no delay); the tissue curve
   ``C(t) = F int_0^t Ca(s) R(t - s) ds`` with ``F = CBF rho / (6000 kH)`` /s computed
   accurately (not with the discrete convolution matrix either tool deconvolves with): an
   exact recursion between frames, ``I_k = I_{k-1} exp(-dt / MTT) + int_0^dt Ca(t_k - s)
   exp(-s / MTT) ds``, whose within-frame integral of the *continuous* AIF is a composite
   Simpson rule on a 0.01 s grid; plus Gaussian noise whose SD is ``noise`` times each
   voxel's noise-free peak (default 0.02, a peak SNR of 50);
2. saves it as .npy in ``OUT/``: ``time_s.npy`` (nt), ``aif_mM.npy`` (nt), ``conc_mM.npy``
   (voxels x nt), ``truth_params.npy`` (voxels x 3: CBF ml/100 g/min, CBV ml/100 g, MTT s);
3. runs ``osipy.dsc.compute_perfusion_maps(conc, aif, t, mask=mask, deconvolution_method=m,
   svd_threshold=..., fitter=..., density=1.04, hematocrit_ratio=1.0)`` for each method ``m``
   of sSVD, cSVD, oSVD (the data as ``voxels x 1 x 1 x nt`` with an all-true mask, as the
   project's peer benchmark ``osipy_bench.py`` drives it), timed with ``time.perf_counter``
   around that one call after one untimed warm-up call per method on 1,000 voxels: the
   median of ``reps`` calls (default 3; a call takes well under a second to a few seconds,
   and one call's time varies by a factor of two with what else the machine runs); saves
   ``osipy_<method>_params.npy`` (voxels x 3, CBF, CBV, MTT as above, from the last call),
   ``meta.json`` and ``summary.txt`` (``key value`` lines, read by the Rust side:
   ``peer_wall_s_<method>`` the median, ``peer_walls_s_<method>`` every time, comma list).

Conventions, the same for the truth and both tools: density rho = 1.04 g/ml and haematocrit
factor kH = 1 (so the peer gets ``hematocrit_ratio=1.0``, ours ``.factors(1.04, 1.0)``); the
AIF and the tissue curves in the same unit (mM); CBF = 6000 kH / rho max(residue), CBV =
100 kH / rho int C / int Ca (trapezoid). The peer's MTT is ``dt sum(max(R, 0)) / max R``, ours
is ``60 CBV / CBF``; both are compared with the same true MTT.

Thresholds, the same for both tools: sSVD and cSVD drop the singular values at or below 0.2
times the largest (osipy's default for both; ours gets ``with_threshold(0.2)``), oSVD targets
an oscillation index of 0.035 (the default of both). The two tools define that index
differently: ours follows Wu et al. (MRM 2003;50:164-174), the sum of absolute *second*
differences of the residue over ``L max(residue)`` (``L`` its samples, twice the frames for the
block-circulant matrix); osipy sums absolute *first* differences over ``nt max|residue|`` and
picks, among 20 thresholds from 0.01 to 0.5, the one giving the smallest index below the
target (0.2 when none is). The peer's fitters ignore ``svd_threshold`` when built by the
registry, so they are passed explicitly (``SSVDFitter(threshold=0.2)``,
``CSVDFitter(threshold=0.2)``, ``OSVDFitter(oscillation_index=0.035)``). Note that osipy's
"circulant" matrix is the upper-left ``nt x nt`` block of the block-circulant matrix of the
zero-padded AIF, which is the causal (lower-triangular) matrix of sSVD; ours is the whole
``2 nt x 2 nt`` block-circulant matrix (Wu 2003). osipy's entries are the rectangle rule
``A_ij = dt Ca_{i-j}``; ours by default take both curves linear between frames (Sourbron et
al., MRM 2004), and ``compare_dsc --discretisation rectangle`` (``dsc.sh --discretisation
rectangle``) gives ours the peer's rule.

Usage::

    dsc_data_and_peer.py --out DIR [--voxels 100000] [--nt 60] [--dt 1.5] [--noise 0.02]
                         [--methods ssvd,csvd,osvd] [--reps 3] [--seed 1234] [--no-peer]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

import osipy

DENSITY = 1.04  # g/ml
KH = 1.0  # haematocrit factor
SVD_THRESHOLD = 0.2  # sSVD, cSVD: relative to the largest singular value
OSVD_OI = 0.035  # oSVD target oscillation index
PEER_NAME = {"ssvd": "sSVD", "csvd": "cSVD", "osvd": "oSVD"}

# The arterial gamma variate.
AIF_T0, AIF_ALPHA, AIF_BETA, AIF_PEAK = 10.0, 3.0, 1.5, 5.0
CBF_RANGE = (10.0, 80.0)  # ml/100 g/min
MTT_RANGE = (2.0, 8.0)  # s
SUBSTEP = 0.01  # s, the Simpson grid of the truth


def aif_conc(t_s: np.ndarray) -> np.ndarray:
    """The gamma-variate arterial concentration at `t_s` seconds, mM (zero before t0)."""
    x = np.clip(np.asarray(t_s, dtype=np.float64) - AIF_T0, 0.0, None)
    return AIF_PEAK * (x / (AIF_ALPHA * AIF_BETA)) ** AIF_ALPHA * np.exp(AIF_ALPHA - x / AIF_BETA)


def tissue_curves(t: np.ndarray, flow: np.ndarray, mtt: np.ndarray, chunk: int = 20000) -> np.ndarray:
    """C(t_k) = F int_0^t_k Ca(s) exp(-(t_k - s) / MTT) ds, (voxels x nt).

    Exact recursion between the frames; the within-frame integral of the continuous AIF is a
    composite Simpson rule on a `SUBSTEP` grid. Needs a uniform grid from 0 (Ca is zero
    before t = 0).
    """
    dt = float(t[1] - t[0])
    m = int(round(dt / SUBSTEP))
    m += m % 2  # Simpson needs an even number of sub-intervals
    s = np.linspace(0.0, dt, m + 1)  # lag within a frame, s
    w = np.ones(m + 1)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    w *= (dt / m) / 3.0
    tk = t[1:]
    ca_sub = aif_conc((tk[:, None] - s[None, :]).ravel()).reshape(tk.size, m + 1) * w[None, :]
    out = np.zeros((flow.size, t.size))
    for a in range(0, flow.size, chunk):
        b = min(a + chunk, flow.size)
        decay = np.exp(-np.outer(s, 1.0 / mtt[a:b]))  # (m+1, chunk)
        inc = ca_sub @ decay  # (nt-1, chunk)
        edt = np.exp(-dt / mtt[a:b])
        acc = np.zeros(b - a)
        for k in range(1, t.size):
            acc = acc * edt + inc[k - 1]
            out[a:b, k] = flow[a:b] * acc
    return out


def make_dsc(n, nt, dt, noise, seed):
    """(t s, aif mM, conc mM voxels x nt, truth voxels x 3: CBF, CBV, MTT)."""
    rng = np.random.default_rng(seed)
    t = np.arange(nt, dtype=np.float64) * dt
    cbf = rng.uniform(*CBF_RANGE, n)
    mtt = rng.uniform(*MTT_RANGE, n)
    cbv = cbf * mtt / 60.0
    flow = cbf * DENSITY / (6000.0 * KH)  # /s
    conc = tissue_curves(t, flow, mtt)
    conc += rng.normal(0.0, 1.0, conc.shape) * (noise * conc.max(axis=1, keepdims=True))
    return t, aif_conc(t), conc, np.column_stack([cbf, cbv, mtt])


def peer_fitter(method: str):
    from osipy.dsc.deconvolution.svd_fitters import CSVDFitter, OSVDFitter, SSVDFitter

    if method == "ssvd":
        return SSVDFitter(threshold=SVD_THRESHOLD)
    if method == "csvd":
        return CSVDFitter(threshold=SVD_THRESHOLD)
    return OSVDFitter(oscillation_index=OSVD_OI)


def peer_maps(method, t, aif, conc):
    """osipy's maps (voxels x 3: CBF, CBV, MTT) and the wall time of compute_perfusion_maps."""
    from osipy.dsc import compute_perfusion_maps

    n, nt = conc.shape
    data = conc.reshape(n, 1, 1, nt)
    mask = np.ones((n, 1, 1), dtype=bool)
    fitter = peer_fitter(method)
    t0 = time.perf_counter()
    maps = compute_perfusion_maps(
        data,
        aif,
        t,
        mask=mask,
        deconvolution_method=PEER_NAME[method],
        svd_threshold=SVD_THRESHOLD,
        fitter=fitter,
        density=DENSITY,
        hematocrit_ratio=KH,
    )
    wall = time.perf_counter() - t0
    est = np.column_stack([np.asarray(getattr(maps, p).values, dtype=np.float64).reshape(n) for p in ("cbf", "cbv", "mtt")])
    return wall, est


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder of the data set (emptied first)")
    ap.add_argument("--voxels", type=int, default=100000)
    ap.add_argument("--nt", type=int, default=60, help="frames (default 60)")
    ap.add_argument("--dt", type=float, default=1.5, help="frame interval, s (default 1.5)")
    ap.add_argument("--noise", type=float, default=0.02, help="noise SD over each voxel's peak (default 0.02)")
    ap.add_argument("--methods", default="ssvd,csvd,osvd")
    ap.add_argument("--reps", type=int, default=3, help="timed calls of the peer per method, median (default 3)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--no-peer", action="store_true", help="make the data only")
    args = ap.parse_args()

    methods = [m for m in args.methods.split(",") if m]
    for m in methods:
        if m not in PEER_NAME:
            ap.error(f"--methods: unknown method '{m}' (expected ssvd, csvd or osvd)")
    if not methods:
        ap.error("--methods: no method given")
    if args.voxels < 1 or args.nt < 4 or not args.dt > 0 or not args.noise >= 0 or args.reps < 1:
        ap.error("need --voxels >= 1, --nt >= 4, --dt > 0, --noise >= 0 and --reps >= 1")

    info = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "osipy": osipy.__version__,
        "numpy": np.__version__,
        "OSIPY_NUM_THREADS": os.environ.get("OSIPY_NUM_THREADS"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
    }
    print("# peer: " + json.dumps(info), flush=True)

    d = Path(args.out)
    d.mkdir(parents=True, exist_ok=True)
    for stale in d.glob("*"):
        if stale.is_file():
            stale.unlink()
    t0 = time.perf_counter()
    t, aif, conc, truth = make_dsc(args.voxels, args.nt, args.dt, args.noise, args.seed)
    np.save(d / "time_s.npy", t)
    np.save(d / "aif_mM.npy", aif)
    np.save(d / "conc_mM.npy", conc)
    np.save(d / "truth_params.npy", truth)
    gen = time.perf_counter() - t0
    print(f"[data] N={args.voxels} x {args.nt} made in {gen:.1f} s", flush=True)

    summary = {
        "voxels": args.voxels,
        "frames": args.nt,
        "dt_s": repr(args.dt),
        "noise": repr(args.noise),
        "seed": args.seed,
        "density": repr(DENSITY),
        "kh": repr(KH),
        "svd_threshold": repr(SVD_THRESHOLD),
        "oscillation_index": repr(OSVD_OI),
    }
    meta = {
        **summary,
        "param_order": ["CBF", "CBV", "MTT"],
        "units": {"CBF": "ml/100g/min", "CBV": "ml/100g", "MTT": "s", "time": "s", "conc": "mM"},
        "aif": {"model": "gamma variate", "t0_s": AIF_T0, "alpha": AIF_ALPHA, "beta_s": AIF_BETA, "peak_mM": AIF_PEAK},
        "residue": "exponential exp(-t / MTT), no delay",
        "truth": f"exact recursion between frames, Simpson on {SUBSTEP} s of the continuous AIF",
        "noise": "Gaussian, SD = noise x each voxel's noise-free peak; AIF noise-free",
        "param_ranges": {"CBF": list(CBF_RANGE), "MTT": list(MTT_RANGE)},
        "peer": info,
        "peer_fitters": {},
    }
    if not args.no_peer:
        # Warm-up (imports, first-call overheads), excluded from the timings.
        warm = min(args.voxels, 1000)
        for m in methods:
            peer_maps(m, t, aif, conc[:warm])
        for m in methods:
            walls = []
            for _ in range(args.reps):
                w, est = peer_maps(m, t, aif, conc)
                walls.append(w)
            wall = float(np.median(walls))
            np.save(d / f"osipy_{m}_params.npy", est)
            summary[f"peer_wall_s_{m}"] = repr(wall)
            summary[f"peer_walls_s_{m}"] = ",".join(f"{w:.4f}" for w in walls)
            meta[f"peer_wall_s_{m}"] = wall
            meta[f"peer_walls_s_{m}"] = walls
            meta["peer_fitters"][m] = {"class": type(peer_fitter(m)).__name__, **vars(peer_fitter(m))}
            bad = int(np.sum(~np.isfinite(est).all(axis=1)))
            print(
                f"[peer {PEER_NAME[m]}] N={args.voxels} walls {[round(w, 4) for w in walls]} s, median {wall:.3f} s "
                f"({args.voxels / wall:.0f} voxels/s); "
                f"voxels with a non-finite map {bad}",
                flush=True,
            )
    summary["peer"] = f"osipy {osipy.__version__}, numpy {np.__version__}, Python {info['python']}"
    (d / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    (d / "summary.txt").write_text("".join(f"{k} {v}\n" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
