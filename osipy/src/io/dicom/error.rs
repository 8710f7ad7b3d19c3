//! [`DicomError`]: what can go wrong, one line each.

use std::fmt;
use std::path::PathBuf;

/// What can go wrong reading a DICOM series. Every message is one line that starts with the
/// folder or file and says what was expected and what was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DicomError {
    /// The folder (or file) does not exist.
    #[error("{}: not found (expected a folder of DICOM files or a DICOM file)", path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// An operating-system error while listing or reading.
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The folder holds no DICOM image.
    #[error(
        "{}: no DICOM images: expected DICOM Part 10 files with Pixel Data, found {files} files, {dicom} of them DICOM",
        path.display()
    )]
    NoDicom {
        /// The folder.
        path: PathBuf,
        /// Regular files looked at.
        files: usize,
        /// How many of them were DICOM (without Pixel Data).
        dicom: usize,
    },
    /// The file starts like DICOM but cannot be parsed (truncated, corrupt).
    #[error("{}: unreadable DICOM: expected a complete DICOM Part 10 file, found {message}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the parser reported.
        message: String,
    },
    /// The transfer syntax is not one this reader decodes.
    #[error(
        "{}: unsupported transfer syntax {uid} ({name}): expected Implicit VR Little Endian, \
         Explicit VR Little Endian, Explicit VR Big Endian, JPEG Baseline, JPEG Lossless, \
         JPEG 2000 or RLE Lossless",
        path.display()
    )]
    UnsupportedTransferSyntax {
        /// The file.
        path: PathBuf,
        /// The transfer syntax UID.
        uid: String,
        /// Its name, `"unknown"` when not known here.
        name: &'static str,
    },
    /// A required attribute is absent or empty.
    #[error("{}: missing attribute {tag}: expected {expected}", path.display())]
    MissingTag {
        /// The file.
        path: PathBuf,
        /// The attribute, name and `(gggg,eeee)`.
        tag: &'static str,
        /// What it is needed for.
        expected: &'static str,
    },
    /// An attribute has a value this reader cannot use.
    #[error("{}: invalid attribute {tag}: expected {expected}, found {found}", path.display())]
    BadTag {
        /// The file.
        path: PathBuf,
        /// The attribute, name and `(gggg,eeee)`.
        tag: &'static str,
        /// What is valid.
        expected: String,
        /// What the file holds.
        found: String,
    },
    /// A file disagrees with the first file of the series (shape, orientation, spacing).
    #[error("{}: inconsistent {what}: expected {expected} (as in {}), found {found}", path.display(), first.display())]
    Inconsistent {
        /// The file that disagrees.
        path: PathBuf,
        /// The first file of the series.
        first: PathBuf,
        /// What differs.
        what: &'static str,
        /// The first file's value.
        expected: String,
        /// This file's value.
        found: String,
    },
    /// The decoded pixel data of a compressed file would exceed
    /// [`ReadOptions::max_decoded_bytes`](super::ReadOptions::max_decoded_bytes).
    #[error(
        "{}: compressed Pixel Data too large: expected at most {cap} decoded bytes \
         (ReadOptions::max_decoded_bytes), found {rows} x {cols} pixels x {frames} frames x {bytes_per_sample} bytes = {needed}",
        path.display()
    )]
    OverCap {
        /// The file.
        path: PathBuf,
        /// Rows.
        rows: u64,
        /// Columns.
        cols: u64,
        /// NumberOfFrames.
        frames: u64,
        /// Bytes per sample (BitsAllocated / 8).
        bytes_per_sample: u64,
        /// The decoded size.
        needed: u128,
        /// The cap.
        cap: u64,
    },
    /// The Pixel Data is shorter than the image attributes need.
    #[error("{}: truncated Pixel Data: expected at least {expected} bytes, found {found}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes needed.
        expected: u128,
        /// Bytes present.
        found: usize,
    },
    /// The folder holds more than one series and none was picked.
    #[error(
        "{}: more than one series: expected one (put each series in a folder of its own, or pick one \
         with ReadOptions::series_uid), found {}",
        path.display(), list.join("; ")
    )]
    MixedSeries {
        /// The folder.
        path: PathBuf,
        /// One entry per series: UID, number, description, file count.
        list: Vec<String>,
    },
    /// The series picked with [`ReadOptions::series_uid`](super::ReadOptions::series_uid) is not in the folder.
    #[error("{}: series {uid} not found: expected one of {}", path.display(), list.join("; "))]
    SeriesNotFound {
        /// The folder.
        path: PathBuf,
        /// The UID asked for.
        uid: String,
        /// The series present.
        list: Vec<String>,
    },
    /// The frames cannot be arranged into slices x time points.
    #[error("{}: cannot arrange frames: expected {expected}, found {found}", path.display())]
    Layout {
        /// The folder or the file concerned.
        path: PathBuf,
        /// What a regular series has.
        expected: String,
        /// What was found.
        found: String,
    },
}

/// `s` on one line: runs of white space (line breaks included) become one space.
pub(super) fn one_line(s: impl fmt::Display) -> String {
    s.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The parser's error with its causes, on one line.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    one_line(s)
}
