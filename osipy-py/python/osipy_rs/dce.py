"""DCE-MRI: pharmacokinetic model fitting with the Python osipy's ``fit_model`` conventions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from osipy_rs import _dask, _native
from osipy_rs._maps import ParameterMap, native_maps

# The Python osipy's model names -> ours, and its parameter names -> ours.
_MODELS = {
    "tofts": "tofts",
    "extended_tofts": "extended_tofts",
    "patlak": "patlak",
    "2cxm": "2cxm",
    "2cum": "2cum",
}
_PARAMS = {
    "tofts": [("Ktrans", "ktrans", "1/min"), ("ve", "ve", "fraction")],
    "extended_tofts": [("Ktrans", "ktrans", "1/min"), ("ve", "ve", "fraction"), ("vp", "vp", "fraction")],
    "patlak": [("Ktrans", "ps", "1/min"), ("vp", "vp", "fraction")],
    "2cxm": [("Fp", "fp", "ml/100ml/min"), ("PS", "ps", "1/min"), ("ve", "ve", "fraction"), ("vp", "vp", "fraction")],
    "2cum": [("Fp", "fp", "ml/100ml/min"), ("PS", "ps", "1/min"), ("vp", "vp", "fraction")],
}


@dataclass
class DCEFitResult:
    """The Python osipy's ``DCEFitResult``: ``parameter_maps`` by the Python osipy's names,
    ``quality_mask`` (fitted and converged), ``model_name``, ``r_squared_map``,
    ``residual_map`` (the sum of squared residuals), ``fitting_stats``; ``quality_maps`` holds
    every quality map of the Rust library by its own name (``status``, ``iterations``, ...)."""

    parameter_maps: dict[str, ParameterMap]
    quality_mask: np.ndarray
    model_name: str
    r_squared_map: Optional[np.ndarray] = None
    residual_map: Optional[np.ndarray] = None
    fitting_stats: dict[str, Any] = field(default_factory=dict)
    quality_maps: dict[str, np.ndarray] = field(default_factory=dict)


def fit_model(
    model_name: str,
    concentration: Any,
    aif: Any,
    time: Any,
    mask: Any = None,
    fitter: Any = None,
    progress_callback: Optional[Callable[[float], None]] = None,
    bounds_override: Optional[dict[str, tuple[float, float]]] = None,
    fit_delay: bool = False,
    *,
    threads: Optional[int] = None,
) -> DCEFitResult:
    """Fits a DCE model voxel by voxel (the Python osipy's ``osipy.dce.fit_model``).

    ``concentration`` (mM): voxel axes then time (``(x, y, z, t)``, ``(x, y, t)`` or
    ``(n, t)``); ``aif`` (mM): one value per time point, or an object with a ``concentration``
    attribute; ``time`` in seconds; ``mask`` of the voxel shape.
    """
    if model_name not in _MODELS:
        raise ValueError(
            f"argument `model_name`: expected one of {', '.join(sorted(_MODELS))}, found {model_name!r}"
        )
    if fitter not in (None, "lm", "levenberg_marquardt"):
        raise ValueError(f"argument `fitter`: expected None or 'lm', found {fitter!r}")
    aif_values = getattr(aif, "concentration", aif)
    params = _PARAMS[model_name]
    lower = upper = None
    if bounds_override:
        known = {osipy_name for osipy_name, _, _ in params}
        unknown = sorted(set(bounds_override) - known - ({"delay"} if fit_delay else set()))
        if unknown:
            raise ValueError(
                f"argument `bounds_override`: expected parameters among {sorted(known)}, found {unknown}"
            )
        names, lower, upper = _native.dce_model_bounds(_MODELS[model_name], fit_delay)
        ours = {osipy_name: native for osipy_name, native, _ in params}
        for key, (lo, hi) in bounds_override.items():
            i = names.index(ours.get(key, key))
            lower[i], upper[i] = float(lo), float(hi)
    def native(series, block_mask):
        maps, vm = _native.dce_fit_model(
            _MODELS[model_name],
            series,
            aif_values,
            time,
            mask=block_mask,
            lower=lower,
            upper=upper,
            fit_delay=fit_delay,
            threads=threads,
            progress_callback=None if _dask.any_dask(concentration, mask) else progress_callback,
        )
        return maps, vm

    if _dask.any_dask(concentration, mask):
        by_name, voxel_mask = _dask.run_pipeline(native, concentration, "concentration", mask, "mask")
    else:
        maps, voxel_mask = native(concentration, mask)
        by_name = native_maps(maps)
    status = by_name["status"][2]
    quality_mask = voxel_mask & (status >= 1.0) & (status <= 3.0)
    parameter_maps = {}
    for osipy_name, ours, units in params:
        unit, _, values = by_name[ours]
        parameter_maps[osipy_name] = ParameterMap(
            name=osipy_name,
            symbol=osipy_name,
            units=units,
            values=values,
            quality_mask=quality_mask,
            model_name=model_name,
            fitting_method="levenberg_marquardt",
            native_name=ours,
            native_units=unit,
        )
    quality_maps = {n: v for n, (_, is_param, v) in by_name.items() if not is_param}
    return DCEFitResult(
        parameter_maps=parameter_maps,
        quality_mask=quality_mask,
        model_name=model_name,
        r_squared_map=by_name.get("r2", (None, None, None))[2],
        residual_map=by_name.get("chi2", (None, None, None))[2],
        fitting_stats={
            "n_voxels": _count(voxel_mask),
            "n_converged": _count(quality_mask),
        },
        quality_maps=quality_maps,
    )


def _count(mask):
    """The number of true voxels (a lazy Dask scalar for a Dask mask)."""
    return mask.sum() if _dask.is_dask(mask) else int(mask.sum())
