"""DSC-MRI with the Python osipy's ``osipy.dsc`` conventions: ``signal_to_delta_r2``,
``delta_r2_to_concentration``, ``get_deconvolver`` / ``list_deconvolvers``,
``compute_perfusion_maps``, ``correct_leakage``, and ``analyze_dsc``, the whole analysis of a
signal series (baseline, conversion, automatic AIF, maps) in one call.

Units as the Python osipy: TE in ms, time in s, CBF in ml/100g/min, CBV in ml/100g, MTT, TTP
and Tmax in s.

Every per-voxel call takes ``threads=`` and ``progress_callback=`` (the fraction done); with
Dask arrays the blocks run as Dask tasks and the callback is not called (use Dask's own
progress reporting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import numpy as np

from osipy_rs import _dask, _native
from osipy_rs._dsc_passes import _analyze_dask, _fold, _leakage_reference_dask
from osipy_rs._maps import ParameterMap, native_maps

# Our map name -> (the Python osipy's name, symbol, units).
_MAPS = {
    "cbv": ("CBV", "CBV", "ml/100g"),
    "cbf": ("CBF", "CBF", "ml/100g/min"),
    "mtt": ("MTT", "MTT", "s"),
    "ttp": ("TTP", "TTP", "s"),
    "tmax": ("Tmax", "Tmax", "s"),
}
_DECONVOLVERS = {"sSVD": "ssvd", "cSVD": "csvd", "oSVD": "osvd", "tikhonov": "tikhonov"}
_KH = (1.0 - 0.45) / (1.0 - 0.25)


def signal_to_delta_r2(
    signal: Any,
    te: float,
    baseline_frames: int = 10,
    baseline_indices: Any = None,
    baseline_end: Optional[int] = None,
    *,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
) -> np.ndarray:
    """ΔR2* (1/s) of DSC signal, ``-ln(S / S0) / TE``, S0 the mean of the baseline frames (the
    Python osipy's ``osipy.dsc.signal_to_delta_r2``; ``te`` in ms).

    The baseline is frames ``0 .. min(baseline_frames, n // 4)`` (``baseline_end`` an alias of
    ``baseline_frames``), or ``baseline_indices`` when they are one contiguous range.

    Differences from osipy: a non-positive sample or baseline gives NaN, not 0 (osipy clips the
    signal at 1e-10 and replaces NaN and infinities by 0); ``baseline_indices`` must be a
    contiguous range of frames.
    """
    if _dask.is_dask(signal):
        s = _dask.series_blocks(signal, "signal")
        start, end = _baseline_range(s.shape[-1], baseline_frames, baseline_indices, baseline_end)
        return s.map_blocks(
            lambda b: _native.dsc_signal_to_conc(b, te / 1000.0, start, end, threads=threads)[0],
            dtype=np.float64,
        )
    n = np.shape(signal)[-1] if np.ndim(signal) else 0
    start, end = _baseline_range(n, baseline_frames, baseline_indices, baseline_end)
    conc, _ = _native.dsc_signal_to_conc(
        signal, te / 1000.0, start, end, threads=threads, progress_callback=progress_callback
    )
    return conc


def _baseline_range(n, baseline_frames, baseline_indices, baseline_end):
    if baseline_indices is not None:
        idx = np.asarray(baseline_indices).ravel()
        if idx.size == 0 or not np.array_equal(idx, np.arange(idx[0], idx[0] + idx.size)):
            raise ValueError(
                f"argument `baseline_indices`: expected one contiguous range of frames, found {idx.tolist()}"
            )
        return int(idx[0]), int(idx[-1]) + 1
    frames = baseline_end if baseline_end is not None else baseline_frames
    return 0, int(min(frames, n // 4))


def delta_r2_to_concentration(delta_r2: Any, r2_star: float = 32.0, field_strength: float = 1.5) -> Any:
    """Concentration (mM) of ΔR2*: ``ΔR2* / r2*`` (the Python osipy's
    ``delta_r2_to_concentration``; ``r2_star`` in 1/s/mM, scaled linearly by
    ``field_strength / 1.5``)."""
    if r2_star <= 0:
        raise ValueError(f"argument `r2_star`: expected a relaxivity > 0, found {r2_star}")
    r = r2_star * (field_strength / 1.5)
    return delta_r2 / r


@dataclass
class DSCPerfusionMaps:
    """The Python osipy's ``DSCPerfusionMaps``: ``cbv``, ``cbf``, ``mtt``, ``ttp``, ``tmax``,
    ``delay`` as ParameterMaps and ``quality_mask``. ``quality_maps`` holds the Rust library's
    quality maps by its own names (``status``, ``r2``, ``components``) and ``extra_maps`` its
    other parameter maps (``k1``, ``k2``, ``kep``, ``cbv_uncorrected``, ``s0``, ``rcbv``...).

    Differences from osipy: ``delay`` is ``tmax`` (osipy's two are the same array too).
    """

    cbv: ParameterMap
    cbf: ParameterMap
    mtt: ParameterMap
    ttp: Optional[ParameterMap] = None
    tmax: Optional[ParameterMap] = None
    delay: Optional[ParameterMap] = None
    quality_mask: Optional[np.ndarray] = None
    quality_maps: dict[str, Any] = field(default_factory=dict)
    extra_maps: dict[str, ParameterMap] = field(default_factory=dict)


def _perfusion_maps(by_name: dict, voxel_mask: Any, method: str) -> DSCPerfusionMaps:
    status = by_name["status"][2]
    quality = voxel_mask & (status == 1.0)
    maps = {}
    for ours, (name, symbol, units) in _MAPS.items():
        unit, _, values = by_name[ours]
        maps[ours] = ParameterMap(
            name=name,
            symbol=symbol,
            units=units,
            values=values,
            quality_mask=quality,
            model_name="dsc",
            fitting_method=method,
            native_name=ours,
            native_units=unit,
        )
    delay = ParameterMap(
        name="Delay",
        symbol="Ta",
        units="s",
        values=maps["tmax"].values,
        quality_mask=quality,
        model_name="dsc",
        fitting_method=method,
        native_name="tmax",
        native_units="s",
    )
    extra = {
        n: ParameterMap(name=n, symbol=n, units=u, values=v, quality_mask=quality, native_name=n, native_units=u)
        for n, (u, is_param, v) in by_name.items()
        if is_param and n not in _MAPS
    }
    return DSCPerfusionMaps(
        cbv=maps["cbv"],
        cbf=maps["cbf"],
        mtt=maps["mtt"],
        ttp=maps["ttp"],
        tmax=maps["tmax"],
        delay=delay,
        quality_mask=quality,
        quality_maps={n: v for n, (_, is_param, v) in by_name.items() if not is_param},
        extra_maps=extra,
    )


def _method(name: str) -> str:
    if name in _DECONVOLVERS:
        return _DECONVOLVERS[name]
    if isinstance(name, str) and name.lower() in _DECONVOLVERS.values():
        return name.lower()
    raise ValueError(
        f"argument `deconvolution_method`: expected one of {', '.join(_DECONVOLVERS)}, found {name!r}"
    )


def compute_perfusion_maps(
    delta_r2: Any,
    aif: Any,
    time: Any,
    mask: Any = None,
    deconvolve: bool = True,
    deconvolution_method: str = "oSVD",
    svd_threshold: Optional[float] = None,
    fitter: Any = None,
    density: float = 1.04,
    hematocrit_ratio: float = _KH,
    *,
    oscillation_index: Optional[float] = None,
    leakage: str = "none",
    leakage_reference: Any = None,
    first_pass: bool = False,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
) -> DSCPerfusionMaps:
    """CBV, CBF, MTT, TTP and Tmax of every voxel (the Python osipy's
    ``osipy.dsc.compute_perfusion_maps``), through ``osipy::dsc::Perfusion``.

    ``delta_r2``: ΔR2* (or concentration), voxel axes then time; ``aif``: the arterial curve in
    the same unit, one value per frame; ``time`` in s (evenly spaced); ``mask`` of the voxel
    shape. ``leakage`` ('none', 'bsw', 'bidirectional') corrects the curves first against
    ``leakage_reference`` (default: the library's reference curve of the mask, computed over
    the whole volume first, also for Dask arrays).

    Differences from osipy: ``svd_threshold`` defaults to the method's own (sSVD 0.2, cSVD
    0.1; oSVD uses ``oscillation_index``, default 0.035); ``hematocrit_ratio`` defaults to
    (1 - 0.45) / (1 - 0.25) = 0.7333 (osipy: 0.73); the convolution is discretised with both
    curves linear between frames (osipy: the rectangle rule); ``deconvolve=False`` is not
    supported; ``fitter`` may be None or a deconvolver from :func:`get_deconvolver`; outside the
    mask and where a voxel fails the maps are NaN (osipy: 0), with the reason in
    ``quality_maps['status']`` (1 ok, 2 no flow, 3 no volume, 4 non-finite data, 7 masked).
    """
    if not deconvolve:
        raise ValueError("argument `deconvolve`: expected True (CBF by deconvolution), found False")
    if isinstance(fitter, _Deconvolver):
        deconvolution_method = fitter.method
    elif fitter is not None:
        raise ValueError(f"argument `fitter`: expected None or a deconvolver of get_deconvolver(), found {fitter!r}")
    method = _method(deconvolution_method)
    ref = leakage_reference
    if leakage != "none" and ref is None and _dask.any_dask(delta_r2, mask):
        ref = _leakage_reference_dask(delta_r2, mask)

    def native(series, block_mask):
        return _native.dsc_perfusion(
            series,
            aif,
            time,
            method=method,
            threshold=svd_threshold,
            oscillation_index=oscillation_index,
            density=density,
            kh=hematocrit_ratio,
            leakage=leakage,
            leakage_reference=ref,
            first_pass=first_pass,
            mask=block_mask,
            threads=threads,
            progress_callback=None if _dask.any_dask(delta_r2, mask) else progress_callback,
        )

    if _dask.any_dask(delta_r2, mask):
        by_name, voxel_mask = _dask.run_pipeline(native, delta_r2, "delta_r2", mask, "mask")
    else:
        maps, voxel_mask = native(delta_r2, mask)
        by_name = native_maps(maps)
    return _perfusion_maps(by_name, voxel_mask, deconvolution_method)


@dataclass
class DeconvolutionResult:
    """The Python osipy's ``DeconvolutionResult``: ``cbf`` (the residue's peak, 1/s), ``mtt``
    (s), ``delay`` (Tmax, s), ``threshold_used``.

    Differences from osipy: ``residue_function`` is None (the kernels do not keep it); outside
    the mask NaN (osipy: 0).
    """

    residue_function: Optional[np.ndarray]
    cbf: np.ndarray
    mtt: np.ndarray
    delay: np.ndarray
    threshold_used: float


class _Deconvolver:
    def __init__(self, method: str) -> None:
        self.method = method

    @property
    def name(self) -> str:
        return {"sSVD": "Standard SVD", "cSVD": "Circular SVD", "oSVD": "Oscillation-index SVD", "tikhonov": "Tikhonov"}[
            self.method
        ]

    def deconvolve(self, concentration: Any, aif: Any, time: Any, mask: Any = None, **kwargs: Any) -> DeconvolutionResult:
        """Deconvolves every voxel's curve by the AIF (``concentration``: voxel axes then
        time; ``time`` in s). ``threshold=`` (sSVD, cSVD) and ``oscillation_index=`` (oSVD)
        may be given; ``threads=``, ``progress_callback=`` as everywhere."""
        params = kwargs.get("params")
        threshold = kwargs.get("threshold", getattr(params, "threshold", None) if params is not None else None)
        oi = kwargs.get("oscillation_index", getattr(params, "oscillation_index", None) if params is not None else None)
        maps, voxel_mask = _native.dsc_perfusion(
            concentration,
            aif,
            time,
            method=_DECONVOLVERS[self.method],
            threshold=threshold,
            oscillation_index=oi,
            density=1.0,
            kh=1.0,
            mask=mask,
            threads=kwargs.get("threads"),
            progress_callback=kwargs.get("progress_callback"),
        )
        by_name = native_maps(maps)
        used = oi if self.method == "oSVD" else threshold
        return DeconvolutionResult(
            residue_function=None,
            cbf=by_name["cbf"][2] / 6000.0,
            mtt=by_name["mtt"][2],
            delay=by_name["tmax"][2],
            threshold_used=float(used) if used is not None else float("nan"),
        )


def get_deconvolver(name: str) -> _Deconvolver:
    """A deconvolver by name: 'sSVD', 'cSVD', 'oSVD' (and 'tikhonov'), as the Python osipy's
    ``get_deconvolver``; call ``.deconvolve(concentration, aif, time, mask)``.

    Differences from osipy: an unknown name is a ValueError (osipy: DataValidationError).
    """
    if name not in _DECONVOLVERS:
        raise ValueError(f"argument `name`: expected one of {', '.join(sorted(_DECONVOLVERS))}, found {name!r}")
    return _Deconvolver(name)


def list_deconvolvers() -> list[str]:
    """The deconvolver names, sorted."""
    return sorted(_DECONVOLVERS)


@dataclass
class LeakageCorrectionParams:
    """The Python osipy's ``LeakageCorrectionParams``: ``method`` ('bsw' or 'bidirectional')
    and ``custom_reference_mask`` (the reference region's voxels; other fields are accepted
    and ignored)."""

    method: str = "bsw"
    use_t1_correction: bool = True
    use_t2_correction: bool = True
    reference_tissue: str = "white_matter"
    custom_reference_mask: Any = None
    fitting_range: Optional[tuple[int, int]] = None


@dataclass
class LeakageCorrectionResult:
    """The Python osipy's ``LeakageCorrectionResult``: ``corrected_delta_r2``, ``k1``, ``k2``,
    ``reference_curve``, ``residual`` (None); ``kep`` (1/s) for the bidirectional method."""

    corrected_delta_r2: Any
    k1: Any
    k2: Any
    reference_curve: Any
    residual: Any = None
    kep: Any = None


def correct_leakage(
    delta_r2: Any,
    aif: Any,
    time: Any,
    mask: Any = None,
    params: Optional[LeakageCorrectionParams] = None,
    *,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
) -> LeakageCorrectionResult:
    """Leakage correction of every voxel's ΔR2* curve (the Python osipy's ``correct_leakage``):
    Boxerman-Schmainda-Weisskoff (``params.method='bsw'``) or bidirectional, through
    ``osipy::dsc::leakage``. With a Dask ``delta_r2`` the reference curve (a mean over the
    whole mask) is a global pass first; the correction then runs block by block.

    Differences from osipy: the model is the original BSW one, each curve fitted against the
    reference curve of non-leaking tissue, ``ΔR(t) = K1 ref(t) - K2 ∫ref`` (osipy regresses on
    the AIF and its integral after subtracting the reference); ``aif`` is not used; the
    reference is the mean curve of the mask's voxels whose late-to-peak ratio lies within two
    SDs of the median (or of ``params.custom_reference_mask``); ``k2`` is in 1/s; outside the
    mask NaN (osipy: 0).
    """
    params = params or LeakageCorrectionParams()
    method = params.method
    ref = None
    if params.custom_reference_mask is not None:
        region = np.asarray(params.custom_reference_mask, dtype=bool)
        if mask is not None:
            region = region & np.asarray(mask, dtype=bool)
        ref = _mean_curve(delta_r2, region)
    if _dask.any_dask(delta_r2, mask):
        if ref is None:
            ref = _leakage_reference_dask(delta_r2, mask)
        s = _dask.series_blocks(delta_r2, "delta_r2")
        m = _dask.voxel_blocks(mask, s, "mask").astype(bool) if mask is not None else None
        names = ["k1", "k2", "kep"]

        def block_fn(block, block_mask):
            if block_mask is not None and not block_mask.any():
                nan = np.full(block.shape[:-1], np.nan)
                return {"k1": nan, "k2": nan, "kep": nan}
            _, k1, k2, kep, _ = _native.dsc_correct_leakage(block, time, mask=block_mask, method=method, reference=ref, threads=threads)
            return {"k1": k1, "k2": k2, "kep": kep}

        maps = _dask.map_voxels(block_fn, s, names, per_voxel=[m])

        def correct_block(block, *rest):
            block_mask = rest[0] if rest else None
            if block_mask is not None and not block_mask.any():
                return np.full(block.shape, np.nan)
            return _native.dsc_correct_leakage(block, time, mask=block_mask, method=method, reference=ref, threads=threads)[0]

        if m is not None:
            corrected = s.map_blocks(lambda b, mb: correct_block(b, mb[..., 0]), m[..., None], dtype=np.float64)
        else:
            corrected = s.map_blocks(correct_block, dtype=np.float64)
        return LeakageCorrectionResult(
            corrected_delta_r2=corrected,
            k1=maps["k1"],
            k2=maps["k2"],
            reference_curve=np.asarray(ref),
            kep=maps["kep"] if method == "bidirectional" else None,
        )
    corrected, k1, k2, kep, reference = _native.dsc_correct_leakage(
        delta_r2, time, mask=mask, method=method, reference=ref, threads=threads, progress_callback=progress_callback
    )
    return LeakageCorrectionResult(
        corrected_delta_r2=corrected,
        k1=k1,
        k2=k2,
        reference_curve=reference,
        kep=kep if method == "bidirectional" else None,
    )


def _mean_curve(series: Any, region: np.ndarray) -> np.ndarray:
    """The mean curve of the finite curves of ``region``, summed in flat order."""
    nt = series.shape[-1]
    sums, counts = _fold(series, region, np.zeros(nt), np.zeros(nt))
    return sums / counts


@dataclass
class DSCAnalysisResult:
    """What :func:`analyze_dsc` returns: ``perfusion_maps`` (DSCPerfusionMaps), ``aif`` (the
    arterial curve used, 1/s), ``aif_voxels`` (the flat indices of an automatic AIF),
    ``baseline`` (the frames ``(start, end)``), ``mask``."""

    perfusion_maps: DSCPerfusionMaps
    aif: np.ndarray
    aif_voxels: Optional[np.ndarray]
    baseline: tuple[int, int]
    mask: Any


def analyze_dsc(
    signal: Any,
    time: Any,
    te: float = 30.0,
    aif: Union[str, Any] = "auto",
    mask: Any = None,
    *,
    aif_signal: Any = None,
    aif_voxels: Any = None,
    aif_count: int = 10,
    baseline: Optional[tuple[int, int]] = None,
    deconvolution_method: str = "oSVD",
    svd_threshold: Optional[float] = None,
    oscillation_index: Optional[float] = None,
    density: float = 1.04,
    hematocrit_ratio: float = _KH,
    leakage: str = "none",
    first_pass: bool = False,
    concentration: bool = False,
    reference_region: Any = None,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], None]] = None,
) -> DSCAnalysisResult:
    """The whole DSC analysis of a signal series (``osipy::dsc::Analysis``; the Python osipy's
    ``DSCPipeline.run`` in one call): the default mask, the baseline frames (detected from the
    mean signal unless given), ΔR2*, the AIF, leakage correction and the perfusion maps.

    ``te`` in ms; ``time`` in s. ``aif``: ``"auto"`` (automatic detection of ``aif_count``
    voxels: early, high and narrow first passes), or an arterial ΔR2* curve; ``aif_signal``
    an arterial signal curve; ``aif_voxels`` a mask of arterial voxels. With
    ``concentration=True`` the series is already ΔR2*.

    Dask: the steps that look across voxels (the default mask, the baseline's mean curve, the
    automatic AIF's candidates and selection, the chosen voxels' curves, the leakage reference)
    run first as global passes over the whole array, the mean curves summed block after block in
    flat order as the library sums them; the maps then run block by block and equal the
    in-memory call bit for bit. With ``reference_region`` (maps ``rcbv``, ``rcbf`` in
    ``extra_maps``) the region's mean is a further pass over the lazy maps.

    Differences from osipy: the AIF detection and baseline are the library's (osipy takes the
    voxels above the 95th percentile of peak ΔR2* and the first ``baseline_frames`` frames); no
    leakage correction by default (osipy's pipeline applies BSW).
    """
    src = {"aif": None, "aif_signal": None, "aif_mask": None}
    if isinstance(aif, str):
        if aif != "auto":
            raise ValueError(f"argument `aif`: expected 'auto' or an arterial curve, found {aif!r}")
    elif aif is not None:
        src["aif"] = aif
    if aif_signal is not None:
        src["aif_signal"] = aif_signal
    if aif_voxels is not None:
        src["aif_mask"] = aif_voxels
    if sum(v is not None for v in src.values()) > 1:
        raise ValueError("argument `aif`: expected one of aif, aif_signal, aif_voxels (or 'auto')")
    te_s = te / 1000.0
    method = _method(deconvolution_method)
    if _dask.any_dask(signal, mask):
        return _analyze_dask(
            signal, time, te_s, src, mask, aif_count, baseline, method, svd_threshold, oscillation_index,
            density, hematocrit_ratio, leakage, first_pass, concentration, reference_region, threads,
            deconvolution_method,
        )
    maps, voxel_mask, aif_curve, voxels, base = _native.dsc_analysis(
        signal,
        time,
        te_s,
        aif_count=aif_count,
        mask=mask,
        baseline=baseline,
        method=method,
        threshold=svd_threshold,
        oscillation_index=oscillation_index,
        density=density,
        kh=hematocrit_ratio,
        leakage=leakage,
        first_pass=first_pass,
        concentration=concentration,
        reference_region=reference_region,
        threads=threads,
        progress_callback=progress_callback,
        **src,
    )
    return DSCAnalysisResult(
        perfusion_maps=_perfusion_maps(native_maps(maps), voxel_mask, deconvolution_method),
        aif=aif_curve,
        aif_voxels=None if voxels is None else np.asarray(voxels, dtype=np.int64),
        baseline=tuple(base),
        mask=voxel_mask,
    )
