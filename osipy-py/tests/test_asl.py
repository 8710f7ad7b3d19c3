"""ASL: quantify_cbf, quantify_multi_pld and apply_m0_calibration against the Rust library
(times in ms converted to s), layouts, errors, NaN voxels."""

from __future__ import annotations

import numpy as np
import pytest

import osipy_rs
from osipy_rs.asl import ASLQuantificationParams, LabelingScheme, M0CalibrationParams, MultiPLDParams
from conftest import assert_same


def delta_m(n=(4, 3, 2), seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(5, 15, n), rng.uniform(900, 1100, n)


def buxton(n=(3, 3, 2), seed=2):
    """Multi-PLD PCASL ΔM (CBF 40-70, ATT 0.8-1.6 s), PLDs in ms."""
    rng = np.random.default_rng(seed)
    plds = np.array([250, 500, 1000, 1500, 2000, 2500], dtype=float)
    cbf = rng.uniform(40, 70, n)[..., None] / 6000.0
    att = rng.uniform(0.8, 1.6, n)[..., None]
    t1b, tau, alpha, lam, m0 = 1.65, 1.8, 0.85, 0.9, 1000.0
    w = plds / 1000.0
    start = np.clip(w + tau - att, 0, None)
    dm = np.where(
        w + tau < att,
        0.0,
        2 * alpha * m0 * cbf / lam * t1b * np.exp(-att / t1b) * (1 - np.exp(-np.minimum(w + tau - att, tau) / t1b)) * np.exp(-np.clip(w - att, 0, None) / t1b),
    )
    del start
    return plds, dm + rng.normal(0, 0.02, dm.shape)


@pytest.mark.parametrize("scheme", [LabelingScheme.PCASL, LabelingScheme.PASL])
def test_quantify_cbf_matches_the_library(reference, scheme):
    dm, m0 = delta_m()
    params = ASLQuantificationParams(labeling_scheme=scheme, pld=1800.0, label_duration=1800.0, bolus_duration=800.0)
    result = osipy_rs.quantify_cbf(dm, m0, params)
    tau = 0.8 if scheme == LabelingScheme.PASL else 1.8
    ref = reference(
        "asl_perfusion", {"delta_m": dm[..., None], "m0": m0},
        labelling=scheme.value, plds=[1.8], tau=tau, alpha=0.85, t1_blood=1.65, t1_tissue=1.33, **{"lambda": 0.9},
    )
    assert_same(result.cbf_map.values, ref["cbf"], "cbf")
    assert result.cbf_map.units == "mL/100g/min" and result.cbf_map.values.shape == dm.shape
    scalar = osipy_rs.quantify_cbf(dm, 1000.0, params)
    ref = reference(
        "asl_perfusion", {"delta_m": dm[..., None]},
        labelling=scheme.value, plds=[1.8], tau=tau, alpha=0.85, t1_blood=1.65, t1_tissue=1.33, m0_value=1000.0,
    )
    assert_same(scalar.cbf_map.values, ref["cbf"], "cbf (scalar M0)")


def test_quantify_multi_pld_matches_the_library_with_att_in_ms(reference):
    plds, dm = buxton()
    result = osipy_rs.quantify_multi_pld(dm, 1000.0, MultiPLDParams(plds=plds))
    ref = reference(
        "asl_perfusion", {"delta_m": dm},
        labelling="pcasl", plds=list(plds / 1000.0), tau=1.8, alpha=0.85, t1_blood=1.65, t1_tissue=1.33, m0_value=1000.0,
    )
    assert_same(result.cbf_map.values, ref["cbf"], "cbf")
    assert_same(result.att_map.values, ref["att"] * 1000.0, "att")
    assert_same(result.r_squared, ref["r2"], "r2")
    assert result.att_map.units == "ms"
    ok = result.quality_mask
    assert ok.sum() > 0 and np.all((result.att_map.values[ok] > 500) & (result.att_map.values[ok] < 2000))


def test_m0_calibration_reference_region_matches_the_library(reference):
    dm, m0 = delta_m(seed=3)
    region = np.zeros(m0.shape, bool)
    region[1:3, :, 0] = True
    params = M0CalibrationParams(method="reference_region", reference_region="csf", reference_mask=region, tr_m0=4000.0, te_m0=13.0)
    calibrated, m0c = osipy_rs.apply_m0_calibration(dm, m0, params)
    ref = reference(
        "asl_m0_reference", {"m0": m0, "region": region},
        lambda_ref=1.15, t1_ref=4.3, t2star_ref=0.4, tr=4.0, te=0.013, **{"lambda": 0.9},
    )
    assert m0c == ref["value"][0]
    assert_same(calibrated, dm / ref["value"][0], "calibrated")
    voxelwise, m0v = osipy_rs.apply_m0_calibration(dm, m0, M0CalibrationParams(method="voxelwise", tr_m0=4000.0))
    assert_same(m0v, m0 / (1 - np.exp(-4.0 / 1.33)), "m0 voxelwise")


def test_nan_voxels_mask_layouts_and_progress():
    dm, m0 = delta_m((5, 4, 2), seed=4)
    dm[1, 1, 1] = np.nan
    m0[2, 2, 0] = 0.0
    mask = np.ones(dm.shape, bool)
    mask[0] = False
    seen = []
    r = osipy_rs.quantify_cbf(dm, m0, mask=mask, progress_callback=seen.append, threads=1)
    status = r.quality_maps["status"]
    assert np.isnan(r.cbf_map.values[1, 1, 1]) and np.isnan(r.cbf_map.values[2, 2, 0])
    assert (status[0] == 7).all() and status[1, 1, 1] not in (1.0, 7.0)
    assert seen[-1] == 1.0
    f = osipy_rs.quantify_cbf(np.asfortranarray(dm), m0.astype(np.float32), mask=mask)
    e = osipy_rs.quantify_cbf(dm, m0.astype(np.float32).astype(np.float64), mask=mask)
    assert_same(f.cbf_map.values, e.cbf_map.values, "fortran/float32")


def test_bad_input_is_a_value_error_naming_the_argument():
    dm, m0 = delta_m((2, 2, 1))
    plds, mdm = buxton((2, 2, 1))
    cases = [
        (lambda: osipy_rs.quantify_cbf(dm.astype(object), m0), "delta_m"),
        (lambda: osipy_rs.quantify_cbf(dm, m0.ravel()[:3]), "m0"),
        (lambda: osipy_rs.quantify_cbf(dm, m0, ASLQuantificationParams(labeling_scheme="fair")), "labeling_scheme"),
        (lambda: osipy_rs.quantify_cbf(dm, m0, ASLQuantificationParams(labeling_efficiency=1.5)), "alpha"),
        (lambda: osipy_rs.quantify_cbf(dm, m0, mask=np.ones((3, 3), bool)), "mask"),
        (lambda: osipy_rs.quantify_multi_pld(mdm, 1000.0, MultiPLDParams(plds=plds[:-1])), "plds"),
        (lambda: osipy_rs.quantify_multi_pld(mdm, 1000.0, MultiPLDParams(plds=np.where(plds > 600, np.nan, plds))), "plds"),
        (lambda: osipy_rs.apply_m0_calibration(dm, m0, M0CalibrationParams(method="reference_region")), "reference_mask"),
    ]
    for call, arg in cases:
        with pytest.raises(ValueError, match=arg):
            call()
