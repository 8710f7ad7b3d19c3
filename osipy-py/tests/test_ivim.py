"""IVIM: fit_ivim against the Rust library, methods, layouts, errors, NaN voxels."""

from __future__ import annotations

import numpy as np
import pytest

import osipy_rs
from osipy_rs.ivim import FittingMethod, IVIMFitParams
from conftest import assert_same

B = np.array([0, 10, 20, 50, 100, 200, 400, 600, 800, 1000], dtype=float)


def phantom(n=(4, 3, 2), seed=1):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0.8e-3, 1.5e-3, n)[..., None]
    ds = rng.uniform(0.02, 0.05, n)[..., None]
    f = rng.uniform(0.05, 0.2, n)[..., None]
    s0 = rng.uniform(400, 600, n)[..., None]
    s = s0 * (f * np.exp(-B * ds) + (1 - f) * np.exp(-B * d))
    return s + rng.normal(0, 2.0, s.shape)


@pytest.mark.parametrize("method", ["segmented", "full", "bayesian"])
def test_fit_ivim_matches_the_library(reference, method):
    signal = phantom((3, 2, 2) if method == "bayesian" else (4, 3, 2))
    result = osipy_rs.fit_ivim(signal, B, method=FittingMethod(method))
    ref = reference("ivim_fit", {"signal": signal, "b_values": B}, method=method)
    for attr, ours in [("d_map", "d"), ("d_star_map", "dstar"), ("f_map", "f"), ("s0_map", "s0")]:
        assert_same(getattr(result, attr).values, ref[ours], attr)
    assert_same(result.quality_maps["status"], ref["status"], "status")
    assert (result.d_map.name, result.d_map.units, result.d_star_map.name) == ("D", "mm^2/s", "D*")
    if method == "full":
        assert_same(result.r_squared, ref["r2"], "r2")
    assert result.quality_mask.sum() > 0


def test_params_threshold_and_bounds(reference):
    signal = phantom(seed=2)
    params = IVIMFitParams(method="segmented", b_threshold=400.0)
    result = osipy_rs.fit_ivim(signal, B, params=params)
    ref = reference("ivim_fit", {"signal": signal, "b_values": B}, method="segmented", b_threshold=400.0)
    assert_same(result.d_map.values, ref["d"], "d")
    bounded = osipy_rs.fit_ivim(signal, B, params=IVIMFitParams(method="full", bounds={"D": (0.0, 1.0e-3)}))
    assert np.nanmax(bounded.d_map.values) <= 1.0e-3


@pytest.mark.parametrize("layout", ["fortran", "float32", "strided", "int-b", "list-b"])
def test_layouts_and_dtypes(layout):
    signal = phantom((3, 2, 2), seed=3)
    expected = osipy_rs.fit_ivim(signal, B)
    args = [signal, B]
    if layout == "fortran":
        args[0] = np.asfortranarray(signal)
    elif layout == "float32":
        args[0] = signal.astype(np.float32)
        expected = osipy_rs.fit_ivim(signal.astype(np.float32).astype(np.float64), B)
    elif layout == "strided":
        big = np.zeros((3, 4, 2, B.size))
        big[:, ::2] = signal
        args[0] = big[:, ::2]
    elif layout == "int-b":
        args[1] = B.astype(np.int64)
    elif layout == "list-b":
        args[1] = list(B)
    got = osipy_rs.fit_ivim(*args)
    assert_same(got.d_map.values, expected.d_map.values, "d")
    assert_same(got.f_map.values, expected.f_map.values, "f")


def test_mask_nan_voxels_threads_and_progress():
    signal = phantom((5, 4, 2), seed=4)
    signal[1, 1, 0, 3] = np.nan
    signal[2, 2, 1, 5] = -1.0
    mask = np.ones(signal.shape[:-1], bool)
    mask[0] = False
    seen = []
    one = osipy_rs.fit_ivim(signal, B, mask=mask, method="full", threads=1, progress_callback=seen.append)
    two = osipy_rs.fit_ivim(signal, B, mask=mask, method="full", threads=2)
    assert_same(one.d_map.values, two.d_map.values)
    status = one.quality_maps["status"]
    assert status[1, 1, 0] == 4 and status[2, 2, 1] == 5 and (status[0] == 7).all()
    assert np.isnan(one.d_map.values[0]).all() and not one.quality_mask[1, 1, 0]
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_bad_input_is_a_value_error_naming_the_argument():
    signal = phantom((2, 2, 1))
    cases = [
        (lambda: osipy_rs.fit_ivim(signal.astype(object), B), "signal"),
        (lambda: osipy_rs.fit_ivim(signal, B[:-1]), "signal"),
        (lambda: osipy_rs.fit_ivim(signal, B[None]), "b_values"),
        (lambda: osipy_rs.fit_ivim(signal, np.where(B > 500, np.nan, B)), "b_values"),
        (lambda: osipy_rs.fit_ivim(signal, B + 5), "b_values"),
        (lambda: osipy_rs.fit_ivim(signal, B, mask=np.ones((3, 3), bool)), "mask"),
        (lambda: osipy_rs.fit_ivim(signal, B, method="neural"), "method"),
        (lambda: osipy_rs.fit_ivim(signal, B, params=IVIMFitParams(bounds={"Dp": (0, 1)})), "bounds"),
        (lambda: osipy_rs.fit_ivim(signal, B, progress_callback=3), "progress_callback"),
    ]
    for call, arg in cases:
        with pytest.raises(ValueError, match=arg):
            call()
