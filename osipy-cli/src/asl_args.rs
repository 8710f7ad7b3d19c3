//! The command line of `osipy asl`: its options, each flag described once (clap derive; the
//! `--config` keys and `--dump-defaults` come from the same definitions).

use std::path::PathBuf;

use clap::Args;

use osipy::asl::{Labelling, Subtraction};

use crate::values::{self, RunArgs};

fn labelling(v: &str) -> Result<Labelling, String> {
    v.parse::<Labelling>()
        .map_err(|_| format!("expected pcasl, casl or pasl, found `{v}`"))
}

fn subtraction(v: &str) -> Result<Subtraction, String> {
    v.parse::<Subtraction>()
        .map_err(|_| format!("expected pairwise, surround or mean, found `{v}`"))
}

/// A time in seconds, with a hint when it looks like milliseconds.
pub(crate) fn seconds(v: &str) -> Result<f64, String> {
    match v.trim().parse::<f64>() {
        Ok(x) if (0.0..=20.0).contains(&x) => Ok(x),
        Ok(x) if x > 20.0 && x < 20000.0 => Err(format!(
            "expected a time in seconds, found `{v}` (milliseconds? {} s)",
            x / 1000.0
        )),
        _ => Err(format!("expected a time in seconds >= 0, found `{v}`")),
    }
}

fn positive(v: &str) -> Result<f64, String> {
    values::number(v, "a number > 0", |x| x > 0.0)
}

fn efficiency(v: &str) -> Result<f64, String> {
    values::number(v, "an efficiency in (0, 1]", |x| x > 0.0 && x <= 1.0)
}

/// The reference tissue of `--m0-reference`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefTissue {
    /// Cerebrospinal fluid.
    Csf,
    /// White matter.
    WhiteMatter,
}

fn ref_tissue(v: &str) -> Result<RefTissue, String> {
    match v {
        "csf" => Ok(RefTissue::Csf),
        "wm" | "white-matter" => Ok(RefTissue::WhiteMatter),
        _ => Err(format!("expected csf or wm, found `{v}`")),
    }
}

/// Help text above the options of `osipy asl --help`.
const ABOUT: &str = "\
ASL perfusion maps: CBF (single PLD) or CBF and arrival time (multi-PLD)

Reads a BIDS ASL series (*_asl.nii[.gz] or .npy with *_aslcontext.tsv and *_asl.json beside
it), subtracts control and label volumes (pairwise, surround or mean; optional rejection of
outlier pairs), calibrates M0 (a *_m0scan image voxel by voxel, the series' m0scan volumes, a
reference region or one value) and quantifies every voxel of the mask (osipy::asl::Perfusion):
one PLD gives CBF by the ASL white paper's equations (Alsop 2015), several the Buxton kinetic
model fitted for CBF and ATT. Writes cbf.nii.gz (ml/100g/min), att.nii.gz (s, multi-PLD),
m0.nii.gz, the quality maps (status: osipy::asl::AslStatus codes 1 ok, 2 iteration limit, 3
not converged, 4 non-finite data, 5 no m0, 7 masked; multi-PLD r2, chi2, iterations),
mask.nii.gz, delta_m.csv, PNG figures, provenance.json and report.md (and report.html, figures embedded) into DIR (built in a
hidden sibling folder and renamed into place when everything is written).";

/// Help text below the options of `osipy asl --help`.
const AFTER: &str = "\
Sidecar keys read (flags override): ArterialSpinLabelingType, PostLabelingDelay (one value or
one per volume; for PASL the inversion time), LabelingDuration (PCASL/CASL),
BolusCutOffDelayTime (PASL, QUIPSS II TI1; the first value of a list), M0Type (Separate,
Included, Estimate with M0Estimate, Absent), BackgroundSuppression and
BackgroundSuppressionNumberPulses (efficiency 0.95 per pulse), SliceTiming (added to each
slice's PLD), MagneticFieldStrength (blood T1: 1.35 s at 1.5 T, 1.65 s at 3 T, 2.09 s at 7
T). The M0 scan's sidecar: RepetitionTimePreparation (else RepetitionTime) for the short-TR
correction. All times in seconds (the Python osipy takes ms).

Every setting can come from a YAML file (--config FILE): its keys are the flags without `--`
(`_` for `-`); flags on the command line override it; --dump-defaults prints every key.

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 the output folder exists and is not
empty (use --force), or another osipy run is writing it (a lock on .DIR.osipy-lock beside it).";

/// Options of `osipy asl`.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(about = "ASL perfusion maps: CBF (single PLD) or CBF and ATT (multi-PLD)", long_about = ABOUT, after_help = AFTER)]
pub struct AslOptions {
    /// A 4-D .nii/.nii.gz or .npy (float64, C order) [x, y, z, volumes], BIDS *_asl
    #[arg(long, value_name = "PATH", required = true, value_parser = values::path_item_parser(), help_heading = "Input")]
    pub input: PathBuf,
    /// The volume types (default: *_aslcontext.tsv beside the input; none: every volume a ΔM)
    #[arg(long, value_name = "TSV", help_heading = "Input")]
    pub context: Option<PathBuf>,
    /// BIDS sidecar (default: the input's name with .json, when it exists)
    #[arg(long, value_name = "JSON", help_heading = "Input")]
    pub sidecar: Option<PathBuf>,
    /// M0: an image (.nii/.nii.gz/.npy, 3-D) or one value (default: *_m0scan beside the
    /// input, else the series' m0scan volumes, else the sidecar's M0Estimate)
    #[arg(long, value_name = "FILE|VALUE", help_heading = "Input")]
    pub m0: Option<String>,
    /// 3-D mask; non-zero voxels are mapped. Default: background left out by Otsu's threshold
    /// on the M0 image (else the mean m0scan, control or every volume); `all`: every finite,
    /// not all-zero voxel
    #[arg(long, value_name = "MASK", help_heading = "Input")]
    pub mask: Option<PathBuf>,

    /// pcasl, casl or pasl (else ArterialSpinLabelingType)
    #[arg(long, value_name = "L", value_parser = labelling, help_heading = "Acquisition")]
    pub labelling: Option<Labelling>,
    /// Post-labelling delays in s: one, or one per volume (else PostLabelingDelay)
    #[arg(long, value_name = "S,..", value_delimiter = ',', value_parser = seconds, help_heading = "Acquisition")]
    pub pld: Option<Vec<f64>>,
    /// Labelling duration (PCASL/CASL) or bolus cut-off time TI1 (PASL), s
    #[arg(long, value_name = "S", value_parser = seconds, help_heading = "Acquisition")]
    pub tau: Option<f64>,
    /// Field strength in T (else MagneticFieldStrength, else 3)
    #[arg(long, value_name = "T", value_parser = positive, help_heading = "Acquisition")]
    pub field: Option<f64>,
    /// Ignore the sidecar's SliceTiming (a 3-D readout)
    #[arg(
        long = "no-slice-timing",
        id = "no_slice_timing",
        help_heading = "Acquisition"
    )]
    pub no_slice_timing: bool,
    /// TR of the M0 scan in s, for the short-TR correction (else the M0 scan's sidecar, or for
    /// m0scan volumes the series' RepetitionTimePreparation; 0: none)
    #[arg(long = "m0-tr", id = "m0_tr", value_name = "S", value_parser = seconds, help_heading = "Acquisition")]
    pub m0_tr: Option<f64>,

    /// pairwise, surround or mean
    #[arg(long, value_name = "S", default_value = "pairwise", value_parser = subtraction, help_heading = "Quantification")]
    pub subtraction: Subtraction,
    /// Reject differences whose brain mean is more than K scaled MADs from their PLD's median
    #[arg(long = "reject-outliers", id = "reject_outliers", value_name = "K", value_parser = positive,
          help_heading = "Quantification")]
    pub reject_outliers: Option<f64>,
    /// M0 from a reference region of the M0 image: csf or wm (needs --m0-region)
    #[arg(long = "m0-reference", id = "m0_reference", value_name = "R", value_parser = ref_tissue,
          requires = "m0_region", help_heading = "Quantification")]
    pub m0_reference: Option<RefTissue>,
    /// The reference region (3-D mask)
    #[arg(
        long = "m0-region",
        id = "m0_region",
        value_name = "MASK",
        help_heading = "Quantification"
    )]
    pub m0_region: Option<PathBuf>,
    /// Multi-PLD PCASL/CASL: fit an arterial macrovascular component too (maps abv, % of the
    /// voxel, and atta, s; needs PLDs shorter than the arterial arrival)
    #[arg(long, help_heading = "Quantification")]
    pub arterial: bool,
    /// Labelling efficiency (default PCASL 0.85, CASL 0.68, PASL 0.98)
    #[arg(long, value_name = "A", value_parser = efficiency, help_heading = "Quantification")]
    pub alpha: Option<f64>,
    /// Background-suppression efficiency (default 0.95^pulses from the sidecar, else 1)
    #[arg(long = "bs-efficiency", id = "bs_efficiency", value_name = "E", value_parser = efficiency,
          help_heading = "Quantification")]
    pub bs_efficiency: Option<f64>,
    /// Blood T1 in s (default by field strength)
    #[arg(long = "t1-blood", id = "t1_blood", value_name = "S", value_parser = positive, help_heading = "Quantification")]
    pub t1_blood: Option<f64>,
    /// Tissue T1 in s (the kinetic model's apparent T1; the M0 short-TR correction)
    #[arg(long = "t1-tissue", id = "t1_tissue", value_name = "S", default_value = "1.33", value_parser = positive,
          help_heading = "Quantification")]
    pub t1_tissue: f64,
    /// Partition coefficient (ml/g)
    #[arg(long, value_name = "L", default_value = "0.9", value_parser = positive, help_heading = "Quantification")]
    pub lambda: f64,

    /// Output, device, threads, progress, configuration.
    #[command(flatten)]
    pub run: RunArgs,
}
