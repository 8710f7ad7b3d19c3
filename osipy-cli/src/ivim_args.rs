//! The command line of `osipy ivim`: its options, each flag described once (clap derive; the
//! `--config` keys and `--dump-defaults` come from the same definitions).

use std::path::PathBuf;

use clap::Args;

use osipy::ivim::Method;

use crate::values::{self, RunArgs};

fn method(v: &str) -> Result<Method, String> {
    v.parse::<Method>()
        .map_err(|_| format!("expected segmented, full or bayesian, found `{v}`"))
}

/// How the Rician noise floor is handled on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RicianArg {
    /// Not handled.
    None,
    /// Every sample corrected.
    Correction,
    /// The noise floor in the full fit's model.
    Floor,
}

fn rician(v: &str) -> Result<RicianArg, String> {
    match v {
        "none" => Ok(RicianArg::None),
        "correction" => Ok(RicianArg::Correction),
        "floor" => Ok(RicianArg::Floor),
        _ => Err(format!("expected none, correction or floor, found `{v}`")),
    }
}

fn b_threshold(v: &str) -> Result<f64, String> {
    values::number(v, "a b-value > 0 (s/mm²)", |x| x > 0.0 && x < 1e5)
}

fn steps(v: &str) -> Result<u32, String> {
    match v.trim() {
        "2" => Ok(2),
        "3" => Ok(3),
        _ => Err(format!("expected 2 or 3, found `{v}`")),
    }
}

fn nodes(v: &str) -> Result<u32, String> {
    match v.trim().parse::<u32>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err(format!("expected 1 to 64 nodes per axis, found `{v}`")),
    }
}

fn sigma(v: &str) -> Result<f64, String> {
    values::number(v, "a noise SD > 0 (the input's units)", |x| x > 0.0)
}

/// Help text above the options of `osipy ivim --help`.
const ABOUT: &str = "\
IVIM maps (D, D*, f, S0, f·D*) from a diffusion-weighted series

Reads a 4-D diffusion series (NIfTI or .npy [x, y, z, volume]) with its b-values (an FSL bval
file, default: the input's name with .bval, as FSL and BIDS name it) and optionally b-vectors
(bvec, checked against the b-values), or a DICOM folder (sub-folders and several series read as
one acquisition) with the b-values in its headers (DiffusionBValue 0018,9087, else the Siemens
0019,100C, GE 0043,1039 or Philips 2001,1003 private tag; a --bval given must agree within 1e-6
relative) and the directions in DiffusionGradientOrientation (0018,9089), combines the directions of each b-value (geometric mean:
the trace-weighted signal) and the b = 0 volumes (mean), divides every voxel by its b = 0 mean,
fits S(b) = S0 (f exp(-b D*) + (1 - f) exp(-b D)) in every voxel of the mask
(osipy::ivim::Fit: segmented, full or bayesian) and writes d.nii.gz, dstar.nii.gz (mm²/s),
f.nii.gz, s0.nii.gz, fdstar.nii.gz (mm²/s), the Bayesian posterior SDs (*_sd), the quality maps
(status: osipy::ivim::IvimStatus codes 1 ok, 2 not converged, 3 failed, 4 non-finite data, 5
non-positive signal, 7 masked; full: r2, chi2, iterations, at_bound), mask.nii.gz, the combined
b-values (bvalues.csv), PNG figures (maps; a few voxels' signals and fits on a log axis),
provenance.json and report.md (and report.html, figures embedded) into DIR (built in a hidden sibling folder and renamed into place
when everything is written: a failed run leaves no output). The maps have the input's geometry.";

/// Help text below the options of `osipy ivim --help`.
const AFTER: &str = "\
Methods: segmented (D from the log-linear fit of b >= --threshold, 200 s/mm² by default as the
Python osipy; then, with --steps 3, f from the line's intercept and D* alone; with --steps 2,
S0, f and D* together), full (bounded Levenberg-Marquardt of all four from the segmented
result), bayesian (posterior means and SDs by quadrature; priors: f and D uniform on their
bounds, D* log-uniform, S0 flat, noise SD Jeffreys).

Bounds: S0 [0.5, 1.5] x the b = 0 mean, f [0, 1], D [0, 0.005] mm²/s, D* [0.005, 0.2] mm²/s.

Every setting can come from a YAML file (--config FILE): its keys are the flags without `--`
(`_` for `-`); flags on the command line override it; --dump-defaults prints every key.

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 the output folder exists and is not
empty (use --force), or another osipy run is writing it (a lock on .DIR.osipy-lock beside it).";

/// Options of `osipy ivim`.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(about = "IVIM maps (D, D*, f, S0) from a diffusion-weighted series", long_about = ABOUT, after_help = AFTER)]
pub struct IvimOptions {
    /// A 4-D .nii/.nii.gz or .npy (float64, C order) [x, y, z, volume], or a DICOM folder
    #[arg(long, value_name = "PATH", required = true, value_parser = values::path_item_parser(), help_heading = "Input")]
    pub input: PathBuf,
    /// FSL bval file: one b-value (s/mm²) per volume (default: the input's name with .bval;
    /// DICOM: the headers')
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub bval: Option<PathBuf>,
    /// FSL bvec file: 3 rows (or one row per volume) of unit vectors (default: the input's
    /// name with .bvec, when it exists)
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub bvec: Option<PathBuf>,
    /// 3-D NIfTI or .npy of the input's spatial shape; non-zero voxels are mapped. Default:
    /// background left out by Otsu's threshold on the b = 0 image; `all`: every voxel whose
    /// volumes are all finite and not all zero
    #[arg(long, value_name = "MASK", help_heading = "Input")]
    pub mask: Option<PathBuf>,

    /// segmented, full or bayesian
    #[arg(long, value_name = "M", default_value = "full", value_parser = method, help_heading = "Fit")]
    pub method: Method,
    /// The b-value (s/mm²) from which the segmented fit takes D
    #[arg(long, value_name = "B", default_value = "200", value_parser = b_threshold, help_heading = "Fit")]
    pub threshold: f64,
    /// Steps of the segmented fit: 3 (f from the intercept, then D*) or 2 (f and D* together)
    #[arg(long, value_name = "N", default_value = "3", value_parser = steps, help_heading = "Fit")]
    pub steps: u32,
    /// Rician noise floor: none, correction (each sample sqrt(M² - 2 sigma²)) or floor (the
    /// full fit's model sqrt(S² + 2 sigma²)); needs --sigma
    #[arg(long, value_name = "R", default_value = "none", value_parser = rician, help_heading = "Fit")]
    pub rician: RicianArg,
    /// Noise SD of each channel, in the input's units (for --rician)
    #[arg(long, value_name = "SIGMA", value_parser = sigma, help_heading = "Fit")]
    pub sigma: Option<f64>,
    /// Quadrature nodes per axis of the Bayesian posterior
    #[arg(long, value_name = "N", default_value = "15", value_parser = nodes, help_heading = "Fit")]
    pub nodes: u32,

    /// Output, device, threads, progress, configuration.
    #[command(flatten)]
    pub run: RunArgs,
}
