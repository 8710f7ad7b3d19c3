//! Value parsers of the commands' flags (clap `value_parser`s). Each returns the message the
//! user sees after the flag (`--hct: expected a haematocrit in [0, 1), found `1.5``), and a
//! setting of a `--config` file goes through the same parser.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::Args;
use osipy_kernels::fit::Driver;

use osipy_kernels::Device;

/// A finite number for which `ok` holds, or `expected {what}, found `v``.
pub(crate) fn number(v: &str, what: &str, ok: impl Fn(f64) -> bool) -> Result<f64, String> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && ok(x) => Ok(x),
        _ => Err(format!("expected {what}, found `{v}`")),
    }
}

/// A haematocrit in `[0, 1)`.
pub(crate) fn hct(v: &str) -> Result<f64, String> {
    number(v, "a haematocrit in [0, 1)", |x| (0.0..1.0).contains(&x))
}

/// Any finite number of seconds (a delay).
pub(crate) fn seconds(v: &str) -> Result<f64, String> {
    number(v, "a delay in seconds", |_| true)
}

/// One time of a comma-separated list of frame times (s).
pub(crate) fn frame_time(v: &str) -> Result<f64, String> {
    number(v, "comma-separated times in seconds", |_| true)
}

/// A frame spacing > 0 s.
pub(crate) fn spacing(v: &str) -> Result<f64, String> {
    number(v, "a spacing > 0 s", |x| x > 0.0)
}

/// A flip angle in (0, 180) degrees.
pub(crate) fn flip_angle(v: &str) -> Result<f64, String> {
    number(v, "degrees in (0, 180)", |x| x > 0.0 && x < 180.0)
}

/// One of a comma-separated list of flip angles in (0, 180) degrees.
pub(crate) fn flip_angle_item(v: &str) -> Result<f64, String> {
    number(v, "comma-separated flip angles in (0, 180) degrees", |x| {
        x > 0.0 && x < 180.0
    })
}

/// One of a comma-separated list of readout times >= 0 s.
pub(crate) fn readout_time(v: &str) -> Result<f64, String> {
    number(v, "comma-separated times >= 0 s", |x| x >= 0.0)
}

/// A repetition time > 0 s.
pub(crate) fn tr(v: &str) -> Result<f64, String> {
    number(v, "a repetition time > 0 s", |x| x > 0.0)
}

/// A relaxivity > 0 /s/mM.
pub(crate) fn relaxivity(v: &str) -> Result<f64, String> {
    number(v, "a relaxivity > 0 /s/mM", |x| x > 0.0)
}

/// A noise standard deviation >= 0 mM.
pub(crate) fn noise(v: &str) -> Result<f64, String> {
    number(v, "a number >= 0 (mM)", |x| x >= 0.0)
}

/// A number of frames >= 1.
pub(crate) fn frames(v: &str) -> Result<usize, String> {
    match v.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("expected a number of frames >= 1, found `{v}`")),
    }
}

/// A number of worker threads >= 1.
pub(crate) fn threads(v: &str) -> Result<usize, String> {
    match v.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("expected a number of threads >= 1, found `{v}`")),
    }
}

/// A size in bytes, with an optional binary unit: `B`, `KiB`, `MiB`, `GiB`, `TiB` (or `K`, `M`,
/// `G`, `T`), e.g. `512MiB`; at least 1 byte.
pub(crate) fn byte_size(v: &str) -> Result<u64, String> {
    let t = v.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        "T" | "TiB" => 40,
        _ => u32::MAX,
    };
    digits
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1 && shift != u32::MAX)
        .and_then(|n| n.checked_mul(1u64.checked_shl(shift)?))
        .filter(|n| n.leading_zeros() > 0)
        .ok_or_else(|| {
            format!("expected a size of at least 1 byte such as 512MiB, 16GiB or 1000000, found `{v}`")
        })
}

/// A noise seed.
pub(crate) fn seed(v: &str) -> Result<u64, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("expected an integer 0 to 2^64-1, found `{v}`"))
}

/// A DICOM SeriesInstanceUID (digits and dots).
pub(crate) fn series_uid(v: &str) -> Result<String, String> {
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!(
            "expected a SeriesInstanceUID (digits and dots), found `{v}`"
        ));
    }
    Ok(v.to_string())
}

/// The parser of an output folder ([`out_dir`]).
pub(crate) fn out_dir_parser() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser as _;
    clap::builder::OsStringValueParser::new().try_map(|v: std::ffi::OsString| out_dir(&v))
}

/// The parser of one path of a list ([`path_item`]).
pub(crate) fn path_item_parser() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser as _;
    clap::builder::OsStringValueParser::new().try_map(|v: std::ffi::OsString| path_item(&v))
}

/// An output folder: a path that names a folder (not `.`, `..` or `/`); any bytes.
pub(crate) fn out_dir(v: &OsStr) -> Result<PathBuf, String> {
    let p = PathBuf::from(v);
    if v.is_empty() || p.file_name().is_none() {
        return Err(format!(
            "expected a path that names a folder (not `.`, `..` or `/`), found `{}`",
            v.to_string_lossy()
        ));
    }
    Ok(p)
}

/// One path of a comma-separated list (no empty item); any bytes.
pub(crate) fn path_item(v: &OsStr) -> Result<PathBuf, String> {
    if v.is_empty() {
        return Err("expected one path or comma-separated paths, found an empty one".into());
    }
    Ok(PathBuf::from(v))
}

/// `adaptive` or `classic` (the Levenberg-Marquardt driver).
pub(crate) fn fit_driver(v: &str) -> Result<Driver, String> {
    match v {
        "adaptive" => Ok(Driver::Adaptive),
        "classic" => Ok(Driver::Classic),
        _ => Err(format!("expected adaptive or classic, found `{v}`")),
    }
}

/// A device of `--device`: `cpu`, `emulator`, `cuda`, `cuda:N`, or (where `auto` is allowed)
/// `auto`, which is CUDA device 0 when usable and the CPU otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceArg {
    /// This device.
    Is(Device),
    /// CUDA device 0 if usable, else the CPU.
    Auto,
}

impl DeviceArg {
    /// The device to run on (`auto` resolved now); an unusable device is an error.
    pub fn resolve(self) -> Result<Device, osipy_kernels::Error> {
        match self {
            DeviceArg::Is(d) => {
                d.check_available()?;
                Ok(d)
            }
            DeviceArg::Auto if Device::Cuda(0).check_available().is_ok() => Ok(Device::Cuda(0)),
            DeviceArg::Auto => Ok(Device::Cpu),
        }
    }
}

fn device_name(v: &str) -> Option<Device> {
    match v {
        "cpu" => Some(Device::Cpu),
        "emulator" => Some(Device::Emulator),
        "cuda" => Some(Device::Cuda(0)),
        _ => v.strip_prefix("cuda:")?.parse().ok().map(Device::Cuda),
    }
}

/// `cpu`, `emulator`, `cuda`, `cuda:N` or `auto`.
pub(crate) fn device_or_auto(v: &str) -> Result<DeviceArg, String> {
    if v == "auto" {
        return Ok(DeviceArg::Auto);
    }
    device_name(v)
        .map(DeviceArg::Is)
        .ok_or_else(|| format!("expected cpu, emulator, cuda, cuda:N or auto, found `{v}`"))
}

/// `cpu`, `emulator`, `cuda` or `cuda:N`.
pub(crate) fn device(v: &str) -> Result<Device, String> {
    device_name(v).ok_or_else(|| format!("expected cpu, emulator, cuda or cuda:N, found `{v}`"))
}

/// The flags every analysis command takes: where the output goes, the device, the threads,
/// the progress, the configuration file. A command's options flatten it (`o.run`).
#[derive(Debug, Clone, PartialEq, Args)]
#[command(next_help_heading = "Run")]
pub struct RunArgs {
    /// Output folder (checked before the input is read; locked while the run writes it: a
    /// second run on it fails with exit code 3)
    #[arg(long, value_name = "DIR", required = true, value_parser = out_dir_parser())]
    pub out: PathBuf,
    /// Replace DIR if it exists and is not empty (in one atomic exchange on Linux)
    #[arg(long)]
    pub force: bool,
    /// cpu, emulator, cuda, cuda:N or auto (cuda:0 if usable, else cpu)
    #[arg(long, value_name = "DEV", default_value = "cpu", value_parser = device_or_auto)]
    pub device: DeviceArg,
    /// Worker threads of the CPU fit (default: one per core)
    #[arg(long, value_name = "N", value_parser = threads)]
    pub threads: Option<usize>,
    /// The Levenberg-Marquardt driver: adaptive, or classic (the driver of earlier versions)
    #[arg(long = "fit-driver", id = "fit_driver", value_name = "D", default_value = "adaptive", value_parser = fit_driver)]
    pub fit_driver: Driver,
    /// No progress on stderr and no summary on stdout
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Read the settings from a YAML file (keys: the flags without `--`, `_` for `-`); flags on
    /// the command line override it
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print a YAML file of every setting with its default, and exit
    #[arg(long = "dump-defaults", id = "dump_defaults")]
    pub dump_defaults: bool,
    /// The most bytes one input may decode to (a .nii.gz after decompression, compressed DICOM
    /// pixel data; e.g. 512MiB, 64GiB): a larger input is refused before it is decompressed
    /// [default: 16GiB for NIfTI, 4GiB for DICOM pixel data]
    #[arg(long = "max-decoded", id = "max_decoded", value_name = "SIZE", value_parser = byte_size)]
    pub max_decoded: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers_accept_the_range_and_name_what_they_expect() {
        assert_eq!(hct("0.42"), Ok(0.42));
        assert_eq!(
            hct("1.5").unwrap_err(),
            "expected a haematocrit in [0, 1), found `1.5`"
        );
        assert!(spacing("0").is_err() && spacing("nan").is_err());
        assert_eq!(
            frames("0").unwrap_err(),
            "expected a number of frames >= 1, found `0`"
        );
        assert_eq!(threads("2"), Ok(2));
        assert_eq!(byte_size("512MiB"), Ok(512 << 20));
        assert_eq!(byte_size("16G"), Ok(16 << 30));
        assert_eq!(byte_size("1000"), Ok(1000));
        assert!(byte_size("0").is_err() && byte_size("1PiB").is_err() && byte_size("-1").is_err());
        assert!(byte_size("99999999999T").is_err() && byte_size("").is_err());
        assert!(threads("0").is_err());
        assert_eq!(device_or_auto("auto"), Ok(DeviceArg::Auto));
        assert_eq!(device_or_auto("cuda:1"), Ok(DeviceArg::Is(Device::Cuda(1))));
        assert!(device("auto").is_err() && device("tpu").is_err());
        assert!(out_dir(OsStr::new("..")).is_err() && out_dir(OsStr::new("a/b")).is_ok());
        assert_eq!(series_uid("1.2.3"), Ok("1.2.3".into()));
        assert!(series_uid("1.2.x").is_err());
    }
}
