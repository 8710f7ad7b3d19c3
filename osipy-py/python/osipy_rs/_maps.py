"""Result containers shared by every modality, shaped as the Python osipy's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np


@dataclass
class ParameterMap:
    """One computed map, with the Python osipy's attribute names.

    ``name`` is the Python osipy's name for the parameter (``Ktrans``, ``CBF``, ``D``),
    ``units`` its unit string, ``values`` the map (the input's voxel shape; NaN outside the
    mask), ``quality_mask`` True where the voxel was computed and its fit succeeded.
    ``native_name`` and ``native_units`` are the Rust library's own name and unit.
    """

    name: str
    symbol: str
    units: str
    values: np.ndarray
    affine: np.ndarray = field(default_factory=lambda: np.eye(4))
    uncertainty: Optional[np.ndarray] = None
    uncertainty_type: Optional[str] = None
    quality_mask: Optional[np.ndarray] = None
    failure_reasons: Optional[np.ndarray] = None
    model_name: str = ""
    fitting_method: str = ""
    literature_reference: str = ""
    native_name: str = ""
    native_units: str = ""

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    def statistics(self, mask: Optional[np.ndarray] = None) -> dict[str, Any]:
        """Mean, std, median, min and max over ``mask`` (default: the quality mask), finite
        values only."""
        m = self.quality_mask if mask is None else mask
        v = self.values if m is None else self.values[m]
        v = v[np.isfinite(v)]
        if v.size == 0:
            return {"mean": np.nan, "std": np.nan, "median": np.nan, "min": np.nan, "max": np.nan, "count": 0}
        return {
            "mean": float(v.mean()),
            "std": float(v.std()),
            "median": float(np.median(v)),
            "min": float(v.min()),
            "max": float(v.max()),
            "count": int(v.size),
        }


def native_maps(maps: list) -> dict[str, tuple[str, bool, np.ndarray]]:
    """The native module's ``[(name, unit, is_parameter, values)]`` as a dict by name."""
    return {name: (unit, is_param, values) for name, unit, is_param, values in maps}
