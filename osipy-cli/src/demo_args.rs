//! The command line of `osipy demo`: its help text, options and their parser.

use std::path::PathBuf;

use osipy_kernels::Device;

use super::CliError;

/// Help text of `osipy demo`.
pub const HELP: &str = "\
osipy demo: fit a synthetic 4-D DCE phantom and write maps, figures and a report

Usage: osipy demo [options]

Builds a phantom (extended Tofts tissue: normal tissue with smooth parameter gradients, a
tumour with rim and core, a vessel; Parker AIF, plasma with Hct 0.42; frames 4 s apart;
Gaussian noise), fits every voxel of the body mask with the extended Tofts model, prints the
accuracy against the truth and the timings, and writes NIfTI maps, quality maps, the phantom,
PNG figures, provenance.json and report.md.

Options:
  --out DIR        output folder (default ./osipy-demo); built in a hidden sibling folder and
                   renamed into place when everything is written
  --force          replace DIR if it exists and is not empty
  --size SIZE      full: 64x64x16 voxels x 80 frames (default); small: 16x16x4 x 80
  --seed N         seed of the noise generator (default 42)
  --noise SIGMA    noise standard deviation in mM (default 0.02; 0 for noise-free data)
  --device DEV     cpu (default), emulator (the PTX emulator; slow), cuda or cuda:N
  --quiet          no progress on stderr and no summary on stdout
  -h, --help       this text

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 the output folder exists and is not
empty (use --force).
";

/// Size of the phantom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 16 x 16 x 4 voxels x 80 frames.
    Small,
    /// 64 x 64 x 16 voxels x 80 frames.
    Full,
}

impl Size {
    /// The grid `[x, y, z]`.
    pub fn dims(self) -> [usize; 3] {
        match self {
            Size::Small => [16, 16, 4],
            Size::Full => [64, 64, 16],
        }
    }

    /// The name on the command line: `small` or `full`.
    pub fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Full => "full",
        }
    }
}

/// Options of `osipy demo`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Replace an existing non-empty output folder.
    pub force: bool,
    /// No progress and no summary.
    pub quiet: bool,
    /// Phantom size.
    pub size: Size,
    /// Noise seed.
    pub seed: u64,
    /// Noise standard deviation (mM).
    pub noise_mm: f64,
    /// Where the fit runs.
    pub device: Device,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            out: PathBuf::from("osipy-demo"),
            force: false,
            quiet: false,
            size: Size::Full,
            seed: 42,
            noise_mm: 0.02,
            device: Device::Cpu,
            threads: None,
        }
    }
}

/// Parses a device name or `auto` (`None`: CUDA device 0 if usable, else the CPU), as
/// `osipy dce` and `osipy t1` take it.
pub fn parse_device_or_auto(s: &str) -> Result<Option<Device>, CliError> {
    if s == "auto" {
        return Ok(None);
    }
    parse_device(s).map(Some).map_err(|_| {
        CliError::Usage(format!(
            "--device: expected cpu, emulator, cuda, cuda:N or auto, found `{s}`"
        ))
    })
}

/// Parses a device name: `cpu`, `emulator`, `cuda` (ordinal 0) or `cuda:N`.
pub fn parse_device(s: &str) -> Result<Device, CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--device: expected cpu, emulator, cuda or cuda:N, found `{s}`"
        ))
    };
    match s {
        "cpu" => Ok(Device::Cpu),
        "emulator" => Ok(Device::Emulator),
        "cuda" => Ok(Device::Cuda(0)),
        _ => match s.strip_prefix("cuda:") {
            Some(n) => n.parse().map(Device::Cuda).map_err(|_| bad()),
            None => Err(bad()),
        },
    }
}

/// Parses the arguments after `demo`; `Ok(None)` when help was asked for.
pub fn parse(args: &[String]) -> Result<Option<DemoOptions>, CliError> {
    let mut o = DemoOptions::default();
    let mut flags = super::Flags::new(args);
    while let Some((a, flag)) = flags.next_arg() {
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--force" => o.force = true,
            "--quiet" | "-q" => o.quiet = true,
            "--out" => o.out = flags.out_dir()?,
            "--size" => {
                o.size = match flags.value("--size")?.as_str() {
                    "small" => Size::Small,
                    "full" => Size::Full,
                    v => {
                        return Err(CliError::Usage(format!(
                            "--size: expected small or full, found `{v}`"
                        )))
                    }
                }
            }
            "--seed" => {
                let v = flags.value("--seed")?;
                o.seed = v.parse().map_err(|_| {
                    CliError::Usage(format!("--seed: expected an integer 0 to 2^64-1, found `{v}`"))
                })?;
            }
            "--noise" => {
                let v = flags.value("--noise")?;
                o.noise_mm = match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => x,
                    _ => {
                        return Err(CliError::Usage(format!(
                            "--noise: expected a number >= 0 (mM), found `{v}`"
                        )))
                    }
                };
            }
            "--device" => o.device = parse_device(&flags.value("--device")?)?,
            _ => return Err(CliError::Usage(format!("demo: unknown argument `{a}`"))),
        }
    }
    Ok(Some(o))
}
