"""osipy_rs: MRI perfusion analysis (DCE, DSC, IVIM, ASL) on the Rust kernels of osipy (Rust).

The entry points follow the Python osipy's names, argument order, units and result classes, so
that switching is a change of import::

    from osipy_rs import fit_model            # was: from osipy import fit_model

Every computation runs in Rust without the GIL; ``threads=`` sets the worker threads (default:
every core) and ``progress_callback=`` is called with the fraction done. Dask arrays are
accepted where NumPy arrays are and give Dask arrays back (see ``osipy_rs.dask``). Differences
from the Python osipy are listed in each function's docstring under "Differences".
"""

from __future__ import annotations

from osipy_rs._native import __version__
from osipy_rs._maps import ParameterMap
from osipy_rs.dce import DCEFitResult, fit_model
from osipy_rs.common.aif import (
    ArterialInputFunction,
    FritzHansenAIF,
    GeorgiouAIF,
    McGrathAIF,
    ParkerAIF,
    WeinmannAIF,
    detect_aif,
    get_population_aif,
)
from osipy_rs.common.dataset import PerfusionDataset
from osipy_rs.common.io import load_dicom_series, load_nifti
from osipy_rs.common.types import AIFType, Modality
from osipy_rs.dce import (
    ExtendedToftsModel,
    PatlakModel,
    ToftsModel,
    TwoCompartmentModel,
    compute_t1_map,
    get_model,
    list_models,
)
from osipy_rs.dce import signal_to_concentration as dce_signal_to_concentration

__all__ = [
    "AIFType",
    "ArterialInputFunction",
    "ExtendedToftsModel",
    "FritzHansenAIF",
    "GeorgiouAIF",
    "McGrathAIF",
    "Modality",
    "ParkerAIF",
    "PatlakModel",
    "PerfusionDataset",
    "ToftsModel",
    "TwoCompartmentModel",
    "WeinmannAIF",
    "compute_t1_map",
    "dce_signal_to_concentration",
    "detect_aif",
    "get_model",
    "get_population_aif",
    "list_models",
    "load_dicom_series",
    "load_nifti",
    "DCEFitResult",
    "ParameterMap",
    "__version__",
    "fit_model",
]
