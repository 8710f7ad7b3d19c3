#!/usr/bin/env python3
"""The Python osipy 0.1.4 and osipy_rs side by side from Python, on identical NumPy arrays.

Part of ``benches/compare_osipy.sh python`` (``benches/compare_osipy/python.sh``), which runs it
with a venv holding both packages. For each modality's main fit the same arrays go to the same
call of both packages (only the import differs; ASL gets each package's documented PLD
convention, see below):

- DCE: ``fit_model("extended_tofts", conc, aif, t)``: Parker AIF, 80 frames 4 s apart, Ktrans
  U(0.01, 0.5) /min, ve U(0.05, 0.6), vp U(0.005, 0.1), noise SD 0.01 mM;
- DSC: ``compute_perfusion_maps(conc, aif, t, mask, deconvolution_method="oSVD")``: 60 frames
  1.5 s apart, a gamma-variate AIF, exponential residues, CBF U(10, 80), MTT U(2, 8) s, noise
  2% of each peak;
- IVIM: ``fit_ivim(signal, b, params=IVIMFitParams(method=segmented))``: the 18 b-values of the
  OSIPI IVIM collection, D U(0.5e-3, 2.5e-3), f U(0.05, 0.35), D* U(0.01, 0.1) mm²/s, Rician
  noise SD S0 / 50;
- ASL: ``quantify_multi_pld(delta_m, m0, MultiPLDParams(...))``: PCASL, τ 1800 ms, PLDs 250 to
  2500 ms, CBF U(20, 90), ATT U(500, 2000) ms. The Python osipy takes its ``plds`` as PLD + τ
  and its ΔM amplitude lacks 1/λ (see BENCHMARKS.md, ASL); it gets those, osipy_rs the white
  paper's PLDs, so both fit the model that made the data.

Times: the Python osipy once after a warm-up call on 50 voxels (its fits take seconds);
osipy_rs the median of ``--reps`` calls. Overhead of osipy_rs: the median wall time of a call
on 1 voxel (``--small-reps`` calls; the Python osipy's too), and at N voxels the call's wall
time minus the time the Rust library reports it spent (``osipy_rs._native.last_compute_seconds``):
argument checks, conversions, result objects. Both use every core (OSIPY_NUM_THREADS unset,
``threads=None``). The last line is ``min_ratio <X>``, the smallest speed ratio in the table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np


def median_time(fn, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# --- data ------------------------------------------------------------------------------------


def dce_data(n, rng):
    from osipy_rs.common.aif import ParkerAIF

    t = np.arange(80, dtype=np.float64) * 4.0
    aif = np.asarray(ParkerAIF()(t).concentration, dtype=np.float64)
    kt = rng.uniform(0.01, 0.5, n)
    ve = rng.uniform(0.05, 0.6, n)
    vp = rng.uniform(0.005, 0.1, n)
    dt = 4.0 / 60.0
    kep = kt / ve
    conv = np.zeros((n, t.size))
    e = np.exp(-kep * dt)
    for k in range(1, t.size):
        conv[:, k] = conv[:, k - 1] * e + 0.5 * dt * (aif[k] + aif[k - 1] * e)
    conc = vp[:, None] * aif[None, :] + kt[:, None] * conv + rng.normal(0, 0.01, (n, t.size))
    return t, aif, conc.reshape(n, 1, 1, t.size)


def dsc_data(n, rng):
    t = np.arange(60, dtype=np.float64) * 1.5
    tt = np.clip(t - 10.0, 0, None)
    aif = 12.0 * (tt / 3.0) ** 3 * np.exp(-tt / 1.5)
    aif /= aif.max() / 8.0
    cbf = rng.uniform(10.0, 80.0, n) * 1.04 / (6000.0 * 0.73)
    mtt = rng.uniform(2.0, 8.0, n)
    dt = 1.5
    conc = np.zeros((n, t.size))
    for k in range(t.size):
        lag = t[k] - t[: k + 1]
        conc[:, k] = cbf * dt * (aif[: k + 1][None, :] * np.exp(-lag[None, :] / mtt[:, None])).sum(axis=1)
    conc += rng.normal(0, 1, conc.shape) * 0.02 * conc.max(axis=1, keepdims=True)
    return t, aif, conc.reshape(n, 1, 1, t.size)


B = np.array([0, 1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 250, 350, 400, 550, 700, 850, 1000], dtype=np.float64)


def ivim_data(n, rng):
    d = rng.uniform(0.5e-3, 2.5e-3, n)
    f = rng.uniform(0.05, 0.35, n)
    ds = rng.uniform(0.01, 0.1, n)
    s = 1000.0 * ((1 - f)[:, None] * np.exp(-B[None, :] * d[:, None]) + f[:, None] * np.exp(-B[None, :] * ds[:, None]))
    sd = 1000.0 / 50.0
    s = np.sqrt((s + rng.normal(0, sd, s.shape)) ** 2 + rng.normal(0, sd, s.shape) ** 2)
    return s.reshape(n, 1, 1, B.size)


PLDS = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 2.5])
TAU, T1B, T1T, ALPHA, LAM = 1.8, 1.65, 1.33, 0.85, 0.9


def asl_data(n, rng):
    cbf = rng.uniform(20.0, 90.0, n)
    att = rng.uniform(0.5, 2.0, n)
    m0 = rng.uniform(800.0, 1200.0, n)
    f = cbf[:, None] / 6000.0
    t1app = 1.0 / (1.0 / T1T + f / LAM)
    t = TAU + PLDS[None, :]
    a = att[:, None]
    amp = 2.0 * ALPHA * m0[:, None] / LAM * f * t1app * np.exp(-a / T1B)
    during = amp * (1.0 - np.exp(-(t - a) / t1app))
    after = amp * np.exp(-(t - a - TAU) / t1app) * (1.0 - np.exp(-TAU / t1app))
    dm = np.where(t <= a, 0.0, np.where(t < a + TAU, during, after))
    dm += rng.normal(0, 1, dm.shape) * 3e-4 * m0[:, None]
    return dm.reshape(n, 1, 1, PLDS.size), m0.reshape(n, 1, 1)


# --- calls: the same code for both packages ----------------------------------------------------


def calls(pkg, n, rng_seed):
    """{modality: (call on the first k voxels -> None)} for package ``pkg`` ('osipy' or
    'osipy_rs'), on data made from ``rng_seed`` (identical for both)."""
    import importlib

    dce = importlib.import_module(f"{pkg}.dce")
    dsc = importlib.import_module(f"{pkg}.dsc")
    ivim = importlib.import_module(f"{pkg}.ivim")
    if pkg == "osipy":
        from osipy.asl.quantification.multi_pld import MultiPLDParams, quantify_multi_pld
        from osipy.ivim.fitting.estimators import FittingMethod, IVIMFitParams
    else:
        from osipy_rs.asl import MultiPLDParams, quantify_multi_pld
        from osipy_rs.ivim import FittingMethod, IVIMFitParams

    rng = np.random.default_rng(rng_seed)
    t, aif, conc = dce_data(n, rng)
    ts, aifs, concs = dsc_data(n, rng)
    sig = ivim_data(n, rng)
    dm, m0 = asl_data(n, rng)
    if pkg == "osipy":
        asl_params = MultiPLDParams(
            plds=(PLDS + TAU) * 1000.0, label_duration=TAU * 1000.0, t1_blood=T1B * 1000.0,
            t1_tissue=T1T * 1000.0, partition_coefficient=LAM, labeling_efficiency=ALPHA,
        )
        dm_in = LAM * dm
    else:
        asl_params = MultiPLDParams(
            plds=PLDS * 1000.0, label_duration=TAU * 1000.0, t1_blood=T1B * 1000.0,
            t1_tissue=T1T * 1000.0, partition_coefficient=LAM, labeling_efficiency=ALPHA,
        )
        dm_in = dm
    ivim_params = IVIMFitParams(method=FittingMethod("segmented"))
    return {
        "DCE fit_model extended_tofts": lambda k: dce.fit_model("extended_tofts", conc[:k], aif, t),
        "DSC compute_perfusion_maps oSVD": lambda k: dsc.compute_perfusion_maps(
            concs[:k], aifs, ts, mask=np.ones(concs[:k].shape[:-1], bool), deconvolution_method="oSVD"
        ),
        "IVIM fit_ivim segmented": lambda k: ivim.fit_ivim(sig[:k], B, params=ivim_params),
        "ASL quantify_multi_pld": lambda k: quantify_multi_pld(dm_in[:k], m0[:k], asl_params),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voxels", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=5, help="timed calls of osipy_rs (median; default 5)")
    ap.add_argument("--small-reps", type=int, default=200, help="timed 1-voxel calls of osipy_rs (median; default 200; the Python osipy 20)")
    ap.add_argument("--modalities", default="dce,dsc,ivim,asl")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    if args.voxels < 1 or args.reps < 1 or args.small_reps < 1:
        ap.error("need --voxels, --reps and --small-reps >= 1")
    wanted = {m.strip().lower() for m in args.modalities.split(",") if m.strip()}

    import osipy
    import osipy_rs
    from osipy_rs import _native

    print(f"# date {time.strftime('%Y-%m-%d %H:%M:%S')}, load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    print(f"# osipy {osipy.__version__}, osipy_rs {osipy_rs.__version__}, numpy {np.__version__}, Python {platform.python_version()}")
    n = args.voxels
    peer = calls("osipy", n, args.seed)
    ours = calls("osipy_rs", n, args.seed)
    rows = []
    for name in peer:
        if name.split()[0].lower() not in wanted:
            continue
        peer[name](50)  # warm-up (imports, caches)
        ours[name](50)
        t0 = time.perf_counter()
        peer[name](n)
        peer_s = time.perf_counter() - t0
        overheads = []
        ours_times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            ours[name](n)
            wall = time.perf_counter() - t0
            ours_times.append(wall)
            overheads.append(wall - _native.last_compute_seconds())
        ours_s = statistics.median(ours_times)
        peer_one = median_time(lambda: peer[name](1), 20)
        ours_one = median_time(lambda: ours[name](1), args.small_reps)
        row = (name, n, peer_s, ours_s, peer_s / ours_s, peer_one * 1e3, ours_one * 1e3, statistics.median(overheads) * 1e3)
        rows.append(row)
        print(f"[{name}] osipy {peer_s:.3f} s, osipy_rs {ours_s:.4f} s ({peer_s / ours_s:.1f}x)", flush=True)

    print()
    print("| call | voxels | osipy s | osipy_rs s | ratio | osipy 1 voxel ms | osipy_rs 1 voxel ms | osipy_rs overhead at N ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, nv, ps, os_, r, p1, o1, ov in rows:
        print(f"| {name} | {nv} | {ps:.3f} | {os_:.4f} | {r:.1f} | {p1:.2f} | {o1:.3f} | {ov:.2f} |")
    print()
    print(f"min_ratio {min(r[4] for r in rows):.1f}" if rows else "min_ratio nan")


if __name__ == "__main__":
    main()
