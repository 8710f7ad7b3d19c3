//! The library's errors as Python exceptions: a missing file is `FileNotFoundError`, another
//! file that cannot be read or written `OSError`, everything else (an argument of the wrong
//! shape, type or value) `ValueError`; each carries the library's one-line message.

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::PyErr;

/// The Python exception of a library error.
pub fn to_py(e: osipy::Error) -> PyErr {
    let message = e.to_string();
    if is_missing(&e) {
        return PyFileNotFoundError::new_err(message);
    }
    match &e {
        osipy::Error::Nifti(_) | osipy::Error::Dicom(_) | osipy::Error::Npy(_) | osipy::Error::File(_) => {
            match io_kind(&e) {
                Some(std::io::ErrorKind::NotFound) => PyFileNotFoundError::new_err(message),
                Some(_) => PyOSError::new_err(message),
                // The file was read but its content is not what was expected.
                None => PyValueError::new_err(message),
            }
        }
        _ => PyValueError::new_err(message),
    }
}

/// The kind of the first I/O error in the source chain of `e`, if any.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

/// A `ValueError` naming the argument: "argument `arg`: expected …, found …".
pub fn invalid(arg: &str, expected: impl std::fmt::Display, found: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("argument `{arg}`: expected {expected}, found {found}"))
}

/// Converts a library result.
pub trait IntoPy<T> {
    /// The value, or the library's error as a Python exception.
    fn py(self) -> Result<T, PyErr>;
}

impl<T> IntoPy<T> for osipy::Result<T> {
    fn py(self) -> Result<T, PyErr> {
        self.map_err(to_py)
    }
}

/// Whether `e` is a reader's "file not found" (the NIfTI or DICOM reader's `Missing`, which
/// carries no I/O error of its own).
fn is_missing(e: &osipy::Error) -> bool {
    match e {
        osipy::Error::Nifti(n) => matches!(**n, osipy::io::nifti::NiftiError::Missing { .. }),
        osipy::Error::Dicom(d) => matches!(**d, osipy::io::dicom::DicomError::Missing { .. }),
        _ => false,
    }
}
