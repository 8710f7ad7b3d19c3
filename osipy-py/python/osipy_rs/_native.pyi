"""Type stubs of the native module ``osipy_rs._native`` (Rust, PyO3). The public, documented
API is the pure-Python modules around it; these functions take NumPy arrays (any layout;
float32, float64, integers or bools; lists) and return NumPy arrays."""

from typing import Any, Callable, Optional, Sequence

import numpy as np
import numpy.typing as npt

__version__: str

def last_compute_seconds() -> float: ...

# [(name, unit, is_parameter, values)] for every map of a pipeline, in the library's order.
MapList = list[tuple[str, str, bool, npt.NDArray[np.float64]]]

def dce_fit_model(
    model_name: str,
    concentration: npt.ArrayLike,
    aif: npt.ArrayLike,
    time: npt.ArrayLike,
    mask: Optional[npt.ArrayLike] = None,
    lower: Optional[Sequence[float]] = None,
    upper: Optional[Sequence[float]] = None,
    fit_delay: bool = False,
    interpolation: str = "linear",
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], Any]] = None,
) -> tuple[MapList, npt.NDArray[np.bool_]]: ...
def dce_model_bounds(model_name: str, fit_delay: bool = False) -> tuple[list[str], list[float], list[float]]: ...
def dce_model_units(model_name: str, fit_delay: bool = False) -> list[str]: ...
def dce_model_curve(
    model_name: str,
    time: npt.ArrayLike,
    aif: npt.ArrayLike,
    params: npt.ArrayLike,
    fit_delay: bool = False,
    interpolation: str = "linear",
) -> npt.NDArray[np.float64]: ...

# The six AIF feature maps (peak, ttp, fwhm, auc, roughness, score).
FeatureMaps = list[npt.NDArray[np.float64]]

def aif_population(name: str, time: npt.ArrayLike, delay: float = 0.0) -> tuple[npt.NDArray[np.float64], str, str]: ...
def aif_detect(
    concentration: npt.ArrayLike,
    time: npt.ArrayLike,
    mask: Optional[npt.ArrayLike] = None,
    n_voxels: int = 5,
    baseline_points: int = 3,
    auc_keep: float = 0.10,
    roughness_discard: float = 0.25,
    min_relative_peak: float = 0.5,
) -> tuple[npt.NDArray[np.float64], list[tuple[int, int, int]], list[float], int, FeatureMaps]: ...
def aif_features(
    concentration: npt.ArrayLike,
    time: npt.ArrayLike,
    mask: Optional[npt.ArrayLike] = None,
    baseline_points: int = 3,
) -> FeatureMaps: ...
def aif_select(
    features: Sequence[npt.ArrayLike],
    n_voxels: int = 5,
    baseline_points: int = 3,
    auc_keep: float = 0.10,
    roughness_discard: float = 0.25,
    min_relative_peak: float = 0.5,
) -> tuple[list[tuple[int, int, int]], int]: ...
def dce_signal_to_concentration(
    signal: npt.ArrayLike,
    t10: npt.ArrayLike,
    relaxivity: float,
    baseline_start: int,
    baseline_end: int,
    method: str = "spgr",
    flip_angle: float = ...,
    tr: float = ...,
    b1: Optional[npt.ArrayLike] = None,
    s0: Optional[npt.ArrayLike] = None,
    threads: Optional[int] = None,
) -> npt.NDArray[np.float64]: ...
def t1_fit(
    method: str,
    signal: npt.ArrayLike,
    flip_angles: Optional[npt.ArrayLike] = None,
    tr: float = ...,
    times: Optional[npt.ArrayLike] = None,
    b1: Optional[npt.ArrayLike] = None,
    mask: Optional[npt.ArrayLike] = None,
    magnitude: bool = False,
    threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], Any]] = None,
) -> tuple[MapList, npt.NDArray[np.bool_]]: ...
def io_load_nifti(path: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], dict[str, Any]]: ...
def io_load_dicom_series(path: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], dict[str, Any]]: ...

# DSC
def dsc_signal_to_conc(
    signal: npt.ArrayLike, te: float, baseline_start: int, baseline_end: int,
    k1: float = 1.0, k2: float = 0.0, threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], Any]] = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def dsc_perfusion(
    series: npt.ArrayLike, aif: npt.ArrayLike, time: npt.ArrayLike, method: str = "osvd",
    threshold: Optional[float] = None, oscillation_index: Optional[float] = None,
    lambda_: Optional[float] = None, density: float = 1.04, kh: float = 0.7333333333333334,
    leakage: str = "none", leakage_reference: Optional[npt.ArrayLike] = None,
    te: Optional[float] = None, baseline: Optional[tuple[int, int]] = None,
    tissue: Optional[tuple[float, float]] = None, first_pass: bool = False,
    mask: Optional[npt.ArrayLike] = None, threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], Any]] = None,
) -> tuple[MapList, npt.NDArray[np.bool_]]: ...
def dsc_analysis(
    signal: npt.ArrayLike, time: npt.ArrayLike, te: float, aif: Optional[npt.ArrayLike] = None,
    aif_signal: Optional[npt.ArrayLike] = None, aif_mask: Optional[npt.ArrayLike] = None,
    aif_count: int = 10, mask: Optional[npt.ArrayLike] = None,
    baseline: Optional[tuple[int, int]] = None, method: str = "osvd",
    threshold: Optional[float] = None, oscillation_index: Optional[float] = None,
    lambda_: Optional[float] = None, density: float = 1.04, kh: float = 0.7333333333333334,
    leakage: str = "none", first_pass: bool = False, concentration: bool = False,
    tissue: Optional[tuple[float, float]] = None, arterial: Optional[tuple[float, float]] = None,
    reference_region: Optional[npt.ArrayLike] = None, threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], Any]] = None,
) -> tuple[MapList, npt.NDArray[np.bool_], npt.NDArray[np.float64], Optional[list[int]], tuple[int, int]]: ...
def dsc_correct_leakage(
    curves: npt.ArrayLike, time: npt.ArrayLike, mask: Optional[npt.ArrayLike] = None,
    method: str = "bsw", reference: Optional[npt.ArrayLike] = None, threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], Any]] = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def dsc_fold_sums(
    block: npt.ArrayLike, mask: Optional[npt.ArrayLike], sums: Sequence[float], counts: Sequence[float],
    te: Optional[float] = None, baseline: Optional[tuple[int, int]] = None,
    tissue: Optional[tuple[float, float]] = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def dsc_block_features(
    block: npt.ArrayLike, mask: Optional[npt.ArrayLike] = None, te: Optional[float] = None,
    baseline: Optional[tuple[int, int]] = None, tissue: Optional[tuple[float, float]] = None,
) -> npt.NDArray[np.float64]: ...
def dsc_select_aif(candidates: npt.ArrayLike, count: int) -> tuple[list[int], list[int]]: ...
def dsc_arterial_curve(
    rows: npt.ArrayLike, te: Optional[float] = None, baseline: Optional[tuple[int, int]] = None,
    tissue: Optional[tuple[float, float]] = None, arterial: Optional[tuple[float, float]] = None,
    baseline_given: bool = False,
) -> npt.NDArray[np.float64]: ...
def dsc_leakage_ratios(
    block: npt.ArrayLike, mask: Optional[npt.ArrayLike] = None, te: Optional[float] = None,
    baseline: Optional[tuple[int, int]] = None, tissue: Optional[tuple[float, float]] = None,
) -> npt.NDArray[np.float64]: ...
def dsc_leakage_keep(ratios: npt.ArrayLike) -> npt.NDArray[np.bool_]: ...
def dsc_signal_mask(signal: npt.ArrayLike) -> npt.NDArray[np.bool_]: ...
def dsc_detect_baseline(mean_signal: npt.ArrayLike) -> tuple[int, int]: ...

# IVIM
def ivim_fit(
    signal: npt.ArrayLike, b_values: npt.ArrayLike, method: str = "segmented",
    mask: Optional[npt.ArrayLike] = None, b_threshold: Optional[float] = None,
    lower: Optional[Sequence[float]] = None, upper: Optional[Sequence[float]] = None,
    max_iterations: Optional[int] = None, steps: int = 3, normalise: bool = True,
    rician: str = "none", sigma: float = 0.0, nodes: Optional[int] = None,
    threads: Optional[int] = None, progress_callback: Optional[Callable[[float], Any]] = None,
) -> tuple[MapList, npt.NDArray[np.bool_]]: ...

# ASL
def asl_perfusion(
    delta_m: npt.ArrayLike, labeling_scheme: str, plds: npt.ArrayLike, tau: float,
    m0: Optional[npt.ArrayLike] = None, m0_value: Optional[float] = None,
    m0_tr: Optional[float] = None, m0_scale: float = 1.0, alpha: Optional[float] = None,
    t1_blood: Optional[float] = None, t1_tissue: Optional[float] = None,
    lambda_: Optional[float] = None, field_strength: float = 3.0, bs_efficiency: float = 1.0,
    mask: Optional[npt.ArrayLike] = None, threads: Optional[int] = None,
    progress_callback: Optional[Callable[[float], Any]] = None,
) -> tuple[MapList, npt.NDArray[np.bool_]]: ...
def asl_m0_correct(m0: npt.ArrayLike, tr: float, t1: float, scale: float = 1.0) -> npt.NDArray[np.float64]: ...
def asl_m0_reference(
    m0: npt.ArrayLike, region: npt.ArrayLike, lambda_ref: float, t1_ref: float, t2star_ref: float,
    tr: float, te: float, lambda_: float = 0.9,
) -> float: ...
