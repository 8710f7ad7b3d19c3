//! The `osipy` command line (the `osipy` binary calls [`main`]).
//!
//! Arguments are parsed by hand. Exit codes a script can rely on:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | runtime error (one line on stderr) |
//! | 2 | usage error: unknown command or argument, bad value |
//! | 3 | the output folder exists and is not empty (pass `--force`) |

mod config;
mod dce_args;
pub mod dce_cmd;
mod dce_out;
pub mod demo;
mod demo_args;
mod demo_figures;
pub mod figure;
mod inputs;
mod outdir;
pub mod phantom;
mod progress;
mod report;
pub mod sha256;
mod t1_args;
pub mod t1_cmd;

use std::fmt;

/// Exit code of a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code of a runtime error.
pub const EXIT_RUNTIME: i32 = 1;
/// Exit code of a usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code when the output folder exists and is not empty.
pub const EXIT_EXISTS: i32 = 3;

/// Help text of `osipy`.
pub const USAGE: &str = "\
osipy: MRI perfusion analysis

Usage: osipy <command> [options]

Commands:
  dce         fit a pharmacokinetic model to a 4-D DCE series (osipy dce --help)
  t1          T1 maps from variable flip angle or Look-Locker volumes (osipy t1 --help)
  demo        fit a synthetic 4-D DCE phantom and write maps, figures and a report
              (osipy demo --help for its options)

Options:
  -h, --help  this text
  --version   the version

Exit codes: 0 success; 1 runtime error; 2 usage error; 3 output folder exists (use --force).
";

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

/// Runs the command line `args` (without the program name): prints results to stdout and
/// errors to stderr (one line, `osipy: ...`), and returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let command_line: Vec<String> = std::iter::once("osipy".to_string())
        .chain(args.iter().cloned())
        .collect();
    let result = match args.first().map(String::as_str) {
        None => Err(CliError::Usage(
            "expected a command (dce, t1, demo), found none".into(),
        )),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some("--version" | "-V") => {
            println!("osipy {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some("dce") => match dce_cmd::parse(&args[1..]) {
            Ok(Parsed::Help) => {
                print!("{}", dce_cmd::HELP);
                Ok(())
            }
            Ok(Parsed::DumpDefaults) => {
                print!("{}", config::dump("dce", config::DCE_KEYS));
                Ok(())
            }
            Ok(Parsed::Run(o)) => dce_cmd::run(&o, &command_line),
            Err(e) => Err(e),
        },
        Some("t1") => match t1_cmd::parse(&args[1..]) {
            Ok(Parsed::Help) => {
                print!("{}", t1_cmd::HELP);
                Ok(())
            }
            Ok(Parsed::DumpDefaults) => {
                print!("{}", config::dump("t1", config::T1_KEYS));
                Ok(())
            }
            Ok(Parsed::Run(o)) => t1_cmd::run(&o, &command_line),
            Err(e) => Err(e),
        },
        Some("demo") => match demo::parse(&args[1..]) {
            Ok(None) => {
                print!("{}", demo::HELP);
                Ok(())
            }
            Ok(Some(o)) => demo::run(&o, &command_line).map(|s| {
                if !o.quiet {
                    print!("{}", s.render(o.device));
                }
            }),
            Err(e) => Err(e),
        },
        Some(other) => Err(CliError::Usage(format!(
            "unknown command `{other}`; expected dce, t1 or demo"
        ))),
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("osipy: {e}");
            if let CliError::Usage(_) = e {
                eprintln!(
                    "Try `osipy --help`, `osipy dce --help`, `osipy t1 --help` or `osipy demo --help`."
                );
            }
            e.code()
        }
    }
}

/// What a command's parser found.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed<T> {
    /// `--help`: print the command's help.
    Help,
    /// `--dump-defaults`: print the command's configuration file of defaults.
    DumpDefaults,
    /// Run with these options.
    Run(T),
}

/// What one argument did to a parser.
pub(crate) enum Step {
    /// Go on with the next argument.
    Next,
    /// `--help` was asked for.
    Help,
    /// `--dump-defaults` was asked for.
    Dump,
}

/// Where the argument just read came from.
enum Origin {
    CommandLine,
    Config(config::Item),
}

/// The arguments of a command being read: the settings of a `--config` file first (as the
/// flags they stand for), then the command line, `--flag value` and `--flag=value` alike.
/// Shared by the commands' parsers. Errors of a setting read from the file name the file and
/// the key instead of the flag ([`Flags::locate`]).
pub(crate) struct Flags<'a> {
    config: std::vec::IntoIter<config::Item>,
    it: std::vec::IntoIter<&'a String>,
    inline: Option<&'a str>,
    origin: Origin,
    config_path: Option<std::path::PathBuf>,
}

impl<'a> Flags<'a> {
    /// The arguments `args` of command `cmd` alone (no configuration file).
    pub(crate) fn new(args: &'a [String]) -> Self {
        Flags {
            config: Vec::new().into_iter(),
            it: args.iter().collect::<Vec<_>>().into_iter(),
            inline: None,
            origin: Origin::CommandLine,
            config_path: None,
        }
    }

    /// The arguments `args` of command `cmd` whose settings are `keys`, after the settings of
    /// the file of `--config FILE` when one is given (read here; the flag itself is not seen by
    /// the parser). Arguments that are values of other flags are not taken for `--config`.
    pub(crate) fn with_config(args: &'a [String], cmd: &str, keys: &[config::Key]) -> Result<Self, CliError> {
        let mut path: Option<String> = None;
        // The command line without `--config` and its value, for the parser.
        let mut rest: Vec<&'a String> = Vec::with_capacity(args.len());
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            let value = if a == "--config" {
                i += 1;
                Some(args.get(i).cloned().ok_or_else(|| {
                    CliError::Usage("--config: expected a YAML file, found the end of the arguments".into())
                })?)
            } else {
                a.strip_prefix("--config=").map(str::to_string)
            };
            if let Some(v) = value {
                if path.is_some() {
                    return Err(CliError::Usage(format!(
                        "--config: expected one configuration file, found a second one `{v}`"
                    )));
                }
                path = Some(v);
            } else {
                rest.push(a);
                if a.starts_with("--") && !a.contains('=') {
                    // Keep the value of a flag that takes one as it is, so `--out --config`
                    // style values are never mistaken for flags.
                    let k = a[2..].replace('-', "_");
                    if keys
                        .iter()
                        .any(|s| s.name == k && s.takes != config::Takes::Switch)
                    {
                        if let Some(v) = args.get(i + 1) {
                            rest.push(v);
                        }
                        i += 1;
                    }
                }
            }
            i += 1;
        }
        let items = match &path {
            Some(p) => config::load(std::path::Path::new(p), cmd, keys)?,
            None => Vec::new(),
        };
        Ok(Flags {
            config: items.into_iter(),
            it: rest.into_iter(),
            inline: None,
            origin: Origin::CommandLine,
            config_path: path.map(std::path::PathBuf::from),
        })
    }

    /// The next argument as written (for a setting of the file: `key `k` of FILE`) and its
    /// flag (`--x` of `--x=v`).
    pub(crate) fn next_arg(&mut self) -> Option<(String, String)> {
        if let Some(item) = self.config.next() {
            let written = format!("key `{}` of {}", item.key, item.file);
            let flag = item.flag.clone();
            self.origin = Origin::Config(item);
            return Some((written, flag));
        }
        self.origin = Origin::CommandLine;
        let a = self.it.next()?;
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (a.as_str(), None),
        };
        self.inline = inline;
        Some((a.clone(), flag.to_string()))
    }

    /// The value of the flag just read: the file's value, after `=`, else the next argument.
    pub(crate) fn value(&mut self, name: &str) -> Result<String, CliError> {
        if let Origin::Config(item) = &self.origin {
            return item
                .value
                .clone()
                .ok_or_else(|| CliError::Usage(format!("{name}: expected a value, found a switch")));
        }
        match self.inline.take() {
            Some(v) => Ok(v.to_string()),
            None => self.it.next().cloned().ok_or_else(|| {
                CliError::Usage(format!(
                    "{name}: expected a value, found the end of the arguments"
                ))
            }),
        }
    }

    /// The configuration file of `--config`, when one was read.
    pub(crate) fn config_path(&self) -> Option<std::path::PathBuf> {
        self.config_path.clone()
    }

    /// The value of `--out` just read, checked to name a folder.
    pub(crate) fn out_dir(&mut self) -> Result<std::path::PathBuf, CliError> {
        let v = self.value("--out")?;
        let p = std::path::PathBuf::from(&v);
        if v.is_empty() || p.file_name().is_none() {
            return Err(CliError::Usage(format!(
                "--out: expected a path that names a folder (not `.`, `..` or `/`), found `{v}`"
            )));
        }
        Ok(p)
    }

    /// `e`, an error about the argument just read, located: an error of a setting of the
    /// configuration file names the file and the key instead of the flag.
    pub(crate) fn locate(&self, e: CliError) -> CliError {
        match (&self.origin, e) {
            (Origin::Config(item), CliError::Usage(m)) => {
                let rest = m
                    .strip_prefix(&format!("{}: ", item.flag))
                    .unwrap_or(&m)
                    .to_string();
                CliError::Usage(format!("--config {}: key `{}`: {rest}", item.file, item.key))
            }
            (_, e) => e,
        }
    }
}
