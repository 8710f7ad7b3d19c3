"""osipy_rs: MRI perfusion analysis (DCE, DSC, IVIM, ASL) on the Rust kernels of osipy (Rust).

The entry points follow the Python osipy's names, argument order, units and result classes, so
that switching is a change of import::

    from osipy_rs import fit_model            # was: from osipy import fit_model

Every computation runs in Rust without the GIL; ``threads=`` sets the worker threads (default:
every core) and ``progress_callback=`` is called with the fraction done (not for Dask arrays,
whose progress is Dask's own). Dask arrays are accepted where NumPy arrays are and give Dask
arrays back (see ``osipy_rs._dask``). Differences from the Python osipy are listed in each
function's docstring under "Differences from osipy".

Not provided (use the Python osipy, or the ``osipy`` command, for these): the pipeline classes
(``DCEPipeline``, ``DSCPipeline``, ``ASLPipeline``, ``IVIMPipeline``, ``run_analysis``) and
BIDS export; the registries' ``register_*`` hooks (custom models, AIFs, fitters); the Python
osipy's sub-module paths below ``osipy.dsc``, ``osipy.ivim`` and ``osipy.asl`` (the functions
are in ``osipy_rs.dsc``, ``osipy_rs.ivim`` and ``osipy_rs.asl``); ASL control/label subtraction
from a series and its m0scan volumes (``osipy asl`` does both from BIDS files); venous output
scaling of the DSC AIF (``osipy dsc --vof``); the GPU backend switches (``set_backend``,
``to_gpu``).
"""

from __future__ import annotations

from osipy_rs._native import __version__
from osipy_rs._maps import ParameterMap
from osipy_rs.asl import (
    ASLQuantificationParams,
    LabelingScheme,
    MultiPLDParams,
    apply_m0_calibration,
    quantify_cbf,
    quantify_multi_pld,
)
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
    DCEFitResult,
    ExtendedToftsModel,
    PatlakModel,
    ToftsModel,
    TwoCompartmentModel,
    compute_t1_map,
    fit_model,
    get_model,
    list_models,
)
from osipy_rs.dce import signal_to_concentration as dce_signal_to_concentration
from osipy_rs.dsc import (
    analyze_dsc,
    compute_perfusion_maps,
    correct_leakage,
    get_deconvolver,
    list_deconvolvers,
    signal_to_delta_r2,
)
from osipy_rs.ivim import IVIMFitParams, IVIMFitResult, fit_ivim

__all__ = [
    "AIFType",
    "ASLQuantificationParams",
    "ArterialInputFunction",
    "DCEFitResult",
    "ExtendedToftsModel",
    "FritzHansenAIF",
    "GeorgiouAIF",
    "IVIMFitParams",
    "IVIMFitResult",
    "LabelingScheme",
    "McGrathAIF",
    "Modality",
    "MultiPLDParams",
    "ParameterMap",
    "ParkerAIF",
    "PatlakModel",
    "PerfusionDataset",
    "ToftsModel",
    "TwoCompartmentModel",
    "WeinmannAIF",
    "__version__",
    "analyze_dsc",
    "apply_m0_calibration",
    "compute_perfusion_maps",
    "compute_t1_map",
    "correct_leakage",
    "dce_signal_to_concentration",
    "detect_aif",
    "fit_ivim",
    "fit_model",
    "get_deconvolver",
    "get_model",
    "get_population_aif",
    "list_deconvolvers",
    "list_models",
    "load_dicom_series",
    "load_nifti",
    "quantify_cbf",
    "quantify_multi_pld",
    "signal_to_delta_r2",
]
