"""Population AIFs and automatic AIF detection against the Rust library, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import osipy_rs
from osipy_rs.common import aif as aif_mod
from conftest import assert_same


def aif_phantom(shape=(6, 5, 3), seed=11, nt=40):
    """Concentrations (x, y, z, t): a few arterial voxels (early, narrow, high peaks) among
    tissue voxels (slow uptake), with noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(nt) * 2.0
    x = np.clip(t - 8.0, 0, None)
    artery = 6.0 * (x / 6.0) ** 3 * np.exp(3 * (1 - x / 6.0)) + 0.6 * (1 - np.exp(-x / 30.0))
    conc = np.empty(shape + (nt,))
    for idx in np.ndindex(*shape):
        k = rng.uniform(0.002, 0.01)
        conc[idx] = k * np.cumsum(artery) * 2.0 * np.exp(-x / 200.0)
    arteries = [q for q in [(1, 1, 0), (4, 3, 1), (2, 4, 2), (5, 0, 1), (0, 2, 0)] if all(i < n for i, n in zip(q, shape))]
    for i, q in enumerate(arteries):
        conc[q] = artery * (1.0 - 0.05 * i)
    conc += rng.normal(0, 0.02, conc.shape)
    return t, conc, arteries


@pytest.mark.parametrize("cls,name", [
    (osipy_rs.ParkerAIF, "parker"),
    (osipy_rs.GeorgiouAIF, "georgiou"),
    (osipy_rs.FritzHansenAIF, "fritz-hansen"),
    (osipy_rs.McGrathAIF, "mcgrath"),
    (osipy_rs.WeinmannAIF, "weinmann"),
])
def test_population_aifs_are_the_librarys(reference, cls, name):
    t = np.linspace(0, 300, 61)
    a = cls()(t)
    assert isinstance(a, osipy_rs.ArterialInputFunction)
    assert a.aif_type == osipy_rs.AIFType.POPULATION
    assert_same(a.time, t)
    assert_same(a.concentration, reference("aif_population", {"time": t}, model=name)["aif"], name)
    delayed = cls(delay=12.5).get_concentration(t)
    assert_same(delayed, reference("aif_population", {"time": t}, model=name, delay=12.5)["aif"], name)
    assert a.reference and cls().compartment in ("blood", "plasma")


def test_get_population_aif_names():
    assert aif_mod.list_aifs() == ["fritz_hansen", "georgiou", "mcgrath", "parker", "weinmann"]
    assert isinstance(osipy_rs.get_population_aif("Parker"), osipy_rs.ParkerAIF)
    assert isinstance(osipy_rs.get_population_aif("fritz-hansen"), osipy_rs.FritzHansenAIF)
    with pytest.raises(ValueError, match="`aif_type`"):
        osipy_rs.get_population_aif("nope")
    with pytest.raises(ValueError, match="`params`"):
        osipy_rs.ParkerAIF(params=object())
    with pytest.raises(ValueError, match="`delay`"):
        osipy_rs.ParkerAIF(delay=float("nan"))(np.arange(3.0))


def test_parker_aif_peak_in_mm_and_seconds():
    a = osipy_rs.ParkerAIF()(np.linspace(0, 300, 301))
    assert 5.0 < a.peak_concentration < 6.5
    assert 5.0 < a.peak_time < 15.0


def test_detect_aif_is_the_librarys(reference):
    t, conc, arteries = aif_phantom()
    r = osipy_rs.detect_aif(conc, time=t)
    ref = reference("aif_detect", {"concentration": conc, "time": t})
    assert_same(r.aif.concentration, ref["aif"], "aif")
    assert [list(q) for q in r.voxel_indices] == ref["voxels"].astype(int).tolist()
    assert_same(np.array(r.scores), ref["scores"], "scores")
    assert_same(r.features["score"], ref["score"], "score")
    assert set(r.voxel_indices) <= set(arteries)
    assert r.voxel_mask.sum() == len(r.voxel_indices)
    assert r.aif.aif_type == osipy_rs.AIFType.AUTOMATIC


def test_detect_aif_on_a_dataset_with_an_roi_and_3d_series(reference):
    t, conc, _ = aif_phantom()
    roi = np.zeros(conc.shape[:3], bool)
    roi[:, :, 1] = True
    ds = osipy_rs.PerfusionDataset(data=conc, affine=np.eye(4), modality=osipy_rs.Modality.DCE, time_points=t)
    r = osipy_rs.detect_aif(ds, roi_mask=roi)
    ref = reference("aif_detect", {"concentration": conc, "time": t, "mask": roi})
    assert_same(r.aif.concentration, ref["aif"])
    sl = conc[:, :, 1, :]
    r2 = osipy_rs.detect_aif(sl, time=t)
    ref2 = reference("aif_detect", {"concentration": sl[:, :, None, :], "time": t})
    assert_same(r2.aif.concentration, ref2["aif"])
    assert all(len(q) == 2 for q in r2.voxel_indices)


def test_detect_aif_bad_input():
    t, conc, _ = aif_phantom((3, 3, 1))
    with pytest.raises(ValueError, match="`time`"):
        osipy_rs.detect_aif(conc)
    with pytest.raises(ValueError, match="`time`"):
        osipy_rs.detect_aif(conc, time=np.where(t > 10, np.nan, t))
    with pytest.raises(ValueError, match="`roi_mask`"):
        osipy_rs.detect_aif(conc, time=t, roi_mask=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match="`opts.n_voxels`"):
        osipy_rs.detect_aif(conc, time=t, params=aif_mod.AIFDetectionParams(n_voxels=0))
    with pytest.raises(ValueError, match="`conc`"):
        osipy_rs.detect_aif(np.zeros((3, 3, 1, 40)), time=t)
    with pytest.raises(ValueError, match="`concentration`"):
        osipy_rs.detect_aif(np.zeros((3, 3, 1, 2, 40)), time=t)


@pytest.mark.parametrize("layout", ["float32", "fortran", "list-time"])
def test_detect_aif_layouts_and_dtypes(layout):
    t, conc, _ = aif_phantom((4, 4, 2), seed=13)
    if layout == "float32":
        expected = osipy_rs.detect_aif(conc.astype(np.float32).astype(np.float64), time=t)
        got = osipy_rs.detect_aif(conc.astype(np.float32), time=t)
    elif layout == "fortran":
        expected = osipy_rs.detect_aif(conc, time=t)
        got = osipy_rs.detect_aif(np.asfortranarray(conc), time=t)
    else:
        expected = osipy_rs.detect_aif(conc, time=t)
        got = osipy_rs.detect_aif(conc, time=list(t))
    assert_same(got.aif.concentration, expected.aif.concentration)
    assert got.voxel_indices == expected.voxel_indices
