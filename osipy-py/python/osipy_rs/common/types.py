"""Enumerations and acquisition parameters with the Python osipy's names and units
(``osipy.common.types``): times in milliseconds (TR, TE, T1), flip angles in degrees,
relaxivity in /mM/s."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional


class Modality(Enum):
    """Perfusion modality."""

    DCE = "dce"
    DSC = "dsc"
    ASL = "asl"
    IVIM = "ivim"


class AIFType(Enum):
    """How an arterial input function was obtained."""

    MEASURED = "measured"
    POPULATION = "population"
    AUTOMATIC = "automatic"


@dataclass
class AcquisitionParams:
    """Acquisition parameters common to every modality: ``tr`` and ``te`` in ms, ``flip_angle``
    in degrees, ``field_strength`` in tesla."""

    tr: Optional[float] = None
    te: Optional[float] = None
    flip_angle: Optional[float] = None
    field_strength: Optional[float] = None


@dataclass
class DCEAcquisitionParams(AcquisitionParams):
    """DCE acquisition parameters (the Python osipy's ``DCEAcquisitionParams``): ``tr`` in ms,
    ``flip_angles`` in degrees (the dynamic series uses the first), ``baseline_frames``
    pre-contrast frames, ``temporal_resolution`` in s, ``relaxivity`` in /mM/s,
    ``t1_assumed`` (ms) used when no T1 map is given."""

    flip_angles: list[float] = field(default_factory=list)
    baseline_frames: int = 5
    temporal_resolution: float = 1.0
    relaxivity: float = 4.5
    t1_assumed: Optional[float] = None
