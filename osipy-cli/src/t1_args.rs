//! The command line of `osipy t1`: its help text, options and their parser.

use std::path::PathBuf;

use osipy_kernels::Device;

use super::config::T1_KEYS;
use super::demo_args::parse_device_or_auto;
use super::{CliError, Flags, Parsed, Step};

/// Help text of `osipy t1`.
pub const HELP: &str = "\
osipy t1: T1 mapping (variable flip angle SPGR or Look-Locker inversion recovery)

Usage: osipy t1 --input PATH[,PATH..] --out DIR [options]

Reads the volumes (one per flip angle, or one per inversion time for Look-Locker), fits T1
in every voxel of the mask and writes t1.nii.gz (s), r1.nii.gz (/s), s0.nii.gz (a.u.),
status.nii.gz (osipy::t1::T1Status codes: 1 ok, 2 iteration limit, 3 no solution,
4 non-finite data, 5 degenerate, 6 invalid input, 7 masked), mask.nii.gz, the fit quality
maps of the fitted methods (r2, chi2, iterations), PNG figures, provenance.json and report.md
into DIR (built in a hidden sibling folder and renamed into place when everything is
written: a failed run leaves no output). The maps have the input's geometry (affine).

Input:
  --input PATH       a 4-D .nii/.nii.gz or .npy (float64, C order) [x, y, z, volumes], or
                     several 3-D .nii/.nii.gz/.npy, comma-separated, one per volume, or a
                     DICOM folder: one series, or one series per flip angle / inversion time,
                     in the folder or its sub-folders (uncompressed DICOM). Its volumes are
                     told apart by FlipAngle (0018,1314) for the VFA methods, by
                     InversionTime (0018,0082), else TriggerTime (0018,1060), for
                     look-locker; flip angles, TR and times come from the header unless given
                     (flags and --sidecar override it; a count that differs is an error), and
                     the maps keep the DICOM geometry
  --sidecar JSON     BIDS sidecar: FlipAngle (degrees, a list for VFA), RepetitionTimeExcitation
                     or RepetitionTime (s), InversionTime (s, a list, Look-Locker)
                     (default: the single input's name with .json, when it exists)
  --mask MASK        3-D NIfTI or .npy of the input's spatial shape; non-zero voxels are fitted
                     (default: voxels whose samples are finite and not all zero)
Method:
  --method M         nonlinear (default; SPGR signal fitted over S0 and R1), linear (DESPOT1),
                     two-angle (first and last flip angle), look-locker
  --flip-angles A,.. nominal flip angles in degrees, one per volume (VFA; else sidecar FlipAngle)
  --tr S             repetition time in seconds (VFA; else the sidecar's)
  --b1 B1MAP         B1 scale map (actual / nominal flip angle), 3-D NIfTI or .npy (VFA)
  --times T0,T1,..   Look-Locker readout times after the inversion in seconds, one per volume
                     (else sidecar InversionTime)
  --magnitude        Look-Locker: the volumes are magnitude images (default: signed)
Run:
  --out DIR          output folder (required)
  --force            replace DIR if it exists and is not empty
  --device DEV       cpu (default), emulator, cuda, cuda:N or auto (cuda:0 if usable, else cpu)
  --quiet            no progress on stderr and no summary on stdout
  --config FILE      read the settings from a YAML file (keys are the flags without `--`,
                     `_` for `-`); flags on the command line override it
  --dump-defaults    print a YAML file of every setting with its default, and exit
  -h, --help         this text

Look-Locker fits S(t) = a - b exp(-t / T1*) and writes T1 = T1* (b / a - 1), S0 = b - a (the
equilibrium signal, Deichmann and Haase 1992) and the maps t1_star (s), a and b.

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 the output folder exists and is not
empty (use --force).
";

pub use osipy::t1::Method;

/// Options of `osipy t1`.
#[derive(Debug, Clone, PartialEq)]
pub struct T1Options {
    /// The input: one 4-D file, or one 3-D file per volume.
    pub inputs: Vec<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
    /// Replace an existing non-empty output folder.
    pub force: bool,
    /// No progress and no summary.
    pub quiet: bool,
    /// The method.
    pub method: Method,
    /// Nominal flip angles (degrees), one per volume.
    pub flip_angles_deg: Option<Vec<f64>>,
    /// Repetition time (s).
    pub tr_s: Option<f64>,
    /// Look-Locker readout times after the inversion (s).
    pub times_s: Option<Vec<f64>>,
    /// Look-Locker magnitude data.
    pub magnitude: bool,
    /// B1 scale map file.
    pub b1: Option<PathBuf>,
    /// Fit mask file.
    pub mask: Option<PathBuf>,
    /// BIDS sidecar.
    pub sidecar: Option<PathBuf>,
    /// Device, `None` for auto.
    pub device: Option<Device>,
    /// The `--config` file the settings came from (recorded in the provenance).
    pub config: Option<PathBuf>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
}

fn list(flag: &str, v: &str, what: &str, ok: impl Fn(f64) -> bool) -> Result<Vec<f64>, CliError> {
    v.split(',')
        .map(|x| match x.trim().parse::<f64>() {
            Ok(y) if y.is_finite() && ok(y) => Ok(y),
            _ => Err(CliError::Usage(format!(
                "{flag}: expected {what}, found `{x}` in `{v}`"
            ))),
        })
        .collect()
}

/// Parses the arguments after `t1` (after the settings of `--config FILE`, when given).
pub fn parse(args: &[String]) -> Result<Parsed<T1Options>, CliError> {
    let mut input: Option<Vec<PathBuf>> = None;
    let mut out = None;
    let mut o = T1Options {
        inputs: Vec::new(),
        out: PathBuf::new(),
        force: false,
        quiet: false,
        method: Method::Nonlinear,
        flip_angles_deg: None,
        tr_s: None,
        times_s: None,
        magnitude: false,
        b1: None,
        mask: None,
        sidecar: None,
        device: Some(Device::Cpu),
        config: None,
        threads: None,
    };
    let mut flags = Flags::with_config(args, "t1", T1_KEYS)?;
    while let Some((a, flag)) = flags.next_arg() {
        match apply(&mut o, &mut input, &mut out, &mut flags, &a, &flag) {
            Ok(Step::Next) => {}
            Ok(Step::Help) => return Ok(Parsed::Help),
            Ok(Step::Dump) => return Ok(Parsed::DumpDefaults),
            Err(e) => return Err(flags.locate(e)),
        }
    }
    o.inputs = input
        .ok_or_else(|| CliError::Usage("t1: --input is required (or `input` in the --config file)".into()))?;
    o.out =
        out.ok_or_else(|| CliError::Usage("t1: --out is required (or `out` in the --config file)".into()))?;
    if o.method.is_vfa() && o.times_s.is_some() {
        return Err(CliError::Usage(format!(
            "--times: only used by --method look-locker, found --method {}",
            o.method.name()
        )));
    }
    if !o.method.is_vfa() && (o.b1.is_some() || o.flip_angles_deg.is_some()) {
        return Err(CliError::Usage(
            "--method look-locker: --b1 and --flip-angles are for the VFA methods".into(),
        ));
    }
    o.config = flags.config_path();
    Ok(Parsed::Run(o))
}

/// Applies the argument `a` (flag `flag`) to the options.
fn apply(
    o: &mut T1Options,
    input: &mut Option<Vec<PathBuf>>,
    out: &mut Option<PathBuf>,
    flags: &mut Flags<'_>,
    a: &str,
    flag: &str,
) -> Result<Step, CliError> {
    match flag {
        "-h" | "--help" => return Ok(Step::Help),
        "--dump-defaults" => return Ok(Step::Dump),
        "--force" => o.force = true,
        "--quiet" | "-q" => o.quiet = true,
        "--magnitude" => o.magnitude = true,
        "--input" => {
            let v = flags.value("--input")?;
            if v.split(',').any(|p| p.trim().is_empty()) {
                return Err(CliError::Usage(format!(
                    "--input: expected one path or comma-separated paths, found `{v}`"
                )));
            }
            *input = Some(v.split(',').map(|p| PathBuf::from(p.trim())).collect());
        }
        "--out" => *out = Some(flags.out_dir()?),
        "--method" => {
            o.method = match flags.value("--method")?.as_str() {
                "nonlinear" => Method::Nonlinear,
                "linear" | "despot1" => Method::Linear,
                "two-angle" | "two_angle" => Method::TwoAngle,
                "look-locker" | "look_locker" => Method::LookLocker,
                v => {
                    return Err(CliError::Usage(format!(
                        "--method: expected nonlinear, linear, two-angle or look-locker, found `{v}`"
                    )))
                }
            }
        }
        "--flip-angles" => {
            let v = flags.value("--flip-angles")?;
            o.flip_angles_deg = Some(list(
                "--flip-angles",
                &v,
                "comma-separated flip angles in (0, 180) degrees",
                |x| x > 0.0 && x < 180.0,
            )?);
        }
        "--tr" => {
            let v = flags.value("--tr")?;
            o.tr_s = Some(match v.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && x > 0.0 => x,
                _ => {
                    return Err(CliError::Usage(format!(
                        "--tr: expected a repetition time > 0 s, found `{v}`"
                    )))
                }
            });
        }
        "--times" => {
            let v = flags.value("--times")?;
            o.times_s = Some(list("--times", &v, "comma-separated times >= 0 s", |x| x >= 0.0)?);
        }
        "--b1" => o.b1 = Some(PathBuf::from(flags.value("--b1")?)),
        "--mask" => o.mask = Some(PathBuf::from(flags.value("--mask")?)),
        "--sidecar" => o.sidecar = Some(PathBuf::from(flags.value("--sidecar")?)),
        "--device" => o.device = parse_device_or_auto(&flags.value("--device")?)?,
        _ => return Err(CliError::Usage(format!("t1: unknown argument `{a}`"))),
    }
    Ok(Step::Next)
}
