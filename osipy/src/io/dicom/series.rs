//! What a read returns: [`DicomSeries`], with [`TimeSource`] and [`VolumeKey`] saying
//! which attributes ordered and timed its volumes.

use std::path::PathBuf;

use ndarray::Array4;

/// The attribute that ordered the volumes (see [`VolumeOrder`](super::VolumeOrder)).
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
    /// The diffusion b-value ([`DicomSeries::b_value_source`] says which attribute).
    BValue,
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
    /// InstanceNumber, the last resort: the frames are ordered by it and the times count
    /// volumes (`0, 1, 2, ...`), in seconds when TemporalResolution gives `resolution_s`, else
    /// `None` and the caller must scale them.
    InstanceNumber {
        /// The volume duration in seconds, if known.
        resolution_s: Option<f64>,
    },
    /// Volumes ordered by something other than time ([`VolumeOrder::FlipAngle`](super::VolumeOrder::FlipAngle),
    /// [`VolumeOrder::InversionTime`](super::VolumeOrder::InversionTime)) whose frames carry no time attribute: `times_s` is all
    /// zeros.
    Absent,
}

impl TimeSource {
    /// The attribute the times come from, by its DICOM keyword (`"none"` for
    /// [`TimeSource::Single`] and [`TimeSource::Absent`]).
    pub fn attribute(&self) -> &'static str {
        match self {
            TimeSource::Single | TimeSource::Absent => "none",
            TimeSource::Acquisition => "AcquisitionTime",
            TimeSource::Content => "ContentTime",
            TimeSource::Trigger => "TriggerTime",
            TimeSource::TemporalPosition { .. } => "TemporalPositionIdentifier",
            TimeSource::FrameTime => "FrameTime",
            TimeSource::InstanceNumber { .. } => "InstanceNumber",
        }
    }
}

/// A DICOM series read by [`read_series`](super::read_series).
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
    /// Diffusion b-value of each volume in s/mm² (see [`VolumeOrder::BValue`](super::VolumeOrder::BValue)), `None` where the
    /// frames of the volume disagree or lack it.
    pub volume_b_values: Vec<Option<f64>>,
    /// DiffusionGradientOrientation (`0018,9089`) of each volume, `None` where the frames of
    /// the volume disagree or lack it.
    pub volume_b_vectors: Vec<Option<[f64; 3]>>,
    /// The attribute the b-values came from (e.g. `"DiffusionBValue (0018,9087)"`), when every
    /// frame has one and all from the same attribute.
    pub b_value_source: Option<&'static str>,
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
