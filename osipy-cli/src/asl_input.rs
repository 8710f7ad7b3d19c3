//! The inputs of `osipy asl` as BIDS has them: the series, `*_aslcontext.tsv`, the `*_asl.json`
//! sidecar and the `*_m0scan` image with its own sidecar; flags override the files.

use std::path::{Path, PathBuf};

use ndarray::{Array3, Array4};
use osipy::asl::{Context, Labelling};
use osipy::io::nifti::Nifti;
use serde_json::Value;

use super::asl_args::AslOptions;
use super::dce_input::{default_sidecar, read_input};
use super::inputs::{hash_file, read_any, read_sidecar, rt, sidecar_number, to3, Hashes};
use super::CliError;

/// Where the M0 comes from.
pub(crate) enum M0Choice {
    /// An M0 image (the input's spatial shape).
    Map(Array3<f64>),
    /// One value.
    Value(f64),
    /// The series' m0scan volumes.
    Series,
}

/// Everything `osipy asl` read, with where each value came from.
pub(crate) struct AslInput {
    pub(crate) data: Array4<f64>,
    pub(crate) like: Nifti,
    pub(crate) format: &'static str,
    pub(crate) hashes: Hashes,
    pub(crate) sidecar: Option<PathBuf>,
    pub(crate) context: Option<(PathBuf, Context)>,
    pub(crate) labelling: Labelling,
    pub(crate) plds: Vec<f64>,
    pub(crate) tau: f64,
    pub(crate) field: f64,
    pub(crate) bs_efficiency: f64,
    pub(crate) slice_timing: Vec<f64>,
    pub(crate) m0: M0Choice,
    pub(crate) m0_desc: String,
    pub(crate) m0_tr: f64,
}

/// The BIDS file beside `input` with `suffix` in place of `_asl` and its extension
/// (`sub-1_asl.nii.gz` -> `sub-1_aslcontext.tsv`), whether it exists or not.
pub(crate) fn bids_sibling(input: &Path, suffix: &str) -> Option<PathBuf> {
    let name = input.file_name()?.to_str()?;
    let stem = [".nii.gz", ".nii", ".npy"]
        .iter()
        .find_map(|e| name.strip_suffix(e))
        .unwrap_or(name);
    let stem = stem.strip_suffix("_asl").unwrap_or(stem);
    Some(input.with_file_name(format!("{stem}{suffix}")))
}

/// One number or a list of numbers of a sidecar key.
fn numbers(sc: &Value, key: &str, file: &Path) -> Result<Option<Vec<f64>>, CliError> {
    match sc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_f64().filter(|x| x.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .filter(|v| !v.is_empty())
            .map(Some)
            .ok_or_else(|| {
                rt(format!(
                    "--sidecar {}: key {key}: expected numbers, found {}",
                    file.display(),
                    sc[key]
                ))
            }),
        Some(_) => Ok(sidecar_number(sc, key, file)?.map(|x| vec![x])),
    }
}

fn missing(what: &str, flag: &str, key: &str, sc: &Option<PathBuf>) -> CliError {
    rt(format!(
        "no {what}: give {flag} (the sidecar {} has no {key})",
        sc.as_ref().map_or("(none)".into(), |p| p.display().to_string())
    ))
}

/// Reads the series and every setting of `o`.
pub(crate) fn read(o: &AslOptions) -> Result<AslInput, CliError> {
    let inp = read_input(&o.input, None)?;
    let mut hashes = inp.hashes;
    let (nx, ny, nz, nv) = inp.data.dim();
    let xyz = [nx, ny, nz];
    let sc_path = o.sidecar.clone().or_else(|| default_sidecar(&o.input));
    let (sc_path, sc) = read_sidecar(sc_path, &mut hashes)?;
    let sc_file = sc_path.clone().unwrap_or_default();

    // The context.
    let ctx_path = o
        .context
        .clone()
        .or_else(|| bids_sibling(&o.input, "_aslcontext.tsv").filter(|p| p.is_file()));
    let context = match ctx_path {
        Some(p) => {
            if !p.is_file() {
                return Err(rt(format!("--context {}: no such file", p.display())));
            }
            hash_file(&p, &mut hashes)?;
            let text = std::fs::read_to_string(&p).map_err(|e| super::outdir::io_err(&p, "read", e))?;
            let c = Context::parse(&text, &p.display().to_string())?;
            c.check(nv, &p.display().to_string())?;
            Some((p, c))
        }
        None => None,
    };

    let labelling = match (o.labelling, sc.get("ArterialSpinLabelingType")) {
        (Some(l), _) => l,
        (None, Some(Value::String(s))) => s.parse::<Labelling>().map_err(|_| {
            rt(format!(
                "--sidecar {}: key ArterialSpinLabelingType: expected PCASL, CASL or PASL, found `{s}`",
                sc_file.display()
            ))
        })?,
        _ => {
            return Err(missing(
                "labelling scheme",
                "--labelling",
                "ArterialSpinLabelingType",
                &sc_path,
            ))
        }
    };
    let plds = match &o.pld {
        Some(p) => p.clone(),
        None => numbers(&sc, "PostLabelingDelay", &sc_file)?
            .ok_or_else(|| missing("post-labelling delay", "--pld", "PostLabelingDelay", &sc_path))?,
    };
    if plds.len() != 1 && plds.len() != nv {
        let src = if o.pld.is_some() {
            "--pld".to_string()
        } else {
            format!("--sidecar {}: key PostLabelingDelay", sc_file.display())
        };
        return Err(rt(format!(
            "{src}: expected one value or one per volume ({nv}), found {} values",
            plds.len()
        )));
    }
    let tau_key = if labelling == Labelling::Pasl {
        "BolusCutOffDelayTime"
    } else {
        "LabelingDuration"
    };
    let tau = match o.tau {
        Some(t) => t,
        None => numbers(&sc, tau_key, &sc_file)?
            .and_then(|v| v.first().copied())
            .ok_or_else(|| missing("labelling duration", "--tau", tau_key, &sc_path))?,
    };
    let field = match o.field {
        Some(f) => f,
        None => sidecar_number(&sc, "MagneticFieldStrength", &sc_file)?.unwrap_or(3.0),
    };
    let bs_efficiency = match o.bs_efficiency {
        Some(e) => e,
        None => match (
            sc.get("BackgroundSuppression"),
            sidecar_number(&sc, "BackgroundSuppressionNumberPulses", &sc_file)?,
        ) {
            (Some(Value::Bool(true)), Some(n)) => 0.95f64.powf(n),
            _ => 1.0,
        },
    };
    let slice_timing = if o.no_slice_timing {
        Vec::new()
    } else {
        let st = numbers(&sc, "SliceTiming", &sc_file)?.unwrap_or_default();
        if !st.is_empty() && st.len() != nz {
            return Err(rt(format!(
                "--sidecar {}: key SliceTiming: expected one time per slice ({nz}), found {}",
                sc_file.display(),
                st.len()
            )));
        }
        let t0 = st.iter().copied().fold(f64::INFINITY, f64::min);
        st.iter().map(|t| t - t0).collect()
    };

    // M0.
    let has_m0_volumes = context
        .as_ref()
        .is_some_and(|(_, c)| c.types.contains(&osipy::asl::VolumeType::M0Scan));
    let mut m0_tr = o.m0_tr.unwrap_or(f64::NAN);
    let read_m0 = |p: &Path, hashes: &mut Hashes| -> Result<(Array3<f64>, f64), CliError> {
        let (a, _) = read_any("--m0", p, hashes)?;
        // A 4-D M0 series: its mean over the last axis.
        let a = if a.ndim() == 4 && a.shape()[3] > 1 {
            a.mean_axis(ndarray::Axis(3))
                .ok_or_else(|| rt(format!("--m0 {}: an empty series", p.display())))?
        } else {
            a
        };
        let m = to3("--m0", p, a, Some(xyz))?;
        let side = super::inputs::sidecar_beside(p);
        let (_, msc) = read_sidecar(side.clone(), hashes)?;
        let f = side.unwrap_or_default();
        let tr = match sidecar_number(&msc, "RepetitionTimePreparation", &f)? {
            Some(t) => t,
            None => sidecar_number(&msc, "RepetitionTime", &f)?.unwrap_or(f64::NAN),
        };
        Ok((m, tr))
    };
    let (m0, m0_desc) = match o.m0.as_deref() {
        Some(v) if v.trim().parse::<f64>().is_ok() => {
            let x: f64 = v.trim().parse().unwrap_or(f64::NAN);
            if !(x > 0.0 && x.is_finite()) {
                return Err(CliError::Usage(format!(
                    "--m0: expected an M0 value > 0, found `{v}`"
                )));
            }
            (M0Choice::Value(x), format!("--m0 {x}"))
        }
        Some(p) => {
            let (m, tr) = read_m0(Path::new(p), &mut hashes)?;
            if o.m0_tr.is_none() {
                m0_tr = tr;
            }
            (M0Choice::Map(m), format!("--m0 {p}"))
        }
        None => {
            let m0type = sc.get("M0Type").and_then(Value::as_str).unwrap_or("");
            let beside = ["_m0scan.nii.gz", "_m0scan.nii", "_m0scan.npy"]
                .iter()
                .filter_map(|s| bids_sibling(&o.input, s))
                .find(|p| p.is_file());
            match (beside, m0type) {
                (Some(p), t) if t != "Included" => {
                    let (m, tr) = read_m0(&p, &mut hashes)?;
                    if o.m0_tr.is_none() {
                        m0_tr = tr;
                    }
                    (M0Choice::Map(m), format!("{} (M0 scan beside the input)", p.display()))
                }
                _ if has_m0_volumes => {
                    // An included M0 was acquired with the series' own preparation time.
                    if o.m0_tr.is_none() {
                        m0_tr = numbers(&sc, "RepetitionTimePreparation", &sc_file)?
                            .and_then(|v| v.first().copied())
                            .unwrap_or(f64::NAN);
                    }
                    (M0Choice::Series, "the series' m0scan volumes".into())
                }
                _ if m0type == "Estimate" => {
                    let v = sidecar_number(&sc, "M0Estimate", &sc_file)?.ok_or_else(|| {
                        rt(format!(
                            "--sidecar {}: key M0Estimate: expected a number with M0Type Estimate, found none",
                            sc_file.display()
                        ))
                    })?;
                    (M0Choice::Value(v), format!("sidecar M0Estimate {v}"))
                }
                _ => {
                    return Err(rt(format!(
                        "--input {}: no M0: give --m0 (FILE or VALUE); found no *_m0scan beside the input, no m0scan volumes in the context and no M0Estimate (sidecar M0Type `{m0type}`)",
                        o.input.display()
                    )))
                }
            }
        }
    };
    Ok(AslInput {
        data: inp.data,
        like: inp.like,
        format: inp.format,
        hashes,
        sidecar: sc_path,
        context,
        labelling,
        plds,
        tau,
        field,
        bs_efficiency,
        slice_timing,
        m0,
        m0_desc,
        m0_tr,
    })
}
