"""T1 mapping with the Python osipy's conventions (``osipy.dce.t1_mapping``): variable flip
angle (linear, nonlinear, two-angle; B1 correction) and Look-Locker, through the Rust library's
``osipy::t1::VolumeFit``. T1 in ms, TR in ms, flip angles in degrees, inversion times in ms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from osipy_rs import _dask, _native
from osipy_rs._maps import ParameterMap, native_maps
from osipy_rs.common.dataset import PerfusionDataset
from osipy_rs.common.types import DCEAcquisitionParams, Modality

__all__ = [
    "T1MappingResult",
    "compute_t1_look_locker",
    "compute_t1_map",
    "compute_t1_vfa",
    "list_t1_methods",
]


@dataclass
class T1MappingResult:
    """The Python osipy's ``T1MappingResult``: ``t1_map`` (a ``ParameterMap``, ms), ``m0_map``
    (a.u.; None for Look-Locker), ``quality_mask`` (voxels whose T1 was found).

    Extension: ``quality_maps`` holds the Rust library's other maps by their own names
    (``r1`` /s, ``status``, and for the fitted methods ``r2``, ``chi2``, ``iterations``;
    Look-Locker ``t1_star`` s, ``a``, ``b``)."""

    t1_map: ParameterMap
    m0_map: Optional[ParameterMap] = None
    quality_mask: Any = None
    quality_maps: dict[str, Any] = field(default_factory=dict)


def list_t1_methods() -> list[str]:
    """The methods of :func:`compute_t1_map`: 'look_locker' and 'vfa'."""
    return ["look_locker", "vfa"]


def _run(
    method: str,
    signal: Any,
    *,
    flip_angles: Any = None,
    tr_s: float = float("nan"),
    times_s: Any = None,
    b1_map: Any = None,
    mask: Any = None,
    magnitude: bool = False,
    threads: Optional[int],
    progress_callback: Optional[Callable[[float], None]],
):
    lazy = _dask.any_dask(signal, mask, b1_map)

    def native(series, block_mask, block_b1=None):
        return _native.t1_fit(
            method,
            series,
            flip_angles=flip_angles,
            tr=tr_s,
            times=times_s,
            b1=block_b1,
            mask=block_mask,
            magnitude=magnitude,
            threads=threads,
            progress_callback=None if lazy else progress_callback,
        )

    if lazy:
        return _dask.run_pipeline_with(native, signal, "signal", mask, "mask", extra=[(b1_map, "b1_map", 1.0)])
    maps, voxel_mask = native(signal, mask, b1_map)
    return native_maps(maps), voxel_mask


def _result(by_name: dict, voxel_mask: Any, model_name: str, fitting_method: str, affine: Any, with_m0: bool) -> T1MappingResult:
    status = by_name["status"][2]
    t1_s = by_name["t1"][2]
    quality_mask = voxel_mask & ((status == 1.0) | (status == 2.0))
    t1_map = ParameterMap(
        name="T1",
        symbol="T1",
        units="ms",
        values=t1_s * 1000.0,
        affine=np.eye(4) if affine is None else affine,
        quality_mask=quality_mask,
        model_name=model_name,
        fitting_method=fitting_method,
        native_name="t1",
        native_units="s",
    )
    m0_map = None
    if with_m0:
        m0_map = ParameterMap(
            name="M0",
            symbol="M0",
            units="a.u.",
            values=by_name["s0"][2],
            affine=t1_map.affine,
            quality_mask=quality_mask,
            model_name=model_name,
            fitting_method=fitting_method,
            native_name="s0",
            native_units="a.u.",
        )
    others = {n: v for n, (_, _, v) in by_name.items() if n not in ("t1",)}
    return T1MappingResult(t1_map=t1_map, m0_map=m0_map, quality_mask=quality_mask, quality_maps=others)


def compute_t1_vfa(
    dataset: Optional[PerfusionDataset] = None,
    method: str = "linear",
    *,
    signal: Any = None,
    flip_angles: Any = None,
    tr: Optional[float] = None,
    mask: Any = None,
    b1_map: Any = None,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
) -> T1MappingResult:
    """Variable flip angle T1 mapping, the Python osipy's ``compute_t1_vfa``: a dataset whose
    ``acquisition_params`` have ``flip_angles`` (degrees, one per volume) and ``tr`` (ms), or
    ``signal`` (voxel axes then flip angles; NumPy or Dask), ``flip_angles`` and ``tr`` (ms).
    ``method``: 'linear' (DESPOT1), 'nonlinear' (a fit of the SPGR signal) or 'two_angle'.

    Extensions: ``b1_map`` (actual / nominal flip angle, voxel shape), ``threads``,
    ``progress_callback``, the method 'two_angle'.

    Differences from osipy: the quality mask is the voxels the Rust library found a T1 for
    (its status), without the Python osipy's 1-10000 ms window; errors are ``ValueError``.
    """
    affine = None
    if dataset is not None:
        signal = dataset.data
        acq = dataset.acquisition_params
        flip_angles = getattr(acq, "flip_angles", None)
        tr = getattr(acq, "tr", None)
        mask = dataset.quality_mask if mask is None else mask
        affine = dataset.affine
    if signal is None:
        raise ValueError("argument `signal`: expected a dataset or signal, flip_angles and tr, found no signal")
    if flip_angles is None or len(flip_angles) == 0:
        raise ValueError("argument `flip_angles`: expected one flip angle per volume (degrees), found none")
    if tr is None:
        raise ValueError("argument `tr`: expected the repetition time (ms), found None")
    if method not in ("linear", "nonlinear", "two_angle"):
        raise ValueError(f"argument `method`: expected 'linear', 'nonlinear' or 'two_angle', found {method!r}")
    by_name, voxel_mask = _run(
        method,
        signal,
        flip_angles=np.asarray(flip_angles, dtype=np.float64),
        tr_s=float(tr) / 1000.0,
        b1_map=b1_map,
        mask=mask,
        threads=threads,
        progress_callback=progress_callback,
    )
    return _result(by_name, voxel_mask, "VFA", method, affine, with_m0=True)


def compute_t1_look_locker(
    dataset: PerfusionDataset,
    ti_times: Any = None,
    *,
    magnitude: bool = False,
    mask: Any = None,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
) -> T1MappingResult:
    """Look-Locker T1 mapping, the Python osipy's ``compute_t1_look_locker``: ``ti_times`` in
    ms (one per volume), else the dataset's ``time_points`` (s).

    The Rust library fits ``S(t) = a - b exp(-t / T1*)`` and corrects ``T1 = T1* (b / a - 1)``
    (Deichmann and Haase 1992). Extensions: ``magnitude`` (magnitude images; default signed),
    ``mask``, ``threads``, ``progress_callback``.

    Differences from osipy: ``m0_map`` is None as in the Python osipy, and the fitted ``a``,
    ``b`` and ``t1_star`` are in ``quality_maps``; errors are ``ValueError``."""
    if ti_times is not None:
        times_s = np.asarray(ti_times, dtype=np.float64) / 1000.0
    elif getattr(dataset, "time_points", None) is not None:
        times_s = np.asarray(dataset.time_points, dtype=np.float64)
    else:
        raise ValueError("argument `ti_times`: expected inversion times (ms) or dataset.time_points (s), found None")
    mask = dataset.quality_mask if mask is None else mask
    by_name, voxel_mask = _run(
        "look_locker",
        dataset.data,
        times_s=times_s,
        mask=mask,
        magnitude=magnitude,
        threads=threads,
        progress_callback=progress_callback,
    )
    return _result(by_name, voxel_mask, "Look-Locker", "look_locker", dataset.affine, with_m0=False)


def compute_t1_map(
    dataset: PerfusionDataset,
    method: str = "vfa",
    *,
    vfa_method: str = "linear",
    b1_map: Any = None,
    ti_times: Any = None,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
) -> T1MappingResult:
    """T1 map of a VFA or Look-Locker dataset, the Python osipy's ``compute_t1_map``:
    ``method`` 'vfa' (``acquisition_params.flip_angles`` in degrees, ``tr`` in ms) or
    'look_locker' (``ti_times`` in ms or the dataset's ``time_points`` in s).

    Extensions: ``vfa_method`` ('linear', the Python osipy's default, 'nonlinear' or
    'two_angle'), ``b1_map``, ``ti_times``, ``threads``, ``progress_callback``. Differences
    as :func:`compute_t1_vfa` and :func:`compute_t1_look_locker`."""
    if method == "vfa":
        return compute_t1_vfa(
            dataset, vfa_method, b1_map=b1_map, threads=threads, progress_callback=progress_callback
        )
    if method == "look_locker":
        return compute_t1_look_locker(dataset, ti_times, threads=threads, progress_callback=progress_callback)
    raise ValueError(f"argument `method`: expected one of {list_t1_methods()}, found {method!r}")


def vfa_dataset(signal: Any, flip_angles: Any, tr: float, affine: Any = None) -> PerfusionDataset:
    """A :class:`PerfusionDataset` of a VFA series (an extension for convenience): ``tr`` in ms,
    ``flip_angles`` in degrees."""
    return PerfusionDataset(
        data=signal,
        affine=np.eye(4) if affine is None else affine,
        modality=Modality.DCE,
        time_points=np.arange(signal.shape[-1], dtype=np.float64) if signal.ndim == 4 else None,
        acquisition_params=DCEAcquisitionParams(tr=tr, flip_angles=list(np.asarray(flip_angles, dtype=float))),
    )
