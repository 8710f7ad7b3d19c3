"""Side-by-side check of names and units against the Python osipy (run by hand, not in CI).

    PEER=/path/to/venv-with-osipy/bin/python OURS=/path/to/venv-with-osipy_rs/bin/python \
        python3 compare_dce_with_osipy.py

Runs the same calls (identical arrays) with ``import osipy`` and ``import osipy_rs as osipy`` in
the two interpreters and prints, per quantity, both values, their ratio and the names/units
each reports. The differences expected are the documented ones (the population AIF curves,
the fitter, the clipping of concentrations)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CALLS = r'''
import json, sys
import numpy as np
mod = sys.argv[1]
osipy = __import__(mod)
from importlib import import_module
dce = import_module(mod + ".dce")
out = {}
t = np.arange(60) * 5.0
aif = osipy.ParkerAIF()(t)
out["parker_peak_mM"] = float(aif.peak_concentration)
out["parker_peak_time_s"] = float(aif.peak_time)
cp = np.asarray(aif.concentration) / (1 - 0.42)
m = dce.get_model("extended_tofts")
out["etofts_parameters"] = list(m.parameters)
out["etofts_units"] = dict(m.parameter_units)
truth = {"Ktrans": 0.25, "ve": 0.3, "vp": 0.05}
ct = np.asarray(m.predict(t, cp, np.array([truth[p] for p in m.parameters])))
out["etofts_curve_max_mM"] = float(ct.max())
conc = np.tile(ct, (3, 2, 1, 1)) + np.random.default_rng(0).normal(0, 0.002, (3, 2, 1, 60))
r = dce.fit_model("extended_tofts", conc, cp, t)
for p in ("Ktrans", "ve", "vp"):
    out["fit_" + p] = float(np.nanmedian(r.parameter_maps[p].values))
    out["fit_" + p + "_units"] = r.parameter_maps[p].units
m2 = dce.get_model("2cxm")
out["2cxm_units"] = dict(m2.parameter_units)
c2 = np.asarray(m2.predict(t, cp, np.array([60.0, 10.0, 0.3, 0.05])))
out["2cxm_curve_max_mM"] = float(c2.max())
# Signal to concentration: T1 1400 ms, TR 5 ms, FA 15 degrees, r1 4.5 /mM/s.
a = np.deg2rad(15.0)
r1 = 1000.0 / 1400.0 + 4.5 * np.r_[np.zeros(5), np.full(15, 0.5)]
e = np.exp(-5.0 / 1000.0 * r1)
s = 1000.0 * np.sin(a) * (1 - e) / (1 - np.cos(a) * e)
sig = np.tile(s, (2, 2, 1, 1))
acq = dce.DCEAcquisitionParams(tr=5.0, flip_angles=[15.0], relaxivity=4.5, baseline_frames=5)
out["conc_after_mM"] = float(np.asarray(dce.signal_to_concentration(sig, None, dce.DCEAcquisitionParams(tr=5.0, flip_angles=[15.0], relaxivity=4.5, baseline_frames=5, t1_assumed=1400.0)))[0, 0, 0, -1])
# T1: VFA, TR 5 ms, T1 1000 ms.
fa = np.array([2.0, 5.0, 10.0, 15.0, 20.0])
e = np.exp(-5.0 / 1000.0)
v = 1000.0 * np.sin(np.deg2rad(fa)) * (1 - e) / (1 - np.cos(np.deg2rad(fa)) * e)
vs = np.tile(v, (2, 2, 1, 1))
t1 = dce.compute_t1_vfa(signal=vs, flip_angles=fa, tr=5.0)
out["t1_vfa_ms"] = float(np.asarray(t1.t1_map.values)[0, 0, 0])
out["t1_units"] = t1.t1_map.units
# Look-Locker: an ideal inversion recovery, T1 = 900 ms, times from time_points (s).
ti = np.array([100.0, 300, 600, 1000, 1500, 2200, 3000, 4000])
ll = np.tile(500.0 - 1000.0 * np.exp(-ti / 900.0), (2, 2, 1, 1))
ds = osipy.PerfusionDataset(data=ll, affine=np.eye(4), modality=osipy.Modality.DCE, time_points=ti / 1000.0)
out["t1_look_locker_ms"] = float(np.asarray(dce.compute_t1_map(ds, method="look_locker").t1_map.values)[0, 0, 0])
# 2CUM forward model (PS in mL/min/100mL) on a fine grid.
tf = np.arange(0, 300, 0.5)
cpf = np.asarray(osipy.ParkerAIF()(tf).concentration) / 0.58
out["2cum_curve_end_mM"] = float(np.asarray(dce.get_model("2cum").predict(tf, cpf, np.array([60.0, 10.0, 0.05])))[-1])
out["fit_model_name"] = r.model_name
json.dump(out, sys.stdout)
'''


def run(python: str, module: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(CALLS)
    res = subprocess.run([python, f.name, module], check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    peer = run(os.environ["PEER"], "osipy")
    ours = run(os.environ["OURS"], "osipy_rs")
    for k in peer:
        a, b = peer[k], ours.get(k)
        ratio = f"{b / a:.4f}" if isinstance(a, float) and isinstance(b, float) and a else ""
        print(f"{k:24s} osipy={a!s:40.40s} osipy_rs={b!s:40.40s} {ratio}")


if __name__ == "__main__":
    sys.exit(main())
