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

impl From<crate::Error> for CliError {
    fn from(e: crate::Error) -> Self {
        CliError::Runtime(e.to_string().replace('\n', " "))
    }
}

impl From<osipy_kernels::Error> for CliError {
    fn from(e: osipy_kernels::Error) -> Self {
        crate::Error::from(e).into()
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
            Ok(None) => {
                print!("{}", dce_cmd::HELP);
                Ok(())
            }
            Ok(Some(o)) => dce_cmd::run(&o, &command_line),
            Err(e) => Err(e),
        },
        Some("t1") => match t1_cmd::parse(&args[1..]) {
            Ok(None) => {
                print!("{}", t1_cmd::HELP);
                Ok(())
            }
            Ok(Some(o)) => t1_cmd::run(&o, &command_line),
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

/// The arguments of a command being read: `--flag value` and `--flag=value` alike. Shared by
/// the commands' parsers.
pub(crate) struct Flags<'a> {
    it: std::slice::Iter<'a, String>,
    inline: Option<&'a str>,
}

impl<'a> Flags<'a> {
    pub(crate) fn new(args: &'a [String]) -> Self {
        Flags {
            it: args.iter(),
            inline: None,
        }
    }

    /// The next argument as written and its flag (`--x` of `--x=v`).
    pub(crate) fn next_arg(&mut self) -> Option<(&'a str, &'a str)> {
        let a = self.it.next()?;
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (a.as_str(), None),
        };
        self.inline = inline;
        Some((a.as_str(), flag))
    }

    /// The value of the flag just read: after `=`, else the next argument.
    pub(crate) fn value(&mut self, name: &str) -> Result<String, CliError> {
        match self.inline.take() {
            Some(v) => Ok(v.to_string()),
            None => self.it.next().cloned().ok_or_else(|| {
                CliError::Usage(format!(
                    "{name}: expected a value, found the end of the arguments"
                ))
            }),
        }
    }
}
