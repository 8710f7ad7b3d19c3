#!/usr/bin/env python3
"""Synthetic DCE data for the side-by-side comparison, and the fit by the Python osipy (the peer).

Part of ``benches/compare_osipy.sh dce`` (``benches/compare_osipy/dce.sh``); run by it with the
interpreter of a venv holding osipy 0.1.4 from PyPI (Python >= 3.12). For every model and size it

1. makes the synthetic data once: Parker population AIF (osipy's ``ParkerAIF()``, its default
   parameters, sampled at the acquisition times and used as the plasma curve by both fitters),
   ``nt`` samples ``dt`` s apart from t = 0, Ktrans ~ U(0.01, 0.5) /min, ve ~ U(0.05, 0.6),
   vp ~ U(0.005, 0.1) (extended Tofts only), tissue curves from an exact recursion between the
   acquisition times whose within-interval integral of the *continuous* AIF is a composite
   Simpson rule on a 0.05 s grid, plus Gaussian noise (SD ``noise_sd`` mM);
2. saves it as .npy in ``OUT/<model>_<voxels>/``: ``time_s.npy`` (nt), ``aif_mM.npy`` (nt),
   ``conc_mM.npy`` (voxels x nt), ``truth_params.npy`` (voxels x P, P = 2 or 3 in the order
   Ktrans /min, ve, vp);
3. fits it with ``osipy.dce.fit_model(model, conc, aif, t)`` with the peer's defaults (its
   ``LevenbergMarquardtFitter()``: 100 iterations, tolerance 1e-6, chunks of 10,000 voxels on
   ``OSIPY_NUM_THREADS`` or all cores; data-driven initial values; bounds Ktrans [0, 5],
   ve [0.001, 1], vp [0, 1]), timed with ``time.perf_counter`` around that one call after a
   warm-up fit of 50 voxels (excluded), and saves ``osipy_params.npy`` (voxels x P),
   ``osipy_converged.npy`` (bool, the per-voxel flag of osipy's LM, which ``fit_model`` drops
   and which is recorded here by wrapping ``LevenbergMarquardtFitter.fit_batch``),
   ``osipy_r2.npy``, ``meta.json`` and ``summary.txt`` (``key value`` lines, read by the Rust
   side).

Data generation, timing and instrumentation are those of the project's peer benchmark
``osipy_bench.py`` (same seed, same arrays: its ``--dump`` of the same model, size and seed holds
the same ``conc_mM.npy``).

Usage::

    dce_data_and_peer.py --out DIR [--models tofts,extended_tofts] [--sizes 10000,300000]
                         [--seed 1234] [--nt 80] [--dt 4] [--noise-sd 0.01] [--no-peer]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np

import osipy
from osipy.common.aif import ParkerAIF
from osipy.common.fitting.least_squares import LevenbergMarquardtFitter

MODEL_PARAMS = {"tofts": ["Ktrans", "ve"], "extended_tofts": ["Ktrans", "ve", "vp"]}

# ---------------------------------------------------------------------------
# Instrumentation: osipy's LM computes a per-voxel `converged` flag in fit_batch, but
# fit_image drops it; record it (and count forward-model evaluations).
# ---------------------------------------------------------------------------
_REC_LOCK = threading.Lock()
_REC: dict = {"batches": [], "evals": 0}
_orig_fit_batch = LevenbergMarquardtFitter.fit_batch


def _recording_fit_batch(self, model, observed_batch, bounds_override=None):
    params, r2, conv = _orig_fit_batch(self, model, observed_batch, bounds_override)
    ptr = observed_batch.__array_interface__["data"][0]
    with _REC_LOCK:
        _REC["batches"].append((ptr, observed_batch.strides[1], np.asarray(conv).copy()))
    return params, r2, conv


def _install_instrumentation():
    LevenbergMarquardtFitter.fit_batch = _recording_fit_batch
    from osipy.dce.models.binding import BoundDCEModel

    orig = BoundDCEModel.predict_array_batch

    def wrapped(self, free_params_batch, xp, _orig=orig):
        with _REC_LOCK:
            _REC["evals"] += int(free_params_batch.shape[1])
        return _orig(self, free_params_batch, xp)

    BoundDCEModel.predict_array_batch = wrapped


def _reset_rec():
    with _REC_LOCK:
        _REC["batches"] = []
        _REC["evals"] = 0


def _converged_vector(n: int) -> np.ndarray | None:
    """Re-assembles the per-voxel LM convergence flags in voxel order (chunks are column
    slices of one array, so their data pointers give their offsets)."""
    b = _REC["batches"]
    if not b:
        return None
    base = min(p for p, _, _ in b)
    out = np.zeros(n, dtype=bool)
    seen = 0
    for ptr, stride, conv in b:
        start = (ptr - base) // stride
        out[start : start + conv.size] = conv
        seen += conv.size
    return out if seen == n else None


# ---------------------------------------------------------------------------
# Synthetic data
# ---------------------------------------------------------------------------
def parker_aif(t_s: np.ndarray) -> np.ndarray:
    """osipy's Parker AIF (default parameters) at `t_s` seconds, mM."""
    return np.asarray(ParkerAIF()(t_s).concentration, dtype=np.float64)


def exact_tissue_curves(t, ktrans, ve, vp, substep=0.05):
    """C(t_k) = vp Cp(t_k) + Ktrans int_0^t_k Cp(u) exp(-kep (t_k - u)) du (time in min).

    Exact recursion between acquisition times; the within-interval integral of the continuous
    Parker AIF is a composite Simpson rule on `substep` seconds. Needs a uniform grid from 0.
    """
    dt = float(t[1] - t[0])
    m = int(round(dt / substep))
    m += m % 2  # Simpson needs an even number of sub-intervals
    s = np.linspace(0.0, dt, m + 1)  # lag within an interval, s
    w = np.ones(m + 1)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    w *= (dt / m) / 3.0 / 60.0  # Simpson weights, min
    kep = ktrans / ve  # 1/min
    decay = np.exp(-np.outer(s / 60.0, kep))  # (m+1, n)
    tk = t[1:]
    cp_sub = parker_aif((tk[:, None] - s[None, :]).ravel()).reshape(tk.size, m + 1)
    inc = (cp_sub * w[None, :]) @ decay  # (nt-1, n)
    edt = np.exp(-kep * dt / 60.0)
    conv = np.zeros((t.size, ktrans.size))
    for k in range(1, t.size):
        conv[k] = conv[k - 1] * edt + inc[k - 1]
    cp = parker_aif(t)
    return vp[None, :] * cp[:, None] + ktrans[None, :] * conv  # (nt, n)


def make_dce(n, model, nt, dt, noise_sd, seed):
    """(t s, aif mM, conc mM voxels x nt, truth {name: values}); as osipy_bench.py --truth exact."""
    rng = np.random.default_rng(seed)
    t = np.arange(nt, dtype=np.float64) * dt
    ktrans = rng.uniform(0.01, 0.5, n)  # 1/min
    ve = rng.uniform(0.05, 0.6, n)
    vp = rng.uniform(0.005, 0.1, n) if model == "extended_tofts" else np.zeros(n)
    aif = parker_aif(t)
    ct = exact_tissue_curves(t, ktrans, ve, vp)
    ct = ct + rng.normal(0.0, noise_sd, ct.shape)
    truth = {"Ktrans": ktrans, "ve": ve}
    if model == "extended_tofts":
        truth["vp"] = vp
    return t, aif, ct.T.copy(), truth


# ---------------------------------------------------------------------------
def peer_fit(model, t, aif, conc):
    """osipy's fit with its defaults, timed as osipy_bench.py times it."""
    from osipy.dce import fit_model

    n, nt = conc.shape
    conc4 = conc.reshape(n, 1, 1, nt)
    _reset_rec()
    t0 = time.perf_counter()
    res = fit_model(model, conc4, aif, t, fitter=None)
    wall = time.perf_counter() - t0
    conv = _converged_vector(n)
    est = np.column_stack([res.parameter_maps[p].values.reshape(n) for p in MODEL_PARAMS[model]])
    r2 = np.asarray(res.r_squared_map).reshape(n)
    return wall, est, conv, r2, _REC["evals"] / n


def fitter_desc():
    from osipy.common.backend.config import get_backend

    f = LevenbergMarquardtFitter()
    return {
        "class": "LevenbergMarquardtFitter",
        "max_iterations": f.max_iterations,
        "tolerance": f.tolerance,
        "chunk_size": f.chunk_size,
        "n_workers": get_backend().n_workers or os.cpu_count(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="root folder; one sub-folder per model and size")
    ap.add_argument("--models", default="tofts,extended_tofts")
    ap.add_argument("--sizes", default="10000,300000")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--nt", type=int, default=80, help="samples (default 80)")
    ap.add_argument("--dt", type=float, default=4.0, help="sampling interval, s (default 4)")
    ap.add_argument("--noise-sd", type=float, default=0.01, help="noise SD, mM (default 0.01)")
    ap.add_argument("--no-peer", action="store_true", help="make the data only")
    args = ap.parse_args()

    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in MODEL_PARAMS:
            ap.error(f"--models: unknown model '{m}' (expected tofts or extended_tofts)")
    try:
        sizes = [int(v) for v in args.sizes.split(",") if v]
    except ValueError:
        ap.error(f"--sizes expects a comma list of integers, got '{args.sizes}'")
    if not sizes or min(sizes) < 1:
        ap.error(f"--sizes expects positive integers, got '{args.sizes}'")
    if args.nt < 2 or not args.dt > 0 or not args.noise_sd >= 0:
        ap.error("need --nt >= 2, --dt > 0 and --noise-sd >= 0")

    _install_instrumentation()
    info = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "osipy": osipy.__version__,
        "numpy": np.__version__,
        "OSIPY_NUM_THREADS": os.environ.get("OSIPY_NUM_THREADS"),
    }
    print("# peer: " + json.dumps(info), flush=True)
    print("# peer fitter: " + json.dumps(fitter_desc()), flush=True)
    if not args.no_peer:
        # Warm-up (imports, first-call overheads), excluded from the timings.
        t, aif, conc, _ = make_dce(50, "tofts", args.nt, args.dt, args.noise_sd, args.seed)
        peer_fit("tofts", t, aif, conc)

    for model in models:
        for n in sizes:
            d = Path(args.out) / f"{model}_{n}"
            d.mkdir(parents=True, exist_ok=True)
            for stale in d.glob("*"):
                stale.unlink()
            t0 = time.perf_counter()
            t, aif, conc, truth = make_dce(n, model, args.nt, args.dt, args.noise_sd, args.seed)
            np.save(d / "time_s.npy", t)
            np.save(d / "aif_mM.npy", aif)
            np.save(d / "conc_mM.npy", conc)
            np.save(d / "truth_params.npy", np.column_stack([truth[p] for p in MODEL_PARAMS[model]]))
            gen = time.perf_counter() - t0
            summary = {"model": model, "voxels": n, "samples": args.nt, "seed": args.seed}
            meta = {
                **summary,
                "param_order": MODEL_PARAMS[model],
                "units": {"Ktrans": "1/min", "ve": "fraction", "vp": "fraction", "time": "s", "conc": "mM"},
                "dt_s": args.dt,
                "noise_sd_mM": args.noise_sd,
                "truth": "exact: recursion between samples, Simpson on 0.05 s of the continuous AIF",
                "aif": "osipy ParkerAIF() default parameters at time_s, used as the plasma curve",
                "param_ranges": {"Ktrans": [0.01, 0.5], "ve": [0.05, 0.6], "vp": [0.005, 0.1]},
                "peer": info,
            }
            line = f"[data {model:15s}] N={n:7d} made in {gen:.1f} s"
            if not args.no_peer:
                wall, est, conv, r2, evals = peer_fit(model, t, aif, conc)
                np.save(d / "osipy_params.npy", est)
                np.save(d / "osipy_r2.npy", r2)
                if conv is not None:
                    np.save(d / "osipy_converged.npy", conv)
                summary.update({"peer_wall_s": repr(wall), "peer_evals_per_voxel": f"{evals:.2f}"})
                meta.update({"peer_fitter": fitter_desc(), "peer_wall_s": wall, "peer_evals_per_voxel": evals})
                conv_s = "n/a" if conv is None else f"{conv.mean():.4f}"
                line += f"; peer fit {wall:.2f} s ({n / wall:.0f} voxels/s), converged {conv_s}"
            (d / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
            summary["peer"] = f"osipy {osipy.__version__}, numpy {np.__version__}, Python {info['python']}"
            (d / "summary.txt").write_text("".join(f"{k} {v}\n" for k, v in summary.items()))
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
