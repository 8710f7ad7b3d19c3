"""ASL with the Python osipy's ``osipy.asl`` conventions: ``quantify_cbf`` (single PLD),
``quantify_multi_pld`` (the Buxton fit: CBF and ATT), ``apply_m0_calibration``,
``LabelingScheme`` and the parameter classes, through ``osipy::asl::Perfusion``.

Units as the Python osipy: times in ms in every parameter class (converted to s for the
library), CBF in ml/100g/min, ATT in ms.

Every per-voxel call takes ``threads=`` and ``progress_callback=`` (the fraction done); with
Dask arrays the blocks run as Dask tasks and the callback is not called (use Dask's own
progress reporting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Optional

import numpy as np

from osipy_rs import _dask, _native
from osipy_rs._maps import ParameterMap, native_maps


class LabelingScheme(Enum):
    """ASL labelling schemes (the Python osipy's ``LabelingScheme``)."""

    PASL = "pasl"
    CASL = "casl"
    PCASL = "pcasl"


@dataclass
class PASLParams:
    """The Python osipy's ``PASLParams`` (times in ms)."""

    ti: float = 1800.0
    bolus_duration: float = 700.0
    labeling_efficiency: float = 0.98
    inversion_flip_angle: float = 180.0


@dataclass
class CASLParams:
    """The Python osipy's ``CASLParams`` (times in ms)."""

    label_duration: float = 1800.0
    pld: float = 1800.0
    labeling_efficiency: float = 0.71
    rf_power: float = 3.0
    gradient_amplitude: float = 10.0


@dataclass
class PCASLParams:
    """The Python osipy's ``PCASLParams`` (times in ms)."""

    label_duration: float = 1800.0
    pld: float = 1800.0
    labeling_efficiency: float = 0.85
    average_gradient: float = 0.5
    pulse_duration: float = 500.0
    pulse_gap: float = 500.0
    num_pulses: Optional[int] = None


@dataclass
class ASLQuantificationParams:
    """The Python osipy's ``ASLQuantificationParams``: times in ms (``t1_blood``,
    ``t1_tissue``, ``pld``, ``label_duration``, ``bolus_duration``), ``partition_coefficient``
    (ml/g), ``labeling_efficiency``."""

    labeling_scheme: LabelingScheme = LabelingScheme.PCASL
    t1_blood: float = 1650.0
    t1_tissue: float = 1330.0
    partition_coefficient: float = 0.9
    labeling_efficiency: float = 0.85
    pld: float = 1800.0
    label_duration: float = 1800.0
    bolus_duration: Optional[float] = None


@dataclass
class ASLQuantificationResult:
    """The Python osipy's ``ASLQuantificationResult``: ``cbf_map`` (ml/100g/min),
    ``quality_mask``, ``m0_used``, ``scaling_factor``; ``quality_maps`` the library's quality
    maps (``status``)."""

    cbf_map: ParameterMap
    quality_mask: Any
    m0_used: Any = None
    scaling_factor: float = 6000.0
    quality_maps: dict[str, Any] = field(default_factory=dict)


@dataclass
class MultiPLDParams:
    """The Python osipy's ``MultiPLDParams``: ``plds`` and times in ms."""

    labeling_scheme: LabelingScheme = LabelingScheme.PCASL
    plds: Any = None
    label_duration: float = 1800.0
    t1_blood: float = 1650.0
    t1_tissue: float = 1330.0
    partition_coefficient: float = 0.9
    labeling_efficiency: float = 0.85

    def __post_init__(self) -> None:
        if self.plds is None:
            self.plds = np.array([200, 500, 1000, 1500, 2000, 2500], dtype=float)


@dataclass
class MultiPLDResult:
    """The Python osipy's ``MultiPLDResult``: ``cbf_map`` (ml/100g/min), ``att_map`` (ms),
    ``quality_mask``, ``r_squared``; ``quality_maps`` the library's quality maps."""

    cbf_map: ParameterMap
    att_map: ParameterMap
    quality_mask: Any
    r_squared: Any = None
    quality_maps: dict[str, Any] = field(default_factory=dict)


def _scheme(s: Any) -> str:
    v = s.value if isinstance(s, Enum) else str(s).lower()
    if v not in ("pasl", "casl", "pcasl"):
        raise ValueError(f"argument `labeling_scheme`: expected PASL, CASL or PCASL, found {s!r}")
    return v


def _m0_map(m0: Any, shape: tuple) -> Any:
    """One M0 value (None, value) or a map broadcast to the voxel shape (map, None)."""
    if np.ndim(m0) == 0 and not _dask.is_dask(m0):
        return None, float(m0)
    if _dask.is_dask(m0):
        return m0, None
    try:
        return np.broadcast_to(np.asarray(m0), shape), None
    except ValueError:
        raise ValueError(f"argument `m0`: expected one value or a map of the voxel shape {shape}, found shape {np.shape(m0)}") from None


def _run(native: Callable, series: Any, m0: Any, mask: Any, lazy: bool):
    """``native(series, m0_map_or_None, mask) -> (maps, voxel mask)`` in memory, or block by
    block on Dask arrays with the M0 map and the mask chunked like the series."""
    if not lazy:
        maps, vm = native(series, m0, mask)
        return native_maps(maps), vm
    s = _dask.series_blocks(series, "delta_m")
    m0b = _dask.voxel_blocks(m0, s, "m0") if m0 is not None else None
    mb = _dask.voxel_blocks(mask, s, "mask").astype(bool) if mask is not None else None
    probe, _ = native(np.ones((2, s.shape[-1])), None if m0 is None else np.ones(2), np.array([True, False]))
    names = [n for n, _, _, _ in probe]
    units = {n: (u, p) for n, u, p, _ in probe}
    fill = {n: v[1] for n, _, _, v in probe}
    key = "__voxel_mask__"

    def block_fn(block, block_m0, block_mask):
        vshape = block.shape[:-1]
        if block_mask is not None and not block_mask.any():
            out = {n: np.full(vshape, fill[n]) for n in names}
            out[key] = np.zeros(vshape)
            return out
        maps, vm = native(block, block_m0, block_mask)
        out = {n: v for n, _, _, v in maps}
        out[key] = vm.astype(np.float64)
        return out

    maps = _dask.map_voxels(block_fn, s, names + [key], per_voxel=[m0b, mb])
    vm = maps.pop(key) != 0
    return {n: (units[n][0], units[n][1], maps[n]) for n in names}, vm


def quantify_cbf(
    delta_m: Any,
    m0: Any,
    params: Optional[ASLQuantificationParams] = None,
    mask: Any = None,
    *,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
) -> ASLQuantificationResult:
    """Single-PLD CBF (ml/100g/min) of every voxel by the white paper's equations (the Python
    osipy's ``osipy.asl.quantify_cbf``): ``delta_m`` the difference image (control - label,
    any voxel shape), ``m0`` one value or a map of that shape.

    PCASL/CASL: ``6000 λ ΔM e^{PLD/T1b} / (2 α T1b M0 (1 - e^{-τ/T1b}))``; PASL (QUIPSS II):
    ``6000 λ ΔM e^{TI/T1b} / (2 α TI1 M0)`` with ``pld`` as TI and ``bolus_duration`` as TI1
    (default 700 ms).

    Differences from osipy: a voxel with a non-positive or NaN M0 or a NaN ΔM gets NaN and a
    status (osipy raises for M0 <= 0 in the mask and sets 0); outside the mask NaN (osipy: 0);
    no ``+ 1e-10`` in the denominator; 2-D input keeps its shape (osipy adds an axis);
    ``quality_mask`` is the status ok with 0 < CBF < 200 as osipy's.
    """
    params = params or ASLQuantificationParams()
    scheme = _scheme(params.labeling_scheme)
    if scheme == "pasl":
        tau = (params.bolus_duration if params.bolus_duration is not None else 700.0) / 1000.0
    else:
        tau = params.label_duration / 1000.0
    lazy = _dask.any_dask(delta_m, m0, mask)
    series = delta_m[..., None]
    m0_map, m0_value = _m0_map(m0, tuple(np.shape(delta_m)))

    def native(s, m0_block, block_mask):
        return _native.asl_perfusion(
            s,
            scheme,
            [params.pld / 1000.0],
            tau,
            m0=m0_block,
            m0_value=m0_value if m0_block is None else None,
            alpha=params.labeling_efficiency,
            t1_blood=params.t1_blood / 1000.0,
            t1_tissue=params.t1_tissue / 1000.0,
            lambda_=params.partition_coefficient,
            mask=block_mask,
            threads=threads,
            progress_callback=None if lazy else progress_callback,
        )

    by_name, vm = _run(native, series, m0_map, mask, lazy)
    cbf = by_name["cbf"][2]
    status = by_name["status"][2]
    quality = vm & (status == 1.0) & (cbf > 0) & (cbf < 200)
    return ASLQuantificationResult(
        cbf_map=ParameterMap(
            name="CBF",
            symbol="CBF",
            units="mL/100g/min",
            values=cbf,
            quality_mask=quality,
            model_name=f"{scheme}_single_pld",
            native_name="cbf",
            native_units=by_name["cbf"][0],
        ),
        quality_mask=quality,
        m0_used=by_name["m0"][2] if "m0" in by_name else m0,
        quality_maps={n: v for n, (_, p, v) in by_name.items() if not p},
    )


def quantify_multi_pld(
    delta_m: Any,
    m0: Any,
    params: Optional[MultiPLDParams] = None,
    mask: Any = None,
    *,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
) -> MultiPLDResult:
    """CBF (ml/100g/min) and ATT (ms) of every voxel by fitting the Buxton model to ΔM at
    several PLDs (the Python osipy's ``quantify_multi_pld``): ``delta_m`` voxel axes then one
    volume per PLD (``params.plds``, ms), ``m0`` one value or a map of the voxel shape.

    Differences from osipy: ``params.plds`` are the white paper's post-labelling delays,
    from the end of labelling, and ΔM is modelled with the white paper's 1/λ; the Python
    osipy 0.1.4's model takes its ``plds`` as PLD + τ (from the start of labelling) and its ΔM
    amplitude lacks the 1/λ, so the same arrays give different CBF and ATT: for data made
    with the white paper's model, pass that tool ``plds + label_duration`` and ``λ ΔM``
    (``benches/compare_osipy/python_bench.py`` does). The fit starts from a grid of 40
    arrival times (CBF by linear least squares at each) and the model uses the tissue-T1
    variant ``1/(1/T1t + f/λ)``; a
    failed voxel is NaN with a status in ``quality_maps['status']``; ATT converted from the
    library's s to ms; with PASL ``label_duration`` is the bolus duration TI1.
    """
    params = params or MultiPLDParams()
    scheme = _scheme(params.labeling_scheme)
    plds = np.asarray(params.plds, dtype=np.float64) / 1000.0
    if plds.ndim != 1 or plds.size != np.shape(delta_m)[-1]:
        raise ValueError(
            f"argument `plds`: expected one PLD per volume of delta_m ({np.shape(delta_m)[-1]}), found shape {plds.shape}"
        )
    lazy = _dask.any_dask(delta_m, m0, mask)
    m0_map, m0_value = _m0_map(m0, tuple(np.shape(delta_m)[:-1]))

    def native(s, m0_block, block_mask):
        return _native.asl_perfusion(
            s,
            scheme,
            plds,
            params.label_duration / 1000.0,
            m0=m0_block,
            m0_value=m0_value if m0_block is None else None,
            alpha=params.labeling_efficiency,
            t1_blood=params.t1_blood / 1000.0,
            t1_tissue=params.t1_tissue / 1000.0,
            lambda_=params.partition_coefficient,
            mask=block_mask,
            threads=threads,
            progress_callback=None if lazy else progress_callback,
        )

    by_name, vm = _run(native, delta_m, m0_map, mask, lazy)
    status = by_name["status"][2]
    quality = vm & (status == 1.0)
    att = by_name["att"][2] * 1000.0
    return MultiPLDResult(
        cbf_map=ParameterMap(
            name="CBF", symbol="CBF", units="mL/100g/min", values=by_name["cbf"][2], quality_mask=quality,
            model_name="buxton", native_name="cbf", native_units=by_name["cbf"][0],
        ),
        att_map=ParameterMap(
            name="ATT", symbol="ATT", units="ms", values=att, quality_mask=quality,
            model_name="buxton", native_name="att", native_units=by_name["att"][0],
        ),
        quality_mask=quality,
        r_squared=by_name["r2"][2] if "r2" in by_name else None,
        quality_maps={n: v for n, (_, p, v) in by_name.items() if not p},
    )


@dataclass
class M0CalibrationParams:
    """The Python osipy's ``M0CalibrationParams`` (times in ms): ``method`` 'single',
    'voxelwise' or 'reference_region'; ``reference_region`` 'csf' or 'white_matter' (its λ,
    T1 and T2*); ``reference_mask`` (ours) the region's voxels for 'reference_region'."""

    method: str = "single"
    reference_region: str = "csf"
    t1_tissue: float = 1330.0
    t2_star_tissue: Optional[float] = None
    tr_m0: float = 6000.0
    te_m0: float = 13.0
    reference_mask: Any = None
    partition_coefficient: float = 0.9


_REFERENCES = {"csf": (1.15, 4.3, 0.4), "white_matter": (0.82, 0.84, 0.05)}


def apply_m0_calibration(
    asl_data: Any,
    m0_image: Any,
    params: Optional[M0CalibrationParams] = None,
    mask: Any = None,
) -> tuple[Any, Any]:
    """ΔM / M0 with the M0 corrected for saturation at ``tr_m0`` (the Python osipy's
    ``apply_m0_calibration``); returns ``(calibrated, m0_corrected)``.

    'voxelwise': each voxel by its own corrected M0; 'single': by the mean corrected M0 of the
    mask; 'reference_region': by one M0 from ``params.reference_mask`` through
    ``osipy::asl::m0_reference`` (the region's mean, corrected for saturation and T2* decay
    with the constants of ``params.reference_region``, times λ / λ_ref). With Dask arrays the
    region's mean is a global pass first (summed in flat order as the library sums it).

    Differences from osipy: 'reference_region' needs ``reference_mask`` (osipy picks voxels by
    intensity percentiles); outside the mask and where M0 is not positive NaN (osipy: 0).
    """
    params = params or M0CalibrationParams()
    tr, t1 = params.tr_m0 / 1000.0, params.t1_tissue / 1000.0
    if np.shape(asl_data) != np.shape(m0_image):
        raise ValueError(f"argument `m0_image`: expected the shape {np.shape(asl_data)}, found {np.shape(m0_image)}")
    if params.method == "reference_region":
        if params.reference_mask is None:
            raise ValueError("argument `reference_mask`: expected the reference region's voxels, found None")
        if params.reference_region not in _REFERENCES:
            raise ValueError(f"argument `reference_region`: expected 'csf' or 'white_matter', found {params.reference_region!r}")
        lam, rt1, rt2 = _REFERENCES[params.reference_region]
        te = params.te_m0 / 1000.0
        if _dask.any_dask(m0_image, params.reference_mask):
            from osipy_rs._dsc_passes import _fold

            region = np.asarray(params.reference_mask.compute() if _dask.is_dask(params.reference_mask) else params.reference_mask, bool)
            m0s = m0_image if _dask.is_dask(m0_image) else _dask._da().from_array(np.asarray(m0_image))
            sums, counts = _fold(m0s[..., None], region, np.zeros(1), np.zeros(1))
            mean = sums / counts
            value = _native.asl_m0_reference(mean, np.array([True]), lam, rt1, rt2, tr, te, params.partition_coefficient)
        else:
            value = _native.asl_m0_reference(m0_image, params.reference_mask, lam, rt1, rt2, tr, te, params.partition_coefficient)
        m0c = value
    elif params.method in ("voxelwise", "single"):
        if _dask.is_dask(m0_image):
            m0c = m0_image.map_blocks(lambda b: _native.asl_m0_correct(b, tr, t1), dtype=np.float64)
        else:
            m0c = _native.asl_m0_correct(m0_image, tr, t1)
        if params.t2_star_tissue is not None and params.te_m0 > 0:
            m0c = m0c * np.exp(params.te_m0 / params.t2_star_tissue)
        if params.method == "single":
            sel = m0c if mask is None else m0c[np.asarray(mask, bool)]
            m0c = sel.mean()
    else:
        raise ValueError(f"argument `method`: expected 'single', 'voxelwise' or 'reference_region', found {params.method!r}")
    xp = _dask._da() if _dask.any_dask(asl_data, m0c) else np
    calibrated = xp.where(m0c > 0, asl_data / xp.where(m0c > 0, m0c, 1.0), np.nan)
    if mask is not None:
        calibrated = xp.where(np.asarray(mask, bool), calibrated, np.nan)
    return calibrated, m0c
