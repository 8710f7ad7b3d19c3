"""Arterial input functions with the Python osipy's names (``osipy.common.aif``): the population
models (``ParkerAIF``, ``GeorgiouAIF``, ``FritzHansenAIF``, ``McGrathAIF``, ``WeinmannAIF``,
``get_population_aif``), the ``ArterialInputFunction`` result and automatic detection
(``detect_aif``), computed by the Rust library (``osipy::aif``).

Times are in seconds and concentrations in mM, as in the Python osipy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

import numpy as np

from osipy_rs import _dask, _native
from osipy_rs.common.types import AIFType

__all__ = [
    "AIFDetectionParams",
    "AIFDetectionResult",
    "AIF_REGISTRY",
    "ArterialInputFunction",
    "BaseAIF",
    "FritzHansenAIF",
    "GeorgiouAIF",
    "McGrathAIF",
    "ParkerAIF",
    "WeinmannAIF",
    "detect_aif",
    "get_population_aif",
    "list_aifs",
]


@dataclass
class ArterialInputFunction:
    """An AIF: ``time`` (s), ``concentration`` (mM), how it was obtained (``aif_type``), the
    population model's name and parameters, the voxels it came from (``source_roi``), the
    extraction method and a literature reference (the Python osipy's attributes)."""

    time: np.ndarray
    concentration: np.ndarray
    aif_type: AIFType
    population_model: Optional[str] = None
    model_parameters: Optional[dict[str, float]] = field(default_factory=dict)
    source_roi: Optional[np.ndarray] = None
    extraction_method: Optional[str] = None
    reference: str = ""

    def __post_init__(self) -> None:
        if len(self.time) != len(self.concentration):
            raise ValueError(
                f"argument `concentration`: expected {len(self.time)} values (one per time), found {len(self.concentration)}"
            )
        if len(self.time) == 0:
            raise ValueError("argument `time`: expected at least one time point, found none")

    @property
    def n_timepoints(self) -> int:
        """The number of time points."""
        return len(self.time)

    @property
    def peak_concentration(self) -> float:
        """The highest concentration (mM)."""
        return float(np.max(self.concentration))

    @property
    def peak_time(self) -> float:
        """The time of the highest concentration (s)."""
        return float(self.time[int(np.argmax(self.concentration))])


class BaseAIF:
    """A population AIF model: ``model(t)`` gives an :class:`ArterialInputFunction` at times
    ``t`` (s).

    Differences from osipy: the curves are the Rust library's (``osipy::aif``), with its
    published constants; ``params=`` (custom constants) is not supported, and ``delay`` (s,
    default 0) shifts the bolus: the curve is zero before it, as the OSIPI reference data are
    (the Python osipy's Parker curve is not zero at t <= 0). The Parker, Georgiou and McGrath
    curves are blood concentrations, the Weinmann and Fritz-Hansen curves plasma ones (see
    :attr:`compartment`); convert blood to plasma with ``cb / (1 - hct)``.
    """

    _native_name = ""
    _display = ""

    def __init__(self, params: Any = None, *, delay: float = 0.0) -> None:
        if params is not None:
            raise ValueError(
                f"argument `params`: expected None (the published constants of the Rust library), found {type(params).__name__}"
            )
        self.params = None
        self.delay = float(delay)

    @property
    def name(self) -> str:
        """The model's name."""
        return self._display

    @property
    def reference(self) -> str:
        """The publication of the model and its constants."""
        return _native.aif_population(self._native_name, np.zeros(1))[2]

    @property
    def compartment(self) -> str:
        """``"blood"`` or ``"plasma"``: which concentration the curve is (an extension)."""
        return _native.aif_population(self._native_name, np.zeros(1))[1]

    def get_parameters(self) -> dict[str, float]:
        """The model's adjustable values: here only the delay (s)."""
        return {"delay": self.delay}

    def get_concentration(self, t: Any) -> np.ndarray:
        """The concentration (mM) at times ``t`` (s)."""
        return self(t).concentration

    def __call__(self, t: Any) -> ArterialInputFunction:
        """The AIF at times ``t`` (s, a 1-D array)."""
        values, _, reference = _native.aif_population(self._native_name, t, self.delay)
        return ArterialInputFunction(
            time=np.asarray(t),
            concentration=values,
            aif_type=AIFType.POPULATION,
            population_model=self._display,
            model_parameters=self.get_parameters(),
            reference=reference,
        )

    def to_arterial_input_function(self, t: Any) -> ArterialInputFunction:
        """The same as ``self(t)``."""
        return self(t)


class ParkerAIF(BaseAIF):
    """Parker et al. MRM 2006 (blood, mM); see :class:`BaseAIF` for the differences."""

    _native_name = "parker"
    _display = "Parker"


class GeorgiouAIF(BaseAIF):
    """Georgiou et al. MRM 2019 (blood, mM); see :class:`BaseAIF` for the differences."""

    _native_name = "georgiou"
    _display = "Georgiou"


class FritzHansenAIF(BaseAIF):
    """Fritz-Hansen et al. MRM 1996 (plasma, mM); see :class:`BaseAIF` for the differences."""

    _native_name = "fritz-hansen"
    _display = "Fritz-Hansen"


class McGrathAIF(BaseAIF):
    """McGrath et al. MRM 2009, model B, preclinical (blood, mM); see :class:`BaseAIF`."""

    _native_name = "mcgrath"
    _display = "McGrath"


class WeinmannAIF(BaseAIF):
    """Weinmann et al. 1984 with the Tofts-Kermode constants (plasma, mM); see
    :class:`BaseAIF`."""

    _native_name = "weinmann"
    _display = "Weinmann"


AIF_REGISTRY: dict[str, type] = {
    "parker": ParkerAIF,
    "georgiou": GeorgiouAIF,
    "fritz_hansen": FritzHansenAIF,
    "fritz-hansen": FritzHansenAIF,
    "mcgrath": McGrathAIF,
    "weinmann": WeinmannAIF,
}


def get_population_aif(aif_type: Any, *, delay: float = 0.0) -> BaseAIF:
    """The population AIF model named ``aif_type`` ('parker', 'georgiou', 'fritz_hansen',
    'mcgrath', 'weinmann'; case ignored; an enum's ``value`` is read).

    Differences from osipy: ``delay`` (s) is an extension; an unknown name is a
    ``ValueError`` naming ``aif_type``."""
    key = getattr(aif_type, "value", aif_type)
    key = key.lower() if isinstance(key, str) else key
    if key not in AIF_REGISTRY:
        raise ValueError(f"argument `aif_type`: expected one of {list_aifs()}, found {aif_type!r}")
    return AIF_REGISTRY[key](delay=delay)


def list_aifs() -> list[str]:
    """The population AIF names (without aliases), sorted."""
    return sorted(k for k in AIF_REGISTRY if "-" not in k)


@dataclass
class AIFDetectionParams:
    """Settings of automatic AIF detection (the Rust library's, ``osipy::aif::AifDetectOptions``).

    Differences from osipy: the method is the library's (features per voxel, preselection by
    area under the curve and roughness as Mouridsen et al. 2006, ranking by an arterial score),
    so the settings are its own: ``n_voxels`` averaged (5), ``baseline_points`` (3),
    ``auc_keep`` (0.10), ``roughness_discard`` (0.25), ``min_relative_peak`` (0.5).
    """

    n_voxels: int = 5
    baseline_points: int = 3
    auc_keep: float = 0.10
    roughness_discard: float = 0.25
    min_relative_peak: float = 0.5

    def _kwargs(self) -> dict[str, Any]:
        return dict(
            n_voxels=int(self.n_voxels),
            baseline_points=int(self.baseline_points),
            auc_keep=float(self.auc_keep),
            roughness_discard=float(self.roughness_discard),
            min_relative_peak=float(self.min_relative_peak),
        )


@dataclass
class AIFDetectionResult:
    """The result of :func:`detect_aif`, with the Python osipy's attributes: ``aif``,
    ``voxel_mask`` (the averaged voxels), ``voxel_indices``, ``quality_score``,
    ``detection_params``; and ``scores`` (mM/s² each), ``candidates`` and ``features`` (the
    per-voxel feature maps by name) as extensions.

    Differences from osipy: ``quality_score`` is the mean arterial score of the selected voxels
    (mM/s²), not a value in [0, 1]."""

    aif: ArterialInputFunction
    voxel_mask: np.ndarray
    voxel_indices: list[tuple[int, int, int]] = field(default_factory=list)
    quality_score: float = 0.0
    detection_params: AIFDetectionParams = field(default_factory=AIFDetectionParams)
    scores: list[float] = field(default_factory=list)
    candidates: int = 0
    features: dict[str, Any] = field(default_factory=dict)


FEATURE_NAMES = ("peak", "ttp", "fwhm", "auc", "roughness", "score")


def _as_4d(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """A series' shape as (x, y, z, t): (x, y, t) gets z = 1, (n, t) gets y = z = 1."""
    if len(shape) == 4:
        return tuple(shape)  # type: ignore[return-value]
    if len(shape) == 3:
        return (shape[0], shape[1], 1, shape[2])
    if len(shape) == 2:
        return (shape[0], 1, 1, shape[1])
    raise ValueError(f"argument `concentration`: expected (x, y, z, t), (x, y, t) or (n, t), found shape {tuple(shape)}")


def detect_aif(
    dataset: Any,
    params: Optional[AIFDetectionParams] = None,
    roi_mask: Any = None,
    method: Optional[str] = None,
    *,
    time: Any = None,
) -> AIFDetectionResult:
    """Finds the AIF automatically in a concentration series (``osipy::aif::detect_aif``).

    ``dataset``: a :class:`~osipy_rs.common.dataset.PerfusionDataset` of concentrations (mM)
    with ``time_points`` (s), or (an extension) a NumPy or Dask array (x, y, z, t), (x, y, t)
    or (n, t) with ``time=`` (s); ``roi_mask`` restricts the search (voxel shape).

    With a Dask array the detection runs as a global pass: the per-voxel features are computed
    block by block by the same Rust kernel, the selection is made once over the whole volume's
    features, and the selected curves are read and averaged in the library's order, so the AIF
    equals the in-memory call bit for bit.

    Differences from osipy: the method and its settings are the Rust library's (see
    :class:`AIFDetectionParams`); ``method=`` accepts only None; errors are ``ValueError``.
    """
    if method not in (None, "default", "osipy"):
        raise ValueError(f"argument `method`: expected None, found {method!r}")
    params = params or AIFDetectionParams()
    data = getattr(dataset, "data", dataset)
    if not _dask.is_dask(data) and not hasattr(data, "shape"):
        data = np.asarray(data)
    if time is None:
        time = getattr(dataset, "time_points", None)
    if time is None:
        raise ValueError("argument `time`: expected the sample times (s), found None")
    if roi_mask is None:
        roi_mask = getattr(dataset, "quality_mask", None)
    shape = tuple(data.shape)
    shape4 = _as_4d(shape)
    vshape = shape[:-1]
    if _dask.any_dask(data, roi_mask):
        aif, voxels, scores, candidates, features = _detect_dask(data, time, roi_mask, params)
    else:
        conc = np.asarray(data) if not hasattr(data, "reshape") else data
        conc4 = conc.reshape(shape4)
        mask4 = None
        if roi_mask is not None:
            m = np.asarray(roi_mask)
            if tuple(m.shape) != tuple(vshape):
                raise ValueError(f"argument `roi_mask`: expected a mask of shape {tuple(vshape)}, found shape {m.shape}")
            mask4 = m.reshape(shape4[:3])
        aif, voxels, scores, candidates, feats = _native.aif_detect(conc4, time, mask4, **params._kwargs())
        features = {n: f.reshape(vshape) for n, f in zip(FEATURE_NAMES, feats)}
    voxel_mask = np.zeros(shape4[:3], dtype=bool)
    for q in voxels:
        voxel_mask[q] = True
    voxel_mask = voxel_mask.reshape(vshape)
    indices = [_index_in(q, shape) for q in voxels]
    return AIFDetectionResult(
        aif=ArterialInputFunction(
            time=np.asarray(time, dtype=np.float64),
            concentration=aif,
            aif_type=AIFType.AUTOMATIC,
            source_roi=voxel_mask,
            extraction_method="automatic",
            reference="Mouridsen et al. MRM 2006; 55:524; Peruzzo et al. CMPB 2011; 104:e148",
        ),
        voxel_mask=voxel_mask,
        voxel_indices=indices,
        quality_score=float(np.mean(scores)) if scores else 0.0,
        detection_params=params,
        scores=list(scores),
        candidates=int(candidates),
        features=features,
    )


def _index_in(q: tuple[int, int, int], shape: tuple[int, ...]) -> tuple[int, ...]:
    """A (x, y, z) index of the 4-D view as an index of the series' voxel shape."""
    return tuple(int(i) for i in q[: len(shape) - 1])


def _detect_dask(data: Any, time: Any, roi_mask: Any, params: AIFDetectionParams):
    """Detection on a Dask series: features per block (Rust), selection over the whole volume
    (Rust), then the selected curves averaged as the library does."""
    import dask

    kw = params._kwargs()
    shape = tuple(data.shape)
    shape4 = _as_4d(shape)
    vshape = shape[:-1]
    if shape4[3] < params.baseline_points + 3:
        raise ValueError(
            f"argument `concentration`: expected at least baseline_points + 3 = {params.baseline_points + 3} time points, found shape {shape}"
        )
    s = _dask.series_blocks(data, "concentration")
    m = _dask.voxel_blocks(roi_mask, s, "roi_mask").astype(bool) if roi_mask is not None else None
    t = np.asarray(time, dtype=np.float64)

    def block_fn(block, block_mask):
        feats = _native.aif_features(block, t, block_mask, baseline_points=kw["baseline_points"])
        return dict(zip(FEATURE_NAMES, feats))

    lazy = _dask.map_voxels(block_fn, s, FEATURE_NAMES, per_voxel=[m])
    mask_any = m.any() if m is not None else True
    computed = dask.compute(*[lazy[n] for n in FEATURE_NAMES], mask_any)
    feats = [np.asarray(f, dtype=np.float64).reshape(shape4[:3]) for f in computed[:-1]]
    if not bool(computed[-1]):
        raise ValueError("`detect_aif`: argument `mask`: expected at least one voxel set, found none")
    voxels, candidates = _native.aif_select(feats, **kw)
    if not voxels:
        raise ValueError(
            "`detect_aif`: argument `conc`: expected at least one voxel in the mask whose curve rises from the "
            "baseline to a peak, falls below half of it and goes on for a few samples, found none"
        )
    s4 = s.reshape(shape4)
    curves = dask.compute(*[s4[q[0], q[1], q[2], :] for q in voxels])
    aif = np.zeros(shape4[3])
    for c in curves:
        aif += np.asarray(c, dtype=np.float64)
    aif /= float(len(voxels))
    scores = [float(feats[5][q]) for q in voxels]
    features = {n: f.reshape(vshape) for n, f in zip(FEATURE_NAMES, feats)}
    return aif, [tuple(q) for q in voxels], scores, candidates, features
