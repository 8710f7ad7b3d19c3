//! The input of `osipy t1`: the volumes (NIfTI, `.npy`, DICOM) with their geometry, and the
//! acquisition (flip angles, TR, inversion times) from the flags, the sidecar or the DICOM
//! headers.

use std::path::{Path, PathBuf};

use ndarray::{Array3, Array4, Axis, Ix4};
use serde_json::{json, Value};

use super::inputs::{is_nifti, is_npy, read_any, rt, to3, Hashes};
use super::phantom::geometry;
pub use super::t1_args::{Method, T1Options};
use super::CliError;
use osipy::io::dicom::{DicomSeries, ReadOptions, VolumeKey, VolumeOrder};
use osipy::io::nifti::Nifti;

/// The volumes as read, with the image giving the outputs their geometry.
pub(crate) struct Input {
    pub(crate) data: Array4<f64>,
    pub(crate) like: Nifti,
    pub(crate) format: &'static str,
    pub(crate) hashes: Hashes,
    /// The acquisition as the DICOM headers give it (DICOM input only).
    pub(crate) dicom: Option<DicomAcquisition>,
}

/// The acquisition values of a DICOM input, one per volume (`None` where the frames of a
/// volume disagree or lack the attribute).
pub(crate) struct DicomAcquisition {
    /// The folder (or file) read.
    path: PathBuf,
    /// The attribute that ordered the volumes.
    key: VolumeKey,
    flip_angles_deg: Vec<Option<f64>>,
    repetition_times_s: Vec<Option<f64>>,
    inversion_times_s: Vec<Option<f64>>,
    trigger_times_s: Vec<Option<f64>>,
}

/// Whether `--input` names DICOM: a folder, or a file that is neither NIfTI nor `.npy`.
pub(crate) fn is_dicom_input(path: &Path) -> bool {
    path.is_dir() || (path.is_file() && !is_npy(path) && !is_nifti(path))
}

/// The output geometry of a DICOM series: its voxel size and (RAS+) affine as the sform.
pub(crate) fn dicom_like(s: &DicomSeries) -> Nifti {
    let (nx, ny, nz, nv) = s.data.dim();
    let mut like = geometry([nx, ny, nz], nv, s.voxel_size_mm, 1.0);
    like.header.srow = [s.affine[0], s.affine[1], s.affine[2]];
    like.header.qform_code = 0;
    like.header.sform_code = 1;
    like.affine = s.affine;
    like
}

/// Reads a DICOM acquisition (a folder of one or several series, sub-folders included, or one
/// file) with its volumes ordered by flip angle (VFA methods) or by inversion time, else
/// trigger time (Look-Locker).
pub(crate) fn read_dicom_input(path: &Path, method: Method) -> Result<Input, CliError> {
    let order = if method.is_vfa() {
        VolumeOrder::FlipAngle
    } else {
        VolumeOrder::InversionTime
    };
    let options = ReadOptions {
        order,
        combine_series: true,
        sub_folders: true,
        ..ReadOptions::default()
    };
    let mut hashes = Hashes::new();
    let s = super::inputs::read_dicom_input(path, options, &mut hashes, |_| None)?;
    let format = match s.volume_key {
        VolumeKey::FlipAngle => "DICOM (volumes ordered by FlipAngle)",
        VolumeKey::InversionTime => "DICOM (volumes ordered by InversionTime)",
        VolumeKey::TriggerTime => "DICOM (volumes ordered by TriggerTime)",
        VolumeKey::BValue => "DICOM (volumes ordered by b-value)",
        VolumeKey::Time => "DICOM (one volume)",
    };
    Ok(Input {
        like: dicom_like(&s),
        format,
        hashes,
        dicom: Some(DicomAcquisition {
            path: path.to_path_buf(),
            key: s.volume_key,
            flip_angles_deg: s.volume_flip_angles_deg,
            repetition_times_s: s.volume_repetition_times_s,
            inversion_times_s: s.volume_inversion_times_s,
            trigger_times_s: s.volume_trigger_times_s,
        }),
        data: s.data,
    })
}

pub(crate) fn read_input(paths: &[PathBuf], method: Method) -> Result<Input, CliError> {
    let mut hashes = Hashes::new();
    if let [path] = paths {
        if is_dicom_input(path) {
            return read_dicom_input(path, method);
        }
        let (a, img) = read_any("--input", path, &mut hashes)?;
        let shape = a.shape().to_vec();
        let data = a.into_dimensionality::<Ix4>().map_err(|_| {
            rt(format!(
                "--input {}: expected a 4-D image [x, y, z, volumes] (or several 3-D files, comma-separated), found shape {shape:?}",
                path.display()
            ))
        })?;
        let (nx, ny, nz, nv) = data.dim();
        return Ok(match img {
            Some(like) => Input {
                data,
                like,
                format: "NIfTI (4-D)",
                hashes,
                dicom: None,
            },
            None => Input {
                data,
                like: geometry([nx, ny, nz], nv, [1.0, 1.0, 1.0], 1.0),
                format: ".npy (no geometry: 1-mm voxels centred on the origin)",
                hashes,
                dicom: None,
            },
        });
    }
    let mut vols: Vec<Array3<f64>> = Vec::new();
    let mut like = None;
    let mut xyz = None;
    for p in paths {
        if p.is_dir() {
            return Err(rt(format!(
                "--input {}: a DICOM folder must be the only --input (put the series of all flip angles or inversion times in one folder or in sub-folders of one folder)",
                p.display()
            )));
        }
        let (a, img) = read_any("--input", p, &mut hashes)?;
        let v = to3("--input", p, a, xyz)?;
        let d = v.dim();
        xyz = Some([d.0, d.1, d.2]);
        if like.is_none() {
            like = img;
        }
        vols.push(v);
    }
    let [nx, ny, nz] = xyz.unwrap_or([0; 3]);
    let views: Vec<_> = vols.iter().map(|v| v.view().insert_axis(Axis(3))).collect();
    let data = ndarray::concatenate(Axis(3), &views).map_err(|e| rt(format!("--input: {e}")))?;
    let format = if like.is_some() {
        "NIfTI (3-D volumes)"
    } else {
        ".npy volumes (no geometry: 1-mm voxels centred on the origin)"
    };
    Ok(Input {
        like: like.unwrap_or_else(|| geometry([nx, ny, nz], 1, [1.0, 1.0, 1.0], 1.0)),
        data,
        format,
        hashes,
        dicom: None,
    })
}

/// `NAME.json` beside a single NIfTI or `.npy` input `NAME.nii[.gz]` / `NAME.npy`, when it
/// exists; none for DICOM (its header has the acquisition).
pub(crate) fn default_sidecar(inputs: &[PathBuf]) -> Option<PathBuf> {
    let [input] = inputs else { return None };
    if is_dicom_input(input) {
        return None;
    }
    super::inputs::sidecar_beside(input)
}

/// A number or a list of numbers under `key`.
pub(crate) fn sidecar_list(sc: &Value, key: &str, file: &Path) -> Result<Option<Vec<f64>>, CliError> {
    let bad = |v: &Value| {
        rt(format!(
            "--sidecar {}: key {key}: expected a finite number or a list of them, found {v}",
            file.display()
        ))
    };
    match sc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Array(a)) => a
            .iter()
            .map(|x| x.as_f64().filter(|y| y.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .map(Some)
            .ok_or_else(|| bad(v)),
        Some(v) => v
            .as_f64()
            .filter(|y| y.is_finite())
            .map(|y| Some(vec![y]))
            .ok_or_else(|| bad(v)),
    }
}

pub(crate) fn read_sidecar(o: &T1Options, hashes: &mut Hashes) -> Result<(Option<PathBuf>, Value), CliError> {
    super::inputs::read_sidecar(o.sidecar.clone().or_else(|| default_sidecar(&o.inputs)), hashes)
}

/// The acquisition values a method needs.
pub(crate) struct Acquisition {
    pub(crate) flip_angles_deg: Option<Vec<f64>>,
    pub(crate) tr_s: Option<f64>,
    pub(crate) times_s: Option<Vec<f64>>,
}

/// Per-volume values of a DICOM header, when every volume has one: `(values, source)`;
/// else the error that says which volume lacks one.
pub(crate) fn dicom_values(
    d: &DicomAcquisition,
    v: &[Option<f64>],
    attribute: &str,
    flag: &str,
) -> Result<(Vec<f64>, String), CliError> {
    match v.iter().position(Option::is_none) {
        None => Ok((
            v.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
            format!("DICOM {attribute} of --input {}", d.path.display()),
        )),
        Some(j) => Err(rt(format!(
            "--input {}: DICOM {attribute} missing or different between the slices of volume {j} (found {}): expected one value per volume; give {flag}",
            d.path.display(),
            list_opt(v)
        ))),
    }
}

/// `[a, b, -]` for optional values.
pub(crate) fn list_opt(v: &[Option<f64>]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|x| x.map_or_else(|| "-".to_string(), |y| y.to_string()))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The count check of a list from a flag or the sidecar against the volumes, naming the
/// DICOM header's values when the input is DICOM.
pub(crate) fn check_count(
    src: &str,
    what: &str,
    got: usize,
    nv: usize,
    input: &str,
    header: Option<(&str, &[Option<f64>])>,
) -> Result<(), CliError> {
    if got == nv {
        return Ok(());
    }
    let dicom = match header {
        Some((attr, v)) => format!(
            "; the DICOM header tells {nv} volumes apart by {attr}: {}",
            list_opt(v)
        ),
        None => String::new(),
    };
    Err(rt(format!(
        "{src}: expected {nv} {what} (one per volume of --input {input}), found {got}{dicom}"
    )))
}

/// Resolves the acquisition from the flags, the sidecar and the DICOM header (in this order of
/// precedence), checked against `nv` volumes.
pub(crate) fn acquisition(
    o: &T1Options,
    sc: &Value,
    sc_file: &Path,
    nv: usize,
    input: &str,
    dicom: Option<&DicomAcquisition>,
) -> Result<(Acquisition, Value), CliError> {
    if let Some(d) = dicom {
        let wrong = matches!(
            (o.method.is_vfa(), d.key),
            (true, VolumeKey::InversionTime | VolumeKey::TriggerTime) | (false, VolumeKey::FlipAngle)
        );
        if wrong {
            return Err(rt(format!(
                "--input {}: DICOM volumes ordered by {:?} do not suit --method {}",
                d.path.display(),
                d.key,
                o.method.name()
            )));
        }
    }
    if o.method.is_vfa() {
        let header = dicom.map(|d| ("FlipAngle", d.flip_angles_deg.as_slice()));
        let (fa, fa_src) = match &o.flip_angles_deg {
            Some(v) => (v.clone(), "--flip-angles".to_string()),
            None => match (sidecar_list(sc, "FlipAngle", sc_file)?, dicom) {
                (Some(v), _) => (v, format!("--sidecar {} FlipAngle", sc_file.display())),
                (None, Some(d)) => {
                    dicom_values(d, &d.flip_angles_deg, "FlipAngle (0018,1314)", "--flip-angles")?
                }
                (None, None) => {
                    return Err(CliError::Usage(format!(
                        "--flip-angles: required for --method {} (or a sidecar with a FlipAngle list)",
                        o.method.name()
                    )))
                }
            },
        };
        check_count(&fa_src, "flip angles", fa.len(), nv, input, header)?;
        if let Some(a) = fa.iter().find(|a| !(**a > 0.0 && **a < 180.0)) {
            return Err(rt(format!(
                "{fa_src}: expected flip angles in (0, 180) degrees, found {a}"
            )));
        }
        if nv < 2 {
            return Err(rt(format!(
                "--input {input}: expected at least 2 volumes (flip angles), found {nv}"
            )));
        }
        let (tr, tr_src) = match o.tr_s {
            Some(v) => (v, "--tr".to_string()),
            None => {
                let mut found = None;
                for key in ["RepetitionTimeExcitation", "RepetitionTime"] {
                    if let Some(v) = sidecar_list(sc, key, sc_file)? {
                        found = Some((v, format!("--sidecar {} {key}", sc_file.display())));
                        break;
                    }
                }
                if found.is_none() {
                    if let Some(d) = dicom {
                        let (v, src) =
                            dicom_values(d, &d.repetition_times_s, "RepetitionTime (0018,0080)", "--tr")?;
                        if v.iter().any(|x| (x - v[0]).abs() > 1e-9 * v[0].abs()) {
                            return Err(rt(format!(
                                "{src}: expected one repetition time for all volumes, found {v:?} s; give --tr"
                            )));
                        }
                        found = Some((vec![v[0]], src));
                    }
                }
                match found {
                    Some((v, src)) if v.len() == 1 => (v[0], src),
                    Some((v, src)) => {
                        return Err(rt(format!("{src}: expected one repetition time, found {v:?}")))
                    }
                    None => {
                        return Err(CliError::Usage(
                            "--tr: required for the VFA methods (or a sidecar with RepetitionTime)".into(),
                        ))
                    }
                }
            }
        };
        if tr.is_nan() || tr <= 0.0 {
            return Err(rt(format!(
                "{tr_src}: expected a repetition time > 0 s, found {tr}"
            )));
        }
        let mut rec =
            json!({"flip_angles_deg": fa, "flip_angles_source": fa_src, "tr_s": tr, "tr_source": tr_src});
        if let Some(d) = dicom {
            rec["dicom_flip_angles_deg"] = json!(d.flip_angles_deg);
            rec["dicom_tr_s"] = json!(d.repetition_times_s);
        }
        Ok((
            Acquisition {
                flip_angles_deg: Some(fa),
                tr_s: Some(tr),
                times_s: None,
            },
            rec,
        ))
    } else {
        let dicom_times = dicom.map(|d| match d.key {
            VolumeKey::TriggerTime => ("TriggerTime (0018,1060)", d.trigger_times_s.as_slice()),
            _ => ("InversionTime (0018,0082)", d.inversion_times_s.as_slice()),
        });
        let (t, src) = match &o.times_s {
            Some(v) => (v.clone(), "--times".to_string()),
            None => match (
                sidecar_list(sc, "InversionTime", sc_file)?,
                dicom.zip(dicom_times),
            ) {
                (Some(v), _) => (v, format!("--sidecar {} InversionTime", sc_file.display())),
                (None, Some((d, (attr, v)))) => dicom_values(d, v, attr, "--times")?,
                (None, None) => return Err(CliError::Usage(
                    "--times: required for --method look-locker (or a sidecar with an InversionTime list)"
                        .into(),
                )),
            },
        };
        check_count(&src, "times", t.len(), nv, input, dicom_times)?;
        if nv < 3 {
            return Err(rt(format!(
                "--input {input}: expected at least 3 volumes for Look-Locker, found {nv}"
            )));
        }
        if !(t.iter().all(|x| x.is_finite() && *x >= 0.0) && t.windows(2).all(|w| w[0] < w[1])) {
            return Err(rt(format!(
                "{src}: expected increasing times >= 0 s, found {t:?}"
            )));
        }
        let mut rec = json!({"times_s": t, "times_source": src, "magnitude": o.magnitude});
        if let Some((attr, v)) = dicom_times {
            rec["dicom_times_s"] = json!(v);
            rec["dicom_times_attribute"] = json!(attr);
        }
        Ok((
            Acquisition {
                flip_angles_deg: None,
                tr_s: None,
                times_s: Some(t),
            },
            rec,
        ))
    }
}
