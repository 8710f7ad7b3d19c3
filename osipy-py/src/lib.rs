//! `osipy_rs._native`: the Python module of osipy (Rust). The pure-Python package `osipy_rs`
//! (`osipy-py/python/osipy_rs`) wraps these functions in the Python osipy's calling
//! conventions (names, argument order, units, result classes) and dispatches Dask arrays; this
//! module is the thin, typed layer between NumPy and the library pipelines:
//!
//! - [`convert`]: NumPy arrays in (float32 or float64, any layout, borrowed when they already
//!   are float64) and out (owned arrays handed to NumPy without a copy);
//! - [`errors`]: the library's errors as `ValueError`, `FileNotFoundError` or `OSError`
//!   carrying its one-line message;
//! - [`run`]: every computation without the GIL, on `threads` worker threads, with a progress
//!   callback called with the fraction done;
//! - one module per modality.

use pyo3::prelude::*;

pub mod aif;
pub mod asl;
pub mod conc;
pub mod convert;
pub mod dce;
pub mod dsc;
pub mod errors;
pub mod io;
pub mod ivim;
pub mod run;
pub mod t1;

/// The module `osipy_rs._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run::last_compute_seconds, m)?)?;
    dce::register(m)?;
    aif::register(m)?;
    conc::register(m)?;
    t1::register(m)?;
    io::register(m)?;
    dsc::register(m)?;
    ivim::register(m)?;
    asl::register(m)?;
    Ok(())
}
