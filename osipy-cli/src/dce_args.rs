//! The command line of `osipy dce`: its help text, options and their parser.

use std::path::PathBuf;

use osipy_kernels::Device;

use osipy::dce::AifInterpolation;

use super::config::DCE_KEYS;
use super::demo_args::parse_device_or_auto;
use super::{CliError, Flags, Parsed, Step};

/// Help text of `osipy dce`.
pub const HELP: &str = "\
osipy dce: fit a pharmacokinetic model to a 4-D DCE-MRI series

Usage: osipy dce --input PATH --out DIR [options]

Reads a 4-D series (NIfTI .nii/.nii.gz, a DICOM folder, or a .npy array [x, y, z, t]),
converts signal to concentration when asked, builds the arterial input, fits the model to
every voxel of the mask with data-driven starts, and writes one NIfTI map per parameter,
quality maps (r2, chi2, iterations, status, at_bound), the mask, the AIF (aif.csv), PNG
figures, provenance.json and report.md into DIR (built in a hidden sibling folder and renamed
into place when everything is written: a failed run leaves no output).

Input:
  --input PATH       4-D .nii/.nii.gz, DICOM folder (or file) or .npy (float64, C order)
  --kind KIND        concentration (mM; default) or signal (SPGR; needs T1, flip angle, TR,
                     relaxivity)
  --series UID       DICOM: the SeriesInstanceUID to read when the folder (or its sub-folders,
                     searched with this flag) holds several series
  --sidecar JSON     BIDS sidecar (default: the input's name with .json, when it exists)
  --mask MASK        3-D NIfTI or .npy of the input's spatial shape; non-zero voxels are fitted
                     (default: voxels whose curve is finite and not all zero)
Time axis (first found wins):
  --times T0,T1,..   frame start times in seconds
  --dt S             frame spacing in seconds (frames at 0, S, 2S, ..)
  sidecar            FrameTimesStart, else VolumeTiming (s)
  DICOM              the series' frame times
  NIfTI              pixdim[4] with the header's time unit
  The axis is shifted to start at 0 s; it must be strictly increasing with one time per frame.
Arterial input (plasma mM on the time axis):
  --aif AIF          parker (default), georgiou, mcgrath, weinmann, fritz-hansen (population
                     curves; blood curves become plasma with --hct); FILE.npy (1-D) or
                     FILE.csv (one column, optional header), a blood curve (mM), one value
                     per frame; a CSV whose header names a plasma_mM (or blood_mM) column
                     gives that column as plasma (blood), e.g. aif.csv of a run; mask:MASK (the mean curve of the arterial voxels of a
                     3-D mask, blood); auto (osipy::aif::detect_aif over the fit mask, blood)
  --aif-delay S      bolus arrival time of a population AIF (s; default 0)
  --aif-interp I     the AIF between its samples: linear (default; the OSIPI convention) or
                     spline (natural cubic spline: less bias for a sharp bolus sampled every
                     few seconds); the convolutions are exact for either
  --hct H            haematocrit for blood -> plasma (default 0.42)
Model:
  --model MODEL      tofts, extended_tofts (default), patlak, 2cxm, 2cum
  --delay            also fit an arterial delay (s, bounds [-10, 10]; starts from a 1-s grid)
Signal to concentration (--kind signal; flags override the sidecar and DICOM tags):
  --t1 T1            pre-contrast T1: seconds, or a 3-D NIfTI/.npy map (s)
  --flip-angle DEG   flip angle (sidecar FlipAngle; DICOM FlipAngle)
  --tr S             repetition time (sidecar RepetitionTimeExcitation, else RepetitionTime;
                     DICOM RepetitionTime)
  --relaxivity R1    longitudinal relaxivity (/s/mM; sidecar ContrastAgentRelaxivity)
  --baseline N       number of pre-contrast frames (default 5)
Run:
  --out DIR          output folder (required)
  --force            replace DIR if it exists and is not empty
  --device DEV       cpu (default), emulator, cuda, cuda:N or auto (cuda:0 if usable, else cpu)
  --quiet            no progress on stderr and no summary on stdout
  --config FILE      read the settings from a YAML file (keys are the flags without `--`,
                     `_` for `-`); flags on the command line override it
  --dump-defaults    print a YAML file of every setting with its default, and exit
  -h, --help         this text

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 the output folder exists and is not
empty (use --force).
";

/// What the input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Concentration (mM).
    Concentration,
    /// SPGR signal (arbitrary units).
    Signal,
}

pub use osipy::dce::Model;

/// A time axis given on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum TimesArg {
    /// Explicit times (s).
    List(Vec<f64>),
    /// Uniform spacing (s).
    Dt(f64),
}

/// Options of `osipy dce`.
#[derive(Debug, Clone, PartialEq)]
pub struct DceOptions {
    /// The 4-D input.
    pub input: PathBuf,
    /// Output folder.
    pub out: PathBuf,
    /// Replace an existing non-empty output folder.
    pub force: bool,
    /// No progress and no summary.
    pub quiet: bool,
    /// What the input holds.
    pub kind: Kind,
    /// Time axis from the command line.
    pub times: Option<TimesArg>,
    /// DICOM SeriesInstanceUID to read.
    pub series: Option<String>,
    /// BIDS sidecar.
    pub sidecar: Option<PathBuf>,
    /// AIF specification (see [`HELP`]).
    pub aif: String,
    /// Population AIF bolus arrival (s).
    pub aif_delay_s: f64,
    /// How the AIF runs between its samples.
    pub aif_interp: AifInterpolation,
    /// Haematocrit.
    pub hct: f64,
    /// Fit mask file.
    pub mask: Option<PathBuf>,
    /// Model.
    pub model: Model,
    /// Fit an arterial delay.
    pub fit_delay: bool,
    /// Pre-contrast T1: seconds or a map file.
    pub t1: Option<String>,
    /// Flip angle (degrees).
    pub flip_angle_deg: Option<f64>,
    /// Repetition time (s).
    pub tr_s: Option<f64>,
    /// Relaxivity (/s/mM).
    pub relaxivity: Option<f64>,
    /// Pre-contrast frames.
    pub baseline: usize,
    /// Device, `None` for auto.
    pub device: Option<Device>,
    /// The `--config` file the settings came from (recorded in the provenance).
    pub config: Option<PathBuf>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
}

fn number(flag: &str, v: &str, what: &str, ok: impl Fn(f64) -> bool) -> Result<f64, CliError> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && ok(x) => Ok(x),
        _ => Err(CliError::Usage(format!("{flag}: expected {what}, found `{v}`"))),
    }
}

/// Parses the arguments after `dce` (after the settings of `--config FILE`, when given).
pub fn parse(args: &[String]) -> Result<Parsed<DceOptions>, CliError> {
    let mut o = DceOptions {
        input: PathBuf::new(),
        out: PathBuf::new(),
        force: false,
        quiet: false,
        kind: Kind::Concentration,
        times: None,
        series: None,
        sidecar: None,
        aif: "parker".into(),
        aif_delay_s: 0.0,
        aif_interp: AifInterpolation::Linear,
        hct: 0.42,
        mask: None,
        model: Model::ExtendedTofts,
        fit_delay: false,
        t1: None,
        flip_angle_deg: None,
        tr_s: None,
        relaxivity: None,
        baseline: 5,
        device: Some(Device::Cpu),
        config: None,
        threads: None,
    };
    let (mut input, mut out) = (None, None);
    let mut flags = Flags::with_config(args, "dce", DCE_KEYS)?;
    while let Some((a, flag)) = flags.next_arg() {
        match apply(&mut o, &mut input, &mut out, &mut flags, &a, &flag) {
            Ok(Step::Next) => {}
            Ok(Step::Help) => return Ok(Parsed::Help),
            Ok(Step::Dump) => return Ok(Parsed::DumpDefaults),
            Err(e) => return Err(flags.locate(e)),
        }
    }
    o.input = input.ok_or_else(|| {
        CliError::Usage("dce: --input is required (or `input` in the --config file)".into())
    })?;
    o.out =
        out.ok_or_else(|| CliError::Usage("dce: --out is required (or `out` in the --config file)".into()))?;
    o.config = flags.config_path();
    Ok(Parsed::Run(o))
}

/// Applies the argument `a` (flag `flag`) to the options.
fn apply(
    o: &mut DceOptions,
    input: &mut Option<PathBuf>,
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
        "--delay" => o.fit_delay = true,
        "--input" => *input = Some(PathBuf::from(flags.value("--input")?)),
        "--out" => *out = Some(flags.out_dir()?),
        "--kind" => {
            o.kind = match flags.value("--kind")?.as_str() {
                "concentration" => Kind::Concentration,
                "signal" => Kind::Signal,
                v => {
                    return Err(CliError::Usage(format!(
                        "--kind: expected concentration or signal, found `{v}`"
                    )))
                }
            }
        }
        "--times" => {
            let v = flags.value("--times")?;
            let t = v
                .split(',')
                .map(|x| number("--times", x, "comma-separated times in seconds", |_| true))
                .collect::<Result<Vec<_>, _>>()?;
            o.times = Some(TimesArg::List(t));
        }
        "--dt" => {
            let v = flags.value("--dt")?;
            o.times = Some(TimesArg::Dt(number("--dt", &v, "a spacing > 0 s", |x| x > 0.0)?));
        }
        "--sidecar" => o.sidecar = Some(PathBuf::from(flags.value("--sidecar")?)),
        "--series" => {
            let v = flags.value("--series")?;
            if v.is_empty() || !v.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return Err(CliError::Usage(format!(
                    "--series: expected a SeriesInstanceUID (digits and dots), found `{v}`"
                )));
            }
            o.series = Some(v);
        }
        "--aif" => o.aif = flags.value("--aif")?,
        "--aif-delay" => {
            let v = flags.value("--aif-delay")?;
            o.aif_delay_s = number("--aif-delay", &v, "a delay in seconds", |_| true)?;
        }
        "--aif-interp" => {
            o.aif_interp = match flags.value("--aif-interp")?.as_str() {
                "linear" => AifInterpolation::Linear,
                "spline" => AifInterpolation::Spline,
                v => {
                    return Err(CliError::Usage(format!(
                        "--aif-interp: expected linear or spline, found `{v}`"
                    )))
                }
            }
        }
        "--hct" => {
            let v = flags.value("--hct")?;
            o.hct = number("--hct", &v, "a haematocrit in [0, 1)", |x| {
                (0.0..1.0).contains(&x)
            })?;
        }
        "--mask" => o.mask = Some(PathBuf::from(flags.value("--mask")?)),
        "--model" => {
            let v = flags.value("--model")?;
            let m: Model = v.parse().map_err(|_| {
                CliError::Usage(format!(
                    "--model: expected tofts, extended_tofts, patlak, 2cxm or 2cum, found `{v}`"
                ))
            })?;
            o.fit_delay |= m.has_delay();
            o.model = m.without_delay();
        }
        "--t1" => o.t1 = Some(flags.value("--t1")?),
        "--flip-angle" => {
            let v = flags.value("--flip-angle")?;
            o.flip_angle_deg = Some(number("--flip-angle", &v, "degrees in (0, 180)", |x| {
                x > 0.0 && x < 180.0
            })?);
        }
        "--tr" => {
            let v = flags.value("--tr")?;
            o.tr_s = Some(number("--tr", &v, "a repetition time > 0 s", |x| x > 0.0)?);
        }
        "--relaxivity" => {
            let v = flags.value("--relaxivity")?;
            o.relaxivity = Some(number("--relaxivity", &v, "a relaxivity > 0 /s/mM", |x| x > 0.0)?);
        }
        "--baseline" => {
            let v = flags.value("--baseline")?;
            o.baseline = match v.parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(CliError::Usage(format!(
                        "--baseline: expected a number of frames >= 1, found `{v}`"
                    )))
                }
            };
        }
        "--device" => o.device = parse_device_or_auto(&flags.value("--device")?)?,
        _ => return Err(CliError::Usage(format!("dce: unknown argument `{a}`"))),
    }
    Ok(Step::Next)
}
