"""DCE-MRI: pharmacokinetic model fitting with the Python osipy's ``fit_model`` conventions
(``osipy.dce.fitting``), through the Rust library's ``osipy::dce::VolumeFit``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import numpy as np

from osipy_rs import _dask, _native
from osipy_rs._maps import ParameterMap, native_maps
from osipy_rs.dce.models import MODEL_REGISTRY, parameter_spec

__all__ = ["DCEFitResult", "fit_model"]


@dataclass
class DCEFitResult:
    """The Python osipy's ``DCEFitResult``: ``parameter_maps`` by the Python osipy's names and
    units, ``quality_mask`` (fitted and converged), ``model_name`` (the model's display name,
    as the Python osipy: "Standard Tofts", "Extended Tofts (with delay)"), ``r_squared_map``,
    ``residual_map`` (the sum of squared residuals, mM²), ``fitting_stats``.

    Extensions: ``quality_maps`` holds every quality map of the Rust library by its own name
    (``r2``, ``chi2``, ``iterations``, ``status``, ``at_bound``); ``aif`` is the AIF used when
    ``aif="auto"`` detected it."""

    parameter_maps: dict[str, ParameterMap]
    quality_mask: Any
    model_name: str
    r_squared_map: Optional[Any] = None
    residual_map: Optional[Any] = None
    fitting_stats: dict[str, Any] = field(default_factory=dict)
    quality_maps: dict[str, Any] = field(default_factory=dict)
    aif: Any = None


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
    interpolation: str = "linear",
    threads: Optional[int] = None,
) -> DCEFitResult:
    """Fits a DCE model voxel by voxel (the Python osipy's ``osipy.dce.fit_model``).

    ``model_name``: 'tofts', 'extended_tofts', 'patlak', '2cxm' or '2cum'.
    ``concentration`` (mM): voxel axes then time (``(x, y, z, t)``, ``(x, y, t)`` or
    ``(n, t)``), a NumPy or Dask array; ``aif`` (mM, the **plasma** curve): one value per time
    point, an :class:`~osipy_rs.common.aif.ArterialInputFunction`, or ``"auto"``; ``time`` in
    seconds; ``mask`` of the voxel shape (a 2-D mask of a 4-D series applies to every slice,
    as in the Python osipy). ``bounds_override`` maps parameter names (the Python
    osipy's, in its units; ``delay`` in s with ``fit_delay``) to ``(lower, upper)``.
    ``fit_delay`` fits an arterial delay (s), returned as the map ``delay``. ``threads``
    (worker threads) and ``interpolation`` ('linear', the default, or 'spline': how the AIF
    runs between samples) are extensions.

    With Dask arrays the maps are Dask arrays (computed chunk by chunk by the same Rust call;
    equal to the in-memory call bit for bit), ``fitting_stats`` holds only the lazy counts, and
    ``progress_callback`` is not called (Dask reports progress through its own diagnostics).

    Differences from osipy:

    - ``aif="auto"`` (an extension) detects the AIF in ``concentration`` within ``mask`` first
      (:func:`osipy_rs.common.aif.detect_aif`; a global pass over a Dask array), kept in
      ``result.aif``.
    - ``quality_mask`` is the fitted voxels whose fit converged (the Rust fitter's status),
      not every voxel that was fitted.
    - The fitter is the library's Levenberg-Marquardt with a data-driven start; ``fitter``
      accepts only None or 'lm'. The default bounds are the library's
      (:meth:`~osipy_rs.dce.models.BasePerfusionModel.get_bounds`); a delay is bounded to
      [-10, 10] s (the Python osipy: [0, 60] s).
    - Errors are ``ValueError`` naming the argument (the Python osipy raises
      ``FittingError``); a voxel whose curve holds NaN gets a failure status, not an error.
    - ``fitting_stats`` has the Python osipy's keys (``n_voxels_total``, ``n_voxels_fitted``,
      ``fit_success_rate``, ``<name>_mean`` / ``_std`` / ``_median`` / ``_min`` / ``_max``
      over the quality mask) and ``n_voxels`` (voxels in the mask), ``n_converged``.
    """
    if model_name not in MODEL_REGISTRY:
        raise ValueError(
            f"argument `model_name`: expected one of {', '.join(sorted(MODEL_REGISTRY))}, found {model_name!r}"
        )
    if fitter not in (None, "lm", "levenberg_marquardt"):
        raise ValueError(f"argument `fitter`: expected None or 'lm', found {fitter!r}")
    params = parameter_spec(model_name, fit_delay)
    display_name = MODEL_REGISTRY[model_name](fit_delay).name
    detected = None
    if isinstance(aif, str):
        if aif != "auto":
            raise ValueError(f"argument `aif`: expected an array, an ArterialInputFunction or 'auto', found {aif!r}")
        from osipy_rs.common.aif import detect_aif

        detected = detect_aif(concentration, roi_mask=mask, time=time).aif
        aif_values: Any = detected.concentration
    else:
        aif_values = getattr(aif, "concentration", aif)
    lower = upper = None
    if bounds_override:
        known = [osipy_name for osipy_name, _, _, _ in params]
        unknown = sorted(set(bounds_override) - set(known))
        if unknown:
            raise ValueError(f"argument `bounds_override`: expected parameters among {known}, found {unknown}")
        names, lower, upper = _native.dce_model_bounds(model_name, fit_delay)
        for osipy_name, ours, _, scale in params:
            if osipy_name in bounds_override:
                lo, hi = bounds_override[osipy_name]
                i = names.index(ours)
                lower[i], upper[i] = float(lo) / scale, float(hi) / scale
    if mask is not None and not _dask.any_dask(concentration, mask) and np.ndim(mask) == 2 and np.ndim(concentration) == 4:
        if tuple(np.shape(mask)) != tuple(np.shape(concentration)[:2]):
            raise ValueError(
                f"argument `mask`: expected a mask of shape {tuple(np.shape(concentration)[:3])} or {tuple(np.shape(concentration)[:2])}, found shape {np.shape(mask)}"
            )
        # As the Python osipy: a 2-D mask of a 4-D series applies to every slice.
        mask = np.broadcast_to(np.asarray(mask)[:, :, None], np.shape(concentration)[:3])
    lazy = _dask.any_dask(concentration, mask)

    def native(series, block_mask):
        return _native.dce_fit_model(
            model_name,
            series,
            aif_values,
            time,
            mask=block_mask,
            lower=lower,
            upper=upper,
            fit_delay=fit_delay,
            interpolation=interpolation,
            threads=threads,
            progress_callback=None if lazy else progress_callback,
        )

    if lazy:
        by_name, voxel_mask = _dask.run_pipeline(native, concentration, "concentration", mask, "mask")
    else:
        maps, voxel_mask = native(concentration, mask)
        by_name = native_maps(maps)
    status = by_name["status"][2]
    quality_mask = voxel_mask & (status >= 1.0) & (status <= 3.0)
    parameter_maps = {}
    for osipy_name, ours, units, scale in params:
        unit, _, values = by_name[ours]
        if scale != 1.0:
            values = values * scale
        parameter_maps[osipy_name] = ParameterMap(
            name=osipy_name,
            symbol=osipy_name,
            units=units,
            values=values,
            quality_mask=quality_mask,
            model_name=display_name,
            fitting_method="levenberg_marquardt",
            native_name=ours,
            native_units=unit,
        )
    quality_maps = {n: v for n, (_, is_param, v) in by_name.items() if not is_param}
    return DCEFitResult(
        parameter_maps=parameter_maps,
        quality_mask=quality_mask,
        model_name=display_name,
        r_squared_map=by_name.get("r2", (None, None, None))[2],
        residual_map=by_name.get("chi2", (None, None, None))[2],
        fitting_stats=_stats(parameter_maps, voxel_mask, quality_mask, lazy),
        quality_maps=quality_maps,
        aif=detected,
    )


def _stats(parameter_maps: dict[str, ParameterMap], voxel_mask: Any, quality_mask: Any, lazy: bool) -> dict[str, Any]:
    """The Python osipy's ``fitting_stats`` keys (counts only, lazy, for Dask)."""
    if lazy:
        return {
            "n_voxels_total": int(np.prod(quality_mask.shape)),
            "n_voxels": voxel_mask.sum(),
            "n_converged": quality_mask.sum(),
            "n_voxels_fitted": quality_mask.sum(),
        }
    total = int(quality_mask.size)
    fitted = int(quality_mask.sum())
    stats: dict[str, Any] = {
        "n_voxels_total": total,
        "n_voxels_fitted": fitted,
        "fit_success_rate": float(fitted / total) if total else 0.0,
        "n_voxels": int(voxel_mask.sum()),
        "n_converged": fitted,
    }
    for name, pmap in parameter_maps.items():
        v = np.asarray(pmap.values)[quality_mask]
        if v.size:
            stats[f"{name}_mean"] = float(np.mean(v))
            stats[f"{name}_std"] = float(np.std(v))
            stats[f"{name}_median"] = float(np.median(v))
            stats[f"{name}_min"] = float(np.min(v))
            stats[f"{name}_max"] = float(np.max(v))
    return stats
