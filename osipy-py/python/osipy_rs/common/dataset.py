"""``PerfusionDataset``: an image with its geometry and acquisition, as the Python osipy's
(``osipy.common.dataset``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from osipy_rs.common.types import AcquisitionParams, Modality


@dataclass
class PerfusionDataset:
    """An image (``data``: x, y, z and, for a series, t), its voxel-to-world ``affine`` (4 x 4,
    RAS+ mm), ``modality``, ``time_points`` (s, one per volume of a 4-D image),
    ``acquisition_params``, where it was read from, and a ``quality_mask``.

    Differences from osipy: ``metadata`` (an extension) holds what the Rust reader reports
    (header fields, notes); the checks of ``data`` (3-D or 4-D, time points for 4-D) are the
    same, raised as ``ValueError``."""

    data: Any
    affine: np.ndarray
    modality: Modality
    time_points: Optional[np.ndarray] = None
    acquisition_params: Any = field(default_factory=AcquisitionParams)
    source_path: Optional[Path] = None
    source_format: str = "unknown"
    quality_mask: Optional[np.ndarray] = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.data.ndim not in (3, 4):
            raise ValueError(f"argument `data`: expected a 3-D or 4-D array, found shape {tuple(self.data.shape)}")
        if np.shape(self.affine) != (4, 4):
            raise ValueError(f"argument `affine`: expected a 4 x 4 matrix, found shape {np.shape(self.affine)}")
        if self.data.ndim == 4:
            if self.time_points is None:
                raise ValueError("argument `time_points`: expected one time per volume of 4-D data, found None")
            if len(self.time_points) != self.data.shape[3]:
                raise ValueError(
                    f"argument `time_points`: expected {self.data.shape[3]} times (the 4th axis), found {len(self.time_points)}"
                )
        if self.quality_mask is not None and tuple(np.shape(self.quality_mask)) != tuple(self.data.shape[:3]):
            raise ValueError(
                f"argument `quality_mask`: expected shape {tuple(self.data.shape[:3])}, found {np.shape(self.quality_mask)}"
            )

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data``."""
        return tuple(self.data.shape)

    @property
    def spatial_shape(self) -> tuple[int, int, int]:
        """The spatial dimensions (x, y, z)."""
        return (self.data.shape[0], self.data.shape[1], self.data.shape[2])

    @property
    def n_timepoints(self) -> int:
        """The number of volumes (0 for 3-D data)."""
        return self.data.shape[3] if self.data.ndim == 4 else 0
