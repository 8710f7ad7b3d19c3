"""DCE pharmacokinetic models with the Python osipy's names (``osipy.dce.models``): the registry
(``get_model``, ``list_models``, ``MODEL_REGISTRY``) and the model classes, whose forward model
``predict(t, aif, params)`` is the Rust library's (``osipy::dce::Model::curve``).

Parameters carry the Python osipy's names and units: ``Ktrans`` (1/min), ``ve``, ``vp``
(fractions), ``Fp`` and ``PS`` (mL/min/100mL), ``delay`` (s). The library's own units differ
for ``PS`` (ml/ml/min = 1/min): values are converted (``PS = 100 ps``) on the way in and out.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from osipy_rs import _native

__all__ = [
    "MODEL_REGISTRY",
    "BasePerfusionModel",
    "ExtendedToftsModel",
    "PatlakModel",
    "ToftsModel",
    "TwoCompartmentModel",
    "TwoCompartmentUptakeModel",
    "get_model",
    "list_models",
]

# The Python osipy's parameter name -> (the library's name, the Python osipy's unit, scale from
# the library's unit to the Python osipy's).
_SPEC: dict[str, list[tuple[str, str, str, float]]] = {
    "tofts": [("Ktrans", "ktrans", "1/min", 1.0), ("ve", "ve", "fraction", 1.0)],
    "extended_tofts": [
        ("Ktrans", "ktrans", "1/min", 1.0),
        ("ve", "ve", "fraction", 1.0),
        ("vp", "vp", "fraction", 1.0),
    ],
    "patlak": [("Ktrans", "ps", "1/min", 1.0), ("vp", "vp", "fraction", 1.0)],
    "2cxm": [
        ("Fp", "fp", "mL/min/100mL", 1.0),
        ("PS", "ps", "mL/min/100mL", 100.0),
        ("ve", "ve", "fraction", 1.0),
        ("vp", "vp", "fraction", 1.0),
    ],
    "2cum": [
        ("Fp", "fp", "mL/min/100mL", 1.0),
        ("PS", "ps", "mL/min/100mL", 100.0),
        ("vp", "vp", "fraction", 1.0),
    ],
}
_DELAY = ("delay", "delay", "s", 1.0)


def parameter_spec(model: str, fit_delay: bool = False) -> list[tuple[str, str, str, float]]:
    """``[(osipy name, library name, osipy unit, scale)]`` of a model (with ``delay`` last
    when fitted)."""
    spec = list(_SPEC[model])
    return spec + [_DELAY] if fit_delay else spec


class BasePerfusionModel:
    """A DCE model of the Rust library under the Python osipy's interface.

    Differences from osipy: ``predict`` is the library's exact convolution of a piecewise-linear
    AIF on any time grid (``interpolation="spline"`` for the natural cubic spline); the bounds
    are the library's defaults, and ``fit_delay=True`` adds ``delay`` (s) with the library's
    bounds (-10 s to 10 s; the Python osipy's delay wrapper uses 0 s to 60 s).
    """

    _key = ""
    _display = ""
    _reference = ""

    def __init__(self, fit_delay: bool = False) -> None:
        self.fit_delay = bool(fit_delay)

    @property
    def name(self) -> str:
        """The model's display name."""
        return self._display + (" (with delay)" if self.fit_delay else "")

    @property
    def registry_name(self) -> str:
        """The name ``get_model`` takes (an extension)."""
        return self._key

    @property
    def time_unit(self) -> str:
        """The unit of ``t`` given to :meth:`predict`: seconds (the rates are per minute)."""
        return "seconds"

    @property
    def parameters(self) -> list[str]:
        """The parameter names, in order."""
        return [p for p, _, _, _ in parameter_spec(self._key, self.fit_delay)]

    @property
    def parameter_units(self) -> dict[str, str]:
        """The unit of each parameter."""
        return {p: u for p, _, u, _ in parameter_spec(self._key, self.fit_delay)}

    @property
    def reference(self) -> str:
        """The model's literature reference."""
        return self._reference

    def get_bounds(self) -> dict[str, tuple[float, float]]:
        """The default bounds of each parameter (the library's, in the Python osipy's units)."""
        names, lower, upper = _native.dce_model_bounds(self._key, self.fit_delay)
        out = {}
        for osipy_name, ours, _, scale in parameter_spec(self._key, self.fit_delay):
            i = names.index(ours)
            out[osipy_name] = (lower[i] * scale, upper[i] * scale)
        return out

    def params_to_array(self, params: Any) -> np.ndarray:
        """Parameters (a dict, an object with the names as attributes, or a sequence in order) as
        an array in :attr:`parameters` order."""
        if isinstance(params, dict):
            missing = [p for p in self.parameters if p not in params]
            if missing:
                raise ValueError(f"argument `params`: expected values for {self.parameters}, found none for {missing}")
            return np.array([float(params[p]) for p in self.parameters])
        if hasattr(params, "__dict__") and not isinstance(params, np.ndarray):
            lower = {k.lower(): v for k, v in vars(params).items()}
            return np.array([float(lower[p.lower()]) for p in self.parameters])
        return np.asarray(params, dtype=np.float64)

    def _to_library(self, values: np.ndarray) -> np.ndarray:
        scales = np.array([s for _, _, _, s in parameter_spec(self._key, self.fit_delay)])
        return values / scales.reshape((-1,) + (1,) * (values.ndim - 1))

    def predict(self, t: Any, aif: Any, params: Any, xp: Any = None, *, interpolation: str = "linear") -> np.ndarray:
        """The tissue concentration (mM) at times ``t`` (s) for the plasma curve ``aif`` (mM, or
        an :class:`~osipy_rs.common.aif.ArterialInputFunction`) and ``params`` (one value per
        parameter, shape ``(n_params,)``, or ``(n_params, n_voxels)`` giving ``(n_time,
        n_voxels)``; or a dict by name). ``xp`` is accepted and ignored (NumPy only)."""
        aif_values = getattr(aif, "concentration", aif)
        values = self.params_to_array(params)
        n = len(self.parameters)
        if values.ndim == 0 or values.shape[0] != n or values.ndim > 2:
            raise ValueError(
                f"argument `params`: expected {n} values ({', '.join(self.parameters)}) or an array ({n}, n_voxels), found shape {values.shape}"
            )
        lib = self._to_library(values)
        if lib.ndim == 1:
            return _native.dce_model_curve(self._key, t, aif_values, lib, self.fit_delay, interpolation)
        cols = [
            _native.dce_model_curve(self._key, t, aif_values, lib[:, j], self.fit_delay, interpolation)
            for j in range(lib.shape[1])
        ]
        return np.stack(cols, axis=1) if cols else np.zeros((len(np.asarray(t)), 0))

    def predict_batch(self, t: Any, aif: Any, params_batch: Any, xp: Any = None) -> np.ndarray:
        """``predict`` of ``(n_params, n_voxels)`` parameters: ``(n_time, n_voxels)``."""
        return self.predict(t, aif, np.asarray(params_batch, dtype=np.float64).reshape(len(self.parameters), -1))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToftsModel(BasePerfusionModel):
    """Standard Tofts: ``Ktrans`` (1/min), ``ve``."""

    _key = "tofts"
    _display = "Standard Tofts"
    _reference = "Tofts PS, Kermode AG (1991). Magn Reson Med 17(2):357-367."


class ExtendedToftsModel(BasePerfusionModel):
    """Extended Tofts: ``Ktrans`` (1/min), ``ve``, ``vp``."""

    _key = "extended_tofts"
    _display = "Extended Tofts"
    _reference = "Tofts PS et al. (1999). J Magn Reson Imaging 10(3):223-232."


class PatlakModel(BasePerfusionModel):
    """Patlak: ``Ktrans`` (1/min; the library's ``ps``), ``vp``."""

    _key = "patlak"
    _display = "Patlak"
    _reference = "Patlak CS, Blasberg RG, Fenstermacher JD (1983). J Cereb Blood Flow Metab 3(1):1-7."


class TwoCompartmentModel(BasePerfusionModel):
    """Two-compartment exchange (2CXM): ``Fp``, ``PS`` (mL/min/100mL), ``ve``, ``vp``."""

    _key = "2cxm"
    _display = "Two-Compartment Exchange (2CXM)"
    _reference = "Sourbron SP, Buckley DL (2011). Magn Reson Med 66(3):735-745."


class TwoCompartmentUptakeModel(BasePerfusionModel):
    """Two-compartment uptake (2CUM): ``Fp``, ``PS`` (mL/min/100mL), ``vp``."""

    _key = "2cum"
    _display = "Two-Compartment Uptake (2CUM)"
    _reference = "Sourbron SP, Buckley DL (2013). NMR Biomed 26(8):1004-1027."


MODEL_REGISTRY: dict[str, type] = {
    "tofts": ToftsModel,
    "extended_tofts": ExtendedToftsModel,
    "patlak": PatlakModel,
    "2cxm": TwoCompartmentModel,
    "2cum": TwoCompartmentUptakeModel,
}


def get_model(name: str) -> BasePerfusionModel:
    """A model instance by name ('tofts', 'extended_tofts', 'patlak', '2cxm', '2cum').

    Differences from osipy: an unknown name is a ``ValueError`` naming ``name``; models cannot
    be registered (their kernels are compiled into the Rust library)."""
    if name not in MODEL_REGISTRY:
        raise ValueError(f"argument `name`: expected one of {', '.join(list_models())}, found {name!r}")
    return MODEL_REGISTRY[name]()


def list_models() -> list[str]:
    """The model names, sorted."""
    return sorted(MODEL_REGISTRY)


def _model_key(model_name: Any) -> Optional[str]:
    """The registry name of a model given by name or instance."""
    if isinstance(model_name, BasePerfusionModel):
        return model_name.registry_name
    return model_name if model_name in MODEL_REGISTRY else None
