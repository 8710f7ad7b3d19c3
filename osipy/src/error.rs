//! The error type of the science crate.

use std::sync::Arc;

use crate::io::dicom::DicomError;
use crate::io::nifti::NiftiError;
use crate::npy::NpyError;

/// What can go wrong in the science layer: a kernel launch (shape, placement, device), a file
/// (the reader's own typed error, kept as the source), or an input that is out of its valid
/// range. Messages name the function or file, the argument, what was expected and what was
/// found.
///
/// The readers' errors hold `std::io::Error`s, which are neither `Clone` nor `PartialEq`, so
/// they are shared through an `Arc`, and two errors are equal when their variants are and
/// their messages read the same.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the kernel runtime.
    #[error(transparent)]
    Kernel(#[from] osipy_kernels::Error),
    /// A NIfTI file could not be read or written.
    #[error(transparent)]
    Nifti(Arc<NiftiError>),
    /// A DICOM series could not be read.
    #[error(transparent)]
    Dicom(Arc<DicomError>),
    /// A NumPy file could not be read.
    #[error(transparent)]
    Npy(Arc<NpyError>),
    /// Another file could not be read or written (the message names the file and what was
    /// expected).
    #[error("{0}")]
    File(String),
    /// An input value or shape is not valid for the computation.
    #[error("`{function}`: argument `{arg}`: expected {expected}, found {found}")]
    Invalid {
        /// The function called.
        function: &'static str,
        /// The argument.
        arg: &'static str,
        /// What is valid.
        expected: String,
        /// What was given.
        found: String,
    },
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Kernel(a), Self::Kernel(b)) => a == b,
            (Self::Nifti(a), Self::Nifti(b)) => a.to_string() == b.to_string(),
            (Self::Dicom(a), Self::Dicom(b)) => a.to_string() == b.to_string(),
            (Self::Npy(a), Self::Npy(b)) => a.to_string() == b.to_string(),
            (Self::File(a), Self::File(b)) => a == b,
            (
                Self::Invalid {
                    function: f1,
                    arg: a1,
                    expected: e1,
                    found: g1,
                },
                Self::Invalid {
                    function: f2,
                    arg: a2,
                    expected: e2,
                    found: g2,
                },
            ) => f1 == f2 && a1 == a2 && e1 == e2 && g1 == g2,
            _ => false,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<NiftiError> for Error {
    fn from(e: NiftiError) -> Self {
        Error::Nifti(Arc::new(e))
    }
}

impl From<DicomError> for Error {
    fn from(e: DicomError) -> Self {
        Error::Dicom(Arc::new(e))
    }
}

impl From<NpyError> for Error {
    fn from(e: NpyError) -> Self {
        Error::Npy(Arc::new(e))
    }
}
