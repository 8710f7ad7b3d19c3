#!/usr/bin/env python3
"""Synthetic multi-PLD PCASL data for the side-by-side comparison, and the fits by the Python
osipy (the peer).

Part of ``benches/compare_osipy.sh asl`` (``benches/compare_osipy/asl.sh``); run by it with the
interpreter of a venv holding osipy 0.1.4 from PyPI. It

1. makes the data once, with numpy alone (neither tool's code): ``voxels`` PCASL voxels,
   labelling duration 1.8 s, PLDs 0.25, 0.5, 1.0, 1.5, 2.0, 2.5 s (BIDS: after the end of
   labelling), CBF ~ U(20, 90) ml/100 g/min, ATT ~ U(0.5, 2.0) s, M0 ~ U(800, 1200), the Buxton
   general kinetic model with the apparent tissue T1 ``1/(1/T1t + f/λ)`` (T1b 1.65 s, T1t 1.33 s,
   α 0.85, λ 0.9, ``M0b = M0/λ``), plus Gaussian noise of SD ``noise`` × M0 on every ΔM (default
   3e-4: SNR about 25 on grey matter's peak ΔM); and single-PLD ΔM at PLD 1.8 s by the same model
   with its own noise;
2. saves it as .npy in ``OUT/``: ``plds_s.npy``, ``dm.npy`` (voxels x 6), ``m0.npy``,
   ``truth.npy`` (voxels x 2: CBF ml/100 g/min, ATT s), ``dm_single.npy`` (voxels);
3. fits it with the peer: ``osipy.asl.quantify_multi_pld`` (its Buxton model and its
   ``LevenbergMarquardtFitter`` defaults) and ``quantify_cbf`` (single PLD), each timed with
   ``time.perf_counter`` around the one call after a warm-up of 50 voxels (excluded); saves
   ``osipy_cbf.npy``, ``osipy_att_s.npy``, ``osipy_cbf_single.npy``, ``summary.txt``.

The peer's conventions differ from BIDS and the white paper in two places, which this script
maps so that the peer's model is the model that made the data: its ``plds`` are the times since
the *start* of labelling (it is given ``PLD + τ``, in ms), and its ΔM amplitude lacks the ``1/λ``
of ``M0b = M0/λ`` (it is given ``λ ΔM``). Its ATT comes in ms (divided by 1000 here).

Usage::

    asl_data_and_peer.py --out DIR [--voxels 100000] [--seed 1234] [--noise 3e-4] [--no-peer]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

PLDS = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 2.5])
TAU, T1B, T1T, ALPHA, LAM = 1.8, 1.65, 1.33, 0.85, 0.9
SINGLE_PLD = 1.8


def buxton_pcasl(plds, cbf, att, m0):
    """ΔM (voxels x PLDs) of the Buxton model, PLD after the end of labelling (s)."""
    f = cbf[:, None] / 6000.0
    t1app = 1.0 / (1.0 / T1T + f / LAM)
    t = TAU + plds[None, :]
    a = att[:, None]
    amp = 2.0 * ALPHA * m0[:, None] / LAM * f * t1app * np.exp(-a / T1B)
    during = amp * (1.0 - np.exp(-(t - a) / t1app))
    after = amp * np.exp(-(t - a - TAU) / t1app) * (1.0 - np.exp(-TAU / t1app))
    return np.where(t <= a, 0.0, np.where(t < a + TAU, during, after))


def make(n, seed, noise):
    rng = np.random.default_rng(seed)
    cbf = rng.uniform(20.0, 90.0, n)
    att = rng.uniform(0.5, 2.0, n)
    m0 = rng.uniform(800.0, 1200.0, n)
    dm = buxton_pcasl(PLDS, cbf, att, m0) + rng.normal(0.0, 1.0, (n, PLDS.size)) * noise * m0[:, None]
    single = buxton_pcasl(np.array([SINGLE_PLD]), cbf, att, m0)[:, 0] + rng.normal(0.0, 1.0, n) * noise * m0
    return cbf, att, m0, dm, single


def peer_multi(dm, m0):
    from osipy.asl.quantification.multi_pld import MultiPLDParams, quantify_multi_pld

    params = MultiPLDParams(
        plds=(PLDS + TAU) * 1000.0,
        label_duration=TAU * 1000.0,
        t1_blood=T1B * 1000.0,
        t1_tissue=T1T * 1000.0,
        partition_coefficient=LAM,
        labeling_efficiency=ALPHA,
    )
    t0 = time.perf_counter()
    n = dm.shape[0]
    r = quantify_multi_pld((LAM * dm).reshape(n, 1, 1, -1), m0.reshape(n, 1, 1), params)
    wall = time.perf_counter() - t0
    return wall, np.asarray(r.cbf_map.values).reshape(n), np.asarray(r.att_map.values).reshape(n) / 1000.0


def peer_single(dm, m0):
    from osipy.asl.quantification.cbf import ASLQuantificationParams, quantify_cbf

    params = ASLQuantificationParams(
        t1_blood=T1B * 1000.0,
        partition_coefficient=LAM,
        labeling_efficiency=ALPHA,
        pld=SINGLE_PLD * 1000.0,
        label_duration=TAU * 1000.0,
    )
    t0 = time.perf_counter()
    n = dm.shape[0]
    r = quantify_cbf(dm.reshape(n, 1, 1), m0.reshape(n, 1, 1), params)
    wall = time.perf_counter() - t0
    return wall, np.asarray(r.cbf_map.values).reshape(n)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--voxels", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--noise", type=float, default=3e-4, help="noise SD as a fraction of M0")
    ap.add_argument("--no-peer", action="store_true", help="make the data only")
    args = ap.parse_args()
    if args.voxels < 1 or not args.noise >= 0:
        ap.error("need --voxels >= 1 and --noise >= 0")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cbf, att, m0, dm, single = make(args.voxels, args.seed, args.noise)
    np.save(out / "plds_s.npy", PLDS)
    np.save(out / "dm.npy", dm)
    np.save(out / "m0.npy", m0)
    np.save(out / "truth.npy", np.column_stack([cbf, att]))
    np.save(out / "dm_single.npy", single)
    lines = [f"voxels {args.voxels}", f"seed {args.seed}", f"noise {args.noise}"]
    if not args.no_peer:
        import osipy

        print("# peer: " + json.dumps({"osipy": osipy.__version__, "python": platform.python_version(),
                                       "numpy": np.__version__, "nproc": os.cpu_count(),
                                       "OSIPY_NUM_THREADS": os.environ.get("OSIPY_NUM_THREADS")}), flush=True)
        w = make(50, args.seed + 1, args.noise)
        peer_multi(w[3], w[2])
        peer_single(w[4], w[2])
        wall, pc, pa = peer_multi(dm, m0)
        np.save(out / "osipy_cbf.npy", pc)
        np.save(out / "osipy_att_s.npy", pa)
        lines.append(f"peer_wall_s {wall}")
        wall1, pc1 = peer_single(single, m0)
        np.save(out / "osipy_cbf_single.npy", pc1)
        lines.append(f"peer_single_wall_s {wall1}")
        print(f"# peer: multi-PLD {wall:.2f} s ({args.voxels / wall:.0f} voxels/s), single-PLD {wall1:.3f} s", flush=True)
    (out / "summary.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
