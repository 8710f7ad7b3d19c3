//! YAML configuration files of `osipy dce` and `osipy t1` (`--config FILE`, `--dump-defaults`).
//!
//! A configuration is one YAML mapping whose keys are the command's flags without the leading
//! `--` and with `_` for `-` (`--flip-angle` is `flip_angle`; `flip-angle` is accepted too).
//! Its settings come first and the flags of the command line after them, so a flag overrides
//! the file. A key that is missing or `null` keeps the default; a switch (`force`, `quiet`,
//! `delay`, `magnitude`) takes `true` or `false`; list settings (`times`, `flip_angles`, several
//! `input` files of `t1`) take a YAML list or the comma-separated text of the flag. Relative
//! paths are taken from the working directory, as on the command line. Values are checked by
//! the same parser as the flags; every error names the file and the key. `--dump-defaults`
//! prints a file of every key with its default and a comment, ready to edit.

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use super::CliError;

/// What a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Takes {
    /// `true` or `false` (a flag without a value).
    Switch,
    /// One scalar (number or text).
    Value,
    /// A list of scalars, or their comma-separated text.
    List,
}

/// One setting of a command: its key, what it takes, its default as YAML, and a comment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key {
    /// The key (snake case); the flag is `--` and the key with `-` for `_`.
    pub(crate) name: &'static str,
    /// What it takes.
    pub(crate) takes: Takes,
    /// The default, as YAML text.
    pub(crate) default: &'static str,
    /// One-line description.
    pub(crate) doc: &'static str,
}

const fn key(name: &'static str, takes: Takes, default: &'static str, doc: &'static str) -> Key {
    Key {
        name,
        takes,
        default,
        doc,
    }
}

/// The settings of `osipy dce`, in the order `--dump-defaults` prints them.
pub(crate) const DCE_KEYS: &[Key] = &[
    key(
        "input",
        Takes::Value,
        "null",
        "4-D .nii/.nii.gz, DICOM folder or .npy [x, y, z, t] (required)",
    ),
    key("out", Takes::Value, "null", "output folder (required)"),
    key(
        "force",
        Takes::Switch,
        "false",
        "replace the output folder if it exists and is not empty",
    ),
    key(
        "quiet",
        Takes::Switch,
        "false",
        "no progress on stderr and no summary on stdout",
    ),
    key(
        "kind",
        Takes::Value,
        "concentration",
        "concentration (mM) or signal (SPGR)",
    ),
    key(
        "series",
        Takes::Value,
        "null",
        "DICOM SeriesInstanceUID to read from a folder (and its sub-folders) of several series",
    ),
    key(
        "sidecar",
        Takes::Value,
        "null",
        "BIDS sidecar (null: the input's name with .json, when it exists)",
    ),
    key(
        "mask",
        Takes::Value,
        "null",
        "3-D NIfTI or .npy; non-zero voxels are fitted (null: finite, non-zero curves)",
    ),
    key(
        "times",
        Takes::List,
        "null",
        "frame start times in seconds, e.g. [0, 4, 8, ...] (null: --dt, sidecar, DICOM, NIfTI)",
    ),
    key("dt", Takes::Value, "null", "frame spacing in seconds"),
    key(
        "aif",
        Takes::Value,
        "parker",
        "parker, georgiou, mcgrath, weinmann, fritz-hansen, FILE.csv, FILE.npy, mask:MASK or auto",
    ),
    key(
        "aif_delay",
        Takes::Value,
        "0",
        "bolus arrival time of a population AIF (s)",
    ),
    key(
        "aif_interp",
        Takes::Value,
        "linear",
        "the AIF between samples: linear or spline (natural cubic)",
    ),
    key("hct", Takes::Value, "0.42", "haematocrit for blood -> plasma"),
    key(
        "model",
        Takes::Value,
        "extended_tofts",
        "tofts, extended_tofts, patlak, 2cxm or 2cum",
    ),
    key("delay", Takes::Switch, "false", "also fit an arterial delay (s)"),
    key(
        "t1",
        Takes::Value,
        "null",
        "pre-contrast T1 (signal input): seconds, or a 3-D NIfTI/.npy map (s)",
    ),
    key(
        "flip_angle",
        Takes::Value,
        "null",
        "flip angle in degrees (null: sidecar or DICOM)",
    ),
    key(
        "tr",
        Takes::Value,
        "null",
        "repetition time in seconds (null: sidecar or DICOM)",
    ),
    key(
        "relaxivity",
        Takes::Value,
        "null",
        "longitudinal relaxivity /s/mM (null: sidecar)",
    ),
    key("baseline", Takes::Value, "5", "number of pre-contrast frames"),
    key(
        "device",
        Takes::Value,
        "cpu",
        "cpu, emulator, cuda, cuda:N or auto",
    ),
];

/// The settings of `osipy t1`, in the order `--dump-defaults` prints them.
pub(crate) const T1_KEYS: &[Key] = &[
    key(
        "input",
        Takes::List,
        "null",
        "a 4-D .nii/.nii.gz/.npy, a DICOM folder, or a list of 3-D files, one per volume (required)",
    ),
    key("out", Takes::Value, "null", "output folder (required)"),
    key(
        "force",
        Takes::Switch,
        "false",
        "replace the output folder if it exists and is not empty",
    ),
    key(
        "quiet",
        Takes::Switch,
        "false",
        "no progress on stderr and no summary on stdout",
    ),
    key(
        "sidecar",
        Takes::Value,
        "null",
        "BIDS sidecar (null: the single input's name with .json, when it exists)",
    ),
    key(
        "mask",
        Takes::Value,
        "null",
        "3-D NIfTI or .npy; non-zero voxels are fitted (null: finite, non-zero samples)",
    ),
    key(
        "method",
        Takes::Value,
        "nonlinear",
        "nonlinear, linear, two-angle or look-locker",
    ),
    key(
        "flip_angles",
        Takes::List,
        "null",
        "nominal flip angles in degrees, one per volume, e.g. [2, 5, 10, 15] (null: sidecar or DICOM)",
    ),
    key(
        "tr",
        Takes::Value,
        "null",
        "repetition time in seconds (null: sidecar)",
    ),
    key(
        "b1",
        Takes::Value,
        "null",
        "B1 scale map, 3-D NIfTI or .npy (VFA)",
    ),
    key(
        "times",
        Takes::List,
        "null",
        "Look-Locker readout times after the inversion in seconds (null: sidecar or DICOM)",
    ),
    key(
        "magnitude",
        Takes::Switch,
        "false",
        "Look-Locker: the volumes are magnitude images",
    ),
    key(
        "device",
        Takes::Value,
        "cpu",
        "cpu, emulator, cuda, cuda:N or auto",
    ),
];

/// The flag of a key (`flip_angle` -> `--flip-angle`).
pub(crate) fn flag_of(key: &str) -> String {
    format!("--{}", key.replace('_', "-"))
}

/// One setting read from a configuration file, as the flag it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    /// The file.
    pub(crate) file: String,
    /// The key as written.
    pub(crate) key: String,
    /// The flag (`--flip-angle`).
    pub(crate) flag: String,
    /// The value (`None` for a switch).
    pub(crate) value: Option<String>,
}

fn kind_name(y: &Yaml) -> &'static str {
    match y {
        Yaml::Real(_) | Yaml::Integer(_) => "a number",
        Yaml::String(_) => "text",
        Yaml::Boolean(_) => "a boolean",
        Yaml::Array(_) => "a list",
        Yaml::Hash(_) => "a mapping",
        Yaml::Alias(_) => "an alias",
        Yaml::Null => "null",
        Yaml::BadValue => "a value that is not valid YAML",
    }
}

/// The text of a scalar (numbers as written), `None` for anything else.
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::Real(s) | Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Reads the configuration `path` of command `cmd` (keys `keys`) into the flags it stands for,
/// in the file's order (null values and `false` switches are left out).
pub(crate) fn load(path: &Path, cmd: &str, keys: &[Key]) -> Result<Vec<Item>, CliError> {
    let file = path.display().to_string();
    let usage = |m: String| CliError::Usage(format!("--config {file}: {m}"));
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8(b).map_err(|_| usage("expected UTF-8 text (YAML)".into()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(usage("no such file".into())),
        Err(e) => return Err(usage(format!("cannot read: {e}"))),
    };
    let docs = YamlLoader::load_from_str(&text)
        .map_err(|e| usage(format!("expected YAML, found a syntax error: {e}")))?;
    let root = match docs.as_slice() {
        [] => return Ok(Vec::new()),
        [d] => d,
        _ => return Err(usage(format!("expected one YAML document, found {}", docs.len()))),
    };
    let map = match root {
        Yaml::Hash(h) => h,
        Yaml::Null => return Ok(Vec::new()),
        other => {
            return Err(usage(format!(
                "expected a mapping of settings (key: value), found {}",
                kind_name(other)
            )))
        }
    };
    let mut items = Vec::new();
    let mut seen: Vec<&'static str> = Vec::new();
    for (k, v) in map {
        let Some(kname) = scalar(k) else {
            return Err(usage(format!(
                "expected keys that are setting names, found {} as a key",
                kind_name(k)
            )));
        };
        let canonical = kname.replace('-', "_");
        let Some(spec) = keys.iter().find(|s| s.name == canonical) else {
            let known: Vec<&str> = keys.iter().map(|s| s.name).collect();
            return Err(usage(format!(
                "unknown key `{kname}` for osipy {cmd}; expected one of: {}",
                known.join(", ")
            )));
        };
        if seen.contains(&spec.name) {
            return Err(usage(format!(
                "key `{kname}`: expected once, found twice (as `{}` and `{kname}`)",
                spec.name
            )));
        }
        seen.push(spec.name);
        let bad = |want: &str| usage(format!("key `{kname}`: expected {want}, found {}", kind_name(v)));
        let value = match (spec.takes, v) {
            (_, Yaml::Null) => continue,
            (Takes::Switch, Yaml::Boolean(true)) => None,
            (Takes::Switch, Yaml::Boolean(false)) => continue,
            (Takes::Switch, _) => return Err(bad("true or false")),
            (Takes::Value | Takes::List, Yaml::Boolean(b)) => {
                return Err(usage(format!(
                    "key `{kname}`: expected a value, found the boolean `{b}`"
                )))
            }
            (Takes::List, Yaml::Array(list)) => {
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
                        "key `{kname}`: expected list items without commas, found `{p}`"
                    )));
                }
                Some(parts.join(","))
            }
            (Takes::Value, _) => Some(scalar(v).ok_or_else(|| bad("a number or text"))?),
            (Takes::List, _) => Some(scalar(v).ok_or_else(|| bad("a list or comma-separated text"))?),
        };
        items.push(Item {
            file: file.clone(),
            key: kname,
            flag: flag_of(spec.name),
            value,
        });
    }
    Ok(items)
}

/// The text `--dump-defaults` prints for command `cmd`.
pub(crate) fn dump(cmd: &str, keys: &[Key]) -> String {
    let mut s = format!(
        "# osipy {cmd} settings: `osipy {cmd} --config FILE` reads them; flags given on the\n\
         # command line override them. A key that is missing or null keeps its default;\n\
         # relative paths are taken from the working directory. Each key is a flag of\n\
         # `osipy {cmd} --help` without `--` and with `_` for `-`.\n"
    );
    let width = keys
        .iter()
        .map(|k| k.name.len() + k.default.len() + 2)
        .max()
        .unwrap_or(0);
    for k in keys {
        let head = format!("{}: {}", k.name, k.default);
        s.push_str(&format!("{head:<width$}  # {}\n", k.doc));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: impl AsRef<[u8]>) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("osipy-config-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn err(r: Result<Vec<Item>, CliError>) -> String {
        match r {
            Err(CliError::Usage(m)) => m,
            other => panic!("expected a usage error, found {other:?}"),
        }
    }

    #[test]
    fn items_in_file_order_with_lists_switches_and_nulls() {
        let p = write(
            "a.yaml",
            "model: tofts\ntimes: [0, 4.5, 9]\nforce: true\nquiet: false\nsidecar: null\nflip-angle: 15\n",
        );
        let items = load(&p, "dce", DCE_KEYS).unwrap();
        let got: Vec<(String, Option<String>)> =
            items.iter().map(|i| (i.flag.clone(), i.value.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("--model".into(), Some("tofts".into())),
                ("--times".into(), Some("0,4.5,9".into())),
                ("--force".into(), None),
                ("--flip-angle".into(), Some("15".into())),
            ]
        );
        assert_eq!(items[3].key, "flip-angle");
    }

    #[test]
    fn empty_file_is_no_settings() {
        assert!(load(&write("e.yaml", ""), "dce", DCE_KEYS).unwrap().is_empty());
        assert!(load(&write("c.yaml", "# nothing\n"), "t1", T1_KEYS)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let m = err(load(&write("u.yaml", "hctt: 0.4\n"), "dce", DCE_KEYS));
        assert!(m.contains("u.yaml") && m.contains("unknown key `hctt`"), "{m}");
        assert!(m.contains("hct, model"), "{m}");
        let m = err(load(&write("s.yaml", "force: yes please\n"), "dce", DCE_KEYS));
        assert!(
            m.contains("key `force`: expected true or false, found text"),
            "{m}"
        );
        let m = err(load(&write("b.yaml", "hct: true\n"), "dce", DCE_KEYS));
        assert!(
            m.contains("key `hct`: expected a value, found the boolean `true`"),
            "{m}"
        );
        let m = err(load(&write("m.yaml", "model: {name: tofts}\n"), "dce", DCE_KEYS));
        assert!(
            m.contains("key `model`: expected a number or text, found a mapping"),
            "{m}"
        );
        let m = err(load(&write("l.yaml", "times: []\n"), "dce", DCE_KEYS));
        assert!(m.contains("key `times`: expected a non-empty list"), "{m}");
        let m = err(load(&write("n.yaml", "times: [[1], 2]\n"), "dce", DCE_KEYS));
        assert!(
            m.contains("key `times`: expected a list of numbers or paths, found a list"),
            "{m}"
        );
        let m = err(load(&write("d.yaml", "tr: 1\ntr: 2\n"), "t1", T1_KEYS));
        assert!(m.contains("d.yaml") && m.contains("tr"), "{m}");
        let m = err(load(
            &write("t.yaml", "flip_angle: 1\nflip-angle: 2\n"),
            "dce",
            DCE_KEYS,
        ));
        assert!(m.contains("key `flip-angle`: expected once, found twice"), "{m}");
        let m = err(load(&write("x.yaml", "model: [tofts\n"), "dce", DCE_KEYS));
        assert!(m.contains("x.yaml: expected YAML, found a syntax error"), "{m}");
        let m = err(load(&write("v.yaml", "- tofts\n"), "dce", DCE_KEYS));
        assert!(
            m.contains("expected a mapping of settings (key: value), found a list"),
            "{m}"
        );
        let m = err(load(&write("two.yaml", "a: 1\n---\nb: 2\n"), "dce", DCE_KEYS));
        assert!(m.contains("expected one YAML document, found 2"), "{m}");
        let m = err(load(Path::new("/nonexistent/osipy.yaml"), "dce", DCE_KEYS));
        assert_eq!(m, "--config /nonexistent/osipy.yaml: no such file");
        let m = err(load(&write("bin.yaml", b"model: \xff\xfe"), "dce", DCE_KEYS));
        assert!(m.ends_with("bin.yaml: expected UTF-8 text (YAML)"), "{m}");
    }

    #[test]
    fn dump_is_valid_yaml_with_every_key_once() {
        for (cmd, keys) in [("dce", DCE_KEYS), ("t1", T1_KEYS)] {
            let text = dump(cmd, keys);
            let docs = YamlLoader::load_from_str(&text).unwrap();
            let Yaml::Hash(h) = &docs[0] else {
                panic!("not a mapping")
            };
            let names: Vec<String> = h.keys().map(|k| scalar(k).unwrap()).collect();
            let want: Vec<String> = keys.iter().map(|k| k.name.to_string()).collect();
            assert_eq!(names, want);
            // The defaults load (null and false are left out).
            let p = write(&format!("dump-{cmd}.yaml"), &text);
            let items = load(&p, cmd, keys).unwrap();
            assert!(items.iter().all(|i| i.value.is_some()));
        }
    }

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn dce(v: &[&str]) -> Result<crate::Parsed<crate::dce_args::DceOptions>, CliError> {
        crate::dce_args::parse(&args(v))
    }

    fn t1(v: &[&str]) -> Result<crate::Parsed<crate::t1_args::T1Options>, CliError> {
        crate::t1_args::parse(&args(v))
    }

    #[test]
    fn dumped_defaults_parse_to_the_defaults_of_the_flags() {
        use crate::Parsed;
        let p = write("defaults-dce.yaml", dump("dce", DCE_KEYS));
        let f = p.to_str().unwrap();
        let Parsed::Run(mut from_file) = dce(&["--config", f, "--input", "a.nii", "--out", "o"]).unwrap()
        else {
            panic!("expected options")
        };
        assert_eq!(from_file.config, Some(p.clone()));
        from_file.config = None;
        assert_eq!(
            Parsed::Run(from_file),
            dce(&["--input", "a.nii", "--out", "o"]).unwrap()
        );
        let p = write("defaults-t1.yaml", dump("t1", T1_KEYS));
        let f = p.to_str().unwrap();
        let Parsed::Run(mut from_file) =
            t1(&[&format!("--config={f}"), "--input", "a.nii", "--out", "o"]).unwrap()
        else {
            panic!("expected options")
        };
        assert_eq!(from_file.config, Some(p.clone()));
        from_file.config = None;
        assert_eq!(
            Parsed::Run(from_file),
            t1(&["--input", "a.nii", "--out", "o"]).unwrap()
        );
        assert_eq!(dce(&["--dump-defaults"]).unwrap(), Parsed::DumpDefaults);
        assert_eq!(t1(&["--dump-defaults"]).unwrap(), Parsed::DumpDefaults);
    }

    #[test]
    fn every_key_is_a_flag_of_its_command() {
        // A value for every key through the file: each is accepted by the parser.
        let dce_values = "input: a.nii\nout: o\nforce: true\nquiet: true\nkind: signal\n\
            series: 1.2.3\nsidecar: s.json\nmask: m.nii\ntimes: [0, 5, 10]\ndt: 2\naif: georgiou\n\
            aif_delay: 3\naif_interp: spline\nhct: 0.45\nmodel: 2cxm\ndelay: true\nt1: 1.4\nflip_angle: 15\n\
            tr: 0.005\nrelaxivity: 4.5\nbaseline: 3\ndevice: emulator\n";
        let p = write("all-dce.yaml", dce_values);
        let items = load(&p, "dce", DCE_KEYS).unwrap();
        assert_eq!(items.len(), DCE_KEYS.len());
        let crate::Parsed::Run(o) = dce(&["--config", p.to_str().unwrap()]).unwrap() else {
            panic!("expected options")
        };
        assert!(o.force && o.quiet && o.fit_delay);
        assert_eq!(o.kind, crate::dce_args::Kind::Signal);
        // `dt` comes after `times` in the file and wins, as a later flag would.
        assert_eq!(o.times, Some(crate::dce_args::TimesArg::Dt(2.0)));
        assert_eq!((o.aif.as_str(), o.aif_delay_s, o.hct), ("georgiou", 3.0, 0.45));
        assert_eq!(o.aif_interp, osipy::dce::AifInterpolation::Spline);
        assert_eq!(o.model, crate::dce_args::Model::TwoCxm);
        assert_eq!(
            (o.flip_angle_deg, o.tr_s, o.relaxivity),
            (Some(15.0), Some(0.005), Some(4.5))
        );
        assert_eq!((o.t1.as_deref(), o.baseline), (Some("1.4"), 3));
        assert_eq!(o.series.as_deref(), Some("1.2.3"));
        assert_eq!(o.device, Some(osipy_kernels::Device::Emulator));
        let t1_values = "input: [a.nii, b.nii]\nout: o\nforce: true\nquiet: true\n\
            sidecar: s.json\nmask: m.nii\nmethod: linear\nflip_angles: [2, 15]\ntr: 0.01\n\
            b1: b.nii\ndevice: auto\n";
        let p = write("all-t1.yaml", t1_values);
        let crate::Parsed::Run(o) = t1(&["--config", p.to_str().unwrap()]).unwrap() else {
            panic!("expected options")
        };
        assert_eq!(o.inputs.len(), 2);
        assert_eq!(o.flip_angles_deg, Some(vec![2.0, 15.0]));
        assert_eq!((o.tr_s, o.device), (Some(0.01), None));
        let ll = write(
            "ll-t1.yaml",
            "input: a.nii\nout: o\nmethod: look-locker\ntimes: [0.1, 0.5]\nmagnitude: true\n",
        );
        let crate::Parsed::Run(o) = t1(&["--config", ll.to_str().unwrap()]).unwrap() else {
            panic!("expected options")
        };
        assert!(o.magnitude);
        assert_eq!(o.times_s, Some(vec![0.1, 0.5]));
        // Every key of the tables was used above.
        for k in T1_KEYS {
            assert!(
                t1_values.contains(&format!("{}:", k.name)) || ["times", "magnitude"].contains(&k.name),
                "{}",
                k.name
            );
        }
    }

    #[test]
    fn command_line_overrides_the_file() {
        let p = write("override.yaml", "input: a.nii\nout: o\nmodel: tofts\nhct: 0.4\n");
        let f = p.to_str().unwrap();
        let crate::Parsed::Run(o) = dce(&["--model", "patlak", "--config", f, "--out", "p"]).unwrap() else {
            panic!("expected options")
        };
        assert_eq!(o.model, crate::dce_args::Model::Patlak);
        assert_eq!(o.out, std::path::PathBuf::from("p"));
        assert_eq!(o.hct, 0.4);
        assert_eq!(o.input, std::path::PathBuf::from("a.nii"));
    }

    #[test]
    fn bad_values_in_the_file_name_the_key() {
        let usage = |r: Result<crate::Parsed<crate::dce_args::DceOptions>, CliError>| match r {
            Err(CliError::Usage(m)) => m,
            other => panic!("expected a usage error, found {other:?}"),
        };
        let p = write("bad-hct.yaml", "hct: 1.5\n");
        let f = p.display().to_string();
        assert_eq!(
            usage(dce(&["--config", &f, "--input", "a", "--out", "o"])),
            format!("--config {f}: key `hct`: expected a haematocrit in [0, 1), found `1.5`")
        );
        let p = write("bad-model.yaml", "model: toft\n");
        let f = p.display().to_string();
        assert!(usage(dce(&["--config", &f])).starts_with(&format!(
            "--config {f}: key `model`: expected tofts, extended_tofts"
        )));
        let p = write("bad-device.yaml", "device: gpu\n");
        let f = p.display().to_string();
        assert_eq!(
            usage(dce(&["--config", &f])),
            format!("--config {f}: key `device`: expected cpu, emulator, cuda, cuda:N or auto, found `gpu`")
        );
        let p = write("bad-out.yaml", "out: /\n");
        let f = p.display().to_string();
        assert!(usage(dce(&["--config", &f, "--input", "a"]))
            .starts_with(&format!("--config {f}: key `out`: expected a path")));
        let p = write("bad-times.yaml", "times: [0, x, 8]\n");
        let f = p.display().to_string();
        assert_eq!(
            usage(dce(&["--config", &f])),
            format!("--config {f}: key `times`: expected comma-separated times in seconds, found `x`")
        );
        let p = write("bad-angles.yaml", "flip_angles: [2, 200]\n");
        let f = p.display().to_string();
        match t1(&["--config", &f]) {
            Err(CliError::Usage(m)) => assert!(
                m.starts_with(&format!(
                    "--config {f}: key `flip_angles`: expected comma-separated flip angles"
                )),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
        // Required settings and the flag itself.
        let p = write("no-input.yaml", "out: o\n");
        assert_eq!(
            usage(dce(&["--config", p.to_str().unwrap()])),
            "dce: --input is required (or `input` in the --config file)"
        );
        assert_eq!(
            usage(dce(&["--config"])),
            "--config: expected a YAML file, found the end of the arguments"
        );
        assert!(
            usage(dce(&["--config", "a.yaml", "--config=b.yaml"])).contains("found a second one `b.yaml`")
        );
        // A value that looks like --config is the value of its flag.
        let p = write("plain.yaml", "input: a.nii\n");
        let crate::Parsed::Run(o) = dce(&["--config", p.to_str().unwrap(), "--out", "--config"]).unwrap()
        else {
            panic!("expected options")
        };
        assert_eq!(o.out, std::path::PathBuf::from("--config"));
    }
}
