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
//! compressed pixel data through dicom-pixeldata (pure Rust decoders): JPEG Baseline and
//! Extended (`.4.50`, `.4.51`), JPEG Lossless (`.4.57`, `.4.70`), JPEG 2000 (`.4.90`, `.4.91`,
//! openjp2) and RLE Lossless (`.5`). Any other transfer syntax (JPEG-LS, HTJ2K, deflate, video,
//! ...) is an error that
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
//! 5. FrameTimeVector / FrameTime (legacy multi-frame files);
//! 6. InstanceNumber, the last resort: the times count volumes (`0, 1, 2, ...`), in seconds from
//!    TemporalResolution when given.
//!
//! So a key that is the same on every frame (a series start time written as AcquisitionTime and
//! ContentTime of every file) is passed over for the first that varies. A frame without
//! TriggerTime in a series where other frames have one takes 0 ms, as the first frame of a
//! dynamic series written by many scanners and converters carries none (noted in
//! [`DicomSeries::notes`]).
//!
//! The `j`-th frame of every slice forms time point (volume) `j`. [`DicomSeries::times_s`] holds for each
//! time point the earliest time of its frames (the start of the volume), in seconds after that of
//! time point 0; [`DicomSeries::slice_times_s`] the time of every frame `[z, t]` on the same
//! origin. Which key was used is [`DicomSeries::time_source`]; when it is the temporal position
//! or the instance number without a TemporalResolution the times count frames, not seconds (the
//! caller must scale them).
//!
//! # Volumes of other acquisitions: flip angles, inversion times, b-values
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
//! - [`VolumeOrder::BValue`]: by increasing diffusion b-value (s/mm²) for a diffusion (IVIM)
//!   acquisition: DiffusionBValue (`0018,9087`; MR Diffusion functional group `0018,9117` in
//!   enhanced files), else the private attribute of Siemens (`0019,100C`, IS or DS, read as text
//!   where the VR is unknown), GE (`0043,1039`, its first value, modulo 10⁹: GE adds 10⁹ to
//!   some) or Philips (`2001,1003`, FL; little-endian bytes in implicit-VR files), each in the
//!   block of its private creator (`SIEMENS MR HEADER`, `GEMS_PARM_01`, `Philips Imaging DD
//!   001`; block 10 when the group has no creator at all), the first found in each frame
//!   ([`B_VALUE_TAGS`]); every frame needs one
//!   and every slice the same list. Frames of equal b (gradient directions, repetitions) are
//!   separate volumes in the order they were acquired: by InstanceNumber, else acquisition
//!   time, else their place in the files. [`DicomSeries::volume_b_values`],
//!   [`DicomSeries::volume_b_vectors`] (DiffusionGradientOrientation `0018,9089`) and
//!   [`DicomSeries::b_value_source`] give each volume's b-value, direction and the attribute
//!   read.
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
//! # Untrusted input
//!
//! No file makes the reader panic or allocate more than the file justifies. Before the parser
//! (dicom-object, which allocates what an element header declares) sees a file, its element
//! headers are walked (File Meta group, data set, sequences and items of defined and undefined
//! length, encapsulated fragments; both VR styles and byte orders) and every declared length is
//! checked against the bytes that remain; sequences nest at most 64 deep. Rows x Columns x
//! NumberOfFrames x BitsAllocated / 8 is checked against the bytes of native Pixel Data, and
//! for compressed data against [`ReadOptions::max_decoded_bytes`] (default 4 GiB) with at most one
//! frame per fragment, before anything is allocated for it; the JPEG frame headers, JPEG 2000
//! size headers and RLE headers inside the fragments must match Rows, Columns and BitsAllocated
//! before a decoder runs. Dates and times are parsed by dicom-core; a value that does not parse
//! is absent.
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

mod assemble;
mod attributes;
mod codestream;
mod datetime;
mod diffusion;
mod error;
mod files;
mod frames;
mod geometry;
mod header_scan;
mod options;
mod pixels;
mod series;
#[cfg(test)]
mod tests;
mod time_order;

use std::collections::BTreeMap;
use std::path::Path;

pub use diffusion::B_VALUE_TAGS;
pub use error::DicomError;
pub use options::{ReadOptions, VolumeOrder, DEFAULT_MAX_DECODED_BYTES};
pub use series::{DicomSeries, TimeSource, VolumeKey};

use assemble::assemble;
use files::{list_files, read_file, Parsed};
use frames::Image;

/// Implicit VR Little Endian.
pub const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// Explicit VR Big Endian (retired in DICOM, still read).
pub const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
/// JPEG Baseline (Process 1), lossy 8-bit.
pub const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
/// JPEG Extended (Process 2 & 4), lossy 8- or 12-bit.
pub const JPEG_EXTENDED: &str = "1.2.840.10008.1.2.4.51";
/// JPEG Lossless, Non-Hierarchical (Process 14).
pub const JPEG_LOSSLESS: &str = "1.2.840.10008.1.2.4.57";
/// JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1).
pub const JPEG_LOSSLESS_SV1: &str = "1.2.840.10008.1.2.4.70";
/// JPEG 2000 Image Compression (Lossless Only).
pub const JPEG_2000_LOSSLESS: &str = "1.2.840.10008.1.2.4.90";
/// JPEG 2000 Image Compression (lossless or lossy).
pub const JPEG_2000: &str = "1.2.840.10008.1.2.4.91";
/// RLE Lossless.
pub const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// Distance along the slice normal below which two frames are in the same slice, in mm.
const SLICE_TOLERANCE_MM: f64 = 0.01;

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
        match read_file(path, options)? {
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
