"""Readers with the Python osipy's names (``osipy.common.io``): ``load_nifti`` and
``load_dicom_series`` return a :class:`~osipy_rs.common.dataset.PerfusionDataset` (data,
``affine``, ``time_points``, ``acquisition_params``, ``source_path``, ``source_format``), read
by the Rust library (``osipy::io``). A missing file is ``FileNotFoundError``, another file
system error ``OSError``, a file whose content cannot be read ``ValueError``; each carries the
library's one-line message."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from osipy_rs import _native
from osipy_rs.common.dataset import PerfusionDataset
from osipy_rs.common.types import AcquisitionParams, DCEAcquisitionParams, Modality

__all__ = ["load_dicom_series", "load_nifti"]


def _time_points(n: int, step_s: Optional[float]) -> np.ndarray:
    step = step_s if step_s and step_s > 0 else 1.0
    return np.arange(n, dtype=np.float64) * step


def load_nifti(
    path: Union[str, Path],
    modality: Optional[Modality] = None,
    acquisition_params: Optional[AcquisitionParams] = None,
    sidecar_json: Any = None,
    interactive: bool = False,
) -> PerfusionDataset:
    """Reads a NIfTI-1 or NIfTI-2 image (``.nii`` or ``.nii.gz``), the Python osipy's
    ``load_nifti``: ``data`` (float64, scaled by ``scl_slope``/``scl_inter``), ``affine`` (the
    sform, else the qform, else the voxel sizes), ``time_points`` of a 4-D image (s, from the
    header's time step; 0, 1, 2, ... when the header has none), ``modality`` (default DCE).

    Differences from osipy: the BIDS sidecar and the interactive prompts are not read
    (``sidecar_json`` must be None and ``interactive`` False); ``acquisition_params`` is kept
    as given (default empty); ``metadata`` (an extension) holds the header's fields and the
    reader's notes. A 5-D or higher image is a ``ValueError`` from the dataset's check."""
    if sidecar_json is not None or interactive:
        raise ValueError("argument `sidecar_json`: expected None (sidecars are not read by osipy_rs), found a value")
    data, affine, meta = _native.io_load_nifti(str(path))
    time_points = _time_points(data.shape[3], meta.get("time_step_s")) if data.ndim == 4 else None
    return PerfusionDataset(
        data=data,
        affine=affine,
        modality=modality or Modality.DCE,
        time_points=time_points,
        acquisition_params=acquisition_params or AcquisitionParams(),
        source_path=Path(path),
        source_format="nifti",
        metadata=meta,
    )


def load_dicom_series(
    path: Union[str, Path],
    modality: Optional[Modality] = None,
    acquisition_params: Optional[AcquisitionParams] = None,
) -> PerfusionDataset:
    """Reads a DICOM series (a folder of DICOM files, or one file), the Python osipy's
    ``load_dicom_series``: ``data`` (x, y, z, t; rescaled, float64), ``affine`` (RAS+, mm),
    ``time_points`` (s), and ``acquisition_params`` from the headers (``tr`` and ``te`` in ms,
    ``flip_angle`` and, for a VFA series, ``flip_angles`` in degrees, ``field_strength`` T).

    Differences from osipy: the reader is the Rust library's (its ordering of slices and
    volumes; its messages); ``metadata`` (an extension) holds what it reports (times, per-volume
    flip angles, TR, TI and b-values, the series' UID and description, the files, notes)."""
    data, affine, meta = _native.io_load_dicom_series(str(path))
    def ms(seconds: Optional[float]) -> Optional[float]:
        return None if seconds is None else seconds * 1000.0

    fa = meta.get("flip_angle_deg")
    per_volume = meta.get("volume_flip_angles_deg") or []
    if fa is None and per_volume and all(a is not None for a in per_volume):
        flip_angles = [float(a) for a in per_volume]  # a VFA series: one angle per volume
    else:
        flip_angles = [] if fa is None else [float(fa)]
    acq = acquisition_params or DCEAcquisitionParams(
        tr=ms(meta.get("repetition_time_s")),
        te=ms(meta.get("echo_time_s")),
        flip_angle=fa,
        field_strength=meta.get("field_strength_t"),
        flip_angles=flip_angles,
    )
    times = np.asarray(meta.get("times_s") or _time_points(data.shape[3], None), dtype=np.float64)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    return PerfusionDataset(
        data=data,
        affine=affine,
        modality=modality or Modality.DCE,
        time_points=times if data.ndim == 4 else None,
        acquisition_params=acq,
        source_path=Path(path),
        source_format="dicom",
        metadata=meta,
    )
