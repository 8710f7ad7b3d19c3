"""Dask arrays for DSC, IVIM and ASL on a LocalCluster of two worker processes: the maps equal
the in-memory calls bit for bit, the cross-voxel steps (automatic AIF, default mask, baseline,
leakage reference, M0 reference region) computed as global passes over the whole array."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

import dask  # noqa: E402

import osipy_rs  # noqa: E402
from osipy_rs.asl import M0CalibrationParams, MultiPLDParams  # noqa: E402
from conftest import assert_same  # noqa: E402
from test_asl import buxton, delta_m  # noqa: E402
from test_dask import client  # noqa: E402,F401  (the module-scoped two-process cluster)
from test_dsc import TE_MS, concentration, phantom  # noqa: E402
from test_ivim import B  # noqa: E402
from test_ivim import phantom as ivim_phantom  # noqa: E402


def _same_maps(client, got, expected, names):
    computed = client.compute([getattr(got, n).values for n in names], sync=True)
    for n, v in zip(names, computed):
        assert_same(v, getattr(expected, n).values, n)


def test_analyze_dsc_auto_aif_dask_equals_in_memory(client):
    t, signal = phantom((6, 5, 3), seed=11)
    region = np.zeros(signal.shape[:-1], bool)
    region[3:, :2] = True
    expected = osipy_rs.analyze_dsc(signal, t, TE_MS, aif="auto", aif_count=4, leakage="bsw", reference_region=region)
    lazy = da.from_array(signal, chunks=(2, 3, 2, 10))
    with dask.config.set(scheduler=client.get):
        got = osipy_rs.analyze_dsc(lazy, t, TE_MS, aif="auto", aif_count=4, leakage="bsw", reference_region=region)
    assert isinstance(got.perfusion_maps.cbf.values, da.Array)
    assert_same(osipy_rs.signal_to_delta_r2(lazy, TE_MS).compute(), osipy_rs.signal_to_delta_r2(signal, TE_MS), "delta_r2")
    assert_same(got.aif, expected.aif, "aif")
    assert_same(got.aif_voxels, expected.aif_voxels, "aif_voxels")
    assert got.baseline == expected.baseline
    _same_maps(client, got.perfusion_maps, expected.perfusion_maps, ["cbf", "cbv", "mtt", "ttp", "tmax"])
    extra = ["k2", "rcbv", "rcbf"]
    *maps, status = client.compute(
        [got.perfusion_maps.extra_maps[n].values for n in extra] + [got.perfusion_maps.quality_maps["status"]], sync=True
    )
    for n, v in zip(extra, maps):
        assert_same(v, expected.perfusion_maps.extra_maps[n].values, n)
    assert_same(status, expected.perfusion_maps.quality_maps["status"], "status")


def test_analyze_dsc_auto_aif_on_concentration_dask_equals_in_memory(client):
    t, _, conc = concentration((5, 4, 2), seed=16)
    expected = osipy_rs.analyze_dsc(conc, t, aif="auto", aif_count=3, concentration=True)
    with dask.config.set(scheduler=client.get):
        got = osipy_rs.analyze_dsc(da.from_array(conc, chunks=(2, 3, 1, 40)), t, aif="auto", aif_count=3, concentration=True)
    assert_same(got.aif, expected.aif, "aif")
    assert_same(got.aif_voxels, expected.aif_voxels, "aif_voxels")
    _same_maps(client, got.perfusion_maps, expected.perfusion_maps, ["cbf", "cbv", "mtt"])


def test_perfusion_maps_and_leakage_dask_equal_in_memory(client):
    t, aif, conc = concentration((6, 4, 2), seed=12)
    mask = np.ones(conc.shape[:-1], bool)
    mask[:3, :, 0] = False
    expected = osipy_rs.compute_perfusion_maps(conc, aif, t, mask=mask, leakage="bidirectional")
    lazy = da.from_array(conc, chunks=(3, 2, 2, 40))
    with dask.config.set(scheduler=client.get):
        got = osipy_rs.compute_perfusion_maps(lazy, aif, t, mask=mask, leakage="bidirectional")
        _same_maps(client, got, expected, ["cbf", "cbv", "mtt"])
        leak = osipy_rs.correct_leakage(lazy, aif, t, mask=mask)
        ref = osipy_rs.correct_leakage(conc, aif, t, mask=mask)
        assert_same(leak.reference_curve, ref.reference_curve, "reference")
        k2, corrected = client.compute([leak.k2, leak.corrected_delta_r2], sync=True)
    assert_same(k2, ref.k2, "k2")
    assert_same(corrected, ref.corrected_delta_r2, "corrected")


def test_fit_ivim_dask_equals_in_memory(client):
    signal = ivim_phantom((6, 4, 2), seed=13)
    expected = osipy_rs.fit_ivim(signal, B, method="full")
    got = osipy_rs.fit_ivim(da.from_array(signal, chunks=(3, 2, 2, 5)), B, method="full")
    _same_maps(client, got, expected, ["d_map", "d_star_map", "f_map", "s0_map"])


def test_asl_dask_equals_in_memory(client):
    plds, dm = buxton((4, 4, 2), seed=14)
    m0 = np.random.default_rng(3).uniform(900, 1100, dm.shape[:-1])
    params = MultiPLDParams(plds=plds)
    expected = osipy_rs.quantify_multi_pld(dm, m0, params)
    got = osipy_rs.quantify_multi_pld(da.from_array(dm, chunks=(2, 4, 1, 6)), da.from_array(m0, chunks=2), params)
    _same_maps(client, got, expected, ["cbf_map", "att_map"])
    dm1, m01 = delta_m((6, 4, 2), seed=15)
    region = np.zeros(m01.shape, bool)
    region[2:5, 1:, :] = True
    cal = M0CalibrationParams(method="reference_region", reference_mask=region, tr_m0=4000.0)
    want, m0_want = osipy_rs.apply_m0_calibration(dm1, m01, cal)
    with dask.config.set(scheduler=client.get):
        lazy, m0_got = osipy_rs.apply_m0_calibration(da.from_array(dm1, chunks=2), da.from_array(m01, chunks=(4, 3, 1)), cal)
    assert m0_got == m0_want
    assert_same(client.compute(lazy, sync=True), want, "calibrated")
