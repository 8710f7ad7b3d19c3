//! DICOM series: a reader for a folder of DICOM Part 10 files (one series, single-frame or
//! enhanced multi-frame), built on dicom-rs (`dicom-object`).
//!
//! # Files
//!
//! [`read_series`] looks at every regular file directly in the folder (in sub-folders too, at
//! any depth, with [`ReadOptions::sub_folders`]), in path order, or at the one file when the
//! path is a file. A file is DICOM when it is a DICOM
//! Part 10 file (128-byte preamble, then the magic `DICM`). Other files (text files, raw data
//! sets without the Part 10 header, ...) are skipped, and so are DICOM files without Pixel Data
//! (`7FE0,0010`) such as a DICOMDIR, reports or presentation states; every skipped file is
//! listed in [`DicomSeries::notes`]. A folder without a single DICOM image is an error. The
//! images are grouped by SeriesInstanceUID (`0020,000E`): more than one series is an error that
//! lists them (UID, number, description, file count), unless [`ReadOptions::series_uid`] picks
//! one or [`ReadOptions::combine_series`] reads them all as the volumes of one acquisition
//! (noted in [`DicomSeries::notes`]).
//!
//! # Transfer syntaxes and pixel data
//!
//! Native (uncompressed) pixel data in Implicit VR Little Endian (`1.2.840.10008.1.2`), Explicit
//! VR Little Endian (`1.2.840.10008.1.2.1`) and Explicit VR Big Endian (`1.2.840.10008.1.2.2`);
//! any other transfer syntax (JPEG, JPEG-LS, JPEG 2000, RLE, deflate, video, ...) is an error that
//! names it and the file. Samples: one per pixel (MONOCHROME1/2; colour is refused),
//! BitsAllocated 8, 16 or 32, unsigned or two's-complement signed (PixelRepresentation 0/1), with
//! BitsStored and HighBit honoured (the stored bits are extracted and sign-extended). Float Pixel
//! Data is refused. Each frame is scaled with its own RescaleSlope and RescaleIntercept (`value *
//! slope + intercept`, 1 and 0 when absent; per frame from the Pixel Value Transformation
//! functional group in enhanced files). Private scalings (Philips `2005,100E`) are not applied.
//!
//! # Frames, slices and time points
//!
//! Every frame gets a position (ImagePositionPatient), an orientation (ImageOrientationPatient)
//! and a pixel spacing (PixelSpacing), all required; in enhanced multi-frame files (with a
//! PerFrameFunctionalGroupsSequence) from the per-frame functional groups (Plane Position, Plane
//! Orientation, Pixel Measures), else the shared ones, else the top level. A multi-frame file
//! without per-frame functional groups is taken as frames of one slice at successive times,
//! FrameTimeVector (`0018,1065`) or FrameTime (`0018,1063`) giving their times.
//!
//! Frames are grouped into slices by their distance along the slice normal (`n = row direction x
//! column direction`, the cross product of the two halves of ImageOrientationPatient; distances
//! closer than 0.01 mm are the same slice) and the slices sorted by increasing distance. Every
//! slice must hold the same number of frames `nt`; within a slice the frames are sorted in time
//! by the first of these keys that every frame has and that is different for all frames of each
//! slice:
//!
//! 1. acquisition time: FrameAcquisitionDateTime (enhanced), else AcquisitionDateTime, else
//!    AcquisitionDate + AcquisitionTime (the date only when every frame has one);
//! 2. content time: FrameReferenceDateTime (enhanced), else ContentDate + ContentTime;
//! 3. TriggerTime (ms; NominalCardiacTriggerDelayTime in enhanced files);
//! 4. TemporalPositionIdentifier (TemporalPositionIndex in enhanced files), times in seconds
//!    from TemporalResolution (ms) when given;
//! 5. FrameTimeVector / FrameTime (legacy multi-frame files).
//!
//! The `j`-th frame of every slice forms time point (volume) `j`. [`DicomSeries::times_s`] holds for each
//! time point the earliest time of its frames (the start of the volume), in seconds after that of
//! time point 0; [`DicomSeries::slice_times_s`] the time of every frame `[z, t]` on the same
//! origin. Which key was used is [`DicomSeries::time_source`]; when it is the temporal position
//! without a TemporalResolution the times count frames, not seconds (the caller must scale them).
//!
//! # Volumes of other acquisitions: flip angles, inversion times
//!
//! [`ReadOptions::order`] orders the frames of each slice by another attribute, for the
//! volumes of a T1 mapping acquisition:
//!
//! - [`VolumeOrder::FlipAngle`]: by increasing FlipAngle (`0018,1314`; MR Timing and Related
//!   Parameters functional group in enhanced files), which must be present and different for
//!   all frames of each slice, and the same list at every slice (a variable-flip-angle
//!   acquisition);
//! - [`VolumeOrder::InversionTime`]: by increasing InversionTime (`0018,0082`; InversionTimes
//!   `0018,9079` of the MR Modifier functional group in enhanced files), else, where the
//!   inversion time does not tell the frames apart, by increasing TriggerTime (`0018,1060`;
//!   NominalCardiacTriggerDelayTime in enhanced files), as Look-Locker series that store one
//!   InversionTime and the readout delays as trigger times do. (In cardiac MOLLI series the
//!   trigger time counts from the R wave, not from the inversion: give the times yourself.)
//!
//! Scanners write such an acquisition either as one series (Philips enhanced files, a
//! Look-Locker series) or as one series per flip angle or inversion time (Siemens, GE), in one
//! folder or one sub-folder per series: [`ReadOptions::combine_series`] and
//! [`ReadOptions::sub_folders`] read the latter. [`DicomSeries::volume_key`] says which
//! attribute ordered the volumes, and [`DicomSeries::volume_flip_angles_deg`],
//! [`DicomSeries::volume_repetition_times_s`], [`DicomSeries::volume_inversion_times_s`] and
//! [`DicomSeries::volume_trigger_times_s`] hold each volume's values (`None` where its frames
//! disagree, e.g. slice-dependent inversion times of a multi-slice Look-Locker series, or lack
//! one). The times then come from the first time attribute (in the order above) that every
//! frame has, on the origin of volume 0, and need not increase; [`TimeSource::Absent`] when no
//! frame has one.
//!
//! # Array layout and geometry
//!
//! [`DicomSeries::data`] is `[x, y, z, t]` in C order like `osipy::io::nifti`: `x` is the column
//! index (along a DICOM row), `y` the row index, `z` the slice and `t` the time point, so each
//! voxel's time curve is contiguous. The rows are not flipped. [`DicomSeries::affine`] maps
//! `(x, y, z)` to RAS+ world millimetres (the NIfTI convention): the DICOM LPS affine with
//! columns `row direction * column spacing`, `column direction * row spacing`, the step between
//! the positions of the first and last slice divided by `nz - 1` (so gantry tilt gives a sheared,
//! still exact, affine; SpacingBetweenSlices, else SliceThickness, else 1 mm along the normal for
//! one slice) and the position of slice 0, with its first two rows negated (LPS to RAS, as
//! dcm2niix does). [`DicomSeries::affine_lps`] is the DICOM one. Slice spacing that varies by more
//! than 1 % is noted in [`DicomSeries::notes`].
//!
//! # Errors
//!
//! Every [`DicomError`] is one line that starts with the folder or file and says what was
//! expected and what was found.
//!
//! ```no_run
//! use osipy::io::dicom::{self, ReadOptions};
//!
//! let series = dicom::read_series_with(
//!     std::path::Path::new("exam/dce"),
//!     &ReadOptions { series_uid: None, ..ReadOptions::default() },
//! )?;
//! let [nx, ny, nz, nt] = [0, 1, 2, 3].map(|a| series.data.shape()[a]);
//! println!("{nx} x {ny} x {nz} voxels, {nt} time points, last at {} s", series.times_s[nt - 1]);
//! println!("flip angle {:?} deg, TR {:?} s", series.flip_angle_deg, series.repetition_time_s);
//! for note in &series.notes {
//!     eprintln!("{note}");
//! }
//!
//! // A variable-flip-angle acquisition exported as one sub-folder per flip angle.
//! let vfa = dicom::read_series_with(
//!     std::path::Path::new("exam/vfa"),
//!     &ReadOptions {
//!         order: dicom::VolumeOrder::FlipAngle,
//!         combine_series: true,
//!         sub_folders: true,
//!         ..ReadOptions::default()
//!     },
//! )?;
//! println!("flip angles {:?} deg", vfa.volume_flip_angles_deg);
//! # Ok::<(), osipy::io::dicom::DicomError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use dicom_core::value::{DicomValueType, PrimitiveValue};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::mem::{InMemDicomObject, InMemElement};
use dicom_object::{FileMetaTable, OpenFileOptions};
use ndarray::Array4;

/// Implicit VR Little Endian.
pub const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// Explicit VR Big Endian (retired in DICOM, still read).
pub const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";

/// Distance along the slice normal below which two frames are in the same slice, in mm.
const SLICE_TOLERANCE_MM: f64 = 0.01;

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
    /// The transfer syntax is not one of the three uncompressed ones.
    #[error(
        "{}: unsupported transfer syntax {uid} ({name}): expected Implicit VR Little Endian, \
         Explicit VR Little Endian or Explicit VR Big Endian (uncompressed)",
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
    /// The Pixel Data is shorter than the image attributes need.
    #[error("{}: truncated Pixel Data: expected at least {expected} bytes, found {found}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes needed.
        expected: usize,
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
    /// The series picked with [`ReadOptions::series_uid`] is not in the folder.
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

/// Options of [`read_series_with`]. The default reads the one series directly in the folder as
/// a time series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The SeriesInstanceUID to read when the folder holds several series; `None` reads the only
    /// one (or all of them with [`ReadOptions::combine_series`]) and refuses a folder with
    /// several.
    pub series_uid: Option<String>,
    /// How the volumes (the last axis) are told apart and ordered.
    pub order: VolumeOrder,
    /// Read every series found as the volumes of one acquisition (a variable-flip-angle or
    /// inversion-recovery acquisition exported as one series per flip angle or inversion time).
    /// The series must share the image size, orientation, pixel spacing and slice positions.
    pub combine_series: bool,
    /// Also read the files in sub-folders, at any depth (symbolic links to folders are not
    /// followed), as scanners and PACS export one sub-folder per series.
    pub sub_folders: bool,
}

/// How the volumes of a series (the last axis of [`DicomSeries::data`]) are told apart and
/// ordered within each slice (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VolumeOrder {
    /// By time: acquisition time, content time, TriggerTime, temporal position or frame time,
    /// the first that tells the frames of every slice apart. A dynamic series; the default.
    #[default]
    Time,
    /// By increasing FlipAngle (`0018,1314`, degrees): a variable-flip-angle acquisition.
    FlipAngle,
    /// By increasing InversionTime (`0018,0082`, ms; InversionTimes `0018,9079` of the MR
    /// Modifier functional group in enhanced files), else by increasing TriggerTime
    /// (`0018,1060`, ms), the first that tells the frames of every slice apart: an
    /// inversion-recovery or Look-Locker acquisition.
    InversionTime,
}

/// The attribute that ordered the volumes (see [`VolumeOrder`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeKey {
    /// Time ([`DicomSeries::time_source`] says which attribute), or a single volume.
    Time,
    /// FlipAngle.
    FlipAngle,
    /// InversionTime (InversionTimes in enhanced files).
    InversionTime,
    /// TriggerTime (NominalCardiacTriggerDelayTime in enhanced files), where the inversion
    /// time does not tell the volumes apart.
    TriggerTime,
}

/// Where the time axis of a series comes from (see the module docs for the precedence).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeSource {
    /// One frame per slice: no time axis (`times_s == [0.0]`).
    Single,
    /// Frame acquisition date and time.
    Acquisition,
    /// Content (frame reference) date and time.
    Content,
    /// TriggerTime / NominalCardiacTriggerDelayTime.
    Trigger,
    /// TemporalPositionIdentifier / TemporalPositionIndex; `resolution_s` is TemporalResolution
    /// in seconds when given, else `None` and the times count frames rather than seconds.
    TemporalPosition {
        /// The frame duration in seconds, if known.
        resolution_s: Option<f64>,
    },
    /// FrameTimeVector / FrameTime of a legacy multi-frame file.
    FrameTime,
    /// Volumes ordered by something other than time ([`VolumeOrder::FlipAngle`],
    /// [`VolumeOrder::InversionTime`]) whose frames carry no time attribute: `times_s` is all
    /// zeros.
    Absent,
}

/// A DICOM series read by [`read_series`].
#[derive(Debug, Clone)]
pub struct DicomSeries {
    /// The images, `[x, y, z, t]` (x = column, y = row), C order, rescaled to `f64`.
    pub data: Array4<f64>,
    /// Voxel `(x, y, z)` to RAS+ world coordinates in mm (NIfTI convention).
    pub affine: [[f64; 4]; 4],
    /// Start of each time point in seconds after time point 0 (see [`DicomSeries::time_source`]).
    pub times_s: Vec<f64>,
    /// Time of every frame, `slice_times_s[z][t]`, in seconds on the origin of `times_s`.
    pub slice_times_s: Vec<Vec<f64>>,
    /// Which attribute gave the times.
    pub time_source: TimeSource,
    /// Which attribute ordered the volumes.
    pub volume_key: VolumeKey,
    /// FlipAngle of each volume in degrees, `None` where the frames of the volume disagree or
    /// lack it.
    pub volume_flip_angles_deg: Vec<Option<f64>>,
    /// RepetitionTime of each volume in seconds (DICOM stores ms), `None` where the frames of
    /// the volume disagree or lack it.
    pub volume_repetition_times_s: Vec<Option<f64>>,
    /// InversionTime of each volume in seconds (DICOM stores ms), `None` where the frames of
    /// the volume disagree (slice-dependent timing) or lack it.
    pub volume_inversion_times_s: Vec<Option<f64>>,
    /// TriggerTime of each volume in seconds (DICOM stores ms), `None` where the frames of the
    /// volume disagree or lack it.
    pub volume_trigger_times_s: Vec<Option<f64>>,
    /// Voxel size in mm: column spacing, row spacing, slice step.
    pub voxel_size_mm: [f64; 3],
    /// FlipAngle in degrees (when the same in every frame; `None` without a note when the
    /// volumes are ordered by flip angle: see [`DicomSeries::volume_flip_angles_deg`]).
    pub flip_angle_deg: Option<f64>,
    /// RepetitionTime in seconds (DICOM stores ms).
    pub repetition_time_s: Option<f64>,
    /// EchoTime (EffectiveEchoTime in enhanced files) in seconds (DICOM stores ms).
    pub echo_time_s: Option<f64>,
    /// MagneticFieldStrength in tesla.
    pub field_strength_t: Option<f64>,
    /// SeriesInstanceUID.
    pub series_uid: String,
    /// SeriesDescription (empty when absent).
    pub series_description: String,
    /// SeriesNumber, if present.
    pub series_number: Option<i64>,
    /// The files read, in name order.
    pub files: Vec<PathBuf>,
    /// One-line notes: files skipped and why, values that differ between frames, irregular slice
    /// spacing.
    pub notes: Vec<String>,
}

impl DicomSeries {
    /// The affine in DICOM LPS+ world coordinates (mm).
    pub fn affine_lps(&self) -> [[f64; 4]; 4] {
        let mut a = self.affine;
        for row in a.iter_mut().take(2) {
            for v in row.iter_mut() {
                *v = -*v;
            }
        }
        a
    }
}

/// Reads the one DICOM series of a folder (or a single DICOM file) into a 4D `[x, y, z, t]`
/// array with its geometry, times and acquisition parameters. See the module docs.
pub fn read_series(folder: &Path) -> Result<DicomSeries, DicomError> {
    read_series_with(folder, &ReadOptions::default())
}

/// [`read_series`] with options (the series to pick).
pub fn read_series_with(folder: &Path, options: &ReadOptions) -> Result<DicomSeries, DicomError> {
    let paths = list_files(folder, options.sub_folders)?;
    let mut notes = Vec::new();
    let mut images: Vec<Image> = Vec::new();
    let mut dicom_without_pixels = 0;
    for path in &paths {
        match read_file(path)? {
            Parsed::NotDicom => notes.push(format!("{}: skipped: not a DICOM Part 10 file", path.display())),
            Parsed::NoPixels(what) => {
                dicom_without_pixels += 1;
                notes.push(format!(
                    "{}: skipped: DICOM without Pixel Data ({what})",
                    path.display()
                ));
            }
            Parsed::Image(img) => images.push(*img),
        }
    }
    if images.is_empty() {
        return Err(DicomError::NoDicom {
            path: folder.to_path_buf(),
            files: paths.len(),
            dicom: dicom_without_pixels,
        });
    }

    // Group by series.
    let mut series: BTreeMap<String, Vec<Image>> = BTreeMap::new();
    for img in images {
        series.entry(img.series_uid.clone()).or_default().push(img);
    }
    let list = || -> Vec<String> {
        series
            .iter()
            .map(|(uid, v)| {
                let num = v[0]
                    .series_number
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into());
                let files = if v.len() == 1 { "file" } else { "files" };
                format!(
                    "{uid} (#{num} \"{}\", {} {files})",
                    v[0].series_description,
                    v.len()
                )
            })
            .collect()
    };
    let images = match &options.series_uid {
        Some(uid) => {
            if !series.contains_key(uid) {
                return Err(DicomError::SeriesNotFound {
                    path: folder.to_path_buf(),
                    uid: uid.clone(),
                    list: list(),
                });
            }
            let l = series.len();
            let v = series.remove(uid).unwrap_or_default();
            if l > 1 {
                notes.push(format!(
                    "{}: read series {uid}, {} other series ignored",
                    folder.display(),
                    l - 1
                ));
            }
            v
        }
        None => {
            if series.len() > 1 {
                if !options.combine_series {
                    return Err(DicomError::MixedSeries {
                        path: folder.to_path_buf(),
                        list: list(),
                    });
                }
                notes.push(format!(
                    "{}: combined {} series: {}",
                    folder.display(),
                    series.len(),
                    list().join("; ")
                ));
            }
            series.into_values().flatten().collect()
        }
    };
    assemble(folder, images, notes, options.order)
}

/// The regular files of a folder (and of its sub-folders, at any depth, with `sub_folders`) in
/// path order, or the path itself when it is a file.
fn list_files(folder: &Path, sub_folders: bool) -> Result<Vec<PathBuf>, DicomError> {
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

/// One frame: where it is, when, and how to scale it.
#[derive(Debug, Clone)]
struct Frame {
    /// Index of its image in the series.
    image: usize,
    /// Frame number within the image.
    index: usize,
    ipp: [f64; 3],
    iop: [f64; 6],
    /// PixelSpacing: row spacing, column spacing (mm).
    spacing: [f64; 2],
    slope: f64,
    intercept: f64,
    /// Time keys in precedence order (seconds; the temporal position in frames).
    keys: [Option<f64>; 5],
    flip: Option<f64>,
    tr_ms: Option<f64>,
    te_ms: Option<f64>,
    /// InversionTime (ms).
    ti_ms: Option<f64>,
}

/// One image file, its frames and its pixel data (not yet decoded).
#[derive(Debug)]
struct Image {
    path: PathBuf,
    series_uid: String,
    series_description: String,
    series_number: Option<i64>,
    rows: usize,
    cols: usize,
    frames: Vec<Frame>,
    pixels: PixelData,
    field_t: Option<f64>,
    temporal_resolution_ms: Option<f64>,
    slice_gap_mm: Option<f64>,
}

#[derive(Debug)]
struct PixelData {
    value: PrimitiveValue,
    big_endian: bool,
    bits_allocated: u32,
    bits_stored: u32,
    high_bit: u32,
    signed: bool,
}

enum Parsed {
    NotDicom,
    NoPixels(String),
    Image(Box<Image>),
}

fn transfer_syntax_name(uid: &str) -> &'static str {
    match uid {
        IMPLICIT_VR_LITTLE_ENDIAN => "Implicit VR Little Endian",
        EXPLICIT_VR_LITTLE_ENDIAN => "Explicit VR Little Endian",
        EXPLICIT_VR_BIG_ENDIAN => "Explicit VR Big Endian",
        "1.2.840.10008.1.2.1.99" => "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.4.50" => "JPEG Baseline (Process 1)",
        "1.2.840.10008.1.2.4.51" => "JPEG Extended (Process 2 & 4)",
        "1.2.840.10008.1.2.4.57" => "JPEG Lossless, Non-Hierarchical (Process 14)",
        "1.2.840.10008.1.2.4.70" => "JPEG Lossless, First-Order Prediction",
        "1.2.840.10008.1.2.4.80" => "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81" => "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90" => "JPEG 2000 Lossless",
        "1.2.840.10008.1.2.4.91" => "JPEG 2000",
        "1.2.840.10008.1.2.4.201" | "1.2.840.10008.1.2.4.202" | "1.2.840.10008.1.2.4.203" => {
            "High-Throughput JPEG 2000"
        }
        "1.2.840.10008.1.2.5" => "RLE Lossless",
        "1.2.840.10008.1.2.4.100" | "1.2.840.10008.1.2.4.101" => "MPEG-2",
        "1.2.840.10008.1.2.4.102" | "1.2.840.10008.1.2.4.103" => "MPEG-4 AVC/H.264",
        "1.2.840.10008.1.2.4.107" | "1.2.840.10008.1.2.4.108" => "HEVC/H.265",
        _ => "unknown",
    }
}

fn one_line(s: impl fmt::Display) -> String {
    s.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The parser's error with its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    one_line(s)
}

/// Reads one file: not DICOM, DICOM without pixels, or an image with its frames.
fn read_file(path: &Path) -> Result<Parsed, DicomError> {
    let bytes = std::fs::read(path).map_err(|source| DicomError::Io {
        path: path.to_path_buf(),
        action: "read",
        source,
    })?;
    if bytes.len() < 132 || &bytes[128..132] != b"DICM" {
        return Ok(Parsed::NotDicom);
    }
    let unreadable = |e: &dyn std::error::Error| DicomError::Unreadable {
        path: path.to_path_buf(),
        message: error_chain(e),
    };
    let meta = FileMetaTable::from_reader(&bytes[128..]).map_err(|e| unreadable(&e))?;
    let ts = meta.transfer_syntax().to_string();
    if meta.media_storage_sop_class_uid() == "1.2.840.10008.1.3.10" {
        return Ok(Parsed::NoPixels("a DICOMDIR".into()));
    }
    let big_endian = match ts.as_str() {
        IMPLICIT_VR_LITTLE_ENDIAN | EXPLICIT_VR_LITTLE_ENDIAN => false,
        EXPLICIT_VR_BIG_ENDIAN => true,
        _ => {
            return Err(DicomError::UnsupportedTransferSyntax {
                path: path.to_path_buf(),
                name: transfer_syntax_name(&ts),
                uid: ts,
            })
        }
    };
    let obj = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(&bytes[..])
        .map_err(|e| unreadable(&e))?;
    drop(bytes);
    let mut obj: InMemDicomObject = obj.into_inner();
    let Some(pixel_elem) = obj.take(tags::PIXEL_DATA) else {
        let what = if obj.get(tags::FLOAT_PIXEL_DATA).is_some()
            || obj.get(tags::DOUBLE_FLOAT_PIXEL_DATA).is_some()
        {
            return Err(DicomError::BadTag {
                path: path.to_path_buf(),
                tag: "Pixel Data (7FE0,0010)",
                expected: "integer Pixel Data".into(),
                found: "Float or Double Float Pixel Data".into(),
            });
        } else {
            let sop = str_of(&obj, tags::SOP_CLASS_UID).unwrap_or_default();
            format!("SOP class {sop}")
        };
        return Ok(Parsed::NoPixels(what));
    };
    parse_image(path, &obj, pixel_elem, big_endian).map(|i| Parsed::Image(Box::new(i)))
}

fn str_of(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?;
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!s.is_empty()).then(|| s.to_string())
}

fn f64_of(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    let e = obj.get(tag)?;
    e.to_float64().ok().filter(|v| v.is_finite())
}

fn multi_f64_of(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let v = obj.get(tag)?.to_multi_float64().ok()?;
    (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
}

fn int_of(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.get(tag)?.to_int::<i64>().ok()
}

/// The first item of a sequence.
fn item(obj: &InMemDicomObject, seq: Tag) -> Option<&InMemDicomObject> {
    obj.get(seq)?.items()?.first()
}

/// Where the attributes of one frame are found: the per-frame functional group item, the shared
/// one, and the top level.
struct Scope<'a> {
    per_frame: Option<&'a InMemDicomObject>,
    shared: Option<&'a InMemDicomObject>,
    top: &'a InMemDicomObject,
}

impl<'a> Scope<'a> {
    /// The attribute `tag` inside the functional group `seq` (per-frame first, then shared),
    /// else at the top level.
    fn find(&self, seq: Tag, tag: Tag) -> Option<&'a InMemElement> {
        for g in [self.per_frame, self.shared].into_iter().flatten() {
            if let Some(e) = item(g, seq).and_then(|i| i.get(tag)) {
                return Some(e);
            }
        }
        self.top.get(tag)
    }
    fn f64(&self, seq: Tag, tag: Tag) -> Option<f64> {
        self.find(seq, tag)?.to_float64().ok().filter(|v| v.is_finite())
    }
    fn multi(&self, seq: Tag, tag: Tag) -> Option<Vec<f64>> {
        let v = self.find(seq, tag)?.to_multi_float64().ok()?;
        (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
    }
    fn string(&self, seq: Tag, tag: Tag) -> Option<String> {
        let s = self.find(seq, tag)?.to_str().ok()?;
        let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        (!s.is_empty()).then(|| s.to_string())
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// A DA value `YYYYMMDD` (or `YYYY.MM.DD`) as days since 1970.
fn parse_date(s: &str) -> Option<i64> {
    let d: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    if d.len() != 8 {
        return None;
    }
    let (y, m, dd) = (
        d[0..4].parse().ok()?,
        d[4..6].parse().ok()?,
        d[6..8].parse().ok()?,
    );
    ((1..=12).contains(&m) && (1..=31).contains(&dd)).then(|| days_from_civil(y, m, dd))
}

/// A TM value `HH[MM[SS[.F+]]]` (or `HH:MM:SS.F`) as seconds since midnight.
fn parse_time(s: &str) -> Option<f64> {
    let s: String = s.chars().filter(|c| *c != ':').collect();
    let (int, frac) = match s.find('.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (&s[..], ""),
    };
    if int.is_empty() || int.len() % 2 != 0 || int.len() > 6 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut secs = 0.0;
    for (k, mult) in [3600.0, 60.0, 1.0].iter().enumerate() {
        if int.len() >= 2 * k + 2 {
            secs += int[2 * k..2 * k + 2].parse::<f64>().ok()? * mult;
        }
    }
    if !frac.is_empty() {
        secs += format!("0{frac}").parse::<f64>().ok()?;
    }
    Some(secs)
}

/// A DT value `YYYYMMDDHHMMSS.FFFFFF&ZZXX` as seconds since 1970 (offset ignored).
fn parse_datetime(s: &str) -> Option<f64> {
    let s = s.split(['+', '-']).next()?;
    if s.len() < 8 {
        return None;
    }
    let days = parse_date(&s[..8])?;
    let tod = if s.len() > 8 { parse_time(&s[8..])? } else { 0.0 };
    Some(days as f64 * 86400.0 + tod)
}

/// Date + time as seconds: `(days, time of day)`.
type DateTime = (Option<i64>, Option<f64>);

fn parse_image(
    path: &Path,
    obj: &InMemDicomObject,
    pixel_elem: InMemElement,
    big_endian: bool,
) -> Result<Image, DicomError> {
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
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 1 => n as usize,
            _ => return Err(bad("NumberOfFrames (0028,0008)", "a positive integer", s)),
        },
    };
    let value = match pixel_elem.into_value().into_primitive() {
        Some(v) => v,
        None => {
            return Err(bad(
                "Pixel Data (7FE0,0010)",
                "native (uncompressed) pixel data",
                "encapsulated fragments".into(),
            ))
        }
    };

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
            keys: [acq, content, trigger, temporal, frame_time],
            flip: scope.f64(tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE, tags::FLIP_ANGLE),
            tr_ms: scope.f64(
                tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
                tags::REPETITION_TIME,
            ),
            te_ms,
            ti_ms,
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

    Ok(Image {
        path: path.to_path_buf(),
        series_uid,
        series_description: str_of(obj, tags::SERIES_DESCRIPTION).unwrap_or_default(),
        series_number: int_of(obj, tags::SERIES_NUMBER),
        rows: rows as usize,
        cols: cols as usize,
        frames,
        pixels: PixelData {
            value,
            big_endian,
            bits_allocated: bits_allocated as u32,
            bits_stored: bits_stored as u32,
            high_bit: high_bit as u32,
            signed: pixel_rep == 1,
        },
        field_t: f64_of(obj, tags::MAGNETIC_FIELD_STRENGTH),
        temporal_resolution_ms: f64_of(obj, tags::TEMPORAL_RESOLUTION).filter(|v| *v > 0.0),
        slice_gap_mm,
    })
}

/// Date + time as seconds (the date counts only when present).
fn combine((days, tod): DateTime) -> Option<f64> {
    tod.map(|t| days.unwrap_or(0) as f64 * 86400.0 + t)
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Decodes all samples of an image (all frames) to raw integers.
fn decode(img: &Image) -> Result<Vec<i64>, DicomError> {
    let px = &img.pixels;
    let bytes: Vec<u8> = match &px.value {
        PrimitiveValue::U8(v) => v.to_vec(),
        PrimitiveValue::U16(v) => {
            let mut b = Vec::with_capacity(v.len() * 2);
            for w in v.iter() {
                b.extend_from_slice(&if px.big_endian {
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
                path: img.path.clone(),
                tag: "Pixel Data (7FE0,0010)",
                expected: "OB or OW pixel data".into(),
                found: format!("a {:?} value", other.value_type()),
            })
        }
    };
    let n = img.rows * img.cols * img.frames.len();
    let bps = px.bits_allocated as usize / 8;
    if bytes.len() < n * bps {
        return Err(DicomError::Truncated {
            path: img.path.clone(),
            expected: n * bps,
            found: bytes.len(),
        });
    }
    let shift = px.high_bit + 1 - px.bits_stored;
    let mask: u64 = (1u64 << px.bits_stored) - 1;
    let sign = 1u64 << (px.bits_stored - 1);
    let mut out = Vec::with_capacity(n);
    for c in bytes[..n * bps].chunks_exact(bps) {
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

/// The common value of an optional per-frame quantity, with a note when frames disagree.
fn common(
    frames: &[Frame],
    get: impl Fn(&Frame) -> Option<f64>,
    name: &str,
    folder: &Path,
    notes: &mut Vec<String>,
) -> Option<f64> {
    let first = get(&frames[0]);
    if frames.iter().any(|f| get(f) != first) {
        notes.push(format!(
            "{}: {name} differs between frames; not reported",
            folder.display()
        ));
        return None;
    }
    first
}

/// A key that can order the frames of a slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// One of [`Frame::keys`] (acquisition, content, trigger, temporal position, frame time).
    Time(usize),
    /// FlipAngle (degrees).
    Flip,
    /// InversionTime (s).
    Inversion,
}

impl Key {
    fn value(self, f: &Frame) -> Option<f64> {
        match self {
            Key::Time(k) => f.keys[k],
            Key::Flip => f.flip,
            Key::Inversion => f.ti_ms.map(|v| v / 1000.0),
        }
    }

    /// The attribute, as in the error messages.
    fn name(self) -> &'static str {
        match self {
            Key::Time(0) => "AcquisitionTime",
            Key::Time(1) => "ContentTime",
            Key::Time(2) => "TriggerTime",
            Key::Time(3) => "TemporalPositionIdentifier",
            Key::Time(_) => "FrameTime",
            Key::Flip => "FlipAngle (0018,1314)",
            Key::Inversion => "InversionTime (0018,0082)",
        }
    }

    /// What two frames share when the key cannot tell them apart.
    fn what(self) -> &'static str {
        match self {
            Key::Time(_) => "time",
            Key::Flip => "flip angle",
            Key::Inversion => "inversion time",
        }
    }
}

/// Arranges the frames of one series into `[x, y, z, t]`.
fn assemble(
    folder: &Path,
    mut images: Vec<Image>,
    mut notes: Vec<String>,
    order: VolumeOrder,
) -> Result<DicomSeries, DicomError> {
    images.sort_by(|a, b| a.path.cmp(&b.path));
    let (rows, cols) = (images[0].rows, images[0].cols);
    let first_path = images[0].path.clone();
    let ref_frame = images[0].frames[0].clone();
    let mut frames: Vec<Frame> = Vec::new();
    for (i, img) in images.iter_mut().enumerate() {
        if (img.rows, img.cols) != (rows, cols) {
            return Err(DicomError::Inconsistent {
                path: img.path.clone(),
                first: first_path,
                what: "image size (Rows x Columns)",
                expected: format!("{rows} x {cols}"),
                found: format!("{} x {}", img.rows, img.cols),
            });
        }
        for f in &mut img.frames {
            f.image = i;
            if f.iop
                .iter()
                .zip(&ref_frame.iop)
                .any(|(a, b)| (a - b).abs() > 1e-4)
            {
                return Err(DicomError::Inconsistent {
                    path: img.path.clone(),
                    first: first_path,
                    what: "ImageOrientationPatient",
                    expected: format!("{:?}", ref_frame.iop),
                    found: format!("{:?}", f.iop),
                });
            }
            if f.spacing
                .iter()
                .zip(&ref_frame.spacing)
                .any(|(a, b)| (a - b).abs() > 1e-4 * b.abs().max(1.0))
            {
                return Err(DicomError::Inconsistent {
                    path: img.path.clone(),
                    first: first_path,
                    what: "PixelSpacing",
                    expected: format!("{:?}", ref_frame.spacing),
                    found: format!("{:?}", f.spacing),
                });
            }
            frames.push(f.clone());
        }
    }
    let row_dir = [ref_frame.iop[0], ref_frame.iop[1], ref_frame.iop[2]];
    let col_dir = [ref_frame.iop[3], ref_frame.iop[4], ref_frame.iop[5]];
    let normal = cross(row_dir, col_dir);

    // Slices: sort by distance along the normal, split at gaps.
    let dist = |f: &Frame| dot(normal, f.ipp);
    frames.sort_by(|a, b| dist(a).total_cmp(&dist(b)));
    let mut slices: Vec<Vec<Frame>> = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for f in frames {
        let d = dist(&f);
        if d - last > SLICE_TOLERANCE_MM || slices.is_empty() {
            slices.push(Vec::new());
        }
        last = d;
        if let Some(s) = slices.last_mut() {
            s.push(f);
        }
    }
    let nz = slices.len();
    let nt = slices[0].len();
    let frame_name = |f: &Frame| {
        if images[f.image].frames.len() > 1 {
            format!("{} frame {}", images[f.image].path.display(), f.index + 1)
        } else {
            images[f.image].path.display().to_string()
        }
    };
    for s in &slices {
        if s.len() != nt {
            return Err(DicomError::Layout {
                path: folder.to_path_buf(),
                expected: format!(
                    "the same number of frames at every slice position ({nt} at {:.3} mm)",
                    dist(&slices[0][0])
                ),
                found: format!(
                    "{} at {:.3} mm (e.g. {})",
                    s.len(),
                    dist(&s[0]),
                    frame_name(&s[0])
                ),
            });
        }
    }

    // Volume order: the first candidate key that every frame has and that is different for
    // all frames of each slice.
    let candidates: &[Key] = match order {
        VolumeOrder::Time => &[
            Key::Time(0),
            Key::Time(1),
            Key::Time(2),
            Key::Time(3),
            Key::Time(4),
        ],
        VolumeOrder::FlipAngle => &[Key::Flip],
        VolumeOrder::InversionTime => &[Key::Inversion, Key::Time(2)],
    };
    let mut chosen = None;
    if nt > 1 {
        chosen = candidates.iter().copied().find(|key| {
            slices.iter().all(|s| {
                let mut v: Vec<f64> = Vec::with_capacity(nt);
                for f in s {
                    match key.value(f) {
                        Some(x) => v.push(x),
                        None => return false,
                    }
                }
                v.sort_by(f64::total_cmp);
                v.windows(2).all(|w| w[1] > w[0])
            })
        });
        let Some(key) = chosen else {
            // Name a frame without the first key, else two frames it cannot tell apart.
            let first = candidates[0];
            let without = slices.iter().flatten().find(|f| first.value(f).is_none());
            let found = match without.filter(|_| order != VolumeOrder::Time) {
                Some(f) => format!("a frame without {}: {}", first.name(), frame_name(f)),
                None => {
                    let (a, b) = slices
                        .iter()
                        .find_map(|s| {
                            (0..s.len()).find_map(|a| {
                                (a + 1..s.len())
                                    .find(|&b| first.value(&s[a]) == first.value(&s[b]))
                                    .map(|b| (&s[a], &s[b]))
                            })
                        })
                        .unwrap_or((&slices[0][0], &slices[0][1]));
                    format!(
                        "frames at the same slice and {}, e.g. {} and {}",
                        first.what(),
                        frame_name(a),
                        frame_name(b)
                    )
                }
            };
            let names: Vec<&str> = candidates.iter().map(|k| k.name()).collect();
            let names = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                _ => names.concat(),
            };
            return Err(DicomError::Layout {
                path: folder.to_path_buf(),
                expected: format!("{nt} frames per slice with distinct {names}"),
                found,
            });
        };
        for s in &mut slices {
            s.sort_by(|a, b| {
                key.value(a)
                    .unwrap_or(0.0)
                    .total_cmp(&key.value(b).unwrap_or(0.0))
            });
        }
        // A flip angle is a setting, not a timing: every slice must have the same ones.
        if key == Key::Flip {
            let angles = |s: &[Frame]| -> Vec<f64> { s.iter().map(|f| f.flip.unwrap_or(f64::NAN)).collect() };
            let want = angles(&slices[0]);
            if let Some(s) = slices.iter().find(|s| angles(s) != want) {
                return Err(DicomError::Layout {
                    path: folder.to_path_buf(),
                    expected: format!(
                        "the same flip angles at every slice position ({want:?} degrees at {:.3} mm)",
                        dist(&slices[0][0])
                    ),
                    found: format!(
                        "{:?} degrees at {:.3} mm (e.g. {})",
                        angles(s),
                        dist(&s[0]),
                        frame_name(&s[0])
                    ),
                });
            }
        }
    }
    let volume_key = match chosen {
        Some(Key::Flip) => VolumeKey::FlipAngle,
        Some(Key::Inversion) => VolumeKey::InversionTime,
        Some(Key::Time(2)) if order == VolumeOrder::InversionTime => VolumeKey::TriggerTime,
        _ => VolumeKey::Time,
    };

    // Times: the ordering key for a time series, else the first time key every frame has.
    let time_key = match chosen {
        Some(Key::Time(k)) if order == VolumeOrder::Time => Some(k),
        _ if nt == 1 => None,
        _ => (0..5).find(|&k| slices.iter().flatten().all(|f| f.keys[k].is_some())),
    };
    let temporal_res_s = images[0].temporal_resolution_ms.map(|ms| ms / 1000.0);
    let time_source = match time_key {
        None if nt == 1 => TimeSource::Single,
        None => TimeSource::Absent,
        Some(0) => TimeSource::Acquisition,
        Some(1) => TimeSource::Content,
        Some(2) => TimeSource::Trigger,
        Some(3) => TimeSource::TemporalPosition {
            resolution_s: temporal_res_s,
        },
        Some(_) => TimeSource::FrameTime,
    };
    let time_of = |f: &Frame| -> f64 {
        match time_key {
            None => 0.0,
            Some(3) => f.keys[3].unwrap_or(0.0) * temporal_res_s.unwrap_or(1.0),
            Some(k) => f.keys[k].unwrap_or(0.0),
        }
    };
    let mut vol_start: Vec<f64> = (0..nt)
        .map(|j| {
            slices
                .iter()
                .map(|s| time_of(&s[j]))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let origin = vol_start[0];
    for v in &mut vol_start {
        *v -= origin;
    }
    let slice_times_s: Vec<Vec<f64>> = slices
        .iter()
        .map(|s| s.iter().map(|f| time_of(f) - origin).collect())
        .collect();

    // Acquisition values of each volume.
    let per_volume = |get: &dyn Fn(&Frame) -> Option<f64>, divisor: f64| -> Vec<Option<f64>> {
        (0..nt)
            .map(|j| {
                let v = get(&slices[0][j]);
                slices
                    .iter()
                    .all(|s| get(&s[j]) == v)
                    .then_some(v)
                    .flatten()
                    .map(|x| x / divisor)
            })
            .collect()
    };
    let volume_flip_angles_deg = per_volume(&|f| f.flip, 1.0);
    let volume_repetition_times_s = per_volume(&|f| f.tr_ms, 1000.0);
    let volume_inversion_times_s = per_volume(&|f| f.ti_ms, 1000.0);
    let volume_trigger_times_s = per_volume(&|f| f.keys[2], 1.0);
    if order == VolumeOrder::InversionTime {
        let (name, v) = match volume_key {
            VolumeKey::TriggerTime => ("TriggerTime", &volume_trigger_times_s),
            _ => ("InversionTime", &volume_inversion_times_s),
        };
        if let Some(j) = v.iter().position(Option::is_none) {
            notes.push(format!(
                "{}: {name} differs between the slices of volume {j} (slice-dependent timing); not reported per volume",
                folder.display()
            ));
        }
    }

    // Geometry.
    let p0 = slices[0][0].ipp;
    let step = if nz > 1 {
        let pl = slices[nz - 1][0].ipp;
        let d = (nz - 1) as f64;
        [(pl[0] - p0[0]) / d, (pl[1] - p0[1]) / d, (pl[2] - p0[2]) / d]
    } else {
        let g = images[0].slice_gap_mm.unwrap_or(1.0);
        [normal[0] * g, normal[1] * g, normal[2] * g]
    };
    if nz > 2 {
        let mean = (dist(&slices[nz - 1][0]) - dist(&slices[0][0])) / (nz - 1) as f64;
        let irregular = slices
            .windows(2)
            .any(|w| ((dist(&w[1][0]) - dist(&w[0][0])) - mean).abs() > 0.01 * mean);
        if irregular {
            notes.push(format!(
                "{}: irregular slice spacing (mean {mean:.4} mm); the affine uses the mean",
                folder.display()
            ));
        }
    }
    let (rs, cs) = (ref_frame.spacing[0], ref_frame.spacing[1]);
    let mut affine = [[0.0; 4]; 4];
    for r in 0..3 {
        let sign = if r < 2 { -1.0 } else { 1.0 };
        affine[r] = [
            sign * row_dir[r] * cs,
            sign * col_dir[r] * rs,
            sign * step[r],
            sign * p0[r],
        ];
    }
    affine[3] = [0.0, 0.0, 0.0, 1.0];
    let slice_step = dot(step, step).sqrt();

    // Pixels.
    let mut data = Array4::<f64>::zeros((cols, rows, nz, nt));
    let mut where_: Vec<Vec<(usize, usize, usize)>> = images
        .iter()
        .map(|i| Vec::with_capacity(i.frames.len()))
        .collect();
    for (k, s) in slices.iter().enumerate() {
        for (j, f) in s.iter().enumerate() {
            where_[f.image].push((f.index, k, j));
        }
    }
    // `data` is in standard (C) layout: (c, r, k, j) is at ((c * rows + r) * nz + k) * nt + j.
    let out = data.as_slice_mut().ok_or_else(|| DicomError::Layout {
        path: folder.to_path_buf(),
        expected: "a contiguous output array".into(),
        found: "a non-contiguous one".into(),
    })?;
    for (i, img) in images.iter().enumerate() {
        let raw = decode(img)?;
        let npx = rows * cols;
        for &(idx, k, j) in &where_[i] {
            let (slope, intercept) = (img.frames[idx].slope, img.frames[idx].intercept);
            let frame = &raw[idx * npx..(idx + 1) * npx];
            for r in 0..rows {
                for c in 0..cols {
                    out[((c * rows + r) * nz + k) * nt + j] = frame[r * cols + c] as f64 * slope + intercept;
                }
            }
        }
    }

    let all: Vec<Frame> = slices.into_iter().flatten().collect();
    let flip_angle_deg = if volume_key == VolumeKey::FlipAngle {
        None
    } else {
        common(&all, |f| f.flip, "FlipAngle", folder, &mut notes)
    };
    let repetition_time_s =
        common(&all, |f| f.tr_ms, "RepetitionTime", folder, &mut notes).map(|v| v / 1000.0);
    let echo_time_s = common(&all, |f| f.te_ms, "EchoTime", folder, &mut notes).map(|v| v / 1000.0);
    let field = images[0].field_t;
    let field_strength_t = if images.iter().all(|i| i.field_t == field) {
        field
    } else {
        notes.push(format!(
            "{}: MagneticFieldStrength differs between files; not reported",
            folder.display()
        ));
        None
    };

    Ok(DicomSeries {
        data,
        affine,
        times_s: vol_start,
        slice_times_s,
        time_source,
        volume_key,
        volume_flip_angles_deg,
        volume_repetition_times_s,
        volume_inversion_times_s,
        volume_trigger_times_s,
        voxel_size_mm: [cs, rs, slice_step],
        flip_angle_deg,
        repetition_time_s,
        echo_time_s,
        field_strength_t,
        series_uid: images[0].series_uid.clone(),
        series_description: images[0].series_description.clone(),
        series_number: images[0].series_number,
        files: images.iter().map(|i| i.path.clone()).collect(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    //! Files written by dicom-rs itself (`InMemDicomObject` + `FileMetaTableBuilder` +
    //! `write_to_file`) in the three supported transfer syntaxes; the byte-level encoder of
    //! `tests/tests/dicom_io.rs` covers the rest.

    use super::*;
    use dicom_core::{DataElement, VR};
    use dicom_object::FileMetaTableBuilder;

    fn write(dir: &Path, name: &str, ts: &str, z: usize, t: usize, signed: bool) {
        let el = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
        let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
        let mut obj = InMemDicomObject::from_element_iter([
            el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
            el(tags::SOP_INSTANCE_UID, VR::UI, &format!("1.2.3.{z}.{t}")),
            el(
                tags::ACQUISITION_TIME,
                VR::TM,
                &format!("2359{:02}.5", 50 + 5 * t),
            ),
            el(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3"),
            el(
                tags::IMAGE_POSITION_PATIENT,
                VR::DS,
                &format!("0\\0\\{}", -4.0 * z as f64),
            ),
            el(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0"),
            el(tags::PIXEL_SPACING, VR::DS, "2\\3"),
            el(tags::RESCALE_SLOPE, VR::DS, "0.5"),
            el(tags::RESCALE_INTERCEPT, VR::DS, &format!("{}", t)),
            el(tags::FLIP_ANGLE, VR::DS, "20"),
            us(tags::ROWS, 2),
            us(tags::COLUMNS, 3),
            us(tags::BITS_ALLOCATED, 16),
            us(tags::BITS_STORED, 16),
            us(tags::HIGH_BIT, 15),
            us(tags::PIXEL_REPRESENTATION, signed as u16),
        ]);
        let values: Vec<i16> = (0..6)
            .map(|i| (i as i16 - 2) * (1 + z as i16) * (1 + t as i16))
            .collect();
        let px = if signed {
            DataElement::new(
                tags::PIXEL_DATA,
                VR::OW,
                PrimitiveValue::I16(values.into_iter().collect()),
            )
        } else {
            let v: Vec<u16> = values.iter().map(|v| (v + 100) as u16).collect();
            DataElement::new(
                tags::PIXEL_DATA,
                VR::OW,
                PrimitiveValue::U16(v.into_iter().collect()),
            )
        };
        obj.put(px);
        let file = obj
            .with_meta(FileMetaTableBuilder::new().transfer_syntax(ts))
            .unwrap();
        file.write_to_file(dir.join(name)).unwrap();
    }

    #[test]
    fn files_written_by_dicom_rs() {
        for (n, ts) in [
            IMPLICIT_VR_LITTLE_ENDIAN,
            EXPLICIT_VR_LITTLE_ENDIAN,
            EXPLICIT_VR_BIG_ENDIAN,
        ]
        .into_iter()
        .enumerate()
        {
            for signed in [false, true] {
                let dir = std::env::temp_dir()
                    .join(format!("osipy-dicom-unit-{n}-{signed}-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).unwrap();
                for (i, (z, t)) in [(1, 1), (0, 0), (1, 0), (0, 1)].into_iter().enumerate() {
                    write(&dir, &format!("f{i}"), ts, z, t, signed);
                }
                let ser = read_series(&dir).unwrap();
                assert_eq!(ser.data.shape(), &[3, 2, 2, 2]);
                // Normal +z; z = -4 (file z = 1) comes first.
                for k in 0..2 {
                    let z = 1 - k;
                    for t in 0..2 {
                        for r in 0..2 {
                            for c in 0..3 {
                                let v = ((r * 3 + c) as f64 - 2.0) * (1 + z) as f64 * (1 + t) as f64;
                                let stored = if signed { v } else { v + 100.0 };
                                let want = stored * 0.5 + t as f64;
                                assert_eq!(ser.data[[c, r, k, t]], want, "{ts} {signed} ({c},{r},{k},{t})");
                            }
                        }
                    }
                }
                assert_eq!(ser.times_s, vec![0.0, 5.0]);
                assert_eq!(ser.affine[2], [0.0, 0.0, 4.0, -4.0]);
                assert_eq!(ser.affine[0], [-3.0, 0.0, 0.0, -0.0]);
                assert_eq!(ser.flip_angle_deg, Some(20.0));
                std::fs::remove_dir_all(&dir).unwrap();
            }
        }
    }

    #[test]
    fn date_and_time_parsing() {
        assert_eq!(parse_time("235959.5"), Some(86399.5));
        assert_eq!(parse_time("10:20:30.25"), Some(37230.25));
        assert_eq!(parse_time("1020"), Some(37200.0));
        assert_eq!(parse_time("1x"), None);
        assert_eq!(parse_date("19700102"), Some(1));
        assert_eq!(parse_date("20000301"), Some(11017));
        assert_eq!(parse_datetime("19700102000001.5+0100"), Some(86401.5));
        assert_eq!(parse_datetime("19700101"), Some(0.0));
    }
}
