"""Type stubs of the native module ``osipy_rs._native`` (Rust, PyO3). The public, documented
API is the pure-Python modules around it; these functions take NumPy arrays (any layout;
float32, float64, integers or bools; lists) and return NumPy arrays."""

from typing import Any, Callable, Optional, Sequence

import numpy as np
import numpy.typing as npt

__version__: str

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
