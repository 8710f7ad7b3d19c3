"""DSC: signal_to_delta_r2, compute_perfusion_maps, the deconvolvers, correct_leakage and
analyze_dsc against the Rust library, layouts, dtypes, errors, progress."""

from __future__ import annotations

import numpy as np
import pytest

import osipy_rs
from osipy_rs import dsc
from conftest import assert_same

TE_MS = 30.0


def gamma(t, t0, height, width=4.0):
    x = np.clip((t - t0) / width, 0, None)
    return height * x**3 * np.exp(3 - 3 * x)


def phantom(n=(6, 5, 3), nt=40, seed=1):
    """DSC signal: S0 100-200, arteries in the first row (early, high, narrow), tissue later and
    lower with a leaking corner, background (signal 5) in the last column."""
    rng = np.random.default_rng(seed)
    t = np.arange(nt) * 1.5
    r2 = np.empty(n + (nt,))
    for idx in np.ndindex(*n):
        if idx[0] == 0:
            r2[idx] = gamma(t, 12.0, 40.0, 3.0)
        else:
            r2[idx] = gamma(t, 13.5 + rng.uniform(0, 2), rng.uniform(3, 6), rng.uniform(4, 6))
            if idx[1] == 1:
                r2[idx] += 0.02 * np.cumsum(gamma(t, 13.5, 4.0)) * 1.5
    s0 = rng.uniform(100, 200, n)[..., None]
    signal = s0 * np.exp(-r2 * TE_MS / 1000.0) + rng.normal(0, 0.3, n + (nt,))
    signal[:, -1] = 5.0 + rng.normal(0, 0.3, signal[:, -1].shape)
    return t, signal


def concentration(n=(4, 3, 2), nt=40, seed=2):
    """ΔR2* curves and an AIF."""
    rng = np.random.default_rng(seed)
    t = np.arange(nt) * 1.5
    aif = gamma(t, 10.0, 30.0, 3.0)
    cbf = rng.uniform(0.005, 0.015, n)
    mtt = rng.uniform(3, 6, n)
    conc = np.empty(n + (nt,))
    for idx in np.ndindex(*n):
        residue = np.exp(-t / mtt[idx])
        conc[idx] = 1.5 * cbf[idx] * np.convolve(aif, residue)[:nt]
    conc += rng.normal(0, 0.01, conc.shape)
    return t, aif, conc


def test_signal_to_delta_r2_matches_the_library(reference):
    t, signal = phantom()
    got = osipy_rs.signal_to_delta_r2(signal, TE_MS)
    ref = reference("dsc_signal_to_conc", {"signal": signal}, te=0.03, start=0, end=10)
    assert_same(got, ref["conc"], "delta_r2")
    got = osipy_rs.signal_to_delta_r2(signal, TE_MS, baseline_indices=np.arange(2, 6))
    ref = reference("dsc_signal_to_conc", {"signal": signal}, te=0.03, start=2, end=6)
    assert_same(got, ref["conc"], "delta_r2 (indices)")


@pytest.mark.parametrize("method", ["sSVD", "cSVD", "oSVD", "tikhonov"])
def test_compute_perfusion_maps_matches_the_library(reference, method):
    t, aif, conc = concentration()
    maps = osipy_rs.compute_perfusion_maps(conc, aif, t, deconvolution_method=method)
    ref = reference("dsc_perfusion", {"series": conc, "aif": aif, "time": t}, method=method.lower())
    for attr, ours in [("cbf", "cbf"), ("cbv", "cbv"), ("mtt", "mtt"), ("ttp", "ttp"), ("tmax", "tmax")]:
        assert_same(getattr(maps, attr).values, ref[ours], attr)
    assert_same(maps.quality_maps["status"], ref["status"], "status")
    assert (maps.cbf.name, maps.cbf.units) == ("CBF", "ml/100g/min")
    assert (maps.cbv.units, maps.mtt.units, maps.delay.symbol) == ("ml/100g", "s", "Ta")
    assert maps.cbf.values.shape == conc.shape[:-1]
    assert maps.quality_mask.all()


def test_first_pass_and_threshold_match_the_library(reference):
    t, aif, conc = concentration(seed=6)
    maps = osipy_rs.compute_perfusion_maps(conc, aif, t, deconvolution_method="sSVD", svd_threshold=0.1, first_pass=True)
    ref = reference("dsc_perfusion", {"series": conc, "aif": aif, "time": t}, method="ssvd", threshold=0.1, first_pass=True)
    for name in ("cbf", "cbv", "mtt"):
        assert_same(getattr(maps, name).values, ref[name], name)
    assert_same(maps.extra_maps["cbv_whole"].values, ref["cbv_whole"], "cbv_whole")
    assert_same(maps.quality_maps["gamma_status"], ref["gamma_status"], "gamma_status")


def test_leakage_correction_in_the_maps_matches_the_library(reference):
    t, aif, conc = concentration(seed=5)
    mask = np.ones(conc.shape[:-1], bool)
    mask[0, 0, 0] = False
    maps = osipy_rs.compute_perfusion_maps(conc, aif, t, mask=mask, leakage="bsw")
    ref = reference("dsc_perfusion", {"series": conc, "aif": aif, "time": t, "mask": mask}, leakage="bsw")
    for name in ("cbf", "cbv", "mtt"):
        assert_same(getattr(maps, name).values, ref[name], name)
    for name in ("k1", "k2", "cbv_uncorrected"):
        assert_same(maps.extra_maps[name].values, ref[name], name)
    assert np.isnan(maps.cbf.values[0, 0, 0]) and maps.quality_maps["status"][0, 0, 0] == 7


def test_deconvolvers_are_the_library_with_unit_factors(reference):
    t, aif, conc = concentration()
    assert osipy_rs.list_deconvolvers() == ["cSVD", "oSVD", "sSVD", "tikhonov"]
    result = osipy_rs.get_deconvolver("cSVD").deconvolve(conc, aif, t)
    ref = reference("dsc_perfusion", {"series": conc, "aif": aif, "time": t}, method="csvd", density=1.0, kh=1.0)
    assert_same(result.cbf, ref["cbf"] / 6000.0, "cbf")
    assert_same(result.mtt, ref["mtt"], "mtt")
    assert_same(result.delay, ref["tmax"], "delay")
    with pytest.raises(ValueError, match="name"):
        osipy_rs.get_deconvolver("fancy")


def test_correct_leakage_matches_the_library(reference):
    t, aif, conc = concentration(seed=7)
    mask = np.ones(conc.shape[:-1], bool)
    mask[1, 1, 1] = False
    seen = []
    got = osipy_rs.correct_leakage(conc, aif, t, mask=mask, progress_callback=seen.append)
    assert seen == [0.0, 1.0]
    ref = reference("dsc_correct_leakage", {"curves": conc, "time": t, "mask": mask})
    assert_same(got.corrected_delta_r2, ref["corrected"], "corrected")
    assert_same(got.k1, ref["k1"], "k1")
    assert_same(got.k2, ref["k2"], "k2")
    assert_same(got.reference_curve, ref["reference"], "reference")
    bidir = osipy_rs.correct_leakage(conc, aif, t, mask=mask, params=dsc.LeakageCorrectionParams(method="bidirectional"))
    assert bidir.kep.shape == conc.shape[:-1] and np.isfinite(bidir.kep[mask]).all()


def test_analyze_dsc_with_an_automatic_aif_matches_the_library(reference):
    t, signal = phantom()
    out = osipy_rs.analyze_dsc(signal, t, TE_MS, aif="auto", aif_count=4)
    ref = reference("dsc_analysis", {"signal": signal, "time": t}, te=0.03, aif_count=4)
    assert_same(out.aif, ref["aif"], "aif")
    assert_same(out.aif_voxels, ref["aif_voxels"], "aif_voxels")
    assert_same(np.asarray(out.baseline), ref["baseline"], "baseline")
    for name in ("cbf", "cbv", "mtt", "ttp", "tmax"):
        assert_same(getattr(out.perfusion_maps, name).values, ref[name], name)
    assert_same(out.perfusion_maps.extra_maps["s0"].values, ref["s0"], "s0")
    assert_same(out.mask.astype(float), ref["mask"], "mask")
    # The arteries are the first row; the background column is outside the mask.
    assert all(np.unravel_index(int(i), signal.shape[:-1])[0] == 0 for i in out.aif_voxels)
    assert not out.mask[:, -1].any()


@pytest.mark.parametrize("layout", ["fortran", "float32", "strided", "reversed", "list-aif"])
def test_layouts_and_dtypes(layout):
    t, aif, conc = concentration((3, 4, 2), seed=3)
    expected = osipy_rs.compute_perfusion_maps(conc, aif, t, deconvolution_method="cSVD")
    args = [conc, aif, t]
    if layout == "fortran":
        args[0] = np.asfortranarray(conc)
    elif layout == "float32":
        args[0] = conc.astype(np.float32)
        expected = osipy_rs.compute_perfusion_maps(conc.astype(np.float32).astype(np.float64), aif, t, deconvolution_method="cSVD")
    elif layout == "strided":
        big = np.zeros((3, 8, 2, conc.shape[-1]))
        big[:, ::2] = conc
        args[0] = big[:, ::2]
    elif layout == "reversed":
        args[0] = np.ascontiguousarray(conc[::-1])[::-1]
    elif layout == "list-aif":
        args[1] = list(aif)
    got = osipy_rs.compute_perfusion_maps(*args, deconvolution_method="cSVD")
    for name in ("cbf", "cbv", "mtt"):
        assert_same(getattr(got, name).values, getattr(expected, name).values, name)


def test_threads_progress_and_nan_voxels():
    t, aif, conc = concentration((5, 4, 2), seed=4)
    conc[2, 2, 1, 7] = np.nan
    seen = []
    one = osipy_rs.compute_perfusion_maps(conc, aif, t, threads=1, progress_callback=seen.append)
    two = osipy_rs.compute_perfusion_maps(conc, aif, t, threads=2)
    assert_same(one.cbf.values, two.cbf.values)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert one.quality_maps["status"][2, 2, 1] == 4 and np.isnan(one.cbf.values[2, 2, 1])
    assert not one.quality_mask[2, 2, 1]


def test_bad_input_is_a_value_error_naming_the_argument():
    t, aif, conc = concentration((2, 2, 1))
    cases = [
        (lambda: osipy_rs.compute_perfusion_maps(conc.astype(object), aif, t), "series"),
        (lambda: osipy_rs.compute_perfusion_maps(np.array([["a"]]), aif, t), "series"),
        (lambda: osipy_rs.compute_perfusion_maps(conc, aif[:-1], t), "aif"),
        (lambda: osipy_rs.compute_perfusion_maps(conc, aif[None], t), "aif"),
        (lambda: osipy_rs.compute_perfusion_maps(conc, np.where(t > 3, aif, np.nan), t), "aif"),
        (lambda: osipy_rs.compute_perfusion_maps(conc, aif, t, mask=np.ones((3, 3), bool)), "mask"),
        (lambda: osipy_rs.compute_perfusion_maps(conc, aif, t, deconvolution_method="fft"), "deconvolution_method"),
        (lambda: osipy_rs.compute_perfusion_maps(conc, aif, t, threads=0), "threads"),
        (lambda: osipy_rs.signal_to_delta_r2(conc, -30.0), "te"),
        (lambda: osipy_rs.correct_leakage(conc, aif, t[:-1]), "time"),
        (lambda: osipy_rs.analyze_dsc(conc, t, aif="manual"), "aif"),
        (lambda: osipy_rs.analyze_dsc(conc, t[:-1]), "times"),
        (lambda: osipy_rs.compute_perfusion_maps(np.float64(3.0), aif, t), "series"),
        (lambda: osipy_rs.compute_perfusion_maps(np.zeros((0, t.size)), aif, t), "mask"),
        (lambda: osipy_rs.compute_perfusion_maps(conc * 1j, aif, t), "series"),
        (lambda: osipy_rs.compute_perfusion_maps(conc, aif, t, mask=np.full(conc.shape[:-1], 0.5)), "mask"),
        (lambda: osipy_rs.compute_perfusion_maps(conc, aif, t**1.1), "times"),
    ]
    for call, arg in cases:
        with pytest.raises(ValueError, match=arg):
            call()


def test_delta_r2_to_concentration_scales_by_the_relaxivity():
    _, _, conc = concentration((2, 2, 1))
    assert_same(dsc.delta_r2_to_concentration(conc, r2_star=32.0, field_strength=3.0), conc / 64.0)
    with pytest.raises(ValueError, match="r2_star"):
        dsc.delta_r2_to_concentration(conc, r2_star=0.0)
