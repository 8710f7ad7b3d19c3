"""IVIM with the Python osipy's ``osipy.ivim`` conventions: ``fit_ivim``, ``IVIMFitParams``,
``IVIMFitResult``, ``FittingMethod``, through ``osipy::ivim::Fit``. b-values in s/mm², D and D*
in mm²/s, f a fraction, S0 in the input's units.

Every per-voxel call takes ``threads=`` and ``progress_callback=`` (the fraction done); with
Dask arrays the blocks run as Dask tasks and the callback is not called (use Dask's own
progress reporting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Optional, Union

import numpy as np

from osipy_rs import _dask, _native
from osipy_rs._maps import ParameterMap, native_maps


class FittingMethod(Enum):
    """IVIM fitting methods (the Python osipy's ``osipy.ivim.FittingMethod``)."""

    SEGMENTED = "segmented"
    FULL = "full"
    BAYESIAN = "bayesian"


# The Python osipy's parameter names -> index in our bounds [s0, f, d, dstar].
_BOUND_INDEX = {"S0": 0, "f": 1, "D": 2, "D*": 3}
_DEFAULT_LOWER = [0.5, 0.0, 0.0, 5.0e-3]
_DEFAULT_UPPER = [1.5, 1.0, 5.0e-3, 0.2]


@dataclass
class IVIMFitParams:
    """The Python osipy's ``IVIMFitParams``: ``method``, ``b_threshold`` (s/mm²),
    ``max_iterations``, ``bounds`` (``{"D": (lo, hi), "D*": ..., "f": ..., "S0": ...}``).

    Differences from osipy: ``max_iterations`` applies to the full fit (default 200 there:
    ``None`` keeps the library's default); the S0 bounds are relative to the voxel's mean b = 0
    signal (default 0.5 to 1.5); ``tolerance``, ``initial_guess``, ``signal_model`` and
    ``bayesian_params`` are accepted and ignored (the full fit starts from the segmented result;
    the Bayesian method uses fixed priors).
    """

    method: Union[FittingMethod, str] = FittingMethod.SEGMENTED
    b_threshold: float = 200.0
    max_iterations: Optional[int] = None
    tolerance: float = 1e-6
    bounds: Optional[dict[str, tuple[float, float]]] = None
    initial_guess: Optional[dict[str, float]] = None
    signal_model: str = "biexponential"
    bayesian_params: Any = None


@dataclass
class IVIMFitResult:
    """The Python osipy's ``IVIMFitResult``: ``d_map``, ``d_star_map``, ``f_map``, ``s0_map``
    (ParameterMaps), ``quality_mask`` (status ok), ``r_squared`` (full fit; else None),
    ``fitting_stats``; ``quality_maps`` holds the library's quality maps (``status``, ``chi2``,
    ``iterations``, ...) and ``extra_maps`` its other parameter maps (``fdstar``, the Bayesian
    posterior SDs ``d_sd``...)."""

    d_map: ParameterMap
    d_star_map: ParameterMap
    f_map: ParameterMap
    s0_map: ParameterMap
    quality_mask: Any
    r_squared: Any = None
    fitting_stats: dict[str, Any] = field(default_factory=dict)
    quality_maps: dict[str, Any] = field(default_factory=dict)
    extra_maps: dict[str, ParameterMap] = field(default_factory=dict)


_MAPS = {"d": ("D", "mm^2/s"), "dstar": ("D*", "mm^2/s"), "f": ("f", ""), "s0": ("S0", "a.u.")}


def fit_ivim(
    signal: Any,
    b_values: Any,
    mask: Any = None,
    params: Optional[IVIMFitParams] = None,
    method: Union[FittingMethod, str, None] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
    *,
    threads: Optional[int] = None,
) -> IVIMFitResult:
    """Fits the IVIM bi-exponential model in every voxel (the Python osipy's
    ``osipy.ivim.fit_ivim``): ``signal`` voxel axes then one volume per b-value (s/mm²),
    ``mask`` of the voxel shape; ``method`` (or ``params.method``) segmented, full or bayesian.

    Differences from osipy: a voxel that fails (NaN or non-positive samples, a fit that does
    not converge) is NaN in every map (osipy: 0) with the reason in ``quality_maps['status']``
    (1 ok, 2 not converged, 3 failed, 4 non-finite data, 5 non-positive signal, 7 masked); the
    segmented fit has three steps (D, then S0 and f from the intercept, then D*); see
    :class:`IVIMFitParams` for the bounds.
    """
    params = params or IVIMFitParams()
    m = method if method is not None else params.method
    name = m.value if isinstance(m, FittingMethod) else str(m)
    lower = upper = None
    if params.bounds:
        unknown = sorted(set(params.bounds) - set(_BOUND_INDEX))
        if unknown:
            raise ValueError(f"argument `bounds`: expected keys among {sorted(_BOUND_INDEX)}, found {unknown}")
        lower, upper = list(_DEFAULT_LOWER), list(_DEFAULT_UPPER)
        for k, (lo, hi) in params.bounds.items():
            lower[_BOUND_INDEX[k]], upper[_BOUND_INDEX[k]] = float(lo), float(hi)
    lazy = _dask.any_dask(signal, mask)

    def native(series, block_mask):
        return _native.ivim_fit(
            series,
            b_values,
            method=name,
            mask=block_mask,
            b_threshold=params.b_threshold,
            lower=lower,
            upper=upper,
            max_iterations=params.max_iterations,
            threads=threads,
            progress_callback=None if lazy else progress_callback,
        )

    if lazy:
        by_name, voxel_mask = _dask.run_pipeline(native, signal, "signal", mask, "mask")
    else:
        maps, voxel_mask = native(signal, mask)
        by_name = native_maps(maps)
    status = by_name["status"][2]
    quality = voxel_mask & (status == 1.0)
    out = {}
    for ours, (osipy_name, units) in _MAPS.items():
        unit, _, values = by_name[ours]
        out[ours] = ParameterMap(
            name=osipy_name,
            symbol=osipy_name,
            units=units,
            values=values,
            quality_mask=quality,
            model_name="biexponential",
            fitting_method=name,
            native_name=ours,
            native_units=unit,
        )
    r2 = by_name.get("r2")
    extra = {
        n: ParameterMap(name=n, symbol=n, units=u, values=v, quality_mask=quality, native_name=n, native_units=u)
        for n, (u, is_param, v) in by_name.items()
        if is_param and n not in _MAPS
    }
    stats = {}
    if not lazy:
        q = np.asarray(quality)
        stats = {"n_voxels": int(np.asarray(voxel_mask).sum()), "n_fitted": int(q.sum())}
        for ours, key in (("d", "D"), ("dstar", "D*"), ("f", "f")):
            v = out[ours].values[q]
            stats[f"{key}_mean"] = float(v.mean()) if v.size else float("nan")
            stats[f"{key}_std"] = float(v.std()) if v.size else float("nan")
    return IVIMFitResult(
        d_map=out["d"],
        d_star_map=out["dstar"],
        f_map=out["f"],
        s0_map=out["s0"],
        quality_mask=quality,
        r_squared=None if r2 is None else r2[2],
        fitting_stats=stats,
        quality_maps={n: v for n, (_, is_param, v) in by_name.items() if not is_param},
        extra_maps=extra,
    )
