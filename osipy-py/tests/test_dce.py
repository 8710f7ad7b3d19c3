"""DCE: ``fit_model`` against the Rust library, layouts, dtypes, errors, progress."""

from __future__ import annotations

import numpy as np
import pytest

import osipy_rs
from conftest import assert_same


def phantom(n=(4, 5, 3), seed=1):
    rng = np.random.default_rng(seed)
    t = np.arange(40) * 5.0
    aif = 5.0 * (t / 30.0) * np.exp(1 - t / 30.0)
    ktrans = rng.uniform(0.05, 0.4, n) / 60.0
    ve = rng.uniform(0.1, 0.5, n)
    dt = t[1] - t[0]
    kernel = np.exp(-np.outer(ktrans.ravel() / ve.ravel(), t))
    curves = np.array([ktrans.ravel()[i] * np.convolve(aif, kernel[i])[: t.size] * dt for i in range(ktrans.size)])
    conc = curves.reshape(*n, t.size) + rng.normal(0, 0.01, (*n, t.size))
    return t, aif, conc


def test_fit_model_matches_the_library_bit_for_bit(reference):
    t, aif, conc = phantom()
    result = osipy_rs.fit_model("extended_tofts", conc, aif, t)
    ref = reference("dce_fit_model", {"concentration": conc, "aif": aif, "time": t}, model="extended_tofts")
    for osipy_name, ours in [("Ktrans", "ktrans"), ("ve", "ve"), ("vp", "vp")]:
        assert_same(result.parameter_maps[osipy_name].values, ref[ours], osipy_name)
    assert_same(result.r_squared_map, ref["r2"], "r2")
    assert_same(result.quality_maps["status"], ref["status"], "status")
    assert result.parameter_maps["Ktrans"].units == "1/min"
    assert result.parameter_maps["Ktrans"].values.shape == conc.shape[:-1]


@pytest.mark.parametrize(
    "layout",
    ["fortran", "float32", "strided", "reversed", "int-time", "list-aif", "unaligned", "big-endian"],
)
def test_layouts_and_dtypes(layout):
    t, aif, conc = phantom((3, 4, 2), seed=2)
    expected = osipy_rs.fit_model("tofts", conc, aif, t)
    args = [conc, aif, t]
    if layout == "fortran":
        args[0] = np.asfortranarray(conc)
    elif layout == "float32":
        args[0] = conc.astype(np.float32)
        expected = osipy_rs.fit_model("tofts", conc.astype(np.float32).astype(np.float64), aif, t)
    elif layout == "strided":
        big = np.zeros((3, 8, 2, conc.shape[-1]))
        big[:, ::2] = conc
        args[0] = big[:, ::2]
    elif layout == "reversed":
        args[0] = conc[::-1][::-1]
    elif layout == "int-time":
        args[2] = t.astype(np.int64)
    elif layout == "unaligned":
        # float64 data at an odd byte offset (a buffer, a memory map): copied, not borrowed.
        raw = np.zeros(conc.size * 8 + 1, dtype=np.uint8)
        unaligned = np.frombuffer(raw.data, dtype=np.float64, count=conc.size, offset=1).reshape(conc.shape)
        assert not unaligned.flags.aligned
        unaligned.flags.writeable = True
        unaligned[...] = conc
        args[0] = unaligned
    elif layout == "big-endian":
        args[0] = conc.astype(">f8")
    elif layout == "list-aif":
        args[1] = list(aif)
    got = osipy_rs.fit_model("tofts", *args)
    for name in ("Ktrans", "ve"):
        assert_same(got.parameter_maps[name].values, expected.parameter_maps[name].values, name)


def test_mask_threads_and_progress():
    t, aif, conc = phantom((6, 6, 2), seed=3)
    mask = np.zeros(conc.shape[:-1], bool)
    mask[1:4, 2:5] = True
    seen = []
    one = osipy_rs.fit_model("patlak", conc, aif, t, mask=mask, threads=1, progress_callback=seen.append)
    two = osipy_rs.fit_model("patlak", conc, aif, t, mask=mask, threads=2)
    assert_same(one.parameter_maps["Ktrans"].values, two.parameter_maps["Ktrans"].values)
    assert np.isnan(one.parameter_maps["Ktrans"].values[~mask]).all()
    assert np.isfinite(one.parameter_maps["Ktrans"].values[mask]).all()
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_bad_input_is_a_value_error_naming_the_argument():
    t, aif, conc = phantom((2, 2, 1))
    cases = [
        (dict(model_name="nope"), "model_name"),
        (dict(concentration=np.array([["a"]], dtype=object)), "concentration"),
        (dict(concentration=conc.astype(np.complex128)), "concentration"),
        (dict(aif=aif[:-1]), "conc"),
        (dict(aif=np.where(t > 50, np.nan, aif)), "aif"),
        (dict(time=t[:, None]), "time"),
        (dict(mask=np.ones((3, 3), bool)), "mask"),
        (dict(threads=0), "threads"),
        (dict(progress_callback=3), "progress_callback"),
    ]
    base = dict(model_name="tofts", concentration=conc, aif=aif, time=t)
    for change, arg in cases:
        kw = {**base, **change}
        with pytest.raises(ValueError, match=f"`{arg}`"):
            osipy_rs.fit_model(kw.pop("model_name"), kw.pop("concentration"), kw.pop("aif"), kw.pop("time"), **kw)


def test_nan_voxels_are_statuses_not_errors():
    t, aif, conc = phantom((2, 2, 1))
    conc = conc.copy()
    conc[0, 0, 0, 5] = np.nan
    r = osipy_rs.fit_model("tofts", conc, aif, t)
    assert not r.quality_mask[0, 0, 0]
    assert r.quality_mask[1, 1, 0]


def test_progress_callback_exception_is_raised():
    t, aif, conc = phantom((2, 2, 1))

    def boom(fraction):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        osipy_rs.fit_model("tofts", conc, aif, t, progress_callback=boom)


def test_fit_delay_2cxm_units_and_names_match_the_library(reference):
    t, aif, conc = phantom((3, 2, 1), seed=5)
    result = osipy_rs.fit_model("2cxm", conc, aif, t, fit_delay=True)
    ref = reference("dce_fit_model", {"concentration": conc, "aif": aif, "time": t}, model="2cxm", fit_delay="true")
    assert list(result.parameter_maps) == ["Fp", "PS", "ve", "vp", "delay"]
    assert result.model_name == "Two-Compartment Exchange (2CXM) (with delay)"
    assert_same(result.parameter_maps["Fp"].values, ref["fp"], "Fp")
    assert_same(result.parameter_maps["PS"].values, ref["ps"] * 100.0, "PS (mL/min/100mL)")
    assert_same(result.parameter_maps["delay"].values, ref["delay"], "delay")
    assert result.parameter_maps["PS"].units == "mL/min/100mL"
    assert result.parameter_maps["delay"].units == "s"
    assert_same(result.residual_map, ref["chi2"], "chi2")


def test_bounds_override_in_the_python_osipys_units(reference):
    t, aif, conc = phantom((3, 2, 1), seed=6)
    result = osipy_rs.fit_model("2cum", conc, aif, t, bounds_override={"PS": (0.0, 20.0), "vp": (0.01, 0.5)})
    names, lower, upper = osipy_rs._native.dce_model_bounds("2cum")
    lower[names.index("ps")], upper[names.index("ps")] = 0.0, 0.2
    lower[names.index("vp")], upper[names.index("vp")] = 0.01, 0.5
    ref = reference("dce_fit_model", {"concentration": conc, "aif": aif, "time": t}, model="2cum", lower=lower, upper=upper)
    assert_same(result.parameter_maps["PS"].values, ref["ps"] * 100.0, "PS")
    assert_same(result.parameter_maps["vp"].values, ref["vp"], "vp")
    with pytest.raises(ValueError, match="`bounds_override`"):
        osipy_rs.fit_model("2cum", conc, aif, t, bounds_override={"Ktrans": (0, 1)})


@pytest.mark.parametrize(
    "name,params",
    [
        ("tofts", [0.3, 0.4]),
        ("extended_tofts", [0.3, 0.4, 0.05]),
        ("patlak", [0.1, 0.05]),
        ("2cxm", [50.0, 12.0, 0.3, 0.05]),
        ("2cum", [50.0, 12.0, 0.05]),
    ],
)
def test_model_predict_is_the_librarys_curve(reference, name, params):
    t, aif, _ = phantom((1, 1, 1))
    model = osipy_rs.get_model(name)
    got = model.predict(t, aif, np.array(params))
    lib = list(params)
    if name in ("2cxm", "2cum"):
        lib[1] = params[1] / 100.0
    ref = reference("dce_model_curve", {"time": t, "aif": aif, "params": np.array(lib)}, model=name)
    assert_same(got, ref["curve"], name)
    batch = model.predict(t, aif, np.stack([params, params], axis=1))
    assert batch.shape == (t.size, 2)
    assert_same(batch[:, 1], ref["curve"])
    by_name = model.predict(t, aif, dict(zip(model.parameters, params)))
    assert_same(by_name, ref["curve"])


def test_model_registry_names_units_and_bounds():
    assert osipy_rs.list_models() == ["2cum", "2cxm", "extended_tofts", "patlak", "tofts"]
    m = osipy_rs.get_model("extended_tofts")
    assert isinstance(m, osipy_rs.ExtendedToftsModel)
    assert m.parameters == ["Ktrans", "ve", "vp"]
    assert m.parameter_units == {"Ktrans": "1/min", "ve": "fraction", "vp": "fraction"}
    assert m.get_bounds()["Ktrans"] == (0.0, 5.0)
    assert osipy_rs.TwoCompartmentModel().get_bounds()["PS"] == (0.0, 500.0)
    assert osipy_rs.PatlakModel().parameters == ["Ktrans", "vp"]
    with pytest.raises(ValueError, match="`name`"):
        osipy_rs.get_model("nope")
    with pytest.raises(ValueError, match="`params`"):
        m.predict(np.arange(3.0), np.ones(3), [0.1, 0.2])
    with pytest.raises(ValueError, match="`aif`"):
        m.predict(np.arange(3.0), np.ones(4), [0.1, 0.2, 0.01])


def test_fitting_stats_have_the_python_osipys_keys():
    t, aif, conc = phantom((3, 3, 1), seed=7)
    r = osipy_rs.fit_model("tofts", conc, aif, t)
    s = r.fitting_stats
    assert s["n_voxels_total"] == 9
    assert s["n_voxels_fitted"] == int(r.quality_mask.sum())
    assert s["fit_success_rate"] == s["n_voxels_fitted"] / 9
    ok = r.parameter_maps["Ktrans"].values[r.quality_mask]
    assert s["Ktrans_mean"] == float(np.mean(ok))
    assert s["ve_median"] == float(np.median(r.parameter_maps["ve"].values[r.quality_mask]))


def test_aif_auto_fits_with_the_detected_aif():
    from test_aif import aif_phantom

    t, conc, _ = aif_phantom()
    auto = osipy_rs.fit_model("tofts", conc, "auto", t)
    detected = osipy_rs.detect_aif(conc, time=t)
    explicit = osipy_rs.fit_model("tofts", conc, detected.aif, t)
    assert_same(auto.aif.concentration, detected.aif.concentration, "aif")
    assert_same(auto.parameter_maps["Ktrans"].values, explicit.parameter_maps["Ktrans"].values, "Ktrans")
    with pytest.raises(ValueError, match="`aif`"):
        osipy_rs.fit_model("tofts", conc, "parker", t)


def test_a_2d_mask_applies_to_every_slice():
    t, aif, conc = phantom((3, 3, 2), seed=8)
    m2 = np.zeros((3, 3), bool)
    m2[1:, 1:] = True
    got = osipy_rs.fit_model("tofts", conc, aif, t, mask=m2)
    expected = osipy_rs.fit_model("tofts", conc, aif, t, mask=np.repeat(m2[:, :, None], 2, axis=2))
    assert_same(got.parameter_maps["Ktrans"].values, expected.parameter_maps["Ktrans"].values)
    assert got.model_name == "Standard Tofts"
