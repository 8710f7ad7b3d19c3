//! The files of a folder, and one file read: not DICOM, DICOM without pixels, or an image.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::mem::InMemDicomObject;
use dicom_object::{FileMetaTable, OpenFileOptions};

use super::attributes::str_of;
use super::error::error_chain;
use super::frames::{parse_image, Image};
use super::header_scan::{self, Syntax};
use super::{DicomError, ReadOptions};

/// What one file holds.
pub(super) enum Parsed {
    NotDicom,
    NoPixels(String),
    Image(Box<Image>),
}

/// The regular files of a folder (and of its sub-folders, at any depth, with `sub_folders`) in
/// path order, or the path itself when it is a file.
pub(super) fn list_files(folder: &Path, sub_folders: bool) -> Result<Vec<PathBuf>, DicomError> {
    let meta = match std::fs::metadata(folder) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DicomError::Missing {
                path: folder.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(DicomError::Io {
                path: folder.to_path_buf(),
                action: "read",
                source,
            })
        }
    };
    if meta.is_file() {
        return Ok(vec![folder.to_path_buf()]);
    }
    let mut paths = Vec::new();
    let mut todo = vec![folder.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let io = |source| DicomError::Io {
            path: dir.clone(),
            action: "list the folder",
            source,
        };
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let p = entry.path();
            if sub_folders && entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                todo.push(p);
            } else if std::fs::metadata(&p).map(|m| m.is_file()).unwrap_or(false) {
                paths.push(p);
            }
        }
    }
    paths.sort();
    Ok(paths)
}

/// Reads one file: not DICOM, DICOM without pixels, or an image with its frames.
///
/// The element headers are scanned first ([`header_scan`]): every declared length is checked
/// against the bytes that remain before the parser, which allocates what a header declares,
/// sees the file.
pub(super) fn read_file(path: &Path, options: &ReadOptions) -> Result<Parsed, DicomError> {
    let bytes = std::fs::read(path).map_err(|source| DicomError::Io {
        path: path.to_path_buf(),
        action: "read",
        source,
    })?;
    if bytes.len() < 132 || &bytes[128..132] != b"DICM" {
        return Ok(Parsed::NotDicom);
    }
    let unreadable = |message: String| DicomError::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    let dataset_start = header_scan::scan_meta(&bytes).map_err(unreadable)?;
    let meta = FileMetaTable::from_reader(&bytes[128..]).map_err(|e| unreadable(error_chain(&e)))?;
    let ts = meta.transfer_syntax().to_string();
    if meta.media_storage_sop_class_uid() == "1.2.840.10008.1.3.10" {
        return Ok(Parsed::NoPixels("a DICOMDIR".into()));
    }
    let Some(syntax) = Syntax::of(&ts) else {
        return Err(DicomError::UnsupportedTransferSyntax {
            path: path.to_path_buf(),
            name: transfer_syntax_name(&ts),
            uid: ts,
        });
    };
    header_scan::scan_dataset(&bytes, dataset_start, syntax).map_err(unreadable)?;
    let file = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(&bytes[..])
        .map_err(|e| unreadable(error_chain(&e)))?;
    drop(bytes);
    let obj: &InMemDicomObject = &file;
    if obj.get(tags::PIXEL_DATA).is_none() {
        if obj.get(tags::FLOAT_PIXEL_DATA).is_some() || obj.get(tags::DOUBLE_FLOAT_PIXEL_DATA).is_some() {
            return Err(DicomError::BadTag {
                path: path.to_path_buf(),
                tag: "Pixel Data (7FE0,0010)",
                expected: "integer Pixel Data".into(),
                found: "Float or Double Float Pixel Data".into(),
            });
        }
        let sop = str_of(obj, tags::SOP_CLASS_UID).unwrap_or_default();
        return Ok(Parsed::NoPixels(format!("SOP class {sop}")));
    }
    parse_image(path, file, syntax, options).map(|i| Parsed::Image(Box::new(i)))
}

/// The name of a transfer syntax, for messages.
pub(super) fn transfer_syntax_name(uid: &str) -> &'static str {
    match uid {
        super::IMPLICIT_VR_LITTLE_ENDIAN => "Implicit VR Little Endian",
        super::EXPLICIT_VR_LITTLE_ENDIAN => "Explicit VR Little Endian",
        super::EXPLICIT_VR_BIG_ENDIAN => "Explicit VR Big Endian",
        "1.2.840.10008.1.2.1.99" => "Deflated Explicit VR Little Endian",
        super::JPEG_BASELINE => "JPEG Baseline (Process 1)",
        super::JPEG_EXTENDED => "JPEG Extended (Process 2 & 4)",
        super::JPEG_LOSSLESS => "JPEG Lossless, Non-Hierarchical (Process 14)",
        super::JPEG_LOSSLESS_SV1 => "JPEG Lossless, First-Order Prediction",
        "1.2.840.10008.1.2.4.80" => "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81" => "JPEG-LS Near-Lossless",
        super::JPEG_2000_LOSSLESS => "JPEG 2000 Lossless",
        super::JPEG_2000 => "JPEG 2000",
        "1.2.840.10008.1.2.4.201" | "1.2.840.10008.1.2.4.202" | "1.2.840.10008.1.2.4.203" => {
            "High-Throughput JPEG 2000"
        }
        super::RLE_LOSSLESS => "RLE Lossless",
        "1.2.840.10008.1.2.4.100" | "1.2.840.10008.1.2.4.101" => "MPEG-2",
        "1.2.840.10008.1.2.4.102" | "1.2.840.10008.1.2.4.103" => "MPEG-4 AVC/H.264",
        "1.2.840.10008.1.2.4.107" | "1.2.840.10008.1.2.4.108" => "HEVC/H.265",
        _ => "unknown",
    }
}
