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

__all__ = [
    "DCEFitResult",
    "ParameterMap",
    "__version__",
    "fit_model",
]
