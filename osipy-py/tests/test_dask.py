"""Dask arrays: the same calls on Dask arrays, on a LocalCluster of two worker processes, equal
the in-memory calls bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import osipy_rs  # noqa: E402
from conftest import assert_same  # noqa: E402
from test_dce import phantom  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_fit_model_dask_equals_in_memory(client):
    t, aif, conc = phantom((6, 5, 3), seed=4)
    mask = np.ones(conc.shape[:-1], bool)
    mask[:3, :, 0] = False  # one whole block masked
    expected = osipy_rs.fit_model("extended_tofts", conc, aif, t, mask=mask)
    lazy = da.from_array(conc, chunks=(3, 2, 3, 10))  # time split too: rechunked to one chunk
    got = osipy_rs.fit_model("extended_tofts", lazy, aif, t, mask=mask)
    assert isinstance(got.parameter_maps["Ktrans"].values, da.Array)
    names = ["Ktrans", "ve", "vp"]
    computed = client.compute([got.parameter_maps[n].values for n in names] + [got.quality_mask, got.quality_maps["status"]], sync=True)
    for n, v in zip(names, computed):
        assert_same(v, expected.parameter_maps[n].values, n)
    assert_same(computed[3], expected.quality_mask, "quality_mask")
    assert_same(computed[4], expected.quality_maps["status"], "status")


def test_detect_aif_and_fit_model_auto_on_dask_equal_in_memory(client):
    from test_aif import aif_phantom

    t, conc, _ = aif_phantom((6, 5, 3), seed=12)
    mask = np.ones(conc.shape[:3], bool)
    mask[0, 0, 0] = False
    lazy = da.from_array(conc, chunks=(3, 2, 2, 20))
    expected = osipy_rs.detect_aif(conc, time=t, roi_mask=mask)
    got = osipy_rs.detect_aif(lazy, time=t, roi_mask=da.from_array(mask, chunks=(2, 5, 3)))
    assert_same(got.aif.concentration, expected.aif.concentration, "aif")
    assert got.voxel_indices == expected.voxel_indices
    assert got.scores == expected.scores
    for name in ("peak", "score"):
        assert_same(got.features[name], expected.features[name], name)
    fit_mem = osipy_rs.fit_model("tofts", conc, "auto", t, mask=mask)
    fit_lazy = osipy_rs.fit_model("tofts", lazy, "auto", t, mask=mask)
    assert_same(fit_lazy.aif.concentration, fit_mem.aif.concentration, "aif")
    kt, ve = client.compute([fit_lazy.parameter_maps["Ktrans"].values, fit_lazy.parameter_maps["ve"].values], sync=True)
    assert_same(kt, fit_mem.parameter_maps["Ktrans"].values, "Ktrans")
    assert_same(ve, fit_mem.parameter_maps["ve"].values, "ve")


def test_signal_to_concentration_and_t1_on_dask_equal_in_memory(client):
    from osipy_rs.dce import DCEAcquisitionParams, compute_t1_vfa, signal_to_concentration
    from test_conc import spgr_series
    from test_t1 import FA, TR_MS, vfa_signal

    s, t10_ms, tr_ms, fa, _ = spgr_series((5, 4, 2), seed=24)
    acq = DCEAcquisitionParams(tr=tr_ms, flip_angles=[fa])
    expected = signal_to_concentration(s, t10_ms, acq)
    got = signal_to_concentration(da.from_array(s, chunks=(2, 3, 1, 7)), da.from_array(t10_ms, chunks=(3, 2, 2)), acq)
    assert isinstance(got, da.Array) and got.shape == s.shape
    assert_same(client.compute(got, sync=True), expected, "conc")

    b1 = np.random.default_rng(3).uniform(0.8, 1.1, (5, 4, 2))
    v, _ = vfa_signal((5, 4, 2), seed=34, b1=b1)
    mask = np.ones((5, 4, 2), bool)
    mask[:2, :2] = False
    mem = compute_t1_vfa(signal=v, flip_angles=FA, tr=TR_MS, method="nonlinear", b1_map=b1, mask=mask)
    lazy = compute_t1_vfa(signal=da.from_array(v, chunks=(2, 2, 2, 5)), flip_angles=FA, tr=TR_MS, method="nonlinear", b1_map=b1, mask=mask)
    t1, m0, qm = client.compute([lazy.t1_map.values, lazy.m0_map.values, lazy.quality_mask], sync=True)
    assert_same(t1, mem.t1_map.values, "T1")
    assert_same(m0, mem.m0_map.values, "M0")
    assert_same(qm, mem.quality_mask, "quality_mask")

    ti_ms = np.array([100.0, 300, 600, 1000, 1500, 2200, 3000])
    t1s = np.random.default_rng(5).uniform(400, 1200, (4, 3, 1))
    ll = 500.0 - 1000.0 * np.exp(-ti_ms / t1s[..., None])
    ds = osipy_rs.PerfusionDataset(data=ll, affine=np.eye(4), modality=osipy_rs.Modality.DCE, time_points=ti_ms / 1000.0)
    lazy_ds = osipy_rs.PerfusionDataset(
        data=da.from_array(ll, chunks=(2, 2, 1, 7)), affine=np.eye(4), modality=osipy_rs.Modality.DCE, time_points=ti_ms / 1000.0
    )
    mem = osipy_rs.compute_t1_map(ds, method="look_locker")
    lazy = osipy_rs.compute_t1_map(lazy_ds, method="look_locker")
    assert_same(client.compute(lazy.t1_map.values, sync=True), mem.t1_map.values, "T1 (Look-Locker)")
