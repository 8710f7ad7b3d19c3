//! One image file: its attributes checked, its frames (where, when, how to scale) and its
//! pixel data read.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;
use dicom_object::FileDicomObject;

use super::attributes::{f64_of, int_of, item, multi_f64_of, str_of, Scope};
use super::codestream::{self, Codec, Expected};
use super::datetime::{combine, parse_date, parse_datetime, parse_time, DateTime};
use super::diffusion::b_value;
use super::files::transfer_syntax_name;
use super::header_scan::Syntax;
use super::pixels::{decode_compressed, native_bytes, PixelData};
use super::{DicomError, ReadOptions};

/// One frame: where it is, when, and how to scale it.
#[derive(Debug, Clone)]
pub(super) struct Frame {
    /// Index of its image in the series.
    pub image: usize,
    /// Frame number within the image.
    pub index: usize,
    pub ipp: [f64; 3],
    pub iop: [f64; 6],
    /// PixelSpacing: row spacing, column spacing (mm).
    pub spacing: [f64; 2],
    pub slope: f64,
    pub intercept: f64,
    /// Time keys in precedence order (see `time_order`; seconds, the temporal position and the
    /// instance number as given).
    pub keys: [Option<f64>; 6],
    pub flip: Option<f64>,
    pub tr_ms: Option<f64>,
    pub te_ms: Option<f64>,
    /// InversionTime (ms).
    pub ti_ms: Option<f64>,
    /// Diffusion b-value (s/mm²) and the attribute it came from (see [`b_value`]).
    pub b: Option<(f64, &'static str)>,
    /// DiffusionGradientOrientation (`0018,9089`).
    pub b_vector: Option<[f64; 3]>,
}

/// One image file, its frames and its pixel data (not yet decoded to numbers).
#[derive(Debug)]
pub(super) struct Image {
    pub path: PathBuf,
    pub series_uid: String,
    pub series_description: String,
    pub series_number: Option<i64>,
    pub rows: usize,
    pub cols: usize,
    pub frames: Vec<Frame>,
    pub pixels: PixelData,
    pub field_t: Option<f64>,
    pub temporal_resolution_ms: Option<f64>,
    pub slice_gap_mm: Option<f64>,
}

/// The attributes of an image file, checked; its frames; its pixel data (compressed data
/// decoded).
pub(super) fn parse_image(
    path: &Path,
    mut file: FileDicomObject<InMemDicomObject>,
    syntax: Syntax,
    options: &ReadOptions,
) -> Result<Image, DicomError> {
    let obj: &InMemDicomObject = &file;
    let missing = |tag: &'static str, expected: &'static str| DicomError::MissingTag {
        path: path.to_path_buf(),
        tag,
        expected,
    };
    let bad = |tag: &'static str, expected: &str, found: String| DicomError::BadTag {
        path: path.to_path_buf(),
        tag,
        expected: expected.to_string(),
        found,
    };
    let series_uid = str_of(obj, tags::SERIES_INSTANCE_UID)
        .ok_or_else(|| missing("SeriesInstanceUID (0020,000E)", "the series the image belongs to"))?;
    let rows = int_of(obj, tags::ROWS).ok_or_else(|| missing("Rows (0028,0010)", "the image height"))?;
    let cols = int_of(obj, tags::COLUMNS).ok_or_else(|| missing("Columns (0028,0011)", "the image width"))?;
    if rows < 1 || cols < 1 {
        return Err(bad(
            "Rows/Columns (0028,0010/0011)",
            "at least 1 x 1",
            format!("{rows} x {cols}"),
        ));
    }
    let samples = int_of(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    if samples != 1 {
        return Err(bad(
            "SamplesPerPixel (0028,0002)",
            "1 (greyscale)",
            samples.to_string(),
        ));
    }
    let bits_allocated = int_of(obj, tags::BITS_ALLOCATED)
        .ok_or_else(|| missing("BitsAllocated (0028,0100)", "8, 16 or 32"))?;
    if ![8, 16, 32].contains(&bits_allocated) {
        return Err(bad(
            "BitsAllocated (0028,0100)",
            "8, 16 or 32",
            bits_allocated.to_string(),
        ));
    }
    let bits_stored = int_of(obj, tags::BITS_STORED).unwrap_or(bits_allocated);
    if bits_stored < 1 || bits_stored > bits_allocated {
        return Err(bad(
            "BitsStored (0028,0101)",
            &format!("1 to BitsAllocated = {bits_allocated}"),
            bits_stored.to_string(),
        ));
    }
    let high_bit = int_of(obj, tags::HIGH_BIT).unwrap_or(bits_stored - 1);
    if high_bit < bits_stored - 1 || high_bit >= bits_allocated {
        return Err(bad(
            "HighBit (0028,0102)",
            &format!("{} to {}", bits_stored - 1, bits_allocated - 1),
            high_bit.to_string(),
        ));
    }
    let pixel_rep = int_of(obj, tags::PIXEL_REPRESENTATION)
        .ok_or_else(|| missing("PixelRepresentation (0028,0103)", "0 (unsigned) or 1 (signed)"))?;
    if pixel_rep != 0 && pixel_rep != 1 {
        return Err(bad(
            "PixelRepresentation (0028,0103)",
            "0 or 1",
            pixel_rep.to_string(),
        ));
    }
    let nframes = match str_of(obj, tags::NUMBER_OF_FRAMES) {
        None => 1,
        Some(s) => match s.parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(bad("NumberOfFrames (0028,0008)", "a positive integer", s)),
        },
    };
    // What the attributes declare, checked before anything is allocated for it: against the
    // bytes of native Pixel Data (so against the file), else against the cap on decoding.
    let bytes_per_sample = bits_allocated as u64 / 8;
    let needed = rows as u128 * cols as u128 * nframes as u128 * bytes_per_sample as u128;
    let pixel_elem = obj.get(tags::PIXEL_DATA);
    let fragments = pixel_elem.and_then(|e| e.value().fragments()).map(<[_]>::len);
    if syntax.compressed {
        if needed > options.max_decoded_bytes as u128 {
            return Err(DicomError::OverCap {
                path: path.to_path_buf(),
                rows: rows as u64,
                cols: cols as u64,
                frames: nframes,
                bytes_per_sample,
                needed,
                cap: options.max_decoded_bytes,
            });
        }
        let Some(fragments) = fragments else {
            return Err(bad(
                "Pixel Data (7FE0,0010)",
                "encapsulated fragments (the transfer syntax is compressed)",
                "native pixel data".into(),
            ));
        };
        if nframes > fragments as u64 {
            return Err(bad(
                "NumberOfFrames (0028,0008)",
                &format!(
                    "at most one frame per fragment of the compressed Pixel Data ({fragments} fragments)"
                ),
                nframes.to_string(),
            ));
        }
        let ts = file.meta().transfer_syntax();
        let want = Expected {
            rows: rows as u64,
            cols: cols as u64,
            bits_allocated: bits_allocated as u64,
            frames: nframes as usize,
        };
        let frags = pixel_elem.and_then(|e| e.value().fragments()).unwrap_or_default();
        if let Some(codec) = Codec::of(ts) {
            codestream::check(codec, frags, &want).map_err(|found| DicomError::BadTag {
                path: path.to_path_buf(),
                tag: "Pixel Data (7FE0,0010)",
                expected: format!(
                    "{} data of {rows} x {cols} pixels, one sample of {bits_allocated} bits",
                    transfer_syntax_name(ts)
                ),
                found,
            })?;
        }
    } else {
        if fragments.is_some() {
            return Err(bad(
                "Pixel Data (7FE0,0010)",
                "native (uncompressed) pixel data",
                "encapsulated fragments".into(),
            ));
        }
        let found = pixel_elem
            .and_then(|e| e.value().primitive())
            .map(|v| v.calculate_byte_len())
            .unwrap_or(0);
        if (found as u128) < needed {
            return Err(DicomError::Truncated {
                path: path.to_path_buf(),
                expected: needed,
                found,
            });
        }
    }
    // Bounded by the file (native) or by the cap and the fragments (compressed).
    let nframes = nframes as usize;

    let shared = item(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let per_frame_items = obj
        .get(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .and_then(|e| e.items());
    if let Some(items) = per_frame_items {
        if items.len() != nframes {
            return Err(bad(
                "PerFrameFunctionalGroupsSequence (5200,9230)",
                &format!("one item per frame (NumberOfFrames = {nframes})"),
                format!("{} items", items.len()),
            ));
        }
    }
    let enhanced = per_frame_items.is_some();
    let legacy_multi = !enhanced && nframes > 1;
    let legacy_times: Option<Vec<f64>> = if legacy_multi {
        if let Some(v) = multi_f64_of(obj, tags::FRAME_TIME_VECTOR) {
            if v.len() != nframes {
                return Err(bad(
                    "FrameTimeVector (0018,1065)",
                    &format!("{nframes} values (NumberOfFrames)"),
                    format!("{} values", v.len()),
                ));
            }
            let mut acc = 0.0;
            Some(
                v.iter()
                    .enumerate()
                    .map(|(i, d)| {
                        if i > 0 {
                            acc += d / 1000.0;
                        }
                        acc
                    })
                    .collect(),
            )
        } else if let Some(ft) = f64_of(obj, tags::FRAME_TIME) {
            Some((0..nframes).map(|i| i as f64 * ft / 1000.0).collect())
        } else {
            return Err(missing(
                "FrameTime (0018,1063) or FrameTimeVector (0018,1065)",
                "the frame times of a multi-frame file without per-frame functional groups",
            ));
        }
    } else {
        None
    };

    let top_acq: DateTime = (
        str_of(obj, tags::ACQUISITION_DATE).and_then(|s| parse_date(&s)),
        str_of(obj, tags::ACQUISITION_TIME).and_then(|s| parse_time(&s)),
    );
    let top_acq_dt = str_of(obj, tags::ACQUISITION_DATE_TIME).and_then(|s| parse_datetime(&s));
    let top_content: DateTime = (
        str_of(obj, tags::CONTENT_DATE).and_then(|s| parse_date(&s)),
        str_of(obj, tags::CONTENT_TIME).and_then(|s| parse_time(&s)),
    );

    let mut frames = Vec::with_capacity(nframes);
    for index in 0..nframes {
        let scope = Scope {
            per_frame: per_frame_items.map(|it| &it[index]),
            shared,
            top: obj,
        };
        let ipp = scope
            .multi(tags::PLANE_POSITION_SEQUENCE, tags::IMAGE_POSITION_PATIENT)
            .ok_or_else(|| {
                missing(
                    "ImagePositionPatient (0020,0032)",
                    "the position of each frame (3 numbers)",
                )
            })?;
        let iop = scope
            .multi(tags::PLANE_ORIENTATION_SEQUENCE, tags::IMAGE_ORIENTATION_PATIENT)
            .ok_or_else(|| {
                missing(
                    "ImageOrientationPatient (0020,0037)",
                    "the orientation of each frame (6 numbers)",
                )
            })?;
        let spacing = scope
            .multi(tags::PIXEL_MEASURES_SEQUENCE, tags::PIXEL_SPACING)
            .ok_or_else(|| missing("PixelSpacing (0028,0030)", "the row and column spacing in mm"))?;
        if ipp.len() != 3 {
            return Err(bad(
                "ImagePositionPatient (0020,0032)",
                "3 numbers",
                format!("{ipp:?}"),
            ));
        }
        let norm = |v: &[f64]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        if iop.len() != 6 || (norm(&iop[..3]) - 1.0).abs() > 1e-2 || (norm(&iop[3..]) - 1.0).abs() > 1e-2 {
            return Err(bad(
                "ImageOrientationPatient (0020,0037)",
                "6 numbers, two unit vectors",
                format!("{iop:?}"),
            ));
        }
        if spacing.len() != 2 || spacing.iter().any(|s| *s <= 0.0) {
            return Err(bad(
                "PixelSpacing (0028,0030)",
                "2 positive numbers (mm)",
                format!("{spacing:?}"),
            ));
        }
        let slope = scope
            .f64(tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE, tags::RESCALE_SLOPE)
            .unwrap_or(1.0);
        let intercept = scope
            .f64(tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE, tags::RESCALE_INTERCEPT)
            .unwrap_or(0.0);

        let frame_acq = if enhanced {
            scope
                .string(tags::FRAME_CONTENT_SEQUENCE, tags::FRAME_ACQUISITION_DATE_TIME)
                .and_then(|s| parse_datetime(&s))
        } else {
            None
        };
        let acq = frame_acq.or(top_acq_dt).or_else(|| combine(top_acq));
        let frame_ref = if enhanced {
            scope
                .string(tags::FRAME_CONTENT_SEQUENCE, tags::FRAME_REFERENCE_DATE_TIME)
                .and_then(|s| parse_datetime(&s))
        } else {
            None
        };
        let content = frame_ref.or_else(|| combine(top_content));
        let trigger = scope
            .f64(
                tags::CARDIAC_SYNCHRONIZATION_SEQUENCE,
                tags::NOMINAL_CARDIAC_TRIGGER_DELAY_TIME,
            )
            .filter(|_| enhanced)
            .or_else(|| f64_of(obj, tags::TRIGGER_TIME))
            .map(|ms| ms / 1000.0);
        let temporal = scope
            .f64(tags::FRAME_CONTENT_SEQUENCE, tags::TEMPORAL_POSITION_INDEX)
            .filter(|_| enhanced)
            .or_else(|| f64_of(obj, tags::TEMPORAL_POSITION_IDENTIFIER));
        let frame_time = legacy_times.as_ref().map(|t| t[index]);
        let instance = f64_of(obj, tags::INSTANCE_NUMBER);
        let te_ms = scope
            .f64(tags::MR_ECHO_SEQUENCE, tags::EFFECTIVE_ECHO_TIME)
            .or_else(|| f64_of(obj, tags::ECHO_TIME));
        let ti_ms = scope
            .f64(tags::MR_MODIFIER_SEQUENCE, tags::INVERSION_TIMES)
            .filter(|_| enhanced)
            .or_else(|| f64_of(obj, tags::INVERSION_TIME));
        frames.push(Frame {
            image: 0,
            index,
            ipp: [ipp[0], ipp[1], ipp[2]],
            iop: [iop[0], iop[1], iop[2], iop[3], iop[4], iop[5]],
            spacing: [spacing[0], spacing[1]],
            slope,
            intercept,
            keys: [acq, content, trigger, temporal, frame_time, instance],
            flip: scope.f64(tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE, tags::FLIP_ANGLE),
            tr_ms: scope.f64(
                tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
                tags::REPETITION_TIME,
            ),
            te_ms,
            ti_ms,
            b: b_value(&scope),
            b_vector: scope
                .multi(tags::MR_DIFFUSION_SEQUENCE, tags::DIFFUSION_GRADIENT_ORIENTATION)
                .filter(|v| v.len() == 3)
                .map(|v| [v[0], v[1], v[2]]),
        });
    }
    let first = Scope {
        per_frame: per_frame_items.map(|it| &it[0]),
        shared,
        top: obj,
    };
    let slice_gap_mm = first
        .f64(tags::PIXEL_MEASURES_SEQUENCE, tags::SPACING_BETWEEN_SLICES)
        .or_else(|| first.f64(tags::PIXEL_MEASURES_SEQUENCE, tags::SLICE_THICKNESS))
        .filter(|v| *v > 0.0);

    let image = Image {
        path: path.to_path_buf(),
        series_uid,
        series_description: str_of(obj, tags::SERIES_DESCRIPTION).unwrap_or_default(),
        series_number: int_of(obj, tags::SERIES_NUMBER),
        rows: rows as usize,
        cols: cols as usize,
        frames,
        pixels: PixelData {
            bytes: Vec::new(),
            big_endian: syntax.big_endian,
            bits_allocated: bits_allocated as u32,
            bits_stored: bits_stored as u32,
            high_bit: high_bit as u32,
            signed: pixel_rep == 1,
        },
        field_t: f64_of(obj, tags::MAGNETIC_FIELD_STRENGTH),
        temporal_resolution_ms: f64_of(obj, tags::TEMPORAL_RESOLUTION).filter(|v| *v > 0.0),
        slice_gap_mm,
    };
    let bytes = if syntax.compressed {
        let ts = file.meta().transfer_syntax().to_string();
        decode_compressed(path, &file, transfer_syntax_name(&ts))?
    } else {
        match file.take(tags::PIXEL_DATA).map(|e| e.into_value()) {
            Some(v) => match v.primitive() {
                Some(p) => native_bytes(path, p, syntax.big_endian)?,
                None => Vec::new(),
            },
            None => Vec::new(),
        }
    };
    Ok(Image {
        pixels: PixelData {
            bytes,
            ..image.pixels
        },
        ..image
    })
}
