"""DCE-MRI with the Python osipy's module layout (``osipy.dce``): model fitting
(``fit_model``), the models (``get_model``, ``ToftsModel``, ...), signal to concentration and
T1 mapping, on the Rust library's kernels."""

from __future__ import annotations

from osipy_rs.dce.concentration import DCEAcquisitionParams, list_concentration_models, signal_to_concentration
from osipy_rs.dce.fitting import DCEFitResult, fit_model
from osipy_rs.dce.models import (
    MODEL_REGISTRY,
    BasePerfusionModel,
    ExtendedToftsModel,
    PatlakModel,
    ToftsModel,
    TwoCompartmentModel,
    TwoCompartmentUptakeModel,
    get_model,
    list_models,
)
from osipy_rs.dce.t1_mapping import (
    T1MappingResult,
    compute_t1_look_locker,
    compute_t1_map,
    compute_t1_vfa,
    list_t1_methods,
)

__all__ = [
    "MODEL_REGISTRY",
    "BasePerfusionModel",
    "DCEAcquisitionParams",
    "DCEFitResult",
    "ExtendedToftsModel",
    "PatlakModel",
    "T1MappingResult",
    "ToftsModel",
    "TwoCompartmentModel",
    "TwoCompartmentUptakeModel",
    "compute_t1_look_locker",
    "compute_t1_map",
    "compute_t1_vfa",
    "fit_model",
    "get_model",
    "list_concentration_models",
    "list_models",
    "list_t1_methods",
    "signal_to_concentration",
]
