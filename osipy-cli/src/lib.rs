//! The `osipy` command line (the `osipy` binary calls [`main`]).
//!
//! Arguments are parsed by clap (derive): each command's options are one struct
//! ([`DceOptions`], [`T1Options`], [`DscOptions`], [`AslOptions`], [`IvimOptions`], [`DemoOptions`]) whose doc comments are the help, whose
//! arguments are the keys of a `--config` YAML file ([`config`](mod@config)) and whose value
//! parsers check the file's settings too. Paths are taken as they are (any bytes). Every
//! map is computed by the library pipelines (`osipy::dce::VolumeFit`, `osipy::t1::VolumeFit`,
//! `osipy::dsc::Analysis`, `osipy::asl::Perfusion`, `osipy::ivim::Fit`);
//! the command reads files, writes maps, figures, provenance and reports. Exit codes a script
//! can rely on:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | runtime error (one line on stderr) |
//! | 2 | usage error: unknown command or argument, bad value |
//! | 3 | the output folder exists and is not empty (pass `--force`) |

mod asl_args;
pub mod asl_cmd;
pub mod asl_demo;
mod asl_input;
mod background;
pub mod config;
mod dce_args;
pub mod dce_cmd;
mod dce_input;
mod dce_out;
pub mod demo;
mod demo_args;
mod demo_figures;
mod dsc_args;
pub mod dsc_cmd;
mod dsc_demo;
pub mod figure;
mod inputs;
mod ivim_args;
pub mod ivim_cmd;
mod ivim_demo;
mod ivim_input;
mod outdir;
pub mod phantom;
mod progress;
mod provenance;
mod report;
mod report_html;
pub mod sha256;
mod t1_args;
pub mod t1_cmd;
mod t1_input;
mod text;
mod values;
mod yaml;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgMatches, Args, Command, FromArgMatches};

pub use asl_args::AslOptions;
pub use dce_args::DceOptions;
pub use demo_args::DemoOptions;
pub use dsc_args::DscOptions;
pub use ivim_args::IvimOptions;
pub use t1_args::T1Options;
pub use values::{DeviceArg, RunArgs};

use std::fmt;

/// Exit code of a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code of a runtime error.
pub const EXIT_RUNTIME: i32 = 1;
/// Exit code of a usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code when the output folder exists and is not empty.
pub const EXIT_EXISTS: i32 = 3;

/// Why a command failed; each kind has its exit code ([`CliError::code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// Bad command line.
    Usage(String),
    /// The output folder exists and is not empty.
    Exists(String),
    /// Anything else.
    Runtime(String),
}

impl CliError {
    /// The process exit code.
    pub fn code(&self) -> i32 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Exists(_) => EXIT_EXISTS,
            CliError::Runtime(_) => EXIT_RUNTIME,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Exists(m) | CliError::Runtime(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {}

impl From<osipy::Error> for CliError {
    fn from(e: osipy::Error) -> Self {
        CliError::Runtime(e.to_string().replace('\n', " "))
    }
}

impl From<osipy_kernels::Error> for CliError {
    fn from(e: osipy_kernels::Error) -> Self {
        osipy::Error::from(e).into()
    }
}

/// Help text of `osipy` below its commands.
const AFTER: &str = "\
Each command's options: osipy <command> --help.

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 output folder exists (use --force) or another osipy run is writing it.";

/// A command's definition: its arguments, a later occurrence of a flag overriding an earlier
/// one (so the command line overrides a `--config` file put before it).
fn command<T: Args>(name: &'static str) -> Command {
    T::augment_args(Command::new(name))
        .args_override_self(true)
        .max_term_width(100)
}

/// The `osipy` command and its subcommands (with `required` as written when `required`,
/// else with nothing required, to read `--config` and `--dump-defaults` first).
fn root(required: bool) -> Command {
    let relax = |c: Command| {
        if required {
            c
        } else {
            c.mut_args(|a| a.required(false))
        }
    };
    Command::new("osipy")
        .bin_name("osipy")
        .version(env!("CARGO_PKG_VERSION"))
        .about("osipy: MRI perfusion analysis")
        .after_help(AFTER)
        .max_term_width(100)
        .subcommand_required(true)
        .subcommand(relax(command::<DceOptions>("dce")))
        .subcommand(relax(command::<T1Options>("t1")))
        .subcommand(relax(command::<DscOptions>("dsc")))
        .subcommand(relax(command::<AslOptions>("asl")))
        .subcommand(relax(command::<IvimOptions>("ivim")))
        .subcommand(relax(command::<DemoOptions>("demo")))
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Print this text (help, version, `--dump-defaults`) and exit 0.
    Print(String),
    /// Run `osipy dce`.
    Dce(DceOptions),
    /// Run `osipy t1`.
    T1(T1Options),
    /// Run `osipy dsc`.
    Dsc(DscOptions),
    /// Run `osipy asl`.
    Asl(AslOptions),
    /// Run `osipy ivim`.
    Ivim(IvimOptions),
    /// Run `osipy demo`.
    Demo(DemoOptions),
}

/// The flag and the message of a clap error (`(Some("--hct"), "expected ..")` for a value a
/// parser refused; clap's own words, first line, otherwise).
pub(crate) fn clap_message(e: &clap::Error) -> (Option<String>, String) {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.split([' ', '=']).next().unwrap_or(s).to_string()),
        Some(ContextValue::Strings(v)) => v
            .first()
            .map(|s| s.split([' ', '=']).next().unwrap_or(s).to_string()),
        _ => None,
    };
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_string();
    match e.kind() {
        ErrorKind::ValueValidation => {
            let msg = std::error::Error::source(e).map_or(first, |s| s.to_string());
            (arg, msg)
        }
        ErrorKind::UnknownArgument => {
            let a = arg.clone().unwrap_or_default();
            (arg, format!("unknown argument `{a}`"))
        }
        _ => (arg, first),
    }
}

/// A clap error of command `cmd` as the usage error the user sees.
fn usage_error(e: &clap::Error, cmd: Option<&str>) -> CliError {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let (arg, msg) = clap_message(e);
    let cmd = cmd.unwrap_or("osipy");
    CliError::Usage(match e.kind() {
        ErrorKind::ValueValidation => format!("{}: {msg}", arg.unwrap_or_default()),
        ErrorKind::UnknownArgument => format!("{cmd}: {msg}"),
        ErrorKind::MissingRequiredArgument => {
            let flag = arg.unwrap_or_default();
            format!(
                "{cmd}: {flag} is required (or `{}` in the --config file)",
                flag.trim_start_matches('-').replace('-', "_")
            )
        }
        ErrorKind::InvalidSubcommand => {
            let found = match e.get(ContextKind::InvalidSubcommand) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            format!("unknown command `{found}`; expected dce, t1, dsc, asl, ivim or demo")
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "expected a command (dce, t1, dsc, asl, ivim, demo), found none".into()
        }
        _ => msg,
    })
}

/// A flag that takes text was given bytes that are not UTF-8 (paths may be any bytes): the
/// message names the flags whose values are not UTF-8, with those values escaped.
fn utf8_error(args: &[OsString]) -> CliError {
    let found: Vec<String> = args
        .iter()
        .enumerate()
        .filter(|(_, a)| a.to_str().is_none())
        .map(|(i, a)| {
            let value = a.as_encoded_bytes().escape_ascii().to_string();
            match i.checked_sub(1).and_then(|p| args[p].to_str()) {
                Some(flag) if flag.starts_with('-') => format!("{flag} `{value}`"),
                _ => format!("`{value}`"),
            }
        })
        .collect();
    CliError::Usage(format!(
        "expected UTF-8 text in the values of flags that take text (paths may be any bytes), found non-UTF-8 bytes in: {}",
        found.join(", ")
    ))
}

/// The argument vector position of the last value of `id` (to tell which of two flags came
/// later), if it was given.
fn last_index(m: &ArgMatches, id: &str) -> Option<usize> {
    m.indices_of(id).and_then(|i| i.max())
}

/// Parses the command line `args` (without the program name): the settings of a `--config`
/// file first, then the command line; help, version and `--dump-defaults` as text to print.
pub fn parse_command(args: &[OsString]) -> Result<Parsed, CliError> {
    use clap::error::ErrorKind;
    let argv = || std::iter::once(OsString::from("osipy")).chain(args.iter().cloned());
    let printed = |e: &clap::Error| matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    let cmd_name = args.first().and_then(|a| a.to_str()).map(str::to_string);
    // Pass 1, nothing required: help, version, --dump-defaults, --config.
    let first = match root(false).try_get_matches_from(argv()) {
        Ok(m) => m,
        Err(e) if printed(&e) => {
            // Help as written (required flags shown as such).
            let text = match root(true).try_get_matches_from(argv()) {
                Err(full) if printed(&full) => full.render().to_string(),
                _ => e.render().to_string(),
            };
            return Ok(Parsed::Print(text));
        }
        Err(e) if e.kind() == ErrorKind::InvalidUtf8 => return Err(utf8_error(args)),
        Err(e) => return Err(usage_error(&e, cmd_name.as_deref())),
    };
    let Some((name, sub)) = first.subcommand() else {
        return Err(CliError::Usage(
            "expected a command (dce, t1, dsc, asl, ivim, demo), found none".into(),
        ));
    };
    let name = name.to_string();
    let relaxed = root(false)
        .find_subcommand(&name)
        .cloned()
        .ok_or_else(|| CliError::Usage(format!("unknown command `{name}`")))?;
    if sub.try_get_one::<bool>("dump_defaults").ok().flatten() == Some(&true) {
        let full = root(true).find_subcommand(&name).cloned().unwrap_or(relaxed);
        return Ok(Parsed::Print(config::dump(&full, &name)));
    }
    let file: Vec<OsString> = match sub.try_get_one::<PathBuf>("config").ok().flatten() {
        Some(p) => config::file_args(p, &relaxed, &name)?,
        None => Vec::new(),
    };
    // Pass 2: `osipy <command> <file settings> <command line>`.
    let full: Vec<OsString> = [OsString::from("osipy"), OsString::from(&name)]
        .into_iter()
        .chain(file)
        .chain(args.iter().skip(1).cloned())
        .collect();
    let m = root(true)
        .try_get_matches_from(full)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidUtf8 => utf8_error(args),
            _ => usage_error(&e, Some(&name)),
        })?;
    let Some((_, sub)) = m.subcommand() else {
        return Err(CliError::Usage(
            "expected a command (dce, t1, dsc, asl, ivim, demo), found none".into(),
        ));
    };
    let bad = |e: clap::Error| usage_error(&e, Some(&name));
    Ok(match name.as_str() {
        "dce" => {
            let mut o = DceOptions::from_arg_matches(sub).map_err(bad)?;
            // --times and --dt: the later one (the command line's over the file's).
            if o.times.is_some() && o.dt.is_some() {
                if last_index(sub, "times") > last_index(sub, "dt") {
                    o.dt = None;
                } else {
                    o.times = None;
                }
            }
            o.fit_delay |= o.model.has_delay();
            o.model = o.model.without_delay();
            Parsed::Dce(o)
        }
        "t1" => {
            let o = T1Options::from_arg_matches(sub).map_err(bad)?;
            o.check().map_err(CliError::Usage)?;
            Parsed::T1(o)
        }
        "dsc" => {
            let mut o = DscOptions::from_arg_matches(sub).map_err(bad)?;
            // --times and --tr: the later one (the command line's over the file's).
            if o.times.is_some() && o.tr_s.is_some() {
                if last_index(sub, "times") > last_index(sub, "tr") {
                    o.tr_s = None;
                } else {
                    o.times = None;
                }
            }
            Parsed::Dsc(o)
        }
        "asl" => Parsed::Asl(AslOptions::from_arg_matches(sub).map_err(bad)?),
        "ivim" => Parsed::Ivim(IvimOptions::from_arg_matches(sub).map_err(bad)?),
        _ => Parsed::Demo(DemoOptions::from_arg_matches(sub).map_err(bad)?),
    })
}

/// Runs the command line `args` (without the program name): prints results to stdout and
/// errors to stderr (one line, `osipy: ...`), and returns the exit code.
pub fn main(args: &[OsString]) -> i32 {
    let command_line: Vec<String> = std::iter::once("osipy".to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect();
    let result = parse_command(args).and_then(|p| match p {
        Parsed::Print(text) => {
            print!("{text}");
            Ok(())
        }
        Parsed::Dce(o) => dce_cmd::run(&o, &command_line),
        Parsed::T1(o) => t1_cmd::run(&o, &command_line),
        Parsed::Dsc(o) => dsc_cmd::run(&o, &command_line),
        Parsed::Asl(o) => asl_cmd::run(&o, &command_line),
        Parsed::Ivim(o) => ivim_cmd::run(&o, &command_line),
        Parsed::Demo(o) if o.modality == demo::Modality::Ivim => ivim_demo::run(&o, &command_line).map(|s| {
            if !o.quiet {
                print!("{}", s.render(o.device));
            }
        }),
        Parsed::Demo(o) if o.modality == demo::Modality::Asl => asl_demo::run(&o, &command_line).map(|s| {
            if !o.quiet {
                print!("{}", s.render(o.device));
            }
        }),
        Parsed::Demo(o) if o.modality == demo::Modality::Dsc => dsc_demo::run(&o, &command_line).map(|s| {
            if !o.quiet {
                print!("{}", s.render(o.device));
            }
        }),
        Parsed::Demo(o) => demo::run(&o, &command_line).map(|s| {
            if !o.quiet {
                print!("{}", s.render(o.device));
            }
        }),
    });
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("osipy: {e}");
            if let CliError::Usage(_) = e {
                eprintln!(
                    "Try `osipy --help`, `osipy dce --help`, `osipy t1 --help`, `osipy dsc --help`, `osipy asl --help`, `osipy ivim --help` or `osipy demo --help`."
                );
            }
            e.code()
        }
    }
}
