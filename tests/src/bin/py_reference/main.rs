//! `py-reference CASE DIR`: computes one case of the Python package's tests with the Rust
//! library directly and writes its outputs into `DIR`, so that the tests can check the Python
//! calls against the library bit for bit.
//!
//! A case's inputs are `.npy` files in `DIR` and `DIR/args.txt` (`key=value` lines); each
//! output is written as `DIR/out_NAME.npy`. The cases are the modules below (one per
//! modality), each a function `run(case, &Case) -> Result<bool, String>` that returns false
//! for a case it does not know.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ndarray::ArrayD;

mod aif;
mod asl;
mod conc;
mod dce;
mod dsc;
mod io;
mod ivim;
mod t1;

/// One case's folder: its arguments and inputs, and where the outputs go.
pub struct Case {
    dir: PathBuf,
    args: BTreeMap<String, String>,
}

impl Case {
    fn open(dir: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(dir.join("args.txt")).unwrap_or_default();
        let args = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Ok(Case {
            dir: dir.to_path_buf(),
            args,
        })
    }

    /// The argument `key`, if given.
    pub fn arg(&self, key: &str) -> Option<&str> {
        self.args.get(key).map(String::as_str)
    }

    /// The argument `key` as a number, if given.
    pub fn num(&self, key: &str) -> Result<Option<f64>, String> {
        self.arg(key)
            .map(|v| v.parse::<f64>().map_err(|e| format!("args.txt: {key}={v}: {e}")))
            .transpose()
    }

    /// The argument `key` as comma-separated numbers, if given.
    pub fn nums(&self, key: &str) -> Result<Option<Vec<f64>>, String> {
        self.arg(key)
            .map(|v| {
                v.split(',')
                    .map(|x| {
                        x.trim()
                            .parse::<f64>()
                            .map_err(|e| format!("args.txt: {key}={v}: {e}"))
                    })
                    .collect()
            })
            .transpose()
    }

    /// The argument `key` as a flag (`true`/`1`).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.arg(key), Some("true" | "1" | "True"))
    }

    /// Input `NAME.npy` as float64.
    pub fn input(&self, name: &str) -> Result<ArrayD<f64>, String> {
        let p = self.dir.join(format!("{name}.npy"));
        osipy::npy::read(&p).map_err(|e| e.to_string())
    }

    /// Input `NAME.npy` as float64, if present.
    pub fn input_opt(&self, name: &str) -> Result<Option<ArrayD<f64>>, String> {
        if self.dir.join(format!("{name}.npy")).exists() {
            self.input(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Input `NAME.npy` as a mask, if present.
    pub fn mask_opt(&self, name: &str) -> Result<Option<ArrayD<bool>>, String> {
        let p = self.dir.join(format!("{name}.npy"));
        if p.exists() {
            osipy::npy::read_mask(&p).map(Some).map_err(|e| e.to_string())
        } else {
            Ok(None)
        }
    }

    /// Writes output `out_NAME.npy`.
    pub fn output(&self, name: &str, a: &ArrayD<f64>) -> Result<(), String> {
        let p = self.dir.join(format!("out_{name}.npy"));
        ndarray_npy::write_npy(&p, a).map_err(|e| format!("{}: {e}", p.display()))
    }

    /// Writes every map of `maps` as `out_NAME.npy`, and the mask as `out_mask.npy` (0/1).
    pub fn output_maps(&self, maps: &osipy::volume::Maps) -> Result<(), String> {
        for m in &maps.maps {
            self.output(m.name, &m.data)?;
        }
        self.output("mask", &maps.mask.mapv(|b| if b { 1.0 } else { 0.0 }))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: py-reference CASE DIR");
        return ExitCode::from(2);
    };
    let result = Case::open(Path::new(dir)).and_then(|case| {
        let runs = [
            dce::run,
            aif::run,
            conc::run,
            t1::run,
            io::run,
            dsc::run,
            ivim::run,
            asl::run,
        ];
        for run in runs {
            if run(name, &case)? {
                return Ok(());
            }
        }
        Err(format!("unknown case `{name}`"))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("py-reference {name}: {e}");
            ExitCode::FAILURE
        }
    }
}
