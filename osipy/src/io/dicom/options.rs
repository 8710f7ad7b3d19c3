//! [`ReadOptions`]: which series to read, how to order its volumes, what to cap.

/// Options of [`read_series_with`](super::read_series_with). The default reads the one series directly in the folder as
/// a time series.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The most bytes the pixel data of one compressed file may decode to (rows x columns x
    /// frames x bytes per sample), checked before anything is decoded or allocated. Default
    /// [`DEFAULT_MAX_DECODED_BYTES`] (4 GiB). Uncompressed pixel data need no cap: what they
    /// declare is checked against the bytes the file holds.
    pub max_decoded_bytes: u64,
}

/// The default of [`ReadOptions::max_decoded_bytes`]: 4 GiB.
pub const DEFAULT_MAX_DECODED_BYTES: u64 = 4 << 30;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            series_uid: None,
            order: VolumeOrder::default(),
            combine_series: false,
            sub_folders: false,
            max_decoded_bytes: DEFAULT_MAX_DECODED_BYTES,
        }
    }
}

/// How the volumes of a series (the last axis of [`DicomSeries::data`](super::DicomSeries::data)) are told apart and
/// ordered within each slice (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VolumeOrder {
    /// By time: acquisition time, content time, TriggerTime, temporal position, frame time or
    /// InstanceNumber, the first that tells the frames of every slice apart. A dynamic series; the default.
    #[default]
    Time,
    /// By increasing FlipAngle (`0018,1314`, degrees): a variable-flip-angle acquisition.
    FlipAngle,
    /// By increasing InversionTime (`0018,0082`, ms; InversionTimes `0018,9079` of the MR
    /// Modifier functional group in enhanced files), else by increasing TriggerTime
    /// (`0018,1060`, ms), the first that tells the frames of every slice apart: an
    /// inversion-recovery or Look-Locker acquisition.
    InversionTime,
    /// By increasing diffusion b-value (s/mm²): DiffusionBValue (`0018,9087`; MR Diffusion
    /// functional group `0018,9117` in enhanced files), else the Siemens (`0019,100C`), GE
    /// (`0043,1039`, first value) or Philips (`2001,1003`) private attribute; frames of equal b
    /// (gradient directions) in the order they were acquired: a diffusion (IVIM) acquisition.
    BValue,
}
