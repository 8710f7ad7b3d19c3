//! The errors of the NIfTI reader and writer.

use std::path::PathBuf;

/// What can go wrong reading or writing a NIfTI file. Every message is one line that starts with
/// the file's path and says what was expected and what was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NiftiError {
    /// The file does not exist.
    #[error("{}: file not found (expected a NIfTI image, .nii or .nii.gz)", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// An operating-system error while reading or writing.
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done ("read", "create a temporary file for", ...).
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The gzip stream is corrupt or truncated.
    #[error("{}: cannot decompress: expected a complete gzip stream, found {message}", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// What the decompressor reported.
        message: String,
    },
    /// The file is not a NIfTI image (wrong `sizeof_hdr` or magic), or a kind not supported.
    #[error("{}: not a supported NIfTI file: expected {expected}, found {found}", path.display())]
    NotNifti {
        /// The file.
        path: PathBuf,
        /// What a NIfTI file has there.
        expected: String,
        /// What the file has.
        found: String,
    },
    /// The file ends before the header or the data does.
    #[error("{}: truncated {part}: expected at least {expected} bytes, found {found}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// `"header"` or `"data"`.
        part: &'static str,
        /// Bytes needed (after decompression).
        expected: u64,
        /// Bytes present (after decompression).
        found: u64,
    },
    /// The data type is not one this reader converts.
    #[error(
        "{}: unsupported datatype {code} ({name}): expected uint8, int8, int16, uint16, int32, \
         uint32, int64, uint64, float32 or float64",
        path.display()
    )]
    UnsupportedDatatype {
        /// The file.
        path: PathBuf,
        /// The `datatype` code.
        code: i16,
        /// Its NIfTI name (`"complex64"`, `"rgb24"`, ..., `"unknown"`).
        name: &'static str,
    },
    /// A header field has an invalid value.
    #[error("{}: invalid header field `{field}`: expected {expected}, found {found}", path.display())]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The field.
        field: &'static str,
        /// What is valid.
        expected: String,
        /// What the header holds.
        found: String,
    },
    /// The image's dimensions are not what the caller needs.
    #[error("{}: wrong dimensions: expected {expected}, found {found}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// What the caller needs.
        expected: String,
        /// What the image has.
        found: String,
    },
    /// The image holds no finite value (all NaN or infinite).
    #[error("{}: no usable data: expected at least one finite value, found {count} values all NaN or infinite", path.display())]
    NoFiniteData {
        /// The file.
        path: PathBuf,
        /// The number of values.
        count: usize,
    },
    /// The array given to [`write()`](super::write()) cannot be stored as NIfTI-1.
    #[error("{}: cannot write: expected {expected}, found {found}", path.display())]
    InvalidData {
        /// The file.
        path: PathBuf,
        /// What can be written.
        expected: String,
        /// What was given.
        found: String,
    },
}
