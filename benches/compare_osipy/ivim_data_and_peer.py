#!/usr/bin/env python3
"""Synthetic IVIM data for the side-by-side comparison, and the fits by the Python osipy and DIPY.

Part of ``benches/compare_osipy.sh ivim`` (``benches/compare_osipy/ivim.sh``). Two modes:

- default (run with a venv holding osipy 0.1.4): makes the data once and fits it with
  ``osipy.ivim.fit_ivim`` by each of its methods (``segmented``, ``full`` and its two-stage
  ``bayesian``: a MAP fit with priors from the whole population), every method with its
  defaults, timed with ``time.perf_counter`` around the one call after a warm-up fit of 50
  voxels (excluded);
- ``--dipy`` (run with a venv holding dipy and cvxpy): fits the first ``--dipy-voxels`` voxels of
  the same data with DIPY's ``IvimModel`` (``fit_method='trr'`` and ``'varpro'``), timed alike.

The data (``OUT/``): 18 b-values of the OSIPI IVIM code collection's ``generic.json``
(``b.npy``), S0 1000, D ~ U(0.5e-3, 2.5e-3) mm²/s, f ~ U(0.05, 0.35), D* ~ U(0.01, 0.1)
mm²/s (``truth.npy``: voxels x [s0, f, d, dstar]), the signals with Rician noise of SD S0 / SNR
(``signal.npy``: voxels x 18). Each fit saves ``<peer>_<method>.npy`` (voxels x [d, dstar, f])
and appends ``peer method voxels wall_s`` to ``peers.txt``.

Usage::

    ivim_data_and_peer.py --out DIR [--voxels 100000] [--snr 50] [--seed 1234] [--no-peer]
    ivim_data_and_peer.py --out DIR --dipy [--dipy-voxels 2000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

B = np.array([0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 250.0, 350.0,
              400.0, 550.0, 700.0, 850.0, 1000.0])


def make(n, snr, seed):
    rng = np.random.default_rng(seed)
    s0 = np.full(n, 1000.0)
    d = rng.uniform(0.5e-3, 2.5e-3, n)
    f = rng.uniform(0.05, 0.35, n)
    ds = rng.uniform(0.01, 0.1, n)
    s = s0[:, None] * (f[:, None] * np.exp(-B[None, :] * ds[:, None])
                       + (1 - f[:, None]) * np.exp(-B[None, :] * d[:, None]))
    sd = s0[:, None] / snr
    re = s + sd * rng.standard_normal(s.shape)
    im = sd * rng.standard_normal(s.shape)
    return np.sqrt(re * re + im * im), np.column_stack([s0, f, d, ds])


def record(out, peer, method, n, wall, est):
    np.save(out / f"{peer}_{method}.npy", est)
    with open(out / "peers.txt", "a") as fh:
        fh.write(f"{peer} {method} {n} {wall!r}\n")
    print(f"[{peer} {method:9s}] {n} voxels in {wall:.2f} s ({n / wall:.0f} voxels/s)", flush=True)


def osipy_fits(out, signal):
    import osipy
    from osipy.ivim import fit_ivim
    from osipy.ivim.fitting.estimators import FittingMethod, IVIMFitParams

    print(f"# peer: osipy {osipy.__version__}, numpy {np.__version__}", flush=True)
    n = signal.shape[0]
    for method in ["segmented", "full", "bayesian"]:
        def run(sig):
            params = IVIMFitParams(method=FittingMethod(method))
            return fit_ivim(sig.reshape(sig.shape[0], 1, 1, B.size), B, params=params)

        run(signal[:50])  # warm-up
        t0 = time.perf_counter()
        res = run(signal)
        wall = time.perf_counter() - t0
        est = np.column_stack([
            np.asarray(res.d_map.values).reshape(n),
            np.asarray(res.d_star_map.values).reshape(n),
            np.asarray(res.f_map.values).reshape(n),
        ])
        record(out, "osipy", method, n, wall, est)


def dipy_fits(out, signal, nv):
    import dipy
    from dipy.core.gradients import gradient_table
    from dipy.reconst.ivim import IvimModel

    print(f"# peer: dipy {dipy.__version__}, numpy {np.__version__}", flush=True)
    vecs = np.zeros((B.size, 3))
    vecs[B > 0, 0] = 1.0
    gtab = gradient_table(B, bvecs=vecs, b0_threshold=0)
    sig = signal[:nv]
    for method in ["trr", "varpro"]:
        model = IvimModel(gtab, fit_method=method)
        model.fit(sig[:5])  # warm-up
        t0 = time.perf_counter()
        fit = model.fit(sig)
        wall = time.perf_counter() - t0
        est = np.column_stack([fit.D, fit.D_star, fit.perfusion_fraction])
        record(out, "dipy", method, nv, wall, est)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--voxels", type=int, default=100000)
    ap.add_argument("--snr", type=float, default=50.0)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--no-peer", action="store_true", help="make the data only")
    ap.add_argument("--dipy", action="store_true", help="fit the existing data with DIPY")
    ap.add_argument("--dipy-voxels", type=int, default=2000)
    a = ap.parse_args()
    out = Path(a.out)
    if a.dipy:
        signal = np.load(out / "signal.npy")
        dipy_fits(out, signal, min(a.dipy_voxels, signal.shape[0]))
        return 0
    if a.voxels < 1 or not a.snr > 0:
        ap.error("need --voxels >= 1 and --snr > 0")
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*"):
        stale.unlink()
    signal, truth = make(a.voxels, a.snr, a.seed)
    np.save(out / "b.npy", B)
    np.save(out / "signal.npy", signal)
    np.save(out / "truth.npy", truth)
    (out / "meta.txt").write_text(f"voxels {a.voxels}\nsnr {a.snr}\nseed {a.seed}\n")
    print(f"[data] {a.voxels} voxels, SNR {a.snr}, seed {a.seed}", flush=True)
    if not a.no_peer:
        osipy_fits(out, signal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
