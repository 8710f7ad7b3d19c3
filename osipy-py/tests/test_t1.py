"""T1 mapping: VFA (linear, nonlinear, two-angle, B1) and Look-Locker in the Python osipy's
units (T1, TR and TI in ms) through the Rust library, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import osipy_rs
from osipy_rs.dce import compute_t1_look_locker, compute_t1_map, compute_t1_vfa
from osipy_rs.dce.t1_mapping import vfa_dataset
from conftest import assert_same

FA = np.array([2.0, 5.0, 10.0, 15.0, 20.0])
TR_MS = 5.0


def vfa_signal(shape=(4, 3, 2), seed=31, b1=None):
    rng = np.random.default_rng(seed)
    t1_ms = rng.uniform(600, 2000, shape)
    b1 = np.ones(shape) if b1 is None else b1
    a = np.deg2rad(FA) * b1[..., None]
    e = np.exp(-TR_MS / t1_ms)[..., None]
    s = 1000.0 * np.sin(a) * (1 - e) / (1 - np.cos(a) * e)
    return s + rng.normal(0, 0.1, s.shape), t1_ms


@pytest.mark.parametrize("method", ["linear", "nonlinear"])
def test_vfa_matches_the_library_in_ms(reference, method):
    s, t1_ms = vfa_signal()
    r = compute_t1_map(vfa_dataset(s, FA, TR_MS), vfa_method=method)
    ref = reference("t1_fit", {"signal": s}, method=method, flip_angles=FA, tr=TR_MS / 1000.0)
    assert_same(r.t1_map.values, ref["t1"] * 1000.0, "T1 (ms)")
    assert_same(r.m0_map.values, ref["s0"], "M0")
    assert_same(r.quality_maps["status"], ref["status"], "status")
    assert r.t1_map.units == "ms" and r.t1_map.name == "T1"
    assert np.nanmax(np.abs(r.t1_map.values - t1_ms) / t1_ms) < 0.1


def test_vfa_signal_arguments_two_angle_b1_and_mask(reference):
    b1 = np.full((3, 2, 2), 0.85)
    s, _ = vfa_signal((3, 2, 2), seed=32, b1=b1)
    mask = np.ones((3, 2, 2), bool)
    mask[0] = False
    r = compute_t1_vfa(signal=s, flip_angles=FA, tr=TR_MS, method="nonlinear", b1_map=b1, mask=mask)
    ref = reference("t1_fit", {"signal": s, "b1": b1, "mask": mask}, method="nonlinear", flip_angles=FA, tr=TR_MS / 1000.0)
    assert_same(r.t1_map.values, ref["t1"] * 1000.0)
    assert not r.quality_mask[0].any()
    s2 = s[..., [1, 4]]
    r2 = compute_t1_vfa(signal=s2, flip_angles=FA[[1, 4]], tr=TR_MS, method="two_angle")
    ref2 = reference("t1_fit", {"signal": s2}, method="two_angle", flip_angles=FA[[1, 4]], tr=TR_MS / 1000.0)
    assert_same(r2.t1_map.values, ref2["t1"] * 1000.0)


def test_look_locker_matches_the_library(reference):
    rng = np.random.default_rng(33)
    ti_ms = np.array([100.0, 300, 600, 1000, 1500, 2200, 3000])
    t1s = rng.uniform(400, 1200, (3, 3, 1))
    s = 500.0 - 1000.0 * np.exp(-ti_ms / t1s[..., None]) + rng.normal(0, 0.5, (3, 3, 1, 7))
    ds = osipy_rs.PerfusionDataset(data=s, affine=np.eye(4), modality=osipy_rs.Modality.DCE, time_points=ti_ms / 1000.0)
    r = compute_t1_map(ds, method="look_locker", ti_times=ti_ms)
    ref = reference("t1_fit", {"signal": s}, method="look_locker", times=ti_ms / 1000.0)
    assert_same(r.t1_map.values, ref["t1"] * 1000.0)
    assert_same(r.quality_maps["t1_star"], ref["t1_star"])
    assert r.m0_map is None
    r2 = compute_t1_look_locker(ds)  # times from time_points (s)
    assert_same(r2.t1_map.values, ref["t1"] * 1000.0)


def test_t1_bad_input_names_the_argument():
    s, _ = vfa_signal((2, 2, 1))
    with pytest.raises(ValueError, match="`method`"):
        compute_t1_map(vfa_dataset(s, FA, TR_MS), method="nope")
    with pytest.raises(ValueError, match="`method`"):
        compute_t1_vfa(signal=s, flip_angles=FA, tr=TR_MS, method="nope")
    with pytest.raises(ValueError, match="`tr`"):
        compute_t1_vfa(signal=s, flip_angles=FA, tr=None)
    with pytest.raises(ValueError, match="`tr`"):
        compute_t1_vfa(signal=s, flip_angles=FA, tr=-5.0)
    with pytest.raises(ValueError, match="flip angles"):
        compute_t1_vfa(signal=s, flip_angles=FA[:3], tr=TR_MS)
    with pytest.raises(ValueError, match="`flip_angles`"):
        compute_t1_vfa(signal=s, flip_angles=np.where(FA > 10, np.nan, FA), tr=TR_MS)
    with pytest.raises(ValueError, match="`b1_map`"):
        compute_t1_vfa(signal=s, flip_angles=FA, tr=TR_MS, b1_map=np.ones((5, 5, 5)))
    with pytest.raises(ValueError, match="`signal`"):
        compute_t1_vfa(signal=np.array([[["x"] * 5]], dtype=object), flip_angles=FA, tr=TR_MS)


def test_nan_voxel_is_a_status_and_progress_is_reported():
    s, _ = vfa_signal((3, 2, 1))
    s = s.copy()
    s[0, 0, 0, 2] = np.nan
    seen = []
    r = compute_t1_vfa(signal=s, flip_angles=FA, tr=TR_MS, method="nonlinear", threads=1, progress_callback=seen.append)
    assert not r.quality_mask[0, 0, 0] and r.quality_mask[1, 1, 0]
    assert seen[-1] == 1.0


@pytest.mark.parametrize("layout", ["fortran", "float32", "reversed", "2d"])
def test_t1_layouts_and_dtypes(layout):
    s, _ = vfa_signal((3, 2, 2), seed=35)
    expected = compute_t1_vfa(signal=s, flip_angles=FA, tr=TR_MS)
    if layout == "fortran":
        got = compute_t1_vfa(signal=np.asfortranarray(s), flip_angles=list(FA), tr=TR_MS)
    elif layout == "float32":
        expected = compute_t1_vfa(signal=s.astype(np.float32).astype(np.float64), flip_angles=FA, tr=TR_MS)
        got = compute_t1_vfa(signal=s.astype(np.float32), flip_angles=FA.astype(np.float32).astype(np.float64), tr=TR_MS)
    elif layout == "reversed":
        got = compute_t1_vfa(signal=s[::-1][::-1], flip_angles=FA, tr=int(TR_MS))
    else:
        got = compute_t1_vfa(signal=s.reshape(6, 2, 5), flip_angles=FA, tr=TR_MS)
        assert got.t1_map.values.shape == (6, 2)
        got.t1_map.values = got.t1_map.values.reshape(3, 2, 2)
    assert_same(got.t1_map.values, expected.t1_map.values)
