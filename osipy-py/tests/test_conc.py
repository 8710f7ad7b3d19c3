"""DCE signal to concentration: the Python osipy's units (T1 and TR in ms) through the Rust
library, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import osipy_rs
from osipy_rs.dce import DCEAcquisitionParams, signal_to_concentration
from conftest import assert_same


def spgr_series(shape=(4, 3, 2), nt=20, seed=21):
    """SPGR signal (voxels, t) of T10 (ms) maps with contrast arriving at frame 6."""
    rng = np.random.default_rng(seed)
    t10_ms = rng.uniform(800, 1600, shape)
    tr_ms, fa = 4.0, 15.0
    c = np.zeros(shape + (nt,))
    c[..., 6:] = rng.uniform(0.1, 1.0, shape)[..., None] * (1 - np.exp(-np.arange(nt - 6) / 3.0))
    r1 = 1000.0 / t10_ms[..., None] + 4.5 * c
    e = np.exp(-tr_ms / 1000.0 * r1)
    a = np.deg2rad(fa)
    s = 1000.0 * np.sin(a) * (1 - e) / (1 - np.cos(a) * e)
    s += rng.normal(0, 0.5, s.shape)
    return s, t10_ms, tr_ms, fa, c


def test_spgr_matches_the_library_in_ms_units(reference):
    s, t10_ms, tr_ms, fa, truth = spgr_series()
    acq = DCEAcquisitionParams(tr=tr_ms, flip_angles=[fa], relaxivity=4.5, baseline_frames=5)
    got = signal_to_concentration(s, osipy_rs.ParameterMap("T1", "T1", "ms", t10_ms), acq)
    ref = reference(
        "dce_signal_to_concentration",
        {"signal": s, "t10": t10_ms / 1000.0},
        relaxivity=4.5, baseline_start=0, baseline_end=5, flip_angle=fa, tr=tr_ms / 1000.0,
    )
    assert_same(got, ref["conc"])
    assert np.nanmax(np.abs(got - truth)) < 0.2  # mM: the units are right
    assert osipy_rs.dce_signal_to_concentration is signal_to_concentration


def test_linear_assumed_t1_and_b1(reference):
    s, t10_ms, tr_ms, fa, _ = spgr_series(seed=22)
    acq = DCEAcquisitionParams(tr=tr_ms, flip_angles=[fa], relaxivity=4.0, baseline_frames=4, t1_assumed=1400.0)
    got = signal_to_concentration(s, None, acq, method="linear")
    ref = reference(
        "dce_signal_to_concentration", {"signal": s},
        method="linear", t10=1.4, relaxivity=4.0, baseline_start=0, baseline_end=4,
    )
    assert_same(got, ref["conc"])
    b1 = np.full(s.shape[:-1], 0.9)
    got = signal_to_concentration(s, t10_ms, acq, b1_map=b1)
    ref = reference(
        "dce_signal_to_concentration", {"signal": s, "t10": t10_ms / 1000.0, "b1": b1},
        relaxivity=4.0, baseline_start=0, baseline_end=4, flip_angle=fa, tr=tr_ms / 1000.0,
    )
    assert_same(got, ref["conc"])


@pytest.mark.parametrize("layout", ["fortran", "float32", "strided"])
def test_layouts(layout):
    s, t10_ms, tr_ms, fa, _ = spgr_series((3, 2, 2), seed=23)
    acq = DCEAcquisitionParams(tr=tr_ms, flip_angles=[fa])
    expected = signal_to_concentration(s, t10_ms, acq)
    if layout == "fortran":
        got = signal_to_concentration(np.asfortranarray(s), np.asfortranarray(t10_ms), acq)
    elif layout == "float32":
        expected = signal_to_concentration(s.astype(np.float32).astype(np.float64), t10_ms, acq)
        got = signal_to_concentration(s.astype(np.float32), t10_ms, acq)
    else:
        big = np.zeros((3, 4, 2, s.shape[-1]))
        big[:, ::2] = s
        got = signal_to_concentration(big[:, ::2], t10_ms, acq)
    assert_same(got, expected)


def test_bad_input_names_the_argument():
    s, t10_ms, tr_ms, fa, _ = spgr_series((2, 2, 1))
    acq = DCEAcquisitionParams(tr=tr_ms, flip_angles=[fa])
    with pytest.raises(ValueError, match="`t1_map`"):
        signal_to_concentration(s, np.ones((3, 3)), acq)
    with pytest.raises(ValueError, match="`t1_map`"):
        signal_to_concentration(s, None, acq)
    with pytest.raises(ValueError, match="`t1_map`"):
        signal_to_concentration(s, np.array([["a"]], dtype=object), acq)
    with pytest.raises(ValueError, match="`signal`"):
        signal_to_concentration(s.astype(np.complex128), t10_ms, acq)
    with pytest.raises(ValueError, match="`method`"):
        signal_to_concentration(s, t10_ms, acq, method="nope")
    with pytest.raises(ValueError, match="`t1_map`"):
        signal_to_concentration(s, float("nan"), acq)
    with pytest.raises(ValueError, match="`b1_map`"):
        signal_to_concentration(s, t10_ms, acq, b1_map=-1.0)
    with pytest.raises(ValueError, match="`flip_angle`"):
        signal_to_concentration(s, t10_ms, DCEAcquisitionParams(tr=tr_ms, flip_angles=[float("nan")]))
    with pytest.raises(ValueError, match="`acquisition_params`"):
        signal_to_concentration(s, t10_ms, DCEAcquisitionParams(flip_angles=[fa]))
    with pytest.raises(ValueError, match="`tr`"):
        signal_to_concentration(s, t10_ms, DCEAcquisitionParams(tr=-1.0, flip_angles=[fa]))
    with pytest.raises(ValueError, match="`baseline`"):
        signal_to_concentration(s, t10_ms, DCEAcquisitionParams(tr=tr_ms, flip_angles=[fa], baseline_frames=0))


def test_nan_voxels_give_nan_curves_not_errors():
    s, t10_ms, tr_ms, fa, _ = spgr_series((2, 2, 1))
    t10_ms = t10_ms.copy()
    t10_ms[0, 0, 0] = np.nan
    c = signal_to_concentration(s, t10_ms, DCEAcquisitionParams(tr=tr_ms, flip_angles=[fa]))
    assert np.isnan(c[0, 0, 0]).all()
    assert np.isfinite(c[1, 1, 0]).all()
