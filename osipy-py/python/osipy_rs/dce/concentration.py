"""DCE signal to concentration with the Python osipy's conventions
(``osipy.dce.concentration.signal_to_concentration``), through the Rust library's
``osipy::conc::SignalToConc``: T1 in ms, TR in ms, flip angle in degrees, relaxivity in
/mM/s, concentrations in mM."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from osipy_rs import _dask, _native
from osipy_rs.common.types import DCEAcquisitionParams

__all__ = ["DCEAcquisitionParams", "list_concentration_models", "signal_to_concentration"]


def list_concentration_models() -> list[str]:
    """The conversion methods: 'linear' and 'spgr'."""
    return ["linear", "spgr"]


def _ms_to_s(value: Any, arg: str) -> Any:
    """A time in ms (a number or an array) in s."""
    if _dask.is_dask(value):
        return value / 1000.0
    a = np.asarray(value)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ValueError(f"argument `{arg}`: expected a number or an array of numbers (ms), found dtype {a.dtype}")
    return a.astype(np.float64) / 1000.0


def signal_to_concentration(
    signal: Any,
    t1_map: Any,
    acquisition_params: DCEAcquisitionParams,
    method: str = "spgr",
    *,
    b1_map: Any = None,
    s0: Any = None,
    threads: Optional[int] = None,
) -> Any:
    """Converts a DCE series to concentration (mM), the Python osipy's
    ``signal_to_concentration``.

    ``signal``: voxel axes then time (a NumPy or Dask array); ``t1_map``: the pre-contrast T1
    in **ms**, a ``ParameterMap`` (its ``values``), an array of the voxel shape or a number, or
    None to use ``acquisition_params.t1_assumed`` (ms); ``acquisition_params``: ``tr`` (ms),
    ``flip_angles[0]`` (degrees), ``relaxivity`` (/mM/s), ``baseline_frames`` (the baseline
    is the mean of the first ``baseline_frames`` samples); ``method``: 'spgr' or 'linear'.

    Extensions: ``b1_map`` (actual / nominal flip angle; a number or a map), ``s0`` (a known
    equilibrium signal used instead of the baseline), ``threads``.

    Differences from osipy: impossible samples (a signal at or above the SPGR maximum, a voxel
    without a usable baseline or T1) are NaN, and concentrations below zero are kept; the
    Python osipy sets both to 0. Any number of voxel axes is accepted (not only 4-D). Errors
    are ``ValueError`` naming the argument.
    """
    if method not in ("spgr", "linear"):
        raise ValueError(f"argument `method`: expected 'spgr' or 'linear', found {method!r}")
    acq = acquisition_params
    if t1_map is None:
        if getattr(acq, "t1_assumed", None) is None:
            raise ValueError(
                "argument `t1_map`: expected a T1 map (ms), or acquisition_params.t1_assumed, found None for both"
            )
        t1_ms: Any = float(acq.t1_assumed)
    else:
        t1_ms = getattr(t1_map, "values", t1_map)
    t10 = _ms_to_s(t1_ms, "t1_map")
    for value, arg in ((t10, "t1_map"), (b1_map, "b1_map"), (s0, "s0")):
        # A single value holds for every voxel, so a bad one is an error (a map's bad voxels are
        # NaN curves).
        if value is not None and not _dask.is_dask(value) and np.ndim(value) == 0:
            v = float(np.asarray(value, dtype=np.float64))
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"argument `{arg}`: expected a finite value > 0, found {v}")
    relaxivity = float(getattr(acq, "relaxivity", 4.5))
    n_base = int(getattr(acq, "baseline_frames", 5))
    fa = float("nan")
    tr = float("nan")
    if method == "spgr":
        if getattr(acq, "tr", None) is None:
            raise ValueError("argument `acquisition_params`: expected `tr` (ms), found None")
        angles = list(getattr(acq, "flip_angles", []) or [])
        if not angles and getattr(acq, "flip_angle", None) is not None:
            angles = [acq.flip_angle]
        if not angles:
            raise ValueError("argument `acquisition_params`: expected `flip_angles` (degrees), found none")
        fa = float(angles[0])
        tr = float(acq.tr) / 1000.0

    def native(block, t10_block, b1_block, s0_block):
        return _native.dce_signal_to_concentration(
            block,
            t10_block,
            relaxivity,
            0,
            n_base,
            method=method,
            flip_angle=fa,
            tr=tr,
            b1=b1_block,
            s0=s0_block,
            threads=threads,
        )

    if not _dask.any_dask(signal, t10, b1_map, s0):
        return native(signal, t10, b1_map, s0)
    return _per_curve_dask(native, signal, "signal", [(t10, "t1_map"), (b1_map, "b1_map"), (s0, "s0")])


def _per_curve_dask(native: Any, series: Any, series_arg: str, per_voxel: list) -> Any:
    """``native(block, *per_voxel_blocks)`` block by block on a Dask series (the row axis in
    one chunk), where a per-voxel value is None, a number (passed as it is) or a map of the
    voxel shape (chunked like the series); the result has the series' shape and chunks."""
    import dask.array as da

    s = _dask.series_blocks(series, series_arg)
    nd = s.ndim
    index = tuple(range(nd))
    args: list = [s, index]
    kinds = []
    for value, arg in per_voxel:
        if value is None or (not _dask.is_dask(value) and np.ndim(value) == 0):
            kinds.append(("const", value))
        else:
            kinds.append(("map", None))
            args += [_dask.voxel_blocks(value, s, arg), index[:-1]]

    def run(block, *maps):
        it = iter(maps)
        values = [next(it) if kind == "map" else const for kind, const in kinds]
        return native(block, *values)

    return da.blockwise(run, index, *args, dtype=np.float64, concatenate=True, meta=np.empty((0,) * nd, dtype=np.float64))
