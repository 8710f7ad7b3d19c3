//! Pixel data: native samples as bytes, compressed frames decoded by dicom-pixeldata, and the
//! stored bits of every sample extracted and sign-extended.

use std::path::Path;

use dicom_core::value::{DicomValueType, PrimitiveValue};
use dicom_object::mem::InMemDicomObject;
use dicom_object::FileDicomObject;
use dicom_pixeldata::PixelDecoder;

use super::error::error_chain;
use super::frames::Image;
use super::DicomError;

/// The samples of every frame of one file, as bytes (native byte order of the file, or little
/// endian after decompression), and how to read them.
#[derive(Debug)]
pub(super) struct PixelData {
    pub bytes: Vec<u8>,
    pub big_endian: bool,
    pub bits_allocated: u32,
    pub bits_stored: u32,
    pub high_bit: u32,
    pub signed: bool,
}

/// The bytes of native Pixel Data (OB or OW), in the file's byte order.
pub(super) fn native_bytes(
    path: &Path,
    value: &PrimitiveValue,
    big_endian: bool,
) -> Result<Vec<u8>, DicomError> {
    Ok(match value {
        PrimitiveValue::U8(v) => v.to_vec(),
        PrimitiveValue::U16(v) => {
            let mut b = Vec::with_capacity(v.len() * 2);
            for w in v.iter() {
                b.extend_from_slice(&if big_endian {
                    w.to_be_bytes()
                } else {
                    w.to_le_bytes()
                });
            }
            b
        }
        PrimitiveValue::Empty => Vec::new(),
        other => {
            return Err(DicomError::BadTag {
                path: path.to_path_buf(),
                tag: "Pixel Data (7FE0,0010)",
                expected: "OB or OW pixel data".into(),
                found: format!("a {:?} value", other.value_type()),
            })
        }
    })
}

/// Decodes the compressed Pixel Data of `file` (all frames) to little-endian samples. The
/// caller has checked the decoded size against the cap.
pub(super) fn decode_compressed(
    path: &Path,
    file: &FileDicomObject<InMemDicomObject>,
    syntax_name: &str,
) -> Result<Vec<u8>, DicomError> {
    let bad = |found: String| DicomError::BadTag {
        path: path.to_path_buf(),
        tag: "Pixel Data (7FE0,0010)",
        expected: format!("decodable {syntax_name} data"),
        found,
    };
    // The stream headers were checked (`codestream`); a decoder that still fails on what
    // follows them becomes an error here rather than the end of the program.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        file.decode_pixel_data().map(|d| d.into_data())
    }))
    .map_err(|_| bad("a stream the decoder could not follow".into()))?;
    decoded.map_err(|e| bad(error_chain(&e)))
}

/// Decodes all samples of an image (all frames) to raw integers.
pub(super) fn decode(img: &Image) -> Result<Vec<i64>, DicomError> {
    let px = &img.pixels;
    let bps = px.bits_allocated as usize / 8;
    let needed = (img.rows as u128) * (img.cols as u128) * (img.frames.len() as u128) * bps as u128;
    if (px.bytes.len() as u128) < needed {
        return Err(DicomError::Truncated {
            path: img.path.clone(),
            expected: needed,
            found: px.bytes.len(),
        });
    }
    // Bounded by the bytes present.
    let needed = needed as usize;
    let n = needed / bps;
    let shift = px.high_bit + 1 - px.bits_stored;
    let mask: u64 = (1u64 << px.bits_stored) - 1;
    let sign = 1u64 << (px.bits_stored - 1);
    let mut out = Vec::with_capacity(n);
    for c in px.bytes[..needed].chunks_exact(bps) {
        let raw: u64 = match (bps, px.big_endian) {
            (1, _) => c[0] as u64,
            (2, false) => u16::from_le_bytes([c[0], c[1]]) as u64,
            (2, true) => u16::from_be_bytes([c[0], c[1]]) as u64,
            (_, false) => u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as u64,
            (_, true) => u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as u64,
        };
        let v = (raw >> shift) & mask;
        out.push(if px.signed && v & sign != 0 {
            v as i64 - (mask as i64 + 1)
        } else {
            v as i64
        });
    }
    Ok(out)
}
