//! The errors of the NumPy reader.

use std::path::PathBuf;

/// What can go wrong reading a `.npy` or `.npz` file. Every message is one line that starts
/// with the file's name and says what was expected and what was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpyError {
    /// The file does not exist or cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bytes are not a `.npy` file of a kind this reader supports.
    #[error("{}: not a supported .npy file: expected {expected}, found {found}", path.display())]
    Format {
        /// The file (an `.npz` member as `file.npz:name`).
        path: PathBuf,
        /// What a supported file has there.
        expected: String,
        /// What the file has.
        found: String,
    },
    /// The header declares more data than the file holds, or less.
    #[error("{}: {part}: expected {expected} bytes, found {found}", path.display())]
    Size {
        /// The file.
        path: PathBuf,
        /// What is sized: `"truncated header"`, `"truncated data"`, `"bytes after the data"`.
        part: &'static str,
        /// Bytes the header declares.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// An `.npz` archive is unreadable or lacks the array asked for.
    #[error("{}: not a usable .npz archive: expected {expected}, found {found}", path.display())]
    Npz {
        /// The archive.
        path: PathBuf,
        /// What was expected.
        expected: String,
        /// What the archive has.
        found: String,
    },
}
