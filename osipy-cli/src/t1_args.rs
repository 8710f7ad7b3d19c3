//! The command line of `osipy t1`: its options, each flag described once (clap derive; the
//! `--config` keys and `--dump-defaults` come from the same definitions).

use std::path::PathBuf;

use clap::Args;

pub use osipy::t1::Method;

use crate::values::{self, RunArgs};

fn method(v: &str) -> Result<Method, String> {
    match v {
        "despot1" => Ok(Method::Linear),
        _ => v
            .parse::<Method>()
            .map_err(|_| format!("expected nonlinear, linear, two-angle or look-locker, found `{v}`")),
    }
}

/// Help text above the options of `osipy t1 --help`.
const ABOUT: &str = "\
T1 mapping (variable flip angle SPGR or Look-Locker inversion recovery)

Reads the volumes (one per flip angle, or one per inversion time for Look-Locker), maps T1 in
every voxel of the mask (osipy::t1::VolumeFit) and writes t1.nii.gz (s), r1.nii.gz (/s),
s0.nii.gz (a.u.), status.nii.gz (osipy::t1::T1Status codes: 1 ok, 2 iteration limit, 3 no
solution, 4 non-finite data, 5 degenerate, 6 invalid input, 7 masked), mask.nii.gz, the fit
quality maps of the fitted methods (r2, chi2, iterations), PNG figures, provenance.json and
report.md (and report.html, figures embedded) into DIR (built in a hidden sibling folder and renamed into place when everything is
written: a failed run leaves no output). The maps have the input's geometry (affine).";

/// Help text below the options of `osipy t1 --help`.
const AFTER: &str = "\
A DICOM input is one series, or one series per flip angle / inversion time, in the folder or
its sub-folders (uncompressed DICOM). Its volumes are told apart by FlipAngle (0018,1314) for
the VFA methods, by InversionTime (0018,0082), else TriggerTime (0018,1060), for look-locker;
flip angles, TR and times come from the header unless given (flags and --sidecar override it;
a count that differs is an error), and the maps keep the DICOM geometry.

Look-Locker fits S(t) = a - b exp(-t / T1*) and writes T1 = T1* (b / a - 1), S0 = b - a (the
equilibrium signal, Deichmann and Haase 1992) and the maps t1_star (s), a and b.

Every setting can come from a YAML file (--config FILE): its keys are the flags without `--`
(`_` for `-`); flags on the command line override it; --dump-defaults prints every key.

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 the output folder exists and is not
empty (use --force), or another osipy run is writing it (a lock on .DIR.osipy-lock beside it).";

/// Options of `osipy t1`.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(about = "T1 maps from variable flip angle or Look-Locker volumes", long_about = ABOUT, after_help = AFTER)]
pub struct T1Options {
    /// A 4-D .nii/.nii.gz or .npy (float64, C order) [x, y, z, volumes], several 3-D
    /// .nii/.nii.gz/.npy (comma-separated, one per volume), or a DICOM folder
    #[arg(long = "input", id = "input", value_name = "PATH[,PATH..]", required = true,
          value_delimiter = ',', value_parser = values::path_item_parser(), help_heading = "Input")]
    pub inputs: Vec<PathBuf>,
    /// BIDS sidecar: FlipAngle (degrees, a list for VFA), RepetitionTimeExcitation or
    /// RepetitionTime (s), InversionTime (s, a list, Look-Locker) (default: the single input's
    /// name with .json, when it exists)
    #[arg(long, value_name = "JSON", help_heading = "Input")]
    pub sidecar: Option<PathBuf>,
    /// 3-D NIfTI or .npy of the input's spatial shape; non-zero voxels are fitted. Default:
    /// background left out by Otsu's threshold on the first volume; `all`: every voxel whose
    /// samples are finite and not all zero
    #[arg(long, value_name = "MASK", help_heading = "Input")]
    pub mask: Option<PathBuf>,

    /// nonlinear (SPGR signal fitted over S0 and R1), linear (DESPOT1), two-angle (first and
    /// last flip angle), look-locker
    #[arg(long, value_name = "M", default_value = "nonlinear", value_parser = method, help_heading = "Method")]
    pub method: Method,
    /// Nominal flip angles in degrees, one per volume (VFA; else sidecar FlipAngle)
    #[arg(long = "flip-angles", id = "flip_angles", value_name = "A,..", value_delimiter = ',',
          value_parser = values::flip_angle_item, help_heading = "Method")]
    pub flip_angles_deg: Option<Vec<f64>>,
    /// Repetition time in seconds (VFA; else the sidecar's)
    #[arg(long = "tr", id = "tr", value_name = "S", value_parser = values::tr, help_heading = "Method")]
    pub tr_s: Option<f64>,
    /// B1 scale map (actual / nominal flip angle), 3-D NIfTI or .npy (VFA)
    #[arg(long, value_name = "B1MAP", help_heading = "Method")]
    pub b1: Option<PathBuf>,
    /// Look-Locker readout times after the inversion in seconds, one per volume (else sidecar
    /// InversionTime)
    #[arg(long = "times", id = "times", value_name = "T0,T1,..", value_delimiter = ',',
          value_parser = values::readout_time, help_heading = "Method")]
    pub times_s: Option<Vec<f64>>,
    /// Look-Locker: the volumes are magnitude images (default: signed)
    #[arg(long, help_heading = "Method")]
    pub magnitude: bool,

    /// Output, device, threads, progress, configuration.
    #[command(flatten)]
    pub run: RunArgs,
}

impl T1Options {
    /// Checks the flags that belong to one family of methods.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.method.is_vfa() && self.times_s.is_some() {
            return Err(format!(
                "--times: only used by --method look-locker, found --method {}",
                self.method.name()
            ));
        }
        if !self.method.is_vfa() && (self.b1.is_some() || self.flip_angles_deg.is_some()) {
            return Err("--method look-locker: --b1 and --flip-angles are for the VFA methods".into());
        }
        Ok(())
    }
}
