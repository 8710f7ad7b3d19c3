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
