//! The command line of `osipy dce`: its options, each flag described once (clap derive; the
//! `--config` keys and `--dump-defaults` come from the same definitions).

use std::path::PathBuf;

use clap::Args;
use osipy::dce::AifInterpolation;

pub use osipy::dce::Model;

use crate::values::{self, RunArgs};

/// What the input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Concentration (mM).
    Concentration,
    /// SPGR signal (arbitrary units).
    Signal,
}

impl Kind {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Concentration => "concentration",
            Kind::Signal => "signal",
        }
    }
}

fn kind(v: &str) -> Result<Kind, String> {
    match v {
        "concentration" => Ok(Kind::Concentration),
        "signal" => Ok(Kind::Signal),
        _ => Err(format!("expected concentration or signal, found `{v}`")),
    }
}

fn interp(v: &str) -> Result<AifInterpolation, String> {
    match v {
        "linear" => Ok(AifInterpolation::Linear),
        "spline" => Ok(AifInterpolation::Spline),
        _ => Err(format!("expected linear or spline, found `{v}`")),
    }
}

fn model(v: &str) -> Result<Model, String> {
    v.parse::<Model>()
        .map_err(|_| format!("expected tofts, extended_tofts, patlak, 2cxm or 2cum, found `{v}`"))
}

/// Help text above the options of `osipy dce --help`.
const ABOUT: &str = "\
Fit a pharmacokinetic model to a 4-D DCE-MRI series

Reads a 4-D series (NIfTI .nii/.nii.gz, a DICOM folder, or a .npy array [x, y, z, t]),
converts signal to concentration when asked, builds the arterial input, fits the model to
every voxel of the mask with data-driven starts (osipy::dce::VolumeFit), and writes one NIfTI
map per parameter, quality maps (r2, chi2, iterations, status, at_bound), the mask, the AIF
(aif.csv), PNG figures, provenance.json and report.md (and report.html, figures embedded) into DIR (built in a hidden sibling
folder and renamed into place when everything is written: a failed run leaves no output).";

/// Help text below the options of `osipy dce --help`.
const AFTER: &str = "\
Time axis (first found wins): --times, --dt, the sidecar's FrameTimesStart or VolumeTiming, the
DICOM frame times, the NIfTI pixdim[4] with the header's time unit. The axis is shifted to start
at 0 s; it must be strictly increasing with one time per frame.

Every setting can come from a YAML file (--config FILE): its keys are the flags without `--`
(`_` for `-`); flags on the command line override it; --dump-defaults prints every key.

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 the output folder exists and is not
empty (use --force), or another osipy run is writing it (a lock on .DIR.osipy-lock beside it).";

/// Options of `osipy dce`.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(about = "Fit a pharmacokinetic model to a 4-D DCE series", long_about = ABOUT, after_help = AFTER)]
pub struct DceOptions {
    /// 4-D .nii/.nii.gz, DICOM folder (or file) or .npy (float64, C order) [x, y, z, t]
    #[arg(long, value_name = "PATH", required = true, help_heading = "Input")]
    pub input: PathBuf,
    /// What the input holds: concentration (mM) or signal (SPGR; needs T1, flip angle, TR,
    /// relaxivity)
    #[arg(long, value_name = "KIND", default_value = "concentration", value_parser = kind, help_heading = "Input")]
    pub kind: Kind,
    /// DICOM: the SeriesInstanceUID to read when the folder (or its sub-folders, searched with
    /// this flag) holds several series
    #[arg(long, value_name = "UID", value_parser = values::series_uid, help_heading = "Input")]
    pub series: Option<String>,
    /// BIDS sidecar (default: the input's name with .json, when it exists)
    #[arg(long, value_name = "JSON", help_heading = "Input")]
    pub sidecar: Option<PathBuf>,
    /// 3-D NIfTI or .npy of the input's spatial shape; non-zero voxels are fitted. Default:
    /// background left out by Otsu's threshold on the mean baseline signal (--baseline frames;
    /// a concentration input: the mean over all frames); `all`: every finite, not all-zero curve
    #[arg(long, value_name = "MASK", help_heading = "Input")]
    pub mask: Option<PathBuf>,

    /// Frame start times in seconds, comma-separated
    #[arg(long, value_name = "T0,T1,..", value_delimiter = ',', value_parser = values::frame_time,
          help_heading = "Time axis")]
    pub times: Option<Vec<f64>>,
    /// Frame spacing in seconds (frames at 0, S, 2S, ..)
    #[arg(long, value_name = "S", value_parser = values::spacing, help_heading = "Time axis")]
    pub dt: Option<f64>,

    /// parker, georgiou, mcgrath, weinmann, fritz-hansen (population curves; blood curves become
    /// plasma with --hct); FILE.npy (1-D) or FILE.csv (one column, optional header; a header
    /// naming a plasma_mM or blood_mM column gives that column), one value per frame (blood
    /// unless the header says plasma); mask:MASK (the mean curve of the arterial voxels of a
    /// 3-D mask, blood); auto (osipy::aif::detect_aif over the fit mask, blood)
    #[arg(
        long,
        value_name = "AIF",
        default_value = "parker",
        help_heading = "Arterial input"
    )]
    pub aif: String,
    /// Bolus arrival time of a population AIF (s)
    #[arg(long = "aif-delay", id = "aif_delay", value_name = "S", default_value = "0",
          allow_negative_numbers = true, value_parser = values::seconds, help_heading = "Arterial input")]
    pub aif_delay_s: f64,
    /// The AIF between its samples: linear (the OSIPI convention) or spline (natural cubic
    /// spline: less bias for a sharp bolus sampled every few seconds); the convolutions are
    /// exact for either
    #[arg(long = "aif-interp", id = "aif_interp", value_name = "I", default_value = "linear",
          value_parser = interp, help_heading = "Arterial input")]
    pub aif_interp: AifInterpolation,
    /// Haematocrit for blood -> plasma
    #[arg(long, value_name = "H", default_value = "0.42", value_parser = values::hct, help_heading = "Arterial input")]
    pub hct: f64,

    /// tofts, extended_tofts, patlak, 2cxm, 2cum (a `_delay` suffix is --delay)
    #[arg(long, value_name = "MODEL", default_value = "extended_tofts", value_parser = model, help_heading = "Model")]
    pub model: Model,
    /// Also fit an arterial delay (s, bounds [-10, 10]; starts from a 1-s grid)
    #[arg(long = "delay", id = "delay", help_heading = "Model")]
    pub fit_delay: bool,

    /// Pre-contrast T1: seconds, or a 3-D NIfTI/.npy map (s)
    #[arg(
        long,
        value_name = "T1",
        help_heading = "Signal to concentration (--kind signal)"
    )]
    pub t1: Option<String>,
    /// Flip angle in degrees (else sidecar FlipAngle, DICOM FlipAngle)
    #[arg(long = "flip-angle", id = "flip_angle", value_name = "DEG", value_parser = values::flip_angle,
          help_heading = "Signal to concentration (--kind signal)")]
    pub flip_angle_deg: Option<f64>,
    /// Repetition time in seconds (else sidecar RepetitionTimeExcitation or RepetitionTime,
    /// DICOM RepetitionTime)
    #[arg(long = "tr", id = "tr", value_name = "S", value_parser = values::tr,
          help_heading = "Signal to concentration (--kind signal)")]
    pub tr_s: Option<f64>,
    /// Longitudinal relaxivity in /s/mM (else sidecar ContrastAgentRelaxivity)
    #[arg(long, value_name = "R1", value_parser = values::relaxivity,
          help_heading = "Signal to concentration (--kind signal)")]
    pub relaxivity: Option<f64>,
    /// Number of pre-contrast frames
    #[arg(long, value_name = "N", default_value = "5", value_parser = values::frames,
          help_heading = "Signal to concentration (--kind signal)")]
    pub baseline: usize,
    /// The known equilibrium signal S0 (M0, a.u.), used instead of estimating it from the
    /// baseline frames: a number > 0, or a 3-D NIfTI/.npy map of the input's spatial shape
    /// (finite and > 0 in the mask)
    #[arg(
        long,
        value_name = "S0",
        allow_negative_numbers = true,
        help_heading = "Signal to concentration (--kind signal)"
    )]
    pub s0: Option<String>,

    /// Output, device, threads, progress, configuration.
    #[command(flatten)]
    pub run: RunArgs,
}
