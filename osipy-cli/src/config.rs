//! YAML configuration files of the commands (`--config FILE`, `--dump-defaults`), derived from
//! the commands' clap definitions: every argument of a command is a key, so a flag is described
//! once.
//!
//! A configuration is one YAML mapping (read with serde) whose keys are the command's flags
//! without the leading `--` and with `_` for `-` (`--flip-angle` is `flip_angle`; `flip-angle`
//! is accepted too). Its settings come first and the flags of the command line after them, so
//! a flag overrides the file. A key that is missing or `null` keeps the default; a switch
//! (`force`, `quiet`, `delay`, `magnitude`) takes `true` or `false`; list settings (`times`,
//! `flip_angles`, several `input` files of `t1`) take a YAML list or the comma-separated text of
//! the flag. Relative paths are taken from the working directory, as on the command line.
//! Values go through the flag's own value parser; every error names the file and the key.
//! `--dump-defaults` prints a file of every key with its default and a comment, ready to edit.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;

use clap::{Arg, Command};
use serde_norway::Value;

use crate::yaml::{self, one_line, YamlError, MAX_CONFIG_BYTES, MAX_NODES, MAX_TEXT_BYTES};
use crate::CliError;

/// Arguments that are not settings (no key in a file, none in the dump).
const NOT_SETTINGS: [&str; 4] = ["help", "version", "config", "dump_defaults"];

/// The settings of `cmd`: its arguments that take a key.
fn settings(cmd: &Command) -> Vec<&Arg> {
    cmd.get_arguments()
        .filter(|a| !NOT_SETTINGS.contains(&a.get_id().as_str()) && a.get_long().is_some())
        .collect()
}

fn is_switch(a: &Arg) -> bool {
    !a.get_action().takes_values()
}

fn is_list(a: &Arg) -> bool {
    a.get_value_delimiter().is_some()
}

fn kind_name(y: &Value) -> &'static str {
    match y {
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Bool(_) => "a boolean",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
        Value::Null => "null",
    }
}

/// The text of a scalar (numbers as YAML reads them), `None` for anything else.
fn scalar(y: &Value) -> Option<String> {
    match y {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The command line arguments that the settings of the configuration `path` stand for, in the
/// file's order (`--flag=value`, `--switch`; null values and `false` switches are left out).
/// `cmd` is the command's definition (with nothing required), `name` its name; each setting is
/// checked by the flag's own parser here, so an error names the file and the key.
pub(crate) fn file_args(path: &Path, cmd: &Command, name: &str) -> Result<Vec<OsString>, CliError> {
    let file = one_line(&path.display().to_string());
    let usage = |m: String| CliError::Usage(format!("--config {file}: {m}"));
    let bytes = match std::fs::File::open(path) {
        Ok(f) => {
            let mut b = Vec::new();
            f.take(MAX_CONFIG_BYTES + 1)
                .read_to_end(&mut b)
                .map_err(|e| usage(format!("cannot read: {}", one_line(&e.to_string()))))?;
            b
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(usage("no such file".into())),
        Err(e) => return Err(usage(format!("cannot read: {}", one_line(&e.to_string())))),
    };
    settings_args(&file, &bytes, cmd, name)
}

/// The settings of the configuration text `bytes` (labelled `file` in errors) as arguments of
/// `osipy dce`, as `--config FILE` reads a file; public for the fuzz harness.
pub fn dce_settings(file: &str, bytes: &[u8]) -> Result<Vec<OsString>, CliError> {
    static DCE: std::sync::OnceLock<Option<Command>> = std::sync::OnceLock::new();
    let cmd = DCE
        .get_or_init(|| crate::root(false).find_subcommand("dce").cloned())
        .as_ref()
        .ok_or_else(|| CliError::Usage("no dce command".into()))?;
    settings_args(file, bytes, cmd, "dce")
}

fn settings_args(file: &str, bytes: &[u8], cmd: &Command, name: &str) -> Result<Vec<OsString>, CliError> {
    let usage = |m: String| CliError::Usage(format!("--config {file}: {m}"));
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(usage(format!(
            "expected a configuration of at most {MAX_CONFIG_BYTES} bytes, found a larger file"
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| usage("expected UTF-8 text (YAML)".into()))?;
    let root: Value = match yaml::parse(text) {
        Ok(v) => v,
        Err(YamlError::TooLarge) => {
            return Err(usage(format!(
                "expected at most {MAX_NODES} values and {MAX_TEXT_BYTES} bytes of text once aliases are expanded, found more"
            )))
        }
        Err(YamlError::Syntax(e)) if e.contains("more than one document") => {
            let n = text.lines().filter(|l| l.trim_end() == "---").count() + 1;
            return Err(usage(format!("expected one YAML document, found {n}")));
        }
        Err(YamlError::Syntax(e)) => return Err(usage(format!("expected YAML, found a syntax error: {e}"))),
    };
    let map = match root {
        Value::Mapping(m) => m,
        Value::Null => return Ok(Vec::new()),
        other => {
            return Err(usage(format!(
                "expected a mapping of settings (key: value), found {}",
                kind_name(&other)
            )))
        }
    };
    let known = settings(cmd);
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in &map {
        let Some(kname) = scalar(k) else {
            return Err(usage(format!(
                "expected keys that are setting names, found {} as a key",
                kind_name(k)
            )));
        };
        let kname = one_line(&kname);
        let canonical = kname.replace('-', "_");
        let Some(arg) = known.iter().find(|a| a.get_id().as_str() == canonical) else {
            let names: Vec<&str> = known.iter().map(|a| a.get_id().as_str()).collect();
            return Err(usage(format!(
                "unknown key `{kname}` for osipy {name}; expected one of: {}",
                names.join(", ")
            )));
        };
        if seen.contains(&canonical) {
            return Err(usage(format!(
                "key `{kname}`: expected once, found twice (as `{canonical}` and `{kname}`)"
            )));
        }
        seen.push(canonical.clone());
        let long = arg.get_long().unwrap_or(&canonical);
        let bad = |want: &str| usage(format!("key `{kname}`: expected {want}, found {}", kind_name(v)));
        let token = match (is_switch(arg), is_list(arg), v) {
            (_, _, Value::Null) => continue,
            (true, _, Value::Bool(true)) => format!("--{long}"),
            (true, _, Value::Bool(false)) => continue,
            (true, _, _) => return Err(bad("true or false")),
            (false, _, Value::Bool(b)) => {
                return Err(usage(format!(
                    "key `{kname}`: expected a value, found the boolean `{b}`"
                )))
            }
            (false, true, Value::Sequence(list)) => {
                let parts = list
                    .iter()
                    .map(scalar)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("a list of numbers or paths"))?;
                if parts.is_empty() {
                    return Err(usage(format!(
                        "key `{kname}`: expected a non-empty list, found an empty one"
                    )));
                }
                if let Some(p) = parts.iter().find(|p| p.contains(',')) {
                    return Err(usage(format!(
                        "key `{kname}`: expected list items without commas, found `{}`",
                        one_line(p)
                    )));
                }
                format!("--{long}={}", parts.join(","))
            }
            (false, false, _) => format!("--{long}={}", scalar(v).ok_or_else(|| bad("a number or text"))?),
            (false, true, _) => format!(
                "--{long}={}",
                scalar(v).ok_or_else(|| bad("a list or comma-separated text"))?
            ),
        };
        // The flag's own parser, on this setting alone.
        if let Err(e) = cmd.clone().try_get_matches_from([name, token.as_str()]) {
            return Err(usage(format!(
                "key `{kname}`: {}",
                one_line(&crate::clap_message(&e).1)
            )));
        }
        out.push(OsString::from(token));
    }
    Ok(out)
}

/// YAML text of a default value: plain when YAML reads it back as the same text or number,
/// quoted otherwise.
fn yaml_value(v: &str) -> String {
    match serde_norway::from_str::<Value>(v) {
        Ok(Value::String(s)) if s == v => v.to_string(),
        Ok(Value::Number(_)) => v.to_string(),
        _ => format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// The text `--dump-defaults` prints for command `name` (definition `cmd`): every setting with
/// its default (`null` for none, `false` for a switch) and its help as a comment.
pub(crate) fn dump(cmd: &Command, name: &str) -> String {
    let mut s = format!(
        "# osipy {name} settings: `osipy {name} --config FILE` reads them; flags given on the\n\
         # command line override them. A key that is missing or null keeps its default;\n\
         # relative paths are taken from the working directory. Each key is a flag of\n\
         # `osipy {name} --help` without `--` and with `_` for `-`.\n"
    );
    let rows: Vec<(String, String)> = settings(cmd)
        .into_iter()
        .map(|a| {
            let default = if is_switch(a) {
                "false".to_string()
            } else {
                let d: Vec<String> = a
                    .get_default_values()
                    .iter()
                    .map(|v| yaml_value(&v.to_string_lossy()))
                    .collect();
                if d.is_empty() {
                    "null".to_string()
                } else {
                    d.join(",")
                }
            };
            let help = a
                .get_help()
                .map(|h| h.to_string().replace('\n', " "))
                .unwrap_or_default();
            let required = if a.is_required_set() { " (required)" } else { "" };
            (format!("{}: {default}", a.get_id()), format!("{help}{required}"))
        })
        .collect();
    let width = rows.iter().map(|(h, _)| h.len()).max().unwrap_or(0);
    for (head, doc) in rows {
        s.push_str(&format!("{head:<width$}  # {doc}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_command, Parsed};
    use clap::Args;

    fn write(name: &str, text: impl AsRef<[u8]>) -> std::path::PathBuf {
        static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        let p = DIR.get_or_init(|| tempfile::tempdir().unwrap()).path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn dce_cmd() -> Command {
        crate::dce_args::DceOptions::augment_args(Command::new("dce")).mut_args(|a| a.required(false))
    }

    fn t1_cmd() -> Command {
        crate::t1_args::T1Options::augment_args(Command::new("t1")).mut_args(|a| a.required(false))
    }

    fn err(r: Result<Vec<OsString>, CliError>) -> String {
        match r {
            Err(CliError::Usage(m)) => m,
            other => panic!("expected a usage error, found {other:?}"),
        }
    }

    #[test]
    fn args_in_file_order_with_lists_switches_and_nulls() {
        let p = write(
            "a.yaml",
            "model: tofts\ntimes: [0, 4.5, 9]\nforce: true\nquiet: false\nsidecar: null\nflip-angle: 15\n",
        );
        let got = file_args(&p, &dce_cmd(), "dce").unwrap();
        assert_eq!(
            got,
            ["--model=tofts", "--times=0,4.5,9", "--force", "--flip-angle=15"]
                .map(OsString::from)
                .to_vec()
        );
    }

    #[test]
    fn empty_file_is_no_settings() {
        assert!(file_args(&write("e.yaml", ""), &dce_cmd(), "dce")
            .unwrap()
            .is_empty());
        assert!(file_args(&write("c.yaml", "# nothing\n"), &t1_cmd(), "t1")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let (d, t) = (dce_cmd(), t1_cmd());
        let m = err(file_args(&write("u.yaml", "hctt: 0.4\n"), &d, "dce"));
        assert!(m.contains("u.yaml") && m.contains("unknown key `hctt`"), "{m}");
        assert!(m.contains("hct, model"), "{m}");
        let m = err(file_args(&write("s.yaml", "force: yes please\n"), &d, "dce"));
        assert!(
            m.contains("key `force`: expected true or false, found text"),
            "{m}"
        );
        let m = err(file_args(&write("b.yaml", "hct: true\n"), &d, "dce"));
        assert!(
            m.contains("key `hct`: expected a value, found the boolean `true`"),
            "{m}"
        );
        let m = err(file_args(&write("h.yaml", "hct: 1.5\n"), &d, "dce"));
        assert!(
            m.ends_with("h.yaml: key `hct`: expected a haematocrit in [0, 1), found `1.5`"),
            "{m}"
        );
        let m = err(file_args(&write("m.yaml", "model: {name: tofts}\n"), &d, "dce"));
        assert!(
            m.contains("key `model`: expected a number or text, found a mapping"),
            "{m}"
        );
        let m = err(file_args(&write("l.yaml", "times: []\n"), &d, "dce"));
        assert!(m.contains("key `times`: expected a non-empty list"), "{m}");
        let m = err(file_args(&write("n.yaml", "times: [[1], 2]\n"), &d, "dce"));
        assert!(
            m.contains("key `times`: expected a list of numbers or paths, found a list"),
            "{m}"
        );
        let m = err(file_args(&write("d.yaml", "tr: 1\ntr: 2\n"), &t, "t1"));
        assert!(m.contains("d.yaml") && m.contains("tr"), "{m}");
        let m = err(file_args(
            &write("t.yaml", "flip_angle: 1\nflip-angle: 2\n"),
            &d,
            "dce",
        ));
        assert!(m.contains("key `flip-angle`: expected once, found twice"), "{m}");
        let m = err(file_args(&write("x.yaml", "model: [tofts\n"), &d, "dce"));
        assert!(m.contains("x.yaml: expected YAML, found a syntax error"), "{m}");
        let m = err(file_args(&write("v.yaml", "- tofts\n"), &d, "dce"));
        assert!(
            m.contains("expected a mapping of settings (key: value), found a list"),
            "{m}"
        );
        let m = err(file_args(&write("two.yaml", "a: 1\n---\nb: 2\n"), &d, "dce"));
        assert!(m.contains("expected one YAML document, found 2"), "{m}");
        let m = err(file_args(Path::new("/nonexistent/osipy.yaml"), &d, "dce"));
        assert_eq!(m, "--config /nonexistent/osipy.yaml: no such file");
        let m = err(file_args(&write("bin.yaml", b"model: \xff\xfe"), &d, "dce"));
        assert!(m.ends_with("bin.yaml: expected UTF-8 text (YAML)"), "{m}");
        let m = err(file_args(&write("cfg.yaml", "config: other.yaml\n"), &d, "dce"));
        assert!(m.contains("unknown key `config`"), "{m}");
    }

    #[test]
    fn dump_is_valid_yaml_with_every_setting_once() {
        for (name, cmd) in [("dce", dce_cmd()), ("t1", t1_cmd())] {
            let text = dump(&cmd, name);
            let Value::Mapping(m) = serde_norway::from_str::<Value>(&text).unwrap() else {
                panic!("not a mapping")
            };
            let keys: Vec<String> = m.keys().map(|k| scalar(k).unwrap()).collect();
            let want: Vec<String> = settings(&cmd).iter().map(|a| a.get_id().to_string()).collect();
            assert_eq!(keys, want);
            assert!(keys.contains(&"threads".to_string()) && !keys.contains(&"config".to_string()));
            // The defaults load (null and false are left out).
            let p = write(&format!("dump-{name}.yaml"), &text);
            let args = file_args(&p, &cmd, name).unwrap();
            assert!(args.iter().all(|a| a.to_string_lossy().contains('=')), "{args:?}");
        }
    }

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn dumped_defaults_parse_to_the_defaults_of_the_flags() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for name in ["dce", "t1"] {
            let cmd = if name == "dce" { dce_cmd() } else { t1_cmd() };
            let p = dir.join(format!("{name}.yaml"));
            std::fs::write(&p, dump(&cmd, name)).unwrap();
            let bare = parse_command(&os(&[name, "--input", "in.nii", "--out", "o"])).unwrap();
            let with = parse_command(&os(&[
                name,
                "--input",
                "in.nii",
                "--out",
                "o",
                "--config",
                p.to_str().unwrap(),
            ]))
            .unwrap();
            match (bare, with) {
                (Parsed::Dce(mut a), Parsed::Dce(b)) => {
                    a.run.config = b.run.config.clone();
                    assert_eq!(a, b);
                }
                (Parsed::T1(mut a), Parsed::T1(b)) => {
                    a.run.config = b.run.config.clone();
                    assert_eq!(a, b);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn command_line_overrides_the_file_and_the_file_the_defaults() {
        let p = write(
            "o.yaml",
            "input: from-file.nii\nout: o\nmodel: patlak\nhct: 0.4\ntimes: [0, 1, 2]\ndelay: true\nthreads: 3\n",
        );
        let got = parse_command(&os(&[
            "dce",
            "--config",
            p.to_str().unwrap(),
            "--model",
            "2cxm",
            "--dt",
            "2",
        ]))
        .unwrap();
        let Parsed::Dce(o) = got else { panic!("{got:?}") };
        assert_eq!(o.model, osipy::dce::Model::TwoCxm);
        assert_eq!(o.hct, 0.4);
        assert!(o.fit_delay);
        assert_eq!(o.run.threads, Some(3));
        assert_eq!(o.input, Path::new("from-file.nii"));
        // --dt on the command line wins over the file's times.
        assert_eq!((o.times.clone(), o.dt), (None, Some(2.0)));
        let m = match parse_command(&os(&["dce", "--config", p.to_str().unwrap(), "--hct", "2"])) {
            Err(CliError::Usage(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(m, "--hct: expected a haematocrit in [0, 1), found `2`");
    }
}
