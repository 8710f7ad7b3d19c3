//! The error type of the science crate.

/// What can go wrong in the science layer: a kernel launch (shape, placement, device) or an
/// input that is out of its valid range. Messages name the function, the argument, what was
/// expected and what was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the kernel runtime.
    #[error(transparent)]
    Kernel(#[from] osipy_kernels::Error),
    /// A file could not be read or written (the message names the file and what was expected).
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

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::io::nifti::NiftiError> for Error {
    fn from(e: crate::io::nifti::NiftiError) -> Self {
        Error::File(e.to_string())
    }
}

impl From<crate::io::dicom::DicomError> for Error {
    fn from(e: crate::io::dicom::DicomError) -> Self {
        Error::File(e.to_string())
    }
}
