//! The command line of `osipy dsc`: its options, each flag described once (clap derive; the
//! `--config` keys and `--dump-defaults` come from the same definitions).

use std::path::PathBuf;

use clap::Args;

use osipy::dsc::{Discretisation, Echo, Leakage, Method};

use crate::values::{self, RunArgs};

fn method(v: &str) -> Result<Method, String> {
    v.parse::<Method>()
        .map_err(|_| format!("expected ssvd, csvd, osvd or tikhonov, found `{v}`"))
}

fn leakage(v: &str) -> Result<Leakage, String> {
    v.parse::<Leakage>()
        .map_err(|_| format!("expected none, bsw or bidirectional, found `{v}`"))
}

fn discretisation(v: &str) -> Result<Discretisation, String> {
    v.parse::<Discretisation>()
        .map_err(|_| format!("expected linear or rectangle, found `{v}`"))
}

fn echo(v: &str) -> Result<Echo, String> {
    v.parse::<Echo>()
        .map_err(|_| format!("expected gradient or spin, found `{v}`"))
}

/// An echo time in seconds, with a hint when it looks like milliseconds.
pub(crate) fn te(v: &str) -> Result<f64, String> {
    match v.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        Ok(x) if (1.0..1000.0).contains(&x) => Err(format!(
            "expected an echo time in seconds in (0, 1), found `{v}` (milliseconds? {} s)",
            x / 1000.0
        )),
        _ => Err(format!("expected an echo time in seconds in (0, 1), found `{v}`")),
    }
}

/// Baseline frames `A:B` (frames A to B-1, from 0).
fn frames(v: &str) -> Result<(usize, usize), String> {
    let bad = || format!("expected baseline frames FIRST:END (END excluded, from 0), found `{v}`");
    let (a, b) = v.split_once(':').ok_or_else(bad)?;
    let a: usize = a.trim().parse().map_err(|_| bad())?;
    let b: usize = b.trim().parse().map_err(|_| bad())?;
    if b <= a {
        return Err(bad());
    }
    Ok((a, b))
}

fn threshold(v: &str) -> Result<f64, String> {
    values::number(v, "a relative threshold in (0, 1)", |x| x > 0.0 && x < 1.0)
}

fn positive(v: &str) -> Result<f64, String> {
    values::number(v, "a number > 0", |x| x > 0.0)
}

fn non_negative(v: &str) -> Result<f64, String> {
    values::number(v, "a number >= 0", |x| x >= 0.0)
}

fn count(v: &str) -> Result<usize, String> {
    match v.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("expected a number of voxels >= 1, found `{v}`")),
    }
}

/// Help text above the options of `osipy dsc --help`.
const ABOUT: &str = "\
DSC-MRI perfusion maps (CBF, CBV, MTT, TTP, Tmax) by SVD deconvolution

Reads a DSC signal series (or a concentration series with --input-kind concentration),
converts it voxel by voxel to concentration (-ln(S/S0)/TE over the tissue relaxivity), takes
the AIF from a file, an arterial mask or automatic detection, deconvolves every voxel of the
mask (osipy::dsc::Analysis: sSVD, cSVD, oSVD or Tikhonov) and writes cbf.nii.gz (ml/100g/min),
cbv.nii.gz (ml/100g), mtt.nii.gz (s), ttp.nii.gz (s), tmax.nii.gz (s), the quality maps (r2,
status: osipy::dsc::DscStatus codes 1 ok, 2 no flow, 3 no volume, 4 non-finite data, 7
masked; oSVD: components), mask.nii.gz, the AIF (aif.csv), PNG figures, provenance.json and
report.md (and report.html, figures embedded) into DIR (built in a hidden sibling folder and renamed into place when everything is
written: a failed run leaves no output). The maps have the input's geometry.";

/// Help text below the options of `osipy dsc --help`.
const AFTER: &str = "\
Time axis: --times, else --tr (the frame interval), else the sidecar's RepetitionTime, else
DICOM frame times, else the NIfTI header's pixdim[4]. The frames must be evenly spaced (the SVD
deconvolutions need it; an uneven series is refused). TE: --te, else the sidecar's EchoTime,
else DICOM EchoTime.

Defaults from the literature: sSVD threshold 0.2 (Ostergaard 1996), cSVD 0.1 and oSVD target
oscillation index 0.035 (Wu 2003), Tikhonov lambda 0.1 of the largest singular value; density
1.04 g/ml and kH = (1 - 0.45) / (1 - 0.25) (Rempp 1994). --density 1 --kh 1 give ml/100ml.

Every setting can come from a YAML file (--config FILE): its keys are the flags without `--`
(`_` for `-`); flags on the command line override it; --dump-defaults prints every key.

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 the output folder exists and is not
empty (use --force), or another osipy run is writing it (a lock on .DIR.osipy-lock beside it).";

/// What the input series holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// DSC signal (a.u.).
    Signal,
    /// Concentration (or ΔR2*).
    Concentration,
}

fn input_kind(v: &str) -> Result<InputKind, String> {
    match v {
        "signal" => Ok(InputKind::Signal),
        "concentration" | "conc" => Ok(InputKind::Concentration),
        _ => Err(format!("expected signal or concentration, found `{v}`")),
    }
}

/// Options of `osipy dsc`.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(about = "DSC perfusion maps (CBF, CBV, MTT, TTP, Tmax) by SVD deconvolution", long_about = ABOUT, after_help = AFTER)]
pub struct DscOptions {
    /// A 4-D .nii/.nii.gz, .npy (float64, C order) [x, y, z, t] or a DICOM folder
    #[arg(long, value_name = "PATH", required = true, value_parser = values::path_item_parser(), help_heading = "Input")]
    pub input: PathBuf,
    /// DICOM: the SeriesInstanceUID to read (sub-folders searched)
    #[arg(long, value_name = "UID", value_parser = values::series_uid, help_heading = "Input")]
    pub series: Option<String>,
    /// What the input holds: signal (a.u.) or concentration
    #[arg(long = "input-kind", id = "input_kind", value_name = "K", default_value = "signal",
          value_parser = input_kind, help_heading = "Input")]
    pub input_kind: InputKind,
    /// BIDS sidecar: EchoTime (s), RepetitionTime (s) (default: the input's name with .json,
    /// when it exists)
    #[arg(long, value_name = "JSON", help_heading = "Input")]
    pub sidecar: Option<PathBuf>,
    /// 3-D NIfTI or .npy of the input's spatial shape; non-zero voxels are mapped. Default:
    /// background left out by Otsu's threshold on the mean baseline signal (--baseline, else
    /// the first 3 frames; a concentration input: the mean over all frames); `all`: every
    /// finite, not all-zero curve (with a positive baseline for a signal)
    #[arg(long, value_name = "MASK", help_heading = "Input")]
    pub mask: Option<PathBuf>,

    /// Echo time in seconds (else sidecar EchoTime or DICOM)
    #[arg(long = "te", id = "te", value_name = "S", value_parser = te, help_heading = "Acquisition")]
    pub te_s: Option<f64>,
    /// Frame interval in seconds (else sidecar RepetitionTime, DICOM or NIfTI times)
    #[arg(long = "tr", id = "tr", value_name = "S", value_parser = values::tr, help_heading = "Acquisition")]
    pub tr_s: Option<f64>,
    /// Frame times in seconds, one per frame (evenly spaced)
    #[arg(long, value_name = "T0,T1,..", value_delimiter = ',', value_parser = values::frame_time,
          help_heading = "Acquisition")]
    pub times: Option<Vec<f64>>,
    /// gradient (ΔR2*) or spin (ΔR2) echo
    #[arg(long, value_name = "E", default_value = "gradient", value_parser = echo, help_heading = "Acquisition")]
    pub echo: Echo,
    /// Baseline frames FIRST:END (END excluded; default: detected before the bolus arrives)
    #[arg(long, value_name = "A:B", value_parser = frames, help_heading = "Acquisition")]
    pub baseline: Option<(usize, usize)>,
    /// Tissue relaxivity: ΔR = K C (/s/mM; 1 gives concentration in ΔR units)
    #[arg(long = "kappa-tissue", id = "kappa_tissue", value_name = "K", default_value = "1",
          value_parser = values::relaxivity, help_heading = "Acquisition")]
    pub kappa_tissue: f64,
    /// Arterial (blood) relaxivity, linear term (/s/mM)
    #[arg(long = "kappa-arterial", id = "kappa_arterial", value_name = "K", default_value = "1",
          value_parser = values::relaxivity, help_heading = "Acquisition")]
    pub kappa_arterial: f64,
    /// Arterial relaxivity, quadratic term (/s/mM^2; Kjolby 2006, 1.5 T GE: 7.6 and 0.574)
    #[arg(long = "kappa-arterial-quadratic", id = "kappa_arterial_quadratic", value_name = "Q",
          default_value = "0", value_parser = non_negative, help_heading = "Acquisition")]
    pub kappa_arterial_quadratic: f64,

    /// The AIF: auto (detected), or a file: one value per frame (.npy, one-column text/CSV, or a
    /// NIfTI holding one curve), arterial signal or concentration (--aif-kind)
    #[arg(long, value_name = "auto|FILE", default_value = "auto", help_heading = "AIF")]
    pub aif: String,
    /// What an AIF file holds: signal (converted with the arterial relaxivity and the series'
    /// baseline) or concentration (default: like the input)
    #[arg(long = "aif-kind", id = "aif_kind", value_name = "K", value_parser = input_kind, help_heading = "AIF")]
    pub aif_kind: Option<InputKind>,
    /// An arterial mask (3-D); its voxels' mean arterial concentration is the AIF
    #[arg(long = "aif-mask", id = "aif_mask", value_name = "MASK", help_heading = "AIF")]
    pub aif_mask: Option<PathBuf>,
    /// Voxels of an automatic AIF
    #[arg(long = "aif-voxels", id = "aif_voxels", value_name = "N", default_value = "10",
          value_parser = count, help_heading = "AIF")]
    pub aif_voxels: usize,
    /// Partial-volume scaling of the AIF by a venous output function: none, auto (the sinus
    /// detected), or a venous mask (3-D)
    #[arg(
        long,
        value_name = "none|auto|MASK",
        default_value = "none",
        help_heading = "AIF"
    )]
    pub vof: String,

    /// ssvd, csvd, osvd or tikhonov
    #[arg(long, value_name = "M", default_value = "osvd", value_parser = method, help_heading = "Deconvolution")]
    pub method: Method,
    /// sSVD/cSVD truncation threshold relative to the largest singular value (default 0.2 /
    /// 0.1)
    #[arg(long, value_name = "P", value_parser = threshold, help_heading = "Deconvolution")]
    pub threshold: Option<f64>,
    /// oSVD target oscillation index
    #[arg(long = "oscillation-index", id = "oscillation_index", value_name = "OI", default_value = "0.035",
          value_parser = positive, help_heading = "Deconvolution")]
    pub oscillation_index: f64,
    /// Tikhonov lambda relative to the largest singular value
    #[arg(long, value_name = "L", default_value = "0.1", value_parser = positive, help_heading = "Deconvolution")]
    pub lambda: f64,
    /// The convolution as a matrix: linear (both curves linear between frames; less biased) or
    /// rectangle (the rule of Ostergaard 1996 and most SVD codes)
    #[arg(long, value_name = "D", default_value = "linear", value_parser = discretisation,
          help_heading = "Deconvolution")]
    pub discretisation: Discretisation,
    /// Brain density (g/ml)
    #[arg(long, value_name = "RHO", default_value = "1.04", value_parser = positive, help_heading = "Deconvolution")]
    pub density: f64,
    /// Haematocrit correction kH = (1 - Hct_large) / (1 - Hct_small)
    #[arg(long, value_name = "KH", default_value = "0.7333333333333333", value_parser = positive,
          help_heading = "Deconvolution")]
    pub kh: f64,
    /// Leakage correction: none, bsw (Boxerman-Schmainda-Weisskoff) or bidirectional
    #[arg(long, value_name = "L", default_value = "none", value_parser = leakage, help_heading = "Deconvolution")]
    pub leakage: Leakage,
    /// CBV from gamma-variate fits of the first passes (recirculation removed)
    #[arg(long = "first-pass", id = "first_pass", help_heading = "Deconvolution")]
    pub first_pass: bool,
    /// A reference region (3-D mask, e.g. normal-appearing white matter): adds rcbv and rcbf
    #[arg(long, value_name = "MASK", help_heading = "Deconvolution")]
    pub reference: Option<PathBuf>,

    /// Output, device, threads, progress, configuration.
    #[command(flatten)]
    pub run: RunArgs,
}
